"""Untrusted JSON from the cloud, read safely: size first, then depth, then a strict parse.

A command payload is checked against its byte bound before anything looks inside it; its
nesting is bounded (``MAX_DEPTH``) by a linear scan before the parser runs, so a deeply nested
document is ``bad_json`` instead of a RecursionError; integers too long to read are
``bad_json``. ``NaN``, ``Infinity`` and numbers that overflow to infinity (``1e400``) are
refused like any out-of-range number: ``bad_value`` naming the field.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from rsu.errors import CommandError

MAX_DEPTH = 32
"""Deeper than any command needs (a JER MAP is about 12 levels)."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def depth(payload: bytes) -> int:
    """The deepest nesting of arrays and objects (strings skipped); linear in the size."""
    brackets = _STRING.sub(b"", payload).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(_DELTA[b] for b in brackets))


def non_finite(value: Any, path: str = "") -> tuple[str, float] | None:
    """The dotted path and value of the first NaN or infinity in a parsed document."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items: Any = ()
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    for sub_path, sub in items:
        found = non_finite(sub, sub_path)
        if found is not None:
            return found
    return None


def load_object(payload: bytes, max_bytes: int, where: str = "") -> dict[str, Any]:
    """The JSON object in ``payload``; ``CommandError`` ``too_large``, ``bad_json`` or (a
    number that is not finite) ``bad_value``. ``where`` prefixes the path in errors."""
    if len(payload) > max_bytes:
        raise CommandError("too_large", f"payload of {len(payload)} bytes > {max_bytes}")
    if depth(payload) > MAX_DEPTH:
        raise CommandError("bad_json", f"not JSON: nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise CommandError("bad_json", f"not JSON: {err}") from err
    if not isinstance(data, dict):
        raise CommandError("bad_json", "expected a JSON object")
    found = non_finite(data, where)
    if found is not None:
        raise CommandError("bad_value", f"{found[0]}: expected a finite number, got {found[1]}")
    return data
