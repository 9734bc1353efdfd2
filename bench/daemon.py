"""Daemon benchmark: start-up to READY (cold and warm ASN.1 cache), idle CPU and RSS, and RSS
under a sustained 10,000 messages/s load on the RSU 4.1 UDP backend.

    .venv/bin/python bench/daemon.py [--load-s 20] [--rate 10000]

Each measurement runs ``rsu run`` as a subprocess with a real NOTIFY_SOCKET (READY is when the
daemon says so). Baselines measured in the same run: the bare interpreter start-up, and the
importing of the CLI. The load is real J2735 BSMs (encoded once, before the run) sent as UDP
datagrams to the ``rsu41`` listen port, the way a commercial RSU forwards what it hears; the
daemon decodes every one, fuses nothing (no [fusion]) and uploads 1 BSM in 10 per sender to a
private mosquitto (the production template's policy).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rsu.daemon.control import ControlClient  # noqa: E402
from rsu.daemon.demo import LocalBroker, find_mosquitto, free_port  # noqa: E402

CONFIG = """
[rsu]
id = "bench"
[daemon]
control_socket = "{work}/control.sock"
metrics_listen = ""
stats_interval_s = 10.0
[log]
level = "warning"
[radio]
backend = "{backend}"
[radio.rsu41]
listen = "127.0.0.1:{udp}"
[radio.sim]
vehicles = 0
pedestrians = 0
[uplink]
broker = "mqtt://127.0.0.1:{mqtt}"
spool_path = "{work}/spool.db"
[uplink.policy.BSM]
sample = {sample}
"""


def _notify_socket(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    return s


def start(work: Path, config: Path, cache: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``rsu run`` and return it with the seconds until READY=1 arrived."""
    notify = _notify_socket(work / f"notify-{time.monotonic_ns()}.sock")
    env = {**os.environ, "NOTIFY_SOCKET": notify.getsockname(), "RSU_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rsu.cli.main", "run", "--config", str(config)],
        env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    notify.settimeout(120)
    while b"READY=1" not in notify.recv(4096):
        pass
    ready = time.perf_counter() - t0
    notify.close()
    return proc, ready


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


def proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used, RSS bytes) of ``pid`` from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def baseline_s(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def bsm_frames(n: int = 5000) -> list[bytes]:
    from rsu.radio.config import SimConfig
    from rsu.radio.sim import Traffic
    from rsu.v2x.codec import get_codec

    codec = get_codec("j2735")
    traffic = Traffic(SimConfig(vehicles=500, pedestrians=0))
    frames: list[bytes] = []
    tick = 0
    while len(frames) < n:
        frames += [codec.encode(f) for _, f in traffic.frames(tick, time.time())]
        tick += 1
    return frames[:n]


def load(port: int, rate: int, seconds: float, frames: list[bytes], sample: Any) -> int:
    """Send ``rate`` datagrams/s for ``seconds``, in 10 ms slices; ``sample()`` every 0.5 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    per_slice = rate // 100
    sent = 0
    t0 = time.perf_counter()
    next_sample = t0
    while (now := time.perf_counter()) - t0 < seconds:
        due = int((now - t0) * rate)
        for _ in range(min(due - sent, per_slice * 4)):
            s.sendto(frames[sent % len(frames)], ("127.0.0.1", port))
            sent += 1
        if now >= next_sample:
            sample()
            next_sample = now + 0.5
        time.sleep(0.002)
    s.close()
    return sent


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["python_start_s"] = baseline_s("pass")
    out["import_cli_s"] = baseline_s("import rsu.cli.main, rsu.daemon")
    broker = LocalBroker(find_mosquitto() or "mosquitto", work)
    try:
        broker.wait_ready()
        _measure(args, work, broker.port, out)
    finally:  # a failed run leaves no broker (the daemons are stopped in _measure)
        broker.stop()
    return out


def _measure(args: argparse.Namespace, work: Path, mqtt: int, out: dict[str, Any]) -> None:
    cache = work / "cache"
    udp = free_port()
    for name, backend in (("idle", "sim"), ("load", "rsu41")):
        text = CONFIG.format(work=work, backend=backend, udp=udp, mqtt=mqtt, sample=args.sample)
        (work / f"{name}.toml").write_text(text)
    proc, out["ready_cold_s"] = start(work, work / "idle.toml", cache)
    stop(proc)
    proc, out["ready_warm_s"] = start(work, work / "idle.toml", cache)
    try:
        time.sleep(2.0)
        cpu0, _ = proc_stats(proc.pid)
        time.sleep(args.idle_s)
        cpu1, rss = proc_stats(proc.pid)
    finally:
        stop(proc)
    out["idle_cpu_pct"] = 100 * (cpu1 - cpu0) / args.idle_s
    out["idle_rss_mb"] = rss / 2**20

    frames = bsm_frames()
    proc, _ = start(work, work / "load.toml", cache)
    try:
        out.update(_load_run(args, work, proc, udp, frames))
    finally:
        stop(proc)


def _load_run(
    args: argparse.Namespace,
    work: Path,
    proc: subprocess.Popen[bytes],
    udp: int,
    frames: list[bytes],
) -> dict[str, Any]:
    client = ControlClient(work / "control.sock", timeout=10)
    rss_max = [0]

    def sample() -> None:
        rss_max[0] = max(rss_max[0], proc_stats(proc.pid)[1])

    cpu0, _ = proc_stats(proc.pid)
    before = client.request("status")["status"]
    t0 = time.perf_counter()
    sent = load(udp, args.rate, args.load_s, frames, sample)
    elapsed = time.perf_counter() - t0
    time.sleep(1.0)
    cpu1, rss_end = proc_stats(proc.pid)
    after = client.request("status")["status"]
    decoded = after["decode"]["ok"] - before["decode"]["ok"]
    return {
        "load_rate": args.rate,
        "load_s": elapsed,
        "sent": sent,
        "sent_per_s": sent / elapsed,
        "decoded": decoded,
        "decoded_per_s": decoded / elapsed,
        "inbound_dropped": after["queues"]["radio"]["dropped"],
        "radio_bad": after["radio"]["counters"]["bad_input"],
        "load_cpu_pct": 100 * (cpu1 - cpu0) / (elapsed + 1.0),
        "load_rss_max_mb": rss_max[0] / 2**20,
        "load_rss_end_mb": rss_end / 2**20,
        "uplink_accepted": after["uplink"]["accepted"],
        "uplink_acked": after["uplink"]["acked"],
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--load-s", type=float, default=20.0)
    p.add_argument("--idle-s", type=float, default=10.0)
    p.add_argument("--rate", type=int, default=10_000)
    p.add_argument("--sample", type=int, default=10, help="upload 1 BSM in N per sender")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rsu-bench-"))
    try:
        results = measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for key, value in results.items():
        print(f"{key:20} {value:.3f}" if isinstance(value, float) else f"{key:20} {value}")


if __name__ == "__main__":
    main()
