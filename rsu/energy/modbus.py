"""The ``modbus`` source: EVSE statuses from a site energy manager or charger over Modbus TCP.

Every ``poll_s`` the registers of the map (``[[energy.sites.modbus.evses]]``: one status
register per EVSE) are read with pymodbus' synchronous TCP client, in as few requests as the
protocol allows (at most 125 registers per read), each bounded by ``timeout_s`` with no
retries (the next poll is the retry). ``statuses`` (pure) maps each value through ``values``;
a value the map does not name makes that EVSE ``unknown`` (counted as ``unmapped``), never
a guess. A server that refuses the connection is ``unreachable``, one that does not answer in
time ``timeout``, a Modbus exception response (illegal address ...) ``modbus_exception``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from rsu.clock import Clock
from rsu.energy.config import SiteConfig
from rsu.energy.edge import PollingSource, Result
from rsu.energy.model import EvseStatus
from rsu.energy.source_config import ModbusConfig
from rsu.queues import BoundedQueue

MAX_READ = 125
"""Registers per Read Holding/Input Registers request (Modbus application protocol)."""


def blocks(registers: Sequence[int]) -> list[tuple[int, int]]:
    """(first address, count) reads covering ``registers``, each at most ``MAX_READ`` long.

    >>> blocks([100, 101, 103, 400])
    [(100, 4), (400, 1)]
    """
    out: list[tuple[int, int]] = []
    for reg in sorted(set(registers)):
        if out and reg - out[-1][0] < MAX_READ:
            out[-1] = (out[-1][0], reg - out[-1][0] + 1)
        else:
            out.append((reg, 1))
    return out


def statuses(cfg: ModbusConfig, values: dict[int, int]) -> tuple[tuple[EvseStatus, ...], int]:
    """The EVSEs of the map from register values, and how many values were not mapped."""
    out: list[EvseStatus] = []
    unmapped = 0
    for evse in cfg.evses:
        status = cfg.values.get(values[evse.register])
        if status is None:
            unmapped += 1
            status = "unknown"
        out.append(EvseStatus(evse.uid, status, evse.connectors))
    return tuple(out), unmapped


class ModbusSource(PollingSource):
    """One site's register map, polled."""

    name = "modbus"

    def __init__(
        self,
        site: SiteConfig,
        clock: Clock,
        queue: BoundedQueue[Result],
        resolve: Callable[[str], Path] = Path,
    ) -> None:
        cfg: ModbusConfig = site.modbus
        super().__init__(site.id, cfg.poll_s, clock, queue)
        self.config = cfg
        self.unmapped = 0
        self._blocks = blocks([e.register for e in cfg.evses])
        self._client = ModbusTcpClient(
            cfg.host, port=cfg.port, timeout=cfg.timeout_s, retries=0, reconnect_delay=0
        )

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves it unannotated

    def read(self) -> Result:
        cfg = self.config
        if not self._client.connected and not self._client.connect():  # type: ignore[no-untyped-call]
            return self.failure("unreachable", f"cannot connect to {cfg.host}:{cfg.port}")
        values: dict[int, int] = {}
        for first, count in self._blocks:
            try:
                answer = self._read(first, count)
            except ModbusIOException as err:
                # a late answer must not be taken for the next request's: a new connection
                self._client.close()  # type: ignore[no-untyped-call]
                return self.failure("timeout", f"no answer in {cfg.timeout_s} s: {err}"[:200])
            except (ConnectionException, ModbusException, OSError) as err:
                self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves it unannotated
                return self.failure("unreachable", f"{type(err).__name__}: {err}"[:200])
            if answer.isError():
                return self.failure("modbus_exception", f"registers {first}+{count}: {answer}")
            registers = list(answer.registers)
            if len(registers) != count:
                return self.failure("bad_shape", f"asked {count} registers, got {len(registers)}")
            values.update(zip(range(first, first + count), registers, strict=True))
        evses, unmapped = statuses(cfg, values)
        self.unmapped += unmapped
        return self.reading(evses)

    def _read(self, first: int, count: int) -> ModbusPDU:
        c = self._client
        if self.config.table == "input":
            return c.read_input_registers(first, count=count, device_id=self.config.unit)
        return c.read_holding_registers(first, count=count, device_id=self.config.unit)

    def health(self) -> dict[str, object]:
        cfg = self.config
        return {**super().health(), "server": f"{cfg.host}:{cfg.port}", "unmapped": self.unmapped}
