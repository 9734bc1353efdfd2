"""``rsu run --config PATH``: the daemon in the foreground (what systemd starts)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the daemon in the foreground (systemd: Type=notify)",
        description="Run the RSU daemon on one config file until SIGTERM. Logs are JSON lines "
        "on stdout under systemd or a pipe, readable text on a terminal.",
    )
    p.add_argument("--config", "-c", required=True, help="the config file (TOML)")
    p.set_defaults(func=run)


class StartupSignals:
    """SIGTERM/SIGINT/SIGHUP that arrive while the daemon starts: remembered, never fatal.

    Installed first thing, before the slow parts (imports, config, ASN.1 compile, build), so
    that ``systemctl stop`` during start-up exits cleanly (0) and ``systemctl reload`` is done
    once the daemon runs. ``Daemon.install_signals(pending)`` takes over from it.
    """

    def __init__(self) -> None:
        self.stop = False
        self.reload = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop = True

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload = True


def run(args: argparse.Namespace) -> int:
    pending = StartupSignals()  # before anything slow
    import structlog

    from rsu import logs
    from rsu.clock import SystemClock
    from rsu.config.loader import load_config

    config = load_config(args.config)
    level = args.log_level if args.log_level != "warning" else config.log.level
    fmt = args.log_format if args.log_format != "auto" else config.log.format
    logs.configure(level, fmt, stream=sys.stdout)
    log = structlog.get_logger("rsu.cli.run")
    log.info("daemon_starting", config=str(config.path), pid=os.getpid())
    if pending.stop:  # nothing was started: nothing to drain
        return _stopped_early(log, "config")
    from rsu.daemon import build

    daemon = build(config, SystemClock())
    if pending.stop:
        return _stopped_early(log, "build")
    daemon.install_signals(pending)
    daemon.start()
    return daemon.run()


def _stopped_early(log: Any, after: str) -> int:
    log.info("daemon_stopped", during="start-up", after=after)
    return 0
