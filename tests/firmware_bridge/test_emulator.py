"""The firmware emulator, spoken to over a real pty with pyserial (no host backend involved)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from firmware_bridge.emulator import EmulatorConfig, FirmwareEmulator
from firmware_bridge.framing import Frame, FrameDecoder, encode_frame
from firmware_bridge.messages import (
    TX_BAD_CHANNEL,
    TX_OK,
    ErrorMsg,
    Hello,
    Message,
    Request,
    RxPdu,
    Status,
    TimeInfo,
    TxRequestMsg,
    TxResult,
    decode_message,
    message_frame,
)


class Host:
    """A minimal host: write messages, read decoded messages."""

    def __init__(self, path: str) -> None:
        self.port = serial.Serial(path, 921600, timeout=0.05)
        self.decoder = FrameDecoder(name="test-host")
        self.seq = 0
        self.pending: list[Frame] = []

    def send(self, msg: Message) -> int:
        self.seq += 1
        self.port.write(message_frame(msg, self.seq))
        return self.seq

    def receive(self, timeout: float = 2.0) -> Message:
        deadline = time.monotonic() + timeout
        while not self.pending and time.monotonic() < deadline:
            self.pending += self.decoder.feed(self.port.read(4096))
        if not self.pending:
            raise AssertionError("no frame from the emulator")
        frame = self.pending.pop(0)
        return decode_message(frame.type, frame.payload)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[FirmwareEmulator]:
    with FirmwareEmulator(str(tmp_path / "radio0")) as emu:
        yield emu


@pytest.fixture
def host(emulator: FirmwareEmulator) -> Iterator[Host]:
    h = Host(emulator.path)
    yield h
    h.port.close()


def test_hello_is_answered_with_version_and_capabilities(host: Host) -> None:
    host.send(Hello(1, 0, 0, "test"))
    reply = host.receive()
    assert isinstance(reply, Hello)
    assert (reply.major, reply.minor) == (1, 0)
    assert reply.capabilities & 0x0F == 0x0F
    assert reply.firmware == "rsu-emu 1.0.0"


def test_tx_request_gets_a_result_naming_its_seq_and_is_logged(
    emulator: FirmwareEmulator, host: Host
) -> None:
    seq = host.send(TxRequestMsg(0x8002, 183, 7, 20, b"\x00\x13spat"))
    reply = host.receive()
    assert isinstance(reply, TxResult)
    assert (reply.ack_seq, reply.status) == (seq, TX_OK)
    assert [m.payload for m in emulator.tx_log] == [b"\x00\x13spat"]


def test_tx_on_an_invalid_channel_is_refused(host: Host) -> None:
    seq = host.send(TxRequestMsg(0x8002, 99, 7, 20, b"x"))
    reply = host.receive()
    assert isinstance(reply, TxResult)
    assert (reply.ack_seq, reply.status) == (seq, TX_BAD_CHANNEL)


def test_status_and_time_requests_are_answered(emulator: FirmwareEmulator, host: Host) -> None:
    host.send(TxRequestMsg(0x20, 172, 5, 20, b"a"))
    host.receive()
    emulator.inject_rx(b"\x00\x14abc")
    host.receive()
    host.send(Request(Status.TYPE))
    status = host.receive()
    assert isinstance(status, Status)
    assert (status.tx_count, status.rx_count, status.temperature_centi_c) == (1, 1, 4150)
    host.send(Request(TimeInfo.TYPE))
    now = host.receive()
    assert isinstance(now, TimeInfo)
    assert abs(now.utc_us / 1e6 - time.time()) < 60


def test_injected_rx_arrives_as_rx_pdu(emulator: FirmwareEmulator, host: Host) -> None:
    emulator.inject_rx(b"\x00\x14\x25\x01\x02", psid=0x20, channel=172, rssi=-71)
    pdu = host.receive()
    assert isinstance(pdu, RxPdu)
    assert (pdu.payload, pdu.psid, pdu.channel, pdu.rssi) == (
        b"\x00\x14\x25\x01\x02",
        0x20,
        172,
        -71,
    )


def test_garbage_and_bit_errors_from_the_host_are_answered_or_skipped(
    emulator: FirmwareEmulator, host: Host
) -> None:
    host.port.write(b"AT\r\n\x00\x07\x07\x07\x00")  # noise, then an invalid frame
    host.send(Hello())
    assert isinstance(host.receive(), Hello)
    assert emulator.decoder.stats.by_reason == {"cobs": 2}  # "AT\r\n" and 07 07 07


def test_host_bad_body_gets_an_error_frame(host: Host) -> None:
    host.port.write(encode_frame(Frame(TxResult.TYPE, 42, b"\x01")))
    reply = host.receive()
    assert isinstance(reply, ErrorMsg)
    assert reply.ref_seq == 42


def test_corrupted_frame_is_lost_and_the_next_one_arrives(
    emulator: FirmwareEmulator, host: Host
) -> None:
    emulator.corrupt_next(1)
    emulator.inject_rx(b"\x00\x14first")
    emulator.inject_rx(b"\x00\x14second")
    pdu = host.receive()
    assert isinstance(pdu, RxPdu)
    assert pdu.payload == b"\x00\x14second"
    assert host.decoder.stats.crc_errors + host.decoder.stats.cobs_errors == 1


def test_stall_delays_the_answer_until_it_ends(emulator: FirmwareEmulator, host: Host) -> None:
    emulator.stall(0.3)
    host.send(Hello())
    with pytest.raises(AssertionError, match="no frame"):
        host.receive(timeout=0.1)
    assert isinstance(host.receive(timeout=3.0), Hello)


def test_unplug_removes_the_device_and_replug_brings_it_back(
    emulator: FirmwareEmulator, host: Host
) -> None:
    emulator.unplug()
    assert not Path(emulator.path).exists()
    with pytest.raises(serial.SerialException):
        host.port.read(1)  # the pty is gone: pyserial reports the disconnect
    emulator.replug()
    fresh = Host(emulator.path)
    try:
        fresh.send(Hello())
        assert isinstance(fresh.receive(), Hello)
    finally:
        fresh.port.close()


def test_emulator_can_speak_another_major_version(tmp_path: Path) -> None:
    with FirmwareEmulator(str(tmp_path / "r"), EmulatorConfig(major=2, firmware="v2")) as emu:
        h = Host(emu.path)
        h.send(Hello())
        reply = h.receive()
        h.port.close()
    assert isinstance(reply, Hello)
    assert reply.major == 2


def test_standalone_emulator_replays_frames_to_a_host(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    frames = tmp_path / "frames.jsonl"
    frames.write_text(json.dumps({"hex": "0014250102", "outer_hex": None}) + "\n")
    link = tmp_path / "radio0"
    cmd = [sys.executable, "-m", "firmware_bridge.emulator", "--link", str(link)]
    cmd += ["--replay", str(frames), "--rate", "50", "--seconds", "10"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=Path(__file__).parents[2])
    try:
        assert proc.stdout is not None
        assert b"firmware emulator on" in proc.stdout.readline()
        host = Host(str(link))
        pdu = host.receive(timeout=5.0)
        host.port.close()
        assert isinstance(pdu, RxPdu)
        assert pdu.payload == bytes.fromhex("0014250102")
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert not link.exists()  # the device node goes away with the emulator
