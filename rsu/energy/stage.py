"""The charging-sites part of the daemon: the sources (edges), their queue and the energy core.

``build_stage`` makes it from ``[energy]`` (every site's TIM or RSI encoded once first, so a
site that cannot go on the air fails the build, not the core loop). The daemon's inbox hands
each item of the ``energy`` queue to ``on_item``; cloud ``site_status`` commands arrive through
``on_command``; the core ticks it (``tick``, ``next_deadline``: staleness); ``status()`` is its
section of the stats snapshot (``rsu status`` shows one line per site). Everything returned is
``rsu.stage.Outputs`` the daemon's core routes: the site broadcasts into the store-and-repeat
table, records and events to the uplink, alarms to the board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rsu.clock import Clock
from rsu.energy import SOURCES
from rsu.energy.air import DEFAULT_SIGN_TYPE, AirSettings
from rsu.energy.command import SiteCommand
from rsu.energy.config import EnergyConfig
from rsu.energy.core import EnergyCore
from rsu.energy.edge import Result
from rsu.energy.model import SiteReading
from rsu.errors import CommandError
from rsu.queues import DROP_OLDEST, BoundedQueue
from rsu.registry import load
from rsu.stage import Outputs
from rsu.uplink.commands import Command


class EnergyStage:
    """``rsu.stage.Stage`` and ``Section`` of the daemon; ``sources`` are its edges."""

    name = "energy"

    def __init__(
        self, core: EnergyCore, sources: tuple[Any, ...], queue: BoundedQueue[Result], clock: Clock
    ) -> None:
        self.core = core
        self.sources = sources
        self.queue = queue
        self.clock = clock

    def on_item(self, item: Result, now: float, utc: float) -> Outputs:
        """The handler of the ``energy`` queue."""
        return self.core.on_item(item, now, utc)

    def check_command(self, cmd: Command) -> None:
        """On the uplink thread, before the ACK: the site exists and is a ``cloud`` site."""
        body = cmd.body
        if not isinstance(body, SiteCommand):
            raise CommandError("bad_value", "site_status: not checked")
        live = self.core.live.get(body.site)
        if live is None:
            known = ", ".join(sorted(self.core.live)) or "none"
            raise CommandError("rejected", f"site_status: no site {body.site!r} (known: {known})")
        if live.cfg.source != "cloud":
            raise CommandError(
                "rejected",
                f"site_status: site {body.site!r} takes its status from {live.cfg.source!r}",
            )

    def on_command(self, cmd: Command, now: float, utc: float) -> Outputs:
        """A checked ``site_status`` command (core thread): what it says, confirmed now."""
        body = cmd.body
        assert isinstance(body, SiteCommand)
        self.core.n.commands += 1
        reading = SiteReading(body.site, body.evses, now, utc, "cloud", body.complete)
        return self.core.on_item(reading, now, utc)

    def tick(self, now: float, utc: float) -> Outputs:
        return self.core.tick(now, utc)

    def next_deadline(self) -> float | None:
        return self.core.next_deadline()

    def status(self) -> Mapping[str, object]:
        """Scalars for the one-line summary and the metrics; each site in ``detail``."""
        snap = self.core.snapshot(self.clock.monotonic(), self.clock.time())
        sites = snap["sites"]
        return {
            "sites": len(sites),
            "unknown": sum(1 for s in sites if s["state"] == "unknown"),
            "full": sum(1 for s in sites if s["full"]),
            "failures": snap["counters"]["failures"],
            "detail": {**snap, "edges": [source.health() for source in self.sources]},
        }


def air_settings(config: EnergyConfig, standard: str, rsu_id: str, aids: Any = None) -> AirSettings:
    """TIM on PSID 0x8003 (J2735) or RSI on the CSAE 53 RSI AID (``[csae53.aids]`` or 3620)."""
    from rsu.broadcast.standards import default_psid
    from rsu.fusion.rsm import rsu_id_octets

    message = "RSI" if standard == "csae53" else "TIM"
    psid = aids.get(message) if standard == "csae53" and aids is not None else None
    if psid is None:
        psid = default_psid(standard, message) or 0x8003
    sign_type = config.sign_type if config.sign_type is not None else DEFAULT_SIGN_TYPE
    return AirSettings(standard, psid, rsu_id=rsu_id_octets(rsu_id), sign_type=sign_type)


def build_stage(
    config: EnergyConfig,
    settings: AirSettings,
    clock: Clock,
    queue: BoundedQueue[Result] | None = None,
    resolve: Callable[[str], Path] = Path,
) -> EnergyStage:
    """Check that every site goes on the air (encoded once), make the sources (not started)."""
    from rsu.broadcast.standards import FrameEncoder

    core = EnergyCore(config, settings, clock.monotonic(), check=FrameEncoder())
    if queue is None:  # (an empty BoundedQueue is falsy: no "or" here)
        queue = BoundedQueue(config.queue_size, policy=DROP_OLDEST)
    sources = []
    for site in config.sites:
        if site.source == "cloud":
            continue
        cls = load(SOURCES, site.source, "energy", extra="energy")
        sources.append(cls(site, clock, queue, resolve))
    return EnergyStage(core, tuple(sources), queue, clock)


def check_sites(config: Any) -> list[list[str]]:
    """``rsu config check``: each site's TIM/RSI encodes, an OCPI site's token file reads (the
    same checks as the daemon's start, nothing polled); one row per site."""
    from rsu.energy.ocpi_http import read_token
    from rsu.errors import ConfigError

    ec = config.energy
    if ec is None:
        return []
    aids = config.csae53.aids if config.csae53 is not None else None
    settings = air_settings(ec, config.rsu.standard, config.rsu.id, aids)
    from rsu.broadcast.standards import FrameEncoder

    EnergyCore(ec, settings, check=FrameEncoder())
    message = "RSI" if settings.standard == "csae53" else "TIM"
    rows = []
    for site in ec.sites:
        what = site.source
        if site.ocpi is not None:
            path = config.resolve(site.ocpi.token_file)
            if read_token(path) is None:
                raise ConfigError(
                    f"{site.ocpi.where}.token_file", f"cannot read a token from {path}"
                )
            what = f"ocpi {site.ocpi.url}, token {path}"
        elif site.modbus is not None:
            what = f"modbus {site.modbus.host}:{site.modbus.port}, {len(site.modbus.evses)} EVSEs"
        rows.append([site.where, f"site {site.id}: {what}", f"{message} ok"])
    return rows
