"""The message sets (standards) the codec serves, side by side in one process.

Each standard is a folder of ASN.1 modules under ``rsu/v2x/asn/`` compiled into its own
asn1tools specification, so type names never clash between standards. Adding ETSI later is a
new entry here plus its modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rsu.errors import UnknownStandardError


@dataclass(frozen=True, slots=True)
class Standard:
    """How one message set frames its messages."""

    name: str
    title: str
    asn_dir: str
    """Folder under ``rsu/v2x/asn/`` holding the modules."""
    frame_style: Literal["id-value", "choice"]
    """``id-value``: J2735's ``{messageId, value}`` with an open type; ``choice``: a CHOICE."""
    frame_type: str = "MessageFrame"


STANDARDS: dict[str, Standard] = {
    "j2735": Standard(
        "j2735", "SAE J2735 (2020; J3224 SDSM and J2945/4 RSM from 2024)", "j2735", "id-value"
    ),
    "csae53": Standard("csae53", "T/CSAE 53-2020 / YD/T 3709-2020 day-1", "csae53", "choice"),
}


def get_standard(name: str) -> Standard:
    """The standard called ``name`` (``j2735``, ``csae53``)."""
    try:
        return STANDARDS[name]
    except KeyError:
        known = ", ".join(sorted(STANDARDS))
        raise UnknownStandardError(f"unknown standard {name!r} (known: {known})") from None
