"""The agent's part in an in-process daemon (``build()`` on a FakeClock; the agent thread is
not started): the seam it plugs into (the ``snmp`` queue's handler, a mode output, frame and
alarm listeners, the snapshot reader, its section), SETs through the core thread, the 1609.2
options bit without a security layer, and the state file put back before the first tick."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from rsu.alarms import Alarm
from rsu.clock import FakeClock
from rsu.config.loader import load_config
from rsu.daemon import Daemon, build
from rsu.management import oids, smi, state
from rsu.management.part import SnmpPart
from rsu.management.tables import MSG_REPEAT, RECEIVED_MSG, Row
from rsu.management.wiring import ChangeRequest, Report, Restore, SnmpEdge
from rsu.management.writes import plan
from rsu.stage import Clear, ModeChange, Outputs
from rsu.wire import RxFrame
from tests.conftest import narrow
from tests.daemon.helpers import DEMO_DIR
from tests.management.helpers import make_bench

SPAT = bytes.fromhex(
    "".join(line.split("#")[0].strip() for line in (DEMO_DIR / "spat.hex").read_text().splitlines())
)
REPEAT, FORWARD = MSG_REPEAT.entry, RECEIVED_MSG.entry


class Notifications:
    """Stands in for the agent thread (tested against snmptrapd in test_notify): records
    what the part asks it to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []

    def notify(self, name: str, level: int, text: str, uptime_s: float) -> bool:
        self.sent.append((name, level, text))
        return True


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Daemon:
    bench = make_bench(tmp_path)
    monkeypatch.chdir(tmp_path)
    return build(load_config(bench.config), FakeClock())


def _part(d: Daemon) -> SnmpPart:
    (edge,) = [e for e in d.parts.edges if e.name == "snmp"]
    part = narrow(edge, SnmpEdge).part
    assert isinstance(part, SnmpPart)
    return part


def _set(d: Daemon, *varbinds: tuple[tuple[int, ...], smi.Value]) -> ChangeRequest:
    """One SET PDU as the agent thread hands it over, served by the core thread."""
    part = _part(d)
    req = ChangeRequest(plan(part.link.view, list(varbinds), "rsu-admin"))
    assert d.parts.inbox["snmp"].put(req)
    d.serve()
    assert req.done.is_set()
    return req


def test_the_part_is_registered_through_the_seam(daemon: Daemon) -> None:
    part = _part(daemon)
    assert daemon.parts.inbox.stats()["snmp"].policy == "drop_newest"
    assert part.on_frame in daemon.core.frame_listeners
    assert part.on_alarm in daemon.core.alarm_listeners
    snap = daemon.snapshot()
    assert list(snap.as_dict()["snmp"])[:6] == [
        "listen", "users", "requests", "sets", "refused", "notifications"
    ]  # fmt: skip
    assert part.link.view.mode == snap.mode  # the snapshot reader rebuilt the view


def test_a_mode_output_goes_through_the_core_and_is_saved(daemon: Daemon, tmp_path: Path) -> None:
    core, clock = daemon.core, daemon.clock
    part = _part(daemon)
    part.on_request(Restore(), clock.monotonic(), clock.time())  # as at start
    core.route(Outputs(mode=ModeChange("standby", "test", "ref")), 0.0, clock.time())
    assert core.mode == "standby"
    assert (Outputs(mode=ModeChange("standby", "a")) + Outputs()).mode is not None
    daemon.parts.modes.set("operate", by="control")  # rsu operate: the same one place
    daemon.snapshot()  # the reader sees the mode and saves it, whoever set it
    saved = json.loads((tmp_path / "state" / "ntcip1218.json").read_text())
    assert saved["mode"] == "operate"


def test_a_set_is_applied_on_the_core_thread_and_reported(daemon: Daemon) -> None:
    req = _set(
        daemon,
        ((*REPEAT, 2, 4), smi.octets(b"\x80\x02")),
        ((*REPEAT, 7, 4), smi.octets(SPAT)),
        ((*REPEAT, 4, 4), smi.integer(100)),
        ((*REPEAT, 9, 4), smi.integer(smi.CREATE_AND_GO)),
        ((*oids.MODE, 0), smi.integer(2)),  # standby, in the same PDU
    )
    assert req.error is None
    utc = daemon.clock.time()
    entry = {e.key: e for e in daemon.core.scheduler.report(utc)}["snmp-srm-4"]
    assert (entry.message_type, entry.source) == ("SPAT", "snmp")
    assert daemon.core.mode == "standby"
    daemon.parts.inbox["snmp"].put(Report("rsu-admin", True, "create rsuMsgRepeatStatusTable.4"))
    daemon.serve()
    assert daemon.core.streams["management"].last.startswith("rsu-admin: applied")


@pytest.mark.parametrize("options", [b"\x80", b"\x80\x00"])
def test_a_row_asking_for_signing_is_refused_without_a_security_layer(
    daemon: Daemon, options: bytes
) -> None:
    req = _set(
        daemon,
        ((*REPEAT, 2, 5), smi.octets(b"\x80\x02")),
        ((*REPEAT, 7, 5), smi.octets(SPAT)),
        ((*REPEAT, 11, 5), smi.octets(options)),  # process 1609.2, secure: sign it
        ((*REPEAT, 9, 5), smi.integer(smi.CREATE_AND_GO)),
    )
    assert req.error is not None
    assert (req.error.status, req.error.index) == ("inconsistentValue", 2)  # the options
    assert "security layer" in str(req.error)
    keys = {e.key for e in daemon.core.scheduler.report(daemon.clock.time())}
    assert "snmp-srm-5" not in keys  # nothing of it applied: never sent unsigned
    assert 5 not in _part(daemon).service.tables[MSG_REPEAT.name]
    bypass = _set(  # "bypass 1609.2" (the payload carries its own) and "unsecured" are fine
        daemon,
        ((*REPEAT, 7, 5), smi.octets(SPAT)),
        ((*REPEAT, 11, 5), smi.octets(b"\x00")),
        ((*REPEAT, 9, 5), smi.integer(smi.CREATE_AND_GO)),
    )
    assert bypass.error is None


def test_every_alarm_change_of_the_core_board_becomes_its_notification(daemon: Daemon) -> None:
    part, core, utc = _part(daemon), daemon.core, daemon.clock.time()
    sent = Notifications()
    part.agent = sent  # type: ignore[assignment]
    alarms = [
        Alarm("gnss", "loss_of_fix", "no fix for 3 s"),
        Alarm("signals", "signal_controller_lost", "tscbm 10.0.0.9 quiet", "critical"),
        Alarm("security", "certificate_expiring", "6 days left"),
        Alarm("security", "signature_errors", "30 invalid"),
        Alarm("power", "on_battery", "mains lost"),
        Alarm("core", "internal_error", "1 internal error(s)", "critical"),
        Alarm("core", "watchdog_late", "loop 2 s late"),
    ]
    core.route(Outputs(raises=tuple(alarms)), 0.0, utc)
    core.route(Outputs(raises=(alarms[0],)), 0.0, utc)  # raised again: no new change
    core.route(Outputs(clears=(Clear("gnss", "loss_of_fix", "fix back"),)), 0.0, utc)
    assert [name for name, _, _ in sent.sent] == [
        "rsuTimeSourceLost", "rsuServiceDenialError", "rsuCertificateError",
        "rsuSignatureVerifyError", "rsuEnvironError", "rsuWatchdogError", "rsuWatchdogError",
        "rsuTimeSourceLost",
    ]  # fmt: skip
    assert sent.sent[1][1:] == (4, "signals signal_controller_lost: tscbm 10.0.0.9 quiet")
    assert sent.sent[-1][1:] == (0, "cleared: gnss loss_of_fix: fix back")
    part.agent = None
    core.route(Outputs(raises=(Alarm("gnss", "drift", "8 m"),)), 0.0, utc)
    assert part.status()["agent"]["notifications_lost"] == 1  # no agent running: counted


def test_received_messages_reach_the_forwarding_rules_as_udp(daemon: Daemon) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        req = _set(
            daemon,
            ((*FORWARD, 2, 1), smi.octets(b"\x80\x02")),
            ((*FORWARD, 3, 1), smi.octets(b"127.0.0.1")),
            ((*FORWARD, 4, 1), smi.integer(port)),
            ((*FORWARD, 10, 1), smi.integer(smi.CREATE_AND_GO)),
        )
        assert req.error is None
        clock = daemon.clock
        frame = RxFrame(SPAT, clock.monotonic(), clock.time(), 183, -70, 0x8002, "sim")
        daemon.parts.radio.rx.put(frame)
        daemon.serve()
        data, _ = sock.recvfrom(4096)
    assert data == SPAT  # the bare MessageFrame (secure = 0)
    assert _part(daemon).status()["forwarding"]["sent"] == 1


def test_the_state_file_is_put_back_before_the_first_tick(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    config = load_config(bench.config)
    row = {**MSG_REPEAT.defaults(), 2: b"\x80\x02", 7: SPAT, 4: 100, 9: smi.ACTIVE}
    path = Path(config.snmp.state_file)  # type: ignore[union-attr]
    saved = state.State({MSG_REPEAT.name: {6: Row.of(6, row)}}, "standby", None, b"\x80" * 9, 3)
    state.save(path, saved)
    d = build(config, FakeClock())
    part = _part(d)
    assert 6 in part.link.view.tables[MSG_REPEAT.name]  # GETs see the rows from the start
    assert d.core.mode == "operate"
    d.parts.inbox["snmp"].put(Restore())  # what the edge queues at start
    d.step()
    assert d.core.mode == "standby"  # before anything transmitted
    assert "snmp-srm-6" in {e.key for e in d.core.scheduler.report(d.clock.time())}
    assert d.core.n.tx_sent == 0


class SecurityStatus:
    """The ``security`` section as i16's security stage writes it (branch i16,
    ``SecurityStage.status``: the RSU certificate's NTCIP 1218 state and hours left); that
    stage is not on main yet, so this stands in for it."""

    name = "security"

    def __init__(self, certificate: dict[str, object] | None) -> None:
        self.certificate = certificate

    def status(self) -> dict[str, object]:
        out: dict[str, object] = {"verify": "all", "invalid": "forward", "sign": ["SPAT"]}
        if self.certificate is not None:
            out["certificate"] = self.certificate
        return out


def test_the_certificate_table_reads_the_security_section(daemon: Daemon) -> None:
    import dataclasses

    from rsu.management.mib import render

    part, stats = _part(daemon), daemon.parts.stats
    cert = {
        "id8": "a38650c824e6bbb9",
        "state": "valid",
        "ntcip_state": 2,
        "hours_left": 150,
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2027-01-01T00:00:00Z",
    }
    entry = oids.SEC_APP_CERT_ENTRY
    tree = render(part.link.view)
    assert tree.get((*oids.SEC_ENROLL_CERT_STATUS, 0)) is None  # no security layer: no table
    stats.sources = dataclasses.replace(stats.sources, sections=(SecurityStatus(cert), part))
    daemon.snapshot()
    tree = render(part.link.view)
    assert tree.get((*entry, 3, 1)) == smi.integer(2)  # valid
    assert tree.get((*entry, 4, 1)) == smi.integer(150)  # hours to expiry
    assert tree.get((*oids.SEC_ENROLL_CERT_STATUS, 0)) == smi.integer(4)  # enrolled
    expired = {**cert, "state": "notValid", "ntcip_state": 3, "hours_left": 0}
    stats.sources = dataclasses.replace(stats.sources, sections=(SecurityStatus(expired), part))
    daemon.snapshot()
    tree = render(part.link.view)
    assert tree.get((*entry, 3, 1)) == smi.integer(3)  # notValid
    assert tree.get((*entry, 4, 1)) == smi.integer(255)  # expired: no hours left to tell
    stats.sources = dataclasses.replace(stats.sources, sections=(SecurityStatus(None), part))
    daemon.snapshot()  # verify only, no certificate to sign with
    tree = render(part.link.view)
    assert tree.get((*entry, 3, 1)) is None
    assert tree.get((*oids.SEC_ENROLL_CERT_STATUS, 0)) == smi.integer(3)  # notEnrolled


def test_a_transmission_asking_for_signing_is_never_sent_unsigned(daemon: Daemon) -> None:
    from rsu.wire import BroadcastMessage, TxRequest

    core, utc = daemon.core, daemon.clock.time()
    assert not core.transmit(TxRequest(SPAT, 0x8002, sign=True), utc)  # no [security] here
    assert (core.n.sign_failed, core.n.tx_sent) == (1, 0)
    entry = BroadcastMessage("signed", 0x8002, 183, 100, payload=SPAT, sign=True)
    (notice,) = core.upsert(entry, 0.0, utc)
    assert (notice.kind, notice.key) == ("rejected", "signed")
    assert "no [security] layer" in notice.detail
