"""Cloud commands in the daemon: checked on the uplink thread, applied on the core thread.

``CloudGate`` is the uplink's ``on_command``: it refuses what cannot be done (a reboot, a
broadcast that does not encode for this RSU's standard) with a ``CommandError`` (the error
ACK) and puts the rest on the core's ``commands`` queue (bounded; when it is full the command
is refused as busy). ``CloudDesk.apply`` is that queue's handler: a mode change, a broadcast
entry (as outputs), a log level.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import structlog

from rsu.errors import CommandError
from rsu.queues import BoundedQueue
from rsu.stage import Outputs
from rsu.uplink.commands import Command
from rsu.wire import BroadcastMessage

if TYPE_CHECKING:
    from rsu.clock import Clock
    from rsu.config.model import Config
    from rsu.daemon.desk import Modes

log = structlog.get_logger(__name__)


class CloudBroadcasts:
    """A cloud ``broadcast`` command -> the broadcast entry, in the RSU's own standard."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def message(self, cmd: Command, utc: float) -> BroadcastMessage:
        from rsu.broadcast.standards import default_psid
        from rsu.daemon.csae import cloud_frame

        req = cmd.broadcast
        if req is None:
            raise CommandError("bad_value", "broadcast: nothing to broadcast")
        standard = self.config.rsu.standard
        psid = req.psid if req.psid is not None else default_psid(standard, req.message_type)
        if psid is None:
            raise CommandError("bad_value", f"broadcast: no PSID known for {req.message_type}")
        frame = None
        if req.data is None:
            frame = cloud_frame(self.config, req.message_type, req.jer)
        if req.data is None and frame is None:
            raise CommandError("bad_value", f"broadcast: cannot encode {req.message_type} from JER")
        return BroadcastMessage(
            key=f"cloud-{req.message_type}-{cmd.ref or 'default'}",
            psid=psid,
            channel=183,
            interval_ms=req.interval_ms,
            payload=req.data,
            frame_jer=frame,
            message_type=req.message_type,
            stop=utc + req.duration_s if req.duration_s > 0 else None,
            source="cloud",
        )


class CloudGate:
    """The uplink's ``on_command`` (uplink thread): check, then hand to the core's queue."""

    def __init__(
        self, queue: BoundedQueue[Command], clock: Clock, broadcasts: CloudBroadcasts
    ) -> None:
        self.queue = queue
        self.clock = clock
        self.broadcasts = broadcasts

    def __call__(self, cmd: Command) -> None:
        if cmd.kind == "reboot":
            raise CommandError("rejected", "reboot is not done remotely; systemd restarts rsu")
        if cmd.kind == "broadcast" and cmd.broadcast is not None:
            self.broadcasts.message(cmd, self.clock.time())  # CommandError when it cannot be
        if not self.queue.put(cmd):
            raise CommandError("rejected", "busy: too many cloud commands pending, try again")


class CloudDesk:
    """The ``commands`` queue's handler (core thread): apply a checked cloud command."""

    def __init__(self, modes: Modes, broadcasts: CloudBroadcasts, log_format: str) -> None:
        self.modes = modes
        self.broadcasts = broadcasts
        self.log_format = log_format

    def apply(self, cmd: Command, now: float, utc: float) -> Outputs | None:
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
