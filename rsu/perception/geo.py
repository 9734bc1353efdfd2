"""WGS84 <-> local ENU metres around a reference point (the RSU), with pymap3d.

This is the only module that imports pymap3d. Inside the daemon everything is in local ENU
metres (x = east, y = north, z = up); WGS84 appears only at the edges (config, V2X, MQTT).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymap3d


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """A local tangent plane (ENU) anchored at ``lat0``/``lon0`` (degrees), ``alt0`` (metres)."""

    lat0: float
    lon0: float
    alt0: float = 0.0

    def to_enu(
        self, lat: float, lon: float, alt: float | None = None
    ) -> tuple[float, float, float]:
        """East, north, up metres of a WGS84 point (``alt`` defaults to the frame's own)."""
        h = self.alt0 if alt is None else alt
        e, n, u = pymap3d.geodetic2enu(lat, lon, h, self.lat0, self.lon0, self.alt0)
        return float(e), float(n), float(u)

    def to_geodetic(self, e: float, n: float, u: float = 0.0) -> tuple[float, float, float]:
        """Latitude, longitude (degrees) and altitude (metres) of an ENU point."""
        lat, lon, alt = pymap3d.enu2geodetic(e, n, u, self.lat0, self.lon0, self.alt0)
        return float(lat), float(lon), float(alt)

    def to_geodetic_many(
        self, e: Sequence[float], n: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """Latitudes and longitudes of many ground points (u = 0) in one vectorised call."""
        if not e:
            return [], []
        lat, lon, _ = pymap3d.enu2geodetic(
            np.asarray(e, dtype=float),
            np.asarray(n, dtype=float),
            0.0,
            self.lat0,
            self.lon0,
            self.alt0,
        )
        return np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist()


def heading_from_velocity(vx: float, vy: float) -> float:
    """Heading in degrees clockwise from north (0..360) of an ENU velocity."""
    return math.degrees(math.atan2(vx, vy)) % 360.0


def velocity_from_heading(speed: float, heading_deg: float) -> tuple[float, float]:
    """ENU velocity (east, north) of a speed along a heading clockwise from north."""
    rad = math.radians(heading_deg)
    return speed * math.sin(rad), speed * math.cos(rad)
