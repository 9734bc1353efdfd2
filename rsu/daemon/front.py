"""The control socket's side of the daemon (the control threads): check, then hand over.

Every request is checked here first (``rsu.daemon.requests``): a bad one is answered at once
with ``{"ok": false, "error": ...}`` and never reaches the core. ``tail`` streams from its own
bounded queue of the ``TailHub`` and ``metrics`` answers from the latest snapshot, both on the
control thread; every other command goes to the core's ``control`` queue (bounded: full means
"busy") and waits for the core thread's answer (``rsu.daemon.desk.ControlDesk``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from rsu.daemon.requests import ControlRequest, TailArgs, parse_request
from rsu.daemon.stats import Stats
from rsu.daemon.tail import TailHub
from rsu.errors import UsageError
from rsu.queues import BoundedQueue
from rsu.wire import TxLimits

CONTROL_TIMEOUT_S = 5.0
IDLE_S = 1.0
"""A tail client that got no line for this long gets an idle line (dead clients are noticed,
and a client whose filter matches nothing is not timed out)."""


class ControlFront:
    def __init__(
        self,
        queue: BoundedQueue[ControlRequest],
        tail: TailHub,
        stats: Stats,
        rsu_id: str,
        limits: TxLimits,
        stopping: Callable[[], bool],
    ) -> None:
        self.queue = queue
        self.tail = tail
        self.stats = stats
        self.rsu_id = rsu_id
        self.limits = limits
        self.stopping = stopping
        self.refused = 0

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | Iterator[dict[str, Any]]:
        """The ``ControlServer`` handler: one answer, or the lines of a stream."""
        try:
            parsed = parse_request(request, self.limits)
        except UsageError as err:
            self.refused += 1
            return {"ok": False, "error": str(err)}
        if isinstance(parsed.args, TailArgs):
            return self._tail(parsed.args)
        if parsed.cmd == "metrics":
            return {"ok": True, "snapshot": self.stats.latest().as_dict()}
        req = ControlRequest(parsed.cmd, parsed.args)
        if not self.queue.put(req):  # DROP_NEWEST: full means busy, say so now
            return {"ok": False, "error": "busy: too many control requests pending"}
        if not req.done.wait(CONTROL_TIMEOUT_S):
            return {"ok": False, "error": "the core loop did not answer (stuck?)"}
        return req.reply

    def _tail(self, args: TailArgs) -> Iterator[dict[str, Any]]:
        """Lines for ``rsu tail``; an idle line every second so dead clients are noticed."""
        sub = self.tail.subscribe()
        queue, wake = sub
        try:
            yield {"ok": True, "kind": "hello", "rsu_id": self.rsu_id}
            quiet_since = time.monotonic()
            while not self.stopping():
                woke = wake.wait(IDLE_S)
                wake.clear()
                while woke and queue:
                    item = queue.popleft()
                    if not args.types or item["type"] in args.types:
                        quiet_since = time.monotonic()
                        yield {"ok": True, "kind": "message", **item}
                if time.monotonic() - quiet_since >= IDLE_S:  # nothing for this client lately
                    quiet_since = time.monotonic()
                    yield {"ok": True, "kind": "idle"}
        finally:
            self.tail.unsubscribe(sub)
