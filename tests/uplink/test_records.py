"""Records built from real decoded frames: every field of the received-message record."""

from __future__ import annotations

import json
import re

from rsu.uplink.records import SCHEMA, Origin, RecordIds, message_body, sender_id
from rsu.v2x.message import V2xMessage

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_received_message_record_fields(messages: list[V2xMessage]) -> None:
    wrapped = next(m for m in messages if m.outer is not None)
    body = message_body(
        wrapped,
        record_id="r1",
        rsu_id="rsu-0042",
        received_at=1_700_000_000.5,
        origin=Origin("sim", channel=172, rssi=-71.5),
    )
    assert body["id"] == "r1"
    assert body["rsu_id"] == "rsu-0042"
    assert body["received_at"] == "2023-11-14T22:13:20.500Z"
    assert ISO_MS.match(body["received_at"])
    assert body["message_type"] == wrapped.message_type
    assert body["message_id"] == wrapped.message_id
    assert body["raw"] == wrapped.raw.hex()
    assert body["raw"] == body["raw"].lower()
    assert body["outer"] == wrapped.outer.hex()
    assert body["security"]["kind"] == wrapped.envelope.kind != "bare"
    unchecked = "not_verified" if wrapped.envelope.kind == "signed" else "unsecured"
    assert body["security"]["result"] == unchecked  # no [security]: nobody verified it
    assert body["security"]["psid"] == wrapped.envelope.psid
    assert body["origin"] == {"backend": "sim", "channel": 172, "rssi": -71.5}
    assert body["decoded"] == wrapped.jer()
    assert body["schema"] == SCHEMA
    assert json.loads(json.dumps(body)) == body


def test_bare_frame_has_no_outer(messages: list[V2xMessage]) -> None:
    bare = next(m for m in messages if m.outer is None)
    body = message_body(bare, record_id="r", rsu_id="x", received_at=0.0)
    assert "outer" not in body
    assert body["origin"] == {"backend": "unknown"}


def test_bsm_sender_id_is_lower_case_hex(messages: list[V2xMessage]) -> None:
    bsm = next(m for m in messages if m.short_name == "BSM")
    sid = sender_id(bsm)
    assert sid is not None
    assert sid == bsm.value["coreData"]["id"].lower()


def test_record_ids_are_unique_and_time_ordered() -> None:
    ids = RecordIds(salt=b"\x01\x02\x03\x04")
    made = [ids.next(1_700_000_000.0 + i / 1000) for i in range(1000)]
    assert len(set(made)) == 1000
    assert made == sorted(made)
    assert all(len(i) == 30 and "01020304" in i for i in made)
    assert RecordIds().next(1.0) != RecordIds().next(1.0)
