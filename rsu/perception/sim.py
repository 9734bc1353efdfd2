"""The ``sim`` camera and detector backends (demo, HIL, tests): a synthetic road with faults.

A sim camera is a live source described by its URL::

    sim://road?size=640x480&fps=10&people=2&cars=1&realtime=1
        &disconnect=50,120     grab number 50 and 120 fail (the stream drops)
        &fail_opens=2          after a drop, the next 2 reconnect attempts fail
        &black=20-25           frames 20..25 are black
        &corrupt=30-31         frames 30..31 cannot be decoded
        &freeze=40-60          frames 40..60 repeat frame 40 (a frozen encoder)

People are red boxes, cars blue boxes, moving across a grey road; a brightness bar at the top
changes every frame. The sim detector finds those colours, so ``sim`` camera + ``sim`` detector
is a full pipeline without a model. Frame numbers count grabs across reconnects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import cv2
import numpy as np

from rsu.errors import CameraError
from rsu.perception.detector import DetectorConfig, DetectorStats
from rsu.perception.types import Box, Detection, Image

_COLOURS = {"person": (0, 0, 255), "car": (255, 0, 0)}
_SIZES = {"person": (16, 40), "car": (60, 30)}


def _ranges(text: str) -> set[int]:
    out: set[int] = set()
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


class SimBackend:
    """A synthetic live camera with scripted faults, behind ``VideoBackend``."""

    live = True

    def __init__(
        self, source: str, sleep: Callable[[float], None] | None = None, timeout_s: float = 0.0
    ) -> None:
        """``sleep`` paces the frames (called with 1/fps per grab): ``time.sleep`` with
        ``realtime=1`` in the URL, or a fake clock's ``advance`` in tests."""
        url = urlparse(source)
        if url.scheme != "sim":
            raise CameraError(f"sim camera: expected a sim:// source, got {source!r}")
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            w, h = (int(v) for v in q.get("size", "640x480").split("x"))
            self._fps = float(q.get("fps", "10"))
            self._people, self._cars = int(q.get("people", "2")), int(q.get("cars", "1"))
            realtime = q.get("realtime", "0") == "1"
            self._disconnect = _ranges(q.get("disconnect", ""))
            self._black = _ranges(q.get("black", ""))
            self._corrupt = _ranges(q.get("corrupt", ""))
            self._freeze = _ranges(q.get("freeze", ""))
            self._fail_opens = int(q.get("fail_opens", "0"))
        except ValueError as err:
            raise CameraError(f"sim camera: bad parameter in {source!r}: {err}") from err
        self._sleep = sleep or (time.sleep if realtime else None)
        self._size = (w, h)
        self._n = -1
        self._open = False
        self._failing = 0
        self._frozen: Image | None = None
        self.opens = 0

    def open(self) -> bool:
        self.opens += 1
        if self._failing > 0:
            self._failing -= 1
            return False
        self._open = True
        return True

    def grab(self) -> bool:
        if not self._open:
            return False
        self._n += 1
        if self._n in self._disconnect:
            self._open = False
            self._failing = self._fail_opens
            return False
        if self._sleep is not None:
            self._sleep(1.0 / self._fps)
        return True

    def retrieve(self) -> Image | None:
        n = self._n
        if n in self._corrupt:
            return None
        w, h = self._size
        if n in self._black:
            return np.zeros((h, w, 3), np.uint8)
        if n in self._freeze:
            if self._frozen is None:
                self._frozen = self.render(n)
            return self._frozen.copy()
        self._frozen = None
        return self.render(n)

    def render(self, n: int) -> Image:
        """Frame ``n`` of the scene (deterministic)."""
        w, h = self._size
        img = np.full((h, w, 3), 90, np.uint8)
        img[: h // 4] = (60, 120, 60)
        img[:8, : w // 2] = (n * 7) % 200 + 40
        objects = ["person"] * self._people + ["car"] * self._cars
        for k, label in enumerate(objects):
            bw, bh = _SIZES[label]
            speed = 4 + 3 * k
            x = (37 * k + n * speed) % max(1, w - bw)
            y = h // 3 + (k * 53) % max(1, h - h // 3 - bh)
            cv2.rectangle(img, (x, y), (x + bw - 1, y + bh - 1), _COLOURS[label], -1)
        return img

    def fps(self) -> float:
        return self._fps

    def seek(self, index: int) -> bool:
        return False

    def release(self) -> None:
        self._open = False


class SimDetector:
    """Finds the sim scene's coloured boxes; the ``sim`` detector backend."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.name = "sim"
        self._frames = 0

    def detect(self, image: Image) -> tuple[Detection, ...]:
        self._frames += 1
        out: list[Detection] = []
        for label, colour in _COLOURS.items():
            if label not in self.config.classes:
                continue
            mask = cv2.inRange(image, colour, colour)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            for x, y, bw, bh, area in stats[1:count]:
                if area >= 50:
                    box = Box(float(x), float(y), float(x + bw), float(y + bh))
                    out.append(Detection(label, 0 if label == "person" else 2, 0.9, box))
        return tuple(sorted(out, key=lambda d: (d.box.x1, d.box.y1)))

    def stats(self) -> DetectorStats:
        return DetectorStats(self._frames, 0.0, 0.0)
