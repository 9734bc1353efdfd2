"""Sans-I/O NMEA 0183 tracking: bytes in, position/time fixes and alarms out.

``NmeaTracker.feed(data, now)`` parses complete sentences with pynmeagps (checksums checked),
merges GGA (quality, satellites, position, altitude) with RMC (date, speed, course) and returns
``GnssFix`` / ``GnssAlarm`` values. ``tick(now)`` raises the loss-of-fix alarm when no valid fix
came for ``fix_timeout_s``. Bad sentences are counted by reason, logged with hex, and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import structlog
from pynmeagps import NMEAMessageError, NMEAParseError, NMEAReader, NMEATypeError

from rsu.geo import distance_m
from rsu.gnss.plausible import implausible
from rsu.lograte import due

log = structlog.get_logger(__name__)
MAX_LINE = 128  # NMEA says 82 characters; a longer run without newline is garbage


@dataclass(frozen=True, slots=True)
class GnssFix:
    """Where and when, as the receiver says. ``quality`` is GGA's (0 = no fix, 1 GPS, 2 DGPS,
    4 RTK fixed, 5 RTK float ...); ``utc`` is None until a date was seen (RMC)."""

    received: float
    utc: float | None
    latitude: float
    longitude: float
    altitude_m: float | None
    quality: int
    satellites: int
    hdop: float | None = None
    speed_mps: float | None = None
    course_deg: float | None = None

    @property
    def valid(self) -> bool:
        return self.quality > 0


@dataclass(frozen=True, slots=True)
class GnssAlarm:
    """``kind``: ``loss_of_fix`` / ``fix_restored`` / ``drift`` / ``drift_cleared``."""

    received: float
    kind: str
    detail: str = ""
    distance_m: float | None = None


GnssEvent = GnssFix | GnssAlarm


@dataclass(frozen=True, slots=True)
class Survey:
    """The RSU's surveyed antenna position and the drift that raises an alarm."""

    latitude: float
    longitude: float
    drift_alarm_m: float = 5.0


@dataclass(slots=True)
class NmeaStats:
    sentences: int = 0
    fixes: int = 0
    bad: dict[str, int] = field(default_factory=dict)


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class NmeaTracker:
    """Parse NMEA, keep the latest fix, and latch alarms (raised once, cleared once)."""

    def __init__(
        self, survey: Survey | None = None, fix_timeout_s: float = 3.0, skip_json: bool = False
    ) -> None:
        self._survey = survey
        self._skip_json = skip_json  # gpsd interleaves its JSON reports with the NMEA
        self._timeout = fix_timeout_s
        self._buf = bytearray()
        self._date: date | None = None
        self._rmc: tuple[float | None, float | None] = (None, None)
        self._last_valid: float | None = None
        self._lost = False
        self._drifting = False
        self.latest: GnssFix | None = None
        self.stats = NmeaStats()
        self._utc_now: float | None = None
        self._line_now = b""

    def feed(self, data: bytes, now: float, utc: float | None = None) -> list[GnssEvent]:
        """Events from ``data`` at monotonic ``now``; ``utc`` is the system clock, to refuse a
        fix whose time is far from it (``rsu.gnss.plausible``)."""
        self._utc_now = utc
        out: list[GnssEvent] = []
        self._buf += data
        while (end := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:end]).strip()
            del self._buf[: end + 1]
            if self._skip_json and line.startswith(b"{"):
                continue
            if len(line) > MAX_LINE:  # a whole over-long line in one read
                self._bad("too_long", line[:MAX_LINE])
            elif line:
                out += self._line(line, now)
        if len(self._buf) > MAX_LINE:
            self._bad("too_long", bytes(self._buf[:MAX_LINE]))
            self._buf.clear()
        return out

    def tick(self, now: float) -> list[GnssEvent]:
        """Loss of fix by silence: no valid fix for ``fix_timeout_s``."""
        last = self._last_valid
        if not self._lost and last is not None and now - last > self._timeout:
            return self._lose(now, f"no valid fix for {now - last:.1f} s")
        return []

    def _bad(self, reason: str, line: bytes, event: str = "nmea_bad_sentence") -> None:
        n = self.stats.bad.get(reason, 0) + 1
        self.stats.bad[reason] = n
        if due(n):
            log.warning(event, reason=reason, count=n, hex=line.hex())

    def _implausible(self, fix: GnssFix) -> str | None:
        return implausible(
            fix.latitude, fix.longitude, fix.altitude_m, fix.speed_mps, fix.utc, self._utc_now
        )

    def _line(self, line: bytes, now: float) -> list[GnssEvent]:
        msg = self._parse(line)
        if msg is None:
            return []
        self._line_now = line
        self.stats.sentences += 1
        kind = getattr(msg, "msgID", "")
        if kind == "RMC":
            return self._on_rmc(msg, now)
        return self._on_gga(msg, now) if kind == "GGA" else []

    def _parse(self, line: bytes) -> object | None:
        if not line.startswith((b"$", b"!")):
            self._bad("not_nmea", line)
            return None
        try:
            msg: object = NMEAReader.parse(line.decode("ascii"))
        except (NMEAParseError, NMEAMessageError, NMEATypeError, UnicodeDecodeError) as err:
            self._bad("checksum" if "checksum" in str(err) else "unparsable", line)
            return None
        except (ValueError, IndexError):
            self._bad("unparsable", line)
            return None
        if msg is None:  # pynmeagps' answer to a sentence without a checksum, or a bare "$"
            self._bad("no_checksum", line)
        return msg

    def _on_rmc(self, msg: object, now: float) -> list[GnssEvent]:
        day = getattr(msg, "date", None)
        if isinstance(day, date):
            self._date = day
        speed = _num(getattr(msg, "spd", None))
        self._rmc = (None if speed is None else speed * 0.514444, _num(getattr(msg, "cog", None)))
        if getattr(msg, "status", "") == "V" and not self._lost and self._last_valid is not None:
            return self._lose(now, "RMC status V (receiver warning)")
        return []

    def _on_gga(self, msg: object, now: float) -> list[GnssEvent]:
        quality = int(getattr(msg, "quality", 0) or 0)
        lat, lon = _num(getattr(msg, "lat", None)), _num(getattr(msg, "lon", None))
        if quality == 0 or lat is None or lon is None:
            quality, lat, lon = 0, lat or 0.0, lon or 0.0
        fix = GnssFix(
            received=now,
            utc=self._utc(getattr(msg, "time", None)),
            latitude=lat,
            longitude=lon,
            altitude_m=_num(getattr(msg, "alt", None)),
            quality=quality,
            satellites=int(getattr(msg, "numSV", 0) or 0),
            hdop=_num(getattr(msg, "HDOP", None)),
            speed_mps=self._rmc[0],
            course_deg=self._rmc[1],
        )
        if fix.valid and (what := self._implausible(fix)) is not None:
            self._bad(f"implausible_{what}", self._line_now, event="gnss_fix_implausible")
            return []  # not believed: no fix, and silence turns into loss_of_fix
        self.latest = fix
        out: list[GnssEvent] = [fix]
        if not fix.valid:
            if not self._lost:
                out += self._lose(now, "GGA quality 0")
            return out
        self.stats.fixes += 1
        self._last_valid = now
        if self._lost:
            self._lost = False
            out.append(GnssAlarm(now, "fix_restored", f"quality {quality}, {fix.satellites} sv"))
        return out + self._check_drift(fix, now)

    def _lose(self, now: float, why: str) -> list[GnssEvent]:
        self._lost = True
        log.warning("gnss_loss_of_fix", detail=why)
        return [GnssAlarm(now, "loss_of_fix", why)]

    def _check_drift(self, fix: GnssFix, now: float) -> list[GnssEvent]:
        s = self._survey
        if s is None:
            return []
        d = distance_m(s.latitude, s.longitude, fix.latitude, fix.longitude)
        if not self._drifting and d > s.drift_alarm_m:
            self._drifting = True
            log.warning("gnss_drift", distance_m=round(d, 2), limit_m=s.drift_alarm_m)
            return [GnssAlarm(now, "drift", f"{d:.1f} m from surveyed position", d)]
        if self._drifting and d < 0.8 * s.drift_alarm_m:  # hysteresis: no flapping at the edge
            self._drifting = False
            return [GnssAlarm(now, "drift_cleared", f"{d:.1f} m", d)]
        return []

    def _utc(self, clock: object) -> float | None:
        if self._date is None or not isinstance(clock, time):
            return None
        return datetime.combine(self._date, clock, tzinfo=UTC).timestamp()


def checksum(body: str) -> str:
    """NMEA checksum (XOR of the characters between ``$`` and ``*``) as two hex digits."""
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return f"{value:02X}"


def _dm(value: float, lat: bool) -> tuple[str, str]:
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    v = abs(value)
    deg = int(v)
    minutes = (v - deg) * 60
    return (f"{deg:02d}{minutes:08.5f}" if lat else f"{deg:03d}{minutes:08.5f}"), hemi


def sentences(fix: GnssFix, talker: str = "GP") -> bytes:
    """GGA + RMC for ``fix`` (used by the sim backend and by tests). ``fix.utc`` required."""
    assert fix.utc is not None
    t = datetime.fromtimestamp(fix.utc, tz=UTC)
    hhmmss = t.strftime("%H%M%S.") + f"{t.microsecond // 10000:02d}"
    lat, ns = _dm(fix.latitude, True)
    lon, ew = _dm(fix.longitude, False)
    alt = f"{fix.altitude_m:.1f}" if fix.altitude_m is not None else ""
    hdop = f"{fix.hdop:.1f}" if fix.hdop is not None else ""
    gga = (
        f"{talker}GGA,{hhmmss},{lat},{ns},{lon},{ew},{fix.quality},{fix.satellites:02d},"
        f"{hdop},{alt},M,0.0,M,,"
    )
    knots = (fix.speed_mps or 0.0) / 0.514444
    status = "A" if fix.valid else "V"
    rmc = (
        f"{talker}RMC,{hhmmss},{status},{lat},{ns},{lon},{ew},{knots:.2f},"
        f"{fix.course_deg or 0.0:.1f},{t.strftime('%d%m%y')},,,A"
    )
    return "".join(f"${s}*{checksum(s)}\r\n" for s in (rmc, gga)).encode("ascii")
