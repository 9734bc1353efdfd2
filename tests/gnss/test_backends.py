"""GNSS edges on real transports: a receiver on a pty, gpsd on loopback TCP, and the sim."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import tty
from collections.abc import Iterator

import pytest

from rsu.clock import FakeClock
from rsu.errors import BackendError
from rsu.gnss import GnssAlarm, GnssConfig, GnssEvent, GnssFix, open_gnss
from rsu.gnss.nmea import sentences
from rsu.gnss.sim import SimGnss
from rsu.radio.types import BoundedQueue

UTC0 = 1_795_621_860.0
GOOD = sentences(GnssFix(0.0, UTC0, 42.2808, -83.743, 250.0, 1, 9, 0.9))


def next_fix(gnss: object, timeout: float = 5.0) -> GnssFix:
    events = gnss.events  # type: ignore[attr-defined]
    while (event := events.get(timeout=timeout)) is not None:
        if isinstance(event, GnssFix):
            return event
    raise AssertionError("no fix")


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_serial_receiver_on_a_pty_gives_fixes_and_counts_bad_checksums(
    pty_pair: tuple[int, str],
) -> None:
    master, path = pty_pair
    gnss = open_gnss(GnssConfig(backend="serial", port=path))
    gnss.start()
    try:
        fix = None
        for _ in range(50):  # a receiver talks every second; the port flushes input on open
            os.write(master, GOOD.replace(b"*", b"*0", 1) + GOOD)  # first RMC checksum broken
            event = gnss.events.get(timeout=0.1)
            if isinstance(event, GnssFix):
                fix = event
                break
        assert fix is not None
        assert (fix.quality, fix.satellites) == (1, 9)
        assert fix.latitude == pytest.approx(42.2808, abs=1e-7)
        assert set(gnss.tracker.stats.bad) == {"checksum"}
        assert gnss.health()["sentences"] >= 2
    finally:
        gnss.stop()


class FakeGpsd:
    """Plays gpsd: expects the WATCH command, then sends its JSON banner and NMEA."""

    def __init__(self, payload: bytes) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.payload = payload
        self.watch = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.getsockname()
        return str(host), int(port)

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            self.watch = conn.recv(200)
            conn.sendall(b'{"class":"VERSION","release":"3.25"}\r\n' + self.payload)
            with contextlib.suppress(OSError):
                conn.recv(10)  # hold the connection until the client goes

    def close(self) -> None:
        self.server.close()


def test_gpsd_watch_is_sent_and_nmea_is_tracked_while_json_is_ignored() -> None:
    gpsd = FakeGpsd(GOOD)
    gnss = open_gnss(GnssConfig(backend="gpsd", gpsd=gpsd.address))
    gnss.start()
    try:
        fix = next_fix(gnss)
        assert fix.utc == UTC0
        assert b'"nmea":true' in gpsd.watch
        assert gnss.tracker.stats.bad == {}
    finally:
        gnss.stop()
        gpsd.close()


def test_sim_is_deterministic_for_a_seed_and_can_lose_its_fix() -> None:
    cfg = GnssConfig(backend="sim", surveyed_lat=42.0, surveyed_lon=-83.0, drift_alarm_m=5.0)
    a, b = SimGnss(cfg, FakeClock(), _queue()), SimGnss(cfg, FakeClock(), _queue())
    assert a.sentences_at(UTC0, 1.0) == b.sentences_at(UTC0, 1.0)
    clock = FakeClock()
    sim = SimGnss(cfg, clock, _queue())
    assert [type(e).__name__ for e in sim.step()] == ["GnssFix"]
    sim.fail(2.0)
    kinds = [e.kind for e in sim.step() if isinstance(e, GnssAlarm)]
    assert kinds == ["loss_of_fix"]
    clock.advance(3.0)
    assert [e.kind for e in sim.step() if isinstance(e, GnssAlarm)] == ["fix_restored"]
    sim.offset_m = 20.0
    assert [e.kind for e in sim.step() if isinstance(e, GnssAlarm)] == ["drift"]


def test_unknown_backend_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match="glonass"):
        open_gnss(GnssConfig(backend="glonass"))


def _queue() -> BoundedQueue[GnssEvent]:
    return BoundedQueue(64)
