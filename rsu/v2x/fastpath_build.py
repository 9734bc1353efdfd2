"""Building, caching, loading and dumping a standard's generated fast path.

Generating the decoder (walking the compiled ASN.1 tree and writing some 9,000 lines of Python)
and compiling it costs a tenth of a second or more at every start; ``rsu decode`` of one frame
paid it each time. The compiled code object is therefore cached on disk next to the compiled
ASN.1 (``marshal``), keyed by the ASN.1 sources' digest, the generator's own source, the
asn1tools version and the interpreter's bytecode magic. Writes are atomic; a missing, damaged
or foreign cache file is rebuilt, never an error.

The generated source is registered with ``linecache`` under the code's file name, so a
traceback through the fast path shows the generated lines, and ``dump`` writes it out for
review (``rsu decode --dump-fastpath DIR``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import linecache
import marshal
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asn1tools

from rsu.v2x.asn1 import CompiledStandard, load_cached, store_cached
from rsu.v2x.fastpath import FastDecode, Generated, generate
from rsu.v2x.fastpath_runtime import RUNTIME
from rsu.v2x.jer import JerBuilder

_GENERATOR_MODULES = (
    "fastpath.py",
    "fastpath_build.py",
    "fastpath_names.py",
    "fastpath_runtime.py",
    "fastpath_seq.py",
    "jer.py",
    "jer_leaves.py",
    "asn1.py",
)


@dataclass(frozen=True, slots=True)
class FastPath:
    """A loaded fast path: the frame decoder, the per-type decoders and their source."""

    decode: FastDecode
    by_ref: dict[str, FastDecode]
    source: str
    filename: str
    from_cache: bool


def cache_key(compiled: CompiledStandard) -> str:
    """What the generated code depends on: the ASN.1, the generator, asn1tools, the bytecode."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for part in (compiled.standard.name, compiled.digest, asn1tools.__version__):
        digest.update(part.encode())
    digest.update(importlib.util.MAGIC_NUMBER)
    for name in _GENERATOR_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:24]


def load_fast_path(
    compiled: CompiledStandard, builder: JerBuilder, lookup: Any, frame_node: Any
) -> FastPath:
    """The fast path of ``compiled``: from the disk cache when it is there and sound."""
    key = cache_key(compiled)
    filename = f"<rsu-fastpath {compiled.standard.name} {key[:12]}>"
    cache_name = f"fastpath-{compiled.standard.name}-{key}.pickle"
    cached = load_cached(compiled.cache_dir / cache_name) if compiled.cache_dir else None
    if cached is not None:
        try:
            return _bind(_from_cache(cached, filename), builder, filename, from_cache=True)
        except Exception:  # a damaged or foreign cache entry: rebuild it below
            pass
    generated = generate(builder, lookup, frame_node)
    code = compile(generated.source, filename, "exec")
    if compiled.cache_dir is not None:
        entry = {
            "code": marshal.dumps(code),
            "source": generated.source,
            "entry": generated.entry,
            "by_ref": generated.by_ref,
            "externals": generated.externals,
        }
        store_cached(compiled.cache_dir, cache_name, entry)
        _prune(compiled.cache_dir, compiled.standard.name, keep=cache_name)
    return _bind((code, generated), builder, filename, from_cache=False)


def _prune(cache: Path, standard: str, keep: str) -> None:
    """Remove this standard's fast paths of other keys (older code or ASN.1): one per standard."""
    for old in cache.glob(f"fastpath-{standard}-*.pickle"):
        if old.name != keep:
            old.unlink(missing_ok=True)


def _from_cache(cached: Any, filename: str) -> tuple[Any, Generated]:
    code = marshal.loads(cached["code"])
    if code.co_filename != filename:
        raise ValueError("cache entry for another key")
    generated = Generated(
        str(cached["source"]), str(cached["entry"]), dict(cached["by_ref"]),
        dict(cached["externals"]),
    )  # fmt: skip
    return code, generated


def _bind(
    loaded: tuple[Any, Generated], builder: JerBuilder, filename: str, *, from_cache: bool
) -> FastPath:
    code, generated = loaded
    namespace: dict[str, Any] = dict(RUNTIME)
    for name, (kind, node, context) in generated.externals.items():
        namespace[name] = node if kind == "node" else builder.to_jer(node, context)
    register_source(filename, generated.source)
    exec(code, namespace)  # our own generated code, from our own ASN.1 modules
    by_ref = {ref: namespace[name] for ref, name in generated.by_ref.items()}
    return FastPath(namespace[generated.entry], by_ref, generated.source, filename, from_cache)


def register_source(filename: str, source: str) -> None:
    """Let tracebacks and ``inspect`` show the generated lines of ``filename``."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)


def dump(fast: FastPath, directory: Path, standard: str) -> Path:
    """Write the generated source to ``directory/fastpath_<standard>.py`` (atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"fastpath_{standard}.py"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"# {fast.filename}\n{fast.source}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
