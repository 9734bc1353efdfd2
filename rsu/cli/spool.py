"""``rsu spool stats|drain``: look into the uplink spool, or publish its backlog."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rsu.cli._args import seconds


def add_parser(sub: Any) -> None:
    p = sub.add_parser("spool", help="inspect or drain the uplink spool")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    st = actions.add_parser("stats", help="pending, oldest, dropped, per-stream counts")
    st.add_argument("--config", required=True, help="config file (reads [rsu] id and [uplink])")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.add_argument("--replay", action="store_true", help=REPLAY_HELP)
    st.set_defaults(func=run_stats)
    dr = actions.add_parser("drain", help="publish the backlog; exit 0 when empty")
    dr.add_argument("--config", required=True, help="config file (reads [rsu] id and [uplink])")
    dr.add_argument(
        "--timeout",
        type=seconds,
        default=300.0,
        help="seconds to wait for the spool to drain (default 300)",
    )
    dr.add_argument("--replay", action="store_true", help=REPLAY_HELP)
    dr.set_defaults(func=run_drain)


REPLAY_HELP = "the spool `rsu replay` keeps beside the daemon's (spool.replay.db)"


def _path(args: argparse.Namespace, cfg: Any) -> str:
    from rsu.uplink.identity import REPLAY, spool_path

    return spool_path(cfg.spool_path, REPLAY) if args.replay else str(cfg.spool_path)


def run_stats(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rsu.clock import utc_iso
    from rsu.errors import SpoolError
    from rsu.uplink.config import load_uplink_config
    from rsu.uplink.spool import Spool

    cfg = load_uplink_config(args.config)
    path = _path(args, cfg)
    if not Path(path).exists():
        raise SpoolError(f"no spool at {path}")
    spool = Spool(path, cfg.spool, salvage=False)  # the daemon may be running: never rename
    try:
        st = spool.stats()
    finally:
        spool.close()
    out = {
        "spool": path,
        "pending": st.pending,
        "rows": st.rows,
        "bytes": st.bytes,
        "oldest": None if st.oldest is None else utc_iso(st.oldest),
        "dropped": sum(st.dropped.values()),
        "dropped_by_reason": st.dropped,
        "streams": st.streams,
        "set_aside": [a.as_dict() for a in st.set_aside],
    }
    if args.json:
        print(json.dumps(out, sort_keys=True))
        return 0
    for key in ("spool", "pending", "rows", "bytes", "oldest", "dropped"):
        print(f"{key:8} {out[key]}")
    for name, value in sorted(st.streams.items()):
        print(f"  stream {name}: {value}")
    for name, value in sorted(st.dropped.items()):
        print(f"  dropped {name}: {value}")
    for a in st.set_aside:
        print(f"set aside {a.path} ({a.bytes} bytes) at {utc_iso(a.utc)}: {a.reason}")
    return 0


def run_drain(args: argparse.Namespace) -> int:
    import dataclasses
    import sys

    from rsu.uplink.config import load_uplink_config
    from rsu.uplink.identity import DRAIN
    from rsu.uplink.service import Uplink

    cfg = load_uplink_config(args.config)
    cfg = dataclasses.replace(cfg, spool_path=_path(args, cfg))
    uplink = Uplink(cfg, role=DRAIN)  # its own client id: the daemon's session is untouched
    uplink.start()
    drained = uplink.stop(drain_timeout=args.timeout)
    st = uplink.stats()
    print(json.dumps({"acked": st.acked, "pending": st.pending, "drained": drained}))
    if not drained:
        print(f"error: spool not empty after {args.timeout} s", file=sys.stderr)
    return 0 if drained else 1
