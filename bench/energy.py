"""Charging sites: a status change -> on the air, through the daemon a user runs (``rsu run``).

Two sites in one daemon, each with a real source on loopback, and the daemon's radio
``rsu41`` whose immediate-forward target is this script's socket (every TIM decoded here):

- ``depot``: a local Modbus TCP device (a pymodbus server; ``poll_s`` = 1); the bench writes
  the EVSE's status register (free <-> occupied) and waits for the TIM saying so;
- ``hub-1``: an OCPI 2.2.1 Locations server (http.server; ``poll_s`` = 2); the bench swaps
  the Location it serves (one free CCS <-> none) and waits for the TIM saying so.

For each change: ``change -> air`` (what a driver sees), and the same-run split of it, from
the servers' own logs of when the daemon read them: ``wait for the poll`` (change -> the
first read after it, bounded by ``poll_s``) and ``read -> air`` (the daemon's own share: the
read, queue, core, TIM encode, scheduler, radio). Targets: < 2 s from a local source, within
one poll from OCPI.

    python bench/energy.py [--changes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymodbus.client import ModbusTcpClient  # noqa: E402
from pymodbus.server import ModbusTcpServer  # noqa: E402
from pymodbus.simulator import DataType, SimData, SimDevice  # noqa: E402

from rsu.radio.rsu41 import parse_ifm  # noqa: E402
from rsu.v2x.codec import get_codec  # noqa: E402

FIXTURES = ROOT / "tests" / "energy" / "fixtures"
TOKEN = "bench-token"


def _port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Ocpi:
    """The Location served (swappable) and when each GET was answered."""

    def __init__(self) -> None:
        self.body = (FIXTURES / "location_main_st.json").read_bytes()
        self.reads: list[float] = []
        ocpi = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = ocpi.body
                ocpi.reads.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ocpi/2.2.1/locations/LOC1"


class Modbus:
    """A pymodbus server (its loop in a thread); when each read request came in."""

    def __init__(self) -> None:
        self.port = _port()
        self.reads: list[float] = []
        device = SimDevice(id=1, simdata=[SimData(0, values=[0] * 20, datatype=DataType.REGISTERS)])
        self.loop = asyncio.new_event_loop()

        def trace(sending: bool, pdu: Any) -> Any:
            if not sending and getattr(pdu, "function_code", 0) == 3:
                self.reads.append(time.monotonic())
            return pdu

        async def serve() -> None:
            server = ModbusTcpServer(device, address=("127.0.0.1", self.port), trace_pdu=trace)
            await server.serve_forever()

        threading.Thread(target=self.loop.run_until_complete, args=(serve(),), daemon=True).start()
        self.client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=2)
        deadline = time.monotonic() + 10
        while not self.client.connect() and time.monotonic() < deadline:
            time.sleep(0.1)

    def set(self, value: int) -> None:
        self.client.write_registers(10, [value], device_id=1)


class Air(threading.Thread):
    """Every TIM heard: (arrival, site name, its ITIS text phrases)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock, self.codec = sock, get_codec("j2735")
        self.heard: list[tuple[float, str, tuple[str, ...]]] = []
        self.stop = False

    def run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            at = time.monotonic()
            fields = parse_ifm(data)
            if fields.get("Type") != "TIM":
                continue
            frame = self.codec.decode(bytes.fromhex(fields["Payload"])).jer()["value"]
            df = frame["dataFrames"][0]
            texts = tuple(
                i["item"]["text"] for i in df["content"]["advisory"] if "text" in i["item"]
            )
            self.heard.append((at, df["regions"][0]["name"], texts))

    def wait(self, site: str, texts: tuple[str, ...], since: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, name, said in list(self.heard):
                if at >= since and name == site and said == texts:
                    return at
            time.sleep(0.005)
        return None


def _config(work: Path, ocpi: Ocpi, modbus: Modbus, ifm: int) -> Path:
    (work / "token").write_text(TOKEN)
    path = work / "rsu.toml"
    path.write_text(
        f"""[rsu]
id = "bench-energy"
[daemon]
control_socket = "{work}/control.sock"
metrics_listen = ""
stats_interval_s = 0.0
[log]
level = "warning"
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{_port(socket.SOCK_DGRAM)}"
ifm_target = "127.0.0.1:{ifm}"
[uplink]
broker = "mqtt://127.0.0.1:{_port()}"
spool_path = "{work}/spool.db"

[[energy.sites]]
id = "depot"
name = "Depot"
latitude = 42.2805
longitude = -83.7410
source = "modbus"
interval_ms = 1000
[energy.sites.modbus]
host = "127.0.0.1"
port = {modbus.port}
poll_s = 1
timeout_s = 0.5
[[energy.sites.modbus.evses]]
uid = "E1"
register = 10
connectors = ["CCS"]
power_kw = 50

[[energy.sites]]
id = "hub-1"
name = "Main St"
latitude = 42.2810
longitude = -83.7425
source = "ocpi"
interval_ms = 1000
[energy.sites.ocpi]
url = "{ocpi.url}"
token_file = "token"
poll_s = 2
timeout_s = 1
"""
    )
    return path


def _first_after(times: list[float], t: float) -> float | None:
    return next((x for x in times if x >= t), None)


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median_s": None, "max_s": None}
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
    }


def _measure(air: Air, changes: int, site: str, flip: Any, states: Any, poll: list[float],
             timeout: float) -> dict[str, Any]:  # fmt: skip
    total, wait, share, missed = [], [], [], 0
    jitter = random.Random(1)
    for i in range(changes):
        texts = states[i % 2]
        t0 = time.monotonic()
        flip(i % 2)
        t1 = air.wait(site, texts, t0, timeout)
        if t1 is None:
            missed += 1
            continue
        read = _first_after(poll, t0)
        total.append(t1 - t0)
        if read is not None and read <= t1:
            wait.append(read - t0)
            share.append(t1 - read)
        time.sleep(jitter.uniform(0.2, 2.2))  # changes at random phases of the polls
    return {
        "change_to_air": _stats(total),
        "wait_for_poll": _stats(wait),
        "read_to_air": _stats(share),
        "missed": missed,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--changes", type=int, default=10, help="status changes per source")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-energy-"))
    ifm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifm.bind(("127.0.0.1", 0))
    ocpi, modbus = Ocpi(), Modbus()
    config = _config(work, ocpi, modbus, ifm.getsockname()[1])
    log = (work / "daemon.log").open("w")
    rsu = [sys.executable, "-m", "rsu.cli.main", "run", "--config", str(config)]
    proc = subprocess.Popen(rsu, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    air = Air(ifm)
    air.start()
    full = (FIXTURES / "location_full.json").read_bytes()
    free = ocpi.body
    try:
        assert air.wait("Depot", ("CCS 1/1",), 0.0, 60.0), "the daemon did not start"
        local = _measure(
            air, args.changes, "Depot", lambda k: modbus.set(1 - k),
            [("CCS 0/1",), ("CCS 1/1",)], modbus.reads, 10.0,
        )  # fmt: skip
        remote = _measure(
            air, args.changes, "Main St",
            lambda k: setattr(ocpi, "body", full if k == 0 else free),
            [("CCS 0/2",), ("CCS 1/3", "CHAdeMO 1/1", "Type 1 1/2")], ocpi.reads, 10.0,
        )  # fmt: skip
    finally:
        air.stop = True
        proc.terminate()
        proc.wait(20)
        log.close()
    result = {
        "machine": {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]},
        "modbus_local_poll_1s": local,
        "ocpi_poll_2s": remote,
        "targets": {"local_under_2s": local["change_to_air"]["max_s"] is not None
                    and local["change_to_air"]["max_s"] < 2.0,
                    "ocpi_within_one_poll": remote["change_to_air"]["max_s"] is not None
                    and remote["change_to_air"]["max_s"] < 2.0 + 0.25},
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
