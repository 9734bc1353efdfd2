"""A battery BMS on CAN, in the common Pylontech-style layout (``pylontech.dbc``, ours).

The BMS sends its frames about once a second (500 kbit/s, 11-bit ids): 0x351 charge and
discharge limits, 0x355 SoC and SoH, 0x356 voltage/current/temperature, 0x359 protection and
alarm flags, 0x35C request flags. ``read`` takes what is waiting on the bus (python-can,
``ignore_config=True``), decodes each frame with cantools against the DBC compiled once, and
returns the newest full picture. Frames that do not decode (wrong length, unknown layout) are
counted and skipped; no frame for ``quiet_after_s`` is a ``quiet`` failure; a bus error closes
the bus (reopened on the next read) and is a ``bus_error`` failure.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import can
import cantools

from rsu.errors import SensorError
from rsu.power.config import CanBmsConfig
from rsu.power.model import PowerReading, ReadFailure, Supply
from rsu.power.sources import runtime_min

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.power.config import PowerConfig

MAX_FRAMES = 256
"""Frames taken per read (a flooded bus cannot keep the edge in one read forever)."""
RECV_S = 0.05


def load_dbc() -> Any:
    """The Pylontech-style layout, compiled once (cantools ``Database``)."""
    text = resources.files("rsu.power").joinpath("pylontech.dbc").read_text(encoding="ascii")
    return cantools.database.load_string(text, database_format="dbc")


class BmsDecoder:
    """CAN frames -> signal values (pure): the newest value of each signal, counts."""

    def __init__(self) -> None:
        self.db = load_dbc()
        self.ids = {m.frame_id for m in self.db.messages}
        self.values: dict[str, float] = {}
        self.frames = 0
        self.bad_frames = 0
        self.other_frames = 0
        self.last_problem = ""

    def feed(self, arbitration_id: int, data: bytes) -> bool:
        if arbitration_id not in self.ids:
            self.other_frames += 1
            return False
        try:
            decoded = self.db.decode_message(arbitration_id, data, decode_choices=False)
        except Exception as err:  # cantools raises several kinds for a short/odd frame
            self.bad_frames += 1
            self.last_problem = f"0x{arbitration_id:X} {data.hex()}: {err}"
            return False
        self.frames += 1
        self.values.update({k: float(v) for k, v in decoded.items()})
        return True

    def reading(self, charger: Supply, capacity_wh: float | None) -> PowerReading | None:
        v = self.values
        if "SoC" not in v:
            return None
        voltage, current = v.get("Voltage"), v.get("Current")
        watts = None if voltage is None or current is None else abs(voltage * current)
        supply: Supply | None = None
        if current is not None:
            supply = charger if current >= 0 else "battery"
        drawing = watts if current is not None and current < 0 and watts else 0.0
        flags = tuple(
            name for name, value in sorted(v.items())
            if name.startswith(("Prot", "Alarm")) and value
        )  # fmt: skip
        return PowerReading(
            soc=v["SoC"],
            soh=v.get("SoH"),
            voltage=voltage,
            current=current,
            watts=watts,
            temperature=v.get("Temperature"),
            supply=supply,
            runtime_min=runtime_min(v["SoC"], capacity_wh, drawing),
            charge_limit_a=v.get("ChargeCurrentLimit"),
            discharge_limit_a=v.get("DischargeCurrentLimit"),
            flags=flags,
        )


class CanBmsSource:
    name = "can-bms"

    def __init__(self, config: PowerConfig, clock: Clock, bus: Any = None) -> None:
        self.cfg = config.can_bms or CanBmsConfig()
        self.capacity_wh = config.capacity_wh
        self.clock = clock
        self.decoder = BmsDecoder()
        self.bus_errors = 0
        self._bus = bus
        self._last_frame = clock.monotonic()
        if bus is None:
            self._open()

    def _open(self) -> None:
        try:
            self._bus = can.Bus(
                interface=self.cfg.interface,
                channel=self.cfg.channel,
                bitrate=self.cfg.bitrate,
                ignore_config=True,
                receive_own_messages=False,
            )
        except (can.CanError, OSError, ValueError, ImportError) as err:
            raise SensorError(
                f"power can-bms: cannot open {self.cfg.interface} channel {self.cfg.channel}: {err}"
            ) from err

    def read(self) -> PowerReading | ReadFailure | None:
        try:
            if self._bus is None:
                self._open()
            fresh = self._drain()
        except (can.CanError, OSError, SensorError) as err:
            self.bus_errors += 1
            self.close()
            return ReadFailure("bus_error", str(err))
        now = self.clock.monotonic()
        if fresh:
            self._last_frame = now
        elif now - self._last_frame >= self.cfg.quiet_after_s:
            self.decoder.values.clear()  # old values are not the battery's state now
            return ReadFailure("quiet", f"no BMS frame for {now - self._last_frame:.1f} s")
        charger: Supply = "grid" if self.cfg.charger == "grid" else "solar"
        return self.decoder.reading(charger, self.capacity_wh) if fresh else None

    def _drain(self) -> int:
        fresh = 0
        for _ in range(MAX_FRAMES):
            msg = self._bus.recv(RECV_S)
            if msg is None:
                break
            if msg.is_error_frame or msg.is_remote_frame:
                continue
            fresh += self.decoder.feed(msg.arbitration_id, bytes(msg.data))
        return fresh

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.shutdown()
