"""Framing throughput on the real corpus: ``unwrap`` per wrapping, against two references.

Baselines measured in the same run on the same frames:
- ``find``: ``outer.find(frame)`` with the answer already known (a lower bound for any search);
- ``decode``: the codec decoding the bare frame (what follows framing on the receive path),
  to show what share of the receive cost framing is.

Usage: ``.venv/bin/python bench/framing.py [seconds-per-case]`` (default 0.5 s).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rsu.v2x.codec import Codec, get_codec
from rsu.v2x.framing import unwrap
from tests.v2x.vectors import vector_file

VECTORS = vector_file("j2735_real.jsonl")


def _groups() -> dict[str, list[tuple[bytes, bytes]]]:
    groups: dict[str, list[tuple[bytes, bytes]]] = {}
    with VECTORS.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            frame = bytes.fromhex(rec["hex"])
            outer = bytes.fromhex(rec["outer_hex"] or rec["hex"])
            env = unwrap(outer).envelope
            name = env.kind + (f"/{env.signer_kind}" if env.signer_kind else "")
            name += "+wsmp" if env.wsmp_header else ""
            groups.setdefault(name, []).append((outer, frame))
    return groups


def _rate(
    fn: Callable[[bytes, bytes], object], items: list[tuple[bytes, bytes]], secs: float
) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < secs:
        for outer, frame in items:
            fn(outer, frame)
        done += len(items)
    return done / (time.perf_counter() - start)


def main(argv: list[str]) -> int:
    secs = float(argv[0]) if argv else 0.5
    codec = Codec(get_codec("j2735").compiled, repeat_cache_size=0)  # no repeat-cache hits
    decode = codec.decode_frame
    print(f"{'wrapping':<28}{'frames':>7}{'unwrap/s':>12}{'find/s':>12}{'decode/s':>12}")
    for name, group in sorted(_groups().items()):
        items = group[:200]
        rate = _rate(lambda o, f: unwrap(o), items, secs)
        find = _rate(lambda o, f: o.find(f), items, secs)
        dec = _rate(lambda o, f: decode(f), items, secs)
        print(f"{name:<28}{len(items):>7}{rate:>12,.0f}{find:>12,.0f}{dec:>12,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
