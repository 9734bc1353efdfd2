"""The J2735 message table: DSRCmsgID, ASN.1 type, short name and PSID (a leaf: no imports)."""

from __future__ import annotations

# J2735 DSRCmsgID -> ASN.1 type name of the message (2020 edition, + J2735-2024 33 and 41).
J2735_MESSAGES: dict[int, str] = {
    18: "MapData",
    19: "SPAT",
    20: "BasicSafetyMessage",
    21: "CommonSafetyRequest",
    22: "EmergencyVehicleAlert",
    23: "IntersectionCollision",
    24: "NMEAcorrections",
    25: "ProbeDataManagement",
    26: "ProbeVehicleData",
    27: "RoadSideAlert",
    28: "RTCMcorrections",
    29: "SignalRequestMessage",
    30: "SignalStatusMessage",
    31: "TravelerInformation",
    32: "PersonalSafetyMessage",
    33: "RoadSafetyMessage",
    41: "SensorDataSharingMessage",
}

SHORT: dict[str, str] = {
    "MapData": "MAP",
    "SPAT": "SPAT",
    "BasicSafetyMessage": "BSM",
    "CommonSafetyRequest": "CSR",
    "EmergencyVehicleAlert": "EVA",
    "IntersectionCollision": "ICA",
    "NMEAcorrections": "NMEA",
    "ProbeDataManagement": "PDM",
    "ProbeVehicleData": "PVD",
    "RoadSideAlert": "RSA",
    "RTCMcorrections": "RTCM",
    "SignalRequestMessage": "SRM",
    "SignalStatusMessage": "SSM",
    "TravelerInformation": "TIM",
    "PersonalSafetyMessage": "PSM",
    "RoadSafetyMessage": "RSM",
    "SensorDataSharingMessage": "SDSM",
}
"""ASN.1 type name -> the short name people use."""

# Conventional PSIDs (IEEE 1609.12) for the J2735 messages an RSU sends and receives.
PSIDS: dict[str, int] = {
    "BSM": 0x20,
    "PSM": 0x27,
    "SPAT": 0x8002,
    "MAP": 0xE0000017,
    "TIM": 0x8003,
    "RSA": 0x8003,
    "SRM": 0xE0000016,
    "SSM": 0xE0000015,
    "RTCM": 0x8000,
    "SDSM": 0x8010,
    "RSM": 0x8003,
}
