"""The real frames of ../shared/vectors and the leaf-by-leaf comparison with their references.

The references use a normalised form (see the vectors README): BIT STRING as
``{"hex", "len"}``, OCTET STRING as lower-case hex, an unknown open type as ``{"$raw": hex}``.
Our JER writes BIT STRING as upper-case hex (fixed size) or ``{"value", "length"}`` and OCTET
STRING as upper-case hex; ``mismatches`` knows exactly those equivalences and nothing looser.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any


def _find_vectors() -> Path:
    """``$RSU_VECTORS_DIR``, else the nearest ``shared/vectors`` beside the repository or a
    directory above it (the team layout puts it at ``../shared/vectors``)."""
    if "RSU_VECTORS_DIR" in os.environ:
        return Path(os.environ["RSU_VECTORS_DIR"])
    repo = Path(__file__).resolve().parents[2]
    for base in repo.parents:
        if (base / "shared" / "vectors").is_dir():
            return base / "shared" / "vectors"
    return repo.parent / "shared" / "vectors"  # missing: the first load() names this path


VECTORS = _find_vectors()
"""The one place the tests, HIL and bench find the real frames (``vector_file(name)``)."""


def vector_file(name: str) -> Path:
    return VECTORS / name


_HEX = re.compile(r"^[0-9a-f]*$")


def load(name: str) -> list[dict[str, Any]]:
    with (VECTORS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _bits(ref: dict[str, Any], ours: Any) -> bool:
    nbytes = (ref["len"] + 7) // 8
    if isinstance(ours, str):
        return ours.lower()[: nbytes * 2] == ref["hex"][: nbytes * 2]
    if isinstance(ours, dict) and set(ours) == {"value", "length"}:
        return ours["length"] == ref["len"] and ours["value"].lower() == ref["hex"]
    return False


def mismatches(ref: Any, ours: Any, path: str = "") -> list[str]:
    """Every leaf where ``ours`` (JER) differs from ``ref`` (normalised reference)."""
    if isinstance(ref, dict) and set(ref) == {"hex", "len"}:
        return [] if _bits(ref, ours) else [f"{path}: {ours!r} != bits {ref!r}"]
    if isinstance(ref, dict) and set(ref) == {"$raw"}:
        ok = isinstance(ours, str) and ours.lower() == ref["$raw"]
        return [] if ok else [f"{path}: {ours!r} != raw {ref!r}"]
    if isinstance(ref, dict):
        if not isinstance(ours, dict) or set(ours) != set(ref):
            keys = sorted(ours) if isinstance(ours, dict) else type(ours).__name__
            return [f"{path}: members {keys} != {sorted(ref)}"]
        out: list[str] = []
        for key in ref:
            out.extend(mismatches(ref[key], ours[key], f"{path}.{key}"))
        return out
    if isinstance(ref, list):
        if not isinstance(ours, list) or len(ours) != len(ref):
            return [
                f"{path}: {type(ours).__name__} of {len(ours) if isinstance(ours, list) else '-'}"
                f" != list of {len(ref)}"
            ]
        out = []
        for i, (r, o) in enumerate(zip(ref, ours, strict=True)):
            out.extend(mismatches(r, o, f"{path}[{i}]"))
        return out
    if isinstance(ref, str) and isinstance(ours, str) and ref != ours:
        # an OCTET STRING: reference lower-case hex, JER upper-case hex
        if _HEX.match(ref) and ours == ref.upper():
            return []
        return [f"{path}: {ours!r} != {ref!r}"]
    if type(ref) is not type(ours) or ref != ours:
        return [f"{path}: {ours!r} != {ref!r}"]
    return []
