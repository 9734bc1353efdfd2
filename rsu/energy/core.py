"""The energy core (sans-I/O): site readings, failures and ``now`` in; broadcasts, records,
events and alarms out (``rsu.stage.Outputs``).

Per site it keeps the model (``rsu.energy.model.Site``) and what is on the air. Whenever the
on-air part of a site's view changes (a free count, or known <-> unknown) it returns:

- an upsert of the site's broadcast entry (``energy-<id>``: TIM in J2735, RSI in CSAE 53),
  whose new content makes the scheduler bump its revision and ``msgCnt``; between changes the
  scheduler repeats it every ``interval_ms``;
- a ``sites`` record (the site status record: counts, state, reason, age, source);
- a ``site_full`` event when the last free EVSE was taken and ``site_available`` when one
  frees again after that (``events`` stream).

``tick`` finds sites whose data went stale (``next_deadline``: the next EVSE to pass
``stale_after_s``). Two alarms cover all sites, each naming the sites concerned in its detail:
``charging_source_failed`` (the last read of a site's source failed: down, timeout, 401 ...)
and ``charging_site_unknown`` (a site's status is unknown: stale, failed, or never read for
``STARTUP_GRACE_S`` after start); each clears when no site is left in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rsu.alarms import Alarm
from rsu.energy.air import AirSettings, frame
from rsu.energy.config import EnergyConfig, SiteConfig
from rsu.energy.model import Site, SiteFailure, SiteReading, SiteView, StandardCount
from rsu.stage import NOTHING, Clear, Outputs, Record
from rsu.wire import BroadcastMessage

ALARM_SOURCE = "energy"
FAILED = "charging_source_failed"
UNKNOWN = "charging_site_unknown"
STARTUP_GRACE_S = 60.0
"""A site never read is reported unknown (alarm) this long after start (or its stale_after_s,
whichever is shorter)."""
STREAM = "sites"

OnAir = tuple[str, tuple[StandardCount, ...]]


@dataclass(slots=True)
class Live:
    """One site as the core follows it."""

    cfg: SiteConfig
    site: Site
    on_air: OnAir | None = None
    since_utc: float = 0.0
    was_full: bool = False
    readings: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    changes: int = 0
    last_failure: str = ""


@dataclass(slots=True)
class Counters:
    readings: int = 0
    failures: int = 0
    unknown_site: int = 0
    commands: int = 0
    broadcasts: int = 0
    events: int = 0


def count_dict(c: StandardCount) -> dict[str, Any]:
    return {"standard": c.standard, "free": c.free, "total": c.total, "max_kw": c.max_kw}


class EnergyCore:
    def __init__(
        self,
        config: EnergyConfig,
        settings: AirSettings,
        started: float = 0.0,
        check: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        """``check``: encodes a frame (the self-check at build; None: not checked here)."""
        self.config = config
        self.settings = settings
        self.started = started
        self.live = {
            s.id: Live(s, Site(s.identity, stale_after_s=s.stale_after_s)) for s in config.sites
        }
        self.n = Counters()
        self._due: float | None = started
        self._ticked = False
        self._alarms: dict[str, str] = {FAILED: "", UNKNOWN: ""}
        if check is not None:
            for item in self.live.values():
                check(self._frame(item, item.site.view(started), 0.0))

    # --- inputs -----------------------------------------------------------------------------

    def on_item(self, item: SiteReading | SiteFailure, now: float, utc: float) -> Outputs:
        """A source's result (the ``energy`` queue's handler)."""
        live = self.live.get(item.site_id)
        if live is None:
            self.n.unknown_site += 1
            return NOTHING
        if isinstance(item, SiteReading):
            self.n.readings += 1
            live.readings += 1
            live.site.apply(item)
        else:
            self.n.failures += 1
            live.failures[item.reason] = live.failures.get(item.reason, 0) + 1
            live.last_failure = f"{item.reason}: {item.detail}"
            live.site.fail(item)
        return self._update(live, now, utc) + self._alarm_outputs(now)

    # --- time -------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self.started if not self._ticked else self._due

    def tick(self, now: float, utc: float) -> Outputs:
        """Re-evaluate every site when one may have gone stale (and at the first tick: every
        site goes on the air, known or not, even when a reading came before it)."""
        if self._ticked and (self._due is None or now < self._due):
            return NOTHING
        self._ticked = True
        out = NOTHING
        for live in self.live.values():
            out += self._update(live, now, utc)
        return out + self._alarm_outputs(now)

    def _grace(self, live: Live) -> float:
        """When a site never read counts as unknown (monotonic)."""
        return self.started + min(STARTUP_GRACE_S, live.cfg.stale_after_s)

    def _next_due(self, now: float) -> float | None:
        times = [t for live in self.live.values() if (t := live.site.next_stale(now)) is not None]
        times += [self._grace(lv) for lv in self.live.values() if lv.site.last_read is None]
        future = [t for t in times if t > now]
        return min(future) if future else None

    # --- one site ---------------------------------------------------------------------------

    def view(self, site_id: str, now: float) -> SiteView:
        return self.live[site_id].site.view(now)

    def _update(self, live: Live, now: float, utc: float) -> Outputs:
        view = live.site.view(now)
        self._due = self._next_due(now)
        if view.on_air() == live.on_air:
            return NOTHING
        first = live.on_air is None
        live.on_air, live.since_utc = view.on_air(), utc
        live.changes += 1
        self.n.broadcasts += 1
        records = [
            Record(STREAM, self.record(live, view, now, utc), f"{view.identity.id} {view.text()}")
        ]
        if view.state == "ok" and view.counts:
            full = view.full
            if full != live.was_full and not (first and not full):
                records.append(
                    self._event(live, view, utc, "site_full" if full else "site_available")
                )
            live.was_full = full
        upsert = self._message(live, view)
        return Outputs(records=tuple(records), upserts=(upsert,))

    def _event(self, live: Live, view: SiteView, utc: float, kind: str) -> Record:
        self.n.events += 1
        data = {
            "type": kind,
            "site": view.identity.id,
            "name": view.identity.name,
            "time": utc,
            "latitude": view.identity.latitude,
            "longitude": view.identity.longitude,
            "counts": [count_dict(c) for c in view.counts],
        }
        return Record("events", data, f"{kind} {view.identity.id}")

    def record(self, live: Live, view: SiteView, now: float, utc: float) -> dict[str, Any]:
        """The site status record (also the detail of ``rsu status --json``)."""
        age = None if view.confirmed is None else round(max(0.0, now - view.confirmed), 3)
        return {
            "site": view.identity.id,
            "name": view.identity.name,
            "operator": view.operator,
            "latitude": view.identity.latitude,
            "longitude": view.identity.longitude,
            "source": live.cfg.source,
            "state": view.state,
            "reason": view.reason,
            "full": view.full,
            "free": view.free,
            "total": view.total_evses,
            "counts": [count_dict(c) for c in view.counts],
            "age_s": age,
            "text": view.text(),
            "utc": utc,
        }

    def _frame(self, live: Live, view: SiteView, since_utc: float) -> dict[str, Any]:
        return frame(view, live.cfg.radius_m, since_utc, self.settings)

    def _message(self, live: Live, view: SiteView) -> BroadcastMessage:
        s = self.settings
        return BroadcastMessage(
            key=f"energy-{live.cfg.id}",
            psid=s.psid,
            channel=s.channel,
            interval_ms=live.cfg.interval_ms,
            priority=s.priority,
            frame_jer=self._frame(live, view, live.since_utc),
            message_type="RSI" if s.standard == "csae53" else "TIM",
            source="energy",
        )

    # --- alarms -----------------------------------------------------------------------------

    def _alarm_outputs(self, now: float) -> Outputs:
        failed, unknown = [], []
        for site_id, live in self.live.items():
            if live.site.failure is not None:
                failed.append(f"{site_id} ({live.site.failure.reason})")
            view = live.site.view(now)
            if view.state == "unknown" and (
                view.reason != "never_read" or now >= self._grace(live)
            ):
                unknown.append(f"{site_id} ({view.reason})")
        out = NOTHING
        for kind, names, text in (
            (FAILED, failed, "source failed"),
            (UNKNOWN, unknown, "status unknown"),
        ):
            detail = f"{text}: {', '.join(names)}" if names else ""
            if detail == self._alarms[kind]:
                continue
            self._alarms[kind] = detail
            if names:
                out += Outputs(raises=(Alarm(ALARM_SOURCE, kind, detail),))
            else:
                out += Outputs(clears=(Clear(ALARM_SOURCE, kind, "every site ok"),))
        return out

    # --- reporting --------------------------------------------------------------------------

    def snapshot(self, now: float, utc: float) -> dict[str, Any]:
        return {
            "counters": {
                "readings": self.n.readings,
                "failures": self.n.failures,
                "unknown_site": self.n.unknown_site,
                "commands": self.n.commands,
                "broadcasts": self.n.broadcasts,
                "events": self.n.events,
            },
            "sites": [
                {
                    **self.record(live, live.site.view(now), now, utc),
                    "readings": live.readings,
                    "failures": dict(live.failures),
                    "last_failure": live.last_failure,
                    "changes": live.changes,
                }
                for live in self.live.values()
            ],
        }
