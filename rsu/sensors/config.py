"""``[[sensors.radar]]``: one radar, its CAN link and where it is mounted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

from rsu.config.fields import Table, read, setting
from rsu.errors import ConfigError
from rsu.geo import LocalFrame


@dataclass(frozen=True, slots=True)
class MountPose:
    """Where the radar sits and where it looks.

    Either a WGS84 position (``lat``/``lon``/``alt``) or an ENU offset in metres from the RSU
    reference point (``east_m``/``north_m``/``up_m``). ``yaw_deg`` is the boresight heading,
    clockwise from north (0 = looking north, 90 = looking east).
    """

    east_m: float = 0.0
    north_m: float = 0.0
    up_m: float = 0.0
    yaw_deg: float = setting(0.0, lo=-360.0, hi=360.0)
    lat: float | None = setting(None, lo=-90.0, hi=90.0)
    lon: float | None = setting(None, lo=-180.0, hi=180.0)
    alt: float | None = None

    def origin(self, frame: LocalFrame | None) -> tuple[float, float]:
        """East/north metres of the radar in the RSU's local frame."""
        if self.lat is None or self.lon is None:
            return self.east_m, self.north_m
        if frame is None:
            raise ConfigError("sensors.radar.lat", "a lat/lon mount needs the RSU reference point")
        e, n, _ = frame.to_enu(self.lat, self.lon, self.alt)
        return e, n

    def to_enu(
        self, forward: float, left: float, origin: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[float, float]:
        """Sensor coordinates (forward along boresight, left) -> ENU east/north."""
        yaw = math.radians(self.yaw_deg)
        s, c = math.sin(yaw), math.cos(yaw)
        return origin[0] + forward * s - left * c, origin[1] + forward * c + left * s


@dataclass(frozen=True, slots=True)
class RadarConfig:
    """One ``[[sensors.radar]]`` table."""

    name: str = "radar0"
    backend: str = "can"
    """``can`` (python-can, any interface it supports) or ``sim``."""
    interface: str = "socketcan"
    channel: str = "can0"
    bitrate: int | None = setting(None, lo=10_000, hi=8_000_000)
    dbc: str | None = None
    """Path of a DBC to use instead of the shipped ``ars408.dbc``."""
    sensor_id: int = setting(0, lo=0, hi=7)
    """ARS408 sensor id 0..7: message ids are 0x60A + 0x10 * sensor_id."""
    pose: MountPose = MountPose()
    expect_quality: bool = True
    expect_extended: bool = True
    max_frames_per_s: int = setting(8000, lo=1)
    """Frames beyond this in one second are dropped and counted as a flood."""
    queue_size: int = setting(4096, lo=1)
    sim_targets: int = setting(8, lo=0, hi=100)
    sim_cycle_s: float = setting(0.07, lo=0.01)
    sim_seed: int = 1

    @classmethod
    def from_table(cls, t: Table) -> Self:
        pose = read(MountPose, t, done=False)
        if (pose.lat is None) != (pose.lon is None):
            raise ConfigError(t.where("lat"), "lat and lon go together")
        return read(cls, t, pose=pose)


def radars_from_table(t: Table) -> list[RadarConfig]:
    """All ``[[sensors.radar]]`` tables of a ``[sensors]`` table (names must be unique)."""
    out = [RadarConfig.from_table(sub) for sub in t.tables("radar")]
    names = [r.name for r in out]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"{t.where('radar')}[{i}].name", f"duplicate radar name {name!r}")
    return out
