"""ARS408-style radar object lists: CAN frames in, ENU radar objects out (sans-I/O).

One radar cycle on the wire is ``Obj_0_Status`` (object count, cycle counter) followed by one
``Obj_1_General`` per object, then (when configured in the radar) one ``Obj_2_Quality`` and one
``Obj_3_Extended`` per object. :class:`RadarDecoder` collects a cycle and returns a
:class:`RadarScan` as soon as it is complete (or, incomplete, when the next cycle starts).

Bad input is counted in :class:`RadarCounters`, logged once per kind with the hex, and
skipped: error frames, unknown ids, frames too short for their message, and floods (more
than ``max_frames_per_s`` frames within one second of ``now``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any

import cantools
import structlog

from rsu.errors import ConfigError
from rsu.geo import LocalFrame, heading_from_velocity
from rsu.sensors.config import RadarConfig

log = structlog.get_logger(__name__)

STATUS, GENERAL, QUALITY, EXTENDED, STATE = 0x60A, 0x60B, 0x60C, 0x60D, 0x201
DYN_PROP = (
    "moving",
    "stationary",
    "oncoming",
    "stationary_candidate",
    "unknown",
    "crossing_stationary",
    "crossing_moving",
    "stopped",
)
CLASS_LABEL = ("unknown", "car", "truck", "person", "motorcycle", "bicycle", "unknown", "unknown")
PROB_OF_EXIST = (0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0)


def rms_index_to_m(index: int) -> float | None:
    """ARS408 5-bit rms index -> standard deviation (0.005 m * 2000^(i/30)); 31 is invalid."""
    if not 0 <= index <= 30:
        return None
    return float(0.005 * 2000.0 ** (index / 30.0))


def load_dbc(path: str | None = None) -> Any:
    """The shipped ``ars408.dbc`` (or another DBC file), compiled once by cantools."""
    try:
        if path is None:
            text = resources.files("rsu.sensors").joinpath("dbc/ars408.dbc").read_text()
            return cantools.database.load_string(text, database_format="dbc", strict=True)
        return cantools.database.load_file(path, database_format="dbc", strict=True)
    except (OSError, cantools.database.errors.Error) as err:
        raise ConfigError(
            "sensors.radar.dbc", f"cannot load DBC {path or 'ars408.dbc'}: {err}"
        ) from err


@dataclass(frozen=True, slots=True)
class CanFrame:
    """One CAN frame as the edge received it (python-can's Message, without python-can)."""

    arbitration_id: int
    data: bytes
    timestamp: float = 0.0
    is_error_frame: bool = False
    is_extended_id: bool = False


@dataclass(frozen=True, slots=True)
class RadarObject:
    """One radar object in the RSU's ENU frame (x east, y north, metres, m/s).

    ``heading_deg`` is clockwise from north: from the velocity when the object moves faster
    than 0.5 m/s, else from the radar's orientation angle when it sent one.
    """

    radar: str
    object_id: int
    time: float
    x_m: float
    y_m: float
    vx_mps: float
    vy_mps: float
    speed_mps: float
    heading_deg: float | None
    dist_long_m: float
    dist_lat_m: float
    rcs_dbsm: float
    dyn_prop: str
    label: str = "unknown"
    prob_exist: float | None = None
    sigma_m: float | None = None
    meas_state: int | None = None
    length_m: float | None = None
    width_m: float | None = None


@dataclass(frozen=True, slots=True)
class RadarScan:
    """One radar cycle."""

    radar: str
    time: float
    meas_counter: int
    objects: tuple[RadarObject, ...]
    complete: bool


@dataclass(slots=True)
class RadarCounters:
    """What a decoder has seen (reported in health)."""

    frames: int = 0
    scans: int = 0
    incomplete_scans: int = 0
    objects: int = 0
    error_frames: int = 0
    unknown_frames: int = 0
    malformed_frames: int = 0
    flood_dropped: int = 0
    orphan_frames: int = 0
    """Object frames with no cycle open, or naming an object the cycle did not announce."""
    radar_errors: int = 0
    """RadarState frames reporting a persistent/temporary/temperature/voltage error."""

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class _Cycle:
    time: float
    count: int
    counter: int
    general: dict[int, dict[str, float]] = field(default_factory=dict)
    quality: dict[int, dict[str, float]] = field(default_factory=dict)
    extended: dict[int, dict[str, float]] = field(default_factory=dict)


_REQUIRED = {
    STATUS: ("Obj_NofObjects", "Obj_MeasCounter"),
    GENERAL: ("Obj_ID", "Obj_DistLong", "Obj_DistLat", "Obj_VrelLong", "Obj_VrelLat"),
    QUALITY: ("Obj_ID", "Obj_DistLong_rms", "Obj_DistLat_rms"),
    EXTENDED: ("Obj_ID", "Obj_Class"),
    STATE: ("RadarState_Persistent_Error",),
}


class RadarDecoder:
    """Feed CAN frames with ``feed(frame, now)``; get complete :class:`RadarScan` values back."""

    def __init__(self, config: RadarConfig, frame: LocalFrame | None = None, db: Any = None):
        self.config = config
        self.db = db if db is not None else load_dbc(config.dbc)
        self.counters = RadarCounters()
        self.radar_state: dict[str, float] = {}
        self._origin = config.pose.origin(frame)
        self._offset = 0x10 * config.sensor_id
        self._messages = {base: self.db.get_message_by_frame_id(base) for base in _REQUIRED}
        self._cycle: _Cycle | None = None
        self._window_start = -math.inf
        self._window_frames = 0
        self._logged: set[str] = set()

    def feed(self, frame: CanFrame, now: float) -> list[RadarScan]:
        """Take one frame received at ``now``; return the scans it completes (0, 1 or 2)."""
        c = self.counters
        if self._flooded(now):
            c.flood_dropped += 1
            self._log_once("can_flood", radar=self.config.name, limit=self.config.max_frames_per_s)
            return []
        c.frames += 1
        if frame.is_error_frame:
            c.error_frames += 1
            self._log_once("can_error_frame", radar=self.config.name, hex=frame.data.hex())
            return []
        base = frame.arbitration_id - self._offset
        if frame.is_extended_id or base not in self._messages:
            c.unknown_frames += 1
            self._log_once(f"unknown:{frame.arbitration_id:x}", id=hex(frame.arbitration_id))
            return []
        values = self._decode(base, frame)
        if values is None:
            return []
        return self._dispatch(base, values, now)

    def flush(self) -> list[RadarScan]:
        """Close the open cycle (e.g. the radar went quiet) and return it if it had objects."""
        cycle, self._cycle = self._cycle, None
        return [self._scan(cycle)] if cycle is not None else []

    # -- internals --------------------------------------------------------------------------

    def _flooded(self, now: float) -> bool:
        if now - self._window_start >= 1.0:
            self._window_start = now
            self._window_frames = 0
        self._window_frames += 1
        return self._window_frames > self.config.max_frames_per_s

    def _decode(self, base: int, frame: CanFrame) -> dict[str, float] | None:
        msg = self._messages[base]
        try:
            values = msg.decode(frame.data, decode_choices=False, allow_truncated=True)
        except (cantools.database.DecodeError, ValueError) as err:
            values = {"_error": str(err)}
        if any(name not in values for name in _REQUIRED[base]):
            self.counters.malformed_frames += 1
            self._log_once(
                f"malformed:{base:x}",
                message=msg.name,
                id=hex(frame.arbitration_id),
                hex=frame.data.hex(),
            )
            return None
        return {k: float(v) for k, v in values.items()}

    def _dispatch(self, base: int, v: dict[str, float], now: float) -> list[RadarScan]:
        if base == STATE:
            self.radar_state = v
            if any(v.get(f"RadarState_{k}_Error", 0) for k in ("Persistent", "Temporary")):
                self.counters.radar_errors += 1
            return []
        if base == STATUS:
            out = self.flush()
            self._cycle = _Cycle(now, int(v["Obj_NofObjects"]), int(v["Obj_MeasCounter"]))
            return out + self._complete_or_nothing()
        cycle = self._cycle
        oid = int(v["Obj_ID"])
        if cycle is None or not self._fits(cycle, base, oid):
            self.counters.orphan_frames += 1
            return []
        {GENERAL: cycle.general, QUALITY: cycle.quality, EXTENDED: cycle.extended}[base][oid] = v
        return self._complete_or_nothing()

    @staticmethod
    def _fits(cycle: _Cycle, base: int, oid: int) -> bool:
        """An object frame belongs to the open cycle (Obj_ID is the radar's track id)."""
        if base == GENERAL:
            return oid in cycle.general or len(cycle.general) < cycle.count
        return oid in cycle.general

    def _complete_or_nothing(self) -> list[RadarScan]:
        cycle = self._cycle
        if cycle is None:
            return []
        n = cycle.count
        done = len(cycle.general) == n
        done = done and (not self.config.expect_quality or len(cycle.quality) == n)
        done = done and (not self.config.expect_extended or len(cycle.extended) == n)
        if not done:
            return []
        self._cycle = None
        return [self._scan(cycle)]

    def _scan(self, cycle: _Cycle) -> RadarScan:
        complete = len(cycle.general) == cycle.count
        objects = tuple(self._object(cycle, oid) for oid in sorted(cycle.general))
        self.counters.scans += 1
        self.counters.objects += len(objects)
        if not complete:
            self.counters.incomplete_scans += 1
        return RadarScan(self.config.name, cycle.time, cycle.counter, objects, complete)

    def _object(self, cycle: _Cycle, oid: int) -> RadarObject:
        g = cycle.general[oid]
        q = cycle.quality.get(oid, {})
        x = cycle.extended.get(oid, {})
        pose = self.config.pose
        fwd, left = g["Obj_DistLong"], g["Obj_DistLat"]
        e, n = pose.to_enu(fwd, left, self._origin)
        ve, vn = pose.to_enu(g["Obj_VrelLong"], g["Obj_VrelLat"])
        speed = math.hypot(ve, vn)
        heading: float | None = heading_from_velocity(ve, vn) if speed > 0.5 else None
        if heading is None and "Obj_OrientationAngle" in x:
            heading = (pose.yaw_deg - x["Obj_OrientationAngle"]) % 360.0
        sig = [rms_index_to_m(int(q[k])) for k in ("Obj_DistLong_rms", "Obj_DistLat_rms") if k in q]
        sigmas = [s for s in sig if s is not None]
        return RadarObject(
            radar=self.config.name,
            object_id=oid,
            time=cycle.time,
            x_m=e,
            y_m=n,
            vx_mps=ve,
            vy_mps=vn,
            speed_mps=speed,
            heading_deg=heading,
            dist_long_m=fwd,
            dist_lat_m=left,
            rcs_dbsm=g.get("Obj_RCS", 0.0),
            dyn_prop=DYN_PROP[int(g.get("Obj_DynProp", 4)) & 7],
            label=CLASS_LABEL[int(x["Obj_Class"]) & 7] if x else "unknown",
            prob_exist=PROB_OF_EXIST[int(q["Obj_ProbOfExist"]) & 7]
            if "Obj_ProbOfExist" in q
            else None,
            sigma_m=math.sqrt(sum(s * s for s in sigmas) / len(sigmas)) if sigmas else None,
            meas_state=int(q["Obj_MeasState"]) if "Obj_MeasState" in q else None,
            length_m=x.get("Obj_Length"),
            width_m=x.get("Obj_Width"),
        )

    def _log_once(self, key: str, **fields_: object) -> None:
        if key in self._logged:
            return
        self._logged.add(key)
        event = key.split(":", 1)[0]
        log.warning("radar_" + event if not event.startswith("can") else event, **fields_)
