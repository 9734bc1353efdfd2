"""The Modbus TCP source against a real pymodbus server on loopback (and a hung one)."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.energy import modbus
from rsu.energy.config import EnergyConfig, SiteConfig
from rsu.energy.modbus import ModbusSource
from rsu.energy.model import Connector, SiteFailure, SiteReading
from rsu.errors import ConfigError
from rsu.queues import DROP_OLDEST, BoundedQueue
from tests.conftest import free_port
from tests.energy.modbus_helpers import Registers, hung_server, modbus_server


def site(port: int, **extra: Any) -> SiteConfig:
    table = {
        "host": "127.0.0.1",
        "port": port,
        "unit": 1,
        "poll_s": 1,
        "timeout_s": 0.3,
        "evses": [
            {"uid": "E1", "register": 100, "connectors": ["CCS", "CHAdeMO"], "power_kw": 150},
            {"uid": "E2", "register": 101, "connectors": ["CCS"], "power_kw": 150},
            {"uid": "E3", "register": 103, "connectors": ["Type 2"], "power_kw": 22},
            {"uid": "E4", "register": 300, "connectors": ["Type 2"], "power_kw": 22},
        ],
        **extra,
    }
    entry = {
        "id": "depot",
        "name": "Depot",
        "latitude": 42.28,
        "longitude": -83.74,
        "source": "modbus",
        "modbus": table,
    }
    return EnergyConfig.from_table(Table({"sites": [entry]}, "energy")).sites[0]


def source(port: int, **extra: Any) -> ModbusSource:
    queue: BoundedQueue[SiteReading | SiteFailure] = BoundedQueue(8, policy=DROP_OLDEST)
    return ModbusSource(site(port, **extra), FakeClock(), queue)


def test_doctest() -> None:
    assert doctest.testmod(modbus).failed == 0


def test_the_register_map_is_read_into_evse_statuses() -> None:
    registers = Registers()
    registers.set(100, 0, 1, 7, 2)  # E1 available, E2 occupied, (102 unused), E3 reserved
    registers.set(300, 3)  # E4 out of order
    with modbus_server(registers) as port:
        src = source(port)
        result = src.poll_once()
        registers.set(101, 0)  # E2 frees
        again = src.poll_once()
        src.close()
    assert isinstance(result, SiteReading)
    assert [(e.uid, e.status) for e in result.evses] == [
        ("E1", "available"),
        ("E2", "occupied"),
        ("E3", "reserved"),
        ("E4", "out_of_order"),
    ]
    assert result.evses[0].connectors == (Connector("CCS", 150.0), Connector("CHAdeMO", 150.0))
    assert isinstance(again, SiteReading)
    assert again.evses[1].status == "available"
    assert src.reads == 2


def test_input_registers_and_a_custom_value_map() -> None:
    registers = Registers()
    registers.set(100, 10, 20, 0, 30)
    registers.set(300, 99)
    values = {"10": "available", "20": "occupied", "30": "out_of_order"}
    with modbus_server(registers) as port:
        src = source(port, table="input", values=values)
        result = src.poll_once()
        src.close()
    assert isinstance(result, SiteReading)
    assert [e.status for e in result.evses] == ["available", "occupied", "out_of_order", "unknown"]
    assert src.unmapped == 1  # 99 is not in the map: unknown, never a guess


def test_a_hung_server_is_a_timeout_and_the_next_poll_recovers() -> None:
    with hung_server() as port:
        src = source(port)
        failure = src.poll_once()
        src.close()
    assert isinstance(failure, SiteFailure)
    assert failure.reason == "timeout"
    assert src.failures == {"timeout": 1}


def test_a_server_that_is_down_is_unreachable() -> None:
    src = source(free_port())
    failure = src.poll_once()
    assert isinstance(failure, SiteFailure)
    assert failure.reason == "unreachable"
    src.close()


def test_a_wrong_unit_is_a_modbus_exception_or_timeout_never_a_reading() -> None:
    registers = Registers()
    with modbus_server(registers) as port:
        src = source(port, unit=7)
        failure = src.poll_once()
        src.close()
    assert isinstance(failure, SiteFailure)
    assert failure.reason in ("modbus_exception", "timeout")


def test_the_server_going_away_between_polls_is_a_failure_then_back() -> None:
    registers = Registers()
    with modbus_server(registers) as port:
        src = source(port)
        assert isinstance(src.poll_once(), SiteReading)
    failure = src.poll_once()  # the server is gone
    assert isinstance(failure, SiteFailure)
    assert failure.reason in ("unreachable", "timeout")
    src.close()


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"evses": []}, "energy.sites[0].modbus.evses"),
        ({"table": "coils"}, "energy.sites[0].modbus.table"),
        ({"values": {"x": "available"}}, "energy.sites[0].modbus.values.x"),
        ({"values": {"1": "free"}}, "energy.sites[0].modbus.values.1"),
        ({"timeout_s": 2}, "energy.sites[0].modbus.timeout_s"),
        (
            {"evses": [{"uid": "E1", "register": 1, "connectors": ["Tesla"]}]},
            "energy.sites[0].modbus.evses[0].connectors[0]",
        ),
    ],
)
def test_bad_register_maps_name_the_key(extra: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        site(502, **extra)
    assert str(caught.value).startswith(where)
