"""Decode ahead: a camera's frames read in a thread while the caller runs the detector.

``rsu camera detect`` on a file wants every frame, in order, as fast as the detector goes.
Decoding (FFmpeg, in OpenCV: it releases the GIL) then overlaps inference (onnxruntime: it
releases the GIL too) instead of adding to it. The hand-over is bounded and lossless: the
reader waits when ``depth`` frames are waiting (a live camera in the daemon goes through
``CameraReader`` instead, which drops the oldest frame and counts it).

Closing the iterator (or leaving a ``with contextlib.closing(...)`` block) stops the reader and
waits for it to leave the decoder, so the camera can then be released safely.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def prefetch(
    items: Iterator[T], depth: int = 4, name: str = "prefetch"
) -> Generator[T, None, None]:
    """``items`` produced by a thread, at most ``depth`` ahead; its errors are raised here."""
    box: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    failure: list[BaseException] = []

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
        except BaseException as err:  # handed to the consumer, raised there
            failure.append(err)
        hand_over(_END)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while (item := box.get()) is not _END:
            yield item  # type: ignore[misc]  # everything but _END is a T
        if failure:
            raise failure[0]
    finally:
        stop.set()
        thread.join()
