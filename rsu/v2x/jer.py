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

from typing import Any, Protocol

from asn1tools.codecs import per, uper

from rsu.errors import DecodeError, EncodeError
from rsu.v2x.asn1 import OpenTypeTables, children, resolve
from rsu.v2x.jer_leaves import (
    TYPE_OVERRIDES,
    Conv,
    bits_from_jer,
    bits_to_jer,
    choice_from_jer,
    choice_to_jer,
    eprefixed,
    hex,
    list_from_jer,
    prefixed,
    same,
    unhex,
)

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


def open_type_id(members: list[Any], open_member: Any) -> str | None:
    """The member holding the id that selects ``open_member``'s type (the INTEGER sibling)."""
    return next(
        (m.name for m in members if m is not open_member and isinstance(resolve(m), uper.Integer)),
        None,
    )


def choice_members(node: Any) -> list[Any]:
    out = list(node.root_index_to_member.values())
    if node.additions_index_to_member:
        out.extend(node.additions_index_to_member.values())
    return out


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

    def member_context(self, node: Any, member: Any) -> str | None:
        owner = self.tables.owners.get(id(node)) or str(getattr(node, "type_name", ""))
        return self.tables.regional_context.get((owner, member.name))

    # ---- to JER ---------------------------------------------------------------------------

    def to_jer(self, node: Any, context: str | None = None) -> Conv | None:
        node = resolve(node)
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
            return bits_to_jer(_fixed_bits(node))
        if isinstance(node, (per.OctetString, *_OPEN)):
            return hex
        if isinstance(node, per.ArrayType):
            element = self.to_jer(node.element_type, context)
            if element is None:
                return None
            return lambda v: [element(x) for x in v]
        if isinstance(node, per.Choice):
            alts = {
                m.name: self.to_jer(m, self.member_context(node, m)) for m in choice_members(node)
            }
            return choice_to_jer(alts)
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
            conv = self.to_jer(m, self.member_context(node, m))
            if conv is not None:
                convs.append((m.name, conv))
        open_handlers = []
        for m in opens:
            id_member = open_type_id(members, m)
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
                raise prefixed(err, name) from None
            for name, id_name, table in open_handlers:
                if name in value:
                    type_ref = table.get(value.get(id_name, -1))
                    raw = value[name]
                    if not type_ref:
                        value[name] = hex(raw)
                        continue
                    try:
                        value[name] = inner.decode_inner(type_ref, raw)
                    except DecodeError as err:
                        raise prefixed(err, name, getattr(raw, "bit_pos", 0)) from None
            return value

        return convert

    # ---- from JER -------------------------------------------------------------------------

    def from_jer(self, node: Any, context: str | None = None) -> Conv:
        node = resolve(node)
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
            return bits_from_jer(_fixed_bits(node))
        if isinstance(node, (per.OctetString, *_OPEN)):
            return unhex
        if isinstance(node, per.ArrayType):
            element = self.from_jer(node.element_type, context)
            return list_from_jer(element)
        if isinstance(node, per.Choice):
            alts = {
                m.name: self.from_jer(m, self.member_context(node, m)) for m in choice_members(node)
            }
            return choice_from_jer(alts)
        if isinstance(node, per.MembersType):
            return self._sequence_from_jer(node, context)
        return same

    def _sequence_from_jer(self, node: Any, context: str | None) -> Conv:
        members = members_of(node)
        convs: dict[str, Conv] = {}
        opens: dict[str, tuple[str, dict[int, str]]] = {}
        for m in members:
            if isinstance(m, _OPEN):
                id_member = open_type_id(members, m) or ""
                opens[m.name] = (id_member, self.open_table(m.name, context))
            else:
                convs[m.name] = self.from_jer(m, self.member_context(node, m))
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
                            unhex(item)
                            if isinstance(item, str) or not type_ref
                            else inner.encode_inner(type_ref, item)
                        )
                    else:
                        out[name] = convs[name](item)
                except EncodeError as err:
                    raise eprefixed(err, name) from None
            return out

        return convert


__all__ = ["TYPE_OVERRIDES", "Conv", "InnerCodec", "JerBuilder", "children", "members_of"]
