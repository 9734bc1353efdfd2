"""Compiling a standard's ASN.1 modules once, with a disk cache, plus the tables asn1tools
does not keep (information object sets behind open types).

asn1tools parses ``CLASS`` definitions and object sets but keeps no members, so the tables
that say which type an open type holds (J2735's ``MessageTypes``, the Part II sets and the
``Reg-*`` regional extension sets) are read here from the module text. This is a deliberately
small reader for the one form those sets take in the standards (``{ Type IDENTIFIED BY id }``
entries joined by ``|``), not a general ASN.1 parser.

The compiled specification is pickled to a cache keyed by the SHA-256 of the modules, the
asn1tools version and this module's patch level, so a warm start skips the parse (seconds)
entirely.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import tempfile
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import asn1tools
from asn1tools.codecs import per, uper

from rsu.errors import CodecError
from rsu.v2x.standards import Standard

_PATCH_LEVEL = "1"

# --- asn1tools limitation: BIT STRING with an extensible size constraint ---------------------


class _ExtensibleBitString(uper.BitString):  # type: ignore[misc]  # untyped vendor base
    """UPER BIT STRING ``(SIZE (n, ...))`` whose extension bit may be set.

    X.691 16.6: when the extension bit is 1 the length is a semi-constrained length determinant
    followed by the bits. asn1tools raises NotImplementedError there; real BSMs set it
    (``VehicleEventFlags`` with 14 bits, eventJackKnife).
    """

    def decode(self, decoder: Any) -> tuple[bytes, int]:
        if decoder.read_bit():
            length = decoder.read_length_determinant()
            return (decoder.read_bits(length), length)
        if self.number_of_bits is None:
            return self.decode_unbound(decoder)  # type: ignore[no-any-return]
        number_of_bits = self.minimum
        if self.minimum != self.maximum:
            number_of_bits += decoder.read_non_negative_binary_integer(self.number_of_bits)
        return (decoder.read_bits(number_of_bits), number_of_bits)

    def encode(self, data: tuple[bytes, int], encoder: Any) -> None:
        value, number_of_bits = data
        if self.has_named_bits:
            value, number_of_bits = self.rstrip_zeros(value, number_of_bits)
        if self.minimum is not None and self.minimum <= number_of_bits <= self.maximum:
            encoder.append_bit(0)
            if self.number_of_bits is None:
                self.encode_unbound(value, number_of_bits, encoder)
                return
            if self.minimum != self.maximum:
                encoder.append_non_negative_binary_integer(
                    number_of_bits - self.minimum, self.number_of_bits
                )
            encoder.append_bits(value, number_of_bits)
            return
        encoder.append_bit(1)
        encoder.append_length_determinant(number_of_bits)
        encoder.append_bits(value, number_of_bits)


class OpenBytes(bytes):
    """The content of an open type, remembering the bit position where it starts.

    Lets a decode error deep inside nested open types report its offset in the whole frame.
    """

    bit_pos: int = 0


class _PositionedOpenType(uper.OpenType):  # type: ignore[misc]  # untyped vendor base
    def decode(self, decoder: Any) -> OpenBytes:
        length = decoder.read_length_determinant()
        start = decoder.number_of_read_bits()
        data = OpenBytes(decoder.read_bytes(length))
        data.bit_pos = start
        return data


def _patch_tree(spec: Any) -> None:
    """Swap in our extensible BIT STRING and positioned open types."""
    seen: set[int] = set()
    for compiled in spec.types.values():
        _patch_node(compiled.type, seen)


def _patch_node(node: Any, seen: set[int]) -> None:
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if type(node) is uper.BitString and node.has_extension_marker:
        node.__class__ = _ExtensibleBitString
    elif type(node) is uper.OpenType:
        node.__class__ = _PositionedOpenType
    for child in children(node):
        _patch_node(child, seen)


_BUILTIN_TYPE_NAMES = frozenset({"SEQUENCE", "SEQUENCE OF", "SET", "SET OF", "CHOICE"})


def type_owners(spec: Any) -> dict[int, str]:
    """Map every node of ``spec`` to the name of the type assignment that defines it."""
    owners: dict[int, str] = {}
    for module in spec.modules.values():
        for name, compiled in module.items():
            stack = [(compiled.type, name)]
            while stack:
                node, owner = stack.pop()
                if node is None or id(node) in owners:
                    continue
                type_name = getattr(node, "type_name", "") or ""
                if type_name and type_name not in _BUILTIN_TYPE_NAMES:
                    owner = type_name
                owners[id(node)] = owner
                stack.extend((child, owner) for child in children(node))
    return owners


def resolve(node: Any) -> Any:
    """The node a recursive reference stands for (the node itself otherwise)."""
    while isinstance(node, per.Recursive):
        node = node._inner
    return node


def children(node: Any) -> list[Any]:
    """The child nodes of a compiled asn1tools UPER type node."""
    out: list[Any] = []
    for attr in ("root_members", "additions"):
        members = getattr(node, attr, None)
        if members:
            out.extend(members)
    element = getattr(node, "element_type", None)
    if element is not None:
        out.append(element)
    root_index = getattr(node, "root_index_to_member", None)
    if root_index:
        out.extend(root_index.values())
    add_index = getattr(node, "additions_index_to_member", None)
    if add_index:
        out.extend(add_index.values())
    inner = getattr(node, "_inner", None)
    if inner is not None:
        out.append(inner)
    return out


# --- open type tables from the module text ---------------------------------------------------

_OBJECT_SET = re.compile(r"^\s*([A-Za-z][\w-]*)\s+([A-Z][A-Z0-9-]*)\s*::=\s*\{", re.MULTILINE)
_ENTRY = re.compile(r"\{\s*([A-Za-z][\w.-]*)\s+IDENTIFIED\s+BY\s+([\w.-]+)\s*\}")
_INT_VALUE = re.compile(r"^\s*([a-z][\w-]*)\s+([A-Z][\w.-]*)\s*::=\s*(-?\d+)", re.MULTILINE)
_ASSIGNMENT = re.compile(r"^([A-Z][\w-]*)\s*(?:\{[^}]*\})?\s*::=", re.MULTILINE)
_REGIONAL = re.compile(
    r"([a-z][\w-]*)\s+(?:SEQUENCE\s*\(\s*SIZE\s*\([^)]*\)\s*\)\s*OF\s+)?"
    r"RegionalExtension\s*\{\s*\{\s*(?:[\w-]+\.)?(Reg-[\w-]+)\s*\}\s*\}"
)
_COMMENT = re.compile(r"--.*?(?:--|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class OpenTypeTables:
    """Which type an open type holds, per information object set."""

    sets: dict[str, dict[int, str]] = field(default_factory=dict)
    """Object set name -> id -> type reference (``Type`` or ``Module.Type``)."""
    classes: dict[str, str] = field(default_factory=dict)
    """Object set name -> its information object class (``REG-EXT-ID-AND-TYPE`` ...)."""
    regional_context: dict[tuple[str, str], str] = field(default_factory=dict)
    """(enclosing type name, member name) -> ``Reg-*`` set name."""
    owners: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    """``id`` of a compiled node -> the type assignment whose text defines it.

    asn1tools names a node after the type it references (``BSMcoreData``) but gives a type's
    own top node, and any inline SEQUENCE, only the built-in name (``SEQUENCE``); without this
    map the members of a message's own top level (``MapData.regional``) and of open type
    contents had no context and their regional extensions stayed hex."""


def _balanced(text: str, start: int) -> str:
    """The text from the ``{`` at ``start`` to its matching ``}``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return text[start:]


def read_tables(texts: list[str]) -> OpenTypeTables:
    """Read object sets, integer value assignments and regional contexts from module texts."""
    clean = [_COMMENT.sub("", t) for t in texts]
    values: dict[str, int] = {}
    for text in clean:
        for name, _type, number in _INT_VALUE.findall(text):
            values[name] = int(number)
    sets: dict[str, dict[int, str]] = {}
    classes: dict[str, str] = {}
    regional: dict[tuple[str, str], str] = {}
    for text in clean:
        for match in _OBJECT_SET.finditer(text):
            name, cls = match.group(1), match.group(2)
            if cls in ("CLASS", "SEQUENCE", "CHOICE", "INTEGER", "ENUMERATED", "BIT"):
                continue
            body = _balanced(text, match.end() - 1)
            table: dict[int, str] = {}
            for type_ref, ident in _ENTRY.findall(body):
                key = ident.rsplit(".", 1)[-1]
                number = int(key) if key.lstrip("-").isdigit() else values.get(key)
                if number is not None:
                    table[number] = type_ref
            sets[name] = table
            classes[name] = cls
        starts = [(m.start(), m.group(1)) for m in _ASSIGNMENT.finditer(text)]
        for i, (pos, type_name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
            for member, context in _REGIONAL.findall(text[pos:end]):
                regional[(type_name, member)] = context
    return OpenTypeTables(sets=sets, classes=classes, regional_context=regional)


# --- compile with cache ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledStandard:
    """A standard's compiled UPER specification and its open type tables."""

    standard: Standard
    spec: Any
    tables: OpenTypeTables
    files: tuple[str, ...]
    digest: str = ""
    """SHA-256 of the modules, the asn1tools version and the patch level (the cache key)."""
    cache_dir: Path | None = None
    """Where compiled artefacts of this standard are cached (``None``: not cached)."""


def module_files(standard: Standard) -> list[Path]:
    """The ``.asn`` files of a standard, sorted by name."""
    root = resources.files(standard.asn_package) / "asn"
    paths = sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".asn"))
    if not paths:
        raise CodecError(f"no ASN.1 modules for {standard.name} in {root}")
    return paths


def default_cache_dir() -> Path:
    """``$RSU_CACHE_DIR``, systemd's ``$CACHE_DIRECTORY``, or ``~/.cache/rsu-edge``."""
    for var in ("RSU_CACHE_DIR", "CACHE_DIRECTORY"):
        value = os.environ.get(var)
        if value:
            return Path(value.split(":")[0]) / "asn1"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rsu-edge" / "asn1"


def compile_standard(standard: Standard, cache_dir: Path | None = None) -> CompiledStandard:
    """Compile (or load from the cache) the UPER specification of ``standard``."""
    paths = module_files(standard)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    digest = hashlib.sha256()
    for part in (asn1tools.__version__, _PATCH_LEVEL, *texts):
        digest.update(part.encode())
    key = f"{standard.name}-{digest.hexdigest()[:24]}.pickle"
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    spec = load_cached(cache / key)
    if spec is None:
        try:
            spec = asn1tools.compile_files([str(p) for p in paths], "uper")
        except (asn1tools.ParseError, asn1tools.CompileError) as err:
            raise CodecError(f"{standard.name}: ASN.1 modules do not compile: {err}") from err
        store_cached(cache, key, spec)
    _patch_tree(spec)
    return CompiledStandard(
        standard,
        spec,
        replace(read_tables(texts), owners=type_owners(spec)),
        tuple(str(p) for p in paths),
        digest=digest.hexdigest(),
        cache_dir=cache,
    )


def load_cached(path: Path) -> Any:
    """The object pickled at ``path``; ``None`` when missing or unreadable in any way."""
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # our own cache file, written by this process' user
    except Exception:  # a damaged cache of any kind (truncated, garbage, old classes) is rebuilt
        return None


def store_cached(cache: Path, key: str, value: Any) -> None:
    """Write atomically; a read-only or full disk only costs the next start a recompile."""
    tmp = None
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache / key)
        tmp = None
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
