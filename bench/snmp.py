"""NTCIP 1218 agent: GET and walk latency through net-snmp, and the daemon's CPU while polled.

Starts the demo daemon with ``[snmp]`` (SHA-512 / AES-256 user) on a loopback port, then:
- ``snmpget`` of 4 objects and ``snmpwalk`` of the RSU tree, N times each (what a manager
  runs; each includes net-snmp's process start and USM discovery); baseline in the same run:
  ``snmpget --version`` (process start only);
- the daemon's CPU (utime+stime from /proc) over a window idle, then over a window polled
  at ``--rate`` GETs a second (a manager's usual poll is far less: a GET every few seconds).

    python bench/snmp.py [--n 30] [--rate 5] [--window 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.management.helpers import RSU, make_bench


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(fn: object, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=20.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = make_bench(Path(tmp)).start()
        try:
            assert bench.daemon is not None
            pid = bench.daemon.proc.pid
            objs = (f"{RSU}.13.4.0", f"{RSU}.16.3.0", f"{RSU}.6.6.0", f"{RSU}.12.1.0")
            time.sleep(2.0)

            def get() -> None:
                assert bench.snmp("snmpget", *objs).returncode == 0

            def walk() -> None:
                assert bench.snmp("snmpwalk", RSU).returncode == 0

            def base() -> None:
                subprocess.run(["snmpget", "--version"], capture_output=True, check=False)

            gets, walks, bases = _time(get, args.n), _time(walk, args.n // 3), _time(base, args.n)
            lines = len(bench.snmp("snmpwalk", RSU).stdout.splitlines())
            c0 = _cpu(pid)
            time.sleep(args.window)
            idle = (_cpu(pid) - c0) / args.window
            c0, t0, polls = _cpu(pid), time.monotonic(), 0
            while time.monotonic() - t0 < args.window:
                get()
                polls += 1
                time.sleep(max(0.0, polls / args.rate - (time.monotonic() - t0)))
            polled = (_cpu(pid) - c0) / (time.monotonic() - t0)
        finally:
            bench.stop()
    med = statistics.median
    print(f"snmpget (4 objects, SHA-512/AES-256): median {med(gets):.1f} ms, n={len(gets)}")
    print(f"snmpwalk of the RSU tree ({lines} objects): median {med(walks):.1f} ms")
    print(f"baseline snmpget --version (process start): median {med(bases):.1f} ms")
    print(
        f"daemon CPU: idle {idle * 100:.1f} %, polled at {polls / args.window:.1f} GET/s "
        f"{polled * 100:.1f} % (+{(polled - idle) * 100:.1f} % of one core)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
