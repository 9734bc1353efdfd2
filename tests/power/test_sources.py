"""The CAN BMS (python-can's virtual bus), the Modbus controller (a pymodbus server on
loopback) and the sim battery."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import can
import pytest
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.power.can_bms import CanBmsSource, load_dbc
from rsu.power.config import PowerConfig
from rsu.power.modbus import ModbusSource
from rsu.power.model import PowerReading, ReadFailure, problem
from rsu.power.sim import SimBattery
from rsu.power.sources import open_source
from tests.conftest import free_port, wait_until


def config(data: dict[str, Any]) -> PowerConfig:
    return PowerConfig.from_table(Table(data, "power"))


# --- CAN BMS -------------------------------------------------------------------------------


@pytest.fixture
def channel() -> str:
    return f"bms-{uuid.uuid4().hex[:8]}"


def bms_frames(soc: float = 64, current: float = -4.5, **flags: int) -> list[can.Message]:
    db = load_dbc()
    values = {
        0x351: {"ChargeVoltageLimit": 53.2, "ChargeCurrentLimit": 25.0,
                "DischargeCurrentLimit": 50.0, "DischargeVoltageLimit": 45.0},
        0x355: {"SoC": soc, "SoH": 97},
        0x356: {"Voltage": 51.2, "Current": current, "Temperature": 28.5},
        0x359: {s.name: flags.get(s.name, 0) for s in db.get_message_by_frame_id(0x359).signals},
    }  # fmt: skip
    return [
        can.Message(arbitration_id=i, data=db.encode_message(i, v), is_extended_id=False)
        for i, v in values.items()
    ]


def bms(channel: str, clock: FakeClock) -> CanBmsSource:
    cfg = config(
        {"source": "can-bms", "capacity_wh": 2400,
         "can_bms": {"interface": "virtual", "channel": channel, "quiet_after_s": 3}}
    )  # fmt: skip
    return CanBmsSource(cfg, clock)


def test_bms_frames_decode_into_a_reading(channel: str) -> None:
    clock = FakeClock()
    src = bms(channel, clock)
    with can.Bus(interface="virtual", channel=channel) as sender:
        for msg in bms_frames(ProtOverTemperature=1, AlarmHighTemperature=1):
            sender.send(msg)
        r = src.read()
    assert isinstance(r, PowerReading), r
    assert (r.soc, r.soh, r.voltage, r.current, r.temperature) == (64, 97, 51.2, -4.5, 28.5)
    assert r.supply == "battery"
    assert r.charge_limit_a == 25.0
    assert r.discharge_limit_a == 50.0
    assert r.flags == ("AlarmHighTemperature", "ProtOverTemperature")
    assert r.runtime_min == pytest.approx(0.64 * 2400 / (51.2 * 4.5) * 60)
    assert problem(r) is None
    src.close()


def test_bms_charging_current_means_the_charger_supplies(channel: str) -> None:
    src = bms(channel, FakeClock())
    with can.Bus(interface="virtual", channel=channel) as sender:
        for msg in bms_frames(current=3.0):
            sender.send(msg)
        r = src.read()
    assert isinstance(r, PowerReading)
    assert r.supply == "solar"
    src.close()


def test_a_quiet_bms_is_a_failure_and_its_old_values_are_dropped(channel: str) -> None:
    clock = FakeClock()
    src = bms(channel, clock)
    with can.Bus(interface="virtual", channel=channel) as sender:
        for msg in bms_frames():
            sender.send(msg)
        assert isinstance(src.read(), PowerReading)
        clock.advance(1.0)
        assert src.read() is None  # nothing new yet, not a failure
        clock.advance(2.5)
        r = src.read()
        assert isinstance(r, ReadFailure)
        assert r.kind == "quiet"
        sender.send(bms_frames()[2])  # 0x356 only: no SoC known any more
        assert src.read() is None
    src.close()


def test_bad_bms_frames_are_counted_and_absurd_values_caught(channel: str) -> None:
    src = bms(channel, FakeClock())
    with can.Bus(interface="virtual", channel=channel) as sender:
        sender.send(can.Message(arbitration_id=0x355, data=b"\x01", is_extended_id=False))
        sender.send(can.Message(arbitration_id=0x123, data=b"\x00" * 8, is_extended_id=False))
        for msg in bms_frames(soc=250):
            sender.send(msg)
        r = src.read()
    assert src.decoder.bad_frames == 1
    assert src.decoder.other_frames == 1
    assert isinstance(r, PowerReading)
    assert problem(r) == "soc 250.0 outside [0, 100]"
    src.close()


# --- Modbus ---------------------------------------------------------------------------------


BASE = 0x3000


class ModbusServer:
    """A pymodbus TCP server on a loopback port, in its own thread and event loop."""

    def __init__(self, registers: dict[int, int]) -> None:
        self.port = free_port()
        self.values = [0] * 0x400  # input registers 0x3000.. (the list the server reads)
        for address, value in registers.items():
            self.values[address - BASE] = value
        block = ModbusSequentialDataBlock(BASE + 1, self.values)  # 1-based in pymodbus
        context = ModbusServerContext(devices=ModbusDeviceContext(ir=block), single=True)
        self.context = context
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def serve() -> None:
            self.server = ModbusTcpServer(self.context, address=("127.0.0.1", self.port))
            self.ready.set()
            await self.server.serve_forever()

        self.loop.run_until_complete(serve())

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(5)
        self.thread.join(5)


SOLAR = {0x3102: 12000, 0x331A: 5120, 0x331B: 250, 0x3110: 2650, 0x311A: 55}
"""120 W from the panel, 51.2 V, +2.5 A charging, 26.5 C, SoC 55 %."""


@pytest.fixture
def modbus() -> Iterator[ModbusServer]:
    server = ModbusServer(SOLAR)
    yield server
    server.stop()


def modbus_source(port: int) -> ModbusSource:
    cfg = config({"source": "modbus", "modbus": {"port": port, "timeout_s": 0.5}})
    return ModbusSource(cfg, FakeClock())


def test_modbus_controller_registers_make_a_reading(modbus: ModbusServer) -> None:
    src = modbus_source(modbus.port)
    assert wait_until(lambda: isinstance(src.read(), PowerReading), 5.0)
    r = src.read()
    assert isinstance(r, PowerReading)
    assert r.soc == 55
    assert (r.voltage, r.current, r.temperature) == (51.2, 2.5, 26.5)
    assert (r.supply, r.pv_watts) == ("solar", 120.0)
    src.close()
    night = ModbusServer({**SOLAR, 0x331B: 0x10000 - 300, 0x3102: 0})  # -3.0 A: discharging
    src = modbus_source(night.port)
    try:
        assert wait_until(lambda: isinstance(src.read(), PowerReading), 5.0)
        r = src.read()
        assert isinstance(r, PowerReading)
        assert (r.current, r.supply) == (-3.0, "battery")
    finally:
        src.close()
        night.stop()


def test_modbus_controller_gone_is_a_failure_never_a_hang(modbus: ModbusServer) -> None:
    src = modbus_source(modbus.port)
    assert wait_until(lambda: isinstance(src.read(), PowerReading), 5.0)
    modbus.stop()
    r = src.read()
    assert isinstance(r, ReadFailure), r
    assert isinstance(src.read(), ReadFailure)
    src.close()


def test_modbus_silent_peer_is_a_timeout() -> None:
    import socket

    with socket.socket() as listener:  # accepts, never answers: the controller hung
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        src = modbus_source(listener.getsockname()[1])
        r = src.read()
        src.close()
    assert isinstance(r, ReadFailure)
    assert r.kind in ("timeout", "closed")


# --- sim ------------------------------------------------------------------------------------


def test_sim_battery_drains_on_its_load_and_charges_in_the_sun() -> None:
    clock = FakeClock()
    sim_table = {"start_soc": 50, "capacity_wh": 100, "load_w": 60, "speed": 10}
    sim = open_source(config({"source": "sim", "sim": sim_table}), clock)
    assert isinstance(sim, SimBattery)
    first = sim.read()
    clock.advance(60.0)  # 600 simulated s at 60 W = 10 Wh = 10 % of 100 Wh
    later = sim.read()
    assert first.soc == 50.0
    assert later.soc == pytest.approx(40.0)
    assert later.supply == "battery"
    assert later.runtime_min == pytest.approx(40.0)
    assert later.current is not None
    assert later.current < 0
    sunny = SimBattery(config({"source": "sim", "sim": {"solar_w": 200, "start_soc": 99}}), clock)
    clock.advance(3600)
    r = sunny.read()
    assert (r.soc, r.supply) == (100.0, "solar")
