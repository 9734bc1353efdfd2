"""``rsu-hil``: run scenarios against the real daemon, record and replay sessions.

rsu-hil run hil/scenarios/ [--junit OUT.xml] [--seed N] [--can vcan:vcan0]
rsu-hil record hil/scenarios/stopped_vehicle.toml --out session.jsonl
rsu-hil replay session.jsonl
python -m hil run ...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hil.rig import Bench

SUITE = Path(__file__).resolve().parent / "scenarios"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rsu-hil",
        description="Hardware-in-the-loop: run scenarios against the real daemon through "
        "emulated hardware and check what comes out; record and replay sessions.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenario files (or directories of them)")
    run.add_argument("paths", nargs="*", help=f"scenario files or directories (default {SUITE})")
    run.add_argument("--junit", help="write JUnit XML here")
    run.add_argument("--seed", type=int, help="override every scenario's seed")
    run.add_argument("--only", action="append", default=[], help="run scenarios by name")
    _bench_args(run)
    rec = sub.add_parser("record", help="run one scenario and record its inputs and outputs")
    rec.add_argument("path", help="the scenario file")
    rec.add_argument("--out", required=True, help="the session file to write (JSON lines)")
    rec.add_argument("--seed", type=int)
    _bench_args(rec)
    rep = sub.add_parser("replay", help="replay a recorded session; compare with its golden")
    rep.add_argument("session", help="a file written by `rsu-hil record`")
    _bench_args(rep)
    return p


def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--can", default="remote", help="CAN route: remote (default) or vcan:NAME")
    p.add_argument("--radio-port", help="a real serial radio instead of the emulator")
    p.add_argument("--gnss-port", help="a real GNSS receiver instead of the emulator")
    p.add_argument("--camera", help="a real camera source instead of the generated one")
    p.add_argument("--workdir", help="keep the run's files here (config, logs, spool)")
    p.add_argument(
        "--timing",
        choices=("enforce", "report"),
        default="enforce",
        help="enforce (default) or only report latency, interval and answer-time bounds",
    )


def _bench(args: argparse.Namespace) -> Bench:
    from hil.rig import Bench

    return Bench(args.can, args.radio_port, args.gnss_port, args.camera, args.timing == "enforce")


def _workdir(args: argparse.Namespace) -> Path | None:
    if not args.workdir:
        return None
    path = Path(args.workdir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rsu import logs
    from rsu.errors import RsuError

    logs.configure("warning", "console", stream=sys.stderr)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "record":
            from hil.record import record

            return record(args.path, args.out, args.seed, _bench(args), _workdir(args))
        from hil.record import replay

        return replay(args.session, _bench(args), _workdir(args))
    except RsuError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from hil.report import summary, write_junit
    from hil.runner import run_scenario
    from hil.scenario import load_scenario, scenario_paths
    from rsu.errors import UsageError

    paths = scenario_paths(args.paths or [str(SUITE)])
    scenarios = [load_scenario(p) for p in paths]
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in scenarios})
        if unknown:
            known = ", ".join(sorted(s.name for s in scenarios))
            raise UsageError(f"--only: no scenario {', '.join(unknown)} (known: {known})")
        scenarios = [s for s in scenarios if s.name in args.only]
    results = []
    for scenario in scenarios:
        s = scenario.with_seed(args.seed) if args.seed is not None else scenario
        workdir = Path(args.workdir) / s.name if args.workdir else None
        if workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
        print(f"== {s.name} (seed {s.seed}) ...", file=sys.stderr, flush=True)
        results.append(run_scenario(s, bench=_bench(args), workdir=workdir))
    print(summary(results))
    for r in results:
        for name, o in r.outcomes:
            if o.metrics and "p99_ms" in o.metrics:
                print(json.dumps({"scenario": r.scenario, "check": name, **o.metrics}))
    if args.junit:
        write_junit(results, args.junit)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
