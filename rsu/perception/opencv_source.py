"""The OpenCV camera backend: video files, RTSP/HTTP streams, V4L2 devices.

Streams are opened through FFmpeg with open and read timeouts, so a camera that stops sending
makes ``grab`` fail after ``read_timeout_s`` instead of blocking forever; ``Camera`` then
reconnects. Devices (``/dev/videoN`` or a bare index) go through V4L2.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from rsu.perception.types import Image

_URL = re.compile(r"^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt)://", re.IGNORECASE)


class OpenCvBackend:
    """``cv2.VideoCapture`` behind the ``VideoBackend`` protocol."""

    def __init__(self, source: str, timeout_s: float = 5.0) -> None:
        """``timeout_s``: how long opening a stream or waiting for its next frame may take."""
        self.source = source
        self.device = source.isdigit() or source.startswith("/dev/video")
        self.live = self.device or bool(_URL.match(source))
        self._timeouts = (int(timeout_s * 1000), int(timeout_s * 1000))
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> bool:
        self.release()
        if self.device:
            index = int(self.source) if self.source.isdigit() else self.source
            cap = cv2.VideoCapture(index, cv2.CAP_V4L2)
        elif self.live:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self._timeouts[0],
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, self._timeouts[1],
            ]  # fmt: skip
            cap = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG, params)
        else:
            cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            return False
        self._cap = cap
        return True

    def grab(self) -> bool:
        return self._cap is not None and bool(self._cap.grab())

    def retrieve(self) -> Image | None:
        if self._cap is None:
            return None
        ok, image = self._cap.retrieve()
        return np.asarray(image) if ok and image is not None else None

    def fps(self) -> float:
        return float(self._cap.get(cv2.CAP_PROP_FPS)) if self._cap is not None else 0.0

    def seek(self, index: int) -> bool:
        return self._cap is not None and bool(self._cap.set(cv2.CAP_PROP_POS_FRAMES, index))

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
