"""The radio module's firmware over a serial port (firmware_bridge/PROTOCOL.md), via pyserial.

One reader thread owns the port: it connects, says HELLO (a different protocol major version is
a ``ProtocolVersionError``, reported by ``wait_ready`` and ``health``), then turns RX_PDU frames
into ``RxFrame`` values and matches TX_RESULT frames to what ``send`` wrote. When the device
disappears it reconnects with exponential backoff (``reconnect_min_s`` .. ``reconnect_max_s``).
"""

from __future__ import annotations

import contextlib
import threading
import time  # link timeouts are real time even when frames are stamped by a FakeClock
from dataclasses import dataclass, field

import serial
import structlog

from firmware_bridge.framing import MAX_PAYLOAD, Frame, FrameDecoder
from firmware_bridge.messages import (
    PROTOCOL_MAJOR,
    PROTOCOL_MINOR,
    TX_STATUS_NAMES,
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
from rsu.clock import Clock
from rsu.errors import ProtocolVersionError, RadioError, RadioTimeoutError
from rsu.queues import BoundedQueue
from rsu.radio.config import RadioConfig
from rsu.radio.sniff import report_bad, sniff
from rsu.radio.types import RadioCounters
from rsu.reader import Backoff, Reader
from rsu.wire import RxFrame, TxLimits, TxRequest

log = structlog.get_logger(__name__)
MAX_PENDING = 256


@dataclass(slots=True)
class _Waiter:
    request: TxRequest | None
    event: threading.Event = field(default_factory=threading.Event)
    reply: Message | None = None


def _mismatch(port: str, hello: Hello) -> str:
    return (
        f"{port}: firmware {hello.firmware!r} speaks protocol {hello.major}.{hello.minor}, "
        f"this host speaks {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}"
    )


class SerialRadio(Reader):
    """Serial backend; one reader thread, writes from the caller's thread under a lock."""

    name = "serial"
    thread_name = "radio-serial"
    down_event = "radio_link_down"
    device_errors = (serial.SerialException, OSError, RadioError)
    limits = TxLimits("serial", channels=(0, 0xFFFF), max_payload=MAX_PAYLOAD)
    """TX_REQUEST carries psid u32, channel u16 and at most MAX_PAYLOAD bytes."""

    def __init__(self, config: RadioConfig, clock: Clock, queue: BoundedQueue[RxFrame]) -> None:
        super().__init__(Backoff(config.serial.reconnect_min_s, config.serial.reconnect_max_s))
        self._cfg = config.serial
        self._clock = clock
        self.rx = queue
        self.counters = RadioCounters()
        self.firmware: Hello | None = None
        self.last_status: Status | None = None
        self.last_time: TimeInfo | None = None
        self.fatal: RadioError | None = None
        self._port: serial.Serial | None = None
        self._decoder = FrameDecoder(name="serial")
        self._seq = 0
        self._write_lock = threading.Lock()
        self._pending: dict[int, _Waiter] = {}
        self._requests: dict[int, _Waiter] = {}  # STATUS / TIME / HELLO by frame type
        self._ready = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        self._close()

    @property
    def reconnects(self) -> int:
        return self.reopens

    def wait_ready(self, timeout: float) -> None:
        """Block until the HELLO handshake succeeded; raise the reason if it did not."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.02):
            if self.fatal is not None:
                raise self.fatal
            if time.monotonic() >= deadline:
                break
        else:
            return
        raise RadioTimeoutError(f"radio.serial.port {self._cfg.port}: no firmware handshake")

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def _open(self) -> None:
        self._connect()

    def _read(self) -> None:
        self._pump()

    def _on_failure(self, err: BaseException, *, unexpected: bool) -> None:
        if isinstance(err, ProtocolVersionError):
            self.fatal = err
        super()._on_failure(err, unexpected=unexpected)

    def _log_fields(self) -> dict[str, object]:
        return {"port": self._cfg.port}

    def _connect(self) -> None:
        self._port = serial.Serial(self._cfg.port, self._cfg.baudrate, timeout=0.05)
        self._decoder = FrameDecoder(name="serial")
        waiter = self._expect(Hello.TYPE)
        self._write(Hello(PROTOCOL_MAJOR, PROTOCOL_MINOR, 0, "rsu-edge host"))
        deadline = time.monotonic() + self._cfg.hello_timeout_s
        while not waiter.event.is_set():
            if time.monotonic() > deadline or self.stopping:
                raise RadioTimeoutError(f"{self._cfg.port}: no HELLO from firmware")
            self._pump()
        hello = waiter.reply
        assert isinstance(hello, Hello)
        if hello.major != PROTOCOL_MAJOR:
            raise ProtocolVersionError(_mismatch(self._cfg.port, hello))
        self.firmware = hello
        self.fatal = None
        self._ready.set()
        log.info("radio_connected", port=self._cfg.port, firmware=hello.firmware)

    def _close(self) -> None:
        self._ready.clear()
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        for waiter in [*self._pending.values(), *self._requests.values()]:
            waiter.event.set()  # wake callers; reply stays None
        self._pending.clear()
        self._requests.clear()

    # --- reading --------------------------------------------------------------------------

    def _pump(self) -> None:
        port = self._port
        if port is None:
            raise RadioError("port closed")
        data = port.read(max(1, port.in_waiting))
        if data:
            for frame in self._decoder.feed(data):
                self._dispatch(frame)

    def _dispatch(self, frame: Frame) -> None:
        try:
            msg = decode_message(frame.type, frame.payload)
        except ValueError as err:
            report_bad(log, self.counters, "bad_body", frame.payload, error=str(err))
            return
        if isinstance(msg, RxPdu):
            self._on_rx(msg)
        elif isinstance(msg, TxResult):
            self._on_result(msg)
        elif isinstance(msg, ErrorMsg):
            log.warning("firmware_error", code=msg.code, ref_seq=msg.ref_seq, text=msg.text)
            self.counters.bad("firmware_error")
        else:
            if isinstance(msg, Status):
                self.last_status = msg
            elif isinstance(msg, TimeInfo):
                self.last_time = msg
            waiter = self._requests.pop(frame.type, None)
            if waiter is not None:
                waiter.reply = msg
                waiter.event.set()
            elif isinstance(msg, Hello) and msg.major != PROTOCOL_MAJOR:
                # unsolicited HELLO: the firmware rebooted, maybe into another version
                raise ProtocolVersionError(_mismatch(self._cfg.port, msg))

    def _on_rx(self, pdu: RxPdu) -> None:
        psid = pdu.psid or sniff(pdu.payload).psid
        self.counters.received(psid)
        utc = pdu.rx_time_us / 1e6 if pdu.rx_time_us else self._clock.time()
        self.rx.put(
            RxFrame(
                pdu.payload, self._clock.monotonic(), utc, pdu.channel, pdu.rssi, psid, self.name
            )
        )

    def _on_result(self, result: TxResult) -> None:
        waiter = self._pending.pop(result.ack_seq, None)
        if waiter is None:
            self.counters.bad("unmatched_tx_result")
            return
        req = waiter.request
        if req is not None:
            mtype = req.message_type or sniff(req.payload).message_type
            if result.ok:
                self.counters.sent(req.psid, mtype)
            else:
                self.counters.send_failed(req.psid, mtype)
                log.warning("radio_tx_rejected", status=TX_STATUS_NAMES.get(result.status))
        waiter.reply = result
        waiter.event.set()

    # --- writing --------------------------------------------------------------------------

    def _expect(self, ftype: int) -> _Waiter:
        waiter = _Waiter(None)
        self._requests[ftype] = waiter
        return waiter

    def _write(self, msg: Message, waiter: _Waiter | None = None) -> int:
        with self._write_lock:
            port = self._port
            if port is None:
                raise RadioError("radio not connected")
            self._seq = (self._seq + 1) & 0xFFFF
            seq = self._seq
            if waiter is not None:
                self._pending[seq] = waiter
            try:
                port.write(message_frame(msg, seq))
            except BaseException:
                self._pending.pop(seq, None)
                raise
        return seq

    def _submit(self, request: TxRequest) -> _Waiter | None:
        msg = TxRequestMsg(
            request.psid,
            request.channel,
            request.priority,
            request.tx_power_dbm or self._cfg.tx_power_dbm,
            request.payload,
        )
        if len(self._pending) >= MAX_PENDING:  # results lost: forget the oldest
            self._pending.pop(next(iter(self._pending)), None)
            self.counters.bad("tx_result_lost")
        waiter = _Waiter(request)
        try:
            self._write(msg, waiter)
        except (RadioError, serial.SerialException, OSError) as err:
            self.counters.send_failed(request.psid, request.message_type)
            report_bad(log, self.counters, "tx_link_down", request.payload, error=str(err))
            return None
        return waiter

    def send(self, request: TxRequest) -> bool:
        """Write one TX_REQUEST; the TX_RESULT is counted when it arrives."""
        if not self._ready.is_set():
            self.counters.send_failed(request.psid, request.message_type)
            return False
        return self._submit(request) is not None

    def transmit(self, request: TxRequest, timeout: float = 1.0) -> TxResult:
        """Send and wait for the firmware's TX_RESULT (tests, bench and ``rsu radio send``)."""
        waiter = self._submit(request) if self._ready.is_set() else None
        if waiter is None or not waiter.event.wait(timeout) or waiter.reply is None:
            raise RadioTimeoutError(f"{self._cfg.port}: no TX_RESULT within {timeout}s")
        assert isinstance(waiter.reply, TxResult)
        return waiter.reply

    def request(self, ftype: int, timeout: float = 1.0) -> Message:
        """Ask for STATUS (0x30) or TIME (0x40) and wait for the answer."""
        waiter = self._expect(ftype)
        try:
            self._write(Request(ftype))
        except (serial.SerialException, OSError) as err:
            raise RadioError(f"{self._cfg.port}: {err}") from err
        if not waiter.event.wait(timeout) or waiter.reply is None:
            raise RadioTimeoutError(f"{self._cfg.port}: no answer to 0x{ftype:02x}")
        return waiter.reply

    def health(self) -> dict[str, object]:
        st = self._decoder.stats
        return {
            "backend": self.name,
            "port": self._cfg.port,
            "connected": self.connected,
            "firmware": self.firmware.firmware if self.firmware else None,
            "error": str(self.fatal) if self.fatal else None,
            "reconnects": self.reconnects,
            "link": {
                "frames": st.frames,
                "crc_errors": st.crc_errors,
                "errors": st.errors,
                "by_reason": dict(st.by_reason),
            },
            "rx_queue": len(self.rx),
            "rx_dropped": self.rx.dropped,
            "counters": self.counters.snapshot(),
        }
