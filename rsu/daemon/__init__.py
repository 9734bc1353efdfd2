"""The daemon: ``build(config, clock) -> Daemon``, the core loop, sd_notify, control, metrics."""

from rsu.daemon.build import build
from rsu.daemon.daemon import Daemon

__all__ = ["Daemon", "build"]
