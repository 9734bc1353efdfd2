"""Received-message records made ahead, where the message was decoded (a worker process).

``Uplink.submit_message`` builds a record's body and the spool encodes it to JSON: about a
third of the receive path's CPU per BSM (``bench/stages.py``). ``RecordMaker`` does that work
wherever the frame was decoded, and hands back a ``Prepared``: the record's JSON without its
id, plus what the uplink's policy gate needs (type, sender, whether the type's value filters
passed). ``Uplink.submit_prepared`` then only admits it (sampling and rate state stay in the
one uplink), gives it its id and queues it for the spool: the JSON is exactly what
``submit_message`` would have spooled for the same message at the same time.

Pure apart from the clock value passed in; the dialect and policies come from the same
``UplinkConfig`` the uplink was built from (a worker builds its own ``RecordMaker`` from it).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rsu.uplink.config import UplinkConfig
from rsu.uplink.dialects import make_dialect
from rsu.uplink.packing import encode_body
from rsu.uplink.policy import PolicyGate
from rsu.uplink.records import Origin, message_body, sender_id
from rsu.v2x.message import V2xMessage

_HEAD = b'{"id":"",'
"""How the JSON of a body made with an empty id starts (``id`` is its first field)."""


class Prepared(NamedTuple):
    """One received message's record, made ahead. A named tuple, not a frozen dataclass:
    it crosses a process boundary per record, and a tuple pickles about 4x cheaper (a slots
    dataclass is rebuilt field by field); send ``tuple(p)`` and rebuild with ``_make``."""

    short_name: str
    sender: str | None
    passed: bool
    """The value filters of the type's upload policy passed (sampling and rate: the uplink's)."""
    received_at: float
    tail: bytes
    """The record's compact JSON after its id: ``{"id":"<id>",`` + ``tail`` is the record."""

    def payload(self, record_id: str) -> bytes:
        return b'{"id":"' + record_id.encode("ascii") + b'",' + self.tail


class RecordMaker:
    """Makes ``Prepared`` records as ``Uplink.submit_message`` would make the record."""

    def __init__(self, config: UplinkConfig) -> None:
        self.config = config
        self.dialect = make_dialect(config)
        self.gate = PolicyGate(config.policies, config.default_policy())

    def prepare(
        self,
        msg: V2xMessage,
        *,
        received_at: float,
        origin: Origin | None = None,
        verification: dict[str, Any] | None = None,
    ) -> Prepared:
        short = msg.short_name
        pol = self.gate.policy(short)
        profile = pol.payload or self.config.payload
        rsu_id = self.config.rsu_id
        body = message_body(
            msg,
            record_id="",
            rsu_id=rsu_id,
            received_at=received_at,
            origin=origin,
            verification=verification,
            profile=profile,
        )
        body.update(self.dialect.message_fields(msg, rsu_id, received_at, profile))
        data = encode_body(body)
        if not data.startswith(_HEAD):  # message_body puts the id first: a bug if not
            raise AssertionError("a record body must start with its id")
        return Prepared(
            short,
            sender_id(msg),
            self.gate.filters_pass(short, msg.value),
            received_at,
            data[len(_HEAD) :],
        )
