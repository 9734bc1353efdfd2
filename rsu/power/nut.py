"""A UPS through Network UPS Tools: a small client of the NUT network protocol (upsd, TCP 3493).

Hand-written on purpose: the protocol needed here is two text commands (``LIST VAR <ups>``,
``LOGOUT``), and the clients on PyPI do not fit an unattended RSU: ``nut2`` is unmaintained
since 2019, and the NUT project's own ``PyNUTClient`` (GPL-3, while this project is
Apache-2.0) reads a reply in a loop that never ends when the server closes the connection
(``recv`` returning b"" is not checked): a upsd that disappears would hang the power edge.
This client bounds every read (time and size) and turns every failure into a ``ReadFailure``.

The variables read (names from the NUT variable list): ``battery.charge`` (SoC),
``battery.voltage``, ``battery.current``, ``battery.temperature`` (or ``ups.temperature``),
``battery.runtime`` (s), ``ups.realpower`` (W; else ``ups.load`` % of
``ups.realpower.nominal``), ``ups.status`` (``OL`` on line: grid, ``OB`` on battery; the other
tokens, e.g. ``LB`` low battery, ``RB`` replace battery, ``OVER`` overload, become flags).
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING

from rsu.power.config import NutConfig
from rsu.power.model import PowerReading, ReadFailure, Supply

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.power.config import PowerConfig

MAX_LINE = 4096
MAX_VARS = 1000


class NutError(Exception):
    """What went wrong talking to upsd: ``kind`` for the ReadFailure."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class NutClient:
    """One TCP connection to upsd; every call bounded by ``timeout`` seconds."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    def _connect(self) -> socket.socket:
        if self._sock is None:
            try:
                self._sock = socket.create_connection(self.address, timeout=self.timeout)
            except ConnectionRefusedError as err:
                raise NutError("refused", f"{self.address[0]}:{self.address[1]}: {err}") from err
            except TimeoutError as err:
                raise NutError("timeout", f"connect: {err}") from err
            except OSError as err:
                raise NutError("unreachable", str(err)) from err
            self._buf = b""
        return self._sock

    def _line(self) -> str:
        sock = self._connect()
        while b"\n" not in self._buf:
            if len(self._buf) > MAX_LINE:
                raise NutError("protocol", f"line longer than {MAX_LINE} bytes")
            try:
                chunk = sock.recv(4096)
            except TimeoutError as err:
                raise NutError("timeout", f"no answer in {self.timeout:g} s") from err
            except OSError as err:
                raise NutError("closed", str(err)) from err
            if not chunk:
                raise NutError("closed", "upsd closed the connection")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")

    def _send(self, text: str) -> None:
        try:
            self._connect().sendall(text.encode("ascii") + b"\n")
        except OSError as err:
            raise NutError("closed", str(err)) from err

    def list_vars(self, ups: str) -> dict[str, str]:
        """``LIST VAR <ups>`` -> {name: value}; an ``ERR`` answer raises (``protocol``)."""
        try:
            self._send(f"LIST VAR {ups}")
            first = self._line()
            if first.startswith("ERR"):
                raise NutError("protocol", f"upsd: {first}")
            if first != f"BEGIN LIST VAR {ups}":
                raise NutError("protocol", f"unexpected answer {first[:80]!r}")
            out: dict[str, str] = {}
            prefix = f"VAR {ups} "
            while (line := self._line()) != f"END LIST VAR {ups}":
                if not line.startswith(prefix) or len(out) >= MAX_VARS:
                    raise NutError("protocol", f"unexpected line {line[:80]!r}")
                name, _, quoted = line[len(prefix) :].partition(" ")
                out[name] = quoted.strip().strip('"').replace('\\"', '"')
            return out
        except NutError:
            self.close()
            raise

    def close(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            with contextlib.suppress(OSError):
                sock.sendall(b"LOGOUT\n")
            sock.close()


def _num(values: dict[str, str], *names: str) -> float | None:
    for name in names:
        if name in values:
            try:
                return float(values[name])
            except ValueError:
                return float("nan")  # a value that is not a number: the monitor rejects it
    return None


def reading_from_vars(values: dict[str, str]) -> PowerReading:
    """NUT variables -> one reading (pure; the table in the module docstring)."""
    status = values.get("ups.status", "").split()
    supply: Supply | None = "battery" if "OB" in status else "grid" if "OL" in status else None
    watts = _num(values, "ups.realpower")
    if watts is None:
        load, nominal = _num(values, "ups.load"), _num(values, "ups.realpower.nominal")
        if load is not None and nominal is not None:
            watts = load / 100.0 * nominal
    runtime_s = _num(values, "battery.runtime")
    return PowerReading(
        soc=_num(values, "battery.charge"),
        voltage=_num(values, "battery.voltage"),
        current=_num(values, "battery.current"),
        watts=watts,
        temperature=_num(values, "battery.temperature", "ups.temperature"),
        supply=supply,
        runtime_min=None if runtime_s is None else runtime_s / 60.0,
        flags=tuple(t for t in status if t not in ("OL", "OB")),
    )


class NutSource:
    name = "nut"

    def __init__(self, config: PowerConfig, clock: Clock) -> None:
        self.cfg = config.nut or NutConfig()
        host, port = self.cfg.server
        self.client = NutClient(host, port, self.cfg.timeout_s)

    def read(self) -> PowerReading | ReadFailure:
        try:
            return reading_from_vars(self.client.list_vars(self.cfg.ups))
        except NutError as err:
            return ReadFailure(err.kind, str(err))

    def close(self) -> None:
        self.client.close()
