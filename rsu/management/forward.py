"""Received-message forwarding (``rsuReceivedMsgTable``), sans-I/O: which frames go where.

For each active row: a received message of the row's PSID, at or above its RSSI threshold and
inside its delivery window, is "marked" every ``interval``-th time (NTCIP 1218: a value of 2
forwards messages 1, 3, 5 ... of those that match; 0 and 1 forward them all) and handed back
as a ``Datagram`` for the UDP edge: the bare MessageFrame (``secure`` = 0), or the frame as
received with its IEEE 1609.2 / WSMP headers (``secure`` = 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rsu.management import smi
from rsu.management.tables import Row


@dataclass(frozen=True, slots=True)
class Rule:
    index: int
    psid: int
    host: str
    port: int
    rssi: int
    interval: int
    start: float | None
    stop: float | None
    secure: bool


@dataclass(frozen=True, slots=True)
class Datagram:
    host: str
    port: int
    data: bytes
    rule: int


@dataclass(slots=True)
class _RuleState:
    matched: int = 0
    forwarded: int = 0


def rule_of(row: Row) -> Rule | None:
    """The forwarding rule of an active row (None: not active, or nowhere to send)."""
    cells = row.as_dict()
    if cells[10] != smi.ACTIVE or not cells[3]:
        return None
    psid_raw, dest, start, stop = cells[2], cells[3], cells[8], cells[9]
    assert isinstance(psid_raw, bytes)
    assert isinstance(dest, bytes)
    assert isinstance(start, bytes)
    assert isinstance(stop, bytes)
    return Rule(
        index=row.index,
        psid=smi.decode_psid(psid_raw),
        host=smi.decode_address(dest),
        port=int(cells[4]),
        rssi=int(cells[6]),
        interval=int(cells[7]),
        start=smi.decode_time(start),
        stop=smi.decode_time(stop),
        secure=cells[11] == 1,
    )


@dataclass(slots=True)
class Forwarder:
    rules: tuple[Rule, ...] = ()
    state: dict[int, _RuleState] = field(default_factory=dict)

    def set_rows(self, rows: dict[int, Row]) -> None:
        rules = [r for r in (rule_of(row) for row in rows.values()) if r is not None]
        self.rules = tuple(sorted(rules, key=lambda r: r.index))
        self.state = {r.index: self.state.get(r.index, _RuleState()) for r in self.rules}

    def on_message(
        self, psid: int | None, rssi: int | None, bare: bytes, received: bytes, utc: float
    ) -> list[Datagram]:
        out = []
        for rule in self.rules:
            if psid != rule.psid or (rssi is not None and rssi < rule.rssi):
                continue
            if (rule.start is not None and utc < rule.start) or (
                rule.stop is not None and utc >= rule.stop
            ):
                continue
            st = self.state[rule.index]
            st.matched += 1
            if rule.interval > 1 and (st.matched - 1) % rule.interval:
                continue
            st.forwarded += 1
            data = received if rule.secure else bare
            out.append(Datagram(rule.host, rule.port, data, rule.index))
        return out

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            str(i): {"matched": s.matched, "forwarded": s.forwarded} for i, s in self.state.items()
        }
