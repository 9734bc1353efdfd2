"""Air-interface benchmarks: serial link through the firmware emulator, and RSU 4.1 UDP receive.

    .venv/bin/python bench/radio.py [--seconds 1.5] [--out bench/RESULTS-radio.md]

Measures, each with a baseline taken in the same run:
- serial TX throughput: pipelined TX_REQUEST -> TX_RESULT through a pty (baseline: raw bytes
  through the same kind of pty, no framing, no emulator);
- serial TX latency: one TX_REQUEST, wait for its TX_RESULT (p50/p99);
- serial RX throughput and latency: RX_PDU frames from the emulator to ``radio.rx``;
- UDP receive rate of the rsu41 backend with real frames (baseline: a bare socket loop).
A pty has no baud rate: the numbers are the host-side cost; a real 921600-baud UART carries
at most ~92 kB/s, which is printed next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.framing import Frame, encode_frame
from rsu.radio import RadioConfig, Rsu41Config, SerialConfig, open_radio
from rsu.radio.serial import SerialRadio
from rsu.wire import TxRequest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.v2x.vectors import VECTORS  # noqa: E402

PAYLOAD = (
    bytes.fromhex("0014251d9d7a4c2a30dc0a6c7d1ab0e5c6c0002050fdfa1fa1007fff8000000000000000") * 4
)  # ~144 bytes, a BSM-sized payload
UART_BYTES_S = 921600 / 10


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def raw_pty_baseline(seconds: float) -> float:
    """Bytes/s through a bare pty (write master, read slave), same chunk size as frames."""
    master, slave = os.openpty()
    tty.setraw(slave)
    chunk = encode_frame(Frame(0x20, 1, PAYLOAD))
    total = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal total
        while not stop.is_set():
            total += len(os.read(slave, 65536))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        os.write(master, chunk)
    elapsed = time.perf_counter() - start
    stop.set()
    os.write(master, b"\x00")
    t.join(1.0)
    os.close(master)
    os.close(slave)
    return total / elapsed


def serial_bench(seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, FirmwareEmulator(f"{tmp}/tty") as emu:
        radio = open_radio(
            RadioConfig(backend="serial", queue_size=100_000, serial=SerialConfig(port=emu.path))
        )
        assert isinstance(radio, SerialRadio)
        radio.start()
        radio.wait_ready(5.0)
        req = TxRequest(PAYLOAD, psid=0x20, channel=172)
        # latency: one at a time
        lat = []
        end = time.perf_counter() + seconds / 2
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            radio.transmit(req)
            lat.append((time.perf_counter() - t0) * 1000)
        out["tx_latency_p50_ms"] = statistics.median(lat)
        out["tx_latency_p99_ms"] = pct(lat, 0.99)
        # throughput: pipelined, window of 64 outstanding
        sent0 = radio.counters.snapshot()["total"]["sent"]  # type: ignore[index]
        n = 0
        start = time.perf_counter()
        end = start + seconds
        while time.perf_counter() < end:
            done = radio.counters.snapshot()["total"]["sent"] - sent0  # type: ignore[index, operator]
            if n - done < 64:
                radio.send(req)
                n += 1
            else:
                time.sleep(0)
        while radio.counters.snapshot()["total"]["sent"] - sent0 < n:  # type: ignore[index, operator]
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        out["tx_frames_s"] = n / elapsed
        out["tx_payload_bytes_s"] = n * len(PAYLOAD) / elapsed
        # RX: emulator -> host queue
        rx_lat = []
        for _ in range(200):
            t0 = time.perf_counter()
            emu.inject_rx(PAYLOAD)
            radio.rx.get(timeout=2.0)
            rx_lat.append((time.perf_counter() - t0) * 1000)
        out["rx_latency_p50_ms"] = statistics.median(rx_lat)
        out["rx_latency_p99_ms"] = pct(rx_lat, 0.99)
        count = 2000
        start = time.perf_counter()
        for _ in range(count):
            emu.inject_rx(PAYLOAD)
        got = 0
        while got < count and radio.rx.get(timeout=2.0) is not None:
            got += 1
        elapsed = time.perf_counter() - start
        out["rx_frames_s"] = got / elapsed
        out["rx_lost"] = count - got
        radio.stop()
    return out


def _real_frames() -> list[bytes]:
    path = VECTORS / "j2735_real.jsonl"
    if not path.exists():
        return [PAYLOAD]
    return [
        bytes.fromhex(d["outer_hex"] or d["hex"])
        for d in map(json.loads, path.read_text().splitlines())
    ]


def _blast(
    target: tuple[str, int], frames: list[bytes], seconds: float, rate: float | None = None
) -> int:
    """Send real frames to ``target``: flat out, or paced at ``rate`` datagrams/s."""
    batch = frames[:100]
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.perf_counter()
        end = start + seconds
        while (now := time.perf_counter()) < end:
            if rate is not None and sent > (now - start) * rate:
                time.sleep(0.001)
                continue
            for data in batch:
                s.sendto(data, target)
            sent += len(batch)
            if rate is None:
                time.sleep(0.0005)
    return sent


def _rsu41_run(frames: list[bytes], seconds: float, rate: float | None) -> tuple[int, float, int]:
    radio = open_radio(
        RadioConfig(
            backend="rsu41", queue_size=1_000_000, rsu41=Rsu41Config(listen=("127.0.0.1", 0))
        )
    )
    radio.start()
    start = time.perf_counter()
    sent = _blast(radio.listen_address, frames, seconds, rate)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    time.sleep(0.3)
    received = int(radio.counters.snapshot()["total"]["received"])  # type: ignore[index, call-overload]
    seen = received + sum(radio.counters.bad_input.values())
    radio.stop()
    return sent, seen / elapsed, sent - seen


def udp_bench(seconds: float) -> dict[str, float]:
    frames = _real_frames()
    out: dict[str, float] = {}
    # baseline: a bare socket loop
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.3)
    got = 0

    def drain() -> None:
        nonlocal got
        while True:
            try:
                sock.recv(4096)
            except TimeoutError:
                return
            got += 1

    t = threading.Thread(target=drain)
    t.start()
    start = time.perf_counter()
    sent = _blast(sock.getsockname(), frames, seconds)
    t.join()
    out["baseline_udp_sent"] = sent
    out["baseline_udp_recv_s"] = got / (time.perf_counter() - start - 0.3)
    out["baseline_udp_lost"] = sent - got
    sock.close()
    # the rsu41 backend, flat out and paced at 10k datagrams/s (10x a busy intersection)
    sent, rate, lost = _rsu41_run(frames, seconds, None)
    out.update(rsu41_flat_sent=sent, rsu41_flat_recv_s=rate, rsu41_flat_lost=lost)
    sent, rate, lost = _rsu41_run(frames, seconds, 10_000.0)
    out.update(rsu41_10k_sent=sent, rsu41_10k_recv_s=rate, rsu41_10k_lost=lost)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from rsu import logs

    logs.configure("error")  # keep link-down/bad-input warnings out of the numbers
    results: dict[str, float] = {"raw_pty_bytes_s": raw_pty_baseline(args.seconds / 2)}
    results.update(serial_bench(args.seconds))
    results.update(udp_bench(args.seconds))
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(json.dumps({"machine": machine, **results}, indent=1))
    if args.out:
        lines = [f"| {k} | {v:,.3f} |" for k, v in results.items()]
        args.out.write_text("\n".join(["| metric | value |", "|---|---|", *lines]) + "\n")
    print(
        f"(a 921600-baud UART carries {UART_BYTES_S:,.0f} B/s = "
        f"{UART_BYTES_S / (len(PAYLOAD) + 30):,.0f} such frames/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
