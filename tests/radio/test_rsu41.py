"""RSU 4.1 interop on loopback UDP: this test plays the commercial RSU.

It forwards the real captured frames of ``/work/shared/vectors/j2735_real.jsonl`` to our
``listen`` port, and listens on the immediate-forward port to check every IFM field and the
transmission interval driven by the store-and-repeat scheduler.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.broadcast import Scheduler, Upsert
from rsu.clock import FakeClock
from rsu.radio import RadioConfig, Rsu41Config, open_radio
from rsu.radio.rsu41 import IFM_FIELDS, Rsu41Radio, format_ifm, parse_ifm
from rsu.wire import BroadcastMessage, TxRequest
from tests.conftest import narrow
from tests.v2x.vectors import vector_file

REPO = Path(__file__).parents[2]
VECTORS = vector_file("j2735_real.jsonl")
MAP_HEX = "".join(
    line
    for line in (Path(__file__).parents[2] / "configs/examples/map.hex").read_text().splitlines()
    if not line.startswith("#")
)


def vectors() -> list[tuple[bytes, dict[str, object]]]:
    out = []
    for line in VECTORS.read_text().splitlines():
        item = json.loads(line)
        out.append((bytes.fromhex(item["outer_hex"] or item["hex"]), item))
    return out


@pytest.fixture
def rsu_ifm() -> Iterator[socket.socket]:
    """The commercial RSU's immediate-forward port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


@pytest.fixture
def radio(rsu_ifm: socket.socket) -> Iterator[Rsu41Radio]:
    cfg = RadioConfig(
        backend="rsu41",
        queue_size=4096,
        rsu41=Rsu41Config(listen=("127.0.0.1", 0), ifm_target=rsu_ifm.getsockname()),
    )
    r = open_radio(cfg)
    assert isinstance(r, Rsu41Radio)
    r.start()
    yield r
    r.stop()


def forward(radio: Rsu41Radio, datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        for i, data in enumerate(datagrams):
            out.sendto(data, radio.listen_address)
            if i % 50 == 49:
                time.sleep(0.005)  # a real RSU forwards as it hears: do not overrun rcvbuf


def test_every_forwarded_real_frame_is_received_intact(radio: Rsu41Radio) -> None:
    frames = vectors()
    forward(radio, [data for data, _ in frames])
    got = []
    while (frame := radio.rx.get(timeout=2.0)) is not None:
        got.append(frame)
        if len(got) == len(frames) - 1:
            break
    # one capture sits behind an unrecognised 19-byte log header and is not V2X at the edge
    assert len(got) == len(frames) - 1
    expected = [data for data, _ in frames if data[:2] != b"\x01\x0b"]
    assert [f.payload for f in got] == expected
    assert all(f.backend == "rsu41" and f.rx_utc > 1.6e9 for f in got)
    by_psid = radio.counters.snapshot()["by_psid"]
    assert by_psid["0x20"]["received"] == 1297  # type: ignore[index]
    assert by_psid["0xe0000017"]["received"] == 11  # type: ignore[index]


def test_non_v2x_and_oversized_datagrams_are_counted_logged_and_skipped(
    radio: Rsu41Radio,
) -> None:
    text = b"Version=0.7\nType=MAP\n"
    with capture_logs() as logs:
        forward(radio, [text, bytes(5000), text, bytes.fromhex(MAP_HEX)])
        frame = radio.rx.get(timeout=2.0)
    assert frame is not None
    assert frame.payload.hex() == MAP_HEX
    assert radio.counters.snapshot()["bad_input"] == {"not_v2x": 2, "oversized": 1}
    bad = [e for e in logs if e["event"] == "bad_input"]
    # the first few of each reason are logged in full (rsu.lograte), then one per thousand
    got = [(e["reason"], e["count"]) for e in bad]
    assert got == [("not_v2x", 1), ("oversized", 1), ("not_v2x", 2)]
    assert bad[0]["hex"] == text.hex()


def test_ifm_datagram_carries_every_field(radio: Rsu41Radio, rsu_ifm: socket.socket) -> None:
    payload = bytes.fromhex(MAP_HEX)
    assert radio.send(TxRequest(payload, psid=0xE0000017, channel=183, priority=7))
    data, _ = rsu_ifm.recvfrom(65535)
    lines = data.decode().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == list(IFM_FIELDS)
    assert parse_ifm(data) == {
        "Version": "0.7",
        "Type": "MAP",
        "PSID": "0xE0000017",
        "Priority": "7",
        "TxMode": "CONT",
        "TxChannel": "183",
        "TxInterval": "0",
        "DeliveryStart": "",
        "DeliveryStop": "",
        "Signature": "False",
        "Encryption": "False",
        "Payload": MAP_HEX.upper(),
    }
    assert radio.counters.snapshot()["by_type"]["MAP"]["sent"] == 1  # type: ignore[index]


def test_ifm_delivery_window_and_flags_are_formatted() -> None:
    req = TxRequest(
        b"\x00\x1f\x01",
        psid=0x8003,
        channel=180,
        priority=5,
        message_type="TIM",
        delivery_start=datetime(2026, 9, 21, 14, 13, 30, tzinfo=UTC).timestamp(),
        delivery_stop=datetime(2026, 9, 21, 15, 13, tzinfo=UTC).timestamp(),
        sign=True,
    )
    fields = parse_ifm(format_ifm(req))
    assert fields["DeliveryStart"] == "09/21/2026, 14:13"
    assert fields["DeliveryStop"] == "09/21/2026, 15:13"
    assert (fields["Signature"], fields["Encryption"], fields["Type"]) == ("True", "False", "TIM")
    assert fields["PSID"] == "0x8003"


def test_scheduler_through_ifm_keeps_the_interval(
    radio: Rsu41Radio, rsu_ifm: socket.socket
) -> None:
    # The daemon's core loop in miniature, on a FakeClock: the interval is checked on the
    # scheduler's own time line, never on how fast this machine delivers UDP.
    clock = FakeClock()
    sched = Scheduler()
    entry = BroadcastMessage("map", 0xE0000017, 183, 100, payload=bytes.fromhex(MAP_HEX))
    sched.on_event(Upsert(entry), clock.monotonic(), clock.time())
    start, sent_at = clock.monotonic(), []
    while clock.monotonic() - start < 1.0:
        for req in sched.poll(clock.monotonic(), clock.time()):
            assert radio.send(req)
            sent_at.append(clock.monotonic() - start)
        deadline = sched.next_deadline()
        assert deadline is not None
        clock.advance(max(0.0, deadline - clock.monotonic()))
    assert sent_at == pytest.approx([i * 0.1 for i in range(10)])
    payloads = []
    rsu_ifm.settimeout(2.0)
    while len(payloads) < len(sent_at):
        data, _ = rsu_ifm.recvfrom(65535)
        payloads.append(parse_ifm(data)["Payload"])
    assert payloads == [MAP_HEX.upper()] * len(sent_at)
    assert sched.report(clock.time())[0].sent == len(sent_at)


def test_ifm_target_down_is_counted_not_raised() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()  # free once closed: nobody listens there
    cfg = RadioConfig(backend="rsu41", rsu41=Rsu41Config(listen=("127.0.0.1", 0), ifm_target=dead))
    radio = open_radio(cfg)
    radio.start()
    try:
        results = []
        for _ in range(5):
            results.append(radio.send(TxRequest(b"\x00\x12x", psid=0xE0000017)))
            time.sleep(0.01)  # let the ICMP port-unreachable come back
        assert False in results
        snap = radio.counters.snapshot()
        assert snap["total"]["send_failed"] >= 1  # type: ignore[index]
        assert snap["bad_input"]["ifm_target_down"] >= 1  # type: ignore[index]
    finally:
        radio.stop()


def test_emulated_commercial_rsu_round_trip() -> None:
    from rsu.radio.rsu41_peer import CommercialRsuEmulator

    with CommercialRsuEmulator(forward_to=("127.0.0.1", 9)) as rsu:
        cfg = Rsu41Config(listen=("127.0.0.1", 0), ifm_target=rsu.ifm_address)
        radio = open_radio(RadioConfig(backend="rsu41", rsu41=cfg))
        radio.start()
        try:
            rsu.forward_to = narrow(radio, Rsu41Radio).listen_address
            rsu.forward(bytes.fromhex(MAP_HEX))
            frame = radio.rx.get(timeout=2.0)
            assert frame is not None
            assert frame.payload.hex() == MAP_HEX
            assert radio.send(TxRequest(frame.payload, psid=0xE0000017))
            deadline = time.monotonic() + 2.0
            while not rsu.ifm_log and time.monotonic() < deadline:
                time.sleep(0.01)
            (got,) = rsu.ifm_log
            assert got.payload.hex() == MAP_HEX
            assert got.fields["Type"] == "MAP"
            assert rsu.bad_ifm == 0
        finally:
            radio.stop()
