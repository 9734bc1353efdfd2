"""The rig: the emulated hardware around one daemon, built from a scenario, and the generated
daemon config that points the daemon at it. Started and stopped as one unit."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.actors import Traffic
from hil.broker import Cloud, Mosquitto, free_port
from hil.camera import camera_table
from hil.can import CanRoute, RadarEmulator
from hil.daemon import DaemonProcess, merge, resolve_files, to_toml
from hil.gnss import GnssEmulator
from hil.radio import BenchRadio, Rsu41Peer, SerialRadio
from hil.scenario import Scenario
from rsu.registry import DEFAULT_MESSAGE_SET

RSU_ID = "hil-rsu"
ORIGIN = (42.2808, -83.7430)
SIGNALS_INTERSECTION = 36243
"""The demo MAP's intersection, whose SPaT a ``signals`` scenario's controller drives."""


@dataclass(frozen=True, slots=True)
class Bench:
    """Where the rig's devices are (defaults: all emulated on this machine)."""

    can: str = "remote"
    """``remote`` (python-can-remote over loopback TCP) or ``vcan:vcan0`` / ``vcan:can0``."""
    radio_port: str | None = None
    """A real serial radio instead of the emulator (bench; radio checks then need a sniffer)."""
    gnss_port: str | None = None
    camera: str | None = None
    """A real camera source (URL or /dev/videoN) instead of the generated one."""
    enforce_timing: bool = True
    """False (``--timing report``): latency, interval and answer-time bounds are measured and
    reported but do not fail a check; what happened (counts, content, nothing lost) still does.
    The test suite runs this way, since tests never assert on wall-clock time."""


@dataclass(slots=True)
class Rig:
    scenario: Scenario
    workdir: Path
    bench: Bench = field(default_factory=Bench)
    traffic: Traffic | None = None
    broker: Mosquitto | None = None
    cloud: Cloud | None = None
    radio: Any = None
    gnss: GnssEmulator | None = None
    can: CanRoute | None = None
    radars: list[RadarEmulator] = field(default_factory=list)
    daemon: DaemonProcess | None = None
    controller: Any = None
    """The signal controller emulator (``rsu.signals.sim.EmulatorSender``) when ``signals``."""
    config: dict[str, Any] = field(default_factory=dict)
    ready_s: float = 0.0

    def start(self, now: Callable[[], float]) -> None:
        """Start every emulator, write the config, start the daemon and wait for it."""
        s = self.scenario
        self.traffic = Traffic(s.actors, s.seed)
        self.broker = Mosquitto(self.workdir)
        self.broker.start()
        self.cloud = Cloud(self.broker.port, f"rsu/{RSU_ID}/#")
        self.cloud.start()
        radio_cfg = self._start_radio()
        if s.gnss and self.bench.gnss_port is None:
            self.gnss = GnssEmulator(self.workdir / "gnss0", *ORIGIN).start()
        if s.radars:
            self.can = CanRoute(self.bench.can)
            for spec in s.radars:
                emu = RadarEmulator(spec, self.can, self._sight(spec.sees, now))
                self.radars.append(emu.start())
        signals = self._start_controller() if s.signals else None
        self.config = self._config(radio_cfg, signals)
        path = self.workdir / "daemon.toml"
        path.write_text(to_toml(self.config))
        self.daemon = DaemonProcess(path, self.workdir / "daemon.log")
        self.ready_s = self.daemon.start()

    def _start_radio(self) -> dict[str, Any]:
        if self.scenario.radio == "serial":
            link = Path(self.bench.radio_port or self.workdir / "radio0")
            self.radio = (
                SerialRadio(link).start() if self.bench.radio_port is None else BenchRadio()
            )
            serial = {
                "port": str(link),
                "hello_timeout_s": 0.5,
                "reconnect_min_s": 0.1,
                "reconnect_max_s": 0.5,
            }
            return {"backend": "serial", "serial": serial}
        listen = free_port(socket.SOCK_DGRAM)
        self.radio = Rsu41Peer(listen).start()
        host, ifm = self.radio.ifm_address
        rsu41 = {"listen": f"127.0.0.1:{listen}", "ifm_target": f"{host}:{ifm}"}
        return {"backend": "rsu41", "queue_size": 20000, "rsu41": rsu41}

    def _start_controller(self) -> dict[str, Any]:
        """The emulator sending TSCBM to the daemon's port (the daemon binds it at start; the
        first datagrams before that are refused and ignored), and its ``[signals]`` table."""
        from rsu.signals.emulator import PlanConfig
        from rsu.signals.sim import EmulatorSender

        port = free_port(socket.SOCK_DGRAM)
        plan = PlanConfig(green_s=6.0, yellow_s=2.0, all_red_s=1.0, pedestrian=())
        self.controller = EmulatorSender(plan, ("127.0.0.1", port)).start()
        groups = [{"signal_group": n, "phase": n} for n in (2, 4, 6, 8)]
        return {
            "source": "tscbm",
            "listen": f"127.0.0.1:{port}",
            "intersection_id": SIGNALS_INTERSECTION,
            "map": "map-main",
            "groups": groups,
        }

    def _sight(
        self, names: tuple[str, ...], now: Callable[[], float]
    ) -> Callable[[], list[tuple[str, str, Any]]]:
        return lambda: self._seen(names, now())

    def _seen(self, names: tuple[str, ...], t: float) -> list[tuple[str, str, Any]]:
        assert self.traffic is not None
        out = []
        for name in names:
            for m in self.traffic.by_actor.get(name, []):
                if self.traffic.active(m, t):
                    out.append((m.key, m.actor.kind, self.traffic.pose(m, t)))
        return out

    @property
    def standard(self) -> str:
        """The message set the daemon runs (``[rsu] standard`` of the scenario's config)."""
        rsu = self.config.get("rsu", {})
        name = rsu.get("standard") if isinstance(rsu, dict) else None
        return name if isinstance(name, str) else DEFAULT_MESSAGE_SET

    def _config(self, radio: dict[str, Any], signals: dict[str, Any] | None) -> dict[str, Any]:
        s, w = self.scenario, self.workdir
        assert self.broker is not None
        cfg: dict[str, Any] = {
            "rsu": {"id": RSU_ID, "latitude": ORIGIN[0], "longitude": ORIGIN[1]},
            "daemon": {
                "control_socket": str(w / "control.sock"),
                "metrics_listen": "127.0.0.1:0",
                "stats_interval_s": 1.0,
                "drain_timeout_s": 3.0,
            },
            "log": {"level": "info", "format": "json"},
            "radio": radio,
            "uplink": {
                "broker": f"mqtt://127.0.0.1:{self.broker.port}",
                "spool_path": str(w / "spool.db"),
                "heartbeat_s": 2.0,
                "reconnect_min_s": 0.1,
                "reconnect_max_s": 0.5,
            },
        }
        if signals is not None:  # the demo MAP (intersection 36243) and its live SPaT
            cfg["signals"] = signals
            cfg["broadcast"] = {"messages": [
                {"name": "map-main", "file": "map.hex", "psid": 0xE0000017, "interval_ms": 1000}
            ]}  # fmt: skip
        if s.gnss:
            port = self.bench.gnss_port or str(w / "gnss0")
            cfg["gnss"] = {
                "backend": "serial",
                "port": port,
                "surveyed_lat": ORIGIN[0],
                "surveyed_lon": ORIGIN[1],
                "fix_timeout_s": 1.0,
            }
        if s.radars:
            cfg["sensors"] = {"radar": [self._radar_table(r) for r in s.radars]}
        if s.cameras:
            cfg["perception"] = {
                "detector": {"backend": "sim"},
                "cameras": [self._camera_table(c) for c in s.cameras],
            }
        return resolve_files(merge(cfg, s.config), s.path.parent if s.path else None)

    def _radar_table(self, spec: Any) -> dict[str, Any]:
        assert self.can is not None
        return {
            "name": spec.name,
            "backend": "can",
            "interface": self.can.daemon_interface,
            "channel": self.can.daemon_channel,
            "north_m": spec.north_m,
            "east_m": spec.east_m,
            "yaw_deg": spec.yaw_deg,
        }

    def _camera_table(self, spec: Any) -> dict[str, Any]:
        actors = {a.name: a for a in self.scenario.actors}
        actor = actors.get(spec.sees[0]) if spec.sees else None
        table = camera_table(spec, actor, self.scenario.faults, ORIGIN, self.workdir)
        if self.bench.camera:
            table["source"] = self.bench.camera
        return table

    def stop(self) -> None:
        """Stop everything that was started, the daemon first (it drains to the broker)."""
        parts: list[Any] = [
            self.daemon, *self.radars, self.can, self.gnss, self.radio, self.controller
        ]  # fmt: skip
        for part in [*parts, self.cloud, self.broker]:
            if part is None:
                continue
            stop = part.close if isinstance(part, CanRoute) else part.stop
            with contextlib.suppress(Exception):  # tear down the rest whatever one does
                stop()
