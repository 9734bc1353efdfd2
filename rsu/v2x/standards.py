"""What the codec needs to know of a message set's ASN.1: where the modules are, the frame.

Each message set package (``rsu.j2735``, ``rsu.csae53``) holds its ASN.1 modules in its own
``asn/`` folder, compiled into its own asn1tools specification, so type names never clash
between sets. The ``Standard`` of a set is its ``MessageSet.standard``
(``rsu.v2x.messageset``), found by name through ``rsu.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rsu.registry import message_set


@dataclass(frozen=True, slots=True)
class Standard:
    """How one message set frames its messages."""

    name: str
    title: str
    asn_package: str
    """The package whose ``asn/`` folder holds the modules (``rsu.j2735``)."""
    frame_style: Literal["id-value", "choice"]
    """``id-value``: J2735's ``{messageId, value}`` with an open type; ``choice``: a CHOICE."""
    frame_type: str = "MessageFrame"


def get_standard(name: str) -> Standard:
    """The standard called ``name`` (``UnknownStandardError`` naming the known ones)."""
    return message_set(name).standard
