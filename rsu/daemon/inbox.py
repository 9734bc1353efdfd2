"""The core's inputs: one bounded queue per edge, one shared wake-up, served in turn.

Each edge (the radio, the GNSS, each radar, each camera, cloud commands, control requests)
puts on its own ``BoundedQueue`` with its own bound, drop policy and drop counter, so a flood
on one (a BSM storm) cannot push out another's items (a GNSS alarm, a cloud command). Every
put sets one shared ``threading.Event``; the core loop waits on it (no polling), then takes
at most ``per_queue`` items from each queue per round, in turn, until they are empty or the
batch budget is spent: a busy queue cannot starve a quiet one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from rsu.queues import DROP_OLDEST, BoundedQueue

PER_QUEUE = 64
"""Items taken from one queue before the next queue's turn."""


class Inbox:
    """Named bounded queues sharing one wake-up event."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self._queues: dict[str, BoundedQueue[Any]] = {}

    def add(self, name: str, maxsize: int, policy: str = DROP_OLDEST) -> BoundedQueue[Any]:
        """A new queue named ``name`` (unique) whose puts wake the consumer."""
        if name in self._queues:
            raise ValueError(f"queue {name!r} exists")
        queue: BoundedQueue[Any] = BoundedQueue(maxsize, policy=policy, wake=self.wake)
        self._queues[name] = queue
        return queue

    def __getitem__(self, name: str) -> BoundedQueue[Any]:
        return self._queues[name]

    def __iter__(self) -> Iterator[tuple[str, BoundedQueue[Any]]]:
        return iter(list(self._queues.items()))

    def wait(self, timeout: float) -> bool:
        """Block until something was put (since the last ``wait``) or ``timeout`` passed.

        The event is cleared before the caller serves the queues, so a put that races with
        serving sets it again and the next ``wait`` returns at once: no wake-up is lost.
        """
        woke = self.wake.wait(timeout)
        self.wake.clear()
        return woke

    def serve(
        self, handle: Callable[[object], None], budget: int, per_queue: int = PER_QUEUE
    ) -> int:
        """Hand up to ``budget`` items to ``handle``, ``per_queue`` per queue per round.

        Returns how many were handled; when the budget ran out with items left, the wake-up
        stays set so the loop comes straight back.
        """
        handled = 0
        queues = list(self._queues.values())
        while handled < budget:
            before = handled
            for queue in queues:
                for item in queue.drain(min(per_queue, budget - handled)):
                    handle(item)
                    handled += 1
            if handled == before:
                return handled
        if any(len(q) for q in queues):
            self.wake.set()
        return handled

    def drain_all(self) -> list[object]:
        """Everything queued, queue by queue (at shutdown)."""
        return [item for queue in self._queues.values() for item in queue.drain()]

    def stats(self) -> dict[str, dict[str, Any]]:
        """``{name: {depth, capacity, dropped, policy}}`` for status, metrics and stats."""
        return {
            name: {
                "depth": len(q),
                "capacity": q.maxsize,
                "dropped": q.dropped,
                "policy": q.policy,
            }
            for name, q in self._queues.items()
        }
