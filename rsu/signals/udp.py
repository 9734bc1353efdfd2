"""The ``tscbm`` source: a UDP socket where controllers send their broadcast message.

One reader thread per socket; each datagram becomes a ``Datagram`` (bytes, the sender's
``host:port``, the RSU's clocks at receipt) on the bounded signals queue. Parsing, address
checks and counting are the core's (``rsu.signals.core``). At most 246 bytes of a datagram are
read (one more than the largest TSCBM), so a larger one arrives truncated and is counted as
``oversized`` there, and the queue never holds large buffers.
"""

from __future__ import annotations

import socket
import threading
from typing import Protocol

import structlog

from rsu.clock import Clock
from rsu.errors import RsuError
from rsu.queues import BoundedQueue
from rsu.signals.config import SignalsConfig
from rsu.signals.model import Datagram, Report
from rsu.signals.tscbm import SIZE_WITH_PED

log = structlog.get_logger(__name__)
READ_SIZE = SIZE_WITH_PED + 1


class SignalsError(RsuError, OSError):
    """A signal controller source could not start (socket, SNMP engine)."""


class SignalSource(Protocol):
    """What every ``[signals] source`` backend is."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, object]: ...


def peer_name(address: object) -> str:
    """``("10.0.0.21", 5000)`` -> ``10.0.0.21:5000`` (IPv6 in brackets)."""
    if isinstance(address, tuple) and len(address) >= 2:
        host = str(address[0])
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return str(address)


def bind_udp(address: tuple[str, int], where: str) -> socket.socket:
    host = address[0]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise SignalsError(f"{where} {address[0]}:{address[1]}: {err.strerror or err}") from err
    return sock


class TscbmSource:
    """Listen on ``[signals] listen`` for TSCBM datagrams."""

    name = "tscbm"

    def __init__(
        self, config: SignalsConfig, clock: Clock, queue: BoundedQueue[Datagram | Report]
    ) -> None:
        self.config = config
        self.clock = clock
        self.queue = queue
        self.received = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port once started with port 0)."""
        if self._sock is None:
            return self.config.listen
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._sock = bind_udp(self.config.listen, f"{self.config.where}.listen")
        self._sock.settimeout(0.2)
        self._stop.clear()
        self._thread = threading.Thread(target=self._read, name="signals-tscbm", daemon=True)
        self._thread.start()
        log.info("signals_listening", source=self.name, listen=self.address)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data, peer = sock.recvfrom(READ_SIZE)
            except TimeoutError:
                continue
            except OSError as err:
                if self._stop.is_set():
                    return
                log.warning("signals_recv_error", error=str(err))
                continue
            self.received += 1
            now, utc = self.clock.monotonic(), self.clock.time()
            self.queue.put(Datagram(data, peer_name(peer), now, utc))

    def health(self) -> dict[str, object]:
        return {
            "source": self.name,
            "listen": f"{self.address[0]}:{self.address[1]}",
            "running": self._thread is not None and self._thread.is_alive(),
            "received": self.received,
            "queue": len(self.queue),
            "queue_dropped": self.queue.dropped,
        }
