"""``rsu replay``: feed hex frames through framing, codec and uplink as if received by radio."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from typing import Any

from rsu.cli._args import rate, seconds, whole

MAX_JOBS = 64


def add_parser(sub: Any) -> None:
    p = sub.add_parser("replay", help="replay hex frames through the receive pipeline to MQTT")
    p.add_argument("--config", required=True, help="config file (reads [rsu] id and [uplink])")
    p.add_argument("file", help="hex frames, one per line (bare or wrapped); - for stdin")
    p.add_argument("--rate", type=rate, help="frames per second (default: as fast as it goes)")
    p.add_argument(
        "--timeout", type=seconds, default=60.0, help="seconds to wait for the drain (default 60)"
    )
    p.add_argument(
        "--standard", default=None, help="message set (j2735, csae53; default: [rsu] standard)"
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=whole(at_least=1, most=MAX_JOBS),
        default=None,
        help="decode worker processes (default: the cores; 1: all in this process)."
        " Records keep input order; with --rate, one process",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rsu.config.fields import Table
    from rsu.config.loader import read_toml
    from rsu.config.model import RsuSection
    from rsu.errors import UsageError
    from rsu.uplink.config import read_uplink_config
    from rsu.uplink.identity import REPLAY
    from rsu.uplink.service import Uplink
    from rsu.v2x.codec import get_codec

    data = read_toml(args.config)
    cfg = read_uplink_config(data)
    standard = args.standard or RsuSection.from_table(Table(data.get("rsu"), "rsu")).standard
    codec = get_codec(standard)
    try:
        src = sys.stdin if args.file == "-" else open(args.file, encoding="ascii")  # noqa: SIM115
    except OSError as err:
        raise UsageError(f"cannot read {args.file}: {err.strerror}") from err
    jobs = 1 if args.rate is not None else args.jobs or _cores()
    pool = None
    if jobs > 1:  # forked before the uplink starts its threads
        from rsu.cli.replay_workers import start_pool

        pool = start_pool(jobs, codec, cfg)
    uplink = Uplink(cfg, role=REPLAY)  # its own client id and spool: the daemon is untouched
    try:
        uplink.start()
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    try:
        with src:
            if pool is None:
                counts = _feed(src, codec, uplink, args.rate)
            else:
                from rsu.cli.replay_workers import feed_pool

                counts = feed_pool(src, pool, uplink)
    finally:
        if pool is not None:
            pool.close()
        drained = uplink.stop(drain_timeout=args.timeout)
    st = uplink.stats()
    summary = {
        **counts,
        "held": st.held,
        "acked": st.acked,
        "pending": st.pending,
        "dropped": st.dropped,
        "drained": drained,
    }
    print(json.dumps(summary, sort_keys=True))
    if not drained:
        print(f"error: spool not drained within {args.timeout} s", file=sys.stderr)
    return 0 if drained else 1


def _cores() -> int:
    from rsu.cli.decode_lines import default_jobs

    return default_jobs()


def _feed(src: Iterable[str], codec: Any, uplink: Any, per_s: float | None) -> dict[str, int]:
    """Decode each hex line like a received frame and hand it to the uplink (waiting for
    room: replay is a producer that can wait). Bad lines are counted and logged with hex."""
    import structlog

    from rsu.errors import DecodeError
    from rsu.uplink.records import Origin

    log = structlog.get_logger("rsu.cli.replay")
    origin = Origin(backend="replay")
    counts = {"lines": 0, "decoded": 0, "bad": 0, "submitted": 0}
    started = time.monotonic()
    for line in src:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        counts["lines"] += 1
        _pace(per_s, counts["lines"], started)
        try:
            msg = codec.decode(bytes.fromhex(text))
        except (ValueError, DecodeError) as err:
            counts["bad"] += 1
            log.warning("replay_bad_frame", line=counts["lines"], error=str(err), hex=text[:512])
            continue
        counts["decoded"] += 1
        while not uplink.has_room():
            time.sleep(0.005)
        if uplink.submit_message(msg, origin=origin):
            counts["submitted"] += 1
    return counts


def _pace(per_s: float | None, n: int, started: float) -> None:
    if per_s is not None:
        delay = started + n / per_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
