"""The cost of the RSU's own power telemetry: one power reading through the daemon's core.

The demo daemon (``configs/demo.toml`` + ``[power] source = "sim"``) is built the way
``rsu run`` builds it (``rsu.daemon.build``), on a FakeClock, in this process. The bench
times a core turn (``Daemon.step``: serve the queues, tick every stage) with one power reading
on the ``power`` queue (the monitor, its alarms, the shed order, the telemetry handed to the
uplink) against the same turn with nothing queued (same-run baseline), and reports the extra
cost per reading, which at ``poll_s = 1`` is the cost per second. A reading at 30 % SoC
(camera shed, steady) and one alternating across the camera threshold with hysteresis 0 (a
shed and a restore every turn: alarms and records each time) are both measured.

    python bench/power.py [--turns 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=20000)
    args = ap.parse_args()
    import structlog

    from rsu.clock import FakeClock
    from rsu.config.loader import config_from_dict, demo_config_path, read_toml
    from rsu.daemon.build import build
    from rsu.power.model import PowerReading

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # logs built, not printed
    os.chdir(tempfile.mkdtemp(prefix="bench-power-"))
    data = read_toml(demo_config_path())
    data["power"] = {"source": "sim", "shed": {"hysteresis": 0}}
    clock = FakeClock()
    daemon = build(config_from_dict(data, demo_config_path()), clock)
    queue = daemon.parts.inbox["power"]
    steady = PowerReading(soc=30.0, voltage=50.0, current=-2.0, watts=100.0, supply="battery")
    flap = [PowerReading(soc=s, voltage=50.0, supply="battery") for s in (39.0, 41.0)]

    def turns(item: object) -> float:
        start = time.perf_counter()
        for i in range(args.turns):
            if item == "flap":
                queue.put(flap[i % 2])
            elif item is not None:
                queue.put(item)
            clock.advance(0.001)
            daemon.step()
        return (time.perf_counter() - start) / args.turns * 1e6

    turns(steady)  # warm up (first records, alarms)
    base = turns(None)
    one = turns(steady)
    shed = turns("flap")
    base2 = turns(None)
    b = (base + base2) / 2
    print(f"machine load average: {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"core turn, nothing queued (baseline): {b:.1f} us ({base:.1f} / {base2:.1f})")
    print(f"core turn + one power reading:        {one:.1f} us  -> +{one - b:.1f} us a reading")
    print(f"core turn + a shed/restore reading:   {shed:.1f} us  -> +{shed - b:.1f} us a reading")
    print(f"at poll_s = 1: {(one - b) / 1e4:.4f} % of one core for the telemetry")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
