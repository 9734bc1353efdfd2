"""Reading the inputs of line-oriented commands (``decode``, ``encode``, ``replay``)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rsu.errors import UsageError

MAX_LINE = 1 << 20
"""Characters kept of one input line (a frame is at most 65,535 octets: ~200 K characters as
spaced hex); the rest of a longer line is read and dropped, so memory stays bounded."""


def input_lines(values: list[str], file: str | None) -> Iterator[str]:
    """The positional values, then the lines of ``file`` (``-`` is stdin), newline stripped."""
    yield from values
    if file is None:
        return
    if file == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream put in place of stdin (tests, embedding)
            yield from _bounded(sys.stdin)
            return
        yield from _bounded(io.TextIOWrapper(stdin, encoding="utf-8", errors="replace"))
        return
    path = Path(file)
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as err:
        raise UsageError(f"cannot read {file}: {err.strerror or err}") from err
    with handle:
        yield from _bounded(handle)


def _bounded(handle: IO[str]) -> Iterator[str]:
    """Lines of at most ``MAX_LINE`` characters (bytes that are not UTF-8 replaced)."""
    while True:
        line = handle.readline(MAX_LINE)
        if not line:
            return
        if len(line) == MAX_LINE and not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):  # drop the rest of an overlong line
                rest = handle.readline(MAX_LINE)
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
