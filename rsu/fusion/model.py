"""Values and configuration of the fusion core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from rsu.config.fields import Table, read, setting
from rsu.errors import ConfigError


@dataclass(frozen=True, slots=True)
class V2xSender:
    """A vehicle or pedestrian that announces itself (BSM / PSM), in local ENU metres.

    ``v2x_id`` is the J2735 TemporaryID as hex; ``kind`` is ``vehicle`` (BSM) or ``vru`` (PSM).
    ``sigma_m`` comes from the message's positional accuracy (semi-major axis) when present.
    """

    v2x_id: str
    message: str
    kind: str
    time: float
    x_m: float
    y_m: float
    speed_mps: float | None
    heading_deg: float | None
    sigma_m: float | None
    length_m: float | None = None
    width_m: float | None = None


@dataclass(frozen=True, slots=True)
class FusedObject:
    """One road user in the fused picture (local ENU metres, seconds on the monotonic clock).

    ``sources`` names the inputs that saw it (``camera:<name>``, ``radar:<name>``,
    ``v2x:BSM``/``v2x:PSM``); ``source_ids`` the inputs' own ids (``cam0#12``, ``r0#3``,
    ``v2x#0a1b2c3d``). ``confidence`` is 1 - prod(1 - score) over the sources; ``pos_sigma_m``
    the inverse-variance combined 1-sigma position error. ``self_reported`` is ``True`` when
    the object broadcasts its own BSM/PSM (``v2x_id``): it is kept in the object list but not
    re-announced in sensor-data sharing.
    """

    object_id: int
    time: float
    x_m: float
    y_m: float
    vx_mps: float
    vy_mps: float
    speed_mps: float
    heading_deg: float | None
    label: str
    kind: str
    moving: bool
    confidence: float
    pos_sigma_m: float
    sources: tuple[str, ...]
    source_ids: tuple[str, ...]
    self_reported: bool = False
    v2x_id: str | None = None
    length_m: float | None = None
    width_m: float | None = None


def _source_id(value: str, where: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if not 1 <= len(raw) <= 4:
        raise ConfigError(where, f"expected 1..4 bytes as hex, got {value!r}")
    return raw.hex()


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """``[fusion]``: how inputs are combined and shared."""

    gate_m: float = setting(3.0, lo=0.1)
    """Camera/radar observations closer than this (after prediction to ``now``) may merge."""
    v2x_gate_m: float = setting(4.0, lo=0.1)
    """A V2X sender this close to a sensed object is taken to be that object."""
    max_age_s: float = setting(0.5, lo=0.0)
    """Sensor inputs older than this are ignored."""
    v2x_max_age_s: float = setting(1.0, lo=0.0)
    """A BSM/PSM sender not heard for this long is forgotten (BSMs come at 10 Hz)."""
    v2x_range_m: float = setting(300.0, lo=1.0)
    """Senders farther than this from the RSU are not part of the local picture."""
    camera_sigma_m: float = setting(1.0, lo=0.01)
    radar_sigma_m: float = setting(0.5, lo=0.01)
    v2x_sigma_m: float = setting(2.0, lo=0.01)
    """Default position errors when the input does not carry its own."""
    radar_min_exist: float = setting(0.5, lo=0.0, hi=1.0)
    """Radar objects with a lower probability of existence are left out."""
    stationary_mps: float = setting(0.5, lo=0.0)
    max_v2x_senders: int = setting(512, lo=1)
    """Bound on remembered senders; the oldest is dropped (counted) beyond it."""
    sdsm_max_objects: int = setting(255, lo=1, hi=255)
    """J3224 allows 255 objects per SDSM; the most confident are kept."""
    object_list_hz: float = setting(2.0, lo=0.01, hi=50.0)
    """Rate at which the daemon publishes the object list on MQTT."""
    sdsm_hz: float = setting(10.0, lo=0.01, hi=50.0)
    """Rate at which the daemon hands SDSMs to the broadcast scheduler."""
    source_id: str = setting("00000001", check=_source_id)
    """SDSM sourceID: 1..4 bytes as hex (the RSU's identifier)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(cls, t)
