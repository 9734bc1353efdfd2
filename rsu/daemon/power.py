"""The RSU's own power in the daemon: the edge that polls the source, and the part that
applies the shed order.

``PowerEdge`` calls the source's ``read()`` every ``poll_s`` on its own thread and puts each
reading or failure on the ``power`` queue. ``PowerPart`` is the stage: its handler feeds the
sans-I/O :class:`~rsu.power.monitor.PowerMonitor`, and whenever the steps shed change it
applies them through :class:`ShedActions`, three narrow switches made in ``build``:

- ``camera``: every camera edge pauses (frames read and dropped, no inference);
- ``uplink``: the uplink publishes only ``events`` and ``alarms`` (``Uplink.hold``; the rest
  waits in the spool, nothing is lost);
- ``essential``: the core transmits only SPaT, MAP, TIM/RSI (``Core.tx_only``).

The power telemetry goes to the uplink (``Uplink.set_power``) on every reading: the heartbeat
and running info carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rsu.daemon.edges import Edge
from rsu.power.monitor import PowerMonitor
from rsu.power.shed import ESSENTIAL_TYPES, UPLINK_STREAMS
from rsu.queues import DROP_OLDEST, BoundedQueue
from rsu.reader import Reader
from rsu.stage import Outputs

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.daemon.inbox import Inbox
    from rsu.power.config import PowerConfig
    from rsu.power.model import PowerReading, ReadFailure
    from rsu.power.sources import PowerSource


class PowerEdge(Reader):
    """Polls the power source every ``poll_s`` onto the power queue (``rsu.reader``: a
    failure inside the source is the source's to count; a bug here is counted and retried)."""

    name = "power"
    thread_name = "power"

    def __init__(
        self,
        source: PowerSource,
        poll_s: float,
        queue: BoundedQueue[PowerReading | ReadFailure],
    ) -> None:
        super().__init__()
        self.source, self.poll_s, self.queue = source, poll_s, queue
        self.reads = 0

    def _read(self) -> None:
        item = self.source.read()
        self.reads += 1
        if item is not None:
            self.queue.put(item)
        self.wait(self.poll_s)

    def _close(self) -> None:
        self.source.close()

    def health(self) -> dict[str, Any]:
        return {**self.reader_health(), "reads": self.reads}


@dataclass(frozen=True, slots=True)
class ShedActions:
    """The three switches (each True: shed, False: restored)."""

    camera: Callable[[bool], None]
    uplink: Callable[[bool], None]
    essential: Callable[[bool], None]

    def apply(self, step: str, shed: bool) -> None:
        getattr(self, step)(shed)


def shed_actions(cameras: tuple[Any, ...], hold: Callable[[frozenset[str] | None], None],
                 core: Any) -> ShedActions:  # fmt: skip
    """The switches over the camera edges, the uplink's hold and the core's transmit filter."""

    def camera(on: bool) -> None:
        for cam in cameras:
            (cam.paused.set if on else cam.paused.clear)()

    def uplink(on: bool) -> None:
        hold(UPLINK_STREAMS if on else None)

    def essential(on: bool) -> None:
        core.tx_only = ESSENTIAL_TYPES if on else None

    return ShedActions(camera, uplink, essential)


class PowerPart:
    """Stage + section ``power``: the monitor, its telemetry to the uplink, the sheds applied."""

    name = "power"

    def __init__(self, monitor: PowerMonitor, clock: Clock) -> None:
        self.monitor, self.clock = monitor, clock
        self.actions: ShedActions | None = None
        self.telemetry: Callable[[dict[str, Any]], None] = _nowhere
        self._applied: tuple[str, ...] = ()

    def connect(self, actions: ShedActions, telemetry: Callable[[dict[str, Any]], None]) -> None:
        """Once, from ``build``: the core the ``essential`` switch filters and the uplink are
        made after the stages (the core ticks this part)."""
        self.actions, self.telemetry = actions, telemetry

    def on_item(self, item: PowerReading | ReadFailure, now: float, utc: float) -> Outputs:
        out = self.monitor.on_item(item, now, utc)
        self._after()
        return out

    def tick(self, now: float, utc: float) -> Outputs:
        out = self.monitor.tick(now, utc)
        if out:
            self._after()
        return out

    def next_deadline(self) -> float | None:
        return self.monitor.next_deadline()

    def _after(self) -> None:
        shed = self.monitor.order.shed
        if shed != self._applied and self.actions is not None:
            for step in self._applied:
                if step not in shed:
                    self.actions.apply(step, False)
            for step in shed:
                if step not in self._applied:
                    self.actions.apply(step, True)
            self._applied = shed
        self.telemetry(self.monitor.telemetry())

    def status(self) -> Mapping[str, object]:
        return self.monitor.status(self.clock.monotonic())


def _nowhere(power: dict[str, Any]) -> None:
    """Telemetry before ``connect``: not sent anywhere."""


def build_power(pc: PowerConfig, clock: Clock, inbox: Inbox) -> tuple[PowerPart, Edge]:
    """The source polled on its own thread onto the ``power`` queue (newest reading matters:
    oldest dropped), the monitor and shed order as a stage; switches connected in ``build``."""
    from rsu.power.sources import open_source

    queue: BoundedQueue[PowerReading | ReadFailure] = inbox.add("power", 16, DROP_OLDEST)
    part = PowerPart(PowerMonitor(pc.monitor), clock)
    inbox.handle(queue, part.on_item)
    return part, PowerEdge(open_source(pc, clock), pc.poll_s, queue)
