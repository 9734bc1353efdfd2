"""Helpers the generated fast decoder calls (see ``rsu.v2x.fastpath``).

Each reads at bit ``p`` of the frame held in the integer ``n`` of ``t`` bits and returns the
value and the new position; reading past the end raises (a negative shift or ``Fallback``).
"""

from __future__ import annotations

import copy
from typing import Any

from asn1tools.codecs import uper


class Fallback(Exception):
    """The fast path met something it leaves to the general decoder."""


def _ld(n: int, t: int, p: int) -> tuple[int, int]:
    """Unconstrained length determinant (no fragments)."""
    first = (n >> (t - p - 8)) & 0xFF
    if first < 0x80:
        return first, p + 8
    if first < 0xC0:
        return ((first & 0x3F) << 8) | ((n >> (t - p - 16)) & 0xFF), p + 16
    raise Fallback("fragmented length")


def _nsn(n: int, t: int, p: int) -> tuple[int, int]:
    """Normally small non-negative whole number."""
    if not (n >> (t - p - 1)) & 1:
        return (n >> (t - p - 7)) & 0x3F, p + 7
    length, p = _ld(n, t, p + 1)
    return (n >> (t - p - 8 * length)) & ((1 << (8 * length)) - 1) if length else 0, p + 8 * length


def _nsl(n: int, t: int, p: int) -> tuple[int, int]:
    """Normally small length (extension addition count)."""
    if not (n >> (t - p - 1)) & 1:
        return ((n >> (t - p - 7)) & 0x3F) + 1, p + 7
    raise Fallback("long extension bitmap")


def _uwn(n: int, t: int, p: int) -> tuple[int, int]:
    """Unconstrained whole number (two's complement octets)."""
    length, p = _ld(n, t, p)
    if length == 0:
        return 0, p
    bits = 8 * length
    value = (n >> (t - p - bits)) & ((1 << bits) - 1)
    if value >> (bits - 1):
        value -= 1 << bits
    return value, p + bits


def _raw(n: int, t: int, p: int, bits: int) -> bytes:
    """``bits`` bits at ``p``, left-aligned in whole octets."""
    if bits == 0:
        return b""
    value = (n >> (t - p - bits)) & ((1 << bits) - 1)
    pad = -bits % 8
    return (value << pad).to_bytes((bits + pad) // 8, "big")


def _octets_hex(n: int, t: int, p: int, count: int) -> str:
    if p + 8 * count > t:
        raise Fallback("past the end")
    return _raw(n, t, p, 8 * count).hex().upper()


def _bits_jer(n: int, t: int, p: int, bits: int, size: int | None) -> Any:
    if p + bits > t:
        raise Fallback("past the end")
    text = _raw(n, t, p, bits).hex().upper()
    if size is not None and bits == size:
        return text
    return {"value": text, "length": bits}


def _slow(node: Any, conv: Any, t: int, p: int, data: bytes) -> tuple[Any, int]:
    """Decode one node with asn1tools itself, from bit ``p``."""
    decoder = uper.Decoder(bytearray(data))
    decoder.number_of_bits = t - p
    value = node.decode(decoder)
    if conv is not None:
        value = conv(value)
    return value, t - decoder.number_of_bits


RUNTIME = {
    "_ld": _ld,
    "_nsn": _nsn,
    "_nsl": _nsl,
    "_uwn": _uwn,
    "_raw": _raw,
    "_octets_hex": _octets_hex,
    "_bits_jer": _bits_jer,
    "_slow": _slow,
    "Fallback": Fallback,
    "_deepcopy": copy.deepcopy,
}
