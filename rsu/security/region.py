"""Is a position inside a certificate's ``GeographicRegion``? (IEEE 1609.2 6.4.17 ...)

Positions are 1609.2 ``TwoDLocation`` units, 1/10 micro-degrees (1e-7 degree). Circles use
the great-circle distance on a sphere of the WGS84 mean radius (an error far below the metre
resolution of ``radius`` for the few kilometres real regions span). Polygons are tested in
the latitude/longitude plane, as 1609.2 defines their edges. An identified region names
countries: a position cannot be mapped to a country without a boundary database, so the RSU's
own configured country stands for it (``country`` below; None: not checked).
"""

from __future__ import annotations

import math

from rsu.v2x.dot2_cert import Region

EARTH_RADIUS_M = 6_371_008.8
_UNIT = 1e-7


def contains(region: Region, lat: int, lon: int, country: int | None = None) -> bool | None:
    """True/False, or None when it cannot be told (unknown region kind, no country)."""
    if region.kind == "circle" and region.circle is not None:
        c_lat, c_lon, radius = region.circle
        return distance_m(c_lat, c_lon, lat, lon) <= radius
    if region.kind == "rectangles":
        return any(_in_rectangle(rect, lat, lon) for rect in region.rectangles)
    if region.kind == "polygon":
        return _in_polygon(region.polygon, lat, lon)
    if region.kind == "identified":
        return None if country is None else country in region.countries
    return None


def distance_m(lat1: int, lon1: int, lat2: int, lon2: int) -> float:
    p1, p2 = math.radians(lat1 * _UNIT), math.radians(lat2 * _UNIT)
    dp, dl = p2 - p1, math.radians((lon2 - lon1) * _UNIT)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _in_rectangle(rect: tuple[int, int, int, int], lat: int, lon: int) -> bool:
    north, west, south, east = rect
    if not south <= lat <= north:
        return False
    if west <= east:
        return west <= lon <= east
    return lon >= west or lon <= east  # spans the antimeridian


def _in_polygon(points: tuple[tuple[int, int], ...], lat: int, lon: int) -> bool:
    """Ray casting (even-odd rule); a polygon of fewer than 3 points contains nothing."""
    if len(points) < 3:
        return False
    inside = False
    j = len(points) - 1
    for i in range(len(points)):
        lat_i, lon_i = points[i]
        lat_j, lon_j = points[j]
        if (lat_i > lat) != (lat_j > lat):
            cross = lon_i + (lat - lat_i) * (lon_j - lon_i) / (lat_j - lat_i)
            if lon < cross:
                inside = not inside
        j = i
    return inside
