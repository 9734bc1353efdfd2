"""A solar charge controller over Modbus TCP (pymodbus), input registers from a map.

``[power.modbus.registers]`` maps each value to ``[address, scale]`` (defaults: the common
EPEVER Tracer layout, ``MODBUS_REGISTERS``); current and temperature are signed 16-bit. A
timeout, a refused connection or a Modbus exception answer is a ``ReadFailure`` (the client
reconnects on the next read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from rsu.power.config import ModbusConfig
from rsu.power.model import PowerReading, ReadFailure, Supply
from rsu.power.sources import runtime_min

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.power.config import PowerConfig

SIGNED = frozenset({"current", "temperature"})


class ModbusSource:
    name = "modbus"

    def __init__(self, config: PowerConfig, clock: Clock) -> None:
        self.cfg = config.modbus or ModbusConfig()
        self.capacity_wh = config.capacity_wh
        self.client: Any = ModbusTcpClient(
            self.cfg.host, port=self.cfg.port, timeout=self.cfg.timeout_s, retries=0
        )

    def read(self) -> PowerReading | ReadFailure:
        try:
            if not self.client.connected and not self.client.connect():
                return ReadFailure("refused", f"{self.cfg.host}:{self.cfg.port}: cannot connect")
            values = {name: self._register(name) for name in self.cfg.registers}
        except ModbusException as err:
            self.client.close()
            kind = (
                "timeout"
                if "timeout" in str(err).lower() or "no response" in str(err).lower()
                else "protocol"
            )
            return ReadFailure(kind, str(err))
        except (OSError, ValueError) as err:
            self.client.close()
            return ReadFailure("closed", str(err))
        return self._reading(values)

    def _register(self, name: str) -> float:
        address, scale = self.cfg.registers[name]
        answer: Any = self.client.read_input_registers(address, count=1, device_id=self.cfg.unit)
        if answer.isError():
            raise ModbusException(f"register {name} (0x{address:04X}): {answer}")
        raw = int(answer.registers[0])
        if name in SIGNED and raw >= 0x8000:
            raw -= 0x10000
        return raw * scale

    def _reading(self, v: dict[str, float]) -> PowerReading:
        current, voltage, pv = v.get("current"), v.get("voltage"), v.get("pv_watts", 0.0)
        supply: Supply | None = None
        if current is not None:
            supply = "solar" if current >= 0 and pv > 0 else "battery"
        watts = None if voltage is None or current is None else abs(voltage * current)
        drawing = watts if watts is not None and current is not None and current < 0 else 0.0
        return PowerReading(
            soc=v.get("soc"),
            voltage=voltage,
            current=current,
            watts=watts,
            temperature=v.get("temperature"),
            supply=supply,
            runtime_min=runtime_min(v.get("soc"), self.capacity_wh, drawing),
            pv_watts=pv,
        )

    def close(self) -> None:
        self.client.close()
