"""Records: what the uplink publishes, built as JSON-ready values with a stable id.

A record is made once, when the RSU accepts something (a received message, an object list, an
event, a stats snapshot); its ``id`` is written into the spool with it, so every re-send after
an outage or a restart carries the same id and the cloud can drop duplicates.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

from rsu.clock import utc_iso
from rsu.v2x.message import V2xMessage

SCHEMA = "rsu-edge/uplink/1"
"""Version of the record layout (``schema`` in every record)."""

BULK, NORMAL, CRITICAL = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a received message came from: radio backend, channel and RSSI when known."""

    backend: str = "unknown"
    channel: int | None = None
    rssi: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"backend": self.backend}
        if self.channel is not None:
            out["channel"] = self.channel
        if self.rssi is not None:
            out["rssi"] = self.rssi
        return out


@dataclass(frozen=True, slots=True)
class Record:
    """One thing to publish. ``stream`` is the dialect-neutral topic key (``v2x/BSM``,
    ``objects``, ``events``, ``stats``); order is kept per stream."""

    id: str
    stream: str
    body: dict[str, Any]
    priority: int = BULK
    batch: bool = False
    expires: float | None = None
    """UTC seconds after which the record is stale (perishable streams): not sent later."""
    payload: bytes | None = None
    """The body already encoded (``rsu.uplink.prepared``): spooled as it is, ``body`` unused."""


class RecordIds:
    """Stable, unique, time-ordered ids: 12 hex digits of ms since the epoch, 8 random hex
    digits chosen when the process starts, and a 10-hex-digit counter (30 characters)."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = (salt if salt is not None else os.urandom(4)).hex()
        self._count = itertools.count()

    def next(self, now: float) -> str:
        return f"{int(now * 1000):012x}{self._salt}{next(self._count) & 0xFFFFFFFFFF:010x}"


def sender_id(msg: V2xMessage) -> str | None:
    """The temporary id of the sender (BSM ``coreData.id``, PSM/CSAE ``id``), lower-case hex."""
    value = msg.value
    if not isinstance(value, dict):
        return None
    core = value.get("coreData")
    found = core.get("id") if isinstance(core, dict) else value.get("id")
    if found is None:
        found = value.get("sourceID")
    return found.lower() if isinstance(found, str) else None


def message_body(
    msg: V2xMessage,
    *,
    record_id: str,
    rsu_id: str,
    received_at: float,
    origin: Origin | None = None,
    verification: dict[str, Any] | None = None,
    profile: str = "full",
) -> dict[str, Any]:
    """The received-message record in one of ``rsu.uplink.config.PROFILES`` (docs/uplink.md
    says every field). ``verification``: the IEEE 1609.2 result (``rsu.security``'s
    ``SecurityResult.as_dict()``), if checked. Fields are added in the order consumers see
    them; add new ones here."""
    security = msg.envelope.as_dict()
    security.update(verification or unverified(msg))
    body: dict[str, Any] = {
        "id": record_id,
        "rsu_id": rsu_id,
        "received_at": utc_iso(received_at),
        "standard": msg.standard,
        "message_type": msg.message_type,
        "message_id": msg.message_id,
    }
    if profile != "decoded":
        body["raw"] = msg.raw.hex()
    body["security"] = security
    body["origin"] = (origin or Origin()).as_dict()
    if profile != "raw":
        body["decoded"] = msg.jer()
    body["schema"] = SCHEMA
    if msg.outer is not None and profile == "full":
        body["outer"] = msg.outer.hex()
    if msg.frame_choice is not None:
        body["frame"] = msg.frame_choice
    return body


def unverified(msg: V2xMessage) -> dict[str, Any]:
    """The ``security`` result of a message nobody verified (no ``[security]``)."""
    env = msg.envelope
    return {
        "result": "not_verified" if env.kind == "signed" else "unsecured",
        "signer_id8": env.signer_digest.hex() if env.signer_digest else None,
        "psid": env.psid,
        "psid_form": "integer",
        "generation_time": env.generation_time,
    }


def data_body(
    kind: str, data: dict[str, Any], *, record_id: str, rsu_id: str, at: float
) -> dict[str, Any]:
    """Objects, events, stats: the common envelope around ``data``."""
    return {
        "id": record_id,
        "rsu_id": rsu_id,
        "kind": kind,
        "at": utc_iso(at),
        "data": data,
        "schema": SCHEMA,
    }
