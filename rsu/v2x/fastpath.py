"""A specialised UPER decoder, generated once per standard, that writes JER directly.

asn1tools decodes by walking its type tree and reading bits one string slice at a time; that
is general and slow. At start-up this module walks the same compiled tree once and writes a
Python function per named type that reads its fields straight out of one big integer holding
the frame (``(n >> (T - p - k)) & mask``), builds JER as it goes and decodes open types
(MessageFrame.value, Part II, regional extensions) in place. The result must be identical to
the general decoder (``Codec._decode_general``): a differential test over every real frame
and a fuzz test hold it to that.

It decides nothing on its own about bad input: any exception (a negative shift past the end,
an unknown index, an unsupported construct) makes the codec fall back to the general decoder,
which then raises the precise ``DecodeError``. Strings and other rare kinds are decoded by
asn1tools itself from the same bit position (``_slow``), so every type is covered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asn1tools.codecs import per, uper

from rsu.v2x.asn1 import children, resolve
from rsu.v2x.fastpath_names import hint as _hint
from rsu.v2x.fastpath_names import ident as _ident
from rsu.v2x.fastpath_names import type_label
from rsu.v2x.fastpath_runtime import RUNTIME, Fallback
from rsu.v2x.fastpath_seq import ascii_alphabet as _ascii_alphabet
from rsu.v2x.fastpath_seq import simple_width
from rsu.v2x.jer import TYPE_OVERRIDES, JerBuilder, choice_members, members_of

FastDecode = Callable[[int, int, int, bytes], tuple[Any, int]]
"""``f(n, T, p, data) -> (jer_value, new_p)``: decode at bit ``p`` of ``n`` (``T`` bits)."""

_BUILTIN_NAMES = {"SEQUENCE", "SEQUENCE OF", "SET", "SET OF", "CHOICE"}
INLINE_WEIGHT = 24
"""Named types with at most this many nodes are inlined at each use instead of called."""


# ---- the generator ----------------------------------------------------------------------------


class _Emitter:
    """Writes the source of the decoder functions.

    Names follow the ASN.1: a function per named type (``decode_BSMcoreData``), locals after
    the members they hold (``speed_12``), module constants after the type they describe
    (``ENUM_TransmissionState``). Plain-data constants are written into the source as
    literals; the few objects that are not (asn1tools nodes and JER converters used by
    ``_slow``) are listed in ``externals`` and bound when the source is loaded.
    """

    def __init__(self, builder: JerBuilder, lookup: Callable[[str], Any]) -> None:
        self.builder = builder
        self.lookup = lookup
        self.functions: dict[tuple[int, str | None], str] = {}
        self.by_ref: dict[str, str] = {}
        self.sources: list[str] = []
        self.constants: list[str] = []
        """``NAME = literal`` lines, written before the functions."""
        self.tables: list[str] = []
        """Open type dispatch dicts, written after the functions they name."""
        self.externals: dict[str, tuple[str, Any, str | None]] = {}
        """Constant name -> ("node" | "conv", asn1tools node, open type context)."""
        self._names: set[str] = set(RUNTIME)
        self._consts: dict[tuple[str, str], str] = {}
        self._locals = 0
        self._pending: list[tuple[str, Any, str | None]] = []
        self._weights: dict[int, int] = {}

    def fresh(self, hint: str) -> str:
        """A local variable named after ``hint`` (a member name or a role)."""
        self._locals += 1
        return f"{_ident(hint)}_{self._locals}"

    def unique(self, stem: str) -> str:
        """A module-level name built from ``stem``, unique in the generated module."""
        name = _ident(stem)
        count = 1
        while name in self._names:
            count += 1
            name = f"{_ident(stem)}_{count}"
        self._names.add(name)
        return name

    def const(self, value: Any, stem: str) -> str:
        """A module constant holding ``value`` (plain data, written as a literal)."""
        literal = repr(value)
        key = (stem, literal)
        if key not in self._consts:
            self._consts[key] = name = self.unique(stem)
            self.constants.append(f"{name} = {literal}")
        return self._consts[key]

    def external(self, kind: str, node: Any, context: str | None, stem: str) -> str:
        name = self.unique(stem)
        self.externals[name] = (kind, node, context)
        return name

    # functions ------------------------------------------------------------------------------

    def function(self, node: Any, context: str | None) -> str:
        """The name of the function decoding ``node`` (generated on demand)."""
        node = resolve(node)
        key = (id(node), context)
        if key not in self.functions:
            label = type_label(node)
            if context:
                label = f"{label}_in_{context}"
            name = self.unique(f"decode_{label}")
            self.functions[key] = name
            self._pending.append((name, node, context))
        return self.functions[key]

    def function_for_ref(self, type_ref: str) -> str:
        if type_ref not in self.by_ref:
            self.by_ref[type_ref] = self.function(self.lookup(type_ref).type, None)
        return self.by_ref[type_ref]

    def drain(self) -> None:
        while self._pending:
            name, node, context = self._pending.pop()
            self._locals = 0
            body: list[str] = []
            result = self.emit(node, context, body, 1, top=True)
            where = f" (in {context})" if context else ""
            lines = [
                f"def {name}(n, T, p, b):",
                f'    """{type_label(node)}{where}: JER at bit p of n (T bits)."""',
                *body,
                f"    return {result}, p",
            ]
            self.sources.append("\n".join(lines))

    def module_source(self, header: str) -> str:
        """The whole generated module: header, constants, functions, dispatch tables."""
        parts = [header, "\n".join(self.constants), *self.sources, "\n".join(self.tables)]
        return "\n\n\n".join(part for part in parts if part) + "\n"

    # nodes -----------------------------------------------------------------------------------

    def emit(  # noqa: PLR0911 (one return per node kind)
        self, node: Any, context: str | None, out: list[str], depth: int, top: bool = False
    ) -> str:
        """Append code decoding ``node`` at ``p``; return the variable holding its JER."""
        recursive = isinstance(node, per.Recursive)
        node = resolve(node)
        named = getattr(node, "type_name", "") not in _BUILTIN_NAMES
        big = recursive or depth > 6 or (named and self.weight(node) > INLINE_WEIGHT)
        if not top and big and isinstance(node, per.MembersType | per.Choice | per.ArrayType):
            var = self.fresh(_hint(node))
            pad = "    " * depth
            out.append(f"{pad}{var}, p = {self.function(node, context)}(n, T, p, b)")
            return var
        if getattr(node, "type_name", "") in TYPE_OVERRIDES:
            return self._slow(node, context, out, depth)
        if isinstance(node, uper.Integer):
            return self._integer(node, out, depth)
        if isinstance(node, per.Boolean):
            var = self.fresh(_hint(node))
            out.append(f"{'    ' * depth}{var} = bool((n >> (T - p - 1)) & 1); p += 1")
            return var
        if isinstance(node, per.Null):
            return "None"
        if isinstance(node, per.Enumerated):
            return self._enumerated(node, out, depth)
        if isinstance(node, per.BitString):
            return self._bit_string(node, out, depth)
        if isinstance(node, uper.OctetString):
            return self._octet_string(node, out, depth)
        if isinstance(node, per.ArrayType):
            return self._array(node, context, out, depth)
        if isinstance(node, uper.KnownMultiplierStringType) and _ascii_alphabet(node):
            return self._string(node, out, depth)
        if isinstance(node, per.Choice):
            return self._choice(node, out, depth)
        if isinstance(node, per.MembersType) and not isinstance(node, per.AdditionGroup):
            return self._sequence(node, context, out, depth)
        return self._slow(node, context, out, depth)

    def weight(self, node: Any, budget: int = INLINE_WEIGHT + 1) -> int:
        """Nodes in the subtree of ``node``, counted up to ``budget`` (a cost estimate)."""
        key = id(node)
        if key not in self._weights:
            total = 1
            stack = list(children(node))
            seen = {key}
            while stack and total < budget:
                child = stack.pop()
                if id(child) in seen or isinstance(child, per.Recursive):
                    total += budget  # recursion is never inlined
                    continue
                seen.add(id(child))
                total += 1
                stack.extend(children(child))
            self._weights[key] = total
        return self._weights[key]

    def _slow(self, node: Any, context: str | None, out: list[str], depth: int) -> str:
        var = self.fresh(_hint(node))
        k_node = self.external("node", node, context, f"NODE_{type_label(node)}")
        k_conv = self.external("conv", node, context, f"CONV_{type_label(node)}")
        out.append(f"{'    ' * depth}{var}, p = _slow({k_node}, {k_conv}, T, p, b)")
        return var

    def _read(self, bits: int) -> str:
        return f"((n >> (T - p - {bits})) & {(1 << bits) - 1:#x})"

    def _integer(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var = self.fresh(_hint(node))
        if node.number_of_bits is None:
            constrained = [f"{var}, p = _uwn(n, T, p)"]
        elif node.number_of_bits == 0:
            constrained = [f"{var} = {node.minimum}"]
        else:
            bits = node.number_of_bits
            constrained = [f"{var} = {self._read(bits)} + {node.minimum}; p += {bits}"]
        if node.has_extension_marker:
            out.append(f"{pad}p += 1")
            out.append(f"{pad}if (n >> (T - p)) & 1:")
            out.append(f"{pad}    {var}, p = _uwn(n, T, p)")
            out.append(f"{pad}else:")
            out.extend(f"{pad}    {line}" for line in constrained)
        else:
            out.extend(f"{pad}{line}" for line in constrained)
        return var

    def _enumerated(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var = self.fresh(_hint(node))
        root = self.const(dict(node.root_index_to_data), f"ENUM_{type_label(node)}")
        bits = node.root_number_of_bits
        read = f"{root}[{self._read(bits)}]; p += {bits}" if bits else f"{root}[0]"
        if node.additions_index_to_data is None:
            out.append(f"{pad}{var} = {read}")
            return var
        adds = self.const(dict(node.additions_index_to_data), f"ENUM_ADDED_{type_label(node)}")
        out.append(f"{pad}p += 1")
        out.append(f"{pad}if (n >> (T - p)) & 1:")
        out.append(f"{pad}    {var}, p = _nsn(n, T, p); {var} = {adds}.get({var})")
        out.append(f"{pad}else:")
        out.append(f"{pad}    {var} = {read}")
        return var

    def _length(self, node: Any, var: str, out: list[str], pad: str) -> None:
        """The size of a BIT STRING / OCTET STRING / SEQUENCE OF into ``var``."""
        if node.has_extension_marker:
            out.append(f"{pad}p += 1")
            out.append(f"{pad}if (n >> (T - p)) & 1:")
            out.append(f"{pad}    {var}, p = _ld(n, T, p)")
            out.append(f"{pad}else:")
            pad += "    "
        if node.number_of_bits is None:
            out.append(f"{pad}{var}, p = _ld(n, T, p)")
        elif node.minimum == node.maximum or node.number_of_bits == 0:
            out.append(f"{pad}{var} = {node.minimum}")
        else:
            bits = node.number_of_bits
            out.append(f"{pad}{var} = {self._read(bits)} + {node.minimum}; p += {bits}")

    def _string(self, node: Any, out: list[str], depth: int) -> str:
        """IA5String, VisibleString ... over an ASCII alphabet: a table lookup per character."""
        pad = "    " * depth
        var, size, item = self.fresh(_hint(node)), self.fresh("size"), self.fresh("item")
        table = self.const(_ascii_alphabet(node), f"ALPHABET_{type_label(node)}")
        bits = node.bits_per_character
        if node.has_extension_marker:  # asn1tools cannot decode the extended form either
            out.append(f"{pad}if (n >> (T - p - 1)) & 1: raise Fallback('string extension')")
            out.append(f"{pad}p += 1")
        if node.number_of_bits is None:
            out.append(f"{pad}{size}, p = _ld(n, T, p)")
        elif node.minimum == node.maximum or node.number_of_bits == 0:
            out.append(f"{pad}{size} = {node.minimum}")
        else:
            width = node.number_of_bits
            out.append(f"{pad}{size} = {self._read(width)} + {node.minimum}; p += {width}")
        char = f"{table}[(n >> (T - p - {bits} * ({item} + 1))) & {(1 << bits) - 1:#x}]"
        out.append(f"{pad}{var} = ''.join([{char} for {item} in range({size})])")
        out.append(f"{pad}p += {bits} * {size}")
        return var

    def _bit_string(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, size = self.fresh(_hint(node)), self.fresh("size")
        width = simple_width(node)
        if width:
            read = self._read(width)
            digits = 2 * ((width + 7) // 8)
            shift = -width % 8
            word = f"({read} << {shift})" if shift else read
            out.append(f"{pad}{var} = format({word}, '0{digits}X'); p += {width}")
            return var
        self._length(node, size, out, pad)
        fixed = node.minimum if node.minimum is not None and node.minimum == node.maximum else None
        out.append(f"{pad}{var} = _bits_jer(n, T, p, {size}, {fixed}); p += {size}")
        return var

    def _octet_string(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, size = self.fresh(_hint(node)), self.fresh("size")
        self._length(node, size, out, pad)
        out.append(f"{pad}{var} = _octets_hex(n, T, p, {size}); p += 8 * {size}")
        return var

    def _array(self, node: Any, context: str | None, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, size, item = self.fresh(_hint(node)), self.fresh("size"), self.fresh("item")
        self._length(node, size, out, pad)
        out.append(f"{pad}{var} = []")
        out.append(f"{pad}for {item} in range({size}):")
        element = self.emit(node.element_type, context, out, depth + 1)
        out.append(f"{pad}    {var}.append({element})")
        return var

    def _choice(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, index = self.fresh(_hint(node)), self.fresh("index")
        roots = node.root_index_to_member
        adds = node.additions_index_to_member
        inner_pad = pad
        if adds is not None:
            length, start = self.fresh("length"), self.fresh("start")
            out.append(f"{pad}p += 1")
            out.append(f"{pad}if (n >> (T - p)) & 1:")
            out.append(f"{pad}    {index}, p = _nsn(n, T, p)")
            out.append(f"{pad}    {length}, p = _ld(n, T, p); {start} = p")
            self._alternatives(node, adds, index, var, out, depth + 1, f"{start} + 8 * {length}")
            out.append(f"{pad}else:")
            inner_pad = pad + "    "
        if len(roots) > 1:
            bits = node.root_number_of_bits
            out.append(f"{inner_pad}{index} = {self._read(bits)}; p += {bits}")
        else:
            out.append(f"{inner_pad}{index} = 0")
        self._alternatives(node, roots, index, var, out, len(inner_pad) // 4, None)
        return var

    def _alternatives(
        self,
        node: Any,
        members: dict[int, Any],
        index: str,
        var: str,
        out: list[str],
        depth: int,
        end: str | None,
    ) -> None:
        pad = "    " * depth
        keyword = "if"
        for i, member in members.items():
            out.append(f"{pad}{keyword} {index} == {i}:")
            context = self.builder.member_context(node, member)
            value = self.emit(member, context, out, depth + 1)
            out.append(f"{pad}    {var} = {{{member.name!r}: {value}}}")
            keyword = "elif"
        # asn1tools gives (None, None) for an unknown extension alternative
        unknown = "raise Fallback('choice index')" if end is None else f"{var} = {{None: None}}"
        if members:
            out.append(f"{pad}else:")
            out.append(f"{pad}    {unknown}")
        else:
            out.append(f"{pad}{unknown}")
        if end is not None:
            out.append(f"{pad}p = {end}")
            out.append(f"{pad}if p > T: raise Fallback('addition past the end')")

    def _sequence(self, node: Any, context: str | None, out: list[str], depth: int) -> str:
        from rsu.v2x.fastpath_seq import emit_sequence

        return emit_sequence(self, node, context, out, depth)


@dataclass(frozen=True, slots=True)
class Generated:
    """The source of a standard's fast path and what it needs bound at load."""

    source: str
    entry: str
    """The function decoding the MessageFrame."""
    by_ref: dict[str, str]
    """Type reference (open type content) -> its function."""
    externals: dict[str, tuple[str, Any, str | None]]


def generate(builder: JerBuilder, lookup: Callable[[str], Any], frame_node: Any) -> Generated:
    """Walk the compiled tree from ``frame_node`` and write the decoder module's source."""
    emitter = _Emitter(builder, lookup)
    entry = emitter.function(frame_node, None)
    emitter.drain()
    header = (
        "# The generated UPER fast path (rsu.v2x.fastpath): one function per ASN.1 type,\n"
        "# each decode_X(n, T, p, b) -> (JER, new p). Helpers _ld, _nsn, ... come from\n"
        "# rsu.v2x.fastpath_runtime; NODE_*/CONV_* (asn1tools nodes and JER converters for\n"
        "# the kinds decoded by asn1tools itself) are bound when the module is loaded."
    )
    return Generated(
        emitter.module_source(header), entry, dict(emitter.by_ref), dict(emitter.externals)
    )


__all__ = ["Fallback", "FastDecode", "Generated", "choice_members", "generate", "members_of"]
