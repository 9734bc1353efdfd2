"""The air interface: one small ``Radio`` protocol, backends chosen by name, imported lazily.

>>> radio = open_radio(RadioConfig(backend="sim"))      # doctest: +SKIP
>>> radio.start(); frame = radio.rx.get(timeout=1.0); radio.stop()   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rsu.clock import Clock, SystemClock
from rsu.queues import BoundedQueue
from rsu.radio.config import RadioConfig, Rsu41Config, SerialConfig, SimConfig
from rsu.radio.types import Radio, RadioCounters
from rsu.registry import load
from rsu.wire import RxFrame

BACKENDS: dict[str, tuple[str, str]] = {
    "serial": ("rsu.radio.serial", "SerialRadio"),
    "rsu41": ("rsu.radio.rsu41", "Rsu41Radio"),
    "sim": ("rsu.radio.sim", "SimRadio"),
}

__all__ = [
    "BACKENDS",
    "Radio",
    "RadioConfig",
    "RadioCounters",
    "Rsu41Config",
    "SerialConfig",
    "SimConfig",
    "open_radio",
]


def open_radio(
    config: RadioConfig,
    clock: Clock | None = None,
    queue: BoundedQueue[RxFrame] | None = None,
) -> Radio:
    """Build (not start) the backend ``config.backend``.

    ``queue`` lets the daemon share one inbound queue between edges; by default the radio gets
    its own of ``config.queue_size``. Unknown names and missing optional dependencies raise
    ``BackendError``.
    """
    cls = load(BACKENDS, config.backend, "radio", extra="serial")
    rx = queue if queue is not None else BoundedQueue(config.queue_size)  # empty is falsy
    radio: Radio = cls(config, clock or SystemClock(), rx)
    return radio


if TYPE_CHECKING:  # mypy checks that every backend satisfies the protocol
    from rsu.radio.rsu41 import Rsu41Radio
    from rsu.radio.serial import SerialRadio
    from rsu.radio.sim import SimRadio

    _backends: tuple[type[Radio], ...] = (SerialRadio, Rsu41Radio, SimRadio)
