"""Hostile bytes on the serial link to the radio module (issue 11, serial port table).

The firmware emulator on a real pty writes each row's bytes to the host; the row asserts the
reason it is counted under (the link's ``by_reason``, in ``health()``) and that a good frame the
radio hears afterwards still arrives. Logs of dropped frames go through ``rsu.lograte``: a flood
of thousands costs a handful of lines (issue 11.8: 886 lines in 4 s before).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.framing import CRC, DELIMITER, HEADER, MAX_ENCODED, cobs_encode
from rsu.lograte import EVERY, FIRST
from rsu.radio import RadioConfig, SerialConfig, open_radio
from rsu.radio.serial import SerialRadio


def framed(body: bytes, crc: int | None = None) -> bytes:
    check = zlib.crc32(body) if crc is None else crc
    return DELIMITER + cobs_encode(body + CRC.pack(check)) + DELIMITER


GOOD_BODY = HEADER.pack(0x10, 0, 7, 3) + b"abc"
ROWS: list[tuple[str, bytes, str, int]] = [
    ("boot banner", b"U-Boot 2024.01 (radio)\r\n\x00", "cobs", 1),
    ("line noise", bytes(range(1, 200)) + b"\x00", "cobs", 1),
    ("bad crc", framed(GOOD_BODY, crc=0xDEADBEEF), "crc", 1),
    ("length field wrong", framed(HEADER.pack(0x10, 0, 7, 9) + b"abc"), "length", 1),
    ("shorter than a header", DELIMITER + cobs_encode(b"\x01\x02") + DELIMITER, "length", 1),
    ("no delimiter for ever", b"\x01" * (MAX_ENCODED + 100) + DELIMITER, "overflow", 1),
    ("flood of bad frames", framed(GOOD_BODY, crc=1) * 3000, "crc", 3000),
]


@pytest.fixture(scope="module")
def link(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FirmwareEmulator, SerialRadio]]:
    path = tmp_path_factory.mktemp("serial") / "ttyRADIO"
    with FirmwareEmulator(str(path)) as emu:
        cfg = SerialConfig(port=emu.path, reconnect_min_s=0.02, reconnect_max_s=0.1)
        radio = open_radio(RadioConfig(backend="serial", serial=cfg))
        assert isinstance(radio, SerialRadio)
        radio.start()
        radio.wait_ready(5.0)
        try:
            yield emu, radio
        finally:
            radio.stop()


def by_reason(radio: SerialRadio) -> dict[str, int]:
    link = radio.health()["link"]
    assert isinstance(link, dict)
    return dict(link["by_reason"])


@pytest.mark.parametrize(("name", "data", "reason", "count"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_bytes_on_the_link_are_counted_and_good_frames_still_arrive(
    link: tuple[FirmwareEmulator, SerialRadio], name: str, data: bytes, reason: str, count: int
) -> None:
    emu, radio = link
    before = by_reason(radio).get(reason, 0)
    while radio.rx.get(timeout=0.0) is not None:
        pass
    with capture_logs() as logs:
        emu.inject_garbage(data)
        emu.inject_rx(bytes([0, 0x14, 0x42]))  # good input afterwards
        frame = radio.rx.get(timeout=10.0)
    assert frame is not None, name
    assert frame.payload == bytes([0, 0x14, 0x42])
    assert by_reason(radio)[reason] == before + count, name
    dropped = [e for e in logs if e["event"] == "link_frame_dropped"]
    assert all(e["reason"] == reason for e in dropped)
    assert len(dropped) <= FIRST + count // EVERY + 1  # rate-limited, not one line per frame
    if before == 0:
        assert dropped[0]["count"] == 1
        assert dropped[0]["hex"]  # the first one carries the bytes, to reproduce it


def test_a_packed_flood_logs_its_count_not_every_frame() -> None:
    from firmware_bridge.framing import FrameDecoder

    decoder = FrameDecoder("test")
    with capture_logs() as logs:
        decoder.feed(framed(GOOD_BODY, crc=1) * 5000 + framed(GOOD_BODY))
    assert decoder.stats.by_reason == {"crc": 5000}
    assert [e["count"] for e in logs] == [1, 2, 3, 4, 5, 1000, 2000, 3000, 4000, 5000]
    assert decoder.stats.frames == 1  # the good frame after the flood
