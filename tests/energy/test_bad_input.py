"""The bad input table (docs/energy.md), end to end through the source, the core and a real
AlarmBoard: each bad answer from a real OCPI server or a Modbus device is counted, alarmed,
makes the site unknown on the air (no count), and the next good read restores it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rsu.alarms import AlarmBoard
from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.energy.air import AirSettings, phrases
from rsu.energy.config import EnergyConfig
from rsu.energy.core import FAILED, UNKNOWN, EnergyCore
from rsu.energy.edge import PollingSource
from rsu.energy.modbus import ModbusSource
from rsu.energy.ocpi_http import OcpiSource
from rsu.queues import DROP_OLDEST, BoundedQueue
from rsu.stage import Outputs
from tests.conftest import free_port
from tests.energy.helpers import TOKEN, Behaviour, ocpi_server
from tests.energy.modbus_helpers import Registers, hung_server, modbus_server


def _energy(site: dict[str, Any]) -> EnergyConfig:
    base = {"id": "s1", "name": "Site", "latitude": 42.28, "longitude": -83.74}
    return EnergyConfig.from_table(Table({"sites": [{**base, **site}]}, "energy"))


class Rig:
    """A source, the core and an alarm board, routed as the daemon's core routes them."""

    def __init__(self, config: EnergyConfig, make: Callable[..., PollingSource]) -> None:
        self.clock = FakeClock()
        self.queue: BoundedQueue[Any] = BoundedQueue(8, policy=DROP_OLDEST)
        self.source = make(config.sites[0], self.clock, self.queue)
        self.core = EnergyCore(config, AirSettings(), self.clock.monotonic())
        self.board = AlarmBoard()

    def poll(self) -> Outputs:
        self.source.poll_once()
        out = Outputs()
        for item in self.queue.drain():
            out += self.core.on_item(item, self.clock.monotonic(), self.clock.time())
        for alarm in out.raises:
            self.board.raise_(alarm, self.clock.time())
        for clear in out.clears:
            self.board.clear(clear.source, clear.kind, self.clock.time())
        return out

    def on_air(self) -> list[str]:
        return phrases(self.core.view("s1", self.clock.monotonic()))


@contextmanager
def ocpi(behaviour: Behaviour, tmp: Path) -> Iterator[Rig]:
    token = tmp / "token"
    token.write_text(TOKEN)
    with ocpi_server(behaviour) as url:
        table = {"url": url, "token_file": str(token), "poll_s": 2, "timeout_s": 0.3}
        rig = Rig(_energy({"source": "ocpi", "ocpi": table}), OcpiSource)
        try:
            yield rig
        finally:
            rig.source.close()


OCPI_BAD: dict[str, Callable[[Behaviour], object]] = {
    "unauthorized": lambda b: setattr(b, "token", "revoked"),
    "timeout": lambda b: setattr(b, "delay_s", 0.8),
    "bad_json": lambda b: setattr(b, "body", b'{"data": {"evses": [{"uid": "1", '),
    "bad_shape": lambda b: setattr(
        b, "body", b'{"data": {"evses": [{"uid": 1}]}, "status_code": 1000}'
    ),
    "http_status": lambda b: setattr(b, "status", 503),
    "ocpi_status": lambda b: setattr(b, "body", b'{"data": null, "status_code": 3000}'),
}


@pytest.mark.parametrize("reason", sorted(OCPI_BAD))
def test_a_bad_ocpi_answer_is_counted_alarmed_and_unknown_on_the_air(
    tmp_path: Path, reason: str
) -> None:
    behaviour = Behaviour()
    with ocpi(behaviour, tmp_path) as rig:
        rig.poll()
        known = rig.on_air()
        assert known == ["CCS 1/3", "CHAdeMO 1/1", "Type 1 1/2"]
        OCPI_BAD[reason](behaviour)
        out = rig.poll()
        assert rig.on_air() == ["CCS unknown", "CHAdeMO unknown", "Type 1 unknown"]
        assert out.upserts  # the broadcast is rebuilt at once, without the old count
        assert rig.source.failures == {reason: 1}
        assert rig.core.live["s1"].failures == {reason: 1}
        assert {a.alarm.kind for a in rig.board.active("energy")} == {FAILED, UNKNOWN}
        assert reason in rig.board.active("energy")[0].alarm.detail
        good = Behaviour()
        behaviour.__dict__.update({k: v for k, v in good.__dict__.items() if k != "requests"})
        rig.poll()
        assert rig.on_air() == known
        assert rig.board.active("energy") == ()


def test_an_ocpi_server_that_is_down(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    url = f"http://127.0.0.1:{free_port()}/locations/L"
    table = {"url": url, "token_file": str(token), "poll_s": 2, "timeout_s": 0.3}
    rig = Rig(_energy({"source": "ocpi", "ocpi": table}), OcpiSource)
    rig.poll()
    rig.source.close()
    assert rig.source.failures == {"unreachable": 1}
    assert rig.on_air() == ["status unknown"]
    assert {a.alarm.kind for a in rig.board.active("energy")} == {FAILED, UNKNOWN}


def _modbus_rig(port: int) -> Rig:
    evses = [{"uid": "E1", "register": 10, "connectors": ["CCS"], "power_kw": 50}]
    table = {"host": "127.0.0.1", "port": port, "poll_s": 1, "timeout_s": 0.3, "evses": evses}
    return Rig(_energy({"source": "modbus", "modbus": table}), ModbusSource)


def test_a_modbus_device_that_stops_answering(tmp_path: Path) -> None:
    registers = Registers()
    with modbus_server(registers) as port:
        rig = _modbus_rig(port)
        rig.poll()
        assert rig.on_air() == ["CCS 1/1"]
    with hung_server() as hung:
        rig.source.close()
        rig.source = _modbus_rig(hung).source  # the same site, its device now hung
        rig.source.queue = rig.queue
        rig.poll()
        rig.source.close()
    assert rig.source.failures == {"timeout": 1}
    assert rig.on_air() == ["CCS unknown"]
    assert {a.alarm.kind for a in rig.board.active("energy")} == {FAILED, UNKNOWN}
