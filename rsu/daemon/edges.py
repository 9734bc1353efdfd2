"""Reader threads for the edges that have no thread of their own: CAN radars and cameras.

Each runs one blocking device and puts what it produces on its own bounded queue of the
core's ``Inbox`` (the radio and GNSS backends already run their own reader threads, each onto
its own queue of the same inbox). ``Edge`` is what the daemon needs of any of them.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from rsu.errors import SensorError
from rsu.queues import BoundedQueue
from rsu.reader import Backoff, Reader

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.perception.camera import CameraReader
    from rsu.perception.pipeline import CameraPipeline, FrameResult
    from rsu.sensors.radar import RadarDecoder, RadarScan
    from rsu.sensors.sources import CanSource

log = structlog.get_logger(__name__)


class Edge(Protocol):
    """A part of the daemon with a thread of its own: started, stopped, asked for health."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, Any]: ...


class RadarEdge(Reader):
    """A CAN radar: frames from its source, decoded to scans, onto its queue. A source that
    cannot be (re)opened is retried every second (``rsu.reader``)."""

    down_event = "can_bus_error"
    device_errors = (SensorError, OSError)

    def __init__(
        self,
        name: str,
        source: CanSource,
        decoder: RadarDecoder,
        clock: Clock,
        queue: BoundedQueue[RadarScan],
    ) -> None:
        super().__init__(Backoff(1.0, 1.0))
        self.name = self.thread_name = f"radar-{name}"
        self.source, self.decoder, self.clock = source, decoder, clock
        self.queue = queue
        self.scans = 0

    def _read(self) -> None:
        from rsu.sensors.sources import pump

        for scan in pump(self.source, self.decoder, self.clock, max_frames=64, timeout=0.2):
            self.scans += 1
            self.queue.put(scan)

    def _log_fields(self) -> dict[str, object]:
        return {"radar": self.name}

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        self.source.close()

    def health(self) -> dict[str, Any]:
        return {"running": self.running, "scans": self.scans, **self.decoder.counters.as_dict()}


class CameraEdge(Reader):
    """Grabs (its own reader thread), detects and tracks here, hands results to the core."""

    def __init__(
        self, reader: CameraReader, pipeline: CameraPipeline, queue: BoundedQueue[FrameResult]
    ) -> None:
        super().__init__(Backoff(1.0, 1.0))
        self.name = self.thread_name = f"camera-{reader.camera.config.name}"
        self.reader, self.pipeline = reader, pipeline
        self.queue = queue
        self.frames = 0
        self.paused = threading.Event()
        """Set: frames are read and dropped uninferred (the power shed order's ``camera``)."""
        self.paused_frames = 0
        self._ms = 0.0
        self._fps = 0.0
        self._window: tuple[float, int] = (time.monotonic(), 0)

    def start(self) -> None:
        self.reader.start()
        super().start()

    def _read(self) -> None:
        frame = self.reader.get(timeout=0.2)
        if frame is None:
            if self.reader.finished.is_set():
                self.wait(0.5)
            return
        if self.paused.is_set():
            self.paused_frames += 1
            return
        result = self.pipeline.process(frame)
        self.frames += 1
        self._ms = (
            result.detect_ms if self.frames == 1 else 0.9 * self._ms + 0.1 * (result.detect_ms)
        )
        self._rate()
        self.queue.put(result)

    def _rate(self) -> None:
        start, n = self._window
        now = time.monotonic()
        if now - start >= 2.0:
            self._fps = (self.frames - n) / (now - start)
            self._window = (now, self.frames)

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        self.reader.stop()

    def health(self) -> dict[str, Any]:
        cam = self.reader.camera.health()
        return {
            "running": self.running,
            "fps": round(self._fps, 2),
            "inference_ms": round(self._ms, 2),
            "frames": self.frames,
            "paused": self.paused.is_set(),
            "paused_frames": self.paused_frames,
            "dropped": self.reader.dropped,
            "connected": cam.connected,
            # what the camera itself saw: bad frames skipped, stalls and reconnects
            "skipped": cam.skipped,
            "black": cam.black,
            "corrupt": cam.corrupt,
            "duplicates": cam.duplicates,
            "stalls": cam.stalls,
            "disconnects": cam.disconnects,
            "reconnects": cam.reconnects,
            "last_error": cam.last_error,
        }
