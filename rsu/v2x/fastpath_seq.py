"""SEQUENCE / SET emission for the generated fast decoder (see ``rsu.v2x.fastpath``).

Mirrors asn1tools' UPER ``MembersType.decode``: extension bit, one presence bit per OPTIONAL or
DEFAULT member (in root order), the root members, then the extension additions (a normally
small count, a presence bitmap, each present addition as an open type; addition groups merge
into the parent; unknown additions are skipped). Open type members are read as (start, length)
and decoded in place once the member holding their id is known.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asn1tools.codecs import per, uper

from rsu.v2x.asn1 import resolve
from rsu.v2x.fastpath_names import type_label
from rsu.v2x.jer import TYPE_OVERRIDES, open_type_id

if TYPE_CHECKING:
    from rsu.v2x.fastpath import _Emitter

_OPEN = (uper.OpenType, per.OpenType)


def _is_open(member: Any) -> bool:
    return isinstance(member, _OPEN)


def emit_sequence(em: _Emitter, node: Any, context: str | None, out: list[str], depth: int) -> str:
    pad = "    " * depth
    var = em.fresh(getattr(node, "name", None) or "value")
    # A SEQUENCE with only mandatory members and nothing after them becomes one dict literal.
    literal = (
        node.additions is None
        and not node.optionals
        and not any(_is_open(m) or isinstance(m, per.AdditionGroup) for m in node.root_members)
    )
    header: list[tuple[str, int]] = []
    ext = None
    if node.additions is not None:
        ext = em.fresh("extended")
        header.append((ext, 1))
    fields = _emit_root(em, node, var, out, depth, literal, header, create=True)
    if literal:
        items = ", ".join(f"{name!r}: {value}" for name, value in fields)
        out.append(f"{pad}{var} = {{{items}}}")
    if ext is not None and node.additions:
        _emit_additions(em, node, var, ext, out, depth)
    elif ext is not None:
        _emit_skip_additions(em, ext, out, depth)
    _emit_open_types(em, node, context, var, out, depth)
    return var


def ascii_alphabet(node: Any) -> dict[int, str] | None:
    """Index -> character for a known-multiplier string over ASCII, as asn1tools decodes it."""
    if getattr(node, "ENCODING", "") != "ascii":
        return None
    decode_map = node.permitted_alphabet.decode_map
    if not decode_map or any(not 0 <= code < 128 for code in decode_map.values()):
        return None
    return {index: chr(code) for index, code in decode_map.items()}


def simple_width(node: Any) -> int | None:  # noqa: PLR0911 (one return per node kind)
    """Bits of a member that always has the same width and no choices inside (or None)."""
    node = resolve(node)
    if getattr(node, "type_name", "") in TYPE_OVERRIDES:
        return None
    if isinstance(node, uper.Integer):
        ok = not node.has_extension_marker and node.number_of_bits
        return int(node.number_of_bits) if ok else None
    if isinstance(node, per.Boolean):
        return 1
    if isinstance(node, per.Enumerated):
        ok = node.additions_index_to_data is None and node.root_number_of_bits
        return int(node.root_number_of_bits) if ok else None
    if isinstance(node, per.BitString | uper.OctetString):
        fixed = (
            not node.has_extension_marker
            and node.number_of_bits is not None
            and node.minimum == node.maximum
            and node.minimum
        )
        if not fixed:
            return None
        return int(node.minimum) * (8 if isinstance(node, uper.OctetString) else 1)
    return None


def _value_of(em: _Emitter, node: Any, bits: str, width: int) -> str:
    """The JER expression of a simple member whose ``width`` bits are in ``bits``."""
    node = resolve(node)
    if isinstance(node, uper.Integer):
        return f"({bits} + {node.minimum})" if node.minimum else bits
    if isinstance(node, per.Boolean):
        return f"bool({bits})"
    if isinstance(node, per.Enumerated):
        table = em.const(dict(node.root_index_to_data), f"ENUM_{type_label(node)}")
        return f"{table}[{bits}]"
    pad = -width % 8
    digits = 2 * ((width + pad) // 8)
    shifted = f"({bits} << {pad})" if pad else bits
    return f"format({shifted}, '0{digits}X')"


def _emit_run(
    em: _Emitter, run: list[Any], out: list[str], pad: str, head: list[tuple[str, int]]
) -> list[tuple[str, str]]:
    """One read for the ``head`` bits (extension bit, presence bitmap) and the consecutive
    simple members after them, then shifts on that small word instead of the whole frame."""
    widths = [width for _, width in head] + [simple_width(m) or 0 for m in run]
    total = sum(widths)
    word = em.fresh("word")
    out.append(f"{pad}{word} = (n >> (T - p - {total})) & {(1 << total) - 1:#x}; p += {total}")
    fields = []
    offset = 0
    for i, width in enumerate(widths):
        shift = total - offset - width
        mask = f"{(1 << width) - 1:#x}"
        bits = f"(({word} >> {shift}) & {mask})" if shift else f"({word} & {mask})"
        offset += width
        if i < len(head):
            out.append(f"{pad}{head[i][0]} = {bits}")
            continue
        member = run[i - len(head)]
        fields.append((member.name, _value_of(em, member, bits, width)))
    return fields  # expressions on the word, each used once: no local variable per member


def _emit_root(
    em: _Emitter,
    node: Any,
    var: str,
    out: list[str],
    depth: int,
    literal: bool = False,
    header: list[tuple[str, int]] | None = None,
    create: bool = False,
) -> list[tuple[str, str]]:
    """Presence bits, then the root members; returns (name, variable) when ``literal``.

    ``header`` bits (the extension bit) and the presence bitmap are read in one go with the
    simple mandatory members that follow them. ``create`` makes the dict ``var`` (starting
    with those members) instead of adding to an existing one (an addition group).
    """
    pad = "    " * depth
    presence, lead, first = _emit_head(em, node, list(header or []), out, pad)
    root = _Root(em, node, var, out, depth, literal)
    if literal:
        root.fields.extend(first)
    elif create:
        out.append(f"{pad}{var} = {{{', '.join(f'{k!r}: {v}' for k, v in first)}}}")
    else:
        out.extend(f"{pad}{var}[{name!r}] = {value}" for name, value in first)
    for member in list(node.root_members)[len(lead) :]:
        present = presence.get(id(member))
        if _simple_mandatory(member, presence):
            root.run.append(member)
            continue
        root.flush()
        if present is None:
            root.mandatory(member)
            continue
        out.append(f"{pad}if {present}:")
        _emit_member(em, node, member, var, out, depth + 1)
        if member.default is not None:
            out.append(f"{pad}else:")
            out.append(f"{pad}    {var}[{member.name!r}] = {_default(em, member)}")
    root.flush()
    return root.fields


@dataclass
class _Root:
    """The root members of one SEQUENCE being written: runs of simple members and fields."""

    em: _Emitter
    node: Any
    var: str
    out: list[str]
    depth: int
    literal: bool
    fields: list[tuple[str, str]] = field(default_factory=list)
    run: list[Any] = field(default_factory=list)

    def flush(self) -> None:
        """Write the pending run of simple members (one word read when there are several)."""
        pad = "    " * self.depth
        if len(self.run) > 1:
            pairs = _emit_run(self.em, self.run, self.out, pad, [])
        elif self.run:
            pairs = [(self.run[0].name, self._value(self.run[0]))]
        else:
            pairs = []
        self.run.clear()
        for name, value in pairs:
            self._store(name, value)

    def mandatory(self, member: Any) -> None:
        if self.literal:
            self.fields.append((member.name, self._value(member)))
        else:
            _emit_member(self.em, self.node, member, self.var, self.out, self.depth)

    def _value(self, member: Any) -> str:
        context = self.em.builder.member_context(self.node, member)
        return self.em.emit(member, context, self.out, self.depth)

    def _store(self, name: str, value: str) -> None:
        if self.literal:
            self.fields.append((name, value))
        else:
            self.out.append(f"{'    ' * self.depth}{self.var}[{name!r}] = {value}")


def _emit_head(
    em: _Emitter, node: Any, head: list[tuple[str, int]], out: list[str], pad: str
) -> tuple[dict[int, str], list[Any], list[tuple[str, str]]]:
    """Read the header bits, the presence bitmap and the leading simple mandatory members in
    one go; return the presence tests, those members and their (name, expression)."""
    presence: dict[int, str] = {}
    count = len(node.optionals)
    if count:
        flags = em.fresh("present")
        head.append((flags, count))
        for i, member in enumerate(node.optionals):
            presence[id(member)] = f"{flags} & {1 << (count - 1 - i):#x}"
    members = list(node.root_members)
    lead: list[Any] = []
    if head:
        while len(lead) < len(members) and _simple_mandatory(members[len(lead)], presence):
            lead.append(members[len(lead)])
    return presence, lead, _emit_run(em, lead, out, pad, head) if head else []


def _simple_mandatory(member: Any, presence: dict[int, str]) -> bool:
    return id(member) not in presence and not _is_open(member) and bool(simple_width(member))


def _default(em: _Emitter, member: Any) -> str:
    conv = em.builder.to_jer(member)
    value = copy.deepcopy(member.default)
    jer = conv(value) if conv is not None else value
    const = em.const(jer, f"DEFAULT_{member.name}")
    if isinstance(jer, dict | list):
        return f"_deepcopy({const})"
    return const


def _emit_member(
    em: _Emitter, node: Any, member: Any, var: str, out: list[str], depth: int
) -> None:
    pad = "    " * depth
    if _is_open(member):
        length, start = em.fresh("length"), em.fresh("start")
        out.append(f"{pad}{length}, p = _ld(n, T, p); {start} = p; p += 8 * {length}")
        out.append(f"{pad}if p > T: raise Fallback('open type past the end')")
        out.append(f"{pad}{var}[{member.name!r}] = ({start}, {length})")
        return
    if isinstance(member, per.AdditionGroup):
        _emit_root(em, member, var, out, depth)
        return
    value = em.emit(member, em.builder.member_context(node, member), out, depth)
    out.append(f"{pad}{var}[{member.name!r}] = {value}")


def _emit_additions(
    em: _Emitter, node: Any, var: str, ext: str, out: list[str], depth: int
) -> None:
    pad = "    " * depth
    count, bitmap, index = em.fresh("count"), em.fresh("bitmap"), em.fresh("index")
    length, start = em.fresh("length"), em.fresh("start")
    out.append(f"{pad}if {ext}:")
    out.append(f"{pad}    {count}, p = _nsl(n, T, p)")
    out.append(f"{pad}    {bitmap} = (n >> (T - p - {count})) & ((1 << {count}) - 1); p += {count}")
    out.append(f"{pad}    for {index} in range({count}):")
    out.append(f"{pad}        if not ({bitmap} >> ({count} - 1 - {index})) & 1:")
    out.append(f"{pad}            continue")
    out.append(f"{pad}        {length}, p = _ld(n, T, p); {start} = p")
    keyword = "if"
    for i, addition in enumerate(node.additions):
        out.append(f"{pad}        {keyword} {index} == {i}:")
        _emit_member(em, node, addition, var, out, depth + 3)
        out.append(f"{pad}            p = {start} + ((p - {start} + 7) // 8) * 8")
        keyword = "elif"
    out.append(f"{pad}        else:")
    out.append(f"{pad}            p = {start} + 8 * {length}")
    out.append(f"{pad}            if p > T: raise Fallback('addition past the end')")


def _emit_skip_additions(em: _Emitter, ext: str, out: list[str], depth: int) -> None:
    """An extensible SEQUENCE with no known additions: skip whatever a newer sender added."""
    pad = "    " * depth
    count, bitmap = em.fresh("count"), em.fresh("bitmap")
    index, length = em.fresh("index"), em.fresh("length")
    out.append(f"{pad}if {ext}:")
    out.append(f"{pad}    {count}, p = _nsl(n, T, p)")
    out.append(f"{pad}    {bitmap} = (n >> (T - p - {count})) & ((1 << {count}) - 1); p += {count}")
    out.append(f"{pad}    for {index} in range({count}):")
    out.append(f"{pad}        if ({bitmap} >> ({count} - 1 - {index})) & 1:")
    out.append(f"{pad}            {length}, p = _ld(n, T, p); p += 8 * {length}")
    out.append(f"{pad}            if p > T: raise Fallback('addition past the end')")


def _emit_open_types(
    em: _Emitter, node: Any, context: str | None, var: str, out: list[str], depth: int
) -> None:
    pad = "    " * depth
    members = [*node.root_members, *(node.additions or [])]
    for member in members:
        if not _is_open(member):
            continue
        id_name = open_type_id(members, member)
        name = member.name
        start, length = em.fresh(f"{member.name}_start"), em.fresh(f"{member.name}_length")
        fn, end = em.fresh("decode"), em.fresh("end")
        out.append(f"{pad}if {name!r} in {var}:")
        out.append(f"{pad}    {start}, {length} = {var}[{name!r}]")
        if id_name is None:
            out.append(f"{pad}    {var}[{name!r}] = _octets_hex(n, T, {start}, {length})")
            continue
        table = em.builder.open_table(name, context)
        functions = {key: em.function_for_ref(ref) for key, ref in table.items()}
        dispatch = em.unique(f"OPEN_{name}_in_{context or 'any'}")
        entries = ", ".join(f"{key!r}: {fn_name}" for key, fn_name in sorted(functions.items()))
        em.tables.append(f"{dispatch} = {{{entries}}}")
        out.append(f"{pad}    {fn} = {dispatch}.get({var}.get({id_name!r}, -1))")
        out.append(f"{pad}    if {fn} is None:")
        out.append(f"{pad}        {var}[{name!r}] = _octets_hex(n, T, {start}, {length})")
        out.append(f"{pad}    else:")
        out.append(f"{pad}        {var}[{name!r}], {end} = {fn}(n, T, {start}, b)")
        out.append(f"{pad}        if {end} > {start} + 8 * {length}:")
        out.append(f"{pad}            raise Fallback('open type overrun')")
