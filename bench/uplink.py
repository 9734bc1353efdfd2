"""Uplink benchmark: records/s through spool -> QoS 1 -> a local mosquitto, backlog drain,
spool bytes per record and RSS; baseline: paho publishing the same payloads directly.

    .venv/bin/python bench/uplink.py [--records 100000] [--backlog 1000000] [--out FILE]
    .venv/bin/python bench/uplink.py --cli-only [--records N] [--baseline-src CHECKOUT]
        (`rsu replay` of N/5 frames as a user runs it; the baseline checkout first)

Real decoded frames from ../shared/vectors (80% BSM) are cycled; decoding is not part of the
uplink numbers (the codec is measured separately and reported as such).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from rsu.uplink.config import read_uplink_config
from rsu.uplink.packing import encode_body
from rsu.uplink.records import message_body
from rsu.uplink.service import Uplink
from rsu.uplink.spool import Spool
from rsu.v2x.codec import get_codec
from rsu.v2x.message import V2xMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.conftest, tests.v2x
from bench.measure import report, rss_mb
from tests.conftest import Broker
from tests.v2x.vectors import load


def spool_file_bytes(path: Path) -> int:
    """The spool's size on disk: the database and its WAL (not the lock file)."""
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*") if p.suffix != ".lock")


def load_messages() -> list[V2xMessage]:
    codec = get_codec("j2735")
    frames = load("j2735_real.jsonl")
    return [codec.decode(bytes.fromhex(f["outer_hex"] or f["hex"])) for f in frames]


def make_uplink(tmp: Path, port: int, name: str, **extra: Any) -> Uplink:
    table = {
        "broker": f"mqtt://127.0.0.1:{port}",
        "spool_path": str(tmp / f"{name}.db"),
        "heartbeat_s": 0.0,
        "running_info_s": 0.0,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
        "spool_max_mb": 2000.0,
        "expiry_s": 0.0,  # throughput of every record: none dropped as stale (as on main)
        **extra,
    }
    return Uplink(read_uplink_config({"rsu": {"id": "bench"}, "uplink": table}))


def feed(up: Uplink, msgs: list[V2xMessage], n: int, rate: float = 0.0) -> float:
    """Submit n messages (paced at ``rate``/s when given); returns the submit duration."""
    start = time.monotonic()
    for i in range(n):
        if rate > 0 and i % 100 == 0:
            ahead = start + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        while not up.has_room():
            time.sleep(0.001)
        up.submit_message(msgs[i % len(msgs)])
    return time.monotonic() - start


def bench_flood(
    tmp: Path, port: int, msgs: list[V2xMessage], n: int, **extra: Any
) -> dict[str, Any]:
    up = make_uplink(tmp, port, f"flood{len(extra)}", **extra)
    up.start()
    while not up.stats().connected:
        time.sleep(0.01)
    t0 = time.monotonic()
    feed(up, msgs, n)
    assert up.wait_drained(600)
    dt = time.monotonic() - t0
    st = up.stats()
    up.stop()
    return {
        "records": n,
        "seconds": round(dt, 2),
        "records_per_s": round(n / dt),
        "acked": st.acked,
        "rss_mb": round(rss_mb(), 1),
    }


def bench_decode_e2e(tmp: Path, port: int, n: int) -> dict[str, Any]:
    """Hex as received -> codec (framing + UPER) -> uplink -> PUBACK: the radio-to-broker path."""
    codec = get_codec("j2735")
    frames = load("j2735_real.jsonl")
    raw = [bytes.fromhex(f["outer_hex"] or f["hex"]) for f in frames]
    up = make_uplink(tmp, port, "e2e")
    up.start()
    while not up.stats().connected:
        time.sleep(0.01)
    t0 = time.monotonic()
    for i in range(n):
        msg = codec.decode(raw[i % len(raw)])
        while not up.has_room():
            time.sleep(0.001)
        up.submit_message(msg)
    assert up.wait_drained(600)
    dt = time.monotonic() - t0
    up.stop()
    t1 = time.monotonic()
    for i in range(min(n, 20_000)):
        codec.decode(raw[i % len(raw)])
    decode_us = (time.monotonic() - t1) / min(n, 20_000) * 1e6
    return {
        "records": n,
        "seconds": round(dt, 2),
        "records_per_s": round(n / dt),
        "decode_only_us_per_frame": round(decode_us, 1),
    }


def bench_paced(
    tmp: Path, port: int, msgs: list[V2xMessage], rate: float, seconds: float
) -> dict[str, Any]:
    up = make_uplink(tmp, port, "paced")
    up.start()
    while not up.stats().connected:
        time.sleep(0.01)
    n = int(rate * seconds)
    rss = [rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            rss.append(rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.monotonic()
    fed = feed(up, msgs, n, rate)
    assert up.wait_drained(600)
    lag = time.monotonic() - t0 - fed
    done.set()
    sampler.join()
    st = up.stats()
    up.stop()
    return {
        "offered_per_s": rate,
        "records": n,
        "submit_s": round(fed, 2),
        "achieved_per_s": round(n / fed),
        "drain_lag_after_last_s": round(lag, 2),
        "acked": st.acked,
        "rss_mb_min": round(min(rss), 1),
        "rss_mb_max": round(max(rss), 1),
    }


def bench_outage_paced(
    tmp: Path, broker: Broker, msgs: list[V2xMessage], rate: float, seconds: float
) -> dict[str, Any]:
    """A shorter outage at the live rate: how the spool fills when records trickle in."""
    broker.stop()
    up = make_uplink(tmp, broker.port, "outage")
    up.start()
    n = int(rate * seconds)
    feed(up, msgs, n, rate)
    while up.stats().accepted < n:
        time.sleep(0.05)
    size = spool_file_bytes(tmp / "outage.db")
    spool = Spool(tmp / "outage.db")
    rows = spool.stats().rows
    spool.close()
    broker.start()
    t0 = time.monotonic()
    assert up.wait_drained(600)
    drain_s = time.monotonic() - t0
    up.stop()
    return {
        "offered_per_s": rate,
        "records": n,
        "rows": rows,
        "records_per_row": round(n / rows, 1),
        "spool_bytes_per_record": round(size / n, 1),
        "drain_s": round(drain_s, 2),
        "drain_per_s": round(n / drain_s),
    }


def bench_drain_with_live(
    tmp: Path, broker: Broker, msgs: list[V2xMessage], backlog: int, rate: float
) -> dict[str, Any]:
    """A backlog drained while live records keep arriving at ``rate``."""
    broker.stop()
    up = make_uplink(tmp, broker.port, "live")
    up.start()
    feed(up, msgs, backlog)
    while up.stats().accepted < backlog:
        time.sleep(0.05)
    broker.start()
    stop = threading.Event()
    fed = [0]

    def live() -> None:
        start = time.monotonic()
        while not stop.is_set():
            ahead = start + fed[0] / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            up.submit_message(msgs[fed[0] % len(msgs)])
            fed[0] += 1

    t0 = time.monotonic()
    feeder = threading.Thread(target=live)
    feeder.start()
    while up.stats().acked < backlog and time.monotonic() - t0 < 300:
        time.sleep(0.05)
    caught_up = time.monotonic() - t0
    stop.set()
    feeder.join()
    assert up.wait_drained(300)
    up.stop()
    return {
        "backlog": backlog,
        "live_per_s": rate,
        "backlog_cleared_s": round(caught_up, 1),
        "backlog_per_s": round(backlog / caught_up),
        "live_fed": fed[0],
    }


def bench_backlog(tmp: Path, broker: Broker, msgs: list[V2xMessage], n: int) -> dict[str, Any]:
    broker.stop()
    up = make_uplink(tmp, broker.port, "backlog")
    up.start()
    rss0 = rss_mb()
    t0 = time.monotonic()
    feed(up, msgs, n)
    while up.stats().accepted + up.stats().dropped.get("queue_full", 0) < n:
        time.sleep(0.05)
    fill_s = time.monotonic() - t0
    pending = up.stats().pending
    counted = up.stats().spool_bytes
    size = spool_file_bytes(tmp / "backlog.db")
    rss_full = rss_mb()
    broker.start()
    t1 = time.monotonic()
    assert up.wait_drained(1800)
    drain_s = time.monotonic() - t1
    st = up.stats()
    up.stop()
    return {
        "records": n,
        "pending_before_drain": pending,
        "fill_s": round(fill_s, 1),
        "fill_per_s": round(n / fill_s),
        "drain_s": round(drain_s, 1),
        "drain_per_s": round(pending / drain_s),
        "acked": st.acked,
        "spool_bytes_on_disk": size,
        "spool_bytes_per_record": round(size / pending, 1),
        "spool_counted_bytes": counted,
        "rss_mb_start": round(rss0, 1),
        "rss_mb_full": round(rss_full, 1),
        "rss_mb_after": round(rss_mb(), 1),
    }


def bench_wire_bytes(msgs: list[V2xMessage], batch: int = 50) -> dict[str, Any]:
    """Bytes per BSM on the wire (MQTT payload) for each payload profile and wire format,
    over every BSM of the real mix: one record a publish, and batches of ``batch``."""
    from rsu.uplink.wire import WireFormat

    bsms = [m for m in msgs if m.short_name == "BSM"]
    out: dict[str, Any] = {"bsms": len(bsms), "batch": batch}
    formats = {
        "json": WireFormat(),
        "cbor": WireFormat("cbor"),
        "json+zlib": WireFormat("json", "zlib"),
        "cbor+zlib": WireFormat("cbor", "zlib"),
    }
    for profile in ("full", "decoded", "raw"):
        parts = [
            encode_body(
                message_body(
                    m, record_id=f"{i:030x}", rsu_id="rsu-0042", received_at=1.7e9, profile=profile
                )
            )
            for i, m in enumerate(bsms)
        ]
        row: dict[str, Any] = {}
        for name, fmt in formats.items():
            single = sum(len(p) for part in parts for p in fmt.payloads([part], batch=False))
            batched = sum(
                len(p)
                for k in range(0, len(parts), batch)
                for p in fmt.payloads(parts[k : k + batch], batch=True)
            )
            row[name] = {
                "single": round(single / len(parts), 1),
                "batched": round(batched / len(parts), 1),
            }
        out[profile] = row
    full = out["full"]["json"]["single"]
    out["raw_over_full"] = round(out["raw"]["json"]["single"] / full, 3)
    return out


_CHILD = """
import sys, time
import structlog
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
from rsu.uplink.config import read_uplink_config
from rsu.uplink.service import Uplink
table = {"broker": sys.argv[1], "spool_path": sys.argv[2], "protocol": sys.argv[3],
         "heartbeat_s": 0.0, "running_info_s": 0.0}
cfg = read_uplink_config({"rsu": {"id": "bench"}, "uplink": table})
up = Uplink(cfg, on_command=lambda c: None)
up.start()
while not up.stats().connected:
    time.sleep(0.01)
print("ready", flush=True)
sys.stdin.readline()
print(sum(up.stats().commands.values()), flush=True)
up.stop()
"""


def bench_command_rss(
    tmp: Path, port: int, protocol: str, src: str | None = None, n: int = 8, mb: int = 30
) -> dict[str, Any]:
    """RSS of an uplink process (``src``: another checkout, for a baseline) before and after
    ``n`` downlink commands of ``mb`` MB each (all too large), then one good command."""
    import subprocess

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            f"mqtt://127.0.0.1:{port}",
            str(tmp / f"rss{protocol}.db"),
            protocol,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    before = rss_mb(child.pid)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="rss-bench")
    client.connect("127.0.0.1", port)
    client.loop_start()
    peak = before
    big = b'{"id": "x", "pad": "' + b"a" * (mb * 1024 * 1024) + b'"}'
    for _ in range(n):
        client.publish("rsu/bench/cmd/config", big, qos=1).wait_for_publish(60)
        time.sleep(1.0)
        peak = max(peak, rss_mb(child.pid))
    client.publish("rsu/bench/cmd/config", b'{"heartbeat_s": 5}', qos=1).wait_for_publish(10)
    time.sleep(2.0)
    after = rss_mb(child.pid)
    child.stdin.write("\n")
    child.stdin.flush()
    answered = int(child.stdout.readline())
    child.wait(30)
    client.disconnect()
    client.loop_stop()
    return {
        "protocol": protocol,
        "code": "main" if src else "branch",
        "commands": f"{n} x {mb} MB + 1 good",
        "acked": answered,
        "rss_mb_before": round(before, 1),
        "rss_mb_peak": round(peak, 1),
        "rss_mb_after": round(after, 1),
    }


def bench_replay_cli(
    tmp: Path, port: int, frames: int, src: str | None = None, rounds: int = 2
) -> dict[str, Any]:
    """``rsu replay`` as a user runs it (``src``: another checkout, for a baseline): the real
    J2735 frames cycled to ``frames`` lines, decoded and uploaded until drained; wall time
    and the process's CPU (user + system) per frame."""
    import resource
    import subprocess

    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    hexes = [f["outer_hex"] or f["hex"] for f in load("j2735_real.jsonl")]
    lines = tmp / "replay.hex"
    lines.write_text("\n".join(hexes[i % len(hexes)] for i in range(frames)) + "\n")
    best: dict[str, Any] = {}
    for k in range(rounds):
        cfg = tmp / f"replay{k}.toml"
        cfg.write_text(
            f'[rsu]\nid = "bench"\n[uplink]\nbroker = "mqtt://127.0.0.1:{port}"\n'
            f'spool_path = "{tmp}/replay{k}-{src is None}.db"\nheartbeat_s = 0.0\n'
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "rsu.cli.main", "replay", "--config", str(cfg), str(lines)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=900,
            cwd=src,
        )
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr[-2000:]
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        run = {
            "frames_per_s": round(frames / wall),
            "cpu_us_per_frame": round(cpu / frames * 1e6, 1),
        }
        if not best or run["cpu_us_per_frame"] < best["cpu_us_per_frame"]:
            best = run
    return {"code": "main" if src else "branch", "frames": frames, **best}


def bench_baseline(port: int, msgs: list[V2xMessage], n: int, batch: int) -> dict[str, Any]:
    """paho alone, QoS 1, same payloads, same in-flight window (64), no spool."""
    payloads = []
    for i in range(min(n, 5000)):
        m = msgs[i % len(msgs)]
        payloads.append(
            encode_body(
                message_body(m, record_id=f"{i:030x}", rsu_id="bench", received_at=time.time())
            )
        )
    acked = threading.Semaphore(0)
    window = threading.Semaphore(64)

    def on_publish(c: Any, u: Any, mid: int, rc: Any, p: Any) -> None:
        window.release()
        acked.release()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="baseline")
    client.max_inflight_messages_set(80)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    pubs = (n + batch - 1) // batch
    t0 = time.monotonic()
    for k in range(pubs):
        window.acquire()
        if batch == 1:
            body = payloads[k % len(payloads)]
        else:
            part = [payloads[(k * batch + j) % len(payloads)] for j in range(batch)]
            body = b"[" + b",".join(part) + b"]"
        client.publish("bench/baseline", body, qos=1)
    for _ in range(pubs):
        acked.acquire()
    dt = time.monotonic() - t0
    client.disconnect()
    client.loop_stop()
    return {
        "records": pubs * batch,
        "batch": batch,
        "seconds": round(dt, 2),
        "records_per_s": round(pubs * batch / dt),
    }


def main() -> int:  # noqa: PLR0915 - one section per measurement, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=10_000.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--backlog", type=int, default=1_000_000)
    ap.add_argument("--out", default=None, help="write the JSON results here")
    ap.add_argument("--wire-only", action="store_true", help="only bytes per BSM on the wire")
    ap.add_argument("--rss-only", action="store_true", help="only RSS under 30 MB commands")
    ap.add_argument("--cli-only", action="store_true", help="only `rsu replay` (frames/s, CPU)")
    ap.add_argument("--baseline-src", default=None, help="checkout for the baselines (main)")
    args = ap.parse_args()
    msgs = load_messages()
    if args.wire_only:
        print(json.dumps(bench_wire_bytes(msgs), indent=1))
        return 0
    if args.cli_only or args.rss_only:
        sources = ([args.baseline_src] if args.baseline_src else []) + [None]
        with tempfile.TemporaryDirectory(prefix="rsu-bench-") as d:
            broker = Broker(Path(d)).start()
            try:
                for src in sources:  # the baseline checkout first, then this one
                    if args.cli_only:
                        runs = [bench_replay_cli(Path(d), broker.port, args.records // 5, src)]
                    else:
                        runs = [
                            bench_command_rss(Path(d), broker.port, p, src) for p in ("3.1.1", "5")
                        ]
                    for out in runs:
                        print(json.dumps(out), flush=True)
            finally:
                broker.stop()
        return 0
    bsm = sum(m.short_name == "BSM" for m in msgs)
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
            "loadavg_start": os.getloadavg(),
        },
        "mix": {"frames": len(msgs), "bsm_share": round(bsm / len(msgs), 2)},
    }
    results["wire_bytes_per_bsm"] = bench_wire_bytes(msgs)
    with tempfile.TemporaryDirectory(prefix="rsu-bench-") as d:
        tmp = Path(d)
        broker = Broker(tmp)
        broker.start()
        try:
            results["baseline_paho_single"] = bench_baseline(broker.port, msgs, args.records, 1)
            results["baseline_paho_batch100"] = bench_baseline(broker.port, msgs, args.records, 100)
            print(json.dumps(results, indent=1), flush=True)
            results["flood"] = bench_flood(tmp, broker.port, msgs, args.records)
            print(json.dumps(results["flood"]), flush=True)
            results["paced"] = bench_paced(tmp, broker.port, msgs, args.rate, args.seconds)
            print(json.dumps(results["paced"]), flush=True)
            results["flood_cn_rsu"] = bench_flood(
                tmp, broker.port, msgs, args.records // 2, dialect="cn-rsu"
            )
            print(json.dumps(results["flood_cn_rsu"]), flush=True)
            results["decode_e2e"] = bench_decode_e2e(tmp, broker.port, args.records // 2)
            print(json.dumps(results["decode_e2e"]), flush=True)
            results["outage_paced"] = bench_outage_paced(tmp, broker, msgs, args.rate, 5.0)
            print(json.dumps(results["outage_paced"]), flush=True)
            results["drain_with_live"] = bench_drain_with_live(
                tmp, broker, msgs, args.backlog // 5 or 200_000, args.rate
            )
            print(json.dumps(results["drain_with_live"]), flush=True)
            if args.backlog:
                results["backlog"] = bench_backlog(tmp, broker, msgs, args.backlog)
                print(json.dumps(results["backlog"]), flush=True)
        finally:
            broker.stop()
    results["machine"]["loadavg_end"] = os.getloadavg()
    report(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
