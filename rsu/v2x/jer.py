"""Type-directed conversion between asn1tools' Python values and JER, with open types decoded
(and encoded) in place.

For each compiled type node a converter is built once (``JerBuilder.to_jer(node)``); the hot
path then only calls closures. ``None`` as a converter means "already JER" (INTEGER, BOOLEAN,
ENUMERATED, strings, NULL), so those members are not touched at all.

JER follows what asn1tools' ``jer`` codec writes (ITU-T X.697): OCTET STRING as upper-case hex;
a fixed-size BIT STRING as upper-case hex, any other as ``{"value": hex, "length": n}`` (also a
fixed-size extensible one whose extension bit was set, since its length is then not the root
size); CHOICE as ``{"alternative": value}``. An open type whose id has no known type stays a hex
string.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any, Protocol

from asn1tools.codecs import per, uper

from rsu.errors import DecodeError, EncodeError
from rsu.v2x.asn1 import OpenTypeTables, children

Conv = Callable[[Any], Any]

# Which information object class an open type member belongs to, by the member's name in the
# standards' parameterised types (MessageFrame.value, PartIIcontent.partII-Value,
# RegionalExtension.regExtValue).
OPEN_MEMBER_CLASSES: dict[str, str] = {
    "value": "MESSAGE-ID-AND-TYPE",
    "partII-Value": "PARTII-EXT-ID-AND-TYPE",
    "regExtValue": "REG-EXT-ID-AND-TYPE",
}
_OPEN = (uper.OpenType, per.OpenType)
_IDENTITY_NODES = (
    uper.Integer,
    per.Integer,
    per.Boolean,
    per.Enumerated,
    per.Null,
    per.Real,
    per.KnownMultiplierStringType,
    per.StringType,
    per.UTF8String,
)


def _relative_oid_to_jer(value: bytes) -> str:
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


def _relative_oid_from_jer(value: Any) -> bytes:
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
    "RelativeRoadAuthorityID": (_relative_oid_to_jer, _relative_oid_from_jer),
}


class InnerCodec(Protocol):
    """What the converters need to decode/encode the content of an open type."""

    def decode_inner(self, type_ref: str, data: bytes) -> Any: ...

    def encode_inner(self, type_ref: str, value: Any) -> bytes: ...


def members_of(node: Any) -> list[Any]:
    """Members of a SEQUENCE/SET, with extension addition groups flattened."""
    out: list[Any] = []
    for member in [*(node.root_members or []), *(node.additions or [])]:
        if isinstance(member, per.AdditionGroup):
            out.extend(members_of(member))
        else:
            out.append(member)
    return out


def choice_members(node: Any) -> list[Any]:
    out = list(node.root_index_to_member.values())
    if node.additions_index_to_member:
        out.extend(node.additions_index_to_member.values())
    return out


def _inner(node: Any) -> Any:
    while isinstance(node, per.Recursive):
        node = node._inner
    return node


def _fixed_bits(node: Any) -> int | None:
    if node.minimum is not None and node.minimum == node.maximum:
        return int(node.minimum)
    return None


class JerBuilder:
    """Builds and memoises the converters of one compiled standard."""

    def __init__(self, tables: OpenTypeTables, inner: InnerCodec) -> None:
        self.tables = tables
        self.inner = inner
        self._to: dict[tuple[int, str | None], Conv | None] = {}
        self._from: dict[tuple[int, str | None], Conv] = {}

    # ---- open types -------------------------------------------------------------------------

    def open_table(self, member_name: str, context: str | None) -> dict[int, str]:
        """id -> type reference for an open type member, in its context."""
        cls = OPEN_MEMBER_CLASSES.get(member_name)
        if cls == "REG-EXT-ID-AND-TYPE":
            return self.tables.sets.get(context or "", {})
        merged: dict[int, str] = {}
        for name, table in self.tables.sets.items():
            if self.tables.classes.get(name) == cls:
                merged.update(table)
        return merged

    def _context(self, node: Any, member: Any) -> str | None:
        type_name = getattr(node, "type_name", "")
        return self.tables.regional_context.get((type_name, member.name))

    # ---- to JER ---------------------------------------------------------------------------

    def to_jer(self, node: Any, context: str | None = None) -> Conv | None:
        node = _inner(node)
        key = (id(node), context)
        if key in self._to:
            return self._to[key]
        cell: list[Conv | None] = [None]
        self._to[key] = lambda v: cell[0](v) if cell[0] else v  # placeholder for recursion
        conv = self._build_to(node, context)
        cell[0] = conv
        self._to[key] = conv
        return conv

    def _build_to(self, node: Any, context: str | None) -> Conv | None:  # noqa: PLR0911 (one return per node kind)
        override = TYPE_OVERRIDES.get(getattr(node, "type_name", ""))
        if override is not None:
            return override[0]
        if isinstance(node, _IDENTITY_NODES):
            return None
        if isinstance(node, per.BitString):
            return _bits_to_jer(_fixed_bits(node))
        if isinstance(node, (per.OctetString, *_OPEN)):
            return _hex
        if isinstance(node, per.ArrayType):
            element = self.to_jer(node.element_type, context)
            if element is None:
                return None
            return lambda v: [element(x) for x in v]
        if isinstance(node, per.Choice):
            alts = {m.name: self.to_jer(m, self._context(node, m)) for m in choice_members(node)}
            return _choice_to_jer(alts)
        if isinstance(node, per.MembersType):
            return self._sequence_to_jer(node, context)
        return None

    def _sequence_to_jer(self, node: Any, context: str | None) -> Conv | None:
        members = members_of(node)
        opens = [m for m in members if isinstance(m, _OPEN)]
        convs = []
        for m in members:
            if isinstance(m, _OPEN):
                continue
            conv = self.to_jer(m, self._context(node, m))
            if conv is not None:
                convs.append((m.name, conv))
        open_handlers = []
        for m in opens:
            id_member = next(
                (x.name for x in members if x is not m and isinstance(_inner(x), uper.Integer)),
                None,
            )
            if id_member is not None:
                open_handlers.append((m.name, id_member, self.open_table(m.name, context)))
        if not convs and not open_handlers:
            return None
        inner = self.inner

        def convert(value: dict[str, Any]) -> dict[str, Any]:
            name = ""
            try:
                for name, conv in convs:
                    if name in value:
                        value[name] = conv(value[name])
            except DecodeError as err:
                raise _prefixed(err, name) from None
            for name, id_name, table in open_handlers:
                if name in value:
                    type_ref = table.get(value.get(id_name, -1))
                    raw = value[name]
                    if not type_ref:
                        value[name] = _hex(raw)
                        continue
                    try:
                        value[name] = inner.decode_inner(type_ref, raw)
                    except DecodeError as err:
                        raise _prefixed(err, name, getattr(raw, "bit_pos", 0)) from None
            return value

        return convert

    # ---- from JER -------------------------------------------------------------------------

    def from_jer(self, node: Any, context: str | None = None) -> Conv:
        node = _inner(node)
        key = (id(node), context)
        if key in self._from:
            return self._from[key]
        cell: list[Conv] = []

        def forward(value: Any) -> Any:  # stands in while a recursive type is being built
            return cell[0](value)

        self._from[key] = forward
        conv = self._build_from(node, context)
        cell.append(conv)
        self._from[key] = conv
        return conv

    def _build_from(self, node: Any, context: str | None) -> Conv:  # noqa: PLR0911 (per kind)
        override = TYPE_OVERRIDES.get(getattr(node, "type_name", ""))
        if override is not None:
            return override[1]
        if isinstance(node, per.BitString):
            return _bits_from_jer(_fixed_bits(node))
        if isinstance(node, (per.OctetString, *_OPEN)):
            return _unhex
        if isinstance(node, per.ArrayType):
            element = self.from_jer(node.element_type, context)
            return _list_from_jer(element)
        if isinstance(node, per.Choice):
            alts = {m.name: self.from_jer(m, self._context(node, m)) for m in choice_members(node)}
            return _choice_from_jer(alts)
        if isinstance(node, per.MembersType):
            return self._sequence_from_jer(node, context)
        return _same

    def _sequence_from_jer(self, node: Any, context: str | None) -> Conv:
        members = members_of(node)
        convs: dict[str, Conv] = {}
        opens: dict[str, tuple[str, dict[int, str]]] = {}
        for m in members:
            if isinstance(m, _OPEN):
                id_member = next(
                    (x.name for x in members if x is not m and isinstance(_inner(x), uper.Integer)),
                    "",
                )
                opens[m.name] = (id_member, self.open_table(m.name, context))
            else:
                convs[m.name] = self.from_jer(m, self._context(node, m))
        inner = self.inner
        known = set(convs) | set(opens)

        def convert(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise EncodeError(f"expected an object, got {type(value).__name__}")
            out: dict[str, Any] = {}
            for name, item in value.items():
                if name not in known:
                    raise EncodeError(
                        f"unknown member (expected one of {sorted(known)})", path=name
                    )
                try:
                    if name in opens:
                        id_name, table = opens[name]
                        type_ref = table.get(value.get(id_name, -1))
                        out[name] = (
                            _unhex(item)
                            if isinstance(item, str) or not type_ref
                            else inner.encode_inner(type_ref, item)
                        )
                    else:
                        out[name] = convs[name](item)
                except EncodeError as err:
                    raise _eprefixed(err, name) from None
            return out

        return convert


# ---- leaf converters --------------------------------------------------------------------------


def _hex(value: bytes) -> str:
    return value.hex().upper()


def _same(value: Any) -> Any:
    return value


def _bits_to_jer(size: int | None) -> Conv:
    def convert(value: tuple[bytes, int]) -> Any:
        data, length = value
        text = data[: (length + 7) // 8].hex().upper()
        if size is not None and length == size:
            return text
        return {"value": text, "length": length}

    return convert


def _bits_from_jer(size: int | None) -> Conv:
    def convert(value: Any) -> tuple[bytes, int]:
        if isinstance(value, str) and size is not None:
            data, length = _unhex(value), size
        elif isinstance(value, dict) and set(value) == {"value", "length"}:
            data, length = _unhex(value["value"]), value["length"]
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EncodeError(f"BIT STRING length must be a non-negative integer: {length!r}")
        else:
            form = "a hex string or " if size is not None else ""
            raise EncodeError(f'BIT STRING must be {form}{{"value": hex, "length": n}}')
        if len(data) * 8 < length:
            raise EncodeError(f"BIT STRING has {len(data) * 8} bits of data for length {length}")
        return (data, length)

    return convert


def _unhex(value: Any) -> bytes:
    if not isinstance(value, str):
        raise EncodeError(f"expected a hex string, got {type(value).__name__}")
    try:
        return binascii.unhexlify(value)
    except (binascii.Error, ValueError) as err:
        raise EncodeError(f"not a hex string: {value[:40]!r}") from err


def _list_from_jer(element: Conv) -> Conv:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise EncodeError(f"expected an array, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(element(item))
            except EncodeError as err:
                raise _eprefixed(err, f"[{i}]") from None
        return out

    return convert


def _choice_to_jer(alts: dict[str, Conv | None]) -> Conv:
    def convert(value: tuple[str, Any]) -> dict[str, Any]:
        name, inner = value
        conv = alts.get(name)
        try:
            return {name: conv(inner) if conv else inner}
        except DecodeError as err:
            raise _prefixed(err, name) from None

    return convert


def _choice_from_jer(alts: dict[str, Conv]) -> Conv:
    def convert(value: Any) -> tuple[str, Any]:
        if not isinstance(value, dict) or len(value) != 1:
            raise EncodeError(f"a CHOICE must be an object with one of {sorted(alts)}")
        ((name, inner),) = value.items()
        if name not in alts:
            raise EncodeError(f"unknown alternative (expected one of {sorted(alts)})", path=name)
        try:
            return (name, alts[name](inner))
        except EncodeError as err:
            raise _eprefixed(err, name) from None

    return convert


def _join(head: str, tail: str) -> str:
    if not tail:
        return head
    return f"{head}{tail}" if tail.startswith("[") else f"{head}.{tail}"


def _prefixed(err: DecodeError, name: str, shift: int = 0) -> DecodeError:
    """The error seen one level up: ``name`` before its path, its offset shifted by where the
    open type content started in the enclosing buffer."""
    offset = err.bit_offset + shift if err.bit_offset is not None else None
    return type(err)(
        err.reason, message=err.message_type, path=_join(name, err.path), bit_offset=offset
    )


def _eprefixed(err: EncodeError, name: str) -> EncodeError:
    return EncodeError(err.reason, message=err.message_type, path=_join(name, err.path))


__all__ = ["Conv", "InnerCodec", "JerBuilder", "children", "members_of"]
