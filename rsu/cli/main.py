"""Entry point of the ``rsu`` command.

Each subcommand is a module of this package with ``add_parser(subparsers)``; the module sets
``func`` on its parser to a ``run(args) -> int``. Heavy imports live inside ``run`` so that
``rsu --help`` stays instant. Only ``RsuError`` is caught: it prints ``error: ...`` and returns
non-zero (``--debug`` re-raises it with the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from rsu import __version__
from rsu.errors import RsuError, UsageError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

# The subcommand modules, in the order ``rsu --help`` lists them.
SUBCOMMANDS: tuple[str, ...] = (
    "run",
    "demo",
    "status",
    "tail",
    "doctor",
    "config",
    "standby",
    "operate",
    "tx",
    "decode",
    "encode",
    "replay",
    "spool",
    "camera",
    "calibrate",
    "pki",
    "sign",
    "signals",
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rsu", description="rsu-edge: the roadside-unit edge stack")
    parser.add_argument("--version", action="version", version=f"rsu-edge {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument(
        "--log-level",
        default="warning",
        type=str.lower,
        choices=LOG_LEVELS,
        help="log level (default: warning)",
    )
    parser.add_argument(
        "--log-format", default="auto", choices=("auto", "json", "console"), help="log format"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"rsu.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(args_list)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command is None:
        parser.print_help()
        return 2
    from rsu import logs

    logs.configure(args.log_level, args.log_format)
    return _call(args)


def _call(args: argparse.Namespace) -> int:
    """Run the subcommand; its errors become ``error: ...`` and an exit code."""
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        return _reader_gone()
    except RsuError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2 if isinstance(err, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    return code


def _reader_gone() -> int:
    """stdout's reader went away (``rsu tail | head -3``): stop quietly, as Unix tools do.

    The daemon's own sockets keep Python's default (SIGPIPE ignored, EPIPE raised where it
    happens), so only the CLI's stdout is handled here. stdout is pointed at /dev/null so
    that the interpreter's final flush does not raise a second time.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return 128 + signal.SIGPIPE  # what a shell shows for a tool that SIGPIPE ended


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
