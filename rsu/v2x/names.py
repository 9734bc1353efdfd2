"""Message names: ASN.1 type names, the short names people use, J2735 ids and PSIDs.

The tables belong to the message sets (``rsu.j2735.messages``, ``rsu.csae53.messages``);
``short_name`` reads every registered set's table, on first use.
"""

from __future__ import annotations

from rsu.j2735.messages import J2735_MESSAGES, PSIDS
from rsu.registry import message_sets

__all__ = ["J2735_MESSAGES", "PSIDS", "short_name", "short_names"]


_SHORT: dict[str, str] = {}
"""ASN.1 type name -> short name, of every set (filled on first use: a plain dict lookup then,
since ``short_name`` runs for every message decoded)."""


def _short() -> dict[str, str]:
    if not _SHORT:
        for ms in message_sets():
            for info in ms.messages:
                _SHORT.setdefault(info.type_name, info.short)
    return _SHORT


def short_names() -> frozenset[str]:
    """Every short name of a message of any set (what ``[uplink.policy.<SHORT>]`` takes)."""
    return frozenset(_short().values())


def short_name(message_type: str) -> str:
    """``BasicSafetyMessage`` -> ``BSM``; unknown names are returned unchanged."""
    return (_SHORT or _short()).get(message_type, message_type)
