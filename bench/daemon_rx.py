"""The daemon's receive path from the RSU 4.1 UDP port to the broker (issue 14.2).

    .venv/bin/python bench/daemon_rx.py [--records 20000] [--rounds 3] [--workers 0,2]

``rsu run`` as a subprocess (rsu41 backend, a private mosquitto, every BSM uploaded: no
sampling, QoS 1 through the spool), once per ``[daemon] decode_workers`` value. Once READY
(start-up excluded), ``--records`` distinct real BSMs (``bench/decode_command.distinct_bsms``,
bare, as an RSU forwards them) are sent as UDP datagrams, paced at ``--offer`` per second in
10 ms slices; the clock stops when every record has been delivered by the broker to a
subscriber of the bench (QoS 1, so acknowledged first), or when nothing more has come for
10 s. Rate = records delivered / that time; frames the daemon never got (the socket's
receive buffer overflowed: its reader thread was starved) or dropped (its inbound queue) are
reported as lost, never hidden. Also per round: the parallel
capacity of the machine (``bench/decode_command.capacity``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.daemon import start, stop  # noqa: E402
from bench.decode_command import capacity, distinct_bsms  # noqa: E402
from rsu.daemon.control import ControlClient  # noqa: E402
from tests.conftest import Broker, free_port  # noqa: E402

CONFIG = """
[rsu]
id = "bench"
[daemon]
control_socket = "{work}/control-{name}.sock"
metrics_listen = ""
stats_interval_s = 0.0
inbound_queue = 200000
decode_workers = {workers}
[log]
level = "warning"
[radio]
backend = "rsu41"
[radio.rsu41]
listen = "127.0.0.1:{udp}"
ifm_target = "127.0.0.1:{ifm}"
[uplink]
broker = "{url}"
spool_path = "{work}/spool-{name}.db"
heartbeat_s = 0.0
running_info_s = 0.0
"""


def _send(udp: int, frames: list[bytes], offer: int) -> float:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    t0 = time.perf_counter()
    sent = 0
    while sent < len(frames):
        due = min(len(frames), int((time.perf_counter() - t0) * offer) + 1)
        while sent < due:
            s.sendto(frames[sent], ("127.0.0.1", udp))
            sent += 1
        time.sleep(0.01)
    s.close()
    return time.perf_counter() - t0


def run_one(work: Path, url: str, workers: int, frames: list[bytes], offer: int) -> dict[str, Any]:
    name = f"w{workers}-{time.monotonic_ns()}"
    udp = free_port()
    path = work / f"{name}.toml"
    path.write_text(
        CONFIG.format(work=work, name=name, workers=workers, udp=udp, ifm=free_port(), url=url)
    )
    counter = _Counter(url)
    proc, ready = start(work, path, work / "cache")
    try:
        client = ControlClient(work / f"control-{name}.sock", timeout=10)
        t0 = time.perf_counter()
        send_s = _send(udp, frames, offer)
        seen = counter.wait(len(frames), t0 + 120)
        elapsed = (counter.last or time.perf_counter()) - t0
        st: dict[str, Any] = client.request("status")["status"]
    finally:
        stop(proc)
        counter.close()
    return {
        "ready_s": ready,
        "send_s": send_s,
        "seconds": elapsed,
        "received": seen,
        "rate": seen / elapsed,
        "inbound_dropped": st["queues"]["radio"]["dropped"],
        "decoded": st["decode"]["ok"],
    }


class _Counter:
    """A subscriber counting records as the broker delivers them (a record is one
    ``"schema":`` in a payload: cheap, no JSON parsing in the bench process)."""

    def __init__(self, url: str) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.n = 0
        self.last: float | None = None
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on
        host, port = url.rsplit("/", 1)[1].split(":")
        self.client.connect(host, int(port))
        self.client.subscribe("rsu/bench/v2x/#", qos=1)
        self.client.loop_start()

    def _on(self, client: Any, userdata: Any, msg: Any) -> None:
        self.n += msg.payload.count(b'"schema":')
        self.last = time.perf_counter()

    def wait(self, n: int, deadline: float) -> int:
        quiet = time.perf_counter()
        last_n = -1
        while self.n < n and time.perf_counter() < deadline:
            if self.n != last_n:
                last_n, quiet = self.n, time.perf_counter()
            elif time.perf_counter() - quiet > 10:
                break  # nothing for 10 s: the rest was lost (reported)
            time.sleep(0.01)
        return self.n

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--offer", type=int, default=20_000, help="datagrams/s sent")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    bare, _ = distinct_bsms(args.records)
    frames = [bytes.fromhex(h) for h in bare]
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rsu-bench-daemon-rx-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        broker = Broker(work)
        broker.start()
        try:
            for i in range(args.rounds):
                r: dict[str, Any] = {}
                r["burn_serial"], r["burn_parallel"] = capacity(env)
                for w in workers:
                    r[f"w{w}"] = run_one(work, broker.url, w, frames, args.offer)
                r["load_avg"] = os.getloadavg()[0]
                rounds.append(r)
                print(f"round {i + 1}: {json.dumps(r)}", file=sys.stderr)
        finally:
            broker.stop()
    report: dict[str, Any] = {"records": args.records, "offer": args.offer}
    for w in workers:
        report[f"rate_w{w}"] = statistics.median(r[f"w{w}"]["rate"] for r in rounds)
        report[f"dropped_w{w}"] = max(r[f"w{w}"]["inbound_dropped"] for r in rounds)
    for w in workers[1:]:
        report[f"speedup_w{w}"] = statistics.median(
            r[f"w{w}"]["rate"] / r[f"w{workers[0]}"]["rate"] for r in rounds
        )
    report["capacity"] = statistics.median(r["burn_serial"] / r["burn_parallel"] for r in rounds)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
