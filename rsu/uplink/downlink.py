"""Downlink commands on the uplink thread: parse, check whole, apply or hand on, ACK.

``Downlink.handle(inbound, now, utc)`` returns the ACK to publish (or None for our own ACKs
echoed back). Nothing is applied before the whole command is valid: the dialect parses and
range-checks it (``commands.py``), a ``broadcast`` is decoded or encoded with the RSU's codec
(``broadcast.py``), and only then the uplink applies what it owns (upload policies, heartbeat
and running-info periods) or calls the daemon's handler for the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import structlog

from rsu.errors import CommandError
from rsu.uplink.commands import BroadcastRequest, Command
from rsu.uplink.dialects import Dialect, Inbound, Reply
from rsu.uplink.memory import TRIM_AFTER_BYTES, release_free_memory
from rsu.uplink.policy import PolicyGate
from rsu.uplink.publisher import Publish, Publisher

if TYPE_CHECKING:
    from rsu.uplink.service import CommandHandler

log = structlog.get_logger(__name__)

Check = Callable[[BroadcastRequest], BroadcastRequest]


class Downlink:
    def __init__(
        self,
        dialect: Dialect,
        gate: PolicyGate,
        publisher: Publisher,
        on_command: CommandHandler | None,
        check_broadcast: Check | None = None,
    ) -> None:
        self.dialect = dialect
        self.gate = gate
        self.publisher = publisher
        self.on_command = on_command
        self._check = check_broadcast
        self.counts: dict[str, int] = {}

    def _checker(self) -> Check:
        if self._check is None:  # no set given: the default (J2735), compiled on first use
            from rsu.registry import DEFAULT_MESSAGE_SET
            from rsu.uplink.broadcast import BroadcastCheck

            self._check = BroadcastCheck.for_standard(DEFAULT_MESSAGE_SET)
        return self._check

    def handle(self, msg: Inbound, now: float, utc: float) -> Publish | None:
        if msg.size > TRIM_AFTER_BYTES:  # paho's buffer for it is free by now: give it back
            release_free_memory()
        if self.dialect.is_own_ack(msg.topic):
            return None
        try:
            reply, parsed = self.dialect.command(msg)
        except Exception as err:  # a parser bug must not stop the uplink: log, no ACK
            log.error(
                "command_parse_failed",
                topic=msg.topic,
                error=repr(err),
                hex=(msg.payload or b"")[:512].hex(),
            )
            return None
        if isinstance(parsed, CommandError):
            error: CommandError | None = parsed
        else:
            error = self._apply(parsed, now)
        return self._ack(reply, error, msg, utc)

    def _apply(self, cmd: Command, now: float) -> CommandError | None:
        if cmd.broadcast is not None and self.on_command is not None:
            try:
                cmd = replace(cmd, broadcast=self._checker()(cmd.broadcast))
            except CommandError as err:
                return err
        owned = cmd.kind == "config" and cmd.config is not None and cmd.config.log_level is None
        if not owned:
            if self.on_command is None:
                return CommandError("rejected", f"{cmd.kind}: not supported by this process")
            try:
                self.on_command(cmd)
            except CommandError as err:
                return err
            except Exception as err:  # the handler's bug: refuse, keep the uplink running
                log.error("command_handler_failed", command=cmd.kind, error=repr(err))
                return CommandError("rejected", f"{cmd.kind}: handler failed")
        if cmd.config is not None:
            for change in cmd.config.policies:
                self.gate.update(change.message_type, **dict(change.changes))
            self.publisher.set_rates(now, cmd.config.heartbeat_s, cmd.config.running_info_s)
        return None

    def _ack(self, reply: Reply, error: CommandError | None, msg: Inbound, utc: float) -> Publish:
        key = "ok" if error is None else error.code
        self.counts[key] = self.counts.get(key, 0) + 1
        if error is not None:
            log.warning(
                "command_rejected",
                command=reply.command,
                code=error.code,
                error=str(error),
                size=msg.size,
                hex=(msg.payload or b"")[:512].hex(),
            )
        else:
            log.info("command_applied", command=reply.command, ref=reply.ref)
        return self.dialect.ack(reply, error, utc)
