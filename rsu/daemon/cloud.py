"""Cloud commands in the daemon: checked on the uplink thread, applied on the core thread.

``CloudGate`` is the uplink's ``on_command``: the uplink has checked the command whole (a
broadcast decoded or encoded with this RSU's codec, its PSID resolved: ``rsu.uplink.broadcast``);
the gate refuses what cannot be done (a reboot) with a ``CommandError`` (the error ACK) and puts
the rest on the core's ``commands`` queue (bounded; when it is full the command is refused as
busy). ``CloudDesk.apply`` is that queue's handler: a mode change, a broadcast entry (as
outputs, built once from the checked request), a log level.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from rsu.errors import CommandError
from rsu.queues import BoundedQueue
from rsu.stage import Handler, Outputs
from rsu.uplink.commands import Command
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.config.model import Config
    from rsu.daemon.desk import Modes

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PartCommand:
    """A cloud command a part of the daemon owns: ``check`` runs on the uplink thread before
    the ACK (raise ``CommandError`` to refuse it), ``apply`` on the core thread."""

    kind: str
    check: Callable[[Command], None]
    apply: Handler[Command]


class CloudBroadcasts:
    """A cloud ``broadcast`` command -> the broadcast entry, in the RSU's own standard."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def message(self, cmd: Command, utc: float) -> BroadcastMessage:
        """The entry of a request the uplink checked (``psid``, ``encoded`` and, for JER,
        ``frame_jer`` set there): nothing is decoded or encoded again here."""
        req = cmd.broadcast
        if req is None or req.psid is None or req.encoded is None:
            raise CommandError("bad_value", "broadcast: not checked by the uplink")
        return BroadcastMessage(
            key=f"cloud-{req.message_type}-{cmd.ref or 'default'}",
            psid=req.psid,
            channel=DEFAULT_CHANNEL,
            interval_ms=req.interval_ms,
            payload=req.data,
            frame_jer=req.frame_jer,
            message_type=req.message_type,
            stop=utc + req.duration_s if req.duration_s > 0 else None,
            source="cloud",
        )


class CloudGate:
    """The uplink's ``on_command`` (uplink thread): check, then hand to the core's queue."""

    def __init__(
        self,
        queue: BoundedQueue[Command],
        clock: Clock,
        broadcasts: CloudBroadcasts,
        parts: Sequence[PartCommand] = (),
    ) -> None:
        self.queue = queue
        self.clock = clock
        self.broadcasts = broadcasts
        self.parts = {p.kind: p for p in parts}

    def __call__(self, cmd: Command) -> None:
        if cmd.kind == "reboot":
            raise CommandError("rejected", "reboot is not done remotely; systemd restarts rsu")
        if cmd.kind == "broadcast":
            self.broadcasts.message(cmd, self.clock.time())  # refuses one the uplink did not check
        part = self.parts.get(cmd.kind)
        if part is not None:
            part.check(cmd)
        if not self.queue.put(cmd):
            raise CommandError("rejected", "busy: too many cloud commands pending, try again")


class CloudDesk:
    """The ``commands`` queue's handler (core thread): apply a checked cloud command."""

    def __init__(
        self,
        modes: Modes,
        broadcasts: CloudBroadcasts,
        log_format: str,
        parts: Sequence[PartCommand] = (),
    ) -> None:
        self.modes = modes
        self.broadcasts = broadcasts
        self.log_format = log_format
        self.parts = {p.kind: p for p in parts}

    def apply(self, cmd: Command, now: float, utc: float) -> Outputs | None:
        part = self.parts.get(cmd.kind)
        if part is not None:
            return part.apply(cmd, now, utc)
        if cmd.kind in ("standby", "operate"):
            self.modes.set(cmd.kind, by="cloud", ref=cmd.ref)
        elif cmd.kind == "broadcast":
            message = self.broadcasts.message(cmd, utc)
            log.info("cloud_broadcast", key=message.key, ref=cmd.ref)
            return Outputs(upserts=(message,))
        elif cmd.kind == "config" and cmd.config is not None and cmd.config.log_level:
            from rsu import logs

            # stdout, as `rsu run` set it up (structlog's cached loggers keep theirs till restart)
            logs.configure(cmd.config.log_level, self.log_format, stream=sys.stdout)
            log.info("log_level_changed", level=cmd.config.log_level, by="cloud")
        return None
