"""``rsu replay --jobs N``: decode and record building in worker processes (issue 14.2).

Each worker gets chunks of hex lines, decodes them (framing + UPER) and makes each record's
JSON (``rsu.uplink.prepared``); this process reads the file, admits the records through the
upload policy, spools them and publishes (``Uplink.submit_prepared``). Chunks come back in
input order (``rsu.procpool``), so records keep their order per stream as with one process;
a worker that dies is counted and replaced and its chunks are decoded again (nothing lost,
nothing twice).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from rsu.errors import DecodeError
from rsu.procpool import OrderedPool
from rsu.uplink.config import UplinkConfig
from rsu.uplink.prepared import Prepared, RecordMaker
from rsu.uplink.records import Origin
from rsu.uplink.service import Uplink
from rsu.v2x.codec import Codec

CHUNK = 256
Line = tuple[int, str]
"""(line number, hex text)."""
Bad = tuple[int, str, str]
"""(line number, error, hex) of a line that did not decode."""
Result = list[tuple[Any, ...]]
"""Per line, in order: a ``Prepared`` as a plain tuple (5 fields: cheapest to pickle) or a
``Bad`` (3 fields)."""

log = structlog.get_logger("rsu.cli.replay")


def chunk_worker(codec: Codec, config: UplinkConfig) -> Callable[[list[Line]], Result]:
    """The function a worker applies to each chunk: one result per line, in order."""
    maker = RecordMaker(config)
    origin = Origin(backend="replay")

    def work(lines: list[Line]) -> Result:
        out: Result = []
        for number, text in lines:
            try:
                msg = codec.decode(bytes.fromhex(text))
            except (ValueError, DecodeError) as err:
                out.append((number, str(err), text[:512]))
                continue
            out.append(tuple(maker.prepare(msg, received_at=time.time(), origin=origin)))
        return out

    return work


def start_pool(jobs: int, codec: Codec, config: UplinkConfig) -> OrderedPool[list[Line], Result]:
    return OrderedPool(jobs, lambda: chunk_worker(codec, config))


def feed_pool(
    src: Iterable[str], pool: OrderedPool[list[Line], Result], uplink: Uplink
) -> dict[str, int]:
    """Every line through the pool into the uplink, in input order; the same counts as the
    one-process replay, plus ``worker_restarts`` (workers that died and were replaced)."""
    counts = {"lines": 0, "decoded": 0, "bad": 0, "submitted": 0}
    batch: list[Line] = []
    for line in src:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        counts["lines"] += 1
        batch.append((counts["lines"], text))
        if len(batch) >= CHUNK:
            pool.put(batch)
            batch = []
            for result in pool.ready():
                _submit(result, uplink, counts)
    if batch:
        pool.put(batch)
    for result in pool.finish():
        _submit(result, uplink, counts)
    counts["worker_restarts"] = pool.restarts
    return counts


def _submit(result: Result, uplink: Uplink, counts: dict[str, int]) -> None:
    for item in result:
        if len(item) == 3:
            counts["bad"] += 1
            number, error, text = item
            log.warning("replay_bad_frame", line=number, error=error, hex=text)
            continue
        counts["decoded"] += 1
        while not uplink.has_room():
            time.sleep(0.005)
        if uplink.submit_prepared(Prepared._make(item)):
            counts["submitted"] += 1
