"""An emulator of the radio module's firmware on a pseudo-terminal.

The host opens ``emulator.path`` (a symlink to the pty's slave, like ``/dev/serial/by-id/...``)
with pyserial exactly as it would open the real USB-serial device. The emulator answers HELLO,
TX_REQUEST, STATUS and TIME requests, sends RX_PDU frames on ``inject_rx`` and can inject
faults: garbage bytes, bit errors in its next frames, stalls, and unplug/replug (the pty is
closed and a new one appears behind the same symlink).

Run it stand-alone for ``rsu demo`` or the HIL harness::

    python -m firmware_bridge.emulator --link /tmp/rsu-radio0 --replay vectors.jsonl --rate 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import threading
import time
import tty
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from firmware_bridge.framing import Frame, FrameDecoder
from firmware_bridge.messages import (
    CAP_RX,
    CAP_STATUS,
    CAP_TIME,
    CAP_TX,
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    TX_BAD_CHANNEL,
    TX_OK,
    TX_RADIO_OFF,
    ErrorMsg,
    Hello,
    Message,
    Request,
    RxPdu,
    Status,
    TimeInfo,
    TxRequestMsg,
    TxResult,
    decode_message,
    message_frame,
)

VALID_CHANNELS = frozenset({172, 174, 176, 178, 180, 182, 184, 175, 181, 183})


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """How the emulated firmware identifies itself and behaves."""

    major: int = PROTOCOL_MAJOR
    minor: int = PROTOCOL_MINOR
    firmware: str = "rsu-emu 1.0.0"
    temperature_centi_c: int = 4150
    tx_log_size: int = 10_000


class FirmwareEmulator:
    """The firmware side of the serial link, served on a pty by one thread."""

    def __init__(self, link: str, config: EmulatorConfig | None = None) -> None:
        self.link = link
        self.cfg = config or EmulatorConfig()
        self.tx_log: deque[TxRequestMsg] = deque(maxlen=self.cfg.tx_log_size)
        self.host_hellos = 0
        self.tx_count = 0
        self.rx_count = 0
        self.error_count = 0
        self.radio_on = True
        self._master = -1
        self._slave = -1
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stall_until = 0.0
        self._corrupt_next = 0
        self.decoder = FrameDecoder(name="emulator")

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def path(self) -> str:
        return self.link

    def start(self) -> FirmwareEmulator:
        self._plug()
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="fw-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._unplug()

    def __enter__(self) -> FirmwareEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        with self._lock:
            self._master, self._slave = master, slave
            self.decoder = FrameDecoder(name="emulator")
        tmp = f"{self.link}.tmp{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.link)

    def _unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.link)
        with self._lock:
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1

    # --- faults ---------------------------------------------------------------------------

    def unplug(self) -> None:
        """The USB cable is pulled: the device node disappears and the host's fd goes dead."""
        self._unplug()

    def replug(self) -> None:
        """The device comes back (a new pty behind the same link path)."""
        self._plug()

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes (line noise, a boot banner...) to the host."""
        self._write(data)

    def corrupt_next(self, frames: int = 1) -> None:
        """Flip one bit in each of the next ``frames`` frames sent to the host."""
        with self._lock:
            self._corrupt_next += frames

    def stall(self, seconds: float) -> None:
        """Stop reading and answering for ``seconds`` (a firmware hang)."""
        self._stall_until = time.monotonic() + seconds

    # --- traffic --------------------------------------------------------------------------

    def inject_rx(
        self, payload: bytes, psid: int = 0x20, channel: int = 172, rssi: int = -60
    ) -> None:
        """The radio "hears" ``payload`` and forwards it to the host as RX_PDU."""
        self.rx_count += 1
        self.send(RxPdu(psid, channel, rssi, int(time.time() * 1e6), payload))

    def send(self, msg: Message) -> None:
        """Send one message to the host."""
        with self._lock:
            self._seq = (self._seq + 1) & 0xFFFF
            seq = self._seq
        self._write(message_frame(msg, seq))

    def status(self) -> Status:
        state = 3 if self.error_count and not self.radio_on else (2 if self.radio_on else 0)
        return Status(
            state, self.cfg.temperature_centi_c, self.tx_count, self.rx_count, self.error_count
        )

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._corrupt_next and len(data) > 2:
                self._corrupt_next -= 1
                buf = bytearray(data)
                i = len(buf) // 2
                buf[i] ^= 0x01 if buf[i] != 0x01 else 0x02
                data = bytes(buf)
            fd = self._master
            if fd < 0:
                return
            with contextlib.suppress(OSError):
                os.write(fd, data)

    # --- the firmware loop ----------------------------------------------------------------

    def _serve(self) -> None:
        held = b""  # bytes that arrived while stalled: answered when the stall ends
        while not self._stop.is_set():
            fd = self._master
            if fd < 0:
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.02)
                data = os.read(fd, 65536) if ready else b""
            except OSError:
                time.sleep(0.01)  # host side closed or we were unplugged; wait for it
                continue
            if time.monotonic() < self._stall_until:
                held = (held + data)[-65536:]  # a real UART FIFO is smaller still
                continue
            data, held = held + data, b""
            for frame in self.decoder.feed(data):
                self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        try:
            msg = decode_message(frame.type, frame.payload)
        except ValueError as err:
            self.error_count += 1
            self.send(ErrorMsg(1, frame.seq, str(err)))
            return
        reply = self._reply(frame.seq, msg)
        if reply is not None:
            self.send(reply)

    def _reply(self, seq: int, msg: Message) -> Message | None:
        if isinstance(msg, Hello):
            self.host_hellos += 1
            caps = CAP_TX | CAP_RX | CAP_TIME | CAP_STATUS
            return Hello(self.cfg.major, self.cfg.minor, caps, self.cfg.firmware)
        if isinstance(msg, TxRequestMsg):
            return self._transmit(seq, msg)
        if isinstance(msg, Request) and msg.type == Status.TYPE:
            return self.status()
        if isinstance(msg, Request) and msg.type == TimeInfo.TYPE:
            return TimeInfo(int(time.time() * 1e6), 1, 1)
        self.error_count += 1
        return ErrorMsg(2, seq, f"unexpected {type(msg).__name__} from host")

    def _transmit(self, seq: int, msg: TxRequestMsg) -> TxResult:
        now_us = int(time.time() * 1e6)
        if not self.radio_on:
            return TxResult(seq, TX_RADIO_OFF, now_us)
        if msg.channel not in VALID_CHANNELS:
            self.error_count += 1
            return TxResult(seq, TX_BAD_CHANNEL, now_us)
        self.tx_count += 1
        self.tx_log.append(msg)
        return TxResult(seq, TX_OK, now_us)


def _replay(emu: FirmwareEmulator, path: str, rate: float, stop_after: float) -> None:
    frames = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            frames.append(bytes.fromhex(item.get("outer_hex") or item["hex"]))
    start = time.monotonic()
    i = 0
    while frames and (stop_after <= 0 or time.monotonic() - start < stop_after):
        emu.inject_rx(frames[i % len(frames)])
        i += 1
        time.sleep(1.0 / rate)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="emulate the radio firmware on a pty")
    parser.add_argument("--link", required=True, help="symlink path for the device")
    parser.add_argument("--replay", help="JSON lines of frames (hex/outer_hex) to 'receive'")
    parser.add_argument("--rate", type=float, default=10.0, help="replayed frames per second")
    parser.add_argument("--seconds", type=float, default=0.0, help="stop after (0: forever)")
    args = parser.parse_args(argv)
    with FirmwareEmulator(args.link) as emu:
        print(f"firmware emulator on {emu.path}", flush=True)
        try:
            if args.replay:
                _replay(emu, args.replay, args.rate, args.seconds)
            else:
                end = time.monotonic() + args.seconds
                while args.seconds <= 0 or time.monotonic() < end:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
