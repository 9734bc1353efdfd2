"""Camera sources: files, RTSP/HTTP streams and V4L2 devices through OpenCV, plus ``sim``.

The I/O edge is ``VideoBackend`` (open/grab/retrieve/release, a few methods); ``Camera`` holds
the logic every backend shares, once:

- pacing: a per-camera ``target_fps``; frames that come too early are grabbed but not decoded
  into images (``skipped``);
- capture timestamps: live sources stamp each frame from the clock when it is grabbed; files
  stamp it with the media position (start time + index / fps), so replays are repeatable;
- health: black frames, corrupt frames (no image, wrong shape) and exact duplicates (a frozen
  encoder) are counted, logged once per connection and skipped; a live source that stops
  delivering (``stall_timeout_s`` without a new frame) or fails to grab is a disconnect and is
  reopened with exponential back-off. None of it raises: only a file that does not exist or
  cannot be opened at start-up is a ``CameraError``.

``Camera.read()`` returns the next frame to process, or ``None`` when a file has ended (or the
camera was closed). ``CameraReader`` runs a camera in a thread behind a bounded queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import structlog

from rsu.clock import Clock, SystemClock
from rsu.config.fields import Table
from rsu.errors import CameraError
from rsu.perception.types import Frame, Image
from rsu.queues import BoundedQueue
from rsu.reader import Backoff
from rsu.registry import load

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """``[[perception.cameras]]``: one camera."""

    name: str = "cam0"
    source: str = ""
    """A file path, ``rtsp://``/``http(s)://`` URL, ``/dev/videoN`` or ``sim://...``."""
    backend: str = "opencv"
    target_fps: float = 0.0
    """Frames per second to deliver; 0 delivers every frame."""
    loop: bool = False
    """Files only: start again at the end (demos, HIL)."""
    realtime: bool = True
    """Files only: deliver frames at the video's own pace, as the camera that recorded it
    would (the daemon); false reads as fast as the pipeline goes (``rsu camera detect``)."""
    stall_timeout_s: float = 5.0
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 10.0
    black_level: float = 10.0
    """A frame whose mean brightness is below this (0..255) and nearly uniform is black."""
    calibration: str = ""
    """Path of the calibration points file (``rsu.perception.calibration``); empty: none."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        d = cls()
        source = t.string("source")
        cfg = cls(
            name=t.string("name", d.name),
            source=source,
            backend=t.string(
                "backend", "sim" if source.startswith("sim:") else "opencv", tuple(CAMERA_BACKENDS)
            ),
            target_fps=t.number("target_fps", d.target_fps, lo=0.0),
            loop=t.boolean("loop", d.loop),
            realtime=t.boolean("realtime", d.realtime),
            stall_timeout_s=t.number("stall_timeout_s", d.stall_timeout_s, lo=0.1),
            reconnect_initial_s=t.number("reconnect_initial_s", d.reconnect_initial_s, lo=0.0),
            reconnect_max_s=t.number("reconnect_max_s", d.reconnect_max_s, lo=0.0),
            black_level=t.number("black_level", d.black_level, lo=0.0, hi=255.0),
            calibration=t.string("calibration", d.calibration),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """Counters and state for health reports (``rsu status``, MQTT health)."""

    name: str
    connected: bool
    frames: int
    skipped: int
    black: int
    corrupt: int
    duplicates: int
    stalls: int
    disconnects: int
    reconnects: int
    last_frame_time: float | None
    last_error: str


class VideoBackend(Protocol):
    """The I/O edge of one camera. ``grab`` fetches the next frame, ``retrieve`` decodes it."""

    live: bool
    """True for streams and devices, False for files (seekable, media-time stamps)."""

    def open(self) -> bool: ...

    def grab(self) -> bool: ...

    def retrieve(self) -> Image | None: ...

    def fps(self) -> float: ...

    def seek(self, index: int) -> bool: ...

    def release(self) -> None: ...


CAMERA_BACKENDS: dict[str, tuple[str, str]] = {
    "opencv": ("rsu.perception.opencv_source", "OpenCvBackend"),
    "sim": ("rsu.perception.sim", "SimBackend"),
}


def create_backend(config: CameraConfig) -> VideoBackend:
    cls = load(CAMERA_BACKENDS, config.backend, "camera", extra="vision")
    backend: VideoBackend = cls(config.source, timeout_s=config.stall_timeout_s)
    return backend


class Camera:
    """One camera: pacing, timestamps, health and reconnects around a ``VideoBackend``."""

    def __init__(
        self,
        config: CameraConfig,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], object] | None = None,
        backend: VideoBackend | None = None,
    ) -> None:
        self.config = config
        self._clock = clock or SystemClock()
        self._closed = threading.Event()
        # Back-off waits end early when the camera is closed from another thread.
        self._sleep = sleep or self._closed.wait
        self._backend = backend or create_backend(config)
        self._counts = dict.fromkeys(
            ("frames", "skipped", "black", "corrupt", "duplicates", "stalls", "disconnects"), 0
        )
        self._reconnects = 0
        self._connected = False
        self._last_error = ""
        self._logged: set[str] = set()
        self._index = -1
        self._next_due = float("-inf")
        self._last_good = 0.0
        self._last_sig = b""
        self._last_time: float | None = None
        self._open_first()

    @property
    def live(self) -> bool:
        """True for streams and devices, False for files."""
        return self._backend.live

    # -- connection ------------------------------------------------------------------------

    def _open_first(self) -> None:
        if not self._backend.live:
            if not Path(self.config.source).exists():
                raise CameraError(f"camera {self.config.name}: no such file: {self.config.source}")
            if not self._backend.open():
                raise CameraError(f"camera {self.config.name}: cannot open {self.config.source}")
            self._on_connected()
        elif self._backend.open():
            self._on_connected()
        else:
            self._fail("open_failed")

    def _on_connected(self) -> None:
        self._connected = True
        self._pace_anchor: tuple[float, float] | None = None
        self._logged.clear()
        self._t0_wall = self._clock.time()
        self._t0_mono = self._clock.monotonic()
        self._last_good = self._clock.monotonic()
        self._fps = self._backend.fps() or 25.0

    def _fail(self, reason: str) -> None:
        if self._connected:
            self._counts["disconnects"] += 1
        self._connected = False
        self._last_error = reason
        log.warning("camera_disconnected", camera=self.config.name, reason=reason)
        self._backend.release()

    def _reconnect(self) -> bool:
        """Reopen a live source with exponential back-off; False once the camera is closed."""
        backoff = Backoff(self.config.reconnect_initial_s, self.config.reconnect_max_s, 0.1)
        while not self._closed.is_set():
            self._sleep(backoff.next())
            self._reconnects += 1
            if self._backend.open():
                log.info("camera_reconnected", camera=self.config.name, after=self._reconnects)
                self._on_connected()
                return True
        return False

    # -- frames ----------------------------------------------------------------------------

    def seek(self, index: int) -> None:
        """Files only: the next ``read`` starts at frame ``index``."""
        if self._backend.live or not self._backend.seek(index):
            raise CameraError(f"camera {self.config.name}: cannot seek to frame {index}")
        self._index = index - 1
        self._pace_anchor = None

    def read(self) -> Frame | None:
        """The next frame due under ``target_fps``; ``None`` at the end of a file or when closed."""
        while not self._closed.is_set():
            if not self._connected and not self._reconnect():
                return None
            asked = self._clock.monotonic()
            if not self._backend.grab():
                waited = self._clock.monotonic() - asked
                if self._end_of_stream(waited):
                    return None
                continue
            self._index += 1
            mono, wall = self._stamp()
            period = 1.0 / self.config.target_fps if self.config.target_fps > 0 else 0.0
            if mono < self._next_due - 0.1 * period:
                self._counts["skipped"] += 1
                continue
            if not self._backend.live and self.config.realtime:
                self._wait_until(mono)
            image = self._backend.retrieve()
            if self._check(image, mono) and image is not None:
                # Keep the cadence; after a gap longer than a period, restart it from now.
                late = mono - self._next_due > period
                self._next_due = mono + period if late else self._next_due + period
                self._counts["frames"] += 1
                self._last_time = wall
                return Frame(self.config.name, self._index, wall, mono, image)
        return None

    def _wait_until(self, mono: float) -> None:
        """Hold a file's frame until its media time comes, as a live camera would deliver it.

        The pace is anchored at the first frame after opening, seeking or looping, so a file
        read from frame 100 does not first wait ten seconds.
        """
        now = self._clock.monotonic()
        if self._pace_anchor is None:
            self._pace_anchor = (mono, now)
            return
        media0, clock0 = self._pace_anchor
        delay = clock0 + (mono - media0) - now
        if delay > 0:
            self._sleep(delay)

    def _stamp(self) -> tuple[float, float]:
        if self._backend.live:
            return self._clock.monotonic(), self._clock.time()
        media = self._index / self._fps
        return self._t0_mono + media, self._t0_wall + media

    def _end_of_stream(self, waited: float) -> bool:
        if not self._backend.live:
            if self.config.loop and self._index >= 0 and self._backend.seek(0):
                self._index = -1
                self._next_due = float("-inf")
                self._on_connected()
                return False
            return True
        if waited >= 0.9 * self.config.stall_timeout_s:
            self._stall()  # the backend's read timeout expired: the stream went quiet
        else:
            self._fail("grab_failed")
        return False

    def _stall(self) -> None:
        self._counts["stalls"] += 1
        self._fail(f"stalled: no new frame for {self.config.stall_timeout_s:g} s")

    def _check(self, image: Image | None, mono: float) -> bool:
        """True if ``image`` is a usable new frame; counts and logs the bad ones."""
        if image is None or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            shape = None if image is None else (image.shape, str(image.dtype))
            return self._bad("corrupt", shape=shape)
        small = image[:: max(1, image.shape[0] // 16), :: max(1, image.shape[1] // 16)]
        if float(small.mean()) < self.config.black_level and float(small.std()) < 4.0:
            return self._bad("black", mean=round(float(small.mean()), 1))
        sig = small.tobytes()
        if sig == self._last_sig:
            if self._backend.live and mono - self._last_good > self.config.stall_timeout_s:
                self._stall()
            return self._bad("duplicates", index=self._index)
        self._last_sig = sig
        self._last_good = mono
        return True

    def _bad(self, kind: str, **fields: object) -> bool:
        self._counts[kind] += 1
        if kind not in self._logged:
            self._logged.add(kind)
            log.warning("camera_bad_frame", camera=self.config.name, kind=kind, **fields)
        return False

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[Frame]:
        """Frames with ``start <= index < end`` (files are sought to ``start``, live sources
        count grabbed frames from when they were opened)."""
        if start > 0 and not self.live:
            self.seek(start)
        while end is None or self._index + 1 < end:
            if (frame := self.read()) is None:
                return
            if end is not None and frame.index >= end:
                return
            if frame.index >= start:
                yield frame

    def health(self) -> CameraHealth:
        c = self._counts
        return CameraHealth(
            name=self.config.name,
            connected=self._connected,
            frames=c["frames"],
            skipped=c["skipped"],
            black=c["black"],
            corrupt=c["corrupt"],
            duplicates=c["duplicates"],
            stalls=c["stalls"],
            disconnects=c["disconnects"],
            reconnects=self._reconnects,
            last_frame_time=self._last_time,
            last_error=self._last_error,
        )

    def close(self) -> None:
        self._closed.set()
        self._backend.release()


class CameraReader:
    """A camera in its own thread, feeding a bounded queue; the oldest frame is dropped."""

    def __init__(self, camera: Camera, maxsize: int = 2) -> None:
        self.camera = camera
        self.finished = threading.Event()
        self._queue: BoundedQueue[Frame] = BoundedQueue(maxsize)
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera.config.name}")

    def start(self) -> None:
        self._thread.daemon = True
        self._thread.start()

    def _run(self) -> None:
        try:
            while (frame := self.camera.read()) is not None:
                self._queue.put(frame)
        finally:
            self.finished.set()

    def get(self, timeout: float) -> Frame | None:
        """The oldest queued frame, or ``None`` after ``timeout`` seconds without one."""
        return self._queue.get(timeout)

    @property
    def dropped(self) -> int:
        """Frames dropped because the consumer fell behind."""
        return self._queue.dropped

    def stop(self, timeout: float = 5.0) -> None:
        # Let the reader thread leave grab()/retrieve() before the capture is released:
        # releasing an OpenCV capture under a grab in progress crashes the process (SIGSEGV).
        self.camera._closed.set()
        self._thread.join(timeout)
        self.camera.close()
