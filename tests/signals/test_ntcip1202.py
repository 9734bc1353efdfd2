"""The ``ntcip1202`` source against a real SNMP agent on loopback playing a controller:
net-snmp's ``snmpd`` with ``hil.tsc_agent`` (the emulator) as its pass_persist handler."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rsu.clock import SystemClock
from rsu.queues import BoundedQueue
from rsu.signals.core import SignalsCore, SpatSettings
from rsu.signals.model import Datagram, Report, bit
from rsu.signals.ntcip1202 import Ntcip1202Source
from tests.conftest import wait_until
from tests.signals.helpers import config

pytest.importorskip("pysnmp")  # the signals extra; .ci/run installs it with [dev]


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Any]:
    from hil.tsc_agent import SNMPD, Snmpd

    if not Path(SNMPD).exists():
        pytest.fail("snmpd is not installed (.ci/run installs Debian's snmpd)")
    a = Snmpd(tmp_path, _udp_port()).start()
    yield a
    a.stop()


def signals(agent: Any, snmp: dict[str, Any]) -> Any:
    return config(
        {
            "source": "ntcip1202",
            "intersection_id": 1001,
            "controller": f"127.0.0.1:{agent.port}",
            "groups": [
                {"signal_group": 2, "phase": 2},
                {"signal_group": 4, "phase": 4},
                {"signal_group": 12, "phase": 2, "kind": "pedestrian"},
            ],
            "snmp": {"timeout_s": 0.5, "retries": 1, **snmp},
        }
    )


def poll(agent: Any, snmp: dict[str, Any], n: int = 3) -> tuple[Ntcip1202Source, list[Report]]:
    q: BoundedQueue[Datagram | Report] = BoundedQueue(100)
    src = Ntcip1202Source(signals(agent, snmp), SystemClock(), q)
    deadline = time.monotonic() + 20.0
    src.start()
    try:
        assert wait_until(lambda: len(q) >= n, timeout=max(1.0, deadline - time.monotonic())), (
            src.health(),
            (agent.workdir / "snmpd.log").read_text()[-2000:],
        )
    finally:
        src.stop()
    return src, [r for r in q.drain() if isinstance(r, Report)]


TIMING = {f"{k}_oid": f"1.3.6.1.4.1.32473.1.{i}" for i, k in enumerate(
    ("vehicle_min", "vehicle_max", "ped_min", "ped_max", "overlap_min", "overlap_max"), start=1
)}  # fmt: skip


@pytest.mark.parametrize(
    "snmp",
    [
        {"version": "2c"},
        {"version": "1"},
        {"version": "3", "user": "rsu", "auth": "sha", "priv": "aes128"},
    ],
    ids=["v2c", "v1", "v3"],
)
def test_phase_status_and_timing_from_a_real_agent(
    agent: Any, snmp: dict[str, Any], tmp_path: Path
) -> None:
    if snmp["version"] == "3":
        (tmp_path / "auth").write_text("authpass123\n")
        (tmp_path / "priv").write_text("privpass123\n")
        snmp = {
            **snmp,
            "auth_key_file": str(tmp_path / "auth"),
            "priv_key_file": str(tmp_path / "priv"),
        }
    src, reports = poll(agent, {**snmp, **TIMING})
    r = reports[-1]
    assert r.peer == f"127.0.0.1:{agent.port}"
    assert r.source == "ntcip1202"
    m = r.state.maps
    # the emulator's default plan: phases 2/6 then 4/8; exactly one colour lit per phase
    for p in (2, 4):
        assert sum(bit(x, p) for x in (m.reds, m.yellows, m.greens)) == 1
    assert bit(m.greens, 2) != bit(m.greens, 4) or not (bit(m.greens, 2) or bit(m.greens, 4))
    t2 = r.state.times(2)
    assert t2 is not None
    assert t2.vehicle_min is not None
    assert t2.vehicle_min == t2.vehicle_max
    assert src.health()["controllers"][0]["failures"] == 0  # type: ignore[index]


def test_reports_become_spat_in_the_core(agent: Any) -> None:
    from rsu.v2x.codec import get_codec

    cfg = signals(agent, {**TIMING})
    _, reports = poll(agent, {**TIMING})
    codec = get_codec("j2735")
    core = SignalsCore(cfg, SpatSettings(), codec.encode)
    r = reports[-1]
    out = core.on_report(r, r.rx_monotonic)
    inter = codec.decode(out.transmissions[0].payload).value["intersections"][0]
    assert {m["signalGroup"] for m in inter["states"]} == {2, 4, 12}


def test_flash_and_preempt_set_the_status_bits(agent: Any) -> None:
    agent.set_mode("flash")
    _, reports = poll(agent, {}, n=2)
    s = reports[-1].state
    assert s.status & 0b100
    assert s.maps.flashing & s.maps.reds
    agent.set_mode("preempt")
    _, reports = poll(agent, {}, n=2)
    assert not reports[-1].state.status & 0b1000  # preemptState not polled (preempts = 0)
    _, reports = poll(agent, {"preempts": 1}, n=2)
    assert reports[-1].state.status & 0b1000


def test_the_enable_set_is_configurable_and_sent(agent: Any) -> None:
    oid = "1.3.6.1.4.1.1206.3.5.2.9.44.1.1"
    src, _ = poll(agent, {"version": "1", "community": "private", "enable_oid": oid,
                          "enable_value": 6}, n=1)  # fmt: skip
    sets = agent.sets()
    # SNMP retries a set whose answer came late (a loaded machine): each one is the configured set
    assert sets
    assert set(sets) == {f"{oid} integer 6"}
    assert src.health()["controllers"][0]["enable"] == "ok"  # type: ignore[index]


def test_a_refused_enable_is_reported_and_polling_goes_on(agent: Any) -> None:
    src, reports = poll(
        agent, {"enable_oid": "1.3.6.1.4.1.1206.3.5.2.9.44.1.1", "enable_value": 6}, n=2
    )  # fmt: skip  (public: read-only)
    assert agent.sets() == []
    assert str(src.health()["controllers"][0]["enable"]).startswith("failed")  # type: ignore[index]
    assert reports


def test_no_agent_counts_failures_and_reports_nothing(tmp_path: Path) -> None:
    port = _udp_port()
    cfg = config(
        {
            "source": "ntcip1202",
            "intersection_id": 1,
            "controller": f"127.0.0.1:{port}",
            "groups": [{"signal_group": 2, "phase": 2}],
            "snmp": {"timeout_s": 0.05, "poll_hz": 20.0},
        }
    )
    q: BoundedQueue[Datagram | Report] = BoundedQueue(10)
    src = Ntcip1202Source(cfg, SystemClock(), q)
    src.start()
    try:
        assert wait_until(lambda: src.controllers[0].failures >= 2)
    finally:
        src.stop()
    assert len(q) == 0
