"""Geometry on the floor: WGS84 <-> local ENU metres around the RSU, and flat-earth helpers.

Inside the daemon everything is in local ENU metres (x = east, y = north, z = up); WGS84
appears only at the edges (config, V2X, MQTT). :class:`LocalFrame` is the exact conversion
(pymap3d, which brings numpy: imported on first use, so a module that only needs the scalar
helpers below, such as the radio and GNSS sims, does not pay for it). ``offset_latlon`` and
``distance_m`` are the small-distance spherical approximations the sims, the HIL actors and
the GNSS drift check use, with the one ``EARTH_RADIUS_M``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for the spherical approximations below."""


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
        import pymap3d

        h = self.alt0 if alt is None else alt
        e, n, u = pymap3d.geodetic2enu(lat, lon, h, self.lat0, self.lon0, self.alt0)
        return float(e), float(n), float(u)

    def to_geodetic(self, e: float, n: float, u: float = 0.0) -> tuple[float, float, float]:
        """Latitude, longitude (degrees) and altitude (metres) of an ENU point."""
        import pymap3d

        lat, lon, alt = pymap3d.enu2geodetic(e, n, u, self.lat0, self.lon0, self.alt0)
        return float(lat), float(lon), float(alt)

    def to_geodetic_many(
        self, e: Sequence[float], n: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """Latitudes and longitudes of many ground points (u = 0) in one vectorised call."""
        if not e:
            return [], []
        import numpy as np
        import pymap3d

        lat, lon, _ = pymap3d.enu2geodetic(
            np.asarray(e, dtype=float),
            np.asarray(n, dtype=float),
            0.0,
            self.lat0,
            self.lon0,
            self.alt0,
        )
        return np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist()


def offset_latlon(lat0: float, lon0: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m``/``north_m`` metres from (``lat0``, ``lon0``), on a sphere.

    Good to centimetres within a few hundred metres (a sim's or a test bench's intersection);
    use :class:`LocalFrame` where exactness matters.
    """
    lat = lat0 + math.degrees(north_m / EARTH_RADIUS_M)
    lon = lon0 + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lat, lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def heading_from_velocity(vx: float, vy: float) -> float:
    """Heading in degrees clockwise from north (0..360) of an ENU velocity."""
    return math.degrees(math.atan2(vx, vy)) % 360.0


def velocity_from_heading(speed: float, heading_deg: float) -> tuple[float, float]:
    """ENU velocity (east, north) of a speed along a heading clockwise from north."""
    rad = math.radians(heading_deg)
    return speed * math.sin(rad), speed * math.cos(rad)
