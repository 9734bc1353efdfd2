"""Reading the inputs of line-oriented commands (``decode``, ``encode``, ``replay``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from rsu.errors import UsageError


def input_lines(values: list[str], file: str | None) -> Iterator[str]:
    """The positional values, then the lines of ``file`` (``-`` is stdin), newline stripped."""
    yield from values
    if file is None:
        return
    if file == "-":
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    path = Path(file)
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as err:
        raise UsageError(f"cannot read {file}: {err.strerror or err}") from err
    with handle:
        for line in handle:
            yield line.rstrip("\r\n")


def parse_hex(text: str) -> bytes:
    """Hex with optional ``0x``, spaces, colons or dashes between bytes."""
    cleaned = text.strip()
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    for sep in (" ", ":", "-", "\t"):
        cleaned = cleaned.replace(sep, "")
    if not cleaned:
        raise ValueError("empty input")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        bad = next((c for c in cleaned if c not in "0123456789abcdefABCDEF"), None)
        if bad is not None:
            raise ValueError(f"not hex: {bad!r} in {cleaned[:40]!r}") from None
        raise ValueError(f"odd number of hex digits ({len(cleaned)})") from None
