"""Emulated radios: the module firmware on a pty, or a commercial RSU on loopback UDP.

Both take what the actors broadcast (``hear``), keep what the daemon transmits with its time
(``transmissions``) and take faults (garbage, bit errors, unplug/replug).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.messages import TxRequestMsg, TxResult
from rsu.radio.rsu41 import parse_ifm
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


class Rsu41Peer:
    """Plays the commercial RSU: forwards heard frames to the daemon's ``listen`` port and
    takes immediate-forward datagrams on the ``ifm_target`` port."""

    backend = "rsu41"

    def __init__(self, ifm_port: int, daemon_port: int) -> None:
        self.ifm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ifm.bind(("127.0.0.1", ifm_port))
        self.ifm.settimeout(0.1)
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.daemon = ("127.0.0.1", daemon_port)
        self.sent: list[Transmission] = []
        self.bad_ifm = 0
        self.unplugged = False
        self._corrupt = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hil-rsu41", daemon=True)

    def start(self) -> Rsu41Peer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.ifm.close()
        self.out.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.ifm.recv(65536)
            except (TimeoutError, OSError):
                continue
            try:
                f = parse_ifm(data)
                payload = bytes.fromhex(f["Payload"])
                tx = Transmission(
                    time.monotonic(), f["Type"], int(f["PSID"], 16), int(f["TxChannel"]), payload
                )
            except (ValueError, KeyError):
                self.bad_ifm += 1
                continue
            if not self.unplugged:
                self.sent.append(tx)

    def hear(self, payload: bytes, psid: int, channel: int = 172, rssi: int = -60) -> None:
        if self.unplugged:
            return
        if self._corrupt > 0:
            self._corrupt -= 1
            buf = bytearray(payload)
            buf[len(buf) // 2] ^= 0x10
            payload = bytes(buf)
        with contextlib.suppress(OSError):
            self.out.sendto(payload, self.daemon)

    def garbage(self, data: bytes) -> None:
        if not self.unplugged:
            with contextlib.suppress(OSError):
                self.out.sendto(data, self.daemon)

    def corrupt(self, frames: int) -> None:
        self._corrupt += frames

    def unplug(self) -> None:
        """The RSU goes away: nothing is forwarded, nothing is transmitted."""
        self.unplugged = True

    def replug(self) -> None:
        self.unplugged = False

    def transmissions(self) -> list[Transmission]:
        return list(self.sent)


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
