"""The per-line pipeline of ``rsu decode``: input item -> decode -> stages -> one JSON line.

``LineDecoder`` is built once per process from ``DecodeOptions`` (which pickle, so worker
processes build their own) and turns a chunk of items into the bytes of their output lines.
Between decoding and rendering runs a tuple of *stages*: each sees the message and the record
about to be printed, may add to the record and returns whether the line is good. A new step
(say, IEEE 1609.2 verification) is one more option field and one more stage in ``_stages``; it
then runs in every worker of ``--jobs`` as well.

``run_parallel`` spreads chunks over worker processes with a bounded window and writes the
results in input order.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, Protocol

from rsu.cli.inputs import parse_hex
from rsu.errors import DecodeError
from rsu.registry import DEFAULT_MESSAGE_SET
from rsu.v2x.message import V2xMessage

try:
    import orjson
except ImportError:  # pragma: no cover - orjson ships with the mqtt extra
    orjson = None  # type: ignore[assignment]

CHUNK = 256
"""Input items per unit of work (one round trip to a worker)."""
MAX_JOBS = 64


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    standard: str = DEFAULT_MESSAGE_SET
    unwrap: bool = True
    fmt: str = "jer"
    verify_trust: str | None = None
    """``--verify``: the IEEE 1609.2 trust directory (None: no verification)."""
    verify_at: float | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One input that is not a hex text line: bytes (from a capture), or why there are none."""

    data: bytes | None
    origin: dict[str, Any] | None = None
    error: str | None = None


Input = str | Item
"""A hex text line (parsed where it is decoded, so parsing runs in the workers too) or an Item."""


class Stage(Protocol):
    """A step after decoding: add to ``record`` (in place); ``False`` fails the line.
    ``data`` is the item's bytes as given; ``message`` is None when they did not decode (a
    stage may still have something to say, as verification does)."""

    def __call__(
        self, data: bytes, message: V2xMessage | None, record: dict[str, Any], /
    ) -> bool: ...


def _stages(options: DecodeOptions) -> tuple[Stage, ...]:
    """The stages ``options`` ask for."""
    stages: list[Stage] = []
    if options.verify_trust is not None:
        from rsu.security.setup import verify_stage

        stages.append(verify_stage(options.verify_trust, options.verify_at))
    return tuple(stages)


def _hex(text: str) -> tuple[bytes | None, str | None]:
    """The bytes of a hex line, or why there are none (``parse_hex`` explains; most lines are
    plain hex, which ``bytes.fromhex`` takes at once)."""
    try:
        data = bytes.fromhex(text)
    except ValueError:
        data = b""
    if data:
        return data, None
    try:
        return parse_hex(text), None
    except ValueError as err:
        return None, str(err)


def dumps(record: dict[str, Any]) -> bytes:
    """One output line: compact JSON, UTF-8, newline-terminated."""
    if orjson is not None:
        try:
            return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # an INTEGER beyond 64 bits: the stdlib encoder takes any int
            pass
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


class LineDecoder:
    """Decode items of one standard into output lines (one per item, in order)."""

    def __init__(self, options: DecodeOptions) -> None:
        from rsu.cli.decode import renderer
        from rsu.v2x.codec import get_codec

        self.options = options
        self.codec = get_codec(options.standard)
        self.render: Callable[[V2xMessage], dict[str, Any]] = renderer(options.fmt)
        self.stages = _stages(options)

    def record(self, item: Input) -> tuple[dict[str, Any], bool]:
        """The JSON object printed for ``item`` and whether it decoded (and passed every stage)."""
        origin = None
        if isinstance(item, str):
            data, error = _hex(item)
        else:
            data, error, origin = item.data, item.error, item.origin
        if data is None:
            record: dict[str, Any] = {"error": {"kind": "InputError", "reason": error}}
            ok = False
        else:
            message: V2xMessage | None = None
            try:
                message = self.codec.decode(data, unwrap=self.options.unwrap)
            except DecodeError as err:
                record, ok = {"error": err.as_dict()}, False
            else:
                record, ok = self.render(message), True
            for stage in self.stages:  # every stage runs, even after one has failed
                ok = stage(data, message, record) and ok
        if origin is not None:
            record["capture"] = origin
        return record, ok

    def chunk(self, items: list[Input]) -> tuple[bytes, int]:
        """The output lines of ``items`` and how many of them failed."""
        out = []
        failed = 0
        for item in items:
            record, ok = self.record(item)
            failed += not ok
            out.append(dumps(record))
        return b"".join(out), failed


def chunks(items: Iterable[Input], size: int = CHUNK) -> Iterator[list[Input]]:
    batch: list[Input] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_jobs() -> int:
    """The cores this process may run on (``taskset`` and cgroups respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_lines(
    options: DecodeOptions, items: Iterable[Input], out: IO[bytes], jobs: int, stream: bool = False
) -> int:
    """Decode ``items`` into ``out`` in input order; return how many lines failed.

    ``stream``: each line is written (and flushed) as soon as its input arrived, in this
    process: for a pipe such as a live capture, where a chunk could wait for minutes.
    """
    decoder = LineDecoder(options)  # compiled before any fork: workers inherit it
    if stream:
        failed = 0
        for item in items:
            blob, bad = decoder.chunk([item])
            out.write(blob)
            out.flush()
            failed += bad
        return failed
    batches = chunks(items)
    first = next(batches, None)
    if first is None:
        return 0
    second = next(batches, None)
    if jobs <= 1 or second is None:
        failed = 0
        for batch in itertools.chain([first], [second] if second else [], batches):
            blob, bad = decoder.chunk(batch)
            out.write(blob)
            failed += bad
        return failed
    return _run_parallel(options, [first, second], batches, out, jobs)


_WORKER: LineDecoder | None = None


def _init_worker(options: DecodeOptions) -> None:
    global _WORKER  # noqa: PLW0603 (one decoder per worker process)
    _WORKER = LineDecoder(options)


def _work(batch: list[Input]) -> tuple[bytes, int]:
    assert _WORKER is not None
    return _WORKER.chunk(batch)


def _run_parallel(
    options: DecodeOptions,
    head: list[list[Input]],
    rest: Iterator[list[Input]],
    out: IO[bytes],
    jobs: int,
) -> int:
    """Chunks to the workers, their lines back here and out in input order. (Workers writing
    their own chunks to the output in turn, which spares this process reading and writing
    the output, was measured slower on this shared machine: a worker whose chunk is done
    waits for its turn instead of decoding the next one.)"""
    import gc
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    failed = 0
    window: deque[Future[tuple[bytes, int]]] = deque()
    gc.freeze()  # the compiled codec stays shared: the workers' GC does not copy its pages
    try:
        with ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_init_worker, initargs=(options,)
        ) as pool:
            for batch in itertools.chain(head, rest):
                window.append(pool.submit(_work, batch))
                if len(window) >= 2 * jobs:  # bounded: at most this many chunks in flight
                    failed += _drain_one(window, out)
            while window:
                failed += _drain_one(window, out)
    finally:
        gc.unfreeze()
    return failed


def _drain_one(window: deque[Future[tuple[bytes, int]]], out: IO[bytes]) -> int:
    blob, bad = window.popleft().result()
    out.write(blob)
    return bad
