"""The CAN edge: a tiny ``CanSource`` protocol, a lazy backend registry, and a pump.

``can`` wraps ``can.Bus(interface=..., channel=..., ignore_config=True)`` (any python-can
interface: socketcan/vcan on benches, virtual in tests); ``sim`` makes ARS408-style frames
for simulated targets. Pick one by name with :func:`open_source`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from rsu.clock import Clock
from rsu.registry import load
from rsu.sensors.config import RadarConfig
from rsu.sensors.radar import CanFrame, RadarDecoder, RadarScan


class CanSource(Protocol):
    """Where CAN frames come from."""

    def recv(self, timeout: float) -> CanFrame | None:
        """The next frame, or ``None`` when none arrived within ``timeout`` seconds."""
        ...

    def close(self) -> None: ...


BACKENDS: dict[str, tuple[str, str]] = {
    "can": ("rsu.sensors.can_bus", "CanBusSource"),
    "sim": ("rsu.sensors.sim", "SimRadarSource"),
}


def open_source(config: RadarConfig, clock: Clock) -> CanSource:
    """Build the backend named by ``config.backend`` (imported only when chosen)."""
    factory: Callable[[RadarConfig, Clock], CanSource] = load(
        BACKENDS, config.backend, "radar", extra="can"
    )
    return factory(config, clock)


def pump(
    source: CanSource, decoder: RadarDecoder, clock: Clock, *, max_frames: int, timeout: float
) -> list[RadarScan]:
    """Read up to ``max_frames`` frames (stopping at the first quiet ``timeout``) and decode.

    This is what a radar's reader thread runs in a loop, putting scans on the core's queue.
    """
    scans: list[RadarScan] = []
    for _ in range(max_frames):
        frame = source.recv(timeout)
        if frame is None:
            break
        scans.extend(decoder.feed(frame, clock.monotonic()))
    return scans
