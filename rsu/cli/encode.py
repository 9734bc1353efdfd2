"""``rsu encode``: JER JSON in, UPER hex out (one line per value)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rsu.errors import EncodeError, UsageError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set_names


def add_parser(sub: Any) -> None:
    p = sub.add_parser("encode", help="encode JER JSON values to UPER hex")
    p.add_argument(
        "--type", default="MessageFrame", help="ASN.1 type of the values (default MessageFrame)"
    )
    p.add_argument(
        "--file",
        "-f",
        required=True,
        help="a JSON value, or JSON lines, one value each; - for stdin",
    )
    p.add_argument(
        "--standard",
        default=DEFAULT_MESSAGE_SET,
        choices=sorted(message_set_names()),
        help=f"message set (default {DEFAULT_MESSAGE_SET})",
    )
    p.set_defaults(func=run)


def read_values(file: str) -> list[Any]:
    """One JSON document, or JSON lines."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {file}: {err}") from err
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise UsageError(f"{file}:{number}: not JSON: {err.msg}") from err
    return values


def run(args: argparse.Namespace) -> int:
    from rsu.v2x.codec import get_codec

    codec = get_codec(args.standard)
    failed = 0
    for value in read_values(args.file):
        try:
            if args.type == "MessageFrame":
                data = codec.encode(value)
            else:
                data = codec.encode_inner(args.type, value)
        except EncodeError as err:
            failed += 1
            print(f"error: {err}", file=sys.stderr)
            sys.stdout.write(
                json.dumps(
                    {"error": {"reason": err.reason, "message": err.message_type, "path": err.path}}
                )
                + "\n"
            )
            continue
        sys.stdout.write(data.hex() + "\n")
    return 1 if failed else 0
