"""Road users on the floor: labels, ground detections and tracks (values only, no I/O).

Shared by the camera pipeline, the radar edge, the tracker, fusion and events, so none of
them depends on another for its values. Everything here is a ground-plane quantity in
**local ENU metres** around the RSU reference point (x = east, y = north), times in seconds.
Convert to and from WGS84 with :class:`rsu.geo.LocalFrame`.

The camera pipeline turns each detector box into one :class:`GroundDetection` (the box's
bottom-centre through the ground homography); the tracker consumes them and returns
:class:`Track` values.
"""

from __future__ import annotations

from dataclasses import dataclass

ROAD_USER_LABELS = ("person", "bicycle", "car", "motorcycle", "bus", "truck", "unknown")
"""Labels the detector maps its classes to; anything else is ``unknown``."""

VEHICLE_LABELS = frozenset({"car", "motorcycle", "bus", "truck"})
VRU_LABELS = frozenset({"person", "bicycle"})


@dataclass(frozen=True, slots=True)
class GroundDetection:
    """One observation of one road user on the ground plane at one instant.

    ``time`` is the capture time (monotonic seconds) of the frame or scan it came from.
    ``x_m``/``y_m`` are east/north metres from the RSU reference point. ``score`` is the
    detector's confidence in [0, 1]. ``sensor_id`` names the camera or radar (config name).
    ``length_m``/``width_m`` are the footprint when known (radar, or a calibrated box).
    ``sigma_m`` is the 1-sigma position error of this observation when the sensor knows it
    (``None`` -> the tracker's configured measurement noise).
    """

    time: float
    x_m: float
    y_m: float
    label: str
    score: float
    sensor_id: str
    length_m: float | None = None
    width_m: float | None = None
    sigma_m: float | None = None


@dataclass(frozen=True, slots=True)
class Track:
    """One tracked road user as the tracker reports it after an update.

    ``speed_mps`` and ``heading_deg`` come from the filtered velocity; the heading is
    clockwise from north (the J2735 convention), 0..360. ``moving`` is ``False`` while the
    speed stays under the tracker's stationary threshold. ``label`` is the smoothed class
    (the label with the highest accumulated score). ``hits`` counts updates with a detection;
    ``age_s`` is the time since birth; ``confirmed`` becomes ``True`` after ``min_hits``.
    ``pos_sigma_m`` is the filter's 1-sigma position uncertainty (sqrt of the mean of the
    x and y variances).
    """

    track_id: int
    time: float
    x_m: float
    y_m: float
    vx_mps: float
    vy_mps: float
    speed_mps: float
    heading_deg: float
    label: str
    score: float
    moving: bool
    confirmed: bool
    hits: int
    age_s: float
    pos_sigma_m: float
    sensor_id: str
    length_m: float | None = None
    width_m: float | None = None
