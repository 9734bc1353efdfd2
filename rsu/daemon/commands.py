"""What the daemon does for each control request (CLI) and each cloud command (uplink).

Control handlers run on the core thread (they are called from the core loop), so they may
touch the core freely. ``tail`` streams on the control thread from a bounded per-client queue.
Cloud commands arrive on the uplink thread: they are checked there and put on the core's
``commands`` queue (bounded; when it is full the command is refused with an error ACK).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import structlog

from rsu.broadcast import BroadcastMessage
from rsu.errors import CommandError, DecodeError, UsageError
from rsu.uplink.commands import Command

if TYPE_CHECKING:
    from rsu.daemon.daemon import ControlRequest, Daemon

log = structlog.get_logger(__name__)

TEST_HOOKS_ENV = "RSU_TEST_HOOKS"
"""Set to 1 to allow the ``hang`` control command (tests of the watchdog only)."""


Handler = Callable[["Daemon", "ControlRequest"], dict[str, Any]]


def handlers(d: Daemon) -> dict[str, Callable[[ControlRequest], dict[str, Any]]]:
    """The control commands, each bound to the daemon."""
    table: dict[str, Handler] = {
        "status": _status,
        "standby": lambda d, r: _mode(d, "standby"),
        "operate": lambda d, r: _mode(d, "operate"),
        "tx": lambda d, r: _tx(d, r.args),
        "reload": _reload,
        "hang": _hang,
    }
    return {name: functools.partial(fn, d) for name, fn in table.items()}


def _status(d: Daemon, req: ControlRequest) -> dict[str, Any]:
    snap = d.snapshot()
    d._snapshot = snap
    report = [
        {
            "key": e.key,
            "type": e.message_type,
            "psid": f"0x{e.psid:x}",
            "interval_ms": e.interval_ms,
            "sent": e.sent,
            "state": e.state,
            "source": e.source,
        }
        for e in d.core.scheduler.report(d.clock.time())
    ]
    return {
        "ok": True,
        "info": d.info,
        "status": snap,
        "broadcast_entries": report,
        "last_reload": d.last_reload,
    }


def _mode(d: Daemon, kind: str, by: str = "control", ref: str | None = None) -> dict[str, Any]:
    """Standby/operate from a control request or a cloud command; systemd's status follows."""
    before = d.core.mode
    d.core.mode = kind
    if before != kind:
        log.info("mode_changed", before=before, after=kind, by=by, ref=ref)
    d.notifier.status(d.status_line())
    return {"ok": True, "mode": kind, "before": before}


def _reload(d: Daemon, req: ControlRequest) -> dict[str, Any]:
    d.reload()
    return {"ok": True, "reload": d.last_reload}


def _hang(d: Daemon, req: ControlRequest) -> dict[str, Any]:
    """Test hook: block the core loop (and so the watchdog pings) for ``seconds``."""
    if os.environ.get(TEST_HOOKS_ENV) != "1":
        return {"ok": False, "error": f"test hooks are off ({TEST_HOOKS_ENV}=1 enables)"}
    seconds = float(req.args.get("seconds", 3600.0))
    log.warning("core_hang_injected", seconds=seconds)
    req.reply = {"ok": True, "hanging_s": seconds}
    req.done.set()  # answer first, then hang
    threading.Event().wait(seconds)
    return req.reply


def _tx(d: Daemon, args: dict[str, Any]) -> dict[str, Any]:
    if d.core.mode != "operate":
        return {"ok": False, "error": "the RSU is in standby: `rsu operate` first"}
    try:
        payload = bytes.fromhex(str(args.get("hex", "")))
    except ValueError as err:
        raise UsageError("tx: hex is not hex") from err
    if not payload:
        raise UsageError("tx: nothing to send")
    try:
        request = d.core.send_now(
            payload, args.get("psid"), int(args.get("channel", 183)), d.clock.monotonic()
        )
    except DecodeError as err:
        return {"ok": False, "error": f"not a valid MessageFrame: {err}"}
    sent = d.core.transmit(request)
    log.info("tx_one_shot", type=request.message_type, psid=request.psid, sent=sent)
    return {
        "ok": sent,
        "type": request.message_type,
        "psid": f"0x{request.psid:x}",
        "bytes": len(payload),
        **({} if sent else {"error": "the radio did not accept it (see rsu status)"}),
    }


def tail_stream(d: Daemon, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Lines for ``rsu tail``; an idle line every second so dead clients are noticed."""
    wanted = {str(t).upper() for t in request.get("types", []) if t}
    sub = d.core.tail.subscribe()
    queue, wake = sub
    try:
        yield {"ok": True, "kind": "hello", "rsu_id": d.config.rsu.id}
        while not d.stopping and not d.control_server.stopping:
            if not wake.wait(1.0):
                yield {"ok": True, "kind": "idle"}
                continue
            wake.clear()
            while queue:
                item = queue.popleft()
                if not wanted or item["type"] in wanted:
                    yield {"ok": True, "kind": "message", **item}
    finally:
        d.core.tail.unsubscribe(sub)


def cloud_handler(d: Daemon) -> Callable[[Command], None]:
    """The uplink's ``on_command``: the uplink checked it whole (a broadcast decoded or
    encoded with the RSU's codec); it is applied on the core thread."""

    def on_command(cmd: Command) -> None:
        if cmd.kind == "reboot":
            raise CommandError("rejected", "reboot is not done remotely; systemd restarts rsu")
        if not d.parts.inbox["commands"].put(cmd):
            raise CommandError("rejected", "busy: too many cloud commands pending, try again")

    return on_command


def _broadcast_message(cmd: Command, utc: float) -> BroadcastMessage:
    """The broadcast entry of a command the uplink checked (``psid`` and, for JER,
    ``frame_jer`` resolved there): nothing is decoded or encoded again here."""
    req = cmd.broadcast
    assert req is not None
    assert req.psid is not None
    assert req.data is not None or req.frame_jer is not None
    return BroadcastMessage(
        key=f"cloud-{req.message_type}-{cmd.ref or 'default'}",
        psid=req.psid,
        channel=183,
        interval_ms=req.interval_ms,
        payload=req.data,
        frame_jer=req.frame_jer,
        message_type=req.message_type,
        stop=utc + req.duration_s if req.duration_s > 0 else None,
        source="cloud",
    )


def apply_cloud(d: Daemon, cmd: Command) -> None:
    """Apply a checked cloud command (on the core thread)."""
    if cmd.kind in ("standby", "operate"):
        _mode(d, cmd.kind, by="cloud", ref=cmd.ref)
    elif cmd.kind == "broadcast":
        message = _broadcast_message(cmd, d.clock.time())
        for text in d.core.upsert(message, d.clock.monotonic(), d.clock.time()):
            log.info("cloud_broadcast", result=text, ref=cmd.ref)
    elif cmd.kind == "config" and cmd.config is not None and cmd.config.log_level:
        from rsu import logs

        # stdout, as `rsu run` set it up. Loggers structlog cached keep their level till restart.
        logs.configure(cmd.config.log_level, d.config.log.format, stream=sys.stdout)
        log.info("log_level_changed", level=cmd.config.log_level, by="cloud")
