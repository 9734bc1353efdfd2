"""GNSS edges that read bytes: a serial receiver (pyserial) and gpsd (TCP, raw NMEA watch).

One reader thread per source (``rsu.reader.Reader``: open, read, close) feeds the sans-I/O
``NmeaTracker`` and puts its fixes and alarms on the bounded ``events`` queue. A source that
fails is reopened every ``RETRY_S`` seconds; the tracker's silence timeout turns a dead source
into a ``loss_of_fix`` alarm.
"""

from __future__ import annotations

import contextlib
import socket

import structlog

from rsu.clock import Clock
from rsu.gnss.config import GnssConfig
from rsu.gnss.nmea import GnssEvent, GnssFix, NmeaTracker
from rsu.queues import BoundedQueue
from rsu.reader import Backoff, Reader

log = structlog.get_logger(__name__)
RETRY_S = 1.0
WATCH = b'?WATCH={"enable":true,"nmea":true};\n'


class _ReaderGnss(Reader):
    name = "reader"
    down_event = "gnss_source_down"

    def __init__(self, config: GnssConfig, clock: Clock, queue: BoundedQueue[GnssEvent]) -> None:
        from rsu.gnss import survey_of

        super().__init__(Backoff(RETRY_S, RETRY_S))
        self.thread_name = f"gnss-{self.name}"
        self._cfg = config
        self._clock = clock
        self.events = queue
        self.tracker = NmeaTracker(
            survey_of(config), config.fix_timeout_s, skip_json=self.name == "gpsd"
        )

    @property
    def failures(self) -> int:
        return self.failed

    def latest(self) -> GnssFix | None:
        return self.tracker.latest

    def _emit(self, events: list[GnssEvent]) -> None:
        for event in events:
            self.events.put(event)

    def _read(self) -> None:
        data = self._read_bytes()
        now, utc = self._clock.monotonic(), self._clock.time()
        self._emit(self.tracker.feed(data, now, utc) + self.tracker.tick(now))

    def _after_close(self) -> None:
        self._emit(self.tracker.tick(self._clock.monotonic()))  # silence -> loss_of_fix

    def _log_fields(self) -> dict[str, object]:
        return {"backend": self.name}

    def _read_bytes(self) -> bytes:
        raise NotImplementedError

    def health(self) -> dict[str, object]:
        fix = self.tracker.latest
        return {
            "backend": self.name,
            "fix": None if fix is None else fix.quality,
            "satellites": None if fix is None else fix.satellites,
            "sentences": self.tracker.stats.sentences,
            "bad": dict(self.tracker.stats.bad),
            "failures": self.failures,
            "dropped": self.events.dropped,
        }


class SerialGnss(_ReaderGnss):
    """A receiver on a serial port (``port``, ``baudrate``)."""

    name = "serial"

    def _open(self) -> None:
        import serial

        try:
            self._port = serial.Serial(self._cfg.port, self._cfg.baudrate, timeout=0.2)
        except serial.SerialException as err:
            raise OSError(str(err)) from err

    def _read_bytes(self) -> bytes:
        import serial

        try:
            data: bytes = self._port.read(max(1, self._port.in_waiting))
        except serial.SerialException as err:
            raise OSError(str(err)) from err
        return data

    def _close(self) -> None:
        port = getattr(self, "_port", None)
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        self._port = None


class GpsdGnss(_ReaderGnss):
    """gpsd on TCP (``gpsd = "host:port"``), watching raw NMEA."""

    name = "gpsd"

    def _open(self) -> None:
        self._sock: socket.socket | None = socket.create_connection(self._cfg.gpsd, timeout=2.0)
        self._sock.sendall(WATCH)
        self._sock.settimeout(0.2)

    def _read_bytes(self) -> bytes:
        assert self._sock is not None
        try:
            data = self._sock.recv(4096)
        except TimeoutError:
            return b""
        if not data:
            raise ConnectionResetError("gpsd closed the connection")
        return data

    def _close(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            sock.close()
        self._sock = None
