"""Values that cross the perception boundary: camera frames and detections in pixels.

The ground-plane values (``GroundDetection``, ``Track``, the labels) are road-user values on
the floor: ``rsu.road_users``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Box", "Detection", "Frame", "Image"]

Image = npt.NDArray[np.uint8]
"""An 8-bit BGR image, H x W x 3, as OpenCV delivers it."""


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One captured frame.

    ``index`` is the source's own frame number (for files: the position in the file, counting
    skipped frames, so ``--frames 100:200`` means the same frames whatever the target fps).
    ``time`` is the capture time in UTC seconds, ``monotonic`` the capture time on the monotonic
    clock (for latency). For files, ``time`` is the start time plus the media position, so replays
    are repeatable.
    """

    camera: str
    index: int
    time: float
    monotonic: float
    image: Image = field(repr=False)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in image pixels (x1, y1) top-left, (x2, y2) bottom-right."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def bottom_centre(self) -> tuple[float, float]:
        """The ground point of an object standing on the road: middle of the bottom edge."""
        return (self.x1 + self.x2) / 2.0, self.y2

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def as_list(self, ndigits: int = 1) -> list[float]:
        return [round(v, ndigits) for v in (self.x1, self.y1, self.x2, self.y2)]


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected object in one frame.

    ``label`` is the road-user class (person, bicycle, car, motorcycle, bus, truck) or the
    model's own label when the class map keeps other classes; ``class_id`` is the model's index.
    """

    label: str
    class_id: int
    score: float
    box: Box

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 3), "box": self.box.as_list()}
