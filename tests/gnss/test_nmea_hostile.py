"""Hostile NMEA (issue 11, NMEA port table; 11.8 implausible fixes).

Each row is what a broken, spoofed or unplugged-and-replugged receiver can send; it must be
counted under its reason (the receiver's ``bad`` counts, in ``health()``) and give no fix, and a
good fix sent afterwards must still be served. Implausible fixes (off the globe, absurd altitude
or speed, time far from the system clock) are refused, not taken as valid.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from rsu.gnss import GnssFix, NmeaTracker
from rsu.gnss.nmea import sentences

UTC0 = 1_795_621_860.0  # 2026-11-25T15:51:00Z: the system clock in these rows
HOME = (42.2808, -83.7430)
GGA = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"


def fix(
    lat: float = HOME[0],
    lon: float = HOME[1],
    alt: float = 250.0,
    speed: float | None = 0.0,
    utc: float = UTC0,
) -> bytes:
    return sentences(GnssFix(0.0, utc, lat, lon, alt, 1, 9, 0.9, speed, 0.0))


ROWS: list[tuple[str, bytes, str]] = [
    ("bad checksum", GGA.replace(b"*47", b"*48"), "checksum"),
    ("no checksum", b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,,,\r\n", "no_checksum"),
    ("bare dollar", b"$\r\n", "no_checksum"),
    ("not nmea", b"\x00\x01 boot banner v1.2\r\n", "not_nmea"),
    ("not ascii", b"$GP\xff\xfe*00\r\n", "unparsable"),
    ("endless line", b"$GPGGA" + b"9" * 5000, "too_long"),
    ("latitude 91", fix(lat=91.5), "implausible_position"),
    ("longitude 181", fix(lon=181.25), "implausible_position"),
    ("altitude 50 km", fix(alt=50_000.0), "implausible_altitude"),
    ("altitude -5 km", fix(alt=-5_000.0), "implausible_altitude"),
    ("speed 1000 km/h", fix(speed=280.0), "implausible_speed"),
    ("time an hour ahead", fix(utc=UTC0 + 3600.0), "implausible_time"),
    ("week rollover", fix(utc=UTC0 - 1024 * 7 * 86400.0), "implausible_time"),
]


@pytest.mark.parametrize(("name", "data", "reason"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_nmea_is_counted_gives_no_fix_and_good_fixes_still_come(
    name: str, data: bytes, reason: str
) -> None:
    t = NmeaTracker()
    with capture_logs() as logs:
        events = t.feed(data + b"\r\n", 1.0, UTC0)
    assert not [e for e in events if isinstance(e, GnssFix) and e.valid], name
    assert t.stats.bad == {reason: 1}, name
    assert t.latest is None or not t.latest.valid
    (logged,) = [e for e in logs if e.get("reason") == reason]
    assert logged["hex"]
    good = [e for e in t.feed(fix(), 2.0, UTC0) if isinstance(e, GnssFix)]
    assert [g.valid for g in good] == [True]
    assert good[0].latitude == pytest.approx(HOME[0], abs=1e-6)
    assert t.latest == good[0]


def test_only_implausible_fixes_end_in_loss_of_fix() -> None:
    t = NmeaTracker(fix_timeout_s=3.0)
    t.feed(fix(), 0.0, UTC0)
    for second in range(1, 6):
        t.feed(fix(lat=95.0), float(second), UTC0)
    assert [a.kind for a in t.tick(6.0)] == ["loss_of_fix"]
    assert t.stats.bad == {"implausible_position": 5}


def test_a_clock_not_yet_set_does_not_refuse_gnss_time() -> None:
    t = NmeaTracker()
    boot_without_rtc = 86_400.0  # 1970-01-02: the system clock is not set
    (good,) = [e for e in t.feed(fix(), 1.0, boot_without_rtc) if isinstance(e, GnssFix)]
    assert good.valid
    assert good.utc == pytest.approx(UTC0)
