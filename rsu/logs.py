"""structlog set-up. Called once, from the CLI only; modules just ``get_logger(__name__)``.

Under systemd (``JOURNAL_STREAM`` or ``INVOCATION_ID`` set) or when stdout is not a terminal,
events are JSON lines; on a terminal they are rendered for people. The stdlib loggers of
paho-mqtt, python-can and asyncio go through the same chain.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog


def _wants_json(stream: TextIO, fmt: str) -> bool:
    if fmt in ("json", "console"):
        return fmt == "json"
    under_systemd = "JOURNAL_STREAM" in os.environ or "INVOCATION_ID" in os.environ
    return under_systemd or not stream.isatty()


def configure(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to ``stream`` (stderr by default) at ``level``."""
    out = stream if stream is not None else sys.stderr
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if _wants_json(out, fmt)
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Not cached: a log level changed at run time (cloud command, SIGHUP) must reach the
        # loggers modules already hold. Logging is rare on the hot paths, so this costs little.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
