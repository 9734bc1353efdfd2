"""``rsu decode`` through the command, against plain asn1tools in the same run.

    .venv/bin/python bench/decode.py --command [--frames 40000] [--rounds 3] [--json]

Input: ``--frames`` distinct real BSMs, made from the 1298 BSMs of ../shared/vectors by
varying ``id``, ``msgCnt`` and ``lat`` (re-encoded by the codec; same sizes, so the captured
forms keep their 1609.2 / WSMP wrapping): one file of bare frames and one of the frames as
captured (``outer_hex`` where the vector has one, else bare).

Each round runs, as separate processes:

- **baseline**: a plain script (below) doing what a user without rsu-edge writes: asn1tools
  ``compile_files`` of the same .asn files, two-stage UPER decode (MessageFrame, then the
  message by messageId; Part II left as bytes) and ``json.dumps``, pinned with ``taskset`` to
  one core; over the bare file (it cannot unwrap), and over one frame (its start-up);
- ``rsu decode --jobs 1 --file`` pinned to the same core, over the bare file and over the
  captured file (framing included);
- ``rsu decode --jobs 1`` and ``--jobs 2`` over the bare file on both cores (the speed-up),
  and over a bulk log (the bare file ``BULK`` times over, so start-up weighs less);
- one-frame ``rsu decode`` cold (empty cache directory) and warm.

Ratios are taken per round (the machine is shared; rounds interleave everything) and the
median is reported. Outputs are checked: every run prints one line per frame, and ``--jobs 2``
prints exactly what ``--jobs 1`` prints.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BULK = 5
"""The bulk log for ``--jobs``: the distinct frames this many times over (start-up amortised)."""
sys.path.insert(0, str(ROOT))

from rsu.v2x.codec import get_codec  # noqa: E402
from tests.v2x.vectors import load  # noqa: E402

BASELINE = """
import glob, json, sys
import asn1tools
spec = asn1tools.compile_files(sorted(glob.glob(sys.argv[1] + "/*.asn")), "uper")
names = {20: "BasicSafetyMessage"}

def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(type(value))

out = sys.stdout
with open(sys.argv[2]) as fh:
    for line in fh:
        frame = spec.decode("MessageFrame", bytes.fromhex(line.strip()))
        frame["value"] = spec.decode(names[frame["messageId"]], frame["value"])
        out.write(json.dumps(frame, default=plain) + "\\n")
"""


def distinct_bsms(count: int) -> tuple[list[str], list[str]]:
    """``count`` distinct BSMs: (bare hex, hex as captured)."""
    codec = get_codec("j2735")
    bsms = [f for f in load("j2735_real.jsonl") if f["messageId"] == 20]
    bare: list[str] = []
    captured: list[str] = []
    for i in range(count):
        source = bsms[i % len(bsms)]
        k = i // len(bsms)
        value = copy.deepcopy(codec.decode(bytes.fromhex(source["hex"])).jer())
        core = value["value"]["coreData"]
        core["msgCnt"] = (core["msgCnt"] + k) % 128
        core["id"] = format((int(core["id"], 16) + 7919 * k + i) % (1 << 32), "08X")
        core["lat"] = max(-900_000_000, min(900_000_000, core["lat"] + 13 * k))
        new = codec.encode(value).hex()
        old = source["hex"]
        outer = source.get("outer_hex")
        bare.append(new)
        captured.append(outer.replace(old, new) if outer else new)
    assert len(set(bare)) == count
    return bare, captured


def _timed(cmd: list[str], env: dict[str, str], out: Path) -> float:
    with out.open("wb") as fh:
        start = time.perf_counter()
        result = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, env=env, check=False)
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} exited {result.returncode}: {result.stderr[-500:]!r}")
    return elapsed


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


BURN = "s = 0\nfor i in range(12_000_000):\n    s += i\n"
"""The parallel capacity baseline: a pure-Python loop with no I/O and no IPC."""


def capacity(env: dict[str, str]) -> tuple[float, float]:
    """Seconds for two burns one after the other, and for two at once (both cores free: the
    second is about half the first; it is what ``--jobs 2`` can get at best on this machine
    at this moment)."""
    cmd = [sys.executable, "-c", BURN]
    start = time.perf_counter()
    for _ in range(2):
        subprocess.run(cmd, env=env, check=True)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env) for _ in range(2)]
    for proc in procs:
        proc.wait()
    return serial, time.perf_counter() - start


def one_round(work: Path, env: dict[str, str], cpu: str, count: int) -> dict[str, float]:
    rsu = [str(Path(sys.executable).parent / "rsu"), "decode"]
    pin = ["taskset", "-c", cpu]
    asn = str(ROOT / "rsu" / "j2735" / "asn")
    base = [sys.executable, str(work / "baseline.py"), asn]
    out = work / "out.jsonl"
    t: dict[str, float] = {}
    t["baseline"] = _timed([*pin, *base, str(work / "bare.txt")], env, out)
    assert _lines(out) == count
    t["baseline_one"] = _timed([*pin, *base, str(work / "one.txt")], env, out)
    t["rsu_bare"] = _timed([*pin, *rsu, "-j", "1", "--file", str(work / "bare.txt")], env, out)
    assert _lines(out) == count
    t["rsu_captured"] = _timed(
        [*pin, *rsu, "-j", "1", "--file", str(work / "captured.txt")], env, out
    )
    assert _lines(out) == count
    t["burn_serial"], t["burn_parallel"] = capacity(env)
    t["rsu_jobs1"] = _timed([*rsu, "-j", "1", "--file", str(work / "bare.txt")], env, out)
    one = _digest(out)
    t["rsu_jobs2"] = _timed([*rsu, "-j", "2", "--file", str(work / "bare.txt")], env, out)
    assert _digest(out) == one, "--jobs 2 printed something else than --jobs 1"
    t["bulk_jobs1"] = _timed([*rsu, "-j", "1", "--file", str(work / "bulk.txt")], env, out)
    bulk = _digest(out)
    t["bulk_jobs2"] = _timed([*rsu, "-j", "2", "--file", str(work / "bulk.txt")], env, out)
    assert _digest(out) == bulk, "--jobs 2 printed something else than --jobs 1"
    cold = dict(env, RSU_CACHE_DIR=str(work / f"cold-{time.monotonic_ns()}"))
    t["start_cold"] = _timed([*pin, *rsu, "--file", str(work / "one.txt")], cold, out)
    t["start_warm"] = _timed([*pin, *rsu, "--file", str(work / "one.txt")], env, out)
    t["load_avg"] = os.getloadavg()[0]
    return t


def summarize(rounds: list[dict[str, float]], count: int) -> dict[str, Any]:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def ratio(a: str, b: str) -> float:
        return statistics.median(r[a] / r[b] for r in rounds)

    def per_frame(key: str, start: str) -> float:
        return statistics.median((r[key] - r[start]) / count * 1e6 for r in rounds)

    return {
        "frames": count,
        "rounds": len(rounds),
        "seconds": {k: round(med(k), 3) for k in rounds[0]},
        "whole_run_speedup_bare": round(ratio("baseline", "rsu_bare"), 2),
        "whole_run_speedup_captured": round(ratio("baseline", "rsu_captured"), 2),
        "us_per_frame_baseline": round(per_frame("baseline", "baseline_one"), 1),
        "us_per_frame_rsu_bare": round(per_frame("rsu_bare", "start_warm"), 1),
        "us_per_frame_rsu_captured": round(per_frame("rsu_captured", "start_warm"), 1),
        "per_frame_speedup_bare": round(
            statistics.median(
                (r["baseline"] - r["baseline_one"]) / (r["rsu_bare"] - r["start_warm"])
                for r in rounds
            ),
            2,
        ),
        "capacity": round(ratio("burn_serial", "burn_parallel"), 2),
        "jobs2_speedup": round(ratio("rsu_jobs1", "rsu_jobs2"), 2),
        "bulk_jobs2_speedup": round(ratio("bulk_jobs1", "bulk_jobs2"), 2),
        "jobs2_speedup_after_startup": round(
            statistics.median(
                (r["rsu_jobs1"] - r["start_warm"]) / (r["rsu_jobs2"] - r["start_warm"])
                for r in rounds
            ),
            2,
        ),
    }


def run_command_bench(count: int, rounds: int, as_json: bool) -> int:
    if shutil.which("taskset") is None:
        print("taskset (util-linux) is needed to pin the runs to one core", file=sys.stderr)
        return 2
    bare, captured = distinct_bsms(count)
    cpus = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="rsu-bench-decode-") as tmp:
        work = Path(tmp)
        (work / "baseline.py").write_text(BASELINE)
        (work / "bare.txt").write_text("\n".join(bare) + "\n")
        (work / "captured.txt").write_text("\n".join(captured) + "\n")
        (work / "one.txt").write_text(bare[0] + "\n")
        (work / "bulk.txt").write_text(("\n".join(bare) + "\n") * BULK)
        env = dict(os.environ, RSU_CACHE_DIR=str(work / "cache"))
        results = []
        for i in range(rounds):
            results.append(one_round(work, env, str(cpus[-1]), count))
            print(f"round {i + 1}: {json.dumps(results[-1])}", file=sys.stderr)
    report = summarize(results, count)
    report["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(json.dumps(report, indent=2) if as_json else _table(report))
    return 0


def _table(r: dict[str, Any]) -> str:
    s = r["seconds"]
    rows = [
        ("baseline: asn1tools two-stage + json.dumps, 1 core", s["baseline"]),
        ("baseline, one frame (its start-up)", s["baseline_one"]),
        ("rsu decode --jobs 1, bare frames, 1 core", s["rsu_bare"]),
        ("rsu decode --jobs 1, frames as captured, 1 core", s["rsu_captured"]),
        ("capacity: two burns one after the other", s["burn_serial"]),
        ("capacity: two burns at once", s["burn_parallel"]),
        ("rsu decode --jobs 1, 2 cores", s["rsu_jobs1"]),
        ("rsu decode --jobs 2, 2 cores", s["rsu_jobs2"]),
        (f"bulk log ({BULK} x the frames), --jobs 1", s["bulk_jobs1"]),
        (f"bulk log ({BULK} x the frames), --jobs 2", s["bulk_jobs2"]),
        ("rsu decode, one frame, cold cache", s["start_cold"]),
        ("rsu decode, one frame, warm cache", s["start_warm"]),
    ]
    out = [f"{r['frames']} distinct BSMs, median of {r['rounds']} rounds; {r['machine']}", ""]
    out += ["| run | seconds |", "|---|---:|"]
    out += [f"| {name} | {value:.2f} |" for name, value in rows]
    out += [
        "",
        f"whole run, bare: **{r['whole_run_speedup_bare']}x** the baseline; as captured: "
        f"{r['whole_run_speedup_captured']}x",
        f"per frame (start-up subtracted): baseline {r['us_per_frame_baseline']} us, rsu "
        f"{r['us_per_frame_rsu_bare']} us bare ({r['per_frame_speedup_bare']}x), "
        f"{r['us_per_frame_rsu_captured']} us as captured",
        f"--jobs 2 over --jobs 1: {r['jobs2_speedup']}x whole run, "
        f"{r['jobs2_speedup_after_startup']}x after start-up; bulk log: {r['bulk_jobs2_speedup']}x",
        f"parallel capacity in the same rounds (two pure-Python burns at once against one "
        f"after the other): {r['capacity']}x",
    ]
    return "\n".join(out)
