"""Simulated air: vehicles and pedestrians around an intersection, sending BSM and PSM.

``Traffic`` is pure and deterministic: the same seed and the same time give the same messages
(JER of whole MessageFrames). ``SimRadio`` is the ``sim`` backend: one thread that encodes the
traffic with the codec of ``RadioConfig.standard`` at ``rate_hz`` and hands ``RxFrame`` values
to ``rx``; what the daemon transmits is kept in ``tx_log`` (bounded) and counted, as a real
radio would. With ``csae53`` the vehicles send CSAE 53 BSMs (``bsmFrame``, AID 111); the
CSAE 53 day-1 set has no PSM, so pedestrians stay silent (an RSU sees them with its sensors).
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Any

import structlog

from rsu.clock import Clock
from rsu.geo import offset_latlon
from rsu.queues import BoundedQueue
from rsu.radio.config import RadioConfig, SimConfig
from rsu.radio.types import RadioCounters
from rsu.reader import Reader
from rsu.registry import DEFAULT_MESSAGE_SET, message_set, message_set_names
from rsu.v2x.builders import Sender
from rsu.wire import RxFrame, TxLimits, TxRequest

log = structlog.get_logger(__name__)
APPROACH_M = 150.0  # vehicles appear this far out and leave as far beyond the stop line
CROSSWALK_M = 12.0  # pedestrians walk the square of crosswalks this far from the centre


@dataclass(frozen=True, slots=True)
class RoadUser:
    """One simulated participant; ``phase`` spreads them out along their path."""

    kind: str  # "vehicle" or "pedestrian"
    ident: str  # 4-byte TemporaryID as hex
    heading_deg: float  # direction of travel (vehicles) or start side (pedestrians)
    speed_mps: float
    lane_offset_m: float
    phase: float


@dataclass(frozen=True, slots=True)
class Position:
    east_m: float
    north_m: float
    heading_deg: float


class Traffic:
    """Deterministic road users around (``latitude``, ``longitude``), in ``standard``'s frames."""

    def __init__(self, config: SimConfig, standard: str = DEFAULT_MESSAGE_SET) -> None:
        if standard not in message_set_names():
            raise ValueError(f"unknown standard {standard!r}")
        self.cfg = config
        self.standard = standard
        self._set = message_set(standard)
        rng = random.Random(config.seed)
        users = []
        for _ in range(config.vehicles):
            heading = rng.choice((0.0, 90.0, 180.0, 270.0))
            users.append(
                RoadUser(
                    "vehicle",
                    rng.randbytes(4).hex().upper(),
                    heading,
                    rng.uniform(8.0, 15.0),
                    rng.choice((1.8, 5.4)),
                    rng.uniform(0.0, 1.0),
                )
            )
        for _ in range(config.pedestrians):
            users.append(
                RoadUser(
                    "pedestrian",
                    rng.randbytes(4).hex().upper(),
                    0.0,
                    rng.uniform(1.0, 1.6),
                    0.0,
                    rng.uniform(0.0, 1.0),
                )
            )
        self.users = tuple(users)

    def position(self, user: RoadUser, t: float) -> Position:
        """Where ``user`` is ``t`` seconds into the simulation (metres east/north of centre)."""
        if user.kind == "vehicle":
            span = 2 * APPROACH_M
            along = (user.phase * span + user.speed_mps * t) % span - APPROACH_M
            h = math.radians(user.heading_deg)
            # drive on the right: the lane is offset to the right of the direction of travel
            east = along * math.sin(h) + user.lane_offset_m * math.cos(h)
            north = along * math.cos(h) - user.lane_offset_m * math.sin(h)
            return Position(east, north, user.heading_deg)
        side = 2 * CROSSWALK_M
        s = (user.phase * 4 * side + user.speed_mps * t) % (4 * side)
        leg, d = int(s // side), s % side - CROSSWALK_M
        corners = (
            (d, CROSSWALK_M, 90.0),
            (CROSSWALK_M, -d, 180.0),
            (-d, -CROSSWALK_M, 270.0),
            (-CROSSWALK_M, d, 0.0),
        )
        east, north, heading = corners[leg]
        return Position(east, north, heading)

    def latlon(self, pos: Position) -> tuple[float, float]:
        return offset_latlon(self.cfg.latitude, self.cfg.longitude, pos.east_m, pos.north_m)

    def frames(self, tick: int, utc: float) -> list[tuple[RoadUser, dict[str, Any]]]:
        """The MessageFrame JER every road user sends at ``tick`` (``rate_hz`` ticks a second)."""
        t = tick / self.cfg.rate_hz
        sec_mark = round(utc * 1000) % 60000
        out = []
        for user in self.users:
            pos = self.position(user, t)
            lat, lon = self.latlon(pos)
            sender = _sender(user, pos, lat, lon, tick % 128, sec_mark)
            frame = self._set.road_user_frame(user.kind, sender)
            if frame is not None:  # None: the set has no message for it (CSAE 53 day-1: no PSM)
                out.append((user, frame))
        return out


def _sender(user: RoadUser, pos: Position, lat: float, lon: float, count: int, sec: int) -> Sender:
    return Sender(user.ident, count, sec, lat, lon, user.speed_mps, pos.heading_deg)


class SimRadio(Reader):
    """The ``sim`` backend: simulated traffic in, transmissions logged."""

    name = "sim"
    thread_name = "radio-sim"
    limits = TxLimits("sim", channels=(0, 255))

    def __init__(self, config: RadioConfig, clock: Clock, queue: BoundedQueue[RxFrame]) -> None:
        from rsu.v2x.codec import get_codec

        super().__init__()
        self._cfg = config.sim
        self._clock = clock
        self._codec = get_codec(config.standard)
        self.traffic = Traffic(config.sim, config.standard)
        self._psids = message_set(config.standard).psids()
        self.rx = queue
        self.counters = RadioCounters()
        self.tx_log: deque[TxRequest] = deque(maxlen=1000)
        self.tick = 0

    def step(self) -> list[RxFrame]:
        """Produce one tick of traffic now (the thread calls this; tests may too)."""
        now, utc = self._clock.monotonic(), self._clock.time()
        out = []
        for user, frame in self.traffic.frames(self.tick, utc):
            payload = self._codec.encode(frame)
            psid = self._psids["BSM" if user.kind == "vehicle" else "PSM"]
            pos = self.traffic.position(user, self.tick / self._cfg.rate_hz)
            rssi = -45 - int(math.hypot(pos.east_m, pos.north_m) / 5)
            out.append(RxFrame(payload, now, utc, self._cfg.channel, rssi, psid, self.name))
        self.tick += 1
        for rx in out:
            self.counters.received(rx.psid)
            self.rx.put(rx)
        return out

    def _read(self) -> None:
        if not self.wait(1.0 / self._cfg.rate_hz):
            self.step()

    def send(self, request: TxRequest) -> bool:
        self.tx_log.append(request)
        self.counters.sent(request.psid, request.message_type)
        return True

    def health(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "road_users": len(self.traffic.users),
            "tick": self.tick,
            "rx_queue": len(self.rx),
            "rx_dropped": self.rx.dropped,
            "counters": self.counters.snapshot(),
        }
