"""The other side of the ``rsu41`` backend: an emulated commercial RSU (tests, HIL, demos).

It forwards "received" messages to our ``listen`` port, one datagram each, and listens on an
immediate-forward port, parsing every IFM datagram it gets (bounded log)::

    with CommercialRsuEmulator(forward_to=("127.0.0.1", 26789)) as rsu:
        config = Rsu41Config(ifm_target=rsu.ifm_address, ...)
        rsu.forward(frame_bytes)
        ...
        rsu.ifm_log[-1].fields["Type"]      # "MAP"
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

from rsu.radio.rsu41 import parse_ifm


@dataclass(frozen=True, slots=True)
class IfmDatagram:
    """One immediate-forward datagram as the emulated RSU received it."""

    received: float  # time.monotonic()
    fields: dict[str, str]

    @property
    def payload(self) -> bytes:
        return bytes.fromhex(self.fields.get("Payload", ""))


class CommercialRsuEmulator:
    """Forwards frames to ``forward_to``; receives IFM on ``ifm_address`` (port 0: any free)."""

    def __init__(
        self,
        forward_to: tuple[str, int],
        ifm_listen: tuple[str, int] = ("127.0.0.1", 0),
        log_size: int = 10_000,
    ) -> None:
        self.forward_to = forward_to
        self.ifm_log: deque[IfmDatagram] = deque(maxlen=log_size)
        self.bad_ifm = 0
        self._ifm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._ifm.bind(ifm_listen)
        self._ifm.settimeout(0.1)
        self._out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="rsu41-peer", daemon=True)

    @property
    def ifm_address(self) -> tuple[str, int]:
        host, port = self._ifm.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> CommercialRsuEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self._ifm.close()
        self._out.close()

    def __enter__(self) -> CommercialRsuEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def forward(self, data: bytes) -> None:
        """The RSU heard ``data`` on the air: forward it, as captured, in one datagram."""
        self._out.sendto(data, self.forward_to)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._ifm.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self.ifm_log.append(IfmDatagram(time.monotonic(), parse_ifm(data)))
            except (ValueError, UnicodeDecodeError):
                self.bad_ifm += 1
