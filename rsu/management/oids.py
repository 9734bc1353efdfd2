"""The NTCIP 1218 (v01) objects rsu-edge serves, written from the standard's definitions.

Only OIDs, value ranges and enumerations are here (facts of the standard); the MIB module's
text is not. The ``rsu`` node is ``1.3.6.1.4.1.1206.4.2.18`` (NEMA / NTCIP / devices / RSU);
section 5.N of NTCIP 1218 is node ``rsu.(N-1)``. Scalars are served with the ``.0`` instance.
"""

from __future__ import annotations

from rsu.management.smi import Oid

RSU: Oid = (1, 3, 6, 1, 4, 1, 1206, 4, 2, 18)


def rsu(*sub: int) -> Oid:
    return RSU + sub


# MIB-II system group (RFC 3418): what every manager reads first.
SYSTEM: Oid = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME = (*SYSTEM, 1), (*SYSTEM, 2), (*SYSTEM, 3)
SYS_CONTACT, SYS_NAME, SYS_LOCATION = (*SYSTEM, 4), (*SYSTEM, 5), (*SYSTEM, 6)
SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
"""snmpTrapOID.0 (SNMPv2-MIB): the varbind naming a notification."""

# 5.3 rsuGnss
GNSS_STATUS = rsu(2, 1)  # satellites in use, 0..128
GNSS_AUGMENTATION = rsu(2, 2)  # other(1), none(2), waas(3)
# 5.4 store and repeat
MAX_MSG_REPEAT = rsu(3, 1)
MSG_REPEAT_ENTRY = rsu(3, 2, 1)
MSG_REPEAT_DELETE_ALL = rsu(3, 3)
# 5.5 immediate forward
MAX_IFMS = rsu(4, 1)
IFM_ENTRY = rsu(4, 2, 1)
# 5.6 received-message forwarding
MAX_RECEIVED_MSGS = rsu(5, 1)
RECEIVED_MSG_ENTRY = rsu(5, 2, 1)
# 5.7 GNSS output
GNSS_OUTPUT_STRING = rsu(6, 5)
GNSS_LAT, GNSS_LON, GNSS_ELV = rsu(6, 6), rsu(6, 7), rsu(6, 8)  # 1e-7 deg, 1e-7 deg, cm
GNSS_MAX_DEVIATION = rsu(6, 9)  # metres, 0..20000
LOCATION_DEVIATION = rsu(6, 10)  # metres, 20001 unknown
GNSS_POSITION_ERROR = rsu(6, 11)  # decimetres, 200001 unknown
# 5.9 security
SEC_ENROLL_CERT_STATUS = rsu(8, 2)  # other(1), unknown(2), notEnrolled(3), enrolled(4)
MAX_SEC_APP_CERTS = rsu(8, 9)
SEC_APP_CERT_ENTRY = rsu(8, 10, 1)  # 2 psid, 3 state, 4 expiration (h), 5 request (h)
# 5.12 message statistics
MAX_MESSAGE_COUNTS = rsu(11, 1)
MESSAGE_COUNTS_ENTRY = rsu(11, 2, 1)
# 5.13 system statistics
TIME_SINCE_POWER_ON = rsu(12, 1)  # seconds
INT_TEMP, INT_TEMP_LOW, INT_TEMP_HIGH = rsu(12, 2), rsu(12, 3), rsu(12, 4)  # degC, -101..100
# 5.14 system description
MIB_VERSION, FIRMWARE_VERSION = rsu(13, 1), rsu(13, 2)
LOCATION_DESC, RSU_ID = rsu(13, 3), rsu(13, 4)
LOCATION_LAT, LOCATION_LON, LOCATION_ELV = rsu(13, 5), rsu(13, 6), rsu(13, 7)
# 5.17 system status
CHAN_STATUS = rsu(16, 1)  # bothOp(0), altOp(1), contOp(2), noneOp(3)
MODE = rsu(16, 2)  # other(1), standby(2), operate(3): the manager's command
MODE_STATUS = rsu(16, 3)  # other(1), standby(2), operate(3), fallback(4): what the RSU does
RSU_STATUS = rsu(16, 10)  # other(1), okay(2), warning(3), critical(4), unknown(5)
# 5.18 asynchronous messages: notifications are rsuAsync.1.N, their texts rsuAsync.2.N
ASYNC_NOTIFY = rsu(17, 1)
ASYNC_MESSAGE = rsu(17, 2)
ALERT_LEVEL = rsu(17, 2, 11)  # info(0), notice(1), warning(2), error(3), critical(4)
NOTIFY_REPEAT_INTERVAL, NOTIFY_MAX_RETRIES = rsu(17, 3), rsu(17, 4)

MODE_VALUES = {"standby": 2, "operate": 3}
"""NTCIP 1218 rsuMode / rsuModeStatus (RSU 4.1's rsuMode used 4 for operate: not here)."""

NOTIFICATIONS: dict[str, tuple[int, int]] = {
    # name: (rsuAsync.1.N of the notification, rsuAsync.2.M of its message text)
    "messageFileIntegrityError": (1, 1),
    "rsuSecStorageIntegrityError": (2, 2),
    "rsuAuthError": (3, 3),
    "rsuSignatureVerifyError": (4, 4),
    "rsuAccessError": (5, 5),
    "rsuTimeSourceLost": (6, 6),
    "rsuTimeSourceMismatch": (7, 7),
    "rsuGnssAnomaly": (8, 8),
    "rsuGnssDeviationError": (9, 9),
    "rsuCertificateError": (11, 12),
    "rsuServiceDenialError": (12, 13),
    "rsuWatchdogError": (13, 14),
    "rsuEnvironError": (14, 15),
}

NAMES: dict[Oid, str] = {
    SYS_DESCR: "sysDescr", SYS_OBJECT_ID: "sysObjectID", SYS_UPTIME: "sysUpTime",
    SYS_CONTACT: "sysContact", SYS_NAME: "sysName", SYS_LOCATION: "sysLocation",
    GNSS_STATUS: "rsuGnssStatus", GNSS_AUGMENTATION: "rsuGnssAugmentation",
    MAX_MSG_REPEAT: "maxRsuMsgRepeat", MSG_REPEAT_DELETE_ALL: "rsuMsgRepeatDeleteAll",
    MAX_IFMS: "maxRsuIFMs", MAX_RECEIVED_MSGS: "maxRsuReceivedMsgs",
    GNSS_OUTPUT_STRING: "rsuGnssOutputString", GNSS_LAT: "rsuGnssLat", GNSS_LON: "rsuGnssLon",
    GNSS_ELV: "rsuGnssElv", GNSS_MAX_DEVIATION: "rsuGnssMaxDeviation",
    LOCATION_DEVIATION: "rsuLocationDeviation", GNSS_POSITION_ERROR: "rsuGnssPositionError",
    SEC_ENROLL_CERT_STATUS: "rsuSecEnrollCertStatus", MAX_SEC_APP_CERTS: "maxRsuSecAppCerts",
    MAX_MESSAGE_COUNTS: "maxRsuMessageCountsByPsid", TIME_SINCE_POWER_ON: "rsuTimeSincePowerOn",
    INT_TEMP: "rsuIntTemp", INT_TEMP_LOW: "rsuIntTempLowThreshold",
    INT_TEMP_HIGH: "rsuIntTempHighThreshold", MIB_VERSION: "rsuMibVersion",
    FIRMWARE_VERSION: "rsuFirmwareVersion", LOCATION_DESC: "rsuLocationDesc", RSU_ID: "rsuID",
    LOCATION_LAT: "rsuLocationLat", LOCATION_LON: "rsuLocationLon",
    LOCATION_ELV: "rsuLocationElv", CHAN_STATUS: "rsuChanStatus", MODE: "rsuMode",
    MODE_STATUS: "rsuModeStatus", RSU_STATUS: "rsuStatus", ALERT_LEVEL: "rsuAlertLevel",
    NOTIFY_REPEAT_INTERVAL: "rsuNotificationRepeatInterval",
    NOTIFY_MAX_RETRIES: "rsuNotificationMaxRetries",
}  # fmt: skip
"""NTCIP 1218 (and MIB-II) names of the scalars, for ``rsu snmp walk``."""
