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
from typing import Any

from asn1tools.codecs import per, uper

from rsu.v2x.asn1 import children, resolve
from rsu.v2x.fastpath_runtime import RUNTIME, Fallback
from rsu.v2x.fastpath_seq import simple_width
from rsu.v2x.jer import TYPE_OVERRIDES, JerBuilder, choice_members, members_of

FastDecode = Callable[[int, int, int, bytes], tuple[Any, int]]
"""``f(n, T, p, data) -> (jer_value, new_p)``: decode at bit ``p`` of ``n`` (``T`` bits)."""

_BUILTIN_NAMES = {"SEQUENCE", "SEQUENCE OF", "SET", "SET OF", "CHOICE"}
INLINE_WEIGHT = 24
"""Named types with at most this many nodes are inlined at each use instead of called."""


def _ascii_alphabet(node: Any) -> dict[int, str] | None:
    """Index -> character for a known-multiplier string over ASCII, as asn1tools decodes it."""
    if getattr(node, "ENCODING", "") != "ascii":
        return None
    decode_map = node.permitted_alphabet.decode_map
    if not decode_map or any(not 0 <= code < 128 for code in decode_map.values()):
        return None
    return {index: chr(code) for index, code in decode_map.items()}


# ---- the generator ----------------------------------------------------------------------------


class _Emitter:
    """Writes the source of the decoder functions."""

    def __init__(self, builder: JerBuilder, lookup: Callable[[str], Any]) -> None:
        self.builder = builder
        self.lookup = lookup
        self.namespace: dict[str, Any] = dict(RUNTIME)
        self.functions: dict[tuple[int, str | None], str] = {}
        self.by_ref: dict[str, str] = {}
        self.sources: list[str] = []
        self.count = 0
        self._pending: list[tuple[str, Any, str | None]] = []
        self._weights: dict[int, int] = {}
        self.deferred_tables: list[tuple[str, dict[int, str]]] = []
        """Open type dispatch dicts, filled with the functions once they exist."""

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any) -> str:
        name = self.fresh("K")
        self.namespace[name] = value
        return name

    # functions ------------------------------------------------------------------------------

    def function(self, node: Any, context: str | None) -> str:
        """The name of the function decoding ``node`` (generated on demand)."""
        node = resolve(node)
        key = (id(node), context)
        if key not in self.functions:
            name = self.fresh("f")
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
            body: list[str] = []
            result = self.emit(node, context, body, 1, top=True)
            lines = [f"def {name}(n, T, p, b):", *body, f"    return {result}, p"]
            self.sources.append("\n".join(lines))

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
            var = self.fresh("v")
            pad = "    " * depth
            out.append(f"{pad}{var}, p = {self.function(node, context)}(n, T, p, b)")
            return var
        if getattr(node, "type_name", "") in TYPE_OVERRIDES:
            return self._slow(node, context, out, depth)
        if isinstance(node, uper.Integer):
            return self._integer(node, out, depth)
        if isinstance(node, per.Boolean):
            var = self.fresh("v")
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
        var = self.fresh("v")
        k_node = self.const(node)
        k_conv = self.const(self.builder.to_jer(node, context))
        out.append(f"{'    ' * depth}{var}, p = _slow({k_node}, {k_conv}, T, p, b)")
        return var

    def _read(self, bits: int) -> str:
        return f"((n >> (T - p - {bits})) & {(1 << bits) - 1:#x})"

    def _integer(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var = self.fresh("v")
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
        var = self.fresh("v")
        root = self.const(dict(node.root_index_to_data))
        bits = node.root_number_of_bits
        read = f"{root}[{self._read(bits)}]; p += {bits}" if bits else f"{root}[0]"
        if node.additions_index_to_data is None:
            out.append(f"{pad}{var} = {read}")
            return var
        adds = self.const(dict(node.additions_index_to_data))
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
        var, size, item = self.fresh("v"), self.fresh("s"), self.fresh("i")
        table = self.const(_ascii_alphabet(node))
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
        var, size = self.fresh("v"), self.fresh("s")
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
        var, size = self.fresh("v"), self.fresh("s")
        self._length(node, size, out, pad)
        out.append(f"{pad}{var} = _octets_hex(n, T, p, {size}); p += 8 * {size}")
        return var

    def _array(self, node: Any, context: str | None, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, size, item = self.fresh("v"), self.fresh("s"), self.fresh("i")
        self._length(node, size, out, pad)
        out.append(f"{pad}{var} = []")
        out.append(f"{pad}for {item} in range({size}):")
        element = self.emit(node.element_type, context, out, depth + 1)
        out.append(f"{pad}    {var}.append({element})")
        return var

    def _choice(self, node: Any, out: list[str], depth: int) -> str:
        pad = "    " * depth
        var, index = self.fresh("v"), self.fresh("x")
        roots = node.root_index_to_member
        adds = node.additions_index_to_member
        inner_pad = pad
        if adds is not None:
            length, start = self.fresh("L"), self.fresh("q")
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


def build_fast_decoder(
    builder: JerBuilder, lookup: Callable[[str], Any], frame_node: Any
) -> tuple[FastDecode, dict[str, FastDecode]]:
    """Generate, compile and return the frame decoder and the per-type decoders."""
    emitter = _Emitter(builder, lookup)
    frame_fn = emitter.function(frame_node, None)
    emitter.drain()
    source = "\n\n".join(emitter.sources)
    code = compile(source, "<rsu.v2x.fastpath generated>", "exec")
    exec(code, emitter.namespace)  # our own generated source, from our own ASN.1 modules
    for const, functions in emitter.deferred_tables:
        emitter.namespace[const].update({k: emitter.namespace[f] for k, f in functions.items()})
    by_ref = {ref: emitter.namespace[name] for ref, name in emitter.by_ref.items()}
    return emitter.namespace[frame_fn], by_ref


__all__ = ["Fallback", "FastDecode", "build_fast_decoder", "choice_members", "members_of"]
