"""Fleet bench: N simulated RSUs (real ``Uplink``s, daemon role, MQTT 5) on one local
mosquitto through a broker restart.

    .venv/bin/python bench/fleet.py [--rsus 500] [--procs 4] [--outage 10] [--out FILE]

Each RSU publishes one event (critical, QoS 1) and one SPAT (perishable, 2 s expiry) a second.
Reported: connects per RSU (2 = no client-id takeover loop), the spread of reconnect times
after the restart against the backoff window, every QoS 1 event delivered (ids checked by a
persistent subscriber), stale SPATs expired at the RSUs instead of sent, and the memory of the
broker and of the RSU processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.conftest
from bench.measure import report, rss_mb
from tests.conftest import Broker

RECONNECT_MIN_S, RECONNECT_MAX_S, EXPIRY_S = 0.5, 8.0, 2.0


def _uplinks(first: int, count: int, port: int, tmp: str) -> list[Any]:
    from rsu.uplink.config import read_uplink_config
    from rsu.uplink.service import Uplink

    out = []
    for i in range(first, first + count):
        table = {
            "broker": f"mqtt://127.0.0.1:{port}",
            "protocol": "5",
            "spool_path": f"{tmp}/rsu{i:04d}.db",
            "heartbeat_s": 0.0,
            "running_info_s": 0.0,
            "reconnect_min_s": RECONNECT_MIN_S,
            "reconnect_max_s": RECONNECT_MAX_S,
            "expiry_s": EXPIRY_S,
        }
        out.append(Uplink(read_uplink_config({"rsu": {"id": f"fleet-{i:04d}"}, "uplink": table})))
    return out


def worker(first: int, count: int, port: int, tmp: str, pipe: Connection) -> None:
    """One process of RSUs: start, feed 1 event + 1 SPAT a second each, report."""
    from rsu.v2x.codec import get_codec
    from tests.v2x.vectors import load

    codec = get_codec("j2735")
    spat = next(
        m
        for m in (codec.decode(bytes.fromhex(f["hex"])) for f in load("j2735_real.jsonl"))
        if m.short_name == "SPAT"
    )
    ups = _uplinks(first, count, port, tmp)
    for up in ups:
        up.start()
    reconnected: dict[int, float] = {}
    sent = [0] * count
    stop = threading.Event()

    def feed() -> None:
        while not stop.wait(1.0):
            for k, up in enumerate(ups):
                if up.submit_data("events", {"rsu": first + k, "n": sent[k]}):
                    sent[k] += 1
                up.submit_message(spat)

    def watch() -> None:
        while not stop.wait(0.02):
            for k, up in enumerate(ups):
                if k not in reconnected and up.stats().connects >= 2:
                    reconnected[k] = time.time()

    threads = [threading.Thread(target=feed), threading.Thread(target=watch)]
    pipe.send(("started", None))
    while not all(up.stats().connected for up in ups):
        time.sleep(0.05)
    pipe.send(("connected", rss_mb()))
    for t in threads:
        t.start()
    assert pipe.recv() == "stop"
    stop.set()
    for t in threads:
        t.join()
    drained = all(up.wait_drained(120.0) for up in ups)
    rss = rss_mb()
    report = []
    for k, up in enumerate(ups):
        st = up.stats()
        report.append(
            {
                "rsu": first + k,
                "connects": st.connects,
                "takeovers": st.takeovers,
                "events_sent": sent[k],
                "expired": st.expired,
                "reconnected_at": reconnected.get(k),
            }
        )
        up.stop()
    pipe.send(("done", {"drained": drained, "rss_mb": rss, "rsus": report}))


class Subscriber:
    """A persistent MQTT 5 session for events and SPATs (survives the broker restart)."""

    def __init__(self, port: int) -> None:
        self.events: set[tuple[int, int]] = set()
        self.spat_age_s: list[float] = []
        self.lock = threading.Lock()
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id="fleet-cloud", protocol=paho.MQTTv5)
        c.reconnect_delay_set(0.05, 0.5)
        c.on_message = self._on_message
        ready = threading.Event()
        c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(
            [("rsu/+/events", 1), ("rsu/+/v2x/SPAT", 1)]
        )
        c.on_subscribe = lambda *a: ready.set()
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        c.connect("127.0.0.1", port, clean_start=False, properties=props)
        c.loop_start()
        assert ready.wait(10)
        self.client = c

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        body = json.loads(msg.payload)
        with self.lock:
            for rec in body if isinstance(body, list) else [body]:
                if msg.topic.endswith("/events"):
                    self.events.add((rec["data"]["rsu"], rec["data"]["n"]))
                else:
                    at = datetime.fromisoformat(rec["received_at"].replace("Z", "+00:00"))
                    self.spat_age_s.append(time.time() - at.timestamp())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rsus", type=int, default=500)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--warm", type=float, default=5.0, help="seconds of traffic before")
    ap.add_argument("--outage", type=float, default=10.0, help="seconds the broker is down")
    ap.add_argument("--after", type=float, default=15.0, help="seconds of traffic after")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rsu-fleet-") as d:
        broker = Broker(Path(d), persistent=True)
        broker.start()
        sub = Subscriber(broker.port)
        per = -(-args.rsus // args.procs)
        pipes, procs = [], []
        for p in range(args.procs):
            first, count = p * per, min(per, args.rsus - p * per)
            ours, theirs = mp.Pipe()
            proc = mp.Process(target=worker, args=(first, count, broker.port, d, theirs))
            proc.start()
            pipes.append(ours)
            procs.append(proc)
        t0 = time.time()
        for pipe in pipes:
            assert pipe.recv()[0] == "started"
        rss_connected = [pipe.recv()[1] for pipe in pipes]
        connected_s = time.time() - t0
        broker_rss_before = rss_mb(broker.proc.pid) if broker.proc else 0.0
        time.sleep(args.warm)
        broker.stop()  # SIGTERM: a graceful restart that keeps the subscriber's session
        time.sleep(args.outage)
        broker.start()
        back_at = time.time()
        time.sleep(args.after)
        broker_rss_after = rss_mb(broker.proc.pid) if broker.proc else 0.0
        for pipe in pipes:
            pipe.send("stop")
        reports = [pipe.recv()[1] for pipe in pipes]
        for proc in procs:
            proc.join(60)
        time.sleep(2.0)
        sub.client.disconnect()
        sub.client.loop_stop()
        broker.stop()
    rsus = [r for rep in reports for r in rep["rsus"]]
    delays = sorted(r["reconnected_at"] - back_at for r in rsus if r["reconnected_at"])
    want = {(r["rsu"], n) for r in rsus for n in range(r["events_sent"])}
    results = {
        "rsus": args.rsus,
        "procs": args.procs,
        "load": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "all_connected_s": round(connected_s, 1),
        "outage_s": args.outage,
        "backoff": {"min_s": RECONNECT_MIN_S, "max_s": RECONNECT_MAX_S, "jitter": "equal"},
        "connects_per_rsu": {
            str(c): sum(r["connects"] == c for r in rsus)
            for c in sorted({r["connects"] for r in rsus})
        },
        "takeovers": sum(r["takeovers"] for r in rsus),
        "reconnected": len(delays),
        "reconnect_after_broker_back_s": {
            "min": round(delays[0], 2),
            "p50": round(delays[len(delays) // 2], 2),
            "p90": round(delays[int(len(delays) * 0.9)], 2),
            "max": round(delays[-1], 2),
            "spread": round(delays[-1] - delays[0], 2),
        }
        if delays
        else None,
        "events": {
            "sent": len(want),
            "delivered": len(want & sub.events),
            "missing": len(want - sub.events),
        },
        "spat": {
            "expired_at_rsus": sum(r["expired"] for r in rsus),
            "delivered": len(sub.spat_age_s),
            "delivered_older_than_expiry": sum(a > EXPIRY_S + 1.0 for a in sub.spat_age_s),
        },
        "drained": all(rep["drained"] for rep in reports),
        "memory_mb": {
            "broker_before_outage": round(broker_rss_before, 1),
            "broker_after": round(broker_rss_after, 1),
            "rsu_processes_connected": [round(x, 1) for x in rss_connected],
            "rsu_processes_end": [round(rep["rss_mb"], 1) for rep in reports],
            "per_rsu": round(sum(rep["rss_mb"] for rep in reports) / args.rsus, 2),
        },
    }
    report(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
