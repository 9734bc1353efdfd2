"""Bounded queues on the floor: the hand-over from a reader thread to the core loop.

Every queue in the RSU is a ``BoundedQueue``: a bound, a drop policy (``DROP_OLDEST`` for
fresh data, ``DROP_NEWEST`` for requests whose sender waits for an answer) and a drop counter.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


DROP_OLDEST = "drop_oldest"
"""When full, the oldest item makes room for the new one (fresh V2X data wins)."""
DROP_NEWEST = "drop_newest"
"""When full, the new item is refused (``put`` returns False: the sender can say "busy")."""


class BoundedQueue(Generic[T]):
    """Thread-safe FIFO with a bound, a drop policy and a drop counter.

    By default (``DROP_OLDEST``) the oldest item is dropped when full: a BSM is stale after
    100 ms, so the freshest data is kept. ``DROP_NEWEST`` refuses the new item instead, for
    requests whose sender is waiting for an answer. ``wake``, when given, is set on every put:
    one event shared by several queues lets one consumer wait on all of them at once.
    """

    def __init__(
        self,
        maxsize: int = 1024,
        *,
        policy: str = DROP_OLDEST,
        wake: threading.Event | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        if policy not in (DROP_OLDEST, DROP_NEWEST):
            raise ValueError(f"unknown drop policy {policy!r}")
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._wake = wake
        self.policy = policy
        self.dropped = 0
        self.put_count = 0

    @property
    def maxsize(self) -> int:
        return self._maxsize

    def put(self, item: T) -> bool:
        """Add ``item``; False when an item was dropped for it (or, ``DROP_NEWEST``, it was)."""
        with self._cond:
            full = len(self._items) >= self._maxsize
            if full:
                self.dropped += 1
                if self.policy == DROP_NEWEST:
                    return False
                self._items.popleft()
            self._items.append(item)
            self.put_count += 1
            self._cond.notify()
        if self._wake is not None:
            self._wake.set()
        return not full

    def get(self, timeout: float | None = None) -> T | None:
        """The oldest item, waiting up to ``timeout`` seconds; ``None`` if nothing came."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def drain(self, limit: int | None = None) -> list[T]:
        """Everything queued (up to ``limit``), without waiting."""
        with self._cond:
            n = len(self._items) if limit is None else min(limit, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
