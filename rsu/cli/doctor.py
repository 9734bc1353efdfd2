"""``rsu doctor``: check what the daemon needs, one verdict and one hint per item.

Config, radio link, GNSS (device or gpsd, fix and clock), MQTT reachability (and TLS), cameras,
CAN interfaces, spool disk, and whether a daemon answers on the control socket. Nothing is
changed; devices are only opened briefly. Exit 0 when nothing failed (warnings allowed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rsu.cli._args import seconds
from rsu.cli._control import colour, print_json, table
from rsu.errors import RsuError

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    verdict: str
    detail: str
    hint: str = ""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "doctor", help="check config, devices, broker, disk", description=__doc__
    )
    p.add_argument("--config", "-c", default="/etc/rsu/rsu.toml", help="config file to check")
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")
    p.add_argument(
        "--timeout", type=seconds, default=3.0, help="seconds per network check (default 3)"
    )
    p.set_defaults(func=run)


def _config(path: str) -> tuple[Check, Any]:
    from rsu.cli.config import _files
    from rsu.config.loader import load_config

    try:
        cfg = load_config(path)
        _files(cfg)
    except RsuError as err:
        return Check("config", FAIL, str(err), "fix the named key; `rsu config check PATH`"), None
    return Check("config", OK, f"{cfg.path} ({', '.join(cfg.sections)})"), cfg


def _device(name: str, path: str, hint: str) -> Check:
    p = Path(path)
    if not p.exists():
        return Check(name, FAIL, f"{path} does not exist", hint)
    if not os.access(p, os.R_OK | os.W_OK):
        return Check(name, FAIL, f"{path}: no read/write access", "add the rsu user to 'dialout'")
    return Check(name, OK, f"{path} present and accessible")


def _radio(cfg: Any, timeout: float) -> Check:
    r = cfg.radio
    if r.backend == "sim":
        return Check("radio", WARN, "sim backend (simulated traffic)", "set [radio] backend")
    if r.backend == "serial":
        return _device("radio", r.serial.port, "plug the radio module; check `ls /dev/ttyUSB*`")
    host, port = r.rsu41.listen
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError as err:
            return Check(
                "radio",
                WARN,
                f"rsu41 listen {host}:{port}: {err.strerror}",
                "is the daemon already running, or another program on that port?",
            )
    return Check("radio", OK, f"rsu41: {host}:{port} free, forwarding to {r.rsu41.ifm_target}")


def _gnss(cfg: Any, timeout: float) -> Check:
    g = cfg.gnss
    if g is None:
        return Check("gnss", WARN, "no [gnss]: times come from the host clock", "add [gnss]")
    if g.backend == "sim":
        return Check("gnss", WARN, "sim backend", "set [gnss] backend to serial or gpsd")
    if g.backend == "serial":
        return _device("gnss", g.port, "check the receiver's USB cable and port")
    try:
        with socket.create_connection(g.gpsd, timeout=timeout):
            pass
    except OSError as err:
        return Check("gnss", FAIL, f"gpsd {g.gpsd[0]}:{g.gpsd[1]}: {err}", "systemctl status gpsd")
    return Check("gnss", OK, f"gpsd reachable at {g.gpsd[0]}:{g.gpsd[1]}")


def _clock() -> Check:
    synced = Path("/run/systemd/timesync/synchronized").exists()
    if synced:
        return Check("time", OK, "system clock synchronised (systemd-timesyncd)")
    return Check(
        "time",
        WARN,
        "clock synchronisation not confirmed",
        "use chrony with the GNSS PPS, or `timedatectl set-ntp true`",
    )


def _mqtt(cfg: Any, timeout: float) -> Check:
    b, up = cfg.uplink.broker, cfg.uplink
    try:
        sock = socket.create_connection((b.host, b.port), timeout=timeout)
    except OSError as err:
        return Check(
            "mqtt",
            FAIL,
            f"{b.host}:{b.port}: {err}",
            "check the broker address, the network and firewall; records wait in the spool",
        )
    with sock:
        if not b.tls:
            return Check(
                "mqtt",
                WARN if b.host not in ("127.0.0.1", "localhost") else OK,
                f"{b.host}:{b.port} reachable (no TLS)",
                "use mqtts:// off the box",
            )
        try:  # an unreadable CA or client certificate is a FAIL verdict, not a crash
            ctx = ssl.create_default_context(cafile=up.tls.ca_file)
            ctx.check_hostname = up.tls.check_hostname
            if up.tls.cert_file:
                ctx.load_cert_chain(up.tls.cert_file, up.tls.key_file)
            with ctx.wrap_socket(sock, server_hostname=b.host) as tls:
                version = tls.version()
        except (ssl.SSLError, OSError) as err:
            return Check(
                "mqtt",
                FAIL,
                f"TLS to {b.host}:{b.port}: {err}",
                "check uplink.ca_file and the broker's certificate name",
            )
    return Check("mqtt", OK, f"{b.host}:{b.port} reachable, {version}")


def _cameras(cfg: Any, timeout: float) -> list[Check]:
    pc = cfg.perception
    if pc is None or not pc.cameras:
        return [Check("camera", OK, "none configured (perception off)")]
    out = []
    for cam in pc.cameras:
        try:
            from rsu.perception.camera import Camera

            c = Camera(cam)
            frame = c.read()
            c.close()
        except RsuError as err:
            out.append(Check(f"camera {cam.name}", FAIL, str(err), "check the source URL/path"))
            continue
        ok = frame is not None
        out.append(
            Check(
                f"camera {cam.name}",
                OK if ok else FAIL,
                "a frame was read" if ok else "no frame",
                "check the stream",
            )
        )
    return out


def _can(cfg: Any) -> list[Check]:
    out = []
    for r in cfg.radars:
        if r.backend == "sim":
            out.append(Check(f"can {r.name}", WARN, "sim radar", 'set backend = "can"'))
        elif r.interface == "socketcan" and not Path(f"/sys/class/net/{r.channel}").exists():
            out.append(
                Check(
                    f"can {r.name}",
                    FAIL,
                    f"no interface {r.channel}",
                    f"ip link set {r.channel} up type can bitrate 500000",
                )
            )
        else:
            out.append(Check(f"can {r.name}", OK, f"{r.interface}:{r.channel}"))
    return out


def _disk(cfg: Any) -> Check:
    path = Path(cfg.uplink.spool_path).resolve().parent
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    need = cfg.uplink.spool.max_bytes
    if not os.access(probe, os.W_OK):
        return Check("spool", FAIL, f"{probe} not writable", "StateDirectory=rsu in the unit")
    verdict = OK if free > need * 1.2 else WARN
    return Check(
        "spool",
        verdict,
        f"{path}: {free / 2**20:.0f} MiB free, spool may use {need / 2**20:.0f} MiB",
        "" if verdict == OK else "lower uplink.spool_max_mb",
    )


def _daemon(cfg: Any) -> list[Check]:
    """Is a daemon answering, and (from it) does the GNSS have a fix and agree on the time?"""
    from rsu.daemon.control import ControlClient

    try:
        reply = ControlClient(cfg.daemon.control_socket, timeout=2.0).request("status")
    except RsuError as err:
        return [Check("daemon", WARN, str(err), "systemctl start rsu")]
    st = reply["status"]
    out = [Check("daemon", OK, f"running, {st['mode']}, up {st['uptime_s']:.0f} s")]
    gnss = st.get("gnss")
    if gnss is not None:
        out.append(_fix(gnss.get("fix"), reply["info"].get("time")))
    return out


def _fix(fix: dict[str, Any] | None, host_time: float | None) -> Check:
    if not fix or not fix.get("valid"):
        return Check("gnss fix", FAIL, "no valid fix", "antenna cable and sky view")
    detail = f"quality {fix['quality']}, {fix['satellites']} satellites"
    if fix.get("utc") and host_time is not None:
        from datetime import datetime

        gnss_time = datetime.fromisoformat(fix["utc"].replace("Z", "+00:00")).timestamp()
        offset = host_time - gnss_time
        detail += f", host clock {offset:+.1f} s from GNSS"
        if abs(offset) > 2.0:  # fixes are ~1 s apart; more means the host clock is off
            return Check("gnss fix", WARN, detail, "sync the clock to GNSS (chrony + PPS)")
    return Check("gnss fix", OK, detail)


def run(args: argparse.Namespace) -> int:
    check, cfg = _config(args.config)
    checks = [check]
    if cfg is not None:
        steps: list[Callable[[], Check | list[Check]]] = [
            lambda: _radio(cfg, args.timeout),
            lambda: _gnss(cfg, args.timeout),
            _clock,
            lambda: _mqtt(cfg, args.timeout),
            lambda: _cameras(cfg, args.timeout),
            lambda: _can(cfg),
            lambda: _disk(cfg),
            lambda: _daemon(cfg),
        ]
        for step in steps:
            result = step()
            checks += result if isinstance(result, list) else [result]
    failed = any(c.verdict == FAIL for c in checks)
    if args.json:
        print_json({"ok": not failed, "checks": [asdict(c) for c in checks]})
        return 1 if failed else 0
    paint = {OK: "green", WARN: "yellow", FAIL: "red"}
    rows = [[c.name, colour(c.verdict.upper(), paint[c.verdict]), c.detail, c.hint] for c in checks]
    print(table(rows, ["check", "verdict", "detail", "hint"]))
    return 1 if failed else 0
