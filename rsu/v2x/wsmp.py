"""IEEE 1609.3 WAVE Short Message Protocol (WSMP) version 3 headers.

Layout (1609.3-2016/2020, 8.3): the WSMP-N-Header is one octet (subtype 4 bits, option
indicator 1 bit, version 3 bits), then, when the option indicator is set, a WAVE Information
Element Extension (a count, then per element: element id octet, length, value), then the TPID
octet. The WSMP-T-Header follows: for TPID 0/1 a p-encoded PSID, for TPID 2/3 source and
destination ports; TPID 1/3 add another extension field; then the WSM length. Counts and
lengths use 1609.3's own 1- or 2-octet form (8.1.3). The WSM data (normally an IEEE 1609.2
``Ieee1609Dot2Data``) follows.

Radios built to 1609.3-2010 send version 2 instead: the version octet (2), the p-encoded
PSID, optional channel number / data rate / transmit power elements (id, one-octet length,
value), the WAVE element id 128 (WSM), a two-octet WSM length and the data. Both are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rsu.v2x.coer import Reader, count_field, pdecode_psid

VERSION = 3
VERSION_2010 = 2
_WSM_ELEMENT_2010 = 128
ELEMENT_NAMES = {4: "tx_power", 15: "channel", 16: "data_rate", 23: "channel_load"}
"""WAVE element ids seen in WSMP headers (1609.3 Table 20)."""


@dataclass(frozen=True, slots=True)
class WsmpHeader:
    """One parsed WSMP header. ``start``/``data_start``/``data_end`` are buffer offsets."""

    subtype: int
    tpid: int
    """0 (PSID) for version 2 headers, which have no TPID."""
    psid: int | None
    """Integer PSID (not p-encoded): ``20`` -> 0x20, ``80 02`` -> 0x82."""
    start: int
    data_start: int
    length: int
    """The WSM length the header declares."""
    data_end: int
    """``data_start + length``, clipped to the bytes received."""
    ports: tuple[int, int] | None = None
    elements: tuple[tuple[int, bytes], ...] = field(default=())
    """WAVE information elements of the N- and T-header extensions: (element id, value)."""
    version: int = VERSION

    @property
    def truncated(self) -> bool:
        return self.data_start + self.length > self.data_end


def looks_like_wsmp(data: bytes, pos: int) -> bool:
    """Sniff: version 3, null-networking subtype; without the option bit the TPID (0..5)
    follows directly."""
    if len(data) < pos + 4:
        return False
    first = data[pos]
    if first == VERSION_2010:
        return len(data) >= pos + 5
    if first == 0x03:
        return data[pos + 1] <= 5
    return first == 0x0B


def parse_wsmp(data: bytes, pos: int = 0) -> WsmpHeader:
    """Parse the WSMP v3 header at ``data[pos:]`` (raises ``FramingError``)."""
    r = Reader(data, pos)
    first = r.u8("WSMP N-header")
    if first == VERSION_2010:
        return _parse_2010(r, pos)
    version, subtype = first & 0x07, first >> 4
    if version != VERSION:
        raise r.fail(f"WSMP version {version}, expected 3", pos)
    if subtype != 0:
        raise r.fail(f"WSMP subtype {subtype} (only null-networking, 0, is supported)", pos)
    elements: list[tuple[int, bytes]] = []
    if first & 0x08:
        elements += _extension(r, "WSMP N-header extension")
    tpid_at = r.pos
    tpid = r.u8("WSMP TPID")
    psid: int | None = None
    ports: tuple[int, int] | None = None
    if tpid in (0, 1):
        psid, size = pdecode_psid(data, r.pos)
        r.skip(size, "WSMP PSID")
    elif tpid in (2, 3):
        ports = (r.uint(2, "WSMP source port"), r.uint(2, "WSMP destination port"))
    else:
        raise r.fail(f"WSMP TPID {tpid} not supported (0..3 are)", tpid_at)
    if tpid in (1, 3):
        elements += _extension(r, "WSMP T-header extension")
    length = count_field(r, "WSM length")
    data_start = r.pos
    return WsmpHeader(
        subtype=subtype, tpid=tpid, psid=psid, start=pos, data_start=data_start,
        length=length, data_end=min(len(data), data_start + length), ports=ports,
        elements=tuple(elements),
    )  # fmt: skip


def _extension(r: Reader, what: str) -> list[tuple[int, bytes]]:
    count = count_field(r, f"{what} count")
    if 2 * count > r.remaining:
        raise r.fail(f"{what}: {count} elements cannot fit in {r.remaining} octets")
    out: list[tuple[int, bytes]] = []
    for _ in range(count):
        element = r.u8(f"{what} element id")
        out.append((element, r.take(count_field(r, f"{what} length"), f"{what} element")))
    return out


def _parse_2010(r: Reader, pos: int) -> WsmpHeader:
    """1609.3-2010 (version 2): PSID, channel/rate/power elements, WSM element id, length."""
    psid, size = pdecode_psid(r.data, r.pos)
    r.skip(size, "WSMP PSID")
    elements: list[tuple[int, bytes]] = []
    while True:
        at = r.pos
        element = r.u8("WSMP element id")
        if element == _WSM_ELEMENT_2010:
            break
        if element not in ELEMENT_NAMES or len(elements) == len(ELEMENT_NAMES):
            raise r.fail(f"WSMP version 2: unexpected element id {element}", at)
        elements.append((element, r.take(r.u8("WSMP element length"), "WSMP element")))
    length = r.uint(2, "WSM length")
    return WsmpHeader(
        subtype=0, tpid=0, psid=psid, start=pos, data_start=r.pos, length=length,
        data_end=min(len(r.data), r.pos + length), elements=tuple(elements),
        version=VERSION_2010,
    )  # fmt: skip
