"""GNSS edges on real transports: a receiver on a pty, a real gpsd on loopback, and the sim."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsu.clock import FakeClock
from rsu.errors import BackendError
from rsu.gnss import GnssAlarm, GnssConfig, GnssEvent, GnssFix, open_gnss
from rsu.gnss.nmea import sentences
from rsu.gnss.sim import SimGnss
from rsu.queues import BoundedQueue

UTC0 = 1_795_621_860.0
GOOD = sentences(GnssFix(0.0, UTC0, 42.2808, -83.743, 250.0, 1, 9, 0.9))


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
    # the system clock at the fixes' time (a fix a week off the clock is refused as implausible)
    gnss = open_gnss(GnssConfig(backend="serial", port=path), FakeClock(UTC0))
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


GPSD = shutil.which("gpsd") or "/usr/sbin/gpsd"  # Debian's gpsd (.ci/run installs it)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def gpsd(pty_pair: tuple[int, str], tmp_path: Path) -> Iterator[tuple[int, tuple[str, int]]]:
    """A real gpsd reading a receiver on a pty; yields (pty master, gpsd's TCP address)."""
    master, path = pty_pair
    assert Path(GPSD).exists(), "gpsd is not installed: apt-get install gpsd"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = tmp_path / "gpsd.log"
    cmd = [GPSD, "-N", "-n", "-b", "-S", str(port), "-F", str(tmp_path / "gpsd.sock"), path]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    try:
        for _ in range(100):
            assert proc.poll() is None, log.read_text()
            if _listening(port):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"gpsd did not listen: {log.read_text()}")
        yield master, ("127.0.0.1", port)
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_gpsd_watch_is_sent_and_nmea_is_tracked_while_json_is_ignored(
    gpsd: tuple[int, tuple[str, int]],
) -> None:
    master, address = gpsd
    gnss = open_gnss(GnssConfig(backend="gpsd", gpsd=address), FakeClock(UTC0))
    gnss.start()
    try:
        fix = None
        for _ in range(100):  # gpsd relays NMEA only to a client whose WATCH asked for it
            os.write(master, GOOD)
            event = gnss.events.get(timeout=0.1)
            if isinstance(event, GnssFix):
                fix = event
                break
        assert fix is not None
        assert fix.utc == UTC0
        assert (fix.quality, fix.satellites) == (1, 9)
        assert gnss.tracker.stats.bad == {}  # gpsd's VERSION/DEVICES/WATCH JSON is skipped
    finally:
        gnss.stop()


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
