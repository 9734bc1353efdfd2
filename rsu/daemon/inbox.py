"""The core's inputs: one bounded queue per edge, one handler per queue, one shared wake-up.

Each edge (the radio, the GNSS, each radar, each camera, cloud commands, control requests)
puts on its own ``BoundedQueue`` with its own bound, drop policy and drop counter, so a flood
on one (a BSM storm) cannot push out another's items (a GNSS alarm, a cloud command). Each
queue has exactly one handler (``handle``: ``handler(item, now, utc) -> Outputs | None``),
registered in ``build()``. Every put sets one shared ``threading.Event``; the core loop waits
on it (no polling), then takes at most ``per_queue`` items from each queue per round, in turn,
until they are empty or the batch budget is spent: a busy queue cannot starve a quiet one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rsu.queues import DROP_OLDEST, BoundedQueue
from rsu.stage import Handler

T = TypeVar("T")

PER_QUEUE = 64
"""Items taken from one queue before the next queue's turn."""

Run = Callable[[str, Handler[Any], object], object]
"""How the loop runs one item: ``run(queue name, handler, item)`` (``Daemon`` adds the clock
and the guard: ``Core.run``)."""


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One queue for status, metrics and stats (``policy`` None: not an inbox queue)."""

    depth: int
    capacity: int
    dropped: int
    policy: str | None = field(default=None, metadata={"omit_none": True})


class _Slot:
    __slots__ = ("handled", "handler", "name", "queue")

    def __init__(self, name: str, queue: BoundedQueue[Any]) -> None:
        self.name = name
        self.queue = queue
        self.handler: Handler[Any] | None = None
        self.handled = 0


class Inbox:
    """Named bounded queues sharing one wake-up event, each with its handler."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self._slots: dict[str, _Slot] = {}

    def add(self, name: str, maxsize: int, policy: str = DROP_OLDEST) -> BoundedQueue[Any]:
        """A new queue named ``name`` (unique) whose puts wake the consumer."""
        if name in self._slots:
            raise ValueError(f"queue {name!r} exists")
        queue: BoundedQueue[Any] = BoundedQueue(maxsize, policy=policy, wake=self.wake)
        self._slots[name] = _Slot(name, queue)
        return queue

    def handle(self, queue: BoundedQueue[T], handler: Handler[T]) -> None:
        """Register the one handler of ``queue`` (a queue of this inbox)."""
        slot = next((s for s in self._slots.values() if s.queue is queue), None)
        if slot is None:
            raise ValueError("not a queue of this inbox")
        if slot.handler is not None:
            raise ValueError(f"queue {slot.name!r} has a handler already")
        slot.handler = handler

    def check(self) -> None:
        """Every queue has its handler (``build`` calls this last)."""
        missing = [s.name for s in self._slots.values() if s.handler is None]
        if missing:
            raise ValueError(f"queues without a handler: {', '.join(missing)}")

    def __getitem__(self, name: str) -> BoundedQueue[Any]:
        return self._slots[name].queue

    def handled(self, prefix: str) -> int:
        """Items handled from the queues whose name starts with ``prefix``."""
        return sum(s.handled for s in self._slots.values() if s.name.startswith(prefix))

    def wait(self, timeout: float) -> bool:
        """Block until something was put (since the last ``wait``) or ``timeout`` passed.

        The event is cleared before the caller serves the queues, so a put that races with
        serving sets it again and the next ``wait`` returns at once: no wake-up is lost.
        """
        woke = self.wake.wait(timeout)
        self.wake.clear()
        return woke

    def serve(self, run: Run, budget: int, per_queue: int = PER_QUEUE) -> int:
        """Hand up to ``budget`` items to their handlers, ``per_queue`` per queue per round.

        Returns how many were handled; when the budget ran out with items left, the wake-up
        stays set so the loop comes straight back.
        """
        handled = 0
        slots = list(self._slots.values())
        while handled < budget:
            before = handled
            for slot in slots:
                for item in slot.queue.drain(min(per_queue, budget - handled)):
                    self._one(run, slot, item)
                    handled += 1
            if handled == before:
                return handled
        if any(len(s.queue) for s in slots):
            self.wake.set()
        return handled

    def drain_all(self, run: Run) -> int:
        """Handle everything queued, queue by queue (at shutdown); how many."""
        n = 0
        for slot in self._slots.values():
            for item in slot.queue.drain():
                self._one(run, slot, item)
                n += 1
        return n

    @staticmethod
    def _one(run: Run, slot: _Slot, item: object) -> None:
        slot.handled += 1
        if slot.handler is not None:
            run(slot.name, slot.handler, item)

    def stats(self) -> dict[str, QueueStats]:
        """Every queue's depth, bound, drops and drop policy."""
        return {
            name: QueueStats(len(s.queue), s.queue.maxsize, s.queue.dropped, s.queue.policy)
            for name, s in self._slots.items()
        }
