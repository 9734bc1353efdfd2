"""SIGHUP: read the config file again; apply what can change live, name what needs a restart.

Live: ``[[broadcast.messages]]`` (added, changed, removed entries), ``[uplink.policy.*]``
(upload policies), ``daemon.stats_interval_s``. Anything else that changed is listed as needing
``systemctl restart rsu``; the running config stays in force for it. A file that does not load
changes nothing (the error is logged and shown in ``systemctl status``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import TYPE_CHECKING

import structlog

from rsu.broadcast import load_message
from rsu.broadcast.standards import FrameEncoder
from rsu.config.loader import load_config
from rsu.errors import ConfigError, RsuError
from rsu.stage import Outputs

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.config.model import Config
    from rsu.daemon.core import Core
    from rsu.daemon.notify import Notifier
    from rsu.uplink.policy import PolicyGate

log = structlog.get_logger(__name__)

_IGNORED = ("path", "sections")


def changed_sections(old: Config, new: Config) -> list[str]:
    return [
        f.name
        for f in fields(old)
        if f.name not in _IGNORED and getattr(old, f.name) != getattr(new, f.name)
    ]


class Reloader:
    """Holds the config in force; ``reload()`` reads the file again and applies what it can.

    ``last`` is the last successful reload (``{"applied": [...], "needs_restart": [...]}``).
    """

    def __init__(
        self,
        config: Config,
        clock: Clock,
        core: Core,
        gate: PolicyGate,
        notifier: Notifier,
        status_line: Callable[[], str],
    ) -> None:
        self.config = config
        self.clock = clock
        self.core = core
        self.gate = gate
        self.notifier = notifier
        self.status_line = status_line
        self.last: dict[str, list[str]] | None = None

    def reload(self) -> None:
        """SIGHUP or ``rsu reload``: a bad file changes nothing (logged, and in systemd)."""
        self.notifier.reloading()
        try:
            applied, restart = self._apply()
        except RsuError as err:
            log.error("config_reload_failed", error=str(err))
            self.notifier.notify(READY="1", STATUS=f"reload failed: {err}; old config in use")
            return
        log.info("config_reloaded", applied=applied, needs_restart=restart)
        note = f"; restart needed for: {', '.join(restart)}" if restart else ""
        self.notifier.notify(READY="1", STATUS=self.status_line() + note)
        self.last = {"applied": applied, "needs_restart": restart}

    def _apply(self) -> tuple[list[str], list[str]]:
        """Returns (applied, needs_restart) as dotted names."""
        if self.config.path is None:
            raise ConfigError("", "this daemon was not started from a file; nothing to reload")
        new = load_config(self.config.path)
        old = self.config
        applied: list[str] = []
        restart: list[str] = []
        for name in changed_sections(old, new):
            if name == "broadcast":
                self._broadcast(new)
                applied.append("broadcast.messages")
            elif name == "uplink":
                applied += self._uplink(old, new, restart)
            elif name == "daemon":
                if old.daemon.stats_interval_s != new.daemon.stats_interval_s:
                    applied.append("daemon.stats_interval_s")
                if replace(old.daemon, stats_interval_s=new.daemon.stats_interval_s) != new.daemon:
                    restart.append("daemon")
            else:
                restart.append(name)
        self.config = _merge(old, new, applied)
        return applied, restart

    def _broadcast(self, new: Config) -> None:
        """Upsert every configured entry (unchanged ones keep their rhythm); drop removed ones."""
        messages = tuple(
            load_message(m, new.base_dir, FrameEncoder()) for m in new.broadcast.messages
        )  # all files are read before anything changes: a bad file changes nothing
        keep = {m.key for m in messages}
        gone = tuple(sorted({m.name for m in self.config.broadcast.messages} - keep))
        self.core.route(
            Outputs(upserts=messages, removals=gone), self.clock.monotonic(), self.clock.time()
        )

    def _uplink(self, old: Config, new: Config, restart: list[str]) -> list[str]:
        applied = []
        if old.uplink.policies != new.uplink.policies:
            for name in sorted(set(old.uplink.policies) | set(new.uplink.policies)):
                self.gate.set_policy(name, new.uplink.policy(name))
            applied.append("uplink.policy")
        if replace(old.uplink, policies=new.uplink.policies) != new.uplink:
            restart.append("uplink")
        return applied


def _merge(old: Config, new: Config, applied: list[str]) -> Config:
    """The config now in force: the old one with the live-applied parts taken from the new."""
    cfg = old
    if "broadcast.messages" in applied:
        cfg = replace(cfg, broadcast=new.broadcast)
    if "uplink.policy" in applied:
        cfg = replace(cfg, uplink=replace(cfg.uplink, policies=new.uplink.policies))
    if "daemon.stats_interval_s" in applied:
        daemon = replace(cfg.daemon, stats_interval_s=new.daemon.stats_interval_s)
        cfg = replace(cfg, daemon=daemon)
    return cfg
