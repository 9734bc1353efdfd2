"""``rsu run --config PATH``: the daemon in the foreground (what systemd starts)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the daemon in the foreground (systemd: Type=notify)",
        description="Run the RSU daemon on one config file until SIGTERM. Logs are JSON lines "
        "on stdout under systemd or a pipe, readable text on a terminal.",
    )
    p.add_argument("--config", "-c", required=True, help="the config file (TOML)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rsu import logs
    from rsu.clock import SystemClock
    from rsu.config.loader import load_config
    from rsu.daemon import build

    config = load_config(args.config)
    level = args.log_level if args.log_level != "warning" else config.log.level
    fmt = args.log_format if args.log_format != "auto" else config.log.format
    logs.configure(level, fmt, stream=sys.stdout)
    daemon = build(config, SystemClock())
    daemon.install_signals()
    daemon.start()
    return daemon.run()
