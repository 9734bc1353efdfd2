"""The serial backend against the firmware emulator on a real pty, end to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from firmware_bridge.emulator import EmulatorConfig, FirmwareEmulator
from firmware_bridge.messages import Status, TimeInfo
from rsu.errors import ProtocolVersionError, RadioTimeoutError
from rsu.radio import RadioConfig, SerialConfig, open_radio
from rsu.radio.serial import SerialRadio
from rsu.wire import TxRequest


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def make_radio(path: str, **kw: float) -> SerialRadio:
    serial_cfg = SerialConfig(port=path, reconnect_min_s=0.02, reconnect_max_s=0.1, **kw)  # type: ignore[arg-type]
    radio = open_radio(RadioConfig(backend="serial", serial=serial_cfg))
    assert isinstance(radio, SerialRadio)
    return radio


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[FirmwareEmulator]:
    with FirmwareEmulator(str(tmp_path / "ttyRADIO")) as emu:
        yield emu


@pytest.fixture
def radio(emulator: FirmwareEmulator) -> Iterator[SerialRadio]:
    r = make_radio(emulator.path)
    r.start()
    r.wait_ready(5.0)
    yield r
    r.stop()


def test_handshake_reads_the_firmware_hello(radio: SerialRadio, emulator: FirmwareEmulator) -> None:
    assert radio.firmware is not None
    assert radio.firmware.firmware == "rsu-emu 1.0.0"
    assert emulator.host_hellos == 1
    assert radio.health()["connected"] is True


def test_received_pdu_becomes_an_rx_frame(radio: SerialRadio, emulator: FirmwareEmulator) -> None:
    emulator.inject_rx(b"\x00\x14\x25\x00\x01", psid=0x20, channel=172, rssi=-77)
    frame = radio.rx.get(timeout=5.0)
    assert frame is not None
    assert (frame.payload, frame.psid, frame.channel, frame.rssi, frame.backend) == (
        b"\x00\x14\x25\x00\x01",
        0x20,
        172,
        -77,
        "serial",
    )
    assert abs(frame.rx_utc - time.time()) < 60
    assert radio.counters.snapshot()["by_psid"] == {
        "0x20": {"received": 1, "decoded": 0, "failed": 0, "sent": 0, "send_failed": 0}
    }


def test_transmit_reaches_the_radio_and_is_counted(
    radio: SerialRadio, emulator: FirmwareEmulator
) -> None:
    req = TxRequest(b"\x00\x13spat", psid=0x8002, channel=183, priority=6, message_type="SPAT")
    result = radio.transmit(req)
    assert result.ok
    assert radio.send(req)
    assert wait_for(lambda: len(emulator.tx_log) == 2)
    sent = emulator.tx_log[0]
    assert (sent.payload, sent.psid, sent.channel, sent.priority) == (
        b"\x00\x13spat",
        0x8002,
        183,
        6,
    )
    assert wait_for(lambda: radio.counters.snapshot()["by_type"]["SPAT"]["sent"] == 2)  # type: ignore[index]


def test_rejected_transmission_counts_as_send_failed(radio: SerialRadio) -> None:
    result = radio.transmit(TxRequest(b"\x00\x13x", psid=0x8002, channel=99, message_type="SPAT"))
    assert not result.ok
    assert radio.counters.snapshot()["total"]["send_failed"] == 1  # type: ignore[index]


def test_status_and_time_can_be_requested(radio: SerialRadio) -> None:
    radio.transmit(TxRequest(b"\x00\x14x", psid=0x20, channel=172))
    status = radio.request(Status.TYPE)
    assert isinstance(status, Status)
    assert status.tx_count == 1
    assert isinstance(radio.request(TimeInfo.TYPE), TimeInfo)
    assert radio.last_status == status


def test_garbage_and_bit_errors_are_counted_and_later_frames_still_arrive(
    radio: SerialRadio, emulator: FirmwareEmulator
) -> None:
    emulator.inject_garbage(b"\xde\xad\xbe\xef boot banner\r\n")
    emulator.corrupt_next(2)
    for i in range(5):
        emulator.inject_rx(bytes([0, 0x14, i]))
    got = [radio.rx.get(timeout=5.0) for _ in range(3)]
    assert [f.payload[-1] for f in got if f] == [2, 3, 4]
    link = radio.health()["link"]
    assert link["errors"] >= 3  # type: ignore[index]


def test_unplug_and_replug_reconnects_and_traffic_resumes(
    radio: SerialRadio, emulator: FirmwareEmulator
) -> None:
    emulator.unplug()
    assert wait_for(lambda: not radio.connected)
    assert not radio.send(TxRequest(b"\x00\x14x", psid=0x20))  # down: refused, counted
    emulator.replug()
    assert wait_for(lambda: radio.connected)
    assert radio.reconnects >= 1
    assert emulator.host_hellos == 2  # the host said HELLO again on the new device
    emulator.inject_rx(b"\x00\x14back")
    frame = radio.rx.get(timeout=5.0)
    assert frame is not None
    assert frame.payload == b"\x00\x14back"
    assert radio.transmit(TxRequest(b"\x00\x14x", psid=0x20, channel=172)).ok


def test_firmware_stall_times_out_a_transmission_without_hanging(
    radio: SerialRadio, emulator: FirmwareEmulator
) -> None:
    emulator.stall(0.5)
    with pytest.raises(RadioTimeoutError):
        radio.transmit(TxRequest(b"\x00\x14x", psid=0x20, channel=172), timeout=0.1)
    assert wait_for(lambda: radio.transmit(TxRequest(b"\x00\x14y", 0x20, 172)).ok)


def test_version_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    cfg = EmulatorConfig(major=2, minor=3, firmware="future-fw 9")
    with FirmwareEmulator(str(tmp_path / "tty"), cfg) as emu:
        radio = make_radio(emu.path)
        radio.start()
        try:
            with pytest.raises(ProtocolVersionError, match=r"protocol 2\.3.*speaks 1\.0"):
                radio.wait_ready(2.0)
            assert "future-fw 9" in str(radio.health()["error"])
        finally:
            radio.stop()


def test_missing_device_keeps_retrying_then_connects(tmp_path: Path) -> None:
    path = str(tmp_path / "later")
    radio = make_radio(path)
    radio.start()
    try:
        with pytest.raises(RadioTimeoutError):
            radio.wait_ready(0.2)
        with FirmwareEmulator(path):
            radio.wait_ready(5.0)
            assert radio.connected
    finally:
        radio.stop()


def test_full_queue_drops_oldest_and_counts(tmp_path: Path) -> None:
    with FirmwareEmulator(str(tmp_path / "q")) as emu:
        radio = open_radio(
            RadioConfig(backend="serial", queue_size=3, serial=SerialConfig(port=emu.path))
        )
        radio.start()
        try:
            assert isinstance(radio, SerialRadio)
            radio.wait_ready(5.0)
            for i in range(10):
                emu.inject_rx(bytes([0, 0x14, i]))
            assert wait_for(lambda: radio.rx.put_count == 10)
            assert radio.rx.dropped == 7
            assert [f.payload[-1] for f in radio.rx.drain()] == [7, 8, 9]
        finally:
            radio.stop()


def test_firmware_rebooting_into_another_major_version_drops_the_link(
    radio: SerialRadio, emulator: FirmwareEmulator
) -> None:
    from firmware_bridge.messages import Hello

    with capture_logs() as logs:
        emulator.send(Hello(3, 0, 0, "fw-after-update"))  # unsolicited, as after a reboot
        assert wait_for(lambda: emulator.host_hellos == 2)  # the host dropped it and re-checked
    down = [e for e in logs if e["event"] == "radio_link_down"]
    assert "fw-after-update" in down[0]["error"]
    assert "protocol 3.0" in down[0]["error"]
    assert wait_for(lambda: radio.connected)  # the emulator still answers 1.0: back up
