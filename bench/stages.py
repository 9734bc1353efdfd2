"""What costs what on the receive path: time per record, stage by stage (issue 14.4).

    .venv/bin/python bench/stages.py [--records 20000] [--json]

Over distinct real BSMs as captured (``bench/decode_command.py`` makes them) and the real
corpus mix of ../shared/vectors, one process, one core, public APIs only:

| stage | what is timed |
|---|---|
| framing | ``rsu.v2x.framing.unwrap`` of the bytes as received (WSMP / IEEE 1609.2) |
| decode | ``Codec.decode_frame`` of the bare frame (fast path, repeat cache off) |
| record | ``rsu.uplink.records.message_body`` (the uplink's JSON-ready record) |
| json | ``rsu.uplink.packing.encode_body`` of that record |
| compression | ``zlib.compress(level 1)`` of rows of 100 records joined by ``SEPARATOR``, as the
  spool stores them |
| sqlite | ``Spool.append`` of 100 records a call (its JSON and compression subtracted) |
| publish | ``Uplink.submit_message`` (default policy: batched per type) to a local mosquitto
  until every record is acknowledged (QoS 1), minus the record and spool shares above: the
  MQTT side and the uplink thread |
| ipc | what ``rsu replay --jobs`` adds: a chunk of 256 records made ahead
  (``rsu.uplink.prepared``) pickled in the worker and unpickled in the uplink's process |

Each stage reports µs per record and its share of the sum, so the next bottleneck shows.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.decode_command import distinct_bsms  # noqa: E402
from rsu.uplink.config import read_uplink_config  # noqa: E402
from rsu.uplink.packing import SEPARATOR, encode_body  # noqa: E402
from rsu.uplink.prepared import RecordMaker  # noqa: E402
from rsu.uplink.records import Record, RecordIds, message_body  # noqa: E402
from rsu.uplink.service import Uplink  # noqa: E402
from rsu.uplink.spool import Spool  # noqa: E402
from rsu.v2x import framing  # noqa: E402
from rsu.v2x.asn1 import compile_standard  # noqa: E402
from rsu.v2x.codec import Codec  # noqa: E402
from rsu.v2x.standards import get_standard  # noqa: E402
from tests.conftest import Broker  # noqa: E402
from tests.v2x.vectors import load  # noqa: E402

ROW = 100


def per_item(fn: Callable[[Any], object], items: Sequence[Any], repeat: int = 3) -> float:
    """Best of ``repeat`` passes: µs per item."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def _rows(items: Sequence[Any], size: int = ROW) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def stages(inputs: list[bytes], tmp: Path, broker_url: str) -> dict[str, float]:
    codec = Codec(compile_standard(get_standard("j2735")), repeat_cache_size=0)
    ids = RecordIds()
    frames = [framing.unwrap(data).frame for data in inputs]
    messages = [codec.decode(data) for data in inputs]
    bodies = [
        message_body(m, record_id=ids.next(1e9), rsu_id="bench", received_at=1e9) for m in messages
    ]
    parts = [encode_body(b) for b in bodies]
    records = [
        Record(b["id"], f"v2x/{m.short_name}", b) for b, m in zip(bodies, messages, strict=True)
    ]
    out: dict[str, float] = {}
    out["framing"] = per_item(framing.unwrap, inputs)
    out["decode"] = per_item(codec.decode_frame, frames)
    out["record"] = per_item(
        lambda m: message_body(m, record_id="x", rsu_id="bench", received_at=1e9), messages
    )
    out["json"] = per_item(encode_body, bodies)
    rows = [SEPARATOR.join(r) for r in _rows(parts)]
    out["compression"] = per_item(lambda row: zlib.compress(row, 1), rows) / ROW
    spool = Spool(tmp / "stages.db")
    batches = _rows(records)
    start = time.perf_counter()
    for batch in batches:
        spool.append(batch, 1e9)
    append = (time.perf_counter() - start) / len(records) * 1e6
    spool.close()
    out["sqlite"] = max(append - out["json"] - out["compression"], 0.0)
    uplink = _publish(messages, tmp, broker_url)
    out["publish"] = max(uplink - append - out["record"], 0.0)
    maker = RecordMaker(read_uplink_config({"rsu": {"id": "bench"}, "uplink": {}}))
    ahead = [tuple(maker.prepare(m, received_at=1e9)) for m in messages]
    out["ipc"] = per_item(lambda c: pickle.loads(pickle.dumps(c, 5)), _rows(ahead, 256)) / 256
    return out


def _publish(messages: list[Any], tmp: Path, broker_url: str) -> float:
    """µs per message through ``Uplink.submit_message`` (the policy's batching) to PUBACK."""
    table = {
        "broker": broker_url,
        "spool_path": str(tmp / "publish.db"),
        "heartbeat_s": 0.0,
        "running_info_s": 0.0,
        "spool_max_mb": 2000.0,
    }
    up = Uplink(read_uplink_config({"rsu": {"id": "bench"}, "uplink": table}))
    up.start()
    try:
        deadline = time.monotonic() + 10
        while not up.stats().connected and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.perf_counter()
        for message in messages:
            while not up.has_room():
                time.sleep(0.0005)
            up.submit_message(message)
        if not up.wait_drained(300):
            raise RuntimeError("the broker did not acknowledge every record")
        elapsed = time.perf_counter() - start
        accepted = up.stats().accepted
        if accepted != len(messages):
            raise RuntimeError(f"the upload policy held back {len(messages) - accepted} records")
        return elapsed / len(messages) * 1e6
    finally:
        up.stop()


def report(name: str, us: dict[str, float]) -> str:
    total = sum(us.values())
    lines = [f"{name}: {total:.1f} us per record, {1e6 / total:,.0f} records/s on one core", ""]
    lines += ["| stage | us/record | share |", "|---|---:|---:|"]
    lines += [f"| {k} | {v:.1f} | {100 * v / total:.0f} % |" for k, v in us.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _, captured = distinct_bsms(args.records)
    mix = [bytes.fromhex(f.get("outer_hex") or f["hex"]) for f in load("j2735_real.jsonl")]
    results = {}
    with tempfile.TemporaryDirectory(prefix="rsu-bench-stages-") as tmp:
        broker = Broker(Path(tmp))
        broker.start()
        try:
            bsms = [bytes.fromhex(h) for h in captured]
            results["distinct BSMs as captured"] = stages(bsms, Path(tmp) / "a", broker.url)
            corpus = (mix * (args.records // len(mix) + 1))[: args.records]
            results["corpus mix (81 % BSM, TIM, SPaT, MAP...)"] = stages(
                corpus, Path(tmp) / "b", broker.url
            )
        finally:
            broker.stop()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("\n\n".join(report(name, us) for name, us in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
