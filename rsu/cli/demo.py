"""``rsu demo``: the whole RSU on simulated inputs, with a live view of what goes to the cloud.

Runs the daemon on the embedded demo config (simulated vehicles and pedestrians, sim radio and
GNSS, a sim radar, store-and-repeat MAP and SPaT). MQTT: a private ``mosquitto`` on a free
loopback port when it is installed, else no broker (records fill the spool, and the view says
so). Until Ctrl-C or ``--duration``; everything lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from rsu.cli._args import seconds
from rsu.cli._control import colour, table


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo", help="run everything simulated, watch the cloud side", description=__doc__
    )
    p.add_argument("--duration", type=seconds, help="stop after S seconds (default: Ctrl-C)")
    p.add_argument("--config", "-c", help="another config instead of the embedded demo")
    p.add_argument("--no-broker", action="store_true", help="do not start mosquitto")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--json", action="store_true", help="JSON lines instead of the live view")
    p.set_defaults(func=run)


@dataclasses.dataclass(slots=True)
class Session:
    workdir: Path
    broker: Any = None
    cloud: Any = None
    note: str = ""
    reader_gone: bool = False
    """stdout's reader went away (``rsu demo --json | head``): the demo stops."""
    left_out: list[str] = dataclasses.field(default_factory=list)


def _load_what_is_installed(path: Path, s: Session) -> Any:
    """The config without the optional tables whose dependencies are not installed (a fresh
    ``pip install -e .`` has no numpy, cantools or pynmeagps): the demo runs with what there
    is and says what was left out."""
    from rsu.config.loader import EXTRAS, config_from_dict, missing_modules, read_toml

    real = path.resolve()
    data = read_toml(real)
    for section, (extra, _) in EXTRAS.items():
        if section in data and (missing := missing_modules(section)):
            del data[section]
            s.left_out.append(
                f"[{section}] (needs {', '.join(missing)}: pip install 'rsu-edge[{extra}]')"
            )
    return config_from_dict(data, real)


def _prepare(args: argparse.Namespace, s: Session) -> Any:
    from rsu.config.loader import demo_config_path
    from rsu.daemon.demo import CloudView, LocalBroker, find_mosquitto, free_port
    from rsu.uplink.config import BrokerUrl

    cfg = _load_what_is_installed(Path(args.config or demo_config_path()), s)
    binary = None if args.no_broker else find_mosquitto()
    if binary is not None:
        s.broker = LocalBroker(binary, s.workdir)
        if not s.broker.wait_ready():
            s.broker.stop()
            s.broker, binary = None, None
    port = s.broker.port if s.broker is not None else free_port()
    if s.broker is not None:
        s.note = f"mosquitto on 127.0.0.1:{port} (private to this demo)"
        s.cloud = CloudView("127.0.0.1", port, f"rsu/{cfg.rsu.id}")
    else:
        why = "--no-broker" if args.no_broker else "mosquitto not found"
        s.note = (
            f"NO MQTT BROKER ({why}): records are kept in the spool "
            f"{s.workdir / 'spool.db'}; they would be sent once a broker is reachable"
        )
    uplink = dataclasses.replace(
        cfg.uplink,
        broker=BrokerUrl(False, "127.0.0.1", port),
        spool_path=str(s.workdir / "spool.db"),
        reconnect_max_s=2.0,
    )
    daemon = dataclasses.replace(
        cfg.daemon,
        control_socket=str(s.workdir / "control.sock"),
        metrics_listen=("127.0.0.1", 0),
    )
    return dataclasses.replace(cfg, uplink=uplink, daemon=daemon)


def _air(st: dict[str, Any]) -> str:
    by_type = st.get("radio", {}).get("counters", {}).get("by_type", {})
    rx = ", ".join(f"{k} {v['decoded']}" for k, v in by_type.items() if v.get("decoded"))
    tx = ", ".join(f"{k} {v['sent']}" for k, v in by_type.items() if v.get("sent"))
    return f"air     rx decoded: {rx or '-'}   tx: {tx or '-'}"


def _rows(s: Session, st: dict[str, Any], last: dict[str, int] | None) -> list[list[Any]]:
    """Per topic: records, rate (over the last second, or since the start when ``last`` is
    None), last record."""
    if s.cloud is not None:
        counts = {t: (recs, text) for t, (_, recs, text) in s.cloud.snapshot().items()}
    else:
        streams = st.get("cloud", {}).get("streams", {})
        counts = {k: (v["count"], v["last"]) for k, v in streams.items()}
    dt = 1.0 if last is not None else max(float(st.get("uptime_s", 1.0)), 1.0)
    rows = [
        [t, n, f"{(n - (last.get(t, n) if last is not None else 0)) / dt:.1f}", text]
        for t, (n, text) in counts.items()
    ]
    if last is not None:
        last.update({t: n for t, (n, _) in counts.items()})
    return rows


def _fusion(st: dict[str, Any]) -> str:
    fusion = st.get("fusion") or {}
    return f"{fusion.get('objects', 0)} objects" if fusion else "off"


def _render(s: Session, d: Any, last: dict[str, int] | None, stopped: bool = False) -> str:
    st = d.parts.stats.latest().as_dict()
    up = st.get("uplink", {})
    if stopped and s.cloud is not None:  # the summary after stopping: closed on purpose
        mqtt = colour("closed", "yellow")
    elif up.get("connected"):
        mqtt = colour("connected", "green")
    else:
        mqtt = colour("not connected", "red")
    title = "received by the cloud" if s.cloud is not None else "spooled for the cloud"
    return "\n".join(
        [
            colour(
                f"rsu demo - {st.get('rsu_id')}  up {st.get('uptime_s', 0):.0f} s  "
                f"mode {st.get('mode')}",
                "bold",
            ),
            f"broker  {s.note}",
            _air(st),
            f"fusion  {_fusion(st)}; mqtt {mqtt}; "
            f"spool {up.get('pending', 0)} pending, acked {up.get('acked', 0)}",
            "",
            table(_rows(s, st, last), [title, "records", "per s", "last"]),
            "",
            colour(
                "stopped"
                if stopped
                else f"rsu status --socket {d.parts.control.path}   (Ctrl-C to stop)",
                "dim",
            ),
        ]
    )


def _json_line(s: Session, d: Any) -> dict[str, Any]:
    """One JSON line per second: what was spooled and what the broker delivered."""
    st = d.parts.stats.latest().as_dict()
    received = None
    if s.cloud is not None:
        received = {
            topic: {"messages": m, "records": r, "last": text}
            for topic, (m, r, text) in s.cloud.snapshot().items()
        }
    return {
        "uptime_s": st.get("uptime_s"),
        "submitted": st.get("cloud", {}).get("streams"),
        "uplink": st.get("uplink"),
        "received": received,
    }


def _view(s: Session, d: Any, done: threading.Event, as_json: bool) -> None:
    try:
        _show(s, d, done, as_json)
    except BrokenPipeError:
        s.reader_gone = True
        d.request_stop()


def _show(s: Session, d: Any, done: threading.Event, as_json: bool) -> None:
    last: dict[str, int] = {}
    tty = sys.stdout.isatty() and not as_json
    while not done.wait(1.0):
        if as_json:
            print(json.dumps(_json_line(s, d), separators=(",", ":")), flush=True)
        elif tty:
            print("\033[H\033[2J" + _render(s, d, last), flush=True)
    if not as_json:
        print(_render(s, d, None, stopped=True), flush=True)


def run(args: argparse.Namespace) -> int:
    from rsu import logs
    from rsu.clock import SystemClock
    from rsu.daemon import build

    s = Session(Path(tempfile.mkdtemp(prefix="rsu-demo-")))
    log_file = (s.workdir / "daemon.log").open("w", encoding="utf-8")
    logs.configure("info", "json", stream=log_file)
    try:
        daemon = build(_prepare(args, s), SystemClock())
        daemon.install_signals()
        daemon.start()
        print(colour(s.note, "yellow" if s.cloud is None else "green"), file=sys.stderr)
        for text in s.left_out:
            print(colour(f"demo without {text}", "yellow"), file=sys.stderr)
        print(f"logs: {s.workdir / 'daemon.log'}", file=sys.stderr)
        if args.duration is not None:
            timer = threading.Timer(args.duration, daemon.request_stop)
            timer.daemon = True
            timer.start()
        done = threading.Event()
        viewer = threading.Thread(target=_view, args=(s, daemon, done, args.json), daemon=True)
        viewer.start()
        code = daemon.run()
        done.set()
        viewer.join(timeout=3.0)
        if s.reader_gone:
            raise BrokenPipeError  # rsu.cli.main ends quietly, as Unix tools do
        return code
    finally:
        if s.cloud is not None:
            s.cloud.stop()
        if s.broker is not None:
            s.broker.stop()
        log_file.close()
        if not args.keep:
            shutil.rmtree(s.workdir, ignore_errors=True)
