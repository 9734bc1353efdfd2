"""``rsu decode``: hex frames in, one JSON line out per input line, in order.

Each line is the JER of the decoded MessageFrame (``--format jer``), the units view
(``--format units``) or a one-line summary (``--format summary``), or ``{"error": {...}}``
naming the message, field path and bit offset. Exit 0 when every line decoded, 1 when any
failed, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rsu.cli.inputs import input_lines, parse_hex
from rsu.errors import DecodeError, UsageError
from rsu.v2x.message import V2xMessage
from rsu.v2x.standards import STANDARDS


def add_parser(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode V2X frames (hex) to JER JSON lines")
    p.add_argument("hex", nargs="*", help="frames as hex (bare or wrapped)")
    p.add_argument("--file", "-f", help="file with one hex frame per line; - for stdin")
    p.add_argument("--format", choices=("jer", "units", "summary"), default="jer")
    p.add_argument(
        "--unwrap",
        choices=("auto", "none"),
        default="auto",
        help="auto: strip WSMP / IEEE 1609.2 / trailing bytes; none: bare frames only",
    )
    p.add_argument(
        "--standard", default="j2735", choices=sorted(STANDARDS), help="message set (default j2735)"
    )
    p.add_argument("--verify", action="store_true", help="add the IEEE 1609.2 result to each line")
    p.add_argument("--trust", help="trust directory for --verify (anchors, CA certificates, CRLs)")
    p.add_argument("--at", help="verify as of this ISO 8601 UTC time (default: now)")
    p.set_defaults(func=run)


def render(message: V2xMessage, fmt: str) -> dict[str, Any]:
    """The JSON object printed for one decoded message."""
    if fmt == "jer":
        return message.jer()
    if fmt == "units":
        from rsu.v2x.units import to_units

        return to_units(message.jer())  # type: ignore[no-any-return]
    return summary(message)


def summary(message: V2xMessage) -> dict[str, Any]:
    """A short description: type, id, sizes, envelope and the sender's position if any."""
    out: dict[str, Any] = {
        "standard": message.standard,
        "message_type": message.message_type,
        "short": message.short_name,
        "message_id": message.message_id,
        "bytes": len(message.raw),
        "envelope": message.envelope.as_dict(),
    }
    value = message.value if isinstance(message.value, dict) else {}
    core = value.get("coreData") or value
    pos = core.get("pos")  # CSAE 53 BSM: the position is a Position3D
    core = {**pos, **core} if isinstance(pos, dict) else core
    for key in ("id", "msgCnt", "secMark", "lat", "long"):
        if key in core and not isinstance(core[key], dict | list):
            out[key] = core[key]
    return out


def run(args: argparse.Namespace) -> int:
    from rsu.v2x.codec import get_codec

    if not args.hex and args.file is None:
        raise UsageError("give frames as arguments or --file PATH (- for stdin)")
    codec = get_codec(args.standard)
    unwrap = args.unwrap == "auto"
    verify = _verify_stage(args) if args.verify else None
    failed = 0
    out = sys.stdout
    for line in input_lines(args.hex, args.file):
        try:
            data = parse_hex(line)
        except ValueError as err:
            failed += 1
            record: dict[str, Any] = {"error": {"kind": "InputError", "reason": str(err)}}
        else:
            try:
                record = render(codec.decode(data, unwrap=unwrap), args.format)
            except DecodeError as err:
                failed += 1
                record = {"error": err.as_dict()}
            if verify is not None:
                record["security"] = verify(data)
        out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
    out.flush()
    return 1 if failed else 0


def _verify_stage(args: argparse.Namespace) -> Any:
    """``data -> security dict`` for ``--verify`` (the per-line stage of the verifier)."""
    from rsu.cli.sign import _time
    from rsu.security.files import load_trust_dir
    from rsu.security.trust import TrustStore
    from rsu.security.verify import Verifier

    if args.trust is None:
        raise UsageError("--verify needs --trust DIR (a trust directory: rsu pki init makes one)")
    at = _time(args.at)
    store = TrustStore()
    load_trust_dir(args.trust, store, at)
    verifier = Verifier(store)
    return lambda data: verifier.verify(data, at).as_dict()
