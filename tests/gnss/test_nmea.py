"""NMEA tracking: fixes, bad checksums, loss of fix, drift from the surveyed position."""

from __future__ import annotations

import math

import pytest
from structlog.testing import capture_logs

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.geo import distance_m
from rsu.gnss import GnssAlarm, GnssConfig, GnssFix, NmeaTracker, Survey
from rsu.gnss.nmea import checksum, sentences

UTC0 = 1_795_621_860.0  # 2026-11-25T15:51:00Z
HOME = (42.2808, -83.7430)
GGA = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
RMC = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"


def fix_at(north_m: float = 0.0, quality: int = 1, utc: float = UTC0) -> bytes:
    lat = HOME[0] + math.degrees(north_m / 6_371_008.8)
    return sentences(GnssFix(0.0, utc, lat, HOME[1], 250.0, quality, 9 if quality else 0, 0.9))


def fixes(events: list[object]) -> list[GnssFix]:
    return [e for e in events if isinstance(e, GnssFix)]


def alarms(events: list[object]) -> list[str]:
    return [e.kind for e in events if isinstance(e, GnssAlarm)]


def test_textbook_gga_and_rmc_give_position_quality_and_utc() -> None:
    t = NmeaTracker()
    (fix,) = fixes(t.feed(RMC + GGA, 1.0))
    assert (fix.latitude, round(fix.longitude, 6)) == (48.1173, 11.516667)
    assert (fix.quality, fix.satellites, fix.altitude_m, fix.hdop) == (1, 8, 545.4, 0.9)
    assert fix.utc == 764426119.0  # 1994-03-23T12:35:19Z
    assert fix.speed_mps == pytest.approx(22.4 * 0.514444)
    assert fix.course_deg == 84.4
    assert t.latest == fix


def test_fix_without_a_date_yet_has_no_utc() -> None:
    (fix,) = fixes(NmeaTracker().feed(GGA, 1.0))
    assert fix.utc is None
    assert fix.valid


def test_sentences_split_across_reads_are_reassembled() -> None:
    t = NmeaTracker()
    data = fix_at()
    got = []
    for i in range(0, len(data), 7):
        got += t.feed(data[i : i + 7], 1.0)
    (fix,) = fixes(got)
    assert fix.utc == UTC0
    assert fix.latitude == pytest.approx(HOME[0], abs=1e-7)


def test_bad_checksums_are_counted_logged_with_hex_and_skipped() -> None:
    t = NmeaTracker()
    broken = GGA.replace(b"*47", b"*48")
    with capture_logs() as logs:
        events = t.feed(broken + broken + b"garbage line\r\n" + GGA, 1.0)
    assert len(fixes(events)) == 1
    assert t.stats.bad == {"checksum": 2, "not_nmea": 1}
    first = next(e for e in logs if e["event"] == "nmea_bad_sentence")
    assert first["reason"] == "checksum"
    assert bytes.fromhex(first["hex"]) == broken.strip()


def test_endless_line_is_dropped_not_buffered() -> None:
    t = NmeaTracker()
    for _ in range(50):
        t.feed(b"A" * 100, 1.0)
    assert t.stats.bad["too_long"] >= 1
    assert len(fixes(t.feed(b"\r\n" + GGA, 2.0))) == 1


def test_loss_of_fix_by_quality_zero_is_raised_once_and_restored_once() -> None:
    t = NmeaTracker()
    assert alarms(t.feed(fix_at(), 1.0)) == []
    assert alarms(t.feed(fix_at(quality=0), 2.0)) == ["loss_of_fix"]
    assert alarms(t.feed(fix_at(quality=0), 3.0)) == []
    assert alarms(t.feed(fix_at(), 4.0)) == ["fix_restored"]


def test_loss_of_fix_by_silence() -> None:
    t = NmeaTracker(fix_timeout_s=3.0)
    t.feed(fix_at(), 10.0)
    assert t.tick(12.9) == []
    (alarm,) = t.tick(13.5)
    assert isinstance(alarm, GnssAlarm)
    assert alarm.kind == "loss_of_fix"
    assert t.tick(20.0) == []


def test_drift_from_surveyed_position_alarms_with_hysteresis() -> None:
    t = NmeaTracker(Survey(*HOME, drift_alarm_m=5.0))
    assert alarms(t.feed(fix_at(2.0), 1.0)) == []
    events = t.feed(fix_at(7.0), 2.0)
    assert alarms(events) == ["drift"]
    drift = next(e for e in events if isinstance(e, GnssAlarm))
    assert drift.distance_m == pytest.approx(7.0, abs=0.05)
    assert alarms(t.feed(fix_at(4.5), 3.0)) == []  # inside the limit but not by 20%: latched
    assert alarms(t.feed(fix_at(1.0), 4.0)) == ["drift_cleared"]


def test_checksum_and_distance_helpers() -> None:
    assert checksum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") == "47"
    assert distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195, rel=1e-3)


def test_config_requires_both_surveyed_coordinates_and_rejects_unknown_keys() -> None:
    cfg = GnssConfig.from_table(Table({"backend": "gpsd", "gpsd": "10.0.0.2:2947"}, "gnss"))
    assert cfg.gpsd == ("10.0.0.2", 2947)
    with pytest.raises(ConfigError, match="surveyed_lat"):
        GnssConfig.from_table(Table({"surveyed_lat": 42.0}, "gnss"))
    with pytest.raises(ConfigError, match=r"gnss\.prot"):
        GnssConfig.from_table(Table({"prot": "/dev/x"}, "gnss"))
