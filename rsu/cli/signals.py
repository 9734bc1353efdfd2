"""``rsu signals listen``: the live phase table of the controllers sending TSCBM to this box.

For checking the wiring and the phase mapping before SPaT goes on the air: listens where the
controller sends (``--listen``, else ``[signals] listen`` of ``--config``, else
``0.0.0.0:6053``), and prints per sender its phase table (vehicle, pedestrian and overlap
outputs, ``*`` when flashing, times to change) and, with ``--config``, the signal groups the
mapping makes of it. Bad datagrams are counted by reason. Nothing is transmitted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from rsu.cli._control import colour, table
from rsu.errors import ConfigError, UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "signals", help="signal controllers: check wiring and mapping", description=__doc__
    )
    sub = p.add_subparsers(dest="signals_command", metavar="COMMAND")
    listen = sub.add_parser("listen", help="print the live phase table from a controller")
    listen.add_argument("--listen", help="host:port to listen on (default 0.0.0.0:6053)")
    listen.add_argument("--config", "-c", help="a daemon config: its [signals] mapping is shown")
    listen.add_argument("--duration", type=float, default=0.0, help="stop after S seconds")
    listen.add_argument("--every", type=float, default=1.0, help="print a table every S seconds")
    listen.add_argument("--json", action="store_true", help="one JSON line per datagram")
    listen.set_defaults(func=run_listen)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def _seconds(value: float, name: str, lo: float, hi: float) -> float:
    if not (lo <= value <= hi):  # also false for NaN
        raise UsageError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def _config(args: argparse.Namespace) -> Any:
    """The ``[signals]`` section to listen with: from ``--config``, or a bare one."""
    from rsu.config.fields import Table, parse_hostport
    from rsu.signals.config import SignalsConfig

    cfg = None
    if args.config:
        from rsu.config.loader import load_config

        cfg = load_config(args.config).signals
        if cfg is None:
            raise UsageError(f"{args.config} has no [signals] table")
    if cfg is None:
        cfg = SignalsConfig.from_table(
            Table({"intersection_id": 0, "groups": [{"signal_group": 1, "phase": 1}]}, "signals")
        )
        cfg = _bare(cfg)
    if args.listen:
        try:
            listen = parse_hostport(args.listen, "--listen")
        except ConfigError as err:
            raise UsageError(str(err)) from None
        from dataclasses import replace

        cfg = replace(cfg, listen=listen)
    return cfg


def _bare(cfg: Any) -> Any:
    from dataclasses import replace

    return replace(cfg, intersections=())


def run_listen(args: argparse.Namespace) -> int:
    duration = _seconds(args.duration, "--duration", 0.0, 7 * 86400.0)
    every = _seconds(args.every, "--every", 0.1, 3600.0)
    cfg = _config(args)
    from rsu.clock import SystemClock
    from rsu.queues import BoundedQueue
    from rsu.signals.udp import TscbmSource

    queue: BoundedQueue[Any] = BoundedQueue(1024)
    source = TscbmSource(cfg, SystemClock(), queue)
    source.start()
    from rsu.signals.udp import peer_name

    where = peer_name(source.address)
    print(f"listening for TSCBM on {where} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    view = Listener(cfg, json_lines=args.json)
    start = next_print = time.monotonic()
    try:
        while duration <= 0 or time.monotonic() - start < duration:
            item = queue.get(timeout=0.1)
            if item is not None:
                view.on_datagram(item)
            if not args.json and time.monotonic() >= next_print:
                print(view.render(), flush=True)
                next_print = time.monotonic() + every
    except KeyboardInterrupt:
        pass
    finally:
        source.stop()
    if not args.json:
        print(view.render(), flush=True)
    return 0


class Listener:
    """What ``listen`` has seen: per sender its last state; bad datagrams by reason."""

    def __init__(self, cfg: Any, json_lines: bool = False) -> None:
        self.cfg = cfg
        self.json_lines = json_lines
        self.last: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.bad: dict[str, int] = {}

    def on_datagram(self, d: Any) -> None:
        from rsu.signals import tscbm

        try:
            state = tscbm.parse(d.data)
        except tscbm.TscbmError as err:
            self.bad[err.reason] = self.bad.get(err.reason, 0) + 1
            if self.json_lines:
                print(json.dumps({"peer": d.peer, "bad": err.reason, "size": len(d.data)}))
            return
        self.last[d.peer] = (state, d.rx_monotonic)
        self.counts[d.peer] = self.counts.get(d.peer, 0) + 1
        if self.json_lines:
            print(json.dumps(self._record(d.peer, state)), flush=True)

    def _record(self, peer: str, state: Any) -> dict[str, Any]:
        from rsu.signals.spat import status_names
        from rsu.signals.states import phase_rows

        return {
            "peer": peer,
            "sequence": state.sequence,
            "status": status_names(state.status),
            "controller_time": state.controller_time,
            "phases": phase_rows(state),
            "groups": self._groups(peer, state),
        }

    def _groups(self, peer: str, state: Any) -> list[dict[str, Any]]:
        from rsu.signals.states import group_states

        item = self._intersection(peer)
        if item is None:
            return []
        return [
            {
                "signal_group": g.signal_group,
                "kind": g.kind,
                "state": g.j2735,
                "min_s": g.min_tenths,
            }
            for g in group_states(state, item.groups)
        ]

    def _intersection(self, peer: str) -> Any:
        host = peer.rpartition(":")[0].strip("[]")
        for item in self.cfg.intersections:
            if item.controller in (peer, host) or (
                item.controller is None and len(self.cfg.intersections) == 1
            ):
                return item
        return None

    def render(self) -> str:
        from rsu.signals.spat import status_names
        from rsu.signals.states import group_states, phase_rows

        if not self.last:
            return colour("no controller heard yet", "yellow")
        parts = []
        now = time.monotonic()
        for peer, (state, at) in sorted(self.last.items()):
            names = ", ".join(status_names(state.status)) or "-"
            head = (
                f"controller {peer}: {self.counts[peer]} datagrams, last {now - at:.1f} s ago, "
                f"seq {state.sequence}, status {names}"
            )
            rows = [list(r.values()) for r in phase_rows(state)]
            keys = ["phase", "vehicle", "pedestrian", "overlap", "min s", "max s", "ped min s"]
            parts.append(head + "\n" + table(rows, keys))
            item = self._intersection(peer)
            if item is not None:
                groups = group_states(state, item.groups)
                g_rows = [
                    [g.signal_group, g.kind, g.colour, g.j2735,
                     None if g.min_tenths is None else g.min_tenths / 10]
                    for g in groups
                ]  # fmt: skip
                title = f"intersection {item.key} (signal groups of the mapping)"
                parts.append(
                    title + "\n" + table(g_rows, ["group", "kind", "colour", "J2735", "min s"])
                )
        if self.bad:
            bad = ", ".join(f"{k} {v}" for k, v in sorted(self.bad.items()))
            parts.append(colour(f"bad datagrams: {bad}", "yellow"))
        return "\n\n".join(parts)
