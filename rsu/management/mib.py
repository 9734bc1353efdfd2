"""The OID tree of one ``ManagementView``: GET and GETNEXT as pure lookups (no pysnmp).

``render(view)`` lays every object out once, sorted, so a GET is a dict lookup and a GETNEXT
a bisection; the agent renders again only when the view changed (about once a second).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass

from rsu.management import oids
from rsu.management import smi as v
from rsu.management.smi import Oid, Value
from rsu.management.tables import MESSAGE_COUNTS, TABLES, Row, TableSpec
from rsu.management.view import ManagementView

LAT_UNKNOWN, LON_UNKNOWN, ELV_UNKNOWN = 900_000_001, 1_800_000_001, 1_000_001
TEMP_UNKNOWN = -101
SYS_OBJECT = oids.RSU
"""sysObjectID: the RSU node of NTCIP 1218 (rsu-edge has no enterprise number of its own)."""


@dataclass(frozen=True, slots=True)
class Tree:
    names: tuple[Oid, ...]
    values: dict[Oid, Value]

    def get(self, name: Oid) -> Value | None:
        return self.values.get(name)

    def next(self, name: Oid) -> tuple[Oid, Value] | None:
        """The first object after ``name`` in OID order (None: end of the MIB view)."""
        i = bisect.bisect_right(self.names, name)
        if i >= len(self.names):
            return None
        found = self.names[i]
        return found, self.values[found]

    def walk(self, root: Oid = ()) -> Iterator[tuple[Oid, Value]]:
        i = bisect.bisect_left(self.names, root)
        while i < len(self.names) and self.names[i][: len(root)] == root:
            yield self.names[i], self.values[self.names[i]]
            i += 1


def render(view: ManagementView) -> Tree:
    values: dict[Oid, Value] = {}
    for name, value in _scalars(view):
        values[(*name, 0)] = value
    for table in TABLES:
        values.update(_table(table, view))
    values.update(_certificates(view))
    return Tree(tuple(sorted(values)), values)


def _deg(x: float | None, unknown: int) -> int:
    return unknown if x is None or not math.isfinite(x) else round(x * 1e7)


def _cm(x: float | None) -> int:
    if x is None or not math.isfinite(x) or not -1000.0 <= x <= 10_000.0:
        return ELV_UNKNOWN
    return round(x * 100)


def _scalars(view: ManagementView) -> Iterator[tuple[Oid, Value]]:
    ident = view.identity
    yield oids.SYS_DESCR, v.octets(f"{ident.manufacturer} {ident.firmware} (NTCIP 1218 RSU)")
    yield oids.SYS_OBJECT_ID, v.oid(SYS_OBJECT)
    yield oids.SYS_UPTIME, v.timeticks(view.uptime_s)
    yield oids.SYS_CONTACT, v.octets("")
    yield oids.SYS_NAME, v.octets(ident.rsu_id)
    yield oids.SYS_LOCATION, v.octets(ident.location_desc)
    yield from _gnss(view)
    for table in TABLES:
        yield table.max_oid, v.integer(table.max_rows)
    yield oids.MSG_REPEAT_DELETE_ALL, v.integer(0)
    yield from _system(view)


def _gnss(view: ManagementView) -> Iterator[tuple[Oid, Value]]:
    g = view.gnss
    fix = g.fix if g is not None else None
    yield oids.GNSS_STATUS, v.integer(min(128, g.satellites) if g is not None and fix else 0)
    quality = g.quality if g is not None else 0
    yield oids.GNSS_AUGMENTATION, v.integer(3 if quality == 2 else 1 if quality > 2 else 2)
    yield oids.GNSS_OUTPUT_STRING, v.octets(g.gga[:100] if g is not None else "")
    yield oids.GNSS_LAT, v.integer(_deg(fix.latitude if fix else None, LAT_UNKNOWN))
    yield oids.GNSS_LON, v.integer(_deg(fix.longitude if fix else None, LON_UNKNOWN))
    yield oids.GNSS_ELV, v.integer(_cm(fix.elevation_m if fix else None))
    yield oids.GNSS_MAX_DEVIATION, v.integer(0)
    dev = g.deviation_m if g is not None else None
    dev_m = 20_001 if dev is None or not math.isfinite(dev) else min(20_000, round(dev))
    yield oids.LOCATION_DEVIATION, v.integer(dev_m)
    hdop = g.hdop if g is not None else None
    err = 200_001 if hdop is None or not math.isfinite(hdop) else min(200_000, round(hdop * 50))
    yield oids.GNSS_POSITION_ERROR, v.integer(err)  # HDOP x ~5 m UERE, in decimetres


def _system(view: ManagementView) -> Iterator[tuple[Oid, Value]]:
    ident, pos = view.identity, view.surveyed
    yield oids.TIME_SINCE_POWER_ON, v.counter32(int(view.uptime_s))
    t = view.temperature_c
    temp = TEMP_UNKNOWN if t is None or not math.isfinite(t) else max(-100, min(100, round(t)))
    yield oids.INT_TEMP, v.integer(temp)
    yield oids.INT_TEMP_LOW, v.integer(-40)
    yield oids.INT_TEMP_HIGH, v.integer(85)
    yield oids.MIB_VERSION, v.octets(ident.mib_version[:32])
    yield oids.FIRMWARE_VERSION, v.octets(f"rsu-edge {ident.firmware}"[:32])
    yield oids.LOCATION_DESC, v.octets(ident.location_desc[:140])
    yield oids.RSU_ID, v.octets(ident.rsu_id[:32])
    yield oids.LOCATION_LAT, v.integer(_deg(pos.latitude if pos else None, LAT_UNKNOWN))
    yield oids.LOCATION_LON, v.integer(_deg(pos.longitude if pos else None, LON_UNKNOWN))
    yield oids.LOCATION_ELV, v.integer(_cm(pos.elevation_m if pos else None))
    operating = view.mode == "operate"
    yield oids.CHAN_STATUS, v.integer(2 if operating and view.radio_up else 3)
    yield oids.MODE, v.integer(oids.MODE_VALUES.get(view.mode, 1))
    yield oids.MODE_STATUS, v.integer(oids.MODE_VALUES.get(view.mode, 1))
    yield oids.RSU_STATUS, v.integer(_status(view))
    yield oids.ALERT_LEVEL, v.integer(_alert_level(view))
    yield oids.NOTIFY_REPEAT_INTERVAL, v.integer(0)
    yield oids.NOTIFY_MAX_RETRIES, v.integer(3)
    if view.certificates is not None:
        yield oids.SEC_ENROLL_CERT_STATUS, v.integer(4 if view.enrolled else 3)
        yield oids.MAX_SEC_APP_CERTS, v.integer(32)


def _status(view: ManagementView) -> int:
    levels = set(view.alarm_levels)
    return 4 if "critical" in levels else 3 if "warning" in levels else 2


def _alert_level(view: ManagementView) -> int:
    levels = set(view.alarm_levels)
    return 4 if "critical" in levels else 2 if "warning" in levels else 0


def cell_value(table: TableSpec, sub: int, row: Row, view: ManagementView) -> Value:
    col = table.column(sub)
    assert col is not None
    if table is MESSAGE_COUNTS and sub == 6:
        return v.counter32(message_count(row, view))
    cell = row.get(sub)
    return v.integer(cell) if isinstance(cell, int) else v.octets(cell)


def _table(table: TableSpec, view: ManagementView) -> dict[Oid, Value]:
    out: dict[Oid, Value] = {}
    for index, row in view.tables.get(table.name, {}).items():
        for col in table.columns:
            out[(*table.entry, col.sub, index)] = cell_value(table, col.sub, row, view)
    return out


def message_count(row: Row, view: ManagementView) -> int:
    """rsuMessageCountsByPsidCounts: the radio's counters for the row's PSID and direction."""
    raw = row.get(2)
    psid: int | None = None
    if isinstance(raw, bytes) and any(raw):
        try:
            psid = v.decode_psid(raw)
        except ValueError:
            return 0
    direction = row.get(4)
    total = 0
    if direction in (1, 3):
        total += _sum(view.counts.inbound, psid)
    if direction in (2, 3):
        total += _sum(view.counts.outbound, psid)
    return total


def _sum(counts: dict[int, int], psid: int | None) -> int:
    return sum(counts.values()) if psid is None else counts.get(psid, 0)


def _certificates(view: ManagementView) -> dict[Oid, Value]:
    out: dict[Oid, Value] = {}
    for i, cert in enumerate(view.certificates or (), start=1):
        entry = oids.SEC_APP_CERT_ENTRY
        psids = b"".join(p.to_bytes(4, "big") for p in cert.psids[:63])
        hours = 255 if cert.hours_left is None or cert.hours_left < 0 else cert.hours_left
        out[(*entry, 2, i)] = v.octets(psids)
        out[(*entry, 3, i)] = v.integer(cert.state)
        out[(*entry, 4, i)] = v.integer(min(254, hours) if cert.state != 3 else 255)
        out[(*entry, 5, i)] = v.integer(cert.renew_before_h)
    return out
