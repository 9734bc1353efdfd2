"""One base for the threads at the edges: open, read, close, and what happens when it fails.

Every edge that owns a blocking device (the radio backends, the GNSS receivers, CAN radars,
cameras) runs one reader thread. :class:`Reader` writes that thread once, the way python-can's
``BusABC`` writes ``recv()`` once around each backend's ``_recv_internal()``: a backend fills in
three small hooks and gets start/stop, failure counting, logging, health and reopening with
the one :class:`Backoff` for free.

- ``_open()`` opens the device (raise one of ``device_errors`` when it cannot be opened now);
- ``_read()`` reads once (blocking at most a short timeout) and hands what it read on;
- ``_close()`` releases the device (called after every failure and at stop; never raises).

A failure named in ``device_errors`` (a device gone: ``OSError`` by default) is counted, logged as
``down_event`` with the error and the delay, the device is closed and opened again after the
backoff's next delay; the delay starts over once a read succeeded after an open. Any other
exception is a bug: counted and logged with its traceback (``edge_failed``), then handled the
same way, so a reader thread never dies silently.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, ClassVar

import structlog

log = structlog.get_logger(__name__)


class Backoff:
    """Exponential backoff, the one used by every edge and the uplink: the n-th delay is
    ``d = min(max_s, max(floor_s, min_s * 2**n))`` (``floor_s`` from the second delay on, so
    a zero ``min_s`` does not spin), scaled into ``[d/2, d]`` by ``draw`` ("equal jitter").
    Pure: the random draw is passed in; ``draw=1.0`` (the default) means no jitter.

    >>> b = Backoff(0.5, 4.0)
    >>> [b.next() for _ in range(5)]
    [0.5, 1.0, 2.0, 4.0, 4.0]
    >>> b.reset(); b.next(0.0)
    0.25
    """

    def __init__(self, min_s: float, max_s: float, floor_s: float = 0.0) -> None:
        self.min_s = min_s
        self.max_s = max(max_s, min_s)
        self.floor_s = floor_s
        self.attempt = 0

    def next(self, draw: float = 1.0) -> float:
        d: float = self.min_s * float(2 ** min(self.attempt, 30))
        if self.attempt > 0:
            d = max(d, self.floor_s)
        d = min(self.max_s, d)
        self.attempt += 1
        return d / 2 + d / 2 * draw

    def reset(self) -> None:
        self.attempt = 0


class Reader:
    """A named reader thread around ``_open`` / ``_read`` / ``_close`` (see the module)."""

    thread_name: str = "reader"
    down_event: str = "edge_down"
    """The log event of a device failure (``radio_link_down``, ``gnss_source_down``...)."""
    device_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.backoff = backoff or Backoff(1.0, 1.0)
        self.failed = 0
        """Failures of the device (each followed by a reopen after the backoff's delay)."""
        self.errors = 0
        """Unexpected exceptions in the hooks (bugs), counted apart from device failures."""
        self.reopens = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._read_since_open = False

    # --- the hooks ------------------------------------------------------------------------

    def _open(self) -> None:
        """Open the device; raise one of ``device_errors`` when it cannot be opened now."""

    def _read(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Release the device (after a failure and at stop); must not raise."""

    def _log_fields(self) -> dict[str, Any]:
        """What names the device in the logs (``port=...``, ``backend=...``)."""
        return {}

    # --- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        self._safe_close()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (at once) when the reader is being stopped."""
        return self._stop.wait(seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._open()
                self._read_since_open = False
                while not self._stop.is_set():
                    self._read()
                    if not self._read_since_open:
                        self._read_since_open = True
                        self.backoff.reset()
            except self.device_errors as err:
                self._on_failure(err, unexpected=False)
            except Exception as err:  # a bug must not end the thread: counted, logged, retried
                self._on_failure(err, unexpected=True)
            self._safe_close()
            if self._stop.is_set():
                return
            self._after_close()
            if self._stop.wait(self._delay):
                return
            self.reopens += 1

    def _on_failure(self, err: BaseException, *, unexpected: bool) -> None:
        self._delay = self.backoff.next()
        self.last_error = str(err)
        if unexpected:
            self.errors += 1
            log.error(
                "edge_failed",
                edge=self.thread_name,
                error=repr(err),
                count=self.errors,
                exc_info=err,
            )
            return
        self.failed += 1
        if self._report(err):
            log.warning(self.down_event, error=str(err), retry_s=self._delay, **self._log_fields())

    def _report(self, err: BaseException) -> bool:
        """Whether to log this failure (a backend may keep quiet about repeats)."""
        return True

    def _after_close(self) -> None:
        """Called after the device was closed following a failure (before the delay)."""

    def _safe_close(self) -> None:
        with contextlib.suppress(Exception):
            self._close()

    def reader_health(self) -> dict[str, object]:
        """The fields every reader has in its ``health()``."""
        return {
            "running": self.running,
            "failures": self.failed,
            "reopens": self.reopens,
            "last_error": self.last_error,
        }

    _delay: float = 0.0
