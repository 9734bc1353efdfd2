"""The values the codec hands to the rest of the daemon.

``value`` fields hold the JER form of ASN.1 values (ITU-T X.697 as asn1tools' ``jer`` codec
writes it): only ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None``, ready for
``json.dumps``. asn1tools' own tuples and bytes never leave ``rsu.v2x``. Treat them as
read-only: messages may be shared (the repeat cache hands out the same value twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rsu.v2x.names import short_name as _short_name

JerValue = Any
"""A JSON-compatible value in JER form (dict/list/str/int/float/bool/None)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """What was found around the MessageFrame in the bytes as received.

    ``kind`` is ``"bare"`` (nothing around it), ``"unsecured"`` (IEEE 1609.2 unsecuredData) or
    ``"signed"`` (IEEE 1609.2 signedData). ``wsmp_psid`` is set when a 1609.3 WSMP header was
    found. For signed data the signer (certificate digest or certificate bytes) and the
    signature bytes are kept, undecoded, for verification later.
    """

    kind: str = "bare"
    offset: int = 0
    """Byte offset of the MessageFrame inside the outer bytes."""
    trailing: int = 0
    """Bytes after the end of the MessageFrame (e.g. a 1609.2 signature)."""
    wsmp_psid: int | None = None
    wsmp_header: bytes = b""
    dot2_version: int | None = None
    psid: int | None = None
    """PSID from the 1609.2 header info (signed data), or from WSMP."""
    generation_time: int | None = None
    """1609.2 headerInfo.generationTime (microseconds since 2004-01-01 TAI), when present."""
    signer_kind: str | None = None
    """``"digest"``, ``"certificate"`` or ``"self"`` for signed data."""
    signer_digest: bytes | None = None
    signer_certificate: bytes | None = None
    signature: bytes | None = None
    """The encoded 1609.2 Signature (COER), kept for verification."""
    to_be_signed: bytes | None = None
    """The encoded ToBeSignedData, the input of signature verification."""
    truncated: bool = False
    """The WSM or 1609.2 data was cut short after a complete MessageFrame (signer and
    signature then lost); ``notes`` says where."""
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON form for records and ``--format summary``."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.wsmp_psid is not None:
            out["wsmp_psid"] = self.wsmp_psid
        if self.psid is not None:
            out["psid"] = self.psid
        if self.generation_time is not None:
            out["generation_time"] = self.generation_time
        if self.signer_kind is not None:
            out["signer"] = self.signer_kind
        if self.signer_digest is not None:
            out["signer_digest"] = self.signer_digest.hex()
        if self.signature is not None:
            out["signature"] = self.signature.hex()
        if self.offset:
            out["offset"] = self.offset
        if self.trailing:
            out["trailing"] = self.trailing
        if self.truncated:
            out["truncated"] = True
        return out


BARE = Envelope()


@dataclass(frozen=True, slots=True)
class V2xMessage:
    """One decoded V2X message.

    ``message_type`` is the ASN.1 type name of the message (``BasicSafetyMessage``, ``SPAT``,
    ... for J2735; ``BasicSafetyMessage``, ``RoadsideSafetyMessage`` ... for CSAE 53).
    ``message_id`` is J2735's DSRCmsgID; for CSAE 53 (a CHOICE) it is ``None`` and
    ``frame_choice`` names the alternative (``bsmFrame`` ...).
    ``value`` is the JER of the message itself, open types decoded in place.
    ``raw`` is the bare MessageFrame; ``outer`` the bytes as received when they were wrapped.
    """

    standard: str
    message_type: str
    message_id: int | None
    value: JerValue
    raw: bytes
    outer: bytes | None = None
    envelope: Envelope = BARE
    frame_choice: str | None = None

    def jer(self) -> dict[str, Any]:
        """The JER of the whole MessageFrame."""
        if self.frame_choice is not None:
            return {self.frame_choice: self.value}
        return {"messageId": self.message_id, "value": self.value}

    @property
    def short_name(self) -> str:
        """Short name used in topics and CLI filters (BSM, MAP, SPAT, TIM, SDSM ...)."""
        return _short_name(self.message_type)
