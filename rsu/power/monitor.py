"""The power monitor (sans-I/O): readings and failures in, alarms, telemetry and sheds out.

The daemon hands it each item the power edge put on its queue (``on_item``) and ticks it
(``tick``: a source silent for ``stale_after_s`` makes the state unknown). It keeps the last
plausible reading, says ``unknown`` while it has none that is fresh, raises and clears the
power alarms and drives the :class:`~rsu.power.shed.ShedOrder`. It returns
:class:`~rsu.stage.Outputs` (alarms, notices) and never touches the uplink, the cameras or the
radio: the daemon applies ``shed`` (``rsu.daemon.power``).

Alarms (source ``power``): ``on_battery``, ``low_battery`` (SoC below ``low_battery_below``),
``over_temperature`` (above ``over_temperature_c``), ``bms_lost`` (the source failed or went
quiet), ``power_data_invalid`` (an absurd reading), and one ``shed_<step>`` per step shed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rsu.alarms import Alarm, Severity
from rsu.power.model import PowerReading, ReadFailure, problem, telemetry
from rsu.power.shed import ShedChange, ShedOrder, ShedSettings
from rsu.stage import NOTHING, Clear, Notice, Outputs

LOG_FIRST = 5
"""Bad readings and failures logged one by one up to this many, then every 100th."""


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    source: str = "sim"
    stale_after_s: float = 5.0
    low_battery_below: float = 20.0
    over_temperature_c: float = 55.0
    shed: ShedSettings = field(default_factory=ShedSettings)


@dataclass(slots=True)
class MonitorCounts:
    readings: int = 0
    rejected: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    stale: int = 0


class PowerMonitor:
    name = "power"

    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        self.order = ShedOrder(settings.shed)
        self.n = MonitorCounts()
        self.reading: PowerReading | None = None
        """The last plausible reading while fresh; None: the power state is unknown."""
        self.last_good: float | None = None
        self.last_problem = ""
        self._active: set[str] = set()
        self._deadline: float | None = None

    # --- input ----------------------------------------------------------------------------

    def on_item(self, item: PowerReading | ReadFailure, now: float, utc: float) -> Outputs:
        if isinstance(item, ReadFailure):
            return self._failed(item)
        why = problem(item)
        if why is not None:
            return self._rejected(item, why)
        self.n.readings += 1
        self.reading, self.last_good = item, now
        self._deadline = now + self.settings.stale_after_s
        out = self._clear("bms_lost", "readings again") + self._clear("power_data_invalid")
        out += self._conditions(item)
        on_grid = item.supply == "grid"
        return out + self._shed(self.order.update(item.soc, on_grid=on_grid))

    def tick(self, now: float, utc: float) -> Outputs:
        if self._deadline is None or now < self._deadline:
            return NOTHING
        self._deadline = None
        self.n.stale += 1
        self.reading = None
        since = self.settings.stale_after_s
        return self._raise(
            "bms_lost", f"{self.settings.source}: no reading for {since:g} s", "critical"
        ) + Outputs(notices=(Notice("power_source_quiet", "warning", {"after_s": since}),))

    def next_deadline(self) -> float | None:
        return self._deadline

    # --- what it says ---------------------------------------------------------------------

    @property
    def state(self) -> str:
        return "unknown" if self.reading is None else "ok"

    def alarms(self) -> list[str]:
        """The active power alarms' kinds, sorted (the telemetry's ``alarms``)."""
        return sorted(self._active)

    def telemetry(self) -> dict[str, Any]:
        """``power: {soc, voltage, current, watts, temperature, source, runtime_min, alarms}``
        plus ``state`` (ok/unknown) and the steps ``shed``."""
        return {
            **telemetry(self.reading, self.alarms()),
            "state": self.state,
            "shed": list(self.order.shed),
        }

    def status(self, now: float) -> dict[str, Any]:
        r = self.reading
        age = None if self.last_good is None else round(now - self.last_good, 1)
        return {
            **self.telemetry(),
            "soh": None if r is None else r.soh,
            "flags": [] if r is None else list(r.flags),
            "from": self.settings.source,
            "age_s": age,
            "readings": self.n.readings,
            "rejected": self.n.rejected,
            "failures": sum(self.n.failures.values()),
            "stale": self.n.stale,
            "shed_changes": self.order.changes,
            "last_problem": self.last_problem,
        }

    # --- inside ---------------------------------------------------------------------------

    def _failed(self, item: ReadFailure) -> Outputs:
        count = self.n.failures.get(item.kind, 0) + 1
        self.n.failures[item.kind] = count
        self.reading = None
        self.last_problem = f"{item.kind}: {item.detail}"
        detail = f"{self.settings.source} {item.kind}: {item.detail}"
        out = self._raise("bms_lost", detail, "critical")
        if count <= LOG_FIRST or count % 100 == 0:
            fields = {"kind": item.kind, "detail": item.detail, "count": count}
            out += Outputs(notices=(Notice("power_read_failed", "warning", fields),))
        return out

    def _rejected(self, item: PowerReading, why: str) -> Outputs:
        self.n.rejected += 1
        self.reading = None
        self.last_problem = why
        out = self._raise("power_data_invalid", f"{self.settings.source}: {why}")
        if self.n.rejected <= LOG_FIRST or self.n.rejected % 100 == 0:
            fields = {"problem": why, "reading": repr(item), "count": self.n.rejected}
            out += Outputs(notices=(Notice("power_reading_rejected", "warning", fields),))
        return out

    def _conditions(self, r: PowerReading) -> Outputs:
        cfg = self.settings
        out = NOTHING
        checks: tuple[tuple[str, bool, str, Severity], ...] = (
            ("on_battery", r.supply == "battery", "running on battery", "warning"),
            (
                "low_battery",
                r.soc is not None and r.soc < cfg.low_battery_below,
                f"SoC {r.soc:.0f} % < {cfg.low_battery_below:g} %" if r.soc is not None else "",
                "critical",
            ),
            (
                "over_temperature",
                r.temperature is not None and r.temperature > cfg.over_temperature_c,
                f"{r.temperature} C > {cfg.over_temperature_c:g} C",
                "critical",
            ),
        )
        for kind, on, detail, severity in checks:
            out += self._raise(kind, detail, severity) if on else self._clear(kind)
        return out

    def _shed(self, changes: list[ShedChange]) -> Outputs:
        out = NOTHING
        for c in changes:
            fields = {"step": c.step, "soc": c.soc, "threshold": c.threshold, "why": c.reason}
            if c.state == "shed":
                severity: Severity = "critical" if c.step == "essential" else "warning"
                out += self._raise(f"shed_{c.step}", c.reason, severity)
                out += Outputs(notices=(Notice("power_shed", "warning", fields),))
            else:
                out += self._clear(f"shed_{c.step}", c.reason)
                out += Outputs(notices=(Notice("power_restored", "info", fields),))
        return out

    def _raise(self, kind: str, detail: str, severity: Severity = "warning") -> Outputs:
        self._active.add(kind)
        alarm = Alarm("power", kind, detail, severity)
        return Outputs(raises=(alarm,))

    def _clear(self, kind: str, detail: str = "") -> Outputs:
        if kind not in self._active:
            return NOTHING
        self._active.discard(kind)
        return Outputs(clears=(Clear("power", kind, detail),))
