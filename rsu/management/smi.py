"""SNMP values and the textual conventions NTCIP 1218 uses, as pure Python (no pysnmp here).

The agent edge (``rsu.management.agent``) turns these into pysnmp objects and back; everything
else in the package (the OID table, SET planning, the daemon side) works with ``Value``.
Conventions: ``DateAndTime`` (RFC 2579: 8 octets UTC, or 11 with an offset), ``RowStatus``,
the PSID as 1 to 4 octets (IEEE 1609.12 p-encoded hex, as the daemon's PSIDs are), addresses
as text (``"10.0.0.5"`` / ``"2001:db8::5"``, what managers send; 4 or 16 raw octets accepted).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Kind = Literal["integer", "octets", "counter32", "gauge32", "timeticks", "oid"]
Oid = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Value:
    """One SNMP value: ``data`` is an int (integer, counters, timeticks), bytes or an OID."""

    kind: Kind
    data: int | bytes | Oid


def integer(v: int) -> Value:
    return Value("integer", max(-(2**31), min(2**31 - 1, int(v))))


def octets(v: bytes | str) -> Value:
    return Value("octets", v.encode() if isinstance(v, str) else bytes(v))


def counter32(v: int) -> Value:
    return Value("counter32", int(v) % 2**32)


def gauge32(v: int) -> Value:
    return Value("gauge32", max(0, min(2**32 - 1, int(v))))


def timeticks(seconds: float) -> Value:
    return Value("timeticks", int(max(0.0, seconds) * 100) % 2**32)


def oid(v: Oid) -> Value:
    return Value("oid", tuple(v))


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` -> ``(1, 3, 6, 1)``; ValueError when it is not one."""
    parts = text.strip().lstrip(".").split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a numeric OID: {text!r}")
    return tuple(int(p) for p in parts)


def dotted(name: Oid) -> str:
    return ".".join(str(n) for n in name)


# --- RowStatus (RFC 2579) ------------------------------------------------------------------

ACTIVE, NOT_IN_SERVICE, NOT_READY, CREATE_AND_GO, CREATE_AND_WAIT, DESTROY = 1, 2, 3, 4, 5, 6


# --- DateAndTime (RFC 2579) ----------------------------------------------------------------

UNSET_TIME = bytes(8)
"""What an unset start/stop reads as (and a manager may write to clear one)."""


def encode_time(utc: float | None) -> bytes:
    """UTC seconds -> 8-octet DateAndTime (``UNSET_TIME`` for None)."""
    if utc is None:
        return UNSET_TIME
    t = datetime.fromtimestamp(utc, tz=UTC)
    return struct.pack(">HBBBBBB", t.year, t.month, t.day, t.hour, t.minute, t.second, 0)


def decode_time(data: bytes) -> float | None:
    """8 or 11 octets -> UTC seconds (None for all zeros); ValueError when not a real time."""
    if data == UNSET_TIME or data == bytes(11):
        return None
    if len(data) not in (8, 11):
        raise ValueError(f"DateAndTime is 8 or 11 octets, got {len(data)}")
    year, month, day, hour, minute, second, deci = struct.unpack(">HBBBBBB", data[:8])
    try:
        t = datetime(year, month, day, hour, minute, min(second, 59), deci * 100_000, tzinfo=UTC)
    except ValueError as err:
        raise ValueError(f"not a date: {data.hex()}") from err
    if deci > 9:
        raise ValueError(f"deci-seconds out of range: {deci}")
    if len(data) == 11:
        sign, hours, minutes = data[8:9], data[9], data[10]
        if sign not in (b"+", b"-") or hours > 13 or minutes > 59:
            raise ValueError(f"bad UTC offset in {data.hex()}")
        offset = timedelta(hours=hours, minutes=minutes)
        t = t - offset if sign == b"+" else t + offset  # local time -> UTC
    return t.timestamp()


# --- PSID --------------------------------------------------------------------------------

_PSID_RANGES = ((0x00, 0x7F), (0x8000, 0xBFFF), (0xC00000, 0xDFFFFF), (0xE0000000, 0xEFFFFFFF))


def valid_psid(value: int) -> bool:
    """A PSID in the p-encoded hex form the daemon uses (0x20, 0x8002, 0xE0000017...)."""
    return any(lo <= value <= hi for lo, hi in _PSID_RANGES)


def decode_psid(data: bytes) -> int:
    """1 to 4 octets -> PSID. Left-padded (``00 00 80 02``) and right-padded (``80 02 00 00``,
    as some RSUs show them) forms both read as 0x8002; anything else is a ValueError."""
    if not 1 <= len(data) <= 4:
        raise ValueError(f"a PSID is 1 to 4 octets, got {len(data)}")
    value = int.from_bytes(data, "big")
    if valid_psid(value):
        return value
    first = data[0]
    size = 1 if first < 0x80 else 2 if first < 0xC0 else 3 if first < 0xE0 else 4
    head, pad = data[:size], data[size:]
    if len(head) == size and not any(pad) and valid_psid(int.from_bytes(head, "big")):
        return int.from_bytes(head, "big")
    raise ValueError(f"not a valid PSID: {data.hex()}")


def encode_psid(value: int) -> bytes:
    """PSID -> its p-encoded octets (1 to 4)."""
    size = 1 if value <= 0x7F else 2 if value <= 0xBFFF else 3 if value <= 0xDFFFFF else 4
    return value.to_bytes(size, "big")


# --- addresses ---------------------------------------------------------------------------


def decode_address(data: bytes) -> str:
    """Text (``"10.0.0.5"``), or 4 / 16 raw octets -> normalised address text; ValueError."""
    if len(data) in (4, 16) and not data.isascii():
        return str(ipaddress.ip_address(data))
    try:
        text = data.rstrip(b"\x00").decode("ascii").strip()
        return str(ipaddress.ip_address(text))
    except (UnicodeDecodeError, ValueError) as err:
        if len(data) in (4, 16):
            return str(ipaddress.ip_address(data))
        raise ValueError(f"not an IP address: {data[:64]!r}") from err
