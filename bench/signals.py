"""Live SPaT benchmark, through the daemon a user runs (``rsu run``), on loopback UDP.

Four controllers (the emulator's TSCBM, 10 Hz each, from 127.0.0.11..14) send to the
daemon's ``[signals] listen`` port; the daemon's radio is ``rsu41`` whose immediate-forward
target is this script's socket. Measured in one run:

- latency: controller datagram sent -> its SPaT (IFM ``Type=SPAT``, decoded, matched by the
  intersection id) received here. This includes two loopback hops more than "received ->
  queued for the radio", so it is an upper bound of what the target names; the in-process
  core (``SignalsCore.on_datagram``, parse + eventState + UPER encode) is timed too.
- CPU: the daemon's user+system CPU seconds (``/proc/PID/stat``) over a window with the four
  controllers sending, against the same-length window just before with none (the same
  daemon, idle with its alarm raised): the difference divided by the window is the share of
  one core the controllers cost.

    python bench/signals.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rsu.config.loader import demo_config_path  # noqa: E402
from rsu.radio.rsu41 import parse_ifm  # noqa: E402
from rsu.signals import tscbm  # noqa: E402
from rsu.signals.emulator import Emulator, PlanConfig  # noqa: E402
from rsu.v2x.codec import get_codec  # noqa: E402

CONTROLLERS = 4
BASE_ID = 36243
TICK = os.sysconf("SC_CLK_TCK")


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(work: Path, listen: int, ifm: int) -> Path:
    shutil.copy(demo_config_path().parent / "map.hex", work / "map.hex")
    groups = "".join(
        f"[[signals.intersections.groups]]\nsignal_group = {n}\nphase = {n}\n" for n in (2, 4, 6, 8)
    )
    inters = "".join(
        f"[[signals.intersections]]\nintersection_id = {BASE_ID + k}\n"
        f'controller = "127.0.0.{11 + k}"\n' + ('map = "map-main"\n' if k == 0 else "") + groups
        for k in range(CONTROLLERS)
    )
    path = work / "rsu.toml"
    path.write_text(
        f"""[rsu]
id = "bench-signals"
[daemon]
control_socket = "{work}/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
[log]
level = "warning"
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{_port()}"
ifm_target = "127.0.0.1:{ifm}"
[uplink]
broker = "mqtt://127.0.0.1:{_port()}"
spool_path = "{work}/spool.db"
[[broadcast.messages]]
name = "map-main"
file = "map.hex"
psid = 0xE0000017
interval_ms = 1000
[signals]
source = "tscbm"
listen = "127.0.0.1:{listen}"
{inters}"""
    )
    return path


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Receiver(threading.Thread):
    """Reads IFM datagrams; for each SPaT, when it arrived, by intersection id."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock, self.codec = sock, get_codec("j2735")
        self.arrivals: dict[int, list[float]] = {}
        self.stop = False

    def run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            at = time.perf_counter()
            fields = parse_ifm(data)
            if fields.get("Type") != "SPAT":
                continue
            msg = self.codec.decode(bytes.fromhex(fields["Payload"]))
            ident = msg.value["intersections"][0]["id"]["id"]
            self.arrivals.setdefault(ident, []).append(at)


def _send(seconds: float, target: tuple[str, int], rx: Receiver) -> tuple[list[float], int]:
    """Four controllers, 10 Hz each, spread over the 100 ms; latency of each datagram."""
    socks = []
    for k in range(CONTROLLERS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((f"127.0.0.{11 + k}", 0))
        socks.append(s)
    emus = [Emulator(PlanConfig(pedestrian=())) for _ in range(CONTROLLERS)]
    sent: list[tuple[int, float, int]] = []
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        for k in range(CONTROLLERS):
            due = t0 + n * 0.1 + k * 0.025
            time.sleep(max(0.0, due - time.perf_counter()))
            data = tscbm.build(emus[k].state(due - t0, (0, 0, 0, 0)))
            before = len(rx.arrivals.get(BASE_ID + k, []))
            socks[k].sendto(data, target)
            sent.append((BASE_ID + k, time.perf_counter(), before))
        n += 1
    time.sleep(0.5)
    lat = []
    for ident, at, index in sent:
        got = rx.arrivals.get(ident, [])
        if index < len(got):
            lat.append((got[index] - at) * 1000.0)
    for s in socks:
        s.close()
    return lat, len(sent)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))] if s else float("nan")


def in_process(n: int = 2000) -> dict[str, float]:
    from rsu.config.fields import Table
    from rsu.signals.config import SignalsConfig
    from rsu.signals.core import SignalsCore, SpatSettings
    from rsu.signals.model import Datagram

    cfg = SignalsConfig.from_table(
        Table({"intersection_id": 1, "record_hz": 0.0,
               "groups": [{"signal_group": g, "phase": g} for g in (2, 4, 6, 8)]}, "signals")
    )  # fmt: skip
    core = SignalsCore(cfg, SpatSettings(), get_codec("j2735").encode)
    emu = Emulator(PlanConfig(pedestrian=()))
    data = [tscbm.build(emu.state(i * 0.1, (0, 0, 0, 0))) for i in range(n)]
    times = []
    for i, d in enumerate(data):
        t = time.perf_counter()
        core.on_datagram(Datagram(d, "127.0.0.1:1", 1000.0 + i * 0.1, 0.0), 1000.0 + i * 0.1)
        times.append((time.perf_counter() - t) * 1000.0)
    return {"n": n, "p50_ms": _pct(times, 50), "p99_ms": _pct(times, 99)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=20.0, help="each window (idle, then load)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-signals-"))
    ifm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifm.bind(("127.0.0.1", 0))
    listen = _port()
    config = _config(work, listen, ifm.getsockname()[1])
    rsu = [sys.executable, "-m", "rsu.cli.main", "run", "--config", str(config)]
    log = (work / "daemon.log").open("w")
    proc = subprocess.Popen(rsu, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    rx = Receiver(ifm)
    rx.start()
    try:
        deadline = time.monotonic() + 60
        while not (work / "control.sock").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3.0)  # start-up done (compile cache, first ticks)
        c0 = _cpu(proc.pid)
        time.sleep(args.seconds)
        c1 = _cpu(proc.pid)
        lat, sent = _send(args.seconds, ("127.0.0.1", listen), rx)
        c2 = _cpu(proc.pid)
    finally:
        rx.stop = True
        proc.terminate()
        proc.wait(20)
        log.close()
    idle, load = (c1 - c0) / args.seconds, (c2 - c1) / args.seconds
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "through_daemon": {
            "datagrams": sent,
            "spat_matched": len(lat),
            "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p99_ms": round(_pct(lat, 99), 2),
            "max_ms": round(max(lat, default=float("nan")), 2),
        },
        "cpu_core_share": {
            "idle_daemon": round(idle, 4),
            "with_4_controllers": round(load, 4),
            "controllers_cost": round(load - idle, 4),
        },
        "in_process_core": in_process(),
    }
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
