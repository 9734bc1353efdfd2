"""PSIDs in their two forms, converted in this one place.

IEEE 1609.2 (``HeaderInfo.psid``, certificate ``appPermissions``) and IEEE 1609.12 carry the
PSID as a plain **integer**. IEEE 1609.3 WSMP headers put it on the air **p-encoded** (the
count of leading one bits of the first octet gives the length), and RSU 4.1 / NTCIP 1218
tables and most RSU configuration files write that p-encoded octet string as hex
(``0xE0000017`` for MAP). The same PSID in both forms:

| message | integer (1609.2) | p-encoded (WSMP, RSU 4.1, NTCIP 1218) |
|---|---|---|
| BSM | 32 (0x20) | 0x20 |
| SPaT | 130 (0x82) | 0x8002 |
| TIM | 131 (0x83) | 0x8003 |
| MAP | 2113687 (0x204097) | 0xE0000017 |

>>> to_integer(0xE0000017), to_pencoded(2113687), pencoded_hex(131)
(2113687, 3758096407, '0x8003')
"""

from __future__ import annotations

from rsu.errors import FramingError

MAX_PSID = 0x1020407F
"""The largest PSID a 4-octet p-encoding can carry."""
_BASES = (
    (0x80, 1, 0x00),
    (0x4080, 2, 0x8000),
    (0x204080, 3, 0xC00000),
    (0x10204080, 4, 0xE0000000),
)
"""(first integer PSID of the next length, octets, p-encoding prefix of this length)."""


def pencode_psid(psid: int) -> bytes:
    """The p-encoded octets of an integer PSID: ``0x82`` -> ``80 02``."""
    low = 0
    for limit, size, prefix in _BASES:
        if low <= psid < limit:
            return (prefix | (psid - low)).to_bytes(size, "big")
        low = limit
    raise ValueError(f"PSID {psid} out of range 0..{MAX_PSID}")


def pdecode_psid(data: bytes, pos: int) -> tuple[int, int]:
    """Read a p-encoded PSID at ``data[pos]``: ``(integer psid, octets used)``.

    Raises ``FramingError`` when the octets run out or the first octet is a reserved
    (``1111xxxx``) form.
    """
    if pos >= len(data):
        raise FramingError("PSID: needs 1 octet, 0 left", bit_offset=pos * 8, data=data)
    first = data[pos]
    size = _length_of(first)
    if size == 0:
        raise FramingError(
            f"PSID: reserved p-encoding first octet 0x{first:02x}", bit_offset=pos * 8, data=data
        )
    if pos + size > len(data):
        raise FramingError(
            f"PSID: needs {size} octets, {len(data) - pos} left", bit_offset=pos * 8, data=data
        )
    return _from_octets(data[pos : pos + size]), size


def _from_octets(octets: bytes) -> int:
    low = 0
    for limit, size, prefix in _BASES:
        if len(octets) == size:
            return int.from_bytes(octets, "big") - prefix + low
        low = limit
    raise ValueError(f"p-encoded PSID of {len(octets)} octets")


def to_integer(pencoded: int) -> int:
    """The integer PSID of a p-encoded value written as a number (``0x8003`` -> 131).

    Raises ``ValueError`` when the number is not a valid p-encoding (e.g. ``0x7F00``: a
    2-octet value must start with ``10``).
    """
    if pencoded < 0:
        raise ValueError(f"p-encoded PSID {pencoded:#x} is negative")
    size = max(1, (pencoded.bit_length() + 7) // 8)
    if size > 4 or _length_of(pencoded >> (8 * size - 8)) != size:
        raise ValueError(f"{pencoded:#x} is not a p-encoded PSID (wrong length prefix)")
    return _from_octets(pencoded.to_bytes(size, "big"))


def _length_of(first: int) -> int:
    """Octets of a p-encoding from its first octet (0 for the reserved ``1111xxxx``)."""
    for size, limit in enumerate((0x80, 0xC0, 0xE0, 0xF0), start=1):
        if first < limit:
            return size
    return 0


def to_pencoded(psid: int) -> int:
    """The p-encoding of an integer PSID, as the number RSU 4.1 writes (131 -> ``0x8003``)."""
    return int.from_bytes(pencode_psid(psid), "big")


def pencoded_hex(psid: int) -> str:
    """The p-encoded form of an integer PSID as RSU 4.1 / NTCIP 1218 show it: ``'0x8003'``."""
    return f"0x{to_pencoded(psid):X}"
