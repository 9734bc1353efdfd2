"""The NUT source against Debian's upsd + dummy-ups on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.power.config import PowerConfig
from rsu.power.model import PowerReading, ReadFailure, problem
from rsu.power.nut import NutSource, reading_from_vars
from tests.conftest import free_port
from tests.power.nut_server import NutServer, wait_for_value

ON_BATTERY = {
    "battery.charge": "72",
    "battery.voltage": "51.8",
    "battery.runtime": "1800",
    "battery.temperature": "31.5",
    "ups.status": "OB DISCHRG",
    "ups.load": "20",
    "ups.realpower.nominal": "600",
}


@pytest.fixture
def nut(tmp_path: Path) -> Iterator[NutServer]:
    server = NutServer(tmp_path)
    server.start(ON_BATTERY)
    yield server
    server.stop()


def source_for(port: int, ups: str = "rsu-ups") -> NutSource:
    table = {"source": "nut", "nut": {"server": f"127.0.0.1:{port}", "ups": ups, "timeout_s": 1}}
    return NutSource(PowerConfig.from_table(Table(table, "power")), FakeClock())


def test_reads_the_ups_from_upsd(nut: NutServer) -> None:
    src = source_for(nut.port)
    r = src.read()
    assert isinstance(r, PowerReading), r
    assert (r.soc, r.voltage, r.temperature) == (72.0, 51.8, 31.5)
    assert r.supply == "battery"
    assert r.runtime_min == 30.0
    assert r.watts == 120.0  # 20 % of 600 W
    assert r.flags == ("DISCHRG",)
    assert problem(r) is None
    nut.set({**ON_BATTERY, "ups.status": "OL CHRG", "battery.charge": "74"})
    assert wait_for_value(nut, "ups.status", "OL CHRG")
    r = src.read()  # the same connection, read again
    assert isinstance(r, PowerReading)
    assert (r.supply, r.soc) == ("grid", 74.0)
    src.close()


def test_a_upsd_that_disappears_is_a_failure_then_recovers(nut: NutServer) -> None:
    src = source_for(nut.port)
    assert isinstance(src.read(), PowerReading)
    nut.stop_upsd()
    gone = src.read()
    assert isinstance(gone, ReadFailure)
    assert gone.kind in ("closed", "refused")
    again = src.read()  # not listening any more: refused, no hang
    assert isinstance(again, ReadFailure)
    assert again.kind == "refused"
    nut.start_upsd()
    assert isinstance(src.read(), PowerReading)
    src.close()


def test_an_unknown_ups_is_a_protocol_failure(nut: NutServer) -> None:
    r = source_for(nut.port, ups="no-such-ups").read()
    assert isinstance(r, ReadFailure)
    assert r.kind == "protocol"
    assert "UNKNOWN-UPS" in r.detail


def test_nothing_listening_is_refused() -> None:
    r = source_for(free_port()).read()
    assert isinstance(r, ReadFailure)
    assert r.kind == "refused"


def test_absurd_ups_values_are_caught_by_the_check() -> None:
    assert problem(reading_from_vars({**ON_BATTERY, "battery.charge": "250"})) is not None
    assert problem(reading_from_vars({**ON_BATTERY, "battery.voltage": "n/a"})) is not None
