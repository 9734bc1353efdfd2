"""Decode throughput per message type on the real corpus, next to plain asn1tools; and
``rsu decode`` itself, through the command a user runs.

    .venv/bin/python bench/decode.py [--seconds 2] [--standard j2735|csae53|all] [--json]
    .venv/bin/python bench/decode.py --command [--frames 40000] [--rounds 3]

For each message type of ``../shared/vectors`` it measures, pinned to one CPU core:

- ``rsu-edge``: ``Codec.decode_frame`` with the generated fast path, repeat cache off, so every
  frame is fully decoded into JER with open types (Part II, regional extensions) decoded;
- ``general``: the same codec with the fast path off (asn1tools + our JER conversion);
- ``asn1tools``: plain asn1tools on the same .asn files, two-stage (MessageFrame, then the
  message by messageId; Part II and regional extensions left as bytes, no JER), the baseline;
- ``cached``: ``rsu-edge`` with its repeat cache on a stream where each frame was seen before
  (how MAP, SPaT and TIM arrive from a fixed RSU); only for the types the cache serves.

``--command`` (``bench/decode_command.py``) runs ``rsu decode --file`` over distinct real BSMs
against a plain asn1tools script, both as processes a user would start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asn1tools

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rsu.v2x.asn1 import compile_standard  # noqa: E402
from rsu.v2x.codec import REPEATING_TYPES, Codec  # noqa: E402
from rsu.v2x.standards import get_standard  # noqa: E402
from tests.v2x.vectors import VECTORS  # noqa: E402


def rate(fn: Callable[[bytes], object], frames: list[bytes], seconds: float) -> float:
    """Frames per second of ``fn`` over ``frames`` (cycled) for about ``seconds``."""
    for frame in frames[:50]:
        fn(frame)  # warm up
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for frame in frames:
            fn(frame)
        count += len(frames)
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def corpus(standard: str) -> dict[str, list[bytes]]:
    groups: dict[str, list[bytes]] = {}
    names = (
        ["j2735_real.jsonl"]
        if standard == "j2735"
        else ["csae53_real.jsonl", "csae53_generated.jsonl"]
    )
    for name in names:
        for line in (VECTORS / name).read_text().splitlines():
            frame = json.loads(line)
            if standard == "j2735":
                label = str(frame["type"]).split(" (")[0]
                if label == "BasicSafetyMessage" and "partII" in frame["value"]["value"]:
                    groups.setdefault("BasicSafetyMessage with Part II", []).append(
                        bytes.fromhex(frame["hex"])
                    )
            else:
                label = next(iter(frame["value"]))
            groups.setdefault(label, []).append(bytes.fromhex(frame["hex"]))
    return groups


def baseline(standard: str, spec: Any, codec: Codec) -> Callable[[bytes], object]:
    if standard != "j2735":
        return lambda frame: spec.decode("MessageFrame", frame)
    types = {k: v.rsplit(".", 1)[-1] for k, v in codec.message_ids.items()}

    def two_stage(frame: bytes) -> object:
        top = spec.decode("MessageFrame", frame)
        return spec.decode(types[top["messageId"]], top["value"])

    return two_stage


def measure(standard: str, seconds: float) -> list[dict[str, Any]]:
    compiled = compile_standard(get_standard(standard))
    fast = Codec(compiled, repeat_cache_size=0)
    general = Codec(compiled, repeat_cache_size=0, fast=False)
    cached = Codec(compiled)
    plain = asn1tools.compile_files(list(compiled.files), "uper")
    plain_decode = baseline(standard, plain, fast)
    rows = []
    for label, frames in sorted(corpus(standard).items()):
        row: dict[str, Any] = {"standard": standard, "type": label, "frames": len(frames)}
        row["rsu_edge"] = rate(fast.decode_frame, frames, seconds)
        row["general"] = rate(general.decode_frame, frames, seconds / 2)
        row["asn1tools"] = rate(plain_decode, frames, seconds / 2)
        message_type = fast.decode_frame(frames[0]).message_type
        if message_type in REPEATING_TYPES:
            row["cached"] = rate(cached.decode_frame, frames, seconds / 2)
        row["speedup"] = row["rsu_edge"] / row["asn1tools"]
        rows.append(row)
        print(
            f"{standard:7} {label:34} {row['rsu_edge']:10.0f}/s  asn1tools "
            f"{row['asn1tools']:8.0f}/s  x{row['speedup']:.1f}",
            file=sys.stderr,
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| standard | message type | frames | rsu-edge /s | general /s | asn1tools /s "
        "| speed-up | cached /s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cached = f"{r['cached']:,.0f}" if "cached" in r else "-"
        out.append(
            f"| {r['standard']} | {r['type']} | {r['frames']} | {r['rsu_edge']:,.0f} | "
            f"{r['general']:,.0f} | {r['asn1tools']:,.0f} | {r['speedup']:.1f}x | "
            f"{cached} |"
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--standard", default="all", choices=("j2735", "csae53", "all"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--command", action="store_true", help="measure rsu decode itself")
    parser.add_argument("--frames", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.command:
        from bench.decode_command import run_command_bench

        return run_command_bench(args.frames, args.rounds, args.json)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    standards = ["j2735", "csae53"] if args.standard == "all" else [args.standard]
    rows = [row for s in standards for row in measure(s, args.seconds)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"machine: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"asn1tools {asn1tools.__version__}; one core\n"
        )
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
