"""``rsu tx``: send one message now through the running daemon's radio.

The message is a bare UPER MessageFrame given as hex (``--hex`` or a ``.hex`` file) or the JER
of a whole MessageFrame (a ``.json`` file: ``{"messageId": 18, "value": {...}}``, or a CSAE 53
``{"mapFrame": {...}}``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rsu.cli._control import add_socket_args, client, print_json
from rsu.errors import UsageError
from rsu.wire import DEFAULT_CHANNEL


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("tx", help="send one message now", description=__doc__)
    add_socket_args(p)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--hex", help="the UPER MessageFrame as hex")
    src.add_argument("--file", "-f", help="a .hex file (UPER) or .json file (JER MessageFrame)")
    p.add_argument("--psid", type=lambda s: int(s, 0), help="PSID (default: by message type)")
    p.add_argument(
        "--channel",
        type=int,
        default=DEFAULT_CHANNEL,
        help=f"radio channel (default {DEFAULT_CHANNEL})",
    )
    p.set_defaults(func=run)


def _payload(args: argparse.Namespace) -> str:
    if args.hex:
        return "".join(str(args.hex).split())
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from err
    if path.suffix == ".json":
        from rsu.broadcast.standards import FrameEncoder

        try:
            frame = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not JSON: {err}") from err
        return FrameEncoder()(frame).hex()  # J2735 or CSAE 53, told apart by the JER's shape
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return "".join("".join(lines).split())


def run(args: argparse.Namespace) -> int:
    reply = client(args).request("tx", hex=_payload(args), psid=args.psid, channel=args.channel)
    if args.json:
        print_json(reply)
    else:
        print(f"sent {reply['type']} ({reply['bytes']} bytes) on PSID {reply['psid']}")
    return 0
