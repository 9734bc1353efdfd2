"""``[snmp]`` in the daemon, the core thread's side: one part plugged in through the seam.

``SnmpPart`` is what ``rsu.daemon.build`` registers (docs/daemon.md, "Adding a part"):

- the handler of the ``snmp`` queue (``on_request``): a ``ChangeRequest`` is validated and
  committed by ``rsu.management.service`` (the same checks as the config and cloud commands),
  saved to the state file and answered; its outputs (broadcast entries, a mode, one-shot
  transmissions) are routed by the core like any part's. A ``Report`` becomes a
  ``management`` record; ``Restore`` puts the state file's rows and mode back;
- a frame listener (``on_frame``): received-message forwarding (``rsuReceivedMsgTable``);
- an alarm listener (``on_alarm``): every change of the core's alarm board becomes the
  mapped NTCIP 1218 notification (``rsu.management.notify``);
- a snapshot reader (``on_snapshot``): the agent's view is rebuilt from each new snapshot
  (once a second), and a mode set by anyone (``rsu standby``, the cloud) is saved, so the
  mode survives a restart whoever set it;
- a section of the snapshot (``status``): ``snmp`` in ``rsu status``.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from rsu import __version__
from rsu.alarms import AlarmChange
from rsu.clock import Clock
from rsu.errors import ManagementError
from rsu.geo import distance_m
from rsu.management import state as store
from rsu.management.config import SnmpConfig, read_secrets
from rsu.management.notify import notification
from rsu.management.service import Decode, Management, Signing
from rsu.management.view import AppCert, Counts, GnssState, Identity, ManagementView, Position
from rsu.management.wiring import ChangeRequest, Link, Report, Restore, SnmpEdge, UdpSender
from rsu.queues import BoundedQueue
from rsu.stage import ModeChange, Notice, Outputs, Record
from rsu.v2x.message import V2xMessage
from rsu.v2x.names import PSIDS
from rsu.v2x.psid import to_pencoded
from rsu.wire import RxFrame

if TYPE_CHECKING:
    from rsu.config.model import RsuSection
    from rsu.daemon.snapshot import Snapshot
    from rsu.management.agent import Agent

log = structlog.get_logger(__name__)
THERMAL = Path("/sys/class/thermal")
MAX_CERTS = 32
IDLE = ("requests", "sets", "refused", "notifications")


class SnmpPart:
    name = "snmp"

    def __init__(
        self,
        config: SnmpConfig,
        rsu: RsuSection,
        clock: Clock,
        queue: BoundedQueue[Any],
        decode: Decode,
        signing: Signing | None = None,
    ) -> None:
        self.config = config
        self.secrets = read_secrets(config)  # a file others may read fails the build, here
        self.rsu = rsu
        self.clock = clock
        self.queue = queue
        self.started, self.started_utc = clock.monotonic(), clock.time()
        self.path = Path(config.state_file)
        self.state = store.load(self.path)
        self.service = Management(decode, signing, location_desc=config.location_description)
        if self.state.location_desc is not None:
            self.service.location_desc = self.state.location_desc
        self.service.restore(self.state.tables)  # read back now: GETs see them from the start
        self.sender = UdpSender()
        self.agent: Agent | None = None
        self.notifications_lost = 0
        self._snapshot: Snapshot | None = None
        self._restored = False
        self._saved_mode = self.state.mode
        self.link = Link(queue, config.set_timeout_s, self.view())
        self.edge = SnmpEdge(self)

    # --- the snmp queue's handler (core thread) ------------------------------------------

    def on_request(self, item: object, now: float, utc: float) -> Outputs | None:
        if isinstance(item, ChangeRequest):
            return self._change(item, utc)
        if isinstance(item, Report):
            return _report(item)
        if isinstance(item, Restore):
            return self._restore()
        raise TypeError(f"not an SNMP request: {type(item).__name__}")

    def _change(self, req: ChangeRequest, utc: float) -> Outputs | None:
        """Validate and commit one SET PDU, save it, answer the agent; the outputs to route."""
        try:
            out = self.service.apply(req.change, utc)
            mode = req.change.mode or self._mode()
            self.save(mode)
            self.link.view = self.view(mode)
            return out
        except ManagementError as err:
            req.error = err
            return None
        except Exception:  # the guard logs and alarms it; the manager gets genErr, not "ok"
            req.error = ManagementError("genErr", 0, "internal error in the agent (logged)")
            raise
        finally:
            req.done.set()

    def _restore(self) -> Outputs:
        self._restored = True
        out = self.service.restore(self.state.tables)
        if self.state.mode in ("standby", "operate"):
            out += Outputs(mode=ModeChange(self.state.mode, "snmp", "state file"))
        return out

    def _mode(self) -> str:
        if self._snapshot is not None:
            return self._snapshot.mode
        return self.state.mode or "operate"

    # --- listeners -----------------------------------------------------------------------

    def on_frame(self, frame: RxFrame, msg: V2xMessage, now: float, utc: float) -> None:
        """A decoded received message: forward it where rsuReceivedMsgTable says."""
        forwarder = self.service.forwarder
        if not forwarder.rules:
            return
        psid = frame.psid if frame.psid is not None else PSIDS.get(msg.short_name)
        received = msg.outer or frame.payload
        for dg in forwarder.on_message(psid, frame.rssi, msg.raw, received, utc):
            self.sender.send(dg)

    def on_alarm(self, change: AlarmChange) -> None:
        """An alarm raised or cleared on the core's board: its NTCIP 1218 notification."""
        agent = self.agent
        uptime = self.clock.monotonic() - self.started
        if agent is None or not agent.notify(*notification(change), uptime_s=uptime):
            self.notifications_lost += 1

    def on_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        if self._restored and snapshot.mode != self._saved_mode:
            self.save(snapshot.mode)
        self.link.view = self.view()

    # --- state, view, status -------------------------------------------------------------

    def save(self, mode: str | None) -> None:
        self.state.tables = self.service.tables
        self.state.mode = self._saved_mode = mode
        self.state.location_desc = self.service.location_desc
        try:
            store.save(self.path, self.state)
        except OSError as err:
            log.error("snmp_state_not_saved", path=str(self.path), error=err.strerror)

    def view(self, mode: str | None = None) -> ManagementView:
        """What the agent serves: the last snapshot, the tables, identity and position."""
        snap, rsu = self._snapshot, self.rsu
        surveyed = None
        if rsu.latitude is not None and rsu.longitude is not None:
            surveyed = Position(rsu.latitude, rsu.longitude, rsu.elevation_m)
        security = snap.sections.get("security") if snap is not None else None
        certificates = _certificates(security)
        return ManagementView(
            identity=Identity(rsu.id, __version__, location_desc=self.service.location_desc),
            mode=mode or self._mode(),
            utc=self.clock.time(),
            uptime_s=self.clock.monotonic() - self.started,
            started_utc=self.started_utc,
            surveyed=surveyed,
            gnss=_gnss(snap, surveyed),
            temperature_c=read_temperature(),
            counts=_counts(snap),
            tables=self.service.tables,
            certificates=certificates,
            enrolled=bool(certificates) if certificates is not None else None,
            alarm_levels=tuple(a.severity for a in snap.alarms) if snap is not None else (),
        )

    def status(self) -> dict[str, Any]:
        """The ``snmp`` section: the one-line summary first, then the details."""
        agent: dict[str, Any] = self.agent.stats() if self.agent is not None else {}
        rows = {name: len(rows) for name, rows in self.service.tables.items()}
        forwarded = {"sent": self.sender.sent, "failed": self.sender.failed}
        details = {
            "rows": rows,
            "forwarding": {**forwarded, "rules": self.service.forwarder.stats()},
            "queue": {"depth": len(self.queue), "dropped": self.queue.dropped},
            "state": {"file": str(self.path), "boots": self.state.boots},
        }
        if not agent:  # not started (or failed to): the summary of what is configured
            listen = "{}:{}".format(*self.config.listen)
            agent = {"listen": listen, "users": len(self.config.users), **dict.fromkeys(IDLE, 0)}
            agent["agent"] = {"running": False}
        agent.setdefault("agent", {})["notifications_lost"] = self.notifications_lost
        return {**agent, **details}


def _report(item: Report) -> Outputs:
    data = {"source": "snmp", "user": item.user, "ok": item.ok, "detail": item.detail}
    summary = f"{item.user}: {'applied' if item.ok else 'refused'} {item.detail}"[:200]
    notice = Notice(
        "snmp_set",
        "info" if item.ok else "warning",
        {"user": item.user, "ok": item.ok, "detail": item.detail},
    )
    return Outputs(records=(Record("management", data, summary),), notices=(notice,))


def read_temperature() -> float | None:
    """The first thermal zone's temperature in degrees C (None when the box has none)."""
    try:
        zones = sorted(THERMAL.glob("thermal_zone*/temp"))
        return int(zones[0].read_text().strip()) / 1000.0 if zones else None
    except (OSError, ValueError):
        return None


def _gnss(snap: Snapshot | None, surveyed: Position | None) -> GnssState | None:
    if snap is None or snap.gnss is None:
        return None
    fix = snap.gnss.fix
    if fix is None or not fix.valid or not (math.isfinite(fix.lat) and math.isfinite(fix.lon)):
        return GnssState(None)
    deviation = None
    if surveyed is not None:
        deviation = distance_m(fix.lat, fix.lon, surveyed.latitude, surveyed.longitude)
    return GnssState(Position(fix.lat, fix.lon), fix.satellites, fix.quality, deviation_m=deviation)


def _counts(snap: Snapshot | None) -> Counts:
    inbound: dict[int, int] = {}
    outbound: dict[int, int] = {}
    if snap is None:
        return Counts()
    for key, c in snap.radio.counters.by_psid.items():
        if key.startswith("0x"):
            psid = int(key, 16)
            inbound[psid], outbound[psid] = c.received, c.sent
    return Counts(inbound, outbound)


def _certificates(section: object) -> tuple[AppCert, ...] | None:
    """The security layer's certificate (``security.certificate``: its NTCIP 1218 state and
    hours left) as the application certificate table; None without a security layer."""
    if not isinstance(section, dict):
        return None
    certs = section.get("certificates")
    if not isinstance(certs, list):
        one = section.get("certificate")
        certs = [one] if isinstance(one, dict) else []
    out = []
    for cert in certs[:MAX_CERTS]:
        if not isinstance(cert, dict):
            continue
        state = cert.get("ntcip_state")
        hours = cert.get("hours_left")
        psids = cert.get("psids", ())
        out.append(
            AppCert(
                _pencoded(psids) if isinstance(psids, list | tuple) else (),
                state if state in (1, 2, 3, 4) else 1,
                hours if isinstance(hours, int) and not isinstance(hours, bool) else None,
            )
        )
    return tuple(out)


def _pencoded(psids: list[object] | tuple[object, ...]) -> tuple[int, ...]:
    """The certificate's PSIDs (integer form, as 1609.2 has them) in the p-encoded form NTCIP
    1218's tables use (0x8002 for SPaT's 130); at most 63 (what rsuSecAppCertPsid holds)."""
    out = []
    for p in psids:
        if isinstance(p, int) and not isinstance(p, bool):
            with contextlib.suppress(ValueError):
                out.append(to_pencoded(p))
    return tuple(out[:63])
