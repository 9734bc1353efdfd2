"""Actors: road users moving along paths and what they broadcast (pure, seeded).

``Traffic`` expands each scenario ``Actor`` into its members (``count`` copies spread along the
path from the seed), tells where each member is at scenario time ``t`` and builds the BSM/PSM
MessageFrame JER it sends at that moment. The runner encodes those with the J2735 codec.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any

from hil.scenario import Actor, Point
from rsu.geo import offset_latlon
from rsu.registry import DEFAULT_MESSAGE_SET, message_set
from rsu.v2x.builders import Sender


@dataclass(frozen=True, slots=True)
class Member:
    """One road user: ``offset_m`` along its actor's path, ``side_m`` to the right of it."""

    actor: Actor
    index: int
    ident: str
    offset_m: float
    side_m: float
    phase_s: float
    """When in each send period this member sends (spreads 50 cars over the 100 ms)."""

    @property
    def key(self) -> str:
        return f"{self.actor.name}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Pose:
    east_m: float
    north_m: float
    heading_deg: float
    speed_mps: float


def _length(path: tuple[Point, ...]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(path))


def along(path: tuple[Point, ...], s: float) -> tuple[float, float, float]:
    """The point ``s`` metres along ``path`` and the heading there (degrees from north)."""
    for a, b in itertools.pairwise(path):
        seg = math.dist(a, b)
        heading = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0
        if s <= seg or b == path[-1]:
            f = 0.0 if seg == 0 else min(s / seg, 1.0)
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), heading
        s -= seg
    return path[-1][0], path[-1][1], 0.0


class Traffic:
    """Every member of every actor, deterministic from ``seed``."""

    def __init__(self, actors: tuple[Actor, ...], seed: int) -> None:
        rng = random.Random(seed)
        members: list[Member] = []
        for actor in actors:
            length = _length(actor.path)
            for i in range(actor.count):
                offset = 0.0 if actor.count == 1 else length * i / actor.count
                side = rng.uniform(0.0, actor.lanes) if actor.lanes else 0.0
                ident = rng.randbytes(4).hex().upper()
                phase = rng.uniform(0.0, 1.0 / actor.rate_hz)
                members.append(Member(actor, i, ident, offset, side, phase))
        self.members = tuple(members)
        self.by_actor: dict[str, list[Member]] = {}
        for m in self.members:
            self.by_actor.setdefault(m.actor.name, []).append(m)

    def active(self, m: Member, t: float) -> bool:
        a = m.actor
        return t >= a.start_s and (a.stop_s is None or t < a.stop_s)

    def pose(self, m: Member, t: float) -> Pose:
        a = m.actor
        length = _length(a.path)
        s = m.offset_m + a.speed_mps * max(0.0, t - a.start_s)
        s = s % length if a.loop and length > 0 else min(s, length)
        e, n, heading = along(a.path, s)
        h = math.radians(heading)
        e, n = e + m.side_m * math.cos(h), n - m.side_m * math.sin(h)
        moving = a.speed_mps if (a.loop or s < length) else 0.0
        return Pose(e, n, heading, moving)


def frame_jer(
    m: Member,
    pose: Pose,
    origin: tuple[float, float],
    count: int,
    sec_mark: int,
    standard: str = DEFAULT_MESSAGE_SET,
) -> dict[str, Any] | None:
    """The MessageFrame JER that ``m`` sends in the message set ``standard`` (J2735: a BSM for
    vehicles, a PSM for pedestrians); None when the set has no message for its kind."""
    lat, lon = offset_latlon(*origin, pose.east_m, pose.north_m)
    sender = Sender(m.ident, count, sec_mark, lat, lon, pose.speed_mps, pose.heading_deg)
    kind = "pedestrian" if m.actor.kind == "pedestrian" else "vehicle"
    return message_set(standard).road_user_frame(kind, sender)


def message_key(short_name: str, ident: str, count: int, sec_mark: int) -> str:
    """What identifies one broadcast in the cloud records (type, sender, msgCnt, secMark)."""
    return f"{short_name}/{ident.lower()}/{count}/{sec_mark}"


def key_of_decoded(short_name: str, decoded: dict[str, Any]) -> str | None:
    """The ``message_key`` of a decoded BSM/PSM (``decoded`` is the record's JER frame)."""
    value = decoded.get("value", decoded)
    if not isinstance(value, dict):
        return None
    body = value.get("coreData", value)
    if not isinstance(body, dict):
        return None
    ident, count, sec = body.get("id"), body.get("msgCnt"), body.get("secMark")
    if not isinstance(ident, str) or not isinstance(count, int) or not isinstance(sec, int):
        return None
    return message_key(short_name, ident, count, sec)
