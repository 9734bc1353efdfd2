"""Leaf converters between asn1tools' Python values and JER, and the error re-framing they share.

Used by ``rsu.v2x.jer.JerBuilder``; see there for the JER conventions.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any

from rsu.errors import DecodeError, EncodeError

Conv = Callable[[Any], Any]


def relative_oid_to_jer(value: bytes) -> str:
    """Contents octets of a RELATIVE-OID -> ``"a.b.c"`` (X.690 8.20: base 128, high bit = more)."""
    arcs: list[int] = []
    arc = 0
    for octet in value:
        arc = (arc << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(arc)
            arc = 0
    if not value or value[-1] & 0x80:
        raise DecodeError("RELATIVE-OID: truncated arc", data=bytes(value))
    return ".".join(str(a) for a in arcs)


def relative_oid_from_jer(value: Any) -> bytes:
    if not isinstance(value, str) or not all(p.isdigit() for p in value.split(".")):
        raise EncodeError(f'RELATIVE-OID must be a string like "1.2.3", got {value!r}')
    out = bytearray()
    for part in value.split("."):
        arc = int(part)
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


# Types our modules must write differently from the standard because asn1tools lacks the
# ASN.1 type: the name of the stand-in type -> (to JER, from JER) of the real type.
# RELATIVE-OID (J2735-2024 RelativeRoadAuthorityID) is written as OCTET STRING, which carries
# the same bits in UPER; its JER is the dotted arc list.
TYPE_OVERRIDES: dict[str, tuple[Conv, Conv]] = {
    "RelativeRoadAuthorityID": (relative_oid_to_jer, relative_oid_from_jer),
}


def hex(value: bytes) -> str:
    return value.hex().upper()


def same(value: Any) -> Any:
    return value


def bits_to_jer(size: int | None) -> Conv:
    def convert(value: tuple[bytes, int]) -> Any:
        data, length = value
        text = data[: (length + 7) // 8].hex().upper()
        if size is not None and length == size:
            return text
        return {"value": text, "length": length}

    return convert


def bits_from_jer(size: int | None) -> Conv:
    def convert(value: Any) -> tuple[bytes, int]:
        if isinstance(value, str) and size is not None:
            data, length = unhex(value), size
        elif isinstance(value, dict) and set(value) == {"value", "length"}:
            data, length = unhex(value["value"]), value["length"]
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EncodeError(f"BIT STRING length must be a non-negative integer: {length!r}")
        else:
            form = "a hex string or " if size is not None else ""
            raise EncodeError(f'BIT STRING must be {form}{{"value": hex, "length": n}}')
        if len(data) * 8 < length:
            raise EncodeError(f"BIT STRING has {len(data) * 8} bits of data for length {length}")
        return (data, length)

    return convert


def unhex(value: Any) -> bytes:
    if not isinstance(value, str):
        raise EncodeError(f"expected a hex string, got {type(value).__name__}")
    try:
        return binascii.unhexlify(value)
    except (binascii.Error, ValueError) as err:
        raise EncodeError(f"not a hex string: {value[:40]!r}") from err


def list_from_jer(element: Conv) -> Conv:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise EncodeError(f"expected an array, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(element(item))
            except EncodeError as err:
                raise eprefixed(err, f"[{i}]") from None
        return out

    return convert


def choice_to_jer(alts: dict[str, Conv | None]) -> Conv:
    def convert(value: tuple[str, Any]) -> dict[str, Any]:
        name, inner = value
        conv = alts.get(name)
        try:
            return {name: conv(inner) if conv else inner}
        except DecodeError as err:
            raise prefixed(err, name) from None

    return convert


def choice_from_jer(alts: dict[str, Conv]) -> Conv:
    def convert(value: Any) -> tuple[str, Any]:
        if not isinstance(value, dict) or len(value) != 1:
            raise EncodeError(f"a CHOICE must be an object with one of {sorted(alts)}")
        ((name, inner),) = value.items()
        if name not in alts:
            raise EncodeError(f"unknown alternative (expected one of {sorted(alts)})", path=name)
        try:
            return (name, alts[name](inner))
        except EncodeError as err:
            raise eprefixed(err, name) from None

    return convert


def join(head: str, tail: str) -> str:
    if not tail:
        return head
    return f"{head}{tail}" if tail.startswith("[") else f"{head}.{tail}"


def prefixed(err: DecodeError, name: str, shift: int = 0) -> DecodeError:
    """The error seen one level up: ``name`` before its path, its offset shifted by where the
    open type content started in the enclosing buffer."""
    offset = err.bit_offset + shift if err.bit_offset is not None else None
    return type(err)(
        err.reason, message=err.message_type, path=join(name, err.path), bit_offset=offset
    )


def eprefixed(err: EncodeError, name: str) -> EncodeError:
    return EncodeError(err.reason, message=err.message_type, path=join(name, err.path))
