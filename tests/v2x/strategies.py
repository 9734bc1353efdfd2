"""Hypothesis strategies for any ASN.1 type, built from asn1tools' compiled UPER tree.

Values come out in asn1tools' Python form (what ``compiled.encode`` takes), inside every
constraint, with open types filled by encoding a generated value of the type their id selects.
Sizes and depth are capped so one example stays small.
"""

from __future__ import annotations

import string
from typing import Any

from asn1tools.codecs import per, uper
from hypothesis import strategies as st

from rsu.v2x.asn1 import resolve
from rsu.v2x.codec import Codec
from rsu.v2x.jer import choice_members
from rsu.v2x.jer_leaves import relative_oid_from_jer

MAX_ITEMS = 3
MAX_DEPTH = 12
_OPEN = (uper.OpenType, per.OpenType)


class Strategies:
    """Strategies for the types of one codec's standard."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec

    def for_type(self, type_ref: str) -> st.SearchStrategy[Any]:
        return self.node(self.codec._compiled(type_ref).type, None, 0)

    def encoded(self, type_ref: str) -> st.SearchStrategy[bytes]:
        compiled = self.codec._compiled(type_ref)
        return self.for_type(type_ref).map(lambda v: bytes(compiled.encode(v)))

    def node(self, node: Any, context: str | None, depth: int) -> st.SearchStrategy[Any]:
        node = resolve(node)
        if getattr(node, "type_name", "") == "RelativeRoadAuthorityID":  # RELATIVE-OID stand-in
            arcs = st.lists(st.integers(0, 2**20), min_size=1, max_size=4)
            return arcs.map(lambda a: relative_oid_from_jer(".".join(map(str, a))))
        if isinstance(node, per.ObjectIdentifier):
            arcs = st.lists(st.integers(0, 2**20), min_size=0, max_size=4)
            return arcs.map(lambda a: ".".join(map(str, [1, 3, *a])))
        if isinstance(node, uper.Integer):
            if node.number_of_bits is None:
                return st.integers(-(2**31), 2**31 - 1)
            return st.integers(node.minimum, node.maximum)
        if isinstance(node, per.Boolean):
            return st.booleans()
        if isinstance(node, per.Null):
            return st.none()
        if isinstance(node, per.Enumerated):
            return st.sampled_from(sorted(node.root_data_to_index))
        if isinstance(node, per.BitString):
            return self._bits(node)
        if isinstance(node, per.OctetString):
            low, high = self._size(node, 8)
            return st.binary(min_size=low, max_size=high)
        if isinstance(node, per.KnownMultiplierStringType):
            low, high = self._size(node, 8)
            alphabet = string.ascii_letters + string.digits + " "
            return st.text(alphabet=alphabet, min_size=low, max_size=high)
        if isinstance(node, per.UTF8String):
            return st.text(max_size=8)
        if isinstance(node, per.ArrayType):
            low, high = self._size(node, MAX_ITEMS)
            if depth > MAX_DEPTH:
                high = low
            element = self.node(node.element_type, context, depth + 1)
            return st.lists(element, min_size=low, max_size=high)
        if isinstance(node, per.Choice):
            alternatives = [
                self.node(m, self.codec._jer.member_context(node, m), depth + 1).map(
                    lambda v, name=m.name: (name, v)
                )
                for m in choice_members(node)
            ]
            return st.one_of(alternatives)
        if isinstance(node, per.MembersType):
            return self._sequence(node, context, depth)
        raise NotImplementedError(f"no strategy for {type(node).__name__}")

    def _size(self, node: Any, cap: int) -> tuple[int, int]:
        low = node.minimum or 0
        high = node.maximum if node.maximum is not None else low + cap
        return low, min(high, low + cap)

    def _bits(self, node: Any) -> st.SearchStrategy[tuple[bytes, int]]:
        low, high = self._size(node, 16)

        @st.composite
        def bits(draw: st.DrawFn) -> tuple[bytes, int]:
            size = draw(st.integers(low, high))
            value = draw(st.integers(0, (1 << size) - 1)) if size else 0
            pad = -size % 8
            return ((value << pad).to_bytes((size + pad) // 8, "big"), size)

        return bits()

    def _sequence(self, node: Any, context: str | None, depth: int) -> st.SearchStrategy[Any]:
        members = [m for m in node.root_members if not isinstance(m, per.AdditionGroup)]
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        opens = [m for m in members if isinstance(m, _OPEN)]
        for m in members:
            if isinstance(m, _OPEN):
                continue
            strategy = self.node(m, self.codec._jer.member_context(node, m), depth + 1)
            if (m.optional or m.default is not None) and depth <= MAX_DEPTH:
                optional[m.name] = strategy
            elif not (m.optional or m.default is not None):
                required[m.name] = strategy
        base = st.fixed_dictionaries(required, optional=optional)
        for m in opens:
            base = base.flatmap(lambda value, m=m: self._with_open(node, m, context, value, depth))
        return base

    def _with_open(
        self, node: Any, member: Any, context: str | None, value: dict[str, Any], depth: int
    ) -> st.SearchStrategy[dict[str, Any]]:
        members = list(node.root_members)
        id_name = next(
            x.name for x in members if x is not member and isinstance(resolve(x), uper.Integer)
        )
        table = self.codec._jer.open_table(member.name, context)
        if not table or depth > MAX_DEPTH:
            return st.just({**value, member.name: b"\x00"})

        def fill(key: int) -> st.SearchStrategy[dict[str, Any]]:
            compiled = self.codec._compiled(table[key])
            inner = self.node(compiled.type, None, depth + 1)
            return inner.map(
                lambda v: {**value, id_name: key, member.name: bytes(compiled.encode(v))}
            )

        return st.sampled_from(sorted(table)).flatmap(fill)
