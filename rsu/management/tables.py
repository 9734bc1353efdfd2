"""The NTCIP 1218 tables a manager creates rows in (RowStatus), column by column.

Each column has an SMI shape (``kind``: integer, octets, psid, time, address, bits, status),
its range (integers) or length range (octets), a default for rows created without it and
whether a manager may write it. A row is a frozen ``Row``: its index and column values (ints
or bytes, exactly as a manager wrote them, so a GET reads back what was SET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rsu.management import oids
from rsu.management.smi import UNSET_TIME, Oid
from rsu.wire import DEFAULT_CHANNEL

ColumnKind = Literal["integer", "octets", "psid", "time", "address", "bits", "status"]
Cell = int | bytes


@dataclass(frozen=True, slots=True)
class Column:
    sub: int
    name: str
    kind: ColumnKind
    lo: int = 0
    """Smallest integer, or shortest octet string."""
    hi: int = 0
    default: Cell = 0
    writable: bool = True


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    entry: Oid
    max_rows: int
    columns: tuple[Column, ...]
    max_oid: Oid
    """The ``max...`` scalar that tells managers how many rows fit."""

    def column(self, sub: int) -> Column | None:
        return next((c for c in self.columns if c.sub == sub), None)

    @property
    def status(self) -> Column:
        return next(c for c in self.columns if c.kind == "status")

    def defaults(self) -> dict[int, Cell]:
        return {c.sub: c.default for c in self.columns}


@dataclass(frozen=True, slots=True)
class Row:
    index: int
    cells: tuple[tuple[int, Cell], ...]

    def get(self, sub: int) -> Cell:
        return dict(self.cells)[sub]

    def as_dict(self) -> dict[int, Cell]:
        return dict(self.cells)

    @classmethod
    def of(cls, index: int, cells: dict[int, Cell]) -> Row:
        return cls(index, tuple(sorted(cells.items())))


def _status(sub: int) -> Column:
    return Column(sub, "status", "status", 1, 6, 1)


def _psid(sub: int, lo: int = 1, default: bytes = b"\x20") -> Column:
    return Column(sub, "psid", "psid", lo, 4, default)


def _time(sub: int, name: str) -> Column:
    return Column(sub, name, "time", 8, 11, UNSET_TIME)


def _int(sub: int, name: str, lo: int, hi: int, default: int) -> Column:
    return Column(sub, name, "integer", lo, hi, default)


PAYLOAD_MAX = 2302
"""rsuMsgRepeatPayload / rsuIFMPayload: at most 2302 octets (an IEEE 1609.3 WSM)."""
OPTIONS_DEFAULT = b"\xc0"
"""BITS, bit 0 first (0x80): process 1609.2 (0x80) and unsecured (0x40) = the radio wraps the
bare MessageFrame itself; clear 0x40 to have it signed."""

MSG_REPEAT = TableSpec(
    "rsuMsgRepeatStatusTable",
    oids.MSG_REPEAT_ENTRY,
    100,
    (
        _psid(2),
        _int(3, "txChannel", 0, 255, DEFAULT_CHANNEL),
        _int(4, "txInterval", 1, 2**31 - 1, 1000),
        _time(5, "deliveryStart"),
        _time(6, "deliveryStop"),
        Column(7, "payload", "octets", 0, PAYLOAD_MAX, b""),
        _int(8, "enable", 0, 1, 1),
        _status(9),
        _int(10, "priority", 0, 63, 7),
        Column(11, "options", "bits", 1, 4, OPTIONS_DEFAULT),
    ),
    oids.MAX_MSG_REPEAT,
)

IFM = TableSpec(
    "rsuIFMStatusTable",
    oids.IFM_ENTRY,
    32,
    (
        _psid(2),
        _int(3, "txChannel", 0, 255, DEFAULT_CHANNEL),
        _int(4, "enable", 0, 1, 1),
        _status(5),
        _int(6, "priority", 0, 63, 7),
        Column(7, "options", "bits", 1, 4, OPTIONS_DEFAULT),
        Column(8, "payload", "octets", 0, PAYLOAD_MAX, b""),
    ),
    oids.MAX_IFMS,
)

RECEIVED_MSG = TableSpec(
    "rsuReceivedMsgTable",
    oids.RECEIVED_MSG_ENTRY,
    32,
    (
        _psid(2),
        Column(3, "destIpAddr", "address", 0, 64, b""),
        _int(4, "destPort", 1024, 65535, 5114),
        _int(5, "protocol", 2, 2, 2),  # other(1) is refused (wrongValue): UDP only
        _int(6, "rssi", -100, -60, -100),
        _int(7, "interval", 0, 10, 1),
        _time(8, "deliveryStart"),
        _time(9, "deliveryStop"),
        _status(10),
        _int(11, "secure", 0, 1, 0),
        _int(12, "authMsgInterval", 0, 10, 0),
    ),
    oids.MAX_RECEIVED_MSGS,
)

MESSAGE_COUNTS = TableSpec(
    "rsuMessageCountsByPsidTable",
    oids.MESSAGE_COUNTS_ENTRY,
    32,
    (
        _psid(2, lo=0),  # empty or 0x00: every PSID
        _int(3, "channel", 0, 255, 0),  # 0: every channel
        _int(4, "direction", 1, 3, 3),  # inbound(1), outbound(2), bothDirections(3)
        _time(5, "time"),
        Column(6, "counts", "integer", 0, 0, 0, writable=False),  # computed, Counter32
        _status(7),
    ),
    oids.MAX_MESSAGE_COUNTS,
)

TABLES: tuple[TableSpec, ...] = (MSG_REPEAT, IFM, RECEIVED_MSG, MESSAGE_COUNTS)
BY_NAME = {t.name: t for t in TABLES}


def find_table(name: Oid) -> tuple[TableSpec, int, int] | None:
    """``entry.column.index`` -> (table, column sub-id, row index), or None."""
    for table in TABLES:
        n = len(table.entry)
        if name[:n] == table.entry and len(name) == n + 2:
            return table, name[n], name[n + 1]
    return None
