"""HIL bench: radio-to-broker latency of the real daemon under a growing number of vehicles.

For each load, a busy-intersection scenario (vehicles at 10 Hz through the RSU 4.1 peer on
loopback UDP) runs against the daemon and reports the latency from the moment the emulated RSU
forwards a BSM to the moment the harness's MQTT subscriber has its record, plus the daemon's
peak RSS and its slowest control-socket answer. The baseline, measured in the same run, is the
same subscriber receiving QoS 1 publishes straight from a paho client through the same
mosquitto (the cloud path without the daemon).

    .venv/bin/python bench/hil_latency.py [--vehicles 56,150,300] [--seconds 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any


def _scenario(vehicles: int, seconds: float) -> Any:
    from hil.scenario import Scenario

    per = max(1, vehicles // 4)
    legs = [
        ("north", [[1.8, -150.0], [1.8, 150.0]]),
        ("south", [[-1.8, 150.0], [-1.8, -150.0]]),
        ("east", [[-150.0, -1.8], [150.0, -1.8]]),
        ("west", [[150.0, 1.8], [-150.0, 1.8]]),
    ]
    data = {
        "scenario": {"name": f"load-{vehicles}", "duration_s": seconds, "drain_s": 6.0},
        "actors": [
            {"name": n, "count": per, "path": p, "speed_mps": 12.0, "lanes": 3.6} for n, p in legs
        ],
        "expect": [
            {"kind": "delivered", "types": ["BSM"]},
            {"kind": "latency", "types": ["BSM"], "p99_max_ms": 1e9},
            {"kind": "responsive", "max_ms": 1e9},
        ],
    }
    return Scenario.from_dict(data)


def baseline(rate_hz: float, seconds: float) -> dict[str, float]:
    """QoS 1 publishes straight to mosquitto at ``rate_hz``; subscriber receipt latency."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from hil.broker import Cloud, Mosquitto
    from hil.expect import _percentile

    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        cloud = Cloud(broker.port, "bench/#")
        cloud.start()
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        sent: dict[int, float] = {}
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < seconds:
            due = int((time.monotonic() - t0) * rate_hz)
            while n < due:
                sent[n] = time.monotonic()
                pub.publish("bench/x", json.dumps({"n": n}), qos=1)
                n += 1
            time.sleep(0.002)
        time.sleep(1.0)
        got = {json.loads(m.payload)["n"]: m.at for m in cloud.snapshot()}
        pub.loop_stop()
        pub.disconnect()
        cloud.stop()
        broker.stop()
    lat = [(got[k] - t) * 1000 for k, t in sent.items() if k in got]
    return {
        "n": len(lat),
        "lost": len(sent) - len(lat),
        "p50_ms": _percentile(lat, 50),
        "p99_ms": _percentile(lat, 99),
    }


def main() -> int:
    from hil.runner import run_scenario

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vehicles", default="56,150,300")
    p.add_argument("--seconds", type=float, default=4.0)
    args = p.parse_args()
    loads = [int(v) for v in args.vehicles.split(",")]
    rows = []
    for v in loads:
        base = baseline(v * 10.0, args.seconds)
        r = run_scenario(_scenario(v, args.seconds))
        m = {name: o.metrics for name, o in r.outcomes}
        delivered, latency, resp = (
            m.get(k, {}) for k in ("delivered#0", "latency#1", "responsive#2")
        )
        rows.append(
            {
                "vehicles": v,
                "msgs_per_s": v * 10,
                "sent": delivered.get("sent"),
                "lost": delivered.get("lost"),
                "daemon_p50_ms": latency.get("p50_ms"),
                "daemon_p99_ms": latency.get("p99_ms"),
                "baseline_p50_ms": base["p50_ms"],
                "baseline_p99_ms": base["p99_ms"],
                "status_max_ms": resp.get("max_ms"),
                "rss_mb": resp.get("rss_mb"),
                "error": r.error,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
