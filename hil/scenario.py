"""Scenario files (TOML) as frozen values.

A scenario names its emulated hardware, its actors, its timeline of faults and what it expects
to come out. Every table is read through ``rsu.config.fields.Table`` so an unknown key is an
error naming its dotted path. See ``docs/hil.md`` for the whole format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from rsu.config.fields import Table
from rsu.config.loader import read_toml
from rsu.errors import ConfigError

RADIOS = ("rsu41", "serial")
ACTOR_KINDS = ("vehicle", "pedestrian")
FAULTS = (
    "serial_garbage",
    "bit_errors",
    "radio_unplug",
    "gnss_loss",
    "gnss_drift",
    "can_error_frames",
    "can_bus_off",
    "broker_outage",
    "daemon_kill",
    "camera_stall",
    "flood",
    "malformed",
    "controller_loss",
    "controller_flash",
    "controller_preempt",
)
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Actor:
    """Road users moving along ``path`` (ENU metres around the RSU) and broadcasting.

    ``count`` > 1 spreads copies along the path (and across ``lanes`` metres sideways) from
    the seed; ``speed_mps`` 0 keeps them where they start. ``heading_deg`` overrides the
    heading derived from the path (a wrong-way car still points the way it drives).
    """

    name: str
    kind: str = "vehicle"
    count: int = 1
    path: tuple[Point, ...] = ((0.0, 0.0), (0.0, 1.0))
    speed_mps: float = 10.0
    rate_hz: float = 10.0
    start_s: float = 0.0
    stop_s: float | None = None
    lanes: float = 0.0
    loop: bool = True
    broadcast: bool = True
    """False: the actor is only seen by radar/camera (a pedestrian without a phone)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        pts = t.array("path", [[0.0, 0.0], [0.0, 1.0]], of=list)
        path = tuple((float(p[0]), float(p[1])) for p in pts)
        if len(path) < 2:
            raise ConfigError(t.where("path"), "a path needs at least two points")
        out = cls(
            name=t.string("name"),
            kind=t.string("kind", "vehicle", choices=ACTOR_KINDS),
            count=t.integer("count", 1, lo=1, hi=1000),
            path=path,
            speed_mps=t.number("speed_mps", 10.0, lo=0.0, hi=80.0),
            rate_hz=t.number("rate_hz", 10.0, lo=0.1, hi=50.0),
            start_s=t.number("start_s", 0.0, lo=0.0),
            stop_s=t.number("stop_s", None, lo=0.0),
            lanes=t.number("lanes", 0.0, lo=0.0),
            loop=t.boolean("loop", True),
            broadcast=t.boolean("broadcast", True),
        )
        t.done()
        return out


@dataclass(frozen=True, slots=True)
class RadarSpec:
    """A CAN radar (ARS408 object list from our DBC) that sees the named actors."""

    name: str = "radar0"
    sees: tuple[str, ...] = ()
    north_m: float = 0.0
    east_m: float = 0.0
    yaw_deg: float = 0.0
    cycle_s: float = 0.07

    @classmethod
    def from_table(cls, t: Table) -> Self:
        out = cls(
            name=t.string("name", "radar0"),
            sees=tuple(t.array("sees", [], of=str)),
            north_m=t.number("north_m", 0.0),
            east_m=t.number("east_m", 0.0),
            yaw_deg=t.number("yaw_deg", 0.0, lo=-360.0, hi=360.0),
            cycle_s=t.number("cycle_s", 0.07, lo=0.02),
        )
        t.done()
        return out


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera: the daemon's live ``sim`` source, calibrated onto the first actor it ``sees``
    (see ``hil.camera``), unless ``video`` names a file."""

    name: str = "cam0"
    sees: tuple[str, ...] = ()
    fps: float = 10.0
    video: str = ""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        out = cls(
            name=t.string("name", "cam0"),
            sees=tuple(t.array("sees", [], of=str)),
            fps=t.number("fps", 10.0, lo=1.0, hi=30.0),
            video=t.string("video", ""),
        )
        t.done()
        return out


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault at ``at_s`` seconds into the scenario, lasting ``duration_s``."""

    kind: str
    at_s: float
    duration_s: float = 0.0
    rate_hz: float = 0.0
    count: int = 0

    @classmethod
    def from_table(cls, t: Table) -> Self:
        out = cls(
            kind=t.string("kind", choices=FAULTS),
            at_s=t.number("at_s", lo=0.0),
            duration_s=t.number("duration_s", 0.0, lo=0.0),
            rate_hz=t.number("rate_hz", 0.0, lo=0.0),
            count=t.integer("count", 0, lo=0),
        )
        t.done()
        return out


@dataclass(frozen=True, slots=True)
class Expectation:
    """One check on what came out. ``kind`` picks the check; the other keys are its
    parameters (see ``hil.expect``), kept raw and read by the check itself."""

    kind: str
    name: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    path: Path | None
    description: str = ""
    duration_s: float = 5.0
    drain_s: float = 3.0
    seed: int = 1
    radio: str = "rsu41"
    gnss: bool = False
    signals: bool = False
    """A signal controller (the emulator, TSCBM at 10 Hz) feeds the daemon's live SPaT."""
    actors: tuple[Actor, ...] = ()
    radars: tuple[RadarSpec, ...] = ()
    cameras: tuple[CameraSpec, ...] = ()
    faults: tuple[Fault, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    """Extra daemon config tables merged over the generated config."""

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> Self:
        root = Table(data, "")
        s = root.table("scenario")
        actors = tuple(Actor.from_table(a) for a in root.tables("actors"))
        names = [a.name for a in actors]
        if len(set(names)) != len(names):
            raise ConfigError("actors", "actor names must be unique")
        out = cls(
            name=s.string("name", path.stem if path else "scenario"),
            path=path,
            description=s.string("description", ""),
            duration_s=s.number("duration_s", 5.0, lo=0.1, hi=600.0),
            drain_s=s.number("drain_s", 3.0, lo=0.0, hi=120.0),
            seed=s.integer("seed", 1),
            radio=s.string("radio", "rsu41", choices=RADIOS),
            gnss=s.boolean("gnss", False),
            signals=s.boolean("signals", False),
            actors=actors,
            radars=tuple(RadarSpec.from_table(r) for r in root.tables("radar")),
            cameras=tuple(CameraSpec.from_table(c) for c in root.tables("camera")),
            faults=tuple(
                sorted((Fault.from_table(f) for f in root.tables("faults")), key=lambda f: f.at_s)
            ),
            expectations=tuple(_expectation(e, i) for i, e in enumerate(root.tables("expect"))),
            config=dict(root.raw("config", {}) or {}),
        )
        s.done()
        _check_sees(out, set(names))
        root.done()
        return out

    def with_seed(self, seed: int) -> Scenario:
        from dataclasses import replace

        return replace(self, seed=seed)


def _expectation(t: Table, index: int) -> Expectation:
    from hil.expect import CHECKS

    kind = t.string("kind", choices=tuple(CHECKS))
    name = t.string("name", f"{kind}#{index}")
    params = {k: t.raw(k) for k in list(t.data) if k not in ("kind", "name")}
    # the check validates its own parameters (hil.expect reads them through a Table)
    return Expectation(kind, name, params)


def _check_sees(s: Scenario, names: set[str]) -> None:
    specs: list[RadarSpec | CameraSpec] = [*s.radars, *s.cameras]
    for spec in specs:
        for who in spec.sees:
            if who not in names:
                raise ConfigError(f"{spec.name}.sees", f"no actor named {who!r}")


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    data = read_toml(p)
    try:
        return Scenario.from_dict(data, p.resolve())
    except ConfigError as err:
        raise ConfigError("", f"{p.name}: {err}") from err


def scenario_paths(paths: list[str]) -> list[Path]:
    """Files as given; directories expand to their ``*.toml`` files, sorted."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        out.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
    return out
