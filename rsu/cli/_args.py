"""Argument types for the field commands: numbers that are finite and in range, or a usage error.

argparse's ``type=float`` takes ``nan``, ``inf`` and negative values, which then run forever
(``rsu demo --duration -5``) or mean something else (``rsu tail -n 0``). Every number option of
the CLI uses one of these instead, so the error names the option and the range.

>>> seconds("2.5")
2.5
>>> seconds("-5")
Traceback (most recent call last):
argparse.ArgumentTypeError: expected a number of seconds > 0, got '-5'
>>> count("0")
Traceback (most recent call last):
argparse.ArgumentTypeError: expected a whole number >= 1, got '0'
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def number(
    what: str,
    *,
    above: float | None = None,
    at_least: float | None = None,
    most: float | None = None,
) -> Callable[[str], float]:
    """A float option: finite, ``> above`` / ``>= at_least`` / ``<= most`` when given."""
    bounds = [
        f"> {above:g}" if above is not None else "",
        f">= {at_least:g}" if at_least is not None else "",
        f"<= {most:g}" if most is not None else "",
    ]
    expected = f"expected {what} {' and '.join(b for b in bounds if b)}".rstrip()

    def parse(text: str) -> float:
        value = _finite(text)
        if (
            value is None
            or (above is not None and value <= above)
            or (at_least is not None and value < at_least)
            or (most is not None and value > most)
        ):
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def whole(at_least: int = 0, most: int | None = None) -> Callable[[str], int]:
    """An int option in ``[at_least, most]`` (decimal, or 0x... hex)."""
    upper = f" and <= {most}" if most is not None else ""
    expected = f"expected a whole number >= {at_least}{upper}"

    def parse(text: str) -> int:
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None
        if value < at_least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


seconds = number("a number of seconds", above=0)
"""A duration or timeout: finite and > 0."""
rate = number("a rate per second", above=0)
count = whole(at_least=1)
"""How many (``-n``): at least one; leave the option out for no limit."""
index = whole(at_least=0)
