"""Emulated radios: the module firmware on a pty, or a commercial RSU on loopback UDP.

Both take what the actors broadcast (``hear``), keep what the daemon transmits with its time
(``transmissions``) and take faults (garbage, bit errors, unplug/replug).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.messages import TxRequestMsg, TxResult
from rsu.radio.rsu41_peer import CommercialRsuEmulator
from rsu.radio.sniff import sniff


@dataclass(frozen=True, slots=True)
class Transmission:
    """One thing the daemon put on the air."""

    at: float  # harness monotonic time
    message_type: str
    psid: int
    channel: int
    payload: bytes


class SerialRadio(FirmwareEmulator):
    """The radio module's firmware (``firmware_bridge``) with timestamped transmissions."""

    backend = "serial"

    def __init__(self, link: Path) -> None:
        super().__init__(str(link))
        self.sent: list[Transmission] = []
        self.unplugged = False

    def _transmit(self, seq: int, msg: TxRequestMsg) -> TxResult:
        result = super()._transmit(seq, msg)
        mtype = sniff(msg.payload).message_type or "UNKNOWN"
        self.sent.append(Transmission(time.monotonic(), mtype, msg.psid, msg.channel, msg.payload))
        return result

    def hear(self, payload: bytes, psid: int, channel: int = 172, rssi: int = -60) -> None:
        if not self.unplugged:
            self.inject_rx(payload, psid=psid, channel=channel, rssi=rssi)

    def garbage(self, data: bytes) -> None:
        if not self.unplugged:
            self.inject_garbage(data)

    def corrupt(self, frames: int) -> None:
        self.corrupt_next(frames)

    def unplug(self) -> None:
        self.unplugged = True
        super().unplug()

    def replug(self) -> None:
        super().replug()
        self.unplugged = False

    def transmissions(self) -> list[Transmission]:
        return list(self.sent)


class Rsu41Peer(CommercialRsuEmulator):
    """The commercial RSU (``rsu.radio.rsu41_peer``) with faults: while unplugged it forwards
    nothing and what the daemon sends it is not transmitted; ``corrupt`` flips a bit in the
    next frames it forwards."""

    backend = "rsu41"

    def __init__(self, daemon_port: int) -> None:
        super().__init__(forward_to=("127.0.0.1", daemon_port), log_size=1_000_000)
        self.unplugged = False
        self._corrupt = 0
        self._unplugged_at: list[tuple[float, float]] = []  # (from, to) monotonic
        self._since = 0.0

    def hear(self, payload: bytes, psid: int, channel: int = 172, rssi: int = -60) -> None:
        if self.unplugged:
            return
        if self._corrupt > 0:
            self._corrupt -= 1
            buf = bytearray(payload)
            buf[len(buf) // 2] ^= 0x10
            payload = bytes(buf)
        self._send(payload)

    def garbage(self, data: bytes) -> None:
        self._send(data)

    def _send(self, data: bytes) -> None:
        if not self.unplugged:
            with contextlib.suppress(OSError):
                self.forward(data)

    def corrupt(self, frames: int) -> None:
        self._corrupt += frames

    def unplug(self) -> None:
        """The RSU goes away: nothing is forwarded, nothing is transmitted."""
        self.unplugged, self._since = True, time.monotonic()

    def replug(self) -> None:
        self.unplugged = False
        self._unplugged_at.append((self._since, time.monotonic()))

    def _was_unplugged(self, at: float) -> bool:
        return (self.unplugged and at >= self._since) or any(
            a <= at < b for a, b in self._unplugged_at
        )

    def transmissions(self) -> list[Transmission]:
        out = []
        for d in list(self.ifm_log):
            if self._was_unplugged(d.received):
                continue
            f = d.fields
            try:
                psid, channel = int(f["PSID"], 16), int(f["TxChannel"])
                out.append(Transmission(d.received, f["Type"], psid, channel, d.payload))
            except (ValueError, KeyError):
                continue  # the peer counts what it cannot parse; a field missing is the same
        return out


class BenchRadio:
    """A real radio on the bench (``--radio-port``): the harness cannot put frames on the air
    through it nor see what it sends, so actors are silent and radio checks see nothing (use
    real OBUs or a second radio as the road, and ``counter`` checks on the daemon's stats)."""

    backend = "bench"
    unplugged = False

    def hear(self, payload: bytes, psid: int, channel: int = 172, rssi: int = -60) -> None:
        return None

    def garbage(self, data: bytes) -> None:
        return None

    def corrupt(self, frames: int) -> None:
        return None

    def unplug(self) -> None:
        return None

    def replug(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def transmissions(self) -> list[Transmission]:
        return []
