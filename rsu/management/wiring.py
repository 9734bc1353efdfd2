"""``[snmp]`` in the daemon: the agent thread, the change queue, state, forwarding, reports.

The agent thread hands each checked SET to the core through a bounded queue of the core's
inbox (``snmp``, DROP_NEWEST: a full queue answers ``resourceUnavailable``) and waits for the
answer; the core thread (``handle``) validates and applies it with the same helpers the config
and cloud commands use (the broadcast scheduler, the mode helper), saves the state file,
publishes a new view and reports the outcome on the uplink's ``management`` stream. Once a
second (``refresh``) the view is rebuilt from the daemon's snapshot; a mode change made by
``rsu standby`` or the cloud is saved too, so the mode survives a restart whoever set it.
"""

from __future__ import annotations

import math
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from rsu import __version__
from rsu.alarms import AlarmBoard
from rsu.broadcast.scheduler import Remove
from rsu.errors import ManagementError
from rsu.management import state as store
from rsu.management.config import SnmpConfig
from rsu.management.forward import Datagram
from rsu.management.service import Effects, Management
from rsu.management.view import AppCert, Counts, GnssState, Identity, ManagementView, Position
from rsu.management.writes import Change
from rsu.radio.types import BoundedQueue

if TYPE_CHECKING:
    from rsu.daemon.daemon import Daemon
    from rsu.management.agent import Agent

log = structlog.get_logger(__name__)
QUEUE = 16
THERMAL = Path("/sys/class/thermal")


@dataclass(slots=True)
class ChangeRequest:
    change: Change
    done: threading.Event = field(default_factory=threading.Event)
    error: ManagementError | None = None


@dataclass(frozen=True, slots=True)
class Report:
    user: str
    ok: bool
    detail: str


class Link:
    """The agent's side of the queue (``rsu.management.instrum.Link``)."""

    def __init__(self, queue: BoundedQueue[Any], timeout: float, view: ManagementView) -> None:
        self.queue = queue
        self.timeout = timeout
        self.view = view  # replaced whole by the core thread

    def submit(self, change: Change) -> None:
        req = ChangeRequest(change)
        if not self.queue.put(req):
            raise ManagementError("resourceUnavailable", 0, "busy: too many SETs pending")
        if not req.done.wait(self.timeout):
            raise ManagementError("commitFailed", 0, "the core did not answer in time")
        if req.error is not None:
            raise req.error

    def report(self, user: str, ok: bool, detail: str) -> None:
        self.queue.put(Report(user, ok, detail))


class UdpSender:
    """Forwarded messages out (non-blocking; a full socket buffer drops and counts)."""

    def __init__(self) -> None:
        self._socks: dict[int, socket.socket] = {}
        self.sent = 0
        self.failed = 0

    def send(self, dg: Datagram) -> None:
        family = socket.AF_INET6 if ":" in dg.host else socket.AF_INET
        sock = self._socks.get(family)
        if sock is None:
            sock = self._socks[family] = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
        try:
            sock.sendto(dg.data, (dg.host, dg.port))
            self.sent += 1
        except OSError:
            self.failed += 1

    def close(self) -> None:
        for sock in self._socks.values():
            sock.close()


class SnmpEdge:
    """Everything ``[snmp]`` adds to a daemon; built by ``rsu.daemon.build``."""

    def __init__(self, config: SnmpConfig, queue: BoundedQueue[Any], decode: Any) -> None:
        self.config = config
        self.path = Path(config.state_file)
        self.state = store.load(self.path)
        self.service = Management(decode, location_desc=config.location_description)
        if self.state.location_desc is not None:
            self.service.location_desc = self.state.location_desc
        self.queue = queue
        self.sender = UdpSender()
        self.board = AlarmBoard()
        self.link: Link | None = None
        self.agent: Agent | None = None
        self._saved_mode: str | None = self.state.mode

    # --- lifecycle (core thread) ---------------------------------------------------------

    def start(self, d: Daemon) -> None:
        from rsu.management.agent import Agent

        self._carry_out(d, self.service.restore(self.state.tables), "restore", None)
        if self.state.mode in ("standby", "operate"):
            self._carry_out(d, Effects(mode=self.state.mode), "restore", None)
        self.state.boots += 1
        self._save(d)
        self.link = Link(self.queue, self.config.set_timeout_s, self.view(d, d.snapshot_cached()))
        self.agent = Agent(self.config, self.link, self.state.engine_id, self.state.boots)
        self.agent.on_set = self.link.report
        self.agent.start()

    def stop(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        self.sender.close()

    # --- the core thread's work ----------------------------------------------------------

    def handle(self, d: Daemon, item: ChangeRequest | Report) -> None:
        if isinstance(item, Report):
            record = {"source": "snmp", "user": item.user, "ok": item.ok, "detail": item.detail}
            d.parts.uplink.submit_data("management", record, at=d.clock.time())
            log.info("snmp_set", user=item.user, ok=item.ok, detail=item.detail)
            return
        try:
            effects = self.service.apply(item.change, d.clock.time())
        except ManagementError as err:
            item.error = err
        else:
            self._carry_out(d, effects, "snmp", item.change.user)
            self._save(d)
            if self.link is not None:
                self.link.view = self.view(d, d.snapshot_cached())
        item.done.set()

    def _carry_out(self, d: Daemon, fx: Effects, by: str, user: str | None) -> None:
        from rsu.daemon.commands import set_mode

        now, utc = d.clock.monotonic(), d.clock.time()
        for key in fx.removes:
            d.core.scheduler.on_event(Remove(key), now, utc)
        for msg in fx.upserts:
            for text in d.core.upsert(msg, now, utc):
                if not text.startswith("unchanged"):
                    log.info("snmp_broadcast", result=text, by=by, user=user)
        if fx.mode is not None:
            set_mode(d, fx.mode, by=by, ref=user)
        for tx in fx.transmit:
            d.core.transmit(tx)

    def refresh(self, d: Daemon, snapshot: dict[str, Any]) -> None:
        if d.core.mode != self._saved_mode:
            self._save(d)
        if self.link is not None:
            self.link.view = self.view(d, snapshot)

    def _save(self, d: Daemon) -> None:
        self.state.tables = self.service.tables
        self.state.mode = self._saved_mode = d.core.mode
        self.state.location_desc = self.service.location_desc
        try:
            store.save(self.path, self.state)
        except OSError as err:
            log.error("snmp_state_not_saved", path=str(self.path), error=err.strerror)

    def on_message(self, frame: Any, msg: Any, utc: float) -> None:
        """A decoded received message: forward it where rsuReceivedMsgTable says."""
        if not self.service.forwarder.rules:
            return
        from rsu.v2x.names import PSIDS

        psid = frame.psid if frame.psid is not None else PSIDS.get(msg.short_name)
        bare, received = msg.raw, msg.outer or frame.payload
        for dg in self.service.forwarder.on_message(psid, frame.rssi, bare, received, utc):
            self.sender.send(dg)

    def on_gnss_alarm(self, d: Daemon, event: Any) -> None:
        from rsu.alarms import Alarm
        from rsu.management.notify import notification

        utc = d.clock.time()
        kind = str(event.kind)
        if kind in ("fix_restored", "drift_cleared"):
            lost = "loss_of_fix" if kind == "fix_restored" else "drift"
            change = self.board.clear("gnss", lost, utc, str(event.detail))
        else:
            change = self.board.raise_(Alarm("gnss", kind, str(event.detail)), utc)
        if change is not None and self.agent is not None:
            self.agent.notify(*notification(change), uptime_s=d.uptime())

    # --- reading -------------------------------------------------------------------------

    def view(self, d: Daemon, snap: dict[str, Any]) -> ManagementView:
        rsu = d.config.rsu
        surveyed = None
        if rsu.latitude is not None and rsu.longitude is not None:
            surveyed = Position(rsu.latitude, rsu.longitude, rsu.elevation_m)
        return ManagementView(
            identity=Identity(rsu.id, __version__, location_desc=self.service.location_desc),
            mode=d.core.mode,
            utc=d.clock.time(),
            uptime_s=d.uptime(),
            started_utc=d.started_utc,
            surveyed=surveyed,
            gnss=_gnss(snap.get("gnss"), surveyed),
            temperature_c=read_temperature(),
            counts=_counts(d.parts.radio.counters.snapshot()),
            tables=self.service.tables,
            certificates=_certificates(snap.get("security")),
            alarms=self.board.active(),
        )

    def stats(self) -> dict[str, Any]:
        agent = self.agent.stats() if self.agent is not None else {"running": False}
        rows = {name: len(rows) for name, rows in self.service.tables.items()}
        forwarded = {"sent": self.sender.sent, "failed": self.sender.failed}
        return {
            **agent,
            "state_file": str(self.path),
            "rows": rows,
            "forwarding": {**forwarded, "rules": self.service.forwarder.stats()},
            "queue": {"depth": len(self.queue), "dropped": self.queue.dropped},
        }


def read_temperature() -> float | None:
    """The first thermal zone's temperature in degrees C (None when the box has none)."""
    try:
        zones = sorted(THERMAL.glob("thermal_zone*/temp"))
        return int(zones[0].read_text().strip()) / 1000.0 if zones else None
    except (OSError, ValueError):
        return None


def _gnss(section: Any, surveyed: Position | None) -> GnssState | None:
    if not isinstance(section, dict):
        return None
    fix = section.get("fix")
    if not isinstance(fix, dict) or not fix.get("valid"):
        return GnssState(None)
    lat, lon = float(fix.get("lat", 0.0)), float(fix.get("lon", 0.0))
    deviation = None
    if surveyed is not None:
        dn = math.radians(lat - surveyed.latitude) * 6_371_000.0
        de = math.radians(lon - surveyed.longitude) * 6_371_000.0 * math.cos(math.radians(lat))
        deviation = math.hypot(dn, de)
    sats, quality = int(fix.get("satellites") or 0), int(fix.get("quality") or 0)
    return GnssState(Position(lat, lon), sats, quality, deviation_m=deviation)


def _counts(counters: dict[str, Any]) -> Counts:
    inbound: dict[int, int] = {}
    outbound: dict[int, int] = {}
    for key, c in dict(counters.get("by_psid", {})).items():
        if not str(key).startswith("0x"):
            continue
        psid = int(str(key), 16)
        inbound[psid], outbound[psid] = int(c.get("received", 0)), int(c.get("sent", 0))
    return Counts(inbound, outbound)


def _certificates(section: Any) -> tuple[AppCert, ...] | None:
    """From the security layer's status (``snapshot["security"]["certificates"]``)."""
    if not isinstance(section, dict):
        return None
    out = []
    for cert in section.get("certificates", ())[:32]:
        if isinstance(cert, dict):
            psids = tuple(int(p) for p in cert.get("psids", ()) if isinstance(p, int))
            state = {"valid": 2, "expired": 3, "invalid": 3, "future": 4}
            hours = cert.get("hours_left")
            out.append(
                AppCert(psids, state.get(str(cert.get("state")), 1), hours, 168)
                if isinstance(hours, int | None)
                else AppCert(psids, 1)
            )
    return tuple(out)
