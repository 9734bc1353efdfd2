"""One contract, every backend that runs here: start, receive an RxFrame, send, health, stop.

Each fixture returns a started radio and a function that makes the "air" deliver one payload
to it (the firmware emulator for ``serial``, a forwarding RSU on loopback for ``rsu41``, the
traffic simulation for ``sim``). On the bench the same class runs against real hardware.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from firmware_bridge.emulator import FirmwareEmulator
from rsu.radio import RadioConfig, Rsu41Config, SerialConfig, SimConfig, open_radio
from rsu.radio.rsu41 import Rsu41Radio
from rsu.radio.serial import SerialRadio
from rsu.radio.types import Radio
from rsu.wire import RxFrame, TxRequest
from tests.conftest import narrow

BSM = bytes.fromhex("00142500400000000f0e3f81a9ea2cd0ab0d6000000000000007ffffffff")

Air = Callable[[bytes], None]


@pytest.fixture(params=["serial", "rsu41", "sim"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Radio, Air]]:
    name = request.param
    if name == "serial":
        emu = FirmwareEmulator(str(tmp_path / "tty")).start()
        radio = open_radio(RadioConfig(backend="serial", serial=SerialConfig(port=emu.path)))
        radio.start()
        narrow(radio, SerialRadio).wait_ready(5.0)
        yield radio, emu.inject_rx
        radio.stop()
        emu.stop()
    elif name == "rsu41":
        ifm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ifm.bind(("127.0.0.1", 0))
        cfg = Rsu41Config(listen=("127.0.0.1", 0), ifm_target=ifm.getsockname())
        radio = open_radio(RadioConfig(backend="rsu41", rsu41=cfg))
        radio.start()
        fwd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        address = narrow(radio, Rsu41Radio).listen_address
        yield radio, lambda data: fwd.sendto(data, address)
        radio.stop()
        fwd.close()
        ifm.close()
    else:
        radio = open_radio(RadioConfig(backend="sim", sim=SimConfig(vehicles=1, pedestrians=0)))
        radio.start()
        yield radio, lambda data: None  # the simulation is the air
        radio.stop()


def test_backend_delivers_rx_frames_with_its_name(backend: tuple[Radio, Air]) -> None:
    radio, air = backend
    air(BSM)
    frame = radio.rx.get(timeout=5.0)
    assert isinstance(frame, RxFrame)
    assert frame.backend == radio.name
    assert frame.payload[:2] == b"\x00\x14"
    assert frame.rx_monotonic > 0
    assert frame.rx_utc > 1.6e9
    assert radio.counters.snapshot()["total"]["received"] >= 1  # type: ignore[index]


def test_backend_accepts_a_transmission_and_counts_it(backend: tuple[Radio, Air]) -> None:
    radio, _ = backend
    req = TxRequest(BSM, psid=0x20, channel=172, message_type="BSM")
    assert radio.send(req)
    if radio.name == "serial":  # counted when the firmware's TX_RESULT comes back
        narrow(radio, SerialRadio).transmit(req)
    assert radio.counters.snapshot()["by_type"]["BSM"]["sent"] >= 1  # type: ignore[index]


def test_backend_health_is_json_ready(backend: tuple[Radio, Air]) -> None:
    import json

    radio, _ = backend
    health = radio.health()
    assert health["backend"] == radio.name
    json.dumps(health)
