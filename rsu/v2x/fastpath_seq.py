"""SEQUENCE / SET emission for the generated fast decoder (see ``rsu.v2x.fastpath``).

Mirrors asn1tools' UPER ``MembersType.decode``: extension bit, one presence bit per OPTIONAL or
DEFAULT member (in root order), the root members, then the extension additions (a normally
small count, a presence bitmap, each present addition as an open type; addition groups merge
into the parent; unknown additions are skipped). Open type members are read as (start, length)
and decoded in place once the member holding their id is known.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from asn1tools.codecs import per, uper

if TYPE_CHECKING:
    from rsu.v2x.fastpath import _Emitter

_OPEN = (uper.OpenType, per.OpenType)


def _is_open(member: Any) -> bool:
    return isinstance(member, _OPEN)


def emit_sequence(em: _Emitter, node: Any, context: str | None, out: list[str], depth: int) -> str:
    pad = "    " * depth
    var = em.fresh("v")
    out.append(f"{pad}{var} = {{}}")
    ext = None
    if node.additions is not None:
        ext = em.fresh("e")
        out.append(f"{pad}{ext} = (n >> (T - p - 1)) & 1; p += 1")
    _emit_root(em, node, var, out, depth)
    if ext is not None and node.additions:
        _emit_additions(em, node, var, ext, out, depth)
    elif ext is not None:
        _emit_skip_additions(em, ext, out, depth)
    _emit_open_types(em, node, context, var, out, depth)
    return var


def _emit_root(em: _Emitter, node: Any, var: str, out: list[str], depth: int) -> None:
    pad = "    " * depth
    presence: dict[int, str] = {}
    for member in node.optionals:
        flag = em.fresh("o")
        out.append(f"{pad}{flag} = (n >> (T - p - 1)) & 1; p += 1")
        presence[id(member)] = flag
    for member in node.root_members:
        present = presence.get(id(member))
        if present is None:
            _emit_member(em, node, member, var, out, depth)
            continue
        out.append(f"{pad}if {present}:")
        _emit_member(em, node, member, var, out, depth + 1)
        if member.default is not None:
            out.append(f"{pad}else:")
            out.append(f"{pad}    {var}[{member.name!r}] = {_default(em, member)}")


def _default(em: _Emitter, member: Any) -> str:
    conv = em.builder.to_jer(member)
    value = copy.deepcopy(member.default)
    jer = conv(value) if conv is not None else value
    const = em.const(jer)
    if isinstance(jer, dict | list):
        em.namespace["_deepcopy"] = copy.deepcopy
        return f"_deepcopy({const})"
    return const


def _emit_member(
    em: _Emitter, node: Any, member: Any, var: str, out: list[str], depth: int
) -> None:
    pad = "    " * depth
    if _is_open(member):
        length, start = em.fresh("L"), em.fresh("q")
        out.append(f"{pad}{length}, p = _ld(n, T, p); {start} = p; p += 8 * {length}")
        out.append(f"{pad}if p > T: raise Fallback('open type past the end')")
        out.append(f"{pad}{var}[{member.name!r}] = ({start}, {length})")
        return
    if isinstance(member, per.AdditionGroup):
        _emit_root(em, member, var, out, depth)
        return
    value = em.emit(member, em.builder._context(node, member), out, depth)
    out.append(f"{pad}{var}[{member.name!r}] = {value}")


def _emit_additions(
    em: _Emitter, node: Any, var: str, ext: str, out: list[str], depth: int
) -> None:
    pad = "    " * depth
    count, bitmap, index = em.fresh("c"), em.fresh("m"), em.fresh("x")
    length, start = em.fresh("L"), em.fresh("q")
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
    count, bitmap, index, length = em.fresh("c"), em.fresh("m"), em.fresh("x"), em.fresh("L")
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
        id_name = next(
            (x.name for x in members if x is not member and isinstance(_inner(x), uper.Integer)),
            None,
        )
        name = member.name
        start, length, fn, end = em.fresh("q"), em.fresh("L"), em.fresh("g"), em.fresh("z")
        out.append(f"{pad}if {name!r} in {var}:")
        out.append(f"{pad}    {start}, {length} = {var}[{name!r}]")
        if id_name is None:
            out.append(f"{pad}    {var}[{name!r}] = _octets_hex(n, T, {start}, {length})")
            continue
        table = em.builder.open_table(name, context)
        functions = {key: em.function_for_ref(ref) for key, ref in table.items()}
        dispatch = em.const({})
        em.deferred_tables.append((dispatch, functions))
        out.append(f"{pad}    {fn} = {dispatch}.get({var}.get({id_name!r}, -1))")
        out.append(f"{pad}    if {fn} is None:")
        out.append(f"{pad}        {var}[{name!r}] = _octets_hex(n, T, {start}, {length})")
        out.append(f"{pad}    else:")
        out.append(f"{pad}        {var}[{name!r}], {end} = {fn}(n, T, {start}, b)")
        out.append(f"{pad}        if {end} > {start} + 8 * {length}:")
        out.append(f"{pad}            raise Fallback('open type overrun')")


def _inner(node: Any) -> Any:
    while isinstance(node, per.Recursive):
        node = node._inner
    return node
