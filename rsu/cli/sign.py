"""``rsu sign``: sign frames (hex, one per line) as IEEE 1609.2 signed data.

The key and certificate are those of ``[security]`` in the config file (``key`` or
``pkcs11``, ``certificate``), or given with ``--key`` / ``--certificate``. The PSID is the
message type's (MAP 0xE0000017, SPaT 0x8002, ...) unless ``--psid`` gives one (p-encoded hex,
as ``[[broadcast.messages]]`` writes it). Each output line is the signed SPDU as hex.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from rsu.cli.inputs import input_lines, parse_hex
from rsu.errors import RsuError, UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("sign", help="sign frames as IEEE 1609.2 signed data")
    p.add_argument("hex", nargs="*", help="frames as hex")
    p.add_argument("--file", "-f", help="file with one hex frame per line; - for stdin")
    p.add_argument("--config", "-c", default="/etc/rsu/rsu.toml", help="config with [security]")
    p.add_argument("--certificate", help="the signer certificate (COER), instead of the config")
    p.add_argument("--key", help="the PKCS#8 PEM key (mode 0600), instead of the config")
    p.add_argument("--psid", help="p-encoded PSID in hex (default: by message type)")
    p.add_argument(
        "--signer",
        choices=("certificate", "digest"),
        default="certificate",
        help="put the whole certificate in (default) or its HashedId8",
    )
    p.add_argument("--at", help="generation time, ISO 8601 UTC (default: now)")
    p.set_defaults(func=run)


def parse_time(text: str | None) -> float:
    """``--at``: an ISO 8601 UTC time (with a zone), or now."""
    import time

    if text is None:
        return time.time()
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at {text!r}: expected an ISO 8601 time") from None
    if stamp.tzinfo is None:
        raise UsageError(f"--at {text!r}: give a time zone (e.g. a trailing Z)")
    return stamp.timestamp()


def _signer(args: argparse.Namespace) -> object:
    from rsu.security.config import SecurityConfig
    from rsu.security.setup import make_signer

    base = Path.cwd()
    if args.certificate and args.key:
        cfg = SecurityConfig(certificate=args.certificate, key=args.key, signer=args.signer)
        return make_signer(cfg, lambda name: base / name)
    from dataclasses import replace

    from rsu.config.loader import load_config

    config = load_config(args.config)
    sec = config.security
    if sec is None:
        raise UsageError(f"{args.config} has no [security] (or give --certificate and --key)")
    sec = replace(sec, signer=args.signer, certificate=args.certificate or sec.certificate)
    sec = replace(sec, key=args.key or sec.key) if args.key else sec
    return make_signer(sec, config.resolve)


def _psid(text: str | None, frame: bytes) -> int:
    from rsu.radio.sniff import sniff
    from rsu.v2x.names import PSIDS
    from rsu.v2x.psid import to_integer

    try:
        if text is not None:
            return to_integer(int(text, 0))
    except ValueError as err:
        raise UsageError(f"--psid {text!r}: {err}") from None
    mtype = sniff(frame).message_type
    if mtype not in PSIDS:
        raise UsageError(f"no PSID known for this frame ({mtype or 'unknown type'}): give --psid")
    return to_integer(PSIDS[mtype])


def run(args: argparse.Namespace) -> int:
    from rsu.security.sign import Signer

    if not args.hex and args.file is None:
        raise UsageError("give frames as arguments or --file PATH (- for stdin)")
    at = parse_time(args.at)
    signer = _signer(args)
    if not isinstance(signer, Signer):
        raise UsageError("no signer")
    failed = 0
    try:
        for line in input_lines(args.hex, args.file):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                frame = parse_hex(line)
                sys.stdout.write(signer.sign(frame, _psid(args.psid, frame), at).hex() + "\n")
            except (ValueError, RsuError) as err:
                if isinstance(err, UsageError) and args.psid is not None:
                    raise
                failed += 1
                print(f"error: {err}", file=sys.stderr)
    finally:
        signer.key.close()
    return 1 if failed else 0
