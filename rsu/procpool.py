"""An ordered pool of worker processes: items in, results out in the order the items went in.

The receive path past one GIL (issue 14.2): decoding and record building run in worker
processes, the spool and MQTT in the one process that owns them. What the pool keeps:

- **order**: results come out in submission order (a stream's records stay in order, whichever
  worker did them);
- **bounded**: at most ``depth`` items per worker are in flight; ``put`` collects results (and
  waits) when the window is full, so a slow consumer slows the producer, nothing piles up;
- **nothing lost, nothing twice**: a worker that dies (killed, crashed) is counted in
  ``restarts`` and replaced, and the items it held are sent again (a result only counts once
  it has arrived whole, so none is duplicated). An item that has now killed ``MAX_TRIES``
  workers is done in this process instead (where a Python error surfaces to the caller),
  so a poisonous item cannot loop forever.

Workers are forked (the caller's compiled state, e.g. a codec, is inherited, not rebuilt);
``make`` runs once in each worker and returns the function applied to each item. Fork while
other threads run is safe here as far as the worker only runs ``make``'s function (no locks
of the parent's threads are taken in the child). Linux only (``fork``).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

I = TypeVar("I")  # noqa: E741 (item)
O = TypeVar("O")  # noqa: E741 (result)

MAX_TRIES = 2
"""Workers an item may take down before it is done in the pool's own process."""
DEPTH = 2


@dataclass(slots=True)
class _Worker:
    proc: Any
    conn: Connection
    inflight: deque[int] = field(default_factory=deque)
    """Seqs sent to this worker and not yet answered, oldest first."""


def _serve(conn: Connection, make: Callable[[], Callable[[Any], Any]]) -> None:
    fn = make()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        seq, item = msg
        try:
            conn.send((seq, True, fn(item)))
        except Exception as err:  # reported, the item is done in the parent (which raises)
            conn.send((seq, False, repr(err)))


class OrderedPool(Generic[I, O]):
    def __init__(self, jobs: int, make: Callable[[], Callable[[I], O]], depth: int = DEPTH) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.jobs = jobs
        self.depth = depth
        self.restarts = 0
        """Workers that died and were replaced."""
        self.local = 0
        """Items done in this process after killing ``MAX_TRIES`` workers."""
        self._make = make
        self._fn: Callable[[I], O] | None = None
        self._ctx = multiprocessing.get_context("fork")
        self._items: dict[int, I] = {}
        self._tries: dict[int, int] = {}
        self._done: dict[int, O] = {}
        self._next_seq = 0
        self._next_out = 0
        gc.freeze()  # the inherited state stays shared: the workers' GC does not copy it
        try:
            self._workers = [self._spawn() for _ in range(jobs)]
        finally:
            gc.unfreeze()

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers]

    @property
    def pending(self) -> int:
        """Items put and not yet returned by ``ready``/``finish``."""
        return self._next_seq - self._next_out

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_serve, args=(child, self._make), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def put(self, item: I) -> None:
        """Hand ``item`` to the least busy worker; waits (collecting results) while every
        worker has ``depth`` items."""
        while True:
            free = min(self._workers, key=lambda w: len(w.inflight))
            if len(free.inflight) < self.depth:
                break
            self._collect(None)
        seq = self._next_seq
        self._next_seq += 1
        self._items[seq] = item
        self._send(free, seq)

    def _send(self, worker: _Worker, seq: int) -> None:
        worker.inflight.append(seq)
        with contextlib.suppress(OSError, EOFError):  # it died: the sentinel will show it,
            worker.conn.send((seq, self._items[seq]))  # and its items go to the next worker

    def ready(self) -> Iterator[O]:
        """Results available now, in order (collects without waiting first)."""
        self._collect(0.0)
        return self._pop_ready()

    def _pop_ready(self) -> Iterator[O]:
        while self._next_out in self._done:
            result = self._done.pop(self._next_out)
            self._next_out += 1
            yield result

    def finish(self) -> Iterator[O]:
        """Every remaining result, in order (waits for them)."""
        while self.pending:
            yield from self._pop_ready()
            if self.pending:
                self._collect(None)

    def _collect(self, timeout: float | None) -> None:
        conns = {w.conn: w for w in self._workers}
        sentinels = {w.proc.sentinel: w for w in self._workers}
        for obj in wait([*conns, *sentinels], timeout):
            worker = conns.get(obj) or sentinels.get(obj)  # type: ignore[call-overload]
            if worker is None or worker not in self._workers:
                continue
            if obj in conns:
                self._receive(worker)
            elif not worker.conn.poll():
                self._replace(worker)

    def _receive(self, worker: _Worker) -> None:
        while True:
            try:
                if not worker.conn.poll():
                    return
                seq, ok, result = worker.conn.recv()
            except (EOFError, OSError):
                self._replace(worker)
                return
            worker.inflight.remove(seq)
            item = self._items.pop(seq)
            self._tries.pop(seq, None)
            self._done[seq] = result if ok else self._run_here(item)

    def _replace(self, dead: _Worker) -> None:
        """A worker died: count it, start another, send its items again (or do them here)."""
        self.restarts += 1
        dead.proc.join(timeout=1.0)
        dead.conn.close()
        index = self._workers.index(dead)
        fresh = self._spawn()
        self._workers[index] = fresh
        for i, seq in enumerate(dead.inflight):
            if i > 0:  # a worker does its items in order: only the oldest was being done
                self._send(fresh, seq)
                continue
            tries = self._tries[seq] = self._tries.get(seq, 0) + 1
            if tries >= MAX_TRIES:
                self.local += 1
                self._tries.pop(seq)
                self._done[seq] = self._run_here(self._items.pop(seq))
            else:
                self._send(fresh, seq)

    def _run_here(self, item: I) -> O:
        if self._fn is None:
            self._fn = self._make()
        return self._fn(item)

    def close(self) -> None:
        """Stop the workers (items still in flight are abandoned: ``finish`` first)."""
        for w in self._workers:
            with contextlib.suppress(OSError, EOFError):
                w.conn.send(None)
        for w in self._workers:
            w.proc.join(timeout=2.0)
            if w.proc.is_alive():
                os.kill(w.proc.pid, 9)
                w.proc.join(timeout=1.0)
            w.conn.close()

    def __enter__(self) -> OrderedPool[I, O]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
