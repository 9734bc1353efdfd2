"""The daemon side of the agent: the tables, and what a checked ``Change`` does. Sans-I/O.

Owned by the core thread. ``apply(change, utc)`` validates the rows the PDU touched the way
the config and cloud commands are validated (a store-and-repeat or immediate-forward payload
must decode as a MessageFrame of the RSU's standard; the interval is the config's 10 ms to
1 h; the window's stop after its start; a forwarding row needs a destination), then commits
the whole PDU and returns what the core is to do, as ``rsu.stage.Outputs``: broadcast entries
to upsert or remove (keys ``snmp-srm-<row>``, source ``snmp``), a mode, one-shot
transmissions. Nothing is applied when any row is refused (``ManagementError`` names the
varbind).

A row whose options ask for IEEE 1609.2 signing (``rsuMsgRepeatOptions`` / ``rsuIFMOptions``:
bit 0 "process 1609.2" set and bit 1 "unsecured" clear) becomes an entry or transmission with
``sign`` set, and only where the security layer can sign its PSID: otherwise the SET is
``inconsistentValue`` (never a silent unsigned broadcast), and such a row read back from the
state file is kept (a manager sees and fixes it) but not broadcast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rsu.errors import DecodeError, ManagementError
from rsu.management import smi
from rsu.management.forward import Forwarder
from rsu.management.tables import IFM, MSG_REPEAT, RECEIVED_MSG, TABLES, Row
from rsu.management.writes import Change, RowChange
from rsu.stage import ModeChange, Outputs
from rsu.wire import BroadcastMessage, TxRequest

KEY_PREFIX = "snmp-srm-"
INTERVAL_MS = (10, 3_600_000)
"""The config's range for ``broadcast.messages[].interval_ms``: the same for SNMP rows."""
PROCESS_1609_2, UNSECURED = 0x80, 0x40
"""rsuMsgRepeatOptions / rsuIFMOptions, BITS with bit 0 first: bit 0 set = the RSU does the
1609.2 processing (clear: the payload carries its own, sent as it is), bit 1 set = unsecured
(clear: signed)."""

Decode = Callable[[bytes], Any]
"""The codec's ``decode`` (a V2xMessage with ``short_name``; DecodeError when not a frame)."""
Signing = Callable[[int], str | None]
"""The security layer's answer for a p-encoded PSID: why it cannot sign it (None: it can)."""
NO_SIGNER = "signing needs the 1609.2 security layer ([security] with a certificate and key)"


class _Invalid(Exception):
    def __init__(self, status: str, column: int, message: str) -> None:
        super().__init__(message)
        self.status, self.column = status, column


def wants_signing(options: object) -> bool:
    """The options of a row ask for its messages to be signed by the RSU."""
    return (
        isinstance(options, bytes)
        and bool(options[:1])
        and (options[0] & (PROCESS_1609_2 | UNSECURED) == PROCESS_1609_2)
    )


@dataclass(slots=True)
class Management:
    decode: Decode
    signing: Signing | None = None
    """None: the daemon has no security layer, and a row asking for signing is refused."""
    tables: dict[str, dict[int, Row]] = field(default_factory=lambda: {t.name: {} for t in TABLES})
    location_desc: str = ""
    forwarder: Forwarder = field(default_factory=Forwarder)

    def apply(self, change: Change, utc: float) -> Outputs:
        tables = {name: dict(rows) for name, rows in self.tables.items()}
        if change.delete_all_repeat:
            tables[MSG_REPEAT.name] = {}
        for rc in change.rows:
            if rc.row is None:
                tables[rc.table].pop(rc.index, None)
            else:
                tables[rc.table][rc.index] = rc.row
        transmit = []
        for rc in change.rows:
            try:
                tx = self._check(rc, utc)
            except _Invalid as err:
                raise ManagementError(err.status, rc.position(err.column), str(err)) from err
            if tx is not None:
                transmit.append(tx)
        upserts, removes = self._broadcast(self.tables, tables)
        self.tables = tables
        if change.location_desc is not None:
            self.location_desc = change.location_desc
        self.forwarder.set_rows(tables[RECEIVED_MSG.name])
        mode = ModeChange(change.mode, "snmp", change.user) if change.mode else None
        return Outputs(upserts=upserts, removals=removes, transmissions=tuple(transmit), mode=mode)

    def restore(self, tables: dict[str, dict[int, Row]]) -> Outputs:
        """Rows read back from the state file; rows the daemon cannot use any more are kept
        (a manager sees and fixes them) but not broadcast."""
        self.tables = {t.name: dict(tables.get(t.name, {})) for t in TABLES}
        self.forwarder.set_rows(self.tables[RECEIVED_MSG.name])
        upserts, _ = self._broadcast({}, self.tables)
        return Outputs(upserts=upserts)

    def _check(self, rc: RowChange, utc: float) -> TxRequest | None:
        row = rc.row
        if row is None:
            return None
        _window(row, (5, 6) if rc.table == MSG_REPEAT.name else (8, 9))
        if rc.table == MSG_REPEAT.name:
            self.message(row)
        elif rc.table == RECEIVED_MSG.name and row.get(10) == smi.ACTIVE and not row.get(3):
            raise _Invalid("inconsistentValue", 3, "an active row needs rsuReceivedMsgDestIpAddr")
        elif rc.table == IFM.name and any(sub == 8 for sub, _ in rc.varbinds):
            return self._immediate(row)
        return None

    def message(self, row: Row) -> BroadcastMessage | None:
        """The store-and-repeat entry of a row (None: not active, disabled or empty)."""
        c = row.as_dict()
        payload, psid, start, stop = c[7], c[2], c[5], c[6]
        assert isinstance(payload, bytes)
        assert isinstance(psid, bytes)
        assert isinstance(start, bytes)
        assert isinstance(stop, bytes)
        interval = int(c[4])
        if not INTERVAL_MS[0] <= interval <= INTERVAL_MS[1]:
            raise _Invalid("wrongValue", 4, f"txInterval: {INTERVAL_MS[0]}..{INTERVAL_MS[1]} ms")
        sign = self._sign(c[11], psid, 11)
        if c[9] != smi.ACTIVE or c[8] != 1 or not payload:
            return None
        return BroadcastMessage(
            key=f"{KEY_PREFIX}{row.index}",
            psid=smi.decode_psid(psid),
            channel=int(c[3]),
            interval_ms=interval,
            priority=min(int(c[10]), 7),  # 1218's 0..63 onto the scheduler's 1609.3 0..7
            payload=payload,
            message_type=_decoded(payload, self.decode, 7),
            start=smi.decode_time(start),
            stop=smi.decode_time(stop),
            source="snmp",
            sign=sign,
        )

    def _immediate(self, row: Row) -> TxRequest | None:
        c = row.as_dict()
        payload, psid = c[8], c[2]
        assert isinstance(payload, bytes)
        assert isinstance(psid, bytes)
        sign = self._sign(c[7], psid, 7)
        if c[5] != smi.ACTIVE or c[4] != 1 or not payload:
            return None
        return TxRequest(
            payload=payload,
            psid=smi.decode_psid(psid),
            channel=int(c[3]),
            priority=min(int(c[6]), 7),
            message_type=_decoded(payload, self.decode, 8),
            key=f"snmp-ifm-{row.index}",
            sign=sign,
        )

    def _sign(self, options: object, psid: bytes, column: int) -> bool:
        """Whether the row's messages are to be signed; ``_Invalid`` when they cannot be."""
        if not wants_signing(options):
            return False
        problem = NO_SIGNER if self.signing is None else self.signing(smi.decode_psid(psid))
        if problem is not None:
            raise _Invalid("inconsistentValue", column, f"1609.2 signing asked for: {problem}")
        return True

    def _broadcast(
        self, old: dict[str, dict[int, Row]], new: dict[str, dict[int, Row]]
    ) -> tuple[tuple[BroadcastMessage, ...], tuple[str, ...]]:
        """The entries of the ``new`` store-and-repeat rows (a row that cannot be one is left
        out), and the keys of ``old`` rows that are no entry any more."""
        upserts: list[BroadcastMessage] = []
        live: set[str] = set()
        for row in new.get(MSG_REPEAT.name, {}).values():
            try:
                msg = self.message(row)
            except _Invalid:
                msg = None
            if msg is not None:
                upserts.append(msg)
                live.add(msg.key)
        gone = {f"{KEY_PREFIX}{i}" for i in old.get(MSG_REPEAT.name, {})} - live
        return tuple(upserts), tuple(sorted(gone))


def _window(row: Row, columns: tuple[int, int]) -> None:
    start_raw, stop_raw = row.get(columns[0]), row.get(columns[1])
    assert isinstance(start_raw, bytes)
    assert isinstance(stop_raw, bytes)
    start, stop = smi.decode_time(start_raw), smi.decode_time(stop_raw)
    if start is not None and stop is not None and stop <= start:
        raise _Invalid("inconsistentValue", columns[1], "delivery stop is not after its start")


def _decoded(payload: bytes, decode: Decode, column: int) -> str:
    try:
        return str(decode(payload).short_name)
    except DecodeError as err:
        raise _Invalid("wrongValue", column, f"payload is not a MessageFrame: {err}") from err
