"""The ``can`` radar backend: python-can, any interface, no config cascade."""

from __future__ import annotations

from typing import Any

import can
import structlog

from rsu.clock import Clock
from rsu.errors import SensorError
from rsu.sensors.config import RadarConfig
from rsu.sensors.radar import CanFrame

log = structlog.get_logger(__name__)


class CanBusSource:
    """Frames from ``can.Bus(interface, channel, ignore_config=True)``.

    A bus error while reading is counted, the bus is closed, and the next ``recv`` reopens it
    (so an unplugged adapter or a bus-off recovers without restarting the daemon).
    """

    def __init__(self, config: RadarConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.bus_errors = 0
        self.reopens = 0
        self._bus: Any = None
        self._open()

    def _open(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.config.bitrate is not None:
            kwargs["bitrate"] = self.config.bitrate
        try:
            self._bus = can.Bus(
                interface=self.config.interface,
                channel=self.config.channel,
                ignore_config=True,
                receive_own_messages=False,
                **kwargs,
            )
        except (can.CanError, OSError, ValueError, ImportError) as err:
            raise SensorError(
                f"radar {self.config.name}: cannot open {self.config.interface} "
                f"channel {self.config.channel}: {err}"
            ) from err

    def recv(self, timeout: float) -> CanFrame | None:
        if self._bus is None:
            self._open()
            self.reopens += 1
        try:
            msg = self._bus.recv(timeout)
        except (can.CanError, OSError) as err:
            self.bus_errors += 1
            log.warning("can_bus_error", radar=self.config.name, error=str(err))
            self.close()
            return None
        if msg is None:
            return None
        return CanFrame(
            arbitration_id=msg.arbitration_id,
            data=bytes(msg.data),
            timestamp=msg.timestamp,
            is_error_frame=msg.is_error_frame,
            is_extended_id=msg.is_extended_id,
        )

    def close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.shutdown()
