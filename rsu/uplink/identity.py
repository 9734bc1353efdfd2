"""Who is connecting: one MQTT client id, spool and behaviour per RSU and role.

Only the daemon speaks for the RSU: it holds the configured ``client_id`` (default
``rsu-{id}``, what broker ACLs are written for), the retained birth and status, the last will,
and the command subscriptions. Every other process a field engineer or a bench runs connects
as ``{client_id}-{role}-{pid}``: the broker never hands it the daemon's session (a shared id
makes the broker drop the older connection: the daemon would flap offline/online), and it
publishes no status, no will and takes no commands. ``rsu replay`` writes its own spool next to
the daemon's, so it can run while the daemon runs, and sets no expiry on what it uploads;
``rsu spool drain`` drains the daemon's spool (and so refuses to run while the daemon holds it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    presence: bool = False
    """Birth, retained status, heartbeats, last will (the daemon only)."""
    commands: bool = False
    """Subscribes to the command topics and ACKs them (the daemon only)."""
    own_spool: bool = False
    """Uses ``<spool>.<role>.db`` instead of the daemon's spool."""
    perishable: bool = False
    """Records of perishable streams expire (``[uplink] perishable``: live positions and
    signal states). Not for ``rsu replay``: a capture is uploaded whole, however slow the
    broker, not cut by the seconds it waited."""


DAEMON = Role("daemon", presence=True, commands=True, perishable=True)
REPLAY = Role("replay", own_spool=True)
DRAIN = Role("drain")
DOCTOR = Role("doctor", own_spool=True)
BENCH = Role("bench", own_spool=True)
ROLES = {r.name: r for r in (DAEMON, REPLAY, DRAIN, DOCTOR, BENCH)}


def client_id(base: str, role: Role, instance: int | None = None) -> str:
    """The MQTT client id of ``role``: ``base`` for the daemon, else
    ``{base}-{role}-{instance}`` (``instance``: the process id unless given)."""
    if role.name == DAEMON.name:
        return base
    return f"{base}-{role.name}-{os.getpid() if instance is None else instance}"


def spool_path(path: str, role: Role) -> str:
    """The spool file of ``role``: the configured one, or ``spool.replay.db`` beside it."""
    if not role.own_spool:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}.{role.name}{p.suffix or '.db'}"))
