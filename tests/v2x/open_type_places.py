"""Every place an open type (regional extension, Part II, ...) appears, and frames that fill it.

The walk starts at every message type of a standard and follows the compiled ASN.1 tree into
every member, CHOICE alternative and SEQUENCE OF element, and into the contents of open types
(a Part II or regional content type may hold further regional places). A *place* is one open
type member reached by one path, with the object set its ASN.1 names for it: J2735 names the
set of a ``regional`` member after the type that holds it (``Reg-MapData`` for
``MapData.regional``), which this walk derives on its own from the path, independently of the
codec's lookup.

``frames()`` makes, for every place and every id in its object set, a small MessageFrame with
that place filled: the content is a minimal value of the content type, encoded with the codec,
inserted as raw bytes, so the frame's bytes do not depend on how the codec finds contexts.

    .venv/bin/python -m tests.v2x.open_type_places   # rewrite tests/v2x/data/open_types.jsonl
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1tools.codecs import per, uper

from rsu.v2x.asn1 import resolve
from rsu.v2x.codec import Codec, get_codec
from rsu.v2x.jer import choice_members
from rsu.v2x.jer_leaves import TYPE_OVERRIDES

DATA = Path(__file__).resolve().parent / "data" / "open_types.jsonl"
_OPEN = (uper.OpenType, per.OpenType)
_BUILTIN = {"SEQUENCE", "SEQUENCE OF", "SET", "SET OF", "CHOICE"}
_SET_FOR_MEMBER = {"regExtValue": "Reg-{owner}", "partII-Value": "BSMpartIIExtension"}
MAX_DEPTH = 40

Step = tuple[str, str]
"""("member", name) | ("item", "") | ("alt", name)."""


@dataclass(frozen=True)
class Place:
    message_type: str
    steps: tuple[Step, ...]
    """From the message value down to the SEQUENCE holding the open type."""
    id_member: str
    open_member: str
    object_set: str

    @property
    def path(self) -> str:
        out = self.message_type
        for kind, name in self.steps:
            out += "[]" if kind == "item" else f".{name}"
        return f"{out}.{self.open_member}"


def _named(node: Any) -> str | None:
    name = getattr(node, "type_name", "") or ""
    return None if name in _BUILTIN else name


def places(codec: Codec, message_type: str) -> list[Place]:
    """The open type places of ``message_type`` (content types of open types walked too)."""
    walk = _Walk(codec, message_type)
    walk.node(codec._compiled(message_type).type, message_type, (), frozenset(), 0)
    return walk.found


@dataclass
class _Walk:
    """One message type's walk: where it is, what it found."""

    codec: Codec
    message: str
    found: list[Place] = field(default_factory=list)

    def node(
        self, node: Any, owner: str, steps: tuple[Step, ...], on_path: frozenset[int], opens: int
    ) -> None:
        node = resolve(node)
        if id(node) in on_path or len(steps) > MAX_DEPTH:
            return
        holder = owner  # the named type around this node: a RegionalExtension's set is its
        owner = _named(node) or owner
        on_path = on_path | {id(node)}
        if isinstance(node, per.ArrayType):
            self.node(node.element_type, owner, (*steps, ("item", "")), on_path, opens)
        elif isinstance(node, per.Choice):
            for m in choice_members(node):
                self.node(m, owner, (*steps, ("alt", m.name)), on_path, opens)
        elif isinstance(node, per.MembersType):
            for m in [*node.root_members, *(node.additions or [])]:
                if isinstance(m, _OPEN):
                    self.open_place(node, m, holder, steps, on_path, opens)
                elif not isinstance(m, per.AdditionGroup):
                    self.node(m, owner, (*steps, ("member", m.name)), on_path, opens)

    def open_place(
        self,
        node: Any,
        member: Any,
        owner: str,
        steps: tuple[Step, ...],
        on_path: frozenset[int],
        opens: int,
    ) -> None:
        if member.name == "value":  # MessageFrame.value: every message type is walked itself
            return
        id_member = next(m.name for m in node.root_members if isinstance(resolve(m), uper.Integer))
        object_set = _SET_FOR_MEMBER[member.name].format(owner=owner)
        self.found.append(Place(self.message, steps, id_member, member.name, object_set))
        if opens >= 2:
            return
        for type_ref in self.codec.compiled.tables.sets.get(object_set, {}).values():
            content = self.codec._compiled(type_ref).type
            step = ("open", f"{member.name}={type_ref}")
            self.node(content, type_ref, (*steps, step), on_path, opens + 1)


def set_for(codec: Codec, place: Place) -> dict[int, str]:
    return codec.compiled.tables.sets.get(place.object_set, {})


# ---- minimal values -----------------------------------------------------------------------


def minimal(codec: Codec, node: Any, depth: int = 0, rich: int = 0) -> Any:
    """A small JER value of ``node``: required members (and, down to depth ``rich``, the
    optional ones other than regional extensions), first alternatives, shortest lists."""
    node = resolve(node)
    if getattr(node, "type_name", "") in TYPE_OVERRIDES:
        return "1"
    if isinstance(node, per.ObjectIdentifier):
        return "1.3.6"
    if isinstance(node, uper.Integer):
        return node.minimum if node.minimum is not None else 0
    if isinstance(node, per.Boolean):
        return False
    if isinstance(node, per.Null):
        return None
    if isinstance(node, per.Enumerated):
        return node.root_index_to_data[0]
    if isinstance(node, per.BitString):
        size = node.minimum or 0
        text = "00" * ((size + 7) // 8)
        fixed = node.minimum is not None and node.minimum == node.maximum
        return text if fixed else {"value": text, "length": size}
    if isinstance(node, (per.OctetString, *_OPEN)):
        return "00" * max(getattr(node, "minimum", None) or 0, 1 if isinstance(node, _OPEN) else 0)
    if isinstance(node, per.KnownMultiplierStringType | per.UTF8String):
        return "A" * (node.minimum or 0)
    if isinstance(node, per.ArrayType):
        count = max(node.minimum or 0, 1 if depth < rich else 0)
        return [minimal(codec, node.element_type, depth + 1, rich) for _ in range(count)]
    if isinstance(node, per.Choice):
        first = node.root_index_to_member[0]
        return {first.name: minimal(codec, first, depth + 1, rich)}
    if isinstance(node, per.MembersType):
        out: dict[str, Any] = {}
        for m in node.root_members:
            if isinstance(m, per.AdditionGroup):
                continue
            optional = m.optional or m.default is not None
            if optional and (depth >= rich or m.name == "regional" or isinstance(m, _OPEN)):
                continue
            out[m.name] = minimal(codec, m, depth + 1, rich)
        return out
    raise NotImplementedError(type(node).__name__)


def _child(node: Any, step: Step) -> Any:
    node = resolve(node)
    kind, name = step
    if kind == "item":
        return node.element_type
    members = choice_members(node) if kind == "alt" else list(node.root_members)
    members += list(node.additions or []) if kind == "member" else []
    return next(m for m in members if m.name == name)


def filled(codec: Codec, place: Place, region_id: int, content_hex: str) -> Any:
    """A minimal value of the message with ``place`` filled by ``content_hex`` as ``region_id``.

    Places below an open type content are reached by encoding that content (with its own
    place filled) and inserting it as raw bytes in turn.
    """
    cut = next((i for i, s in enumerate(place.steps) if s[0] == "open"), None)
    if cut is None:
        return _fill(codec, codec._compiled(place.message_type).type, place, place.steps,
                     region_id, content_hex)  # fmt: skip
    outer_member, type_ref = place.steps[cut][1].split("=", 1)
    inner = Place(type_ref, place.steps[cut + 1 :], place.id_member, place.open_member,
                  place.object_set)  # fmt: skip
    inner_value = filled(codec, inner, region_id, content_hex)
    inner_hex = codec.encode_inner(type_ref, inner_value).hex().upper()
    outer_set = _SET_FOR_MEMBER[outer_member]
    outer = Place(place.message_type, place.steps[:cut], "", outer_member, outer_set)
    outer_id = _id_of(codec, place.message_type, place.steps[:cut], type_ref)
    return _fill(codec, codec._compiled(place.message_type).type, outer, outer.steps,
                 outer_id, inner_hex)  # fmt: skip


def _id_of(codec: Codec, message: str, steps: tuple[Step, ...], type_ref: str) -> int:
    for name, table in codec.compiled.tables.sets.items():
        del name
        for key, ref in table.items():
            if ref == type_ref:
                return key
    raise KeyError(type_ref)


def _fill(
    codec: Codec, node: Any, place: Place, steps: tuple[Step, ...], region_id: int, hexed: str
) -> Any:
    node = resolve(node)
    if not steps:
        value = minimal(codec, node)
        id_member = next(m.name for m in node.root_members if isinstance(resolve(m), uper.Integer))
        value[id_member] = region_id
        value[place.open_member] = hexed
        return value
    kind, name = steps[0]
    child = _child(node, steps[0])
    inner = _fill(codec, child, place, steps[1:], region_id, hexed)
    if kind == "item":
        rest = max((node.minimum or 0) - 1, 0)
        return [inner] + [minimal(codec, node.element_type) for _ in range(rest)]
    if kind == "alt":
        return {name: inner}
    value = minimal(codec, node)
    value[name] = inner
    return value


def frames(codec: Codec) -> list[dict[str, Any]]:
    """One frame per (place, id in its object set), with the content's expected JER."""
    out = []
    for message_type in codec.message_types():
        for place in places(codec, message_type):
            for region_id, type_ref in sorted(set_for(codec, place).items()):
                content = minimal(codec, codec._compiled(type_ref).type, rich=3)
                content_hex = codec.encode_inner(type_ref, content).hex().upper()
                value = filled(codec, place, region_id, content_hex)
                raw = codec.encode_message(message_type, value)
                out.append(
                    {
                        "standard": codec.name,
                        "message_type": message_type,
                        "path": place.path,
                        "steps": [list(s) for s in place.steps],
                        "id": region_id,
                        "content_type": type_ref,
                        "content": content,
                        "hex": raw.hex().upper(),
                    }
                )
    return out


def main() -> int:
    rows = [row for name in ("j2735", "csae53") for row in frames(get_codec(name))]
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"{len(rows)} frames -> {DATA}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
