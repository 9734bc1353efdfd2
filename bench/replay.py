"""``rsu replay`` radio-to-broker, through the command (issue 14.2).

    .venv/bin/python bench/replay.py [--records 40000] [--rounds 3] [--jobs 1,2] [--json]

Input: ``--records`` distinct real BSMs as captured (``bench/decode_command.distinct_bsms``:
the 1298 BSMs of ../shared/vectors varied in id, msgCnt and lat; 94 % in IEEE 1609.2, 42 %
behind WSMP). A private mosquitto on a free loopback port; the config as a user writes it
(defaults: QoS 1, spool, batched per type). Each round, for each ``--jobs`` value, runs
``rsu replay --jobs J`` over the file and over a one-frame file (its start-up, subtracted),
both as the subprocess a user starts; a run counts only when its summary says every record
was acknowledged (``acked`` == records, ``drained``). Also per round: the machine's parallel
capacity (two pure-Python burns at once against one after the other), since the machine is
shared. Ratios are taken per round; medians reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.decode_command import capacity, distinct_bsms  # noqa: E402
from tests.conftest import Broker  # noqa: E402


def _config(work: Path, url: str, name: str) -> Path:
    path = work / f"{name}.toml"
    path.write_text(
        f'[rsu]\nid = "bench"\n[uplink]\nbroker = "{url}"\n'
        f'spool_path = "{work / name}.db"\nheartbeat_s = 0.0\nrunning_info_s = 0.0\n'
    )
    return path


def replay(cfg: Path, src: Path, jobs: int, expect: int, env: dict[str, str]) -> float:
    cmd = [str(Path(sys.executable).parent / "rsu"), "replay", "--config", str(cfg)]
    cmd += ["--jobs", str(jobs), "--timeout", "300", str(src)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    summary = json.loads(done.stdout) if done.returncode == 0 else {}
    if summary.get("acked") != expect or not summary.get("drained"):
        raise RuntimeError(f"replay did not deliver {expect}: {done.stdout} {done.stderr[-400:]}")
    return elapsed


def one_round(work: Path, url: str, jobs: list[int], n: int, env: dict[str, str]) -> dict[str, Any]:
    t: dict[str, Any] = {}
    t["burn_serial"], t["burn_parallel"] = capacity(env)
    for j in jobs:
        cfg = _config(work, url, f"j{j}")
        t[f"one_j{j}"] = replay(cfg, work / "one.txt", j, 1, env)
        t[f"all_j{j}"] = replay(cfg, work / "bsms.txt", j, n, env)
        t[f"rate_j{j}"] = n / max(t[f"all_j{j}"] - t[f"one_j{j}"], 1e-9)
    t["load_avg"] = os.getloadavg()[0]
    return t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    _, captured = distinct_bsms(args.records)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="rsu-bench-replay-") as tmp:
        work = Path(tmp)
        (work / "bsms.txt").write_text("\n".join(captured) + "\n")
        (work / "one.txt").write_text(captured[0] + "\n")
        env = dict(os.environ, RSU_CACHE_DIR=str(work / "cache"))
        broker = Broker(work)
        broker.start()
        try:
            replay(_config(work, broker.url, "warm"), work / "one.txt", 1, 1, env)  # the cache
            for i in range(args.rounds):
                rounds.append(one_round(work, broker.url, jobs, args.records, env))
                print(f"round {i + 1}: {json.dumps(rounds[-1])}", file=sys.stderr)
        finally:
            broker.stop()
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    report: dict[str, Any] = {"records": args.records, "rounds": len(rounds), "median": med}
    report["capacity"] = statistics.median(r["burn_serial"] / r["burn_parallel"] for r in rounds)
    for j in jobs[1:]:
        report[f"speedup_j{j}"] = statistics.median(
            r[f"rate_j{j}"] / r[f"rate_j{jobs[0]}"] for r in rounds
        )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.records} distinct BSMs as captured, median of {len(rounds)} rounds")
        print("| run | seconds | records/s (start-up subtracted) |\n|---|---:|---:|")
        for j in jobs:
            print(f"| --jobs {j}, one frame | {med[f'one_j{j}']:.2f} | |")
            print(f"| --jobs {j}, all | {med[f'all_j{j}']:.2f} | {med[f'rate_j{j}']:,.0f} |")
        print(f"capacity (2 burns serial / parallel): {report['capacity']:.2f}x")
        for j in jobs[1:]:
            print(f"--jobs {j} over --jobs {jobs[0]}: {report[f'speedup_j{j}']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
