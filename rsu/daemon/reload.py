"""SIGHUP: read the config file again; apply what can change live, name what needs a restart.

Live: ``[[broadcast.messages]]`` (added, changed, removed entries), ``[uplink.policy.*]``
(upload policies), ``daemon.stats_interval_s``. Anything else that changed is listed as needing
``systemctl restart rsu``; the running config stays in force for it. A file that does not load
changes nothing (the error is logged and shown in ``systemctl status``).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING

from rsu.broadcast import Remove, load_message
from rsu.broadcast.standards import FrameEncoder
from rsu.config.loader import load_config
from rsu.errors import ConfigError

if TYPE_CHECKING:
    from rsu.config.model import Config
    from rsu.daemon.daemon import Daemon

_IGNORED = ("path", "sections")


def changed_sections(old: Config, new: Config) -> list[str]:
    return [
        f.name
        for f in fields(old)
        if f.name not in _IGNORED and getattr(old, f.name) != getattr(new, f.name)
    ]


def reload_config(d: Daemon) -> tuple[list[str], list[str]]:
    """Returns (applied, needs_restart) as dotted names."""
    if d.config.path is None:
        raise ConfigError("", "this daemon was not started from a file; nothing to reload")
    new = load_config(d.config.path)
    old = d.config
    applied: list[str] = []
    restart: list[str] = []
    for name in changed_sections(old, new):
        if name == "broadcast":
            _broadcast(d, new)
            applied.append("broadcast.messages")
        elif name == "uplink":
            applied += _uplink(d, old, new, restart)
        elif name == "daemon":
            if old.daemon.stats_interval_s != new.daemon.stats_interval_s:
                applied.append("daemon.stats_interval_s")
            if replace(old.daemon, stats_interval_s=new.daemon.stats_interval_s) != new.daemon:
                restart.append("daemon")
        else:
            restart.append(name)
    d.config = _merge(old, new, applied)
    return applied, restart


def _broadcast(d: Daemon, new: Config) -> None:
    """Upsert every configured entry (unchanged ones keep their rhythm); drop removed ones."""
    core = d.core
    now, utc = d.clock.monotonic(), d.clock.time()
    messages = [
        load_message(m, new.base_dir, FrameEncoder()) for m in new.broadcast.messages
    ]  # all files are read before anything changes: a bad file changes nothing
    keep = {m.key for m in messages}
    old_names = {m.name for m in d.config.broadcast.messages}
    for name in sorted(old_names - keep):
        core.scheduler.on_event(Remove(name), now, utc)
    for message in messages:
        core.upsert(message, now, utc)


def _uplink(d: Daemon, old: Config, new: Config, restart: list[str]) -> list[str]:
    applied = []
    if old.uplink.policies != new.uplink.policies:
        gate = d.parts.uplink.gate
        for name in sorted(set(old.uplink.policies) | set(new.uplink.policies)):
            gate.set_policy(name, new.uplink.policy(name))
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
