"""A small, bounded reader and writer for the canonical octet encoding rules (COER, X.696).

Only what IEEE 1609.2 structures need: fixed octets, length determinants, unsigned integers,
SEQUENCE preambles and quantities, CHOICE tags, open types and the extension-addition bitmap
of an extensible SEQUENCE. Every read is checked against the end of the window it reads in,
so malformed input raises :class:`~rsu.errors.FramingError` after at most one pass over the
bytes: no recursion that the input controls, no allocation larger than the input.

Written by hand rather than with asn1tools' ``oer`` codec, for three reasons: 1609.2 signs and
hashes *encodings* (the ``ToBeSignedData`` and every certificate as received, byte for byte),
so the parser must hand back exact spans of the input, which asn1tools' decoded dicts do not
carry; the receive path walks every signed frame and must stay cheap (no dict per
certificate nobody reads); and every malformed input must become one exception type with a
byte offset. The writer produces the canonical form (shortest lengths and integers, zero
padding bits) that the signer and ``rsu pki`` need.
"""

from __future__ import annotations

from rsu.errors import FramingError
from rsu.v2x.psid import pdecode_psid, pencode_psid

__all__ = ["Reader", "Writer", "count_field", "pdecode_psid", "pencode_psid"]

_MAX_LENGTH_OCTETS = 4
"""Longest length determinant accepted (lengths up to 4 GiB; anything longer is absurd)."""


class Reader:
    """A cursor over ``data[pos:end]``; raises ``FramingError`` on any overrun.

    ``data`` is the whole buffer as received, so offsets in errors and spans refer to it.
    """

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def fail(self, reason: str, pos: int | None = None) -> FramingError:
        """A ``FramingError`` at ``pos`` (default: the cursor), carrying the whole buffer."""
        where = self.pos if pos is None else pos
        return FramingError(reason, bit_offset=where * 8, data=self.data)

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.remaining:
            raise self.fail(f"{what}: needs {n} octets, {self.remaining} left")
        start = self.pos
        self.pos += n
        return self.data[start : self.pos]

    def skip(self, n: int, what: str) -> None:
        if n < 0 or n > self.remaining:
            raise self.fail(f"{what}: needs {n} octets, {self.remaining} left")
        self.pos += n

    def u8(self, what: str) -> int:
        if self.pos >= self.end:
            raise self.fail(f"{what}: needs 1 octet, 0 left")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uint(self, n: int, what: str) -> int:
        """A fixed-size big-endian unsigned integer (Uint16, Uint32, Time64 ...)."""
        return int.from_bytes(self.take(n, what), "big")

    def enumerated(self, what: str) -> int:
        """An ENUMERATED of the root (one octet below 128; 1609.2 has no longer ones)."""
        start = self.pos
        first = self.u8(what)
        if first >= 0x80:
            raise self.fail(f"{what}: enumerated value in long form (0x{first:02x})", start)
        return first

    def length(self, what: str, *, check: bool = True) -> int:
        """A length determinant (X.696 8.6): short form < 128, else 0x80|n and n octets.

        The length is checked against the octets left (unless ``check`` is false), so callers
        can trust it.
        """
        start = self.pos
        first = self.u8(what)
        if first < 0x80:
            value = first
        else:
            n = first & 0x7F
            if n == 0 or n > _MAX_LENGTH_OCTETS:
                raise self.fail(f"{what}: bad length determinant 0x{first:02x}", start)
            value = self.uint(n, what)
        if check and value > self.remaining:
            raise self.fail(
                f"{what}: length {value} exceeds the {self.remaining} octets left", start
            )
        return value

    def octets(self, what: str) -> bytes:
        """A length-prefixed OCTET STRING (unconstrained size)."""
        return self.take(self.length(what), what)

    def unsigned(self, what: str) -> int:
        """A non-negative INTEGER with no upper bound (e.g. Psid): length + octets."""
        n = self.length(what)
        if n == 0 or n > 8:
            raise self.fail(f"{what}: integer of {n} octets")
        return self.uint(n, what)

    def signed(self, what: str) -> int:
        """An unconstrained INTEGER (two's complement): length + octets."""
        n = self.length(what)
        if n == 0 or n > 8:
            raise self.fail(f"{what}: integer of {n} octets")
        return int.from_bytes(self.take(n, what), "big", signed=True)

    def quantity(self, what: str, min_octets_each: int = 1) -> int:
        """The element count of a SEQUENCE OF (X.696 20.6), bounded by the octets left."""
        start = self.pos
        count = self.unsigned(what)
        if count * min_octets_each > self.remaining:
            raise self.fail(
                f"{what}: {count} elements cannot fit in {self.remaining} octets", start
            )
        return count

    def preamble(self, n_bits: int, what: str) -> int:
        """The SEQUENCE preamble: ``n_bits`` bits (extension bit first, then one per OPTIONAL
        or DEFAULT member) padded to whole octets. Returned as an int, first bit highest."""
        n_octets = (n_bits + 7) // 8
        bits = self.uint(n_octets, what)
        unused = n_octets * 8 - n_bits
        if bits & ((1 << unused) - 1):
            raise self.fail(f"{what}: preamble padding bits are not zero")
        return bits >> unused

    def tag(self, what: str) -> int:
        """A CHOICE tag (X.696 8.7); only context-specific tags below 63, as 1609.2 uses."""
        start = self.pos
        first = self.u8(what)
        if first & 0xC0 != 0x80:
            raise self.fail(f"{what}: not a context-specific CHOICE tag (0x{first:02x})", start)
        number = first & 0x3F
        if number == 0x3F:
            raise self.fail(f"{what}: tag number too large", start)
        return number

    def open_type(self, what: str) -> tuple[int, int]:
        """An open type (length + encoding): returns its (start, end) span and skips it."""
        n = self.length(what)
        start = self.pos
        self.pos += n
        return start, self.pos

    def extensions(self, what: str) -> list[tuple[int, int, int]]:
        """The extension additions of an extensible SEQUENCE whose extension bit is set: a
        presence bitmap (length, unused-bit count, bits) then one open type per set bit.
        Returns ``(index, start, end)`` of each present addition and skips them all."""
        start = self.pos
        n = self.length(f"{what} extension bitmap")
        if n < 2:
            raise self.fail(f"{what}: empty extension bitmap", start)
        unused = self.u8(f"{what} extension bitmap")
        if unused > 7:
            raise self.fail(f"{what}: extension bitmap has {unused} unused bits", start)
        bits = int.from_bytes(self.take(n - 1, f"{what} extension bitmap"), "big") >> unused
        width = (n - 1) * 8 - unused
        present = [i for i in range(width) if bits >> (width - 1 - i) & 1]
        return [(i, *self.open_type(f"{what} extension addition")) for i in present]


def count_field(r: Reader, what: str) -> int:
    """A 1609.3 Length/Count field (8.1.3): one octet 0..127, or 0b10 + 14 bits."""
    start = r.pos
    first = r.u8(what)
    if first < 0x80:
        return first
    if first & 0xC0 != 0x80:
        raise r.fail(f"{what}: bad length/count octet 0x{first:02x}", start)
    return (first & 0x3F) << 8 | r.u8(what)


class Writer:
    """Appends COER encodings to a buffer; ``bytes(w)`` is the result."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def __bytes__(self) -> bytes:
        return bytes(self.buf)

    def raw(self, data: bytes) -> Writer:
        self.buf += data
        return self

    def u8(self, value: int) -> Writer:
        self.buf.append(value)
        return self

    def uint(self, n: int, value: int) -> Writer:
        self.buf += value.to_bytes(n, "big")
        return self

    def length(self, n: int) -> Writer:
        """A length determinant in its shortest form."""
        if n < 0x80:
            self.buf.append(n)
        else:
            size = (n.bit_length() + 7) // 8
            self.buf.append(0x80 | size)
            self.buf += n.to_bytes(size, "big")
        return self

    def octets(self, data: bytes) -> Writer:
        return self.length(len(data)).raw(data)

    def unsigned(self, value: int) -> Writer:
        """A non-negative unbounded INTEGER: length then the fewest octets."""
        return self.octets(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))

    def signed(self, value: int) -> Writer:
        """An unconstrained INTEGER: length then the fewest two's complement octets."""
        size = max(1, (value.bit_length() + 8) // 8)
        return self.octets(value.to_bytes(size, "big", signed=True))

    def quantity(self, count: int) -> Writer:
        return self.unsigned(count)

    def preamble(self, n_bits: int, bits: int) -> Writer:
        """``bits`` (first bit highest, ``n_bits`` of them) padded with zeros to octets."""
        n_octets = (n_bits + 7) // 8
        return self.uint(n_octets, bits << (n_octets * 8 - n_bits))

    def tag(self, number: int) -> Writer:
        """A context-specific CHOICE tag below 63."""
        return self.u8(0x80 | number)

    def open_type(self, encoding: bytes) -> Writer:
        return self.octets(encoding)
