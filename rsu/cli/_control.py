"""Shared by the field commands that talk to a running daemon: socket, tables, colours."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

DEFAULT_SOCKET = "/run/rsu/control.sock"
SOCKET_ENV = "RSU_SOCKET"


def add_socket_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--socket",
        help=f"the daemon's control socket (default: ${SOCKET_ENV} or {DEFAULT_SOCKET})",
    )
    p.add_argument("--config", "-c", help="take the socket path from this config file")
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")


def socket_path(args: argparse.Namespace) -> str:
    if getattr(args, "socket", None):
        return str(args.socket)
    if getattr(args, "config", None):
        from rsu.config.loader import load_config

        return load_config(args.config).daemon.control_socket
    return os.environ.get(SOCKET_ENV, DEFAULT_SOCKET)


def client(args: argparse.Namespace, timeout: float = 6.0) -> Any:
    from rsu.daemon.control import ControlClient

    return ControlClient(socket_path(args), timeout=timeout)


def print_json(value: Any, out: TextIO | None = None) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False), file=out or sys.stdout)


def colour(text: str, name: str, out: TextIO | None = None) -> str:
    """ANSI colour on a terminal (and without ``NO_COLOR``), plain text otherwise."""
    stream = out or sys.stdout
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return text
    code = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}.get(name, "0")
    return f"\033[{code}m{text}\033[0m"


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_mode_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], mode: str, summary: str
) -> None:
    """``rsu standby`` / ``rsu operate``: ask the running daemon to change its mode."""

    def run(args: argparse.Namespace) -> int:
        reply = client(args).request(mode)
        if args.json:
            print_json(reply)
        else:
            print(f"mode: {reply['before']} -> {reply['mode']}")
        return 0

    p = subparsers.add_parser(mode, help=summary, description=f"rsu {mode}: {summary}.")
    add_socket_args(p)
    p.set_defaults(func=run)
