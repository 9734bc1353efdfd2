"""Zones (polygons) and counting lines in local ENU metres, and their config tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import NDArray

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.geo import LocalFrame, velocity_from_heading

ZONE_KINDS = ("area", "crosswalk", "lane", "approach")
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Zone:
    """A polygon on the ground (ENU metres) with the rules that apply inside it.

    ``direction_deg`` is the lawful direction of travel (clockwise from north) for wrong-way
    detection and queue measurement; ``speed_limit_mps`` enables over-speed; ``dwell_s``
    enables stopped-vehicle detection; ``presence`` emits an event for every object inside
    (filtered by ``labels`` when given). Kind ``crosswalk`` detects pedestrians in it; kind
    ``approach`` measures the queue (vehicles slower than the queue speed) back from its
    front edge (the end of the zone in ``direction_deg``: the stop line).
    """

    name: str
    polygon: tuple[Point, ...]
    kind: str = "area"
    direction_deg: float | None = None
    speed_limit_mps: float | None = None
    dwell_s: float | None = None
    presence: bool = False
    labels: tuple[str, ...] = ()

    def contains_many(self, xy: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Point-in-polygon (even-odd rule) for an (N, 2) array of points."""
        x, y = xy[:, 0], xy[:, 1]
        inside = np.zeros(len(xy), dtype=bool)
        pts = self.polygon
        for i in range(len(pts)):
            x1, y1 = pts[i]
            x2, y2 = pts[i - 1]
            if y1 == y2:
                continue
            crosses = (y1 > y) != (y2 > y)
            x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            inside ^= crosses & (x < x_at)
        return inside

    def contains(self, x: float, y: float) -> bool:
        return bool(self.contains_many(np.array([[x, y]]))[0])

    def front(self) -> float:
        """How far the zone reaches along ``direction_deg`` (projection of its vertices)."""
        ux, uy = velocity_from_heading(1.0, self.direction_deg or 0.0)
        return max(px * ux + py * uy for px, py in self.polygon)


@dataclass(frozen=True, slots=True)
class Line:
    """A counting line from ``a`` to ``b``. Crossing from the left of A->B to its right is
    ``forward``; from right to left ``backward`` (for A west and B east: forward = southward).
    """

    name: str
    a: Point
    b: Point
    labels: tuple[str, ...] = ()

    def side(self, x: float, y: float) -> float:
        """> 0 left of A->B, < 0 right of it."""
        (ax, ay), (bx, by) = self.a, self.b
        return (bx - ax) * (y - ay) - (by - ay) * (x - ax)

    def crossed(self, p: Point, q: Point) -> str | None:
        """``forward``/``backward`` when the step p -> q crosses the segment, else ``None``."""
        s1, s2 = self.side(*p), self.side(*q)
        if (s1 > 0) == (s2 > 0):  # a point on the line counts as right of it
            return None
        # the step's end points must lie on both sides of the line through p, q too
        seg = Line("", p, q)
        t1, t2 = seg.side(*self.a), seg.side(*self.b)
        if (t1 > 0) == (t2 > 0) and t1 != 0 and t2 != 0:
            return None
        return "forward" if s1 > 0 else "backward"


def _points(t: Table, frame: LocalFrame | None, minimum: int) -> tuple[Point, ...]:
    """``points`` ([[x, y], ...] metres) or ``latlon`` ([[lat, lon], ...] degrees)."""
    if t.has("points") == t.has("latlon"):
        raise ConfigError(t.where("points"), "give exactly one of points (metres) or latlon")
    key = "points" if t.has("points") else "latlon"
    raw = t.array(key, of=list)
    out: list[Point] = []
    for i, p in enumerate(raw):
        if len(p) != 2 or not all(isinstance(v, int | float) for v in p):
            raise ConfigError(f"{t.where(key)}[{i}]", "expected a pair of numbers")
        if key == "latlon":
            if frame is None:
                raise ConfigError(t.where(key), "lat/lon geometry needs the RSU reference point")
            e, n, _ = frame.to_enu(float(p[0]), float(p[1]))
            out.append((e, n))
        else:
            out.append((float(p[0]), float(p[1])))
    if len(out) < minimum:
        raise ConfigError(t.where(key), f"expected at least {minimum} points, got {len(out)}")
    return tuple(out)


def zone_from_table(t: Table, frame: LocalFrame | None) -> Zone:
    """One ``[[events.zones]]`` table."""
    kph = t.number("speed_limit_kph", None, lo=1.0)
    zone = Zone(
        name=t.string("name"),
        polygon=_points(t, frame, 3),
        kind=t.string("kind", "area", choices=ZONE_KINDS),
        direction_deg=t.number("direction_deg", None, lo=0.0, hi=360.0),
        speed_limit_mps=None if kph is None else kph / 3.6,
        dwell_s=t.number("dwell_s", None, lo=0.0),
        presence=t.boolean("presence", False),
        labels=tuple(t.array("labels", [], of=str)),
    )
    t.done()
    if zone.kind == "approach" and zone.direction_deg is None:
        raise ConfigError(t.where("direction_deg"), "an approach zone needs direction_deg")
    return zone


def line_from_table(t: Table, frame: LocalFrame | None) -> Line:
    """One ``[[events.lines]]`` table (exactly two points)."""
    name = t.string("name")
    pts = _points(t, frame, 2)
    if len(pts) != 2:
        raise ConfigError(t.where("points"), f"a line has exactly 2 points, got {len(pts)}")
    line = Line(name=name, a=pts[0], b=pts[1], labels=tuple(t.array("labels", [], of=str)))
    t.done()
    return line


@dataclass(frozen=True, slots=True)
class EventsConfig:
    """``[events]``: zones, lines and rule thresholds."""

    zones: tuple[Zone, ...] = ()
    lines: tuple[Line, ...] = ()
    update_interval_s: float = 1.0
    """Least time between two ``update`` messages of one event whose state only ages."""
    stopped_mps: float = 0.5
    wrong_way_min_mps: float = 2.0
    wrong_way_angle_deg: float = 120.0
    """Heading this far from the zone's direction (or more) is wrong-way."""
    wrong_way_confirm_s: float = 0.5
    over_speed_tolerance: float = 0.1
    """Over-speed starts above limit * (1 + tolerance) and ends at or below the limit."""
    queue_mps: float = 2.0
    """Vehicles slower than this in an approach are queued."""

    @classmethod
    def from_table(cls, t: Table, frame: LocalFrame | None = None) -> Self:
        d = cls()
        zones = tuple(zone_from_table(z, frame) for z in t.tables("zones"))
        lines = tuple(line_from_table(ln, frame) for ln in t.tables("lines"))
        _unique(t, "zones", [z.name for z in zones])
        _unique(t, "lines", [ln.name for ln in lines])
        cfg = cls(
            zones=zones,
            lines=lines,
            update_interval_s=t.number("update_interval_s", d.update_interval_s, lo=0.0),
            stopped_mps=t.number("stopped_mps", d.stopped_mps, lo=0.0),
            wrong_way_min_mps=t.number("wrong_way_min_mps", d.wrong_way_min_mps, lo=0.0),
            wrong_way_angle_deg=t.number(
                "wrong_way_angle_deg", d.wrong_way_angle_deg, lo=90.0, hi=180.0
            ),
            wrong_way_confirm_s=t.number("wrong_way_confirm_s", d.wrong_way_confirm_s, lo=0.0),
            over_speed_tolerance=t.number(
                "over_speed_tolerance", d.over_speed_tolerance, lo=0.0, hi=1.0
            ),
            queue_mps=t.number("queue_mps", d.queue_mps, lo=0.0),
        )
        t.done()
        return cfg


def _unique(t: Table, key: str, names: Sequence[str]) -> None:
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"{t.where(key)}[{i}].name", f"duplicate name {name!r}")
