"""Work beside a commercial RSU (USDOT RSU 4.1 / NTCIP 1218 interfaces) over UDP.

Receive: the RSU's received-message forwarding sends one UDP datagram per message heard on the
air, as captured (bare UPER, or 1609.2/WSMP-wrapped). Transmit: the RSU's immediate-forward
(IFM) port takes UDP text datagrams, one per transmission::

    Version=0.7
    Type=MAP
    PSID=0xE0000017
    Priority=7
    TxMode=CONT
    TxChannel=183
    TxInterval=0
    DeliveryStart=
    DeliveryStop=
    Signature=False
    Encryption=False
    Payload=0012839338023000205E96094D40DF4C2CA626C8...
"""

from __future__ import annotations

import socket
import struct
import threading
from datetime import UTC, datetime

import structlog

from rsu.clock import Clock
from rsu.errors import RadioError
from rsu.queues import BoundedQueue
from rsu.radio.config import RadioConfig
from rsu.radio.sniff import report_bad, sniff
from rsu.radio.types import RadioCounters
from rsu.reader import Backoff, Reader
from rsu.wire import RxFrame, TxLimits, TxRequest

log = structlog.get_logger(__name__)

SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)
"""Linux: each datagram carries the socket's count of datagrams the kernel dropped (a full
receive buffer) as ancillary data. Python's socket module does not name it on every build."""
_ANC_SPACE = socket.CMSG_SPACE(4)

IFM_VERSION = "0.7"
IFM_FIELDS = (
    "Version",
    "Type",
    "PSID",
    "Priority",
    "TxMode",
    "TxChannel",
    "TxInterval",
    "DeliveryStart",
    "DeliveryStop",
    "Signature",
    "Encryption",
    "Payload",
)


def _window_time(seconds: float | None) -> str:
    """RSU 4.1 delivery times are ``MM/DD/YYYY, HH:MM`` in UTC; empty when unset."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%m/%d/%Y, %H:%M")


def format_ifm(req: TxRequest) -> bytes:
    """The immediate-forward text datagram for ``req`` (pure).

    Every datagram is a one-shot ("immediate") forward, so ``TxInterval`` is 0: repetition is
    done by our own store-and-repeat scheduler, which sends one datagram per transmission.
    """
    mtype = req.message_type or sniff(req.payload).message_type or "UNKNOWN"
    values = (
        IFM_VERSION,
        mtype,
        f"0x{req.psid:X}",
        str(req.priority),
        req.tx_mode,
        str(req.channel),
        "0",
        _window_time(req.delivery_start),
        _window_time(req.delivery_stop),
        str(req.sign),
        str(req.encrypt),
        req.payload.hex().upper(),
    )
    return "".join(f"{k}={v}\n" for k, v in zip(IFM_FIELDS, values, strict=True)).encode()


def parse_ifm(data: bytes) -> dict[str, str]:
    """The fields of an IFM datagram (used by tests and by an RSU emulator); raises ValueError."""
    fields: dict[str, str] = {}
    for line in data.decode("ascii").splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"IFM line without '=': {line!r}")
        fields[key.strip()] = value.strip()
    return fields


class Rsu41Radio(Reader):
    """UDP backend: a reader thread on ``listen``, IFM datagrams to ``ifm_target``."""

    name = "rsu41"
    thread_name = "radio-rsu41"
    down_event = "radio_recv_error"
    limits = TxLimits("rsu41", channels=(0, 255))
    """IFM ``TxChannel`` is a 5.9 GHz channel number; PSID up to four octets."""

    def __init__(self, config: RadioConfig, clock: Clock, queue: BoundedQueue[RxFrame]) -> None:
        super().__init__(Backoff(0.05, 1.0))
        self._cfg = config.rsu41
        self._clock = clock
        self.rx = queue
        self.counters = RadioCounters()
        self._rx_sock: socket.socket | None = None
        self._tx_sock: socket.socket | None = None
        self._lock = threading.Lock()

    @property
    def listen_address(self) -> tuple[str, int]:
        """Where forwarded frames are received (the real port when ``listen`` used port 0)."""
        if self._rx_sock is None:
            return self._cfg.listen
        addr = self._rx_sock.getsockname()
        return str(addr[0]), int(addr[1])

    def start(self) -> None:
        """Bind ``listen`` now (a port that cannot be had is a RadioError at start), then read
        in the reader thread."""
        self._bind()
        super().start()
        log.info("radio_started", backend=self.name, listen=self.listen_address)

    def _bind(self) -> None:
        host, _ = self._cfg.listen
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        try:
            sock.bind(self._cfg.listen)
        except OSError as err:
            sock.close()
            raise RadioError(f"radio.rsu41.listen {self._cfg.listen}: {err}") from err
        sock.settimeout(0.2)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        except OSError:  # not Linux: the kernel's drops are not known here
            log.info("radio_kernel_drops_unknown", backend=self.name)
        self._rx_sock = sock

    def stop(self, timeout: float = 2.0) -> None:
        super().stop(timeout)
        for sock in (self._rx_sock, self._tx_sock):
            if sock is not None:
                sock.close()
        self._rx_sock = self._tx_sock = None

    def _open(self) -> None:
        if self._rx_sock is None:  # after a failure: bind again
            self._bind()

    def _close(self) -> None:
        if self.stopping:
            return  # stop() closes both sockets
        sock, self._rx_sock = self._rx_sock, None
        if sock is not None:
            sock.close()

    def _read(self) -> None:
        sock = self._rx_sock
        assert sock is not None
        try:
            data, anc, _, peer = sock.recvmsg(self._cfg.max_datagram + 1, _ANC_SPACE)
        except TimeoutError:
            return
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(value) >= 4:
                self.counters.kernel_dropped = struct.unpack("=I", value[:4])[0]
        self._on_datagram(data, peer)

    def _log_fields(self) -> dict[str, object]:
        return {"backend": self.name}

    def _on_datagram(self, data: bytes, peer: object) -> None:
        if len(data) > self._cfg.max_datagram:
            report_bad(log, self.counters, "oversized", data, peer=str(peer), size=len(data))
            return
        found = sniff(data)
        if not found.is_v2x and self._cfg.require_v2x:
            report_bad(log, self.counters, "not_v2x", data, peer=str(peer))
            return
        self.counters.received(found.psid)
        self.rx.put(
            RxFrame(
                payload=data,
                rx_monotonic=self._clock.monotonic(),
                rx_utc=self._clock.time(),
                psid=found.psid,
                backend=self.name,
            )
        )

    def _sender(self) -> socket.socket:
        # A connected socket so that an ICMP "port unreachable" from a target that is down
        # surfaces as ConnectionRefusedError on a later send instead of vanishing.
        if self._tx_sock is None:
            host, _ = self._cfg.ifm_target
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.connect(self._cfg.ifm_target)
            self._tx_sock = sock
        return self._tx_sock

    def send(self, request: TxRequest) -> bool:
        datagram = format_ifm(request)
        mtype = request.message_type or sniff(request.payload).message_type
        with self._lock:
            try:
                self._sender().send(datagram)
            except OSError as err:
                self.counters.send_failed(request.psid, mtype)
                report_bad(log, self.counters, "ifm_target_down", request.payload, error=str(err))
                return False
        self.counters.sent(request.psid, mtype)
        return True

    def health(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "listen": f"{self.listen_address[0]}:{self.listen_address[1]}",
            "ifm_target": f"{self._cfg.ifm_target[0]}:{self._cfg.ifm_target[1]}",
            "running": self.running,
            "rx_queue": len(self.rx),
            "rx_dropped": self.rx.dropped,
            "kernel_dropped": self.counters.kernel_dropped,
            "counters": self.counters.snapshot(),
        }
