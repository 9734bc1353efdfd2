"""The polling thread every charging-site source shares: read, hand over, wait, repeat.

A source subclass fills in ``read()`` (one blocking read of its site, bounded in time by the
source's own timeout) returning a ``SiteReading`` or a ``SiteFailure``; the base runs it every
``period_s`` on its own thread, puts each result on the bounded energy queue (full: the oldest
waiting result is dropped, counted by the queue, since a newer read supersedes it) and keeps
the counters ``health()`` reports. An exception ``read()`` did not expect is a failure
(``internal``) of that read, logged: the thread never dies of one.
"""

from __future__ import annotations

import threading
from typing import Protocol

import structlog

from rsu.clock import Clock
from rsu.energy.model import EvseStatus, SiteFailure, SiteReading
from rsu.queues import BoundedQueue

log = structlog.get_logger(__name__)
Result = SiteReading | SiteFailure
LOG_FIRST = 5
LOG_EVERY = 100


class SiteSource(Protocol):
    """What every ``[[energy.sites]] source`` backend is (structurally an ``Edge``)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, object]: ...


class PollingSource:
    """A thread calling ``read()`` every ``period_s`` (the first read at once)."""

    name = "energy"

    def __init__(
        self, site_id: str, period_s: float, clock: Clock, queue: BoundedQueue[Result]
    ) -> None:
        self.site_id = site_id
        self.period_s = period_s
        self.clock = clock
        self.queue = queue
        self.reads = 0
        self.failures: dict[str, int] = {}
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def read(self) -> Result:
        raise NotImplementedError

    def failure(self, reason: str, detail: str) -> SiteFailure:
        """A ``SiteFailure`` of this site at the clock's now."""
        return SiteFailure(
            self.site_id, reason, detail, self.clock.monotonic(), self.clock.time(), self.name
        )

    def reading(self, evses: tuple[EvseStatus, ...], operator: str = "") -> SiteReading:
        """A complete ``SiteReading`` of this site at the clock's now."""
        return SiteReading(
            self.site_id, evses, self.clock.monotonic(), self.clock.time(), self.name,
            operator=operator,
        )  # fmt: skip

    def poll_once(self) -> Result:
        """One read, counted and handed to the queue (the thread's step; tests call it)."""
        try:
            result = self.read()
        except Exception as err:  # a bug or a library's surprise: a failed read, not a dead thread
            result = self.failure("internal", f"{type(err).__name__}: {err}")
        if isinstance(result, SiteFailure):
            n = self.failures.get(result.reason, 0) + 1
            self.failures[result.reason] = n
            self.last_error = f"{result.reason}: {result.detail}"
            if n <= LOG_FIRST or n % LOG_EVERY == 0:
                log.warning(
                    "energy_read_failed", site=self.site_id, source=self.name,
                    reason=result.reason, detail=result.detail, count=n,
                )  # fmt: skip
        else:
            self.reads += 1
        self.queue.put(result)
        return result

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"energy-{self.name}-{self.site_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self.close()

    def close(self) -> None:
        """Release what ``read`` holds open (a connection); called by ``stop``."""

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.period_s)

    def health(self) -> dict[str, object]:
        return {
            "site": self.site_id,
            "source": self.name,
            "running": self._thread is not None and self._thread.is_alive(),
            "reads": self.reads,
            "failures": dict(self.failures),
            "last_error": self.last_error,
        }
