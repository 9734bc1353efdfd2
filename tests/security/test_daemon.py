"""[security] in the daemon: signing at the one transmit boundary, verification of what is
received (the record's ``security``), certificate expiry in status and alarms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import load_config
from rsu.daemon import Daemon, build
from rsu.errors import SecurityError
from rsu.radio.sim import SimRadio
from rsu.security.keys import write_pem_key
from rsu.security.pki import LocalPki, make_test_pki
from rsu.security.times import utc_to_time32
from rsu.wire import RxFrame, TxRequest
from tests.conftest import narrow
from tests.daemon.helpers import copy_demo
from tests.security.helpers import NOW

SECURITY = """
[security]
trust_dir = "pki/trust"
certificate = "pki/rsu.oer"
key = "pki/rsu.key.pem"
sign = ["MAP", "SPAT"]
verify = "all"
"""


def _write_pki(where: Path, pki: LocalPki) -> None:
    (where / "trust").mkdir(parents=True)
    for name, cert in (("root.oer", pki.root.cert), ("ca.oer", pki.ca.cert)):
        (where / "trust" / name).write_bytes(cert.encoded)
    (where / "rsu.oer").write_bytes(pki.rsu.cert.encoded)
    assert pki.rsu.key is not None
    write_pem_key(pki.rsu.key, where / "rsu.key.pem")


def _daemon(tmp_path: Path, extra: str = SECURITY, **pki_args: object) -> tuple[Daemon, LocalPki]:
    config = copy_demo(tmp_path / "etc")
    pki = make_test_pki(utc_to_time32(NOW), **pki_args)  # type: ignore[arg-type]
    _write_pki(tmp_path / "etc" / "pki", pki)
    config.write_text(config.read_text() + extra)
    return build(load_config(config), FakeClock(NOW)), pki


def _live_spat(d: Daemon) -> None:
    """One TSCBM of the demo's controller emulator, handled as the signals queue would be."""
    from rsu.signals.emulator import PlanConfig
    from rsu.signals.model import Datagram
    from rsu.signals.sim import EmulatorSender

    signals: Any = next(s for s in d.core.stages if s.name == "signals")
    plan = PlanConfig(rings=((2, 4), (6, 8)), barriers=((2, 6), (4, 8)), pedestrian=())
    now, utc = d.clock.monotonic(), d.clock.time()
    data = EmulatorSender(plan, ("127.0.0.1", 9)).datagram(1.0, utc)
    d.core.run("signals", signals.on_item, Datagram(data, "127.0.0.1:6053", now, utc), now, utc)


def test_every_map_and_spat_transmission_is_signed_and_verifies(tmp_path: Path) -> None:
    d, _pki = _daemon(tmp_path)
    clock, core = d.clock, d.core
    for _ in range(12):
        core.tick(clock.monotonic(), clock.time())
        _live_spat(d)  # the signals stage's live SPaT: a transmission through the same boundary
        narrow(clock, FakeClock).advance(0.1)
    heard: list[TxRequest] = narrow(d.parts.radio, SimRadio).tx_log
    # the demo's charging hub TIM is not in `sign`: it goes out as it is
    assert {r.message_type for r in heard} == {"MAP", "SPAT", "TIM"}
    sent = [r for r in heard if r.message_type != "TIM"]
    verifier = core.security.verifier
    results = {verifier.verify(r.payload, clock.time()).result for r in sent}
    assert results == {"valid"}
    signed = core.security.signer.n
    assert signed.signed == len(sent)
    assert signed.with_certificate >= 2  # once a second, and at the start
    assert signed.with_digest > 0
    # a one-shot through the same boundary (rsu tx / cloud): signed as well
    request = core.send_now(_bare(sent[0]), None, 183)
    assert core.transmit(request, clock.time())
    assert verifier.verify(d.parts.radio.tx_log[-1].payload, clock.time()).result == "valid"


def _bare(request: TxRequest) -> bytes:
    from rsu.v2x.dot2 import parse_dot2

    spdu = parse_dot2(request.payload)
    return request.payload[spdu.payload_start : spdu.payload_end]


def test_received_signed_frames_carry_the_security_result_in_their_record(
    tmp_path: Path,
) -> None:
    d, _ = _daemon(tmp_path)
    core = d.core
    d.core.tick(d.clock.monotonic(), d.clock.time())
    map_request = narrow(d.parts.radio, SimRadio).tx_log[0]  # our own signed MAP
    frame = RxFrame(map_request.payload, 1.0, NOW, 183, -60.0, 0xE0000017, "sim")
    records: list[dict[str, object]] = []
    d.parts.uplink.submit = lambda record: records.append(record.body) or True  # type: ignore[method-assign,func-returns-value]
    core.on_rx(frame, 1.0, NOW)
    forged = bytearray(map_request.payload)
    forged[20] ^= 0x10
    core.on_rx(RxFrame(bytes(forged), 1.0, NOW, 183, -60.0, 0xE0000017, "sim"), 1.0, NOW)
    results = [r["security"]["result"] for r in records]  # type: ignore[index]
    assert results == ["valid", "invalid_signature"]  # forwarded, marked (the default)
    sec = records[0]["security"]
    assert sec["psid"] == 2113687
    assert sec["psid_pencoded"] == "0xE0000017"
    assert sec["signer_id8"]
    assert sec["generation_time"]
    status = d.snapshot().as_dict()["security"]
    assert status["received"]["by_psid"]["2113687"]["invalid_signature"] == 1


def test_drop_policy_keeps_invalid_frames_from_the_cloud(tmp_path: Path) -> None:
    d, _ = _daemon(tmp_path, SECURITY + 'invalid = "drop"\n')
    d.core.tick(d.clock.monotonic(), d.clock.time())
    forged = bytearray(narrow(d.parts.radio, SimRadio).tx_log[0].payload)
    forged[20] ^= 0x10
    queued = d.parts.uplink.stats().queued
    d.core.on_rx(RxFrame(bytes(forged), 1.0, NOW, 183, -60.0, 0xE0000017, "sim"), 1.0, NOW)
    assert d.core.n.security_dropped == 1
    assert d.parts.uplink.stats().queued == queued


def test_a_signed_broadcast_the_certificate_does_not_permit_fails_the_build(
    tmp_path: Path,
) -> None:
    with pytest.raises(SecurityError, match=r"broadcast\.messages\[0\] \(map-main, MAP\)"):
        _daemon(tmp_path, psids=(130,))  # the RSU certificate lacks MAP's PSID


def test_certificate_expiry_shows_in_status_and_raises_alarms_a_week_before(
    tmp_path: Path,
) -> None:
    d, _ = _daemon(tmp_path, rsu_hours=24 * 10)  # valid 10 days from an hour before NOW
    core, clock = d.core, d.clock
    core.tick(clock.monotonic(), clock.time())
    d.serve()
    cert = d.snapshot().as_dict()["security"]["certificate"]
    assert (cert["state"], cert["ntcip_state"]) == ("valid", 2)
    assert 238 <= cert["hours_left"] <= 239
    assert not core.alarms.active("security")
    heartbeat = core.security.certificate()  # what the daemon puts in the heartbeat's health
    assert heartbeat is not None
    assert heartbeat["state"] == "valid"
    narrow(clock, FakeClock).advance(4 * 86400)
    core.tick(clock.monotonic(), clock.time())
    assert [a.alarm.kind for a in core.alarms.active("security")] == ["certificate_expiring"]
    narrow(clock, FakeClock).advance(6 * 86400)
    core.tick(clock.monotonic(), clock.time())
    assert [a.alarm.kind for a in core.alarms.active("security")] == ["certificate_expired"]
    snap = d.snapshot().as_dict()
    assert snap["security"]["certificate"]["state"] == "notValid"
    ours = [a for a in snap["alarms"] if a["source"] == "security"]
    assert [a["severity"] for a in ours] == ["critical"]
