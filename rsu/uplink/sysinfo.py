"""Host running info for heartbeats (cpu, mem, disk, net), read from /proc; missing -> absent."""

from __future__ import annotations

import os
import shutil
from typing import Any


def running_info(disk_path: str = "/") -> dict[str, Any]:
    info: dict[str, Any] = {}
    try:
        load1, load5, _ = os.getloadavg()
        info["cpu"] = {"load1": round(load1, 2), "load5": round(load5, 2), "cores": os.cpu_count()}
    except OSError:
        pass
    mem = _meminfo()
    if mem:
        info["mem"] = mem
    try:
        target = os.path.dirname(os.path.abspath(disk_path)) or "/"
        usage = shutil.disk_usage(target)
        info["disk"] = {"total": usage.total, "used": usage.used, "free": usage.free}
    except OSError:
        pass
    net = _netdev()
    if net:
        info["net"] = net
    return info


def _meminfo() -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    out[key.lower()] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return {}
    return out


def _netdev() -> dict[str, int]:
    rx = tx = 0
    try:
        with open("/proc/net/dev", encoding="ascii") as fh:
            for line in list(fh)[2:]:
                name, _, rest = line.partition(":")
                if name.strip() == "lo":
                    continue
                fields = rest.split()
                rx += int(fields[0])
                tx += int(fields[8])
    except (OSError, ValueError, IndexError):
        return {}
    return {"rx_bytes": rx, "tx_bytes": tx}
