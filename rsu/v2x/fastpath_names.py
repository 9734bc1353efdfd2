"""How the generated fast path names things: after the ASN.1 types and members they decode."""

from __future__ import annotations

from typing import Any

BUILTIN_NAMES = frozenset({"SEQUENCE", "SEQUENCE OF", "SET", "SET OF", "CHOICE"})


def ident(text: str) -> str:
    """``text`` as a Python identifier (ASN.1 names use ``-``)."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in str(text))
    return name if name and not name[0].isdigit() else f"_{name}"


def hint(node: Any) -> str:
    return str(getattr(node, "name", None) or "value")


def type_label(node: Any) -> str:
    """The ASN.1 name of ``node``: the type it references, else its own (member) name."""
    type_name = getattr(node, "type_name", "") or ""
    if type_name and type_name not in BUILTIN_NAMES:
        return str(type_name)
    return str(getattr(node, "name", None) or type_name or "anonymous")
