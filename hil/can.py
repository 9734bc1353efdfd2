"""CAN devices: the radar object list (ARS408 frames from our DBC) on a bus the daemon reads.

Two routes, the scenario is the same on both:

- ``vcan:NAME``: SocketCAN (``vcan0`` or a real adapter ``can0``); the daemon's radar uses
  ``interface = "socketcan"``.
- ``remote`` (default; no vcan in CI): a python-can-remote server in the harness process on a
  loopback TCP port, bridging to a python-can ``virtual`` channel the emulators send on; the
  daemon's radar uses ``interface = "remote"``, ``channel = "ws://127.0.0.1:PORT/"``.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from hil.actors import Pose
from hil.scenario import RadarSpec
from rsu.errors import RsuError

CAN_ERR_FLAG = 0x20000000
CAN_ERR_CRTL = 0x00000004  # controller problems (error passive...)
CAN_ERR_BUSOFF = 0x00000040


class CanRoute:
    """The harness's end of the bus and what the daemon's radar config must say."""

    def __init__(self, route: str = "remote") -> None:
        import can

        self.route = route
        self._server: Any = None
        self._thread: threading.Thread | None = None
        if route.startswith("vcan:"):
            channel = route.split(":", 1)[1]
            self.daemon_interface, self.daemon_channel = "socketcan", channel
            self.bus = can.Bus(interface="socketcan", channel=channel, ignore_config=True)
            return
        if route != "remote":
            raise RsuError(f"unknown CAN route {route!r} (remote or vcan:NAME)")
        from can_remote.server import RemoteServer  # type: ignore[import-untyped]

        channel = f"hil-{uuid.uuid4().hex[:8]}"
        self._server = RemoteServer("127.0.0.1", 0, interface="virtual", channel=channel)
        port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        self.daemon_interface, self.daemon_channel = "remote", f"ws://127.0.0.1:{port}/"
        self.bus = can.Bus(interface="virtual", channel=channel, ignore_config=True)

    def send(self, arbitration_id: int, data: bytes, *, error: bool = False) -> None:
        import can

        msg = can.Message(
            arbitration_id=arbitration_id,
            data=data,
            is_extended_id=error,
            is_error_frame=error,
        )
        self.bus.send(msg)

    def close(self) -> None:
        self.bus.shutdown()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def sensor_coords(spec: RadarSpec, pose: Pose) -> tuple[float, float, float, float]:
    """ENU pose -> the radar's (forward, left) position and velocity (inverse of MountPose)."""
    yaw = math.radians(spec.yaw_deg)
    s, c = math.sin(yaw), math.cos(yaw)
    de, dn = pose.east_m - spec.east_m, pose.north_m - spec.north_m
    forward, left = de * s + dn * c, -de * c + dn * s
    h = math.radians(pose.heading_deg)
    ve, vn = pose.speed_mps * math.sin(h), pose.speed_mps * math.cos(h)
    return forward, left, ve * s + vn * c, -ve * c + vn * s


class RadarEmulator:
    """Sends one ARS408 cycle every ``cycle_s`` with the targets ``targets()`` returns."""

    def __init__(
        self, spec: RadarSpec, route: CanRoute, targets: Callable[[], list[tuple[str, str, Pose]]]
    ) -> None:
        from rsu.sensors.radar import load_dbc

        self.spec = spec
        self.route = route
        self.targets = targets
        self.db = load_dbc()
        self.cycles = 0
        self.frames = 0
        self.silent_until = 0.0
        self.log: list[tuple[float, int, bytes, bool]] = []
        """Every frame sent: (monotonic time, arbitration id, data, error frame)."""
        self._ids: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"hil-{spec.name}", daemon=True)

    def start(self) -> RadarEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _object_id(self, key: str) -> int:
        if key not in self._ids:
            self._ids[key] = len(self._ids) % 256
        return self._ids[key]

    def cycle(self) -> list[tuple[int, bytes]]:
        """One cycle's frames (arbitration id, data) for the current targets (pure but ids)."""
        from rsu.sensors.encode import RadarTarget, encode_scan

        targets = []
        for key, kind, pose in self.targets():
            fwd, left, vf, vl = sensor_coords(self.spec, pose)
            if fwd <= 0.5:
                continue  # behind the radar
            label = "person" if kind == "pedestrian" else "car"
            length, width = (0.5, 0.5) if label == "person" else (4.4, 1.8)
            moving = 0 if pose.speed_mps > 0.2 else 1  # ARS408 DynProp: moving / stationary
            target = RadarTarget(
                self._object_id(key),
                fwd,
                left,
                vf,
                vl,
                moving,
                label=label,
                length_m=length,
                width_m=width,
            )
            targets.append(target)
        frames = encode_scan(self.db, targets, self.cycles)
        return [(f.arbitration_id, f.data) for f in frames]

    def _run(self) -> None:
        while not self._stop.wait(self.spec.cycle_s):
            if time.monotonic() < self.silent_until:
                continue
            for arb, data in self.cycle():
                self.send(arb, data)
                self.frames += 1
            self.cycles += 1

    def send(self, arb: int, data: bytes, *, error: bool = False) -> None:
        self.route.send(arb, data, error=error)
        self.log.append((time.monotonic(), arb, data, error))

    def error_frames(self, count: int) -> None:
        for _ in range(max(1, count)):
            self.send(CAN_ERR_FLAG | CAN_ERR_CRTL, bytes(8), error=True)

    def bus_off(self, seconds: float) -> None:
        """The controller goes bus-off: one error frame saying so, then silence."""
        self.send(CAN_ERR_FLAG | CAN_ERR_BUSOFF, bytes(8), error=True)
        self.silent_until = time.monotonic() + seconds
