"""The CSAE 53 message table: CHOICE alternative, ASN.1 type, short name, AID (a leaf module).

The AIDs are the values C-V2X RSUs in China commonly use for the day-1 messages; check them
against your radio's DSMP configuration (``psid`` in the config and ``[csae53.aids]`` win).
"""

from __future__ import annotations

CSAE_FRAMES: dict[str, str] = {
    "BSM": "bsmFrame",
    "MAP": "mapFrame",
    "RSM": "rsmFrame",
    "SPAT": "spatFrame",
    "RSI": "rsiFrame",
}
"""Short message name -> alternative of the CSAE MessageFrame CHOICE."""
CSAE_SHORT = {frame: short for short, frame in CSAE_FRAMES.items()}

TYPE_NAMES: dict[str, str] = {
    "BSM": "BasicSafetyMessage",
    "MAP": "MapData",
    "RSM": "RoadsideSafetyMessage",
    "SPAT": "SPAT",
    "RSI": "RoadSideInformation",
}
"""Short message name -> ASN.1 type of the alternative."""

CSAE_AIDS: dict[str, int] = {"BSM": 111, "MAP": 3618, "SPAT": 3619, "RSI": 3620, "RSM": 3623}
"""Default AID (the PSID field of a TxRequest) per CSAE message."""
