"""``rsu tail [--type BSM]``: live decoded messages from the running daemon."""

from __future__ import annotations

import argparse
import json
import sys

from rsu.cli._args import count
from rsu.cli._control import add_socket_args, client, colour
from rsu.clock import utc_iso


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("tail", help="live decoded messages", description=__doc__)
    add_socket_args(p)
    p.add_argument(
        "--type", "-t", action="append", default=[], help="only this type (BSM, PSM...); repeat"
    )
    p.add_argument("--count", "-n", type=count, help="stop after N messages (default: no limit)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    seen = 0
    stream = client(args).stream("tail", types=args.type, idle_timeout=10.0)
    for line in stream:
        if line.get("kind") != "message":
            continue
        seen += 1
        if args.json:
            print(json.dumps(line, separators=(",", ":"), default=str), flush=True)
        else:
            stamp = utc_iso(line["utc"])[11:23]
            rssi = f"{line['rssi']} dBm" if line.get("rssi") is not None else ""
            print(f"{colour(stamp, 'dim')} {line['summary']:<60} {rssi}", flush=True)
        if args.count is not None and seen >= args.count:
            break
    sys.stdout.flush()
    return 0
