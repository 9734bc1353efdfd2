"""Decoded-message summaries for ``rsu tail`` clients: one bounded deque per client.

The core publishes (core thread); each client's control thread reads its own deque. A slow
client loses its oldest lines, counted in ``dropped``.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class TailHub:
    """Decoded-message summaries for ``rsu tail`` clients; each client a bounded deque."""

    def __init__(self, maxlen: int) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[deque[dict[str, Any]], threading.Event]] = []
        self._maxlen = maxlen
        self.dropped = 0

    def subscribe(self) -> tuple[deque[dict[str, Any]], threading.Event]:
        sub: tuple[deque[dict[str, Any]], threading.Event] = (
            deque(maxlen=self._maxlen),
            threading.Event(),
        )
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: tuple[deque[dict[str, Any]], threading.Event]) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def active(self) -> bool:
        return bool(self._subs)

    def publish(self, item: dict[str, Any]) -> None:
        with self._lock:
            for q, ev in self._subs:
                if len(q) == q.maxlen:
                    self.dropped += 1
                q.append(item)
                ev.set()

    def __len__(self) -> int:
        return len(self._subs)

    def depth(self) -> int:
        """Lines waiting for all clients together."""
        with self._lock:
            return sum(len(q) for q, _ in self._subs)
