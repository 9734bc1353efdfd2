"""The event engine: fused objects + zones/lines -> events with a lifecycle (sans-I/O).

Every call ``update(objects, now)`` evaluates the rules on the current picture and returns
``Event`` values: ``new`` when a condition starts, ``update`` when its state changes enough
(zones, counts, values, or ``update_interval_s`` for dwell), ``end`` when it stops or the
object leaves the picture. Each message carries ``before`` (the state last reported; ``None``
on ``new``) and ``after`` (the state now), and the zones the object is in. Zone entries
(presence, pedestrian in crosswalk) are reported in the first update that sees them.

Rules: ``zone_presence``, ``pedestrian_in_crosswalk``, ``stopped_vehicle`` (dwell),
``wrong_way`` (against the zone's direction), ``over_speed``, ``line_crossing`` (directional,
counted per line, direction and label; reported as ``new`` then ``end`` at once) and
``queue_length`` per approach zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from rsu.events.zones import EventsConfig, Zone
from rsu.fusion.model import FusedObject
from rsu.geo import velocity_from_heading

_STEP = {"over_speed": 1.0, "queue_length": 2.0, "wrong_way": 15.0}
"""Change of ``value`` that is worth an ``update`` message, per event type."""
_DEFAULT_HALF_LENGTH = 2.25


@dataclass(frozen=True, slots=True)
class EventState:
    """What an event looks like at one instant (``before``/``after`` of a message)."""

    time: float
    started: float
    zones: tuple[str, ...]
    object_id: int | None = None
    label: str | None = None
    x_m: float | None = None
    y_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    value: float | None = None
    """Dwell seconds, speed (max so far), heading error in degrees, or queue length metres."""
    count: int | None = None
    """Queued vehicles, or crossings of this line in this direction for this label."""

    @property
    def duration_s(self) -> float:
        return self.time - self.started

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["zones"] = list(self.zones)
        out["duration_s"] = round(self.duration_s, 3)
        return out


@dataclass(frozen=True, slots=True)
class Event:
    """One event message."""

    event_id: str
    type: str
    phase: str
    """``new``, ``update`` or ``end``."""
    time: float
    zone: str
    """The zone (or line) whose rule raised it."""
    zones: tuple[str, ...]
    """Every zone the object is in (for a queue: the approach)."""
    object_id: int | None
    before: EventState | None
    after: EventState
    direction: str | None = None
    """``forward``/``backward`` for line crossings."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "type": self.type,
            "phase": self.phase,
            "time": self.time,
            "zone": self.zone,
            "zones": list(self.zones),
            "object_id": self.object_id,
            "direction": self.direction,
            "before": None if self.before is None else self.before.as_dict(),
            "after": self.after.as_dict(),
        }


@dataclass(slots=True)
class _Active:
    event_id: str
    state: EventState
    emitted: float


Key = tuple[str, str, int | None]


class EventEngine:
    """Rules over zones and lines; one owner (the core loop) calls :meth:`update`."""

    def __init__(self, config: EventsConfig) -> None:
        self.config = config
        self._active: dict[Key, _Active] = {}
        self._since: dict[Key, float] = {}
        self._touched: set[Key] = set()
        self._last_xy: dict[int, tuple[float, float]] = {}
        self._seq = 0
        self.line_counts: dict[str, dict[str, dict[str, int]]] = {
            ln.name: {"forward": {}, "backward": {}} for ln in config.lines
        }
        self.queues: dict[str, tuple[int, float]] = {}
        """Per approach zone: (queued vehicles, queue length in metres) after the last update."""

    def update(self, objects: Sequence[FusedObject], now: float) -> list[Event]:
        inside = self._inside(objects)
        zones_of = [tuple(z.name for z, m in inside if m[i]) for i in range(len(objects))]
        states: dict[Key, EventState] = {}
        for zone, mask in inside:
            in_zone = np.flatnonzero(mask).tolist()
            for i in in_zone:
                self._object_rules(zone, objects[i], zones_of[i], now, states)
            if zone.kind == "approach":
                self._queue(zone, [objects[i] for i in in_zone], now, states)
        events = self._diff(states, now)
        events += self._crossings(objects, zones_of, now)
        # a condition not evaluated this time (object gone or out of the zone) starts afresh
        self._since = {k: v for k, v in self._since.items() if k in self._touched}
        self._touched.clear()
        return events

    # -- rules ----------------------------------------------------------------------------------

    def _inside(self, objects: Sequence[FusedObject]) -> list[tuple[Zone, Any]]:
        if not objects:
            return [(z, np.zeros(0, dtype=bool)) for z in self.config.zones]
        xy = np.array([(o.x_m, o.y_m) for o in objects])
        return [(z, z.contains_many(xy)) for z in self.config.zones]

    def _object_rules(
        self,
        zone: Zone,
        o: FusedObject,
        zones: tuple[str, ...],
        now: float,
        out: dict[Key, EventState],
    ) -> None:
        def state(value: float | None = None) -> EventState:
            return _object_state(o, zones, now, value)

        oid = o.object_id
        if zone.presence and (not zone.labels or o.label in zone.labels):
            out[("zone_presence", zone.name, oid)] = state()
        if zone.kind == "crosswalk" and o.kind == "vru":
            out[("pedestrian_in_crosswalk", zone.name, oid)] = state()
        if o.kind != "vehicle":
            return
        cfg = self.config
        if zone.dwell_s is not None:
            since = self._hold(
                ("stopped_vehicle", zone.name, oid), o.speed_mps < cfg.stopped_mps, now
            )
            if since is not None and now - since >= zone.dwell_s:
                out[("stopped_vehicle", zone.name, oid)] = state(now - since)
        if zone.direction_deg is not None and zone.kind != "crosswalk":
            err = _angle_error(o.heading_deg, zone.direction_deg)
            wrong = o.speed_mps >= cfg.wrong_way_min_mps and err >= cfg.wrong_way_angle_deg
            since = self._hold(("wrong_way", zone.name, oid), wrong, now)
            if since is not None and now - since >= cfg.wrong_way_confirm_s:
                out[("wrong_way", zone.name, oid)] = state(err)
        if zone.speed_limit_mps is not None:
            key: Key = ("over_speed", zone.name, oid)
            active = self._active.get(key)
            limit = zone.speed_limit_mps * (1.0 if active else 1.0 + cfg.over_speed_tolerance)
            if o.speed_mps > limit:
                peak = max(o.speed_mps, active.state.value or 0.0) if active else o.speed_mps
                out[key] = state(peak)

    def _hold(self, key: Key, condition: bool, now: float) -> float | None:
        """When ``condition`` has been true since (continuously), or ``None``."""
        self._touched.add(key)
        if not condition:
            self._since.pop(key, None)
            return None
        return self._since.setdefault(key, now)

    def _queue(
        self, zone: Zone, objs: list[FusedObject], now: float, out: dict[Key, EventState]
    ) -> None:
        ux, uy = velocity_from_heading(1.0, zone.direction_deg or 0.0)
        queued = [o for o in objs if o.kind == "vehicle" and o.speed_mps < self.config.queue_mps]
        if not queued:
            self.queues[zone.name] = (0, 0.0)
            return
        back = min(
            o.x_m * ux + o.y_m * uy - (o.length_m / 2 if o.length_m else _DEFAULT_HALF_LENGTH)
            for o in queued
        )
        length = max(0.0, zone.front() - back)
        self.queues[zone.name] = (len(queued), length)
        out[("queue_length", zone.name, None)] = EventState(
            now, now, (zone.name,), value=length, count=len(queued)
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def _diff(self, states: dict[Key, EventState], now: float) -> list[Event]:
        events: list[Event] = []
        for key, current in states.items():
            act = self._active.get(key)
            if act is None:
                self._seq += 1
                eid = f"{key[0]}-{self._seq}"
                st = replace(current, started=now)
                self._active[key] = _Active(eid, st, now)
                events.append(_event(key, "new", None, st, eid))
                continue
            st = replace(current, started=act.state.started)
            if self._worth_update(key[0], act, st, now):
                events.append(_event(key, "update", act.state, st, act.event_id))
                act.state, act.emitted = st, now
        for key in [k for k in self._active if k not in states]:
            act = self._active.pop(key)
            final = replace(act.state, time=now)
            events.append(_event(key, "end", act.state, final, act.event_id))
        return events

    def _worth_update(self, kind: str, act: _Active, st: EventState, now: float) -> bool:
        old = act.state
        if st.zones != old.zones or st.count != old.count:
            return True
        step = _STEP.get(kind)
        if step is not None and st.value is not None and old.value is not None:
            return abs(st.value - old.value) >= step
        ages = kind in ("stopped_vehicle", "queue_length")
        return ages and now - act.emitted >= self.config.update_interval_s

    # -- lines ----------------------------------------------------------------------------------

    def _crossings(
        self, objects: Sequence[FusedObject], zones_of: list[tuple[str, ...]], now: float
    ) -> list[Event]:
        events: list[Event] = []
        last, self._last_xy = self._last_xy, {}
        for o, zones in zip(objects, zones_of, strict=True):
            here = (o.x_m, o.y_m)
            self._last_xy[o.object_id] = here
            prev = last.get(o.object_id)
            if prev is None:
                continue
            for line in self.config.lines:
                if line.labels and o.label not in line.labels:
                    continue
                direction = line.crossed(prev, here)
                if direction is None:
                    continue
                counts = self.line_counts[line.name][direction]
                counts[o.label] = counts.get(o.label, 0) + 1
                self._seq += 1
                eid = f"line_crossing-{self._seq}"
                st = replace(_object_state(o, zones, now, None), count=counts[o.label])
                for phase in ("new", "end"):
                    before = None if phase == "new" else st
                    events.append(
                        Event(
                            eid,
                            "line_crossing",
                            phase,
                            now,
                            line.name,
                            zones,
                            o.object_id,
                            before,
                            st,
                            direction,
                        )
                    )
        return events


def _event(key: Key, phase: str, before: EventState | None, after: EventState, eid: str) -> Event:
    return Event(eid, key[0], phase, after.time, key[1], after.zones, key[2], before, after)


def _object_state(
    o: FusedObject, zones: tuple[str, ...], now: float, value: float | None
) -> EventState:
    return EventState(
        time=now,
        started=now,
        zones=zones,
        object_id=o.object_id,
        label=o.label,
        x_m=round(o.x_m, 2),
        y_m=round(o.y_m, 2),
        speed_mps=round(o.speed_mps, 2),
        heading_deg=None if o.heading_deg is None else round(o.heading_deg, 1),
        value=value,
    )


def _angle_error(heading: float | None, direction: float) -> float:
    if heading is None:
        return 0.0
    d = abs(heading - direction) % 360.0
    return min(d, 360.0 - d)
