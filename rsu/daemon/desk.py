"""What the core thread does for each checked control request (the ``control`` queue's handler).

``ControlDesk.answer`` always answers: with the command's reply, with ``{"ok": false}`` and the
error for an ``RsuError``, or as an internal error for anything unexpected (which the core's
guard then counts, logs and raises as an alarm). ``Modes`` is the one place the operating mode
changes (control and cloud alike), so systemd's status line follows it. ``Info`` is who and
where this daemon is (pid, paths, version), for ``rsu status``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from rsu import __version__
from rsu.clock import Clock, utc_iso
from rsu.daemon.control import ControlServer
from rsu.daemon.core import Core
from rsu.daemon.metrics import MetricsServer
from rsu.daemon.notify import Notifier, Watchdog
from rsu.daemon.reload import Reloader
from rsu.daemon.requests import ControlRequest, HangArgs, TxArgs
from rsu.daemon.stats import Stats
from rsu.errors import DecodeError, RsuError
from rsu.uplink.service import Uplink

log = structlog.get_logger(__name__)

TEST_HOOKS_ENV = "RSU_TEST_HOOKS"
"""Set to 1 to allow the ``hang`` and ``fail`` control commands (tests of the watchdog and of
the core loop's guard only)."""


class Modes:
    """Standby/operate, from a control request or a cloud command; systemd's status follows."""

    def __init__(self, core: Core, uplink: Uplink, notifier: Notifier) -> None:
        self.core = core
        self.uplink = uplink
        self.notifier = notifier

    def set(self, kind: str, by: str = "control", ref: str | None = None) -> dict[str, Any]:
        before = self.core.mode
        self.core.mode = kind
        if before != kind:
            log.info("mode_changed", before=before, after=kind, by=by, ref=ref)
        self.notifier.status(self.status_line())
        return {"ok": True, "mode": kind, "before": before}

    def status_line(self) -> str:
        up = self.uplink.stats()
        n = self.core.n
        mqtt = "mqtt up" if up.connected else "mqtt down"
        return (
            f"{self.core.mode}; rx decoded {n.decoded}; tx {n.tx_sent}; {mqtt}; spool {up.pending}"
        )


class Info:
    """Who and where this daemon is."""

    def __init__(
        self,
        *,
        rsu_id: str,
        config_path: str | None,
        clock: Clock,
        control: ControlServer,
        metrics: MetricsServer | None,
        watchdog: Watchdog,
        notifier: Notifier,
    ) -> None:
        self.rsu_id = rsu_id
        self.config_path = config_path
        self.started_utc = clock.time()
        self.control = control
        self.metrics = metrics
        self.watchdog = watchdog
        self.notifier = notifier

    @property
    def metrics_url(self) -> str | None:
        return self.metrics.url if self.metrics is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rsu_id": self.rsu_id,
            "version": __version__,
            "pid": os.getpid(),
            "config": self.config_path,
            "started_at": utc_iso(self.started_utc),
            "control_socket": str(self.control.path),
            "metrics": self.metrics_url,
            "watchdog_s": self.watchdog.interval_s,
            "notify_socket": self.notifier.address,
            "time": time.time(),
        }


class ControlDesk:
    def __init__(
        self, core: Core, modes: Modes, stats: Stats, reloader: Reloader, info: Info
    ) -> None:
        self.core = core
        self.modes = modes
        self.stats = stats
        self.reloader = reloader
        self.info = info
        self._table: dict[str, Callable[[ControlRequest, float], dict[str, Any]]] = {
            "status": lambda r, utc: self._status(utc),
            "standby": lambda r, utc: self.modes.set("standby"),
            "operate": lambda r, utc: self.modes.set("operate"),
            "tx": lambda r, utc: self._tx(r.args, utc),
            "reload": lambda r, utc: self._reload(),
            "hang": lambda r, utc: self._hang(r),
            "fail": lambda r, utc: self._fail(),
        }

    def answer(self, req: ControlRequest, now: float, utc: float) -> None:
        """The ``control`` queue's handler; the request is answered whatever happens."""
        try:
            handler = self._table.get(req.cmd)
            if handler is None:
                req.reply = {"ok": False, "error": f"unknown command {req.cmd!r}"}
            else:
                req.reply = handler(req, utc)
        except RsuError as err:
            req.reply = {"ok": False, "error": str(err)}
        except Exception as err:
            req.reply = {"ok": False, "error": f"internal error in {req.cmd}: {err!r} (logged)"}
            raise  # the core's guard counts, logs and alarms it
        finally:
            req.done.set()

    def _status(self, utc: float) -> dict[str, Any]:
        snap = self.stats.refresh()
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
            for e in self.core.scheduler.report(utc)
        ]
        return {
            "ok": True,
            "info": self.info.as_dict(),
            "status": snap.as_dict(),
            "broadcast_entries": report,
            "last_reload": self.reloader.last,
        }

    def _reload(self) -> dict[str, Any]:
        self.reloader.reload()
        return {"ok": True, "reload": self.reloader.last}

    def _hang(self, req: ControlRequest) -> dict[str, Any]:
        """Test hook: block the core loop (and so the watchdog pings) for ``seconds``."""
        if os.environ.get(TEST_HOOKS_ENV) != "1":
            return {"ok": False, "error": f"test hooks are off ({TEST_HOOKS_ENV}=1 enables)"}
        assert isinstance(req.args, HangArgs)
        seconds = req.args.seconds
        log.warning("core_hang_injected", seconds=seconds)
        req.reply = {"ok": True, "hanging_s": seconds}
        req.done.set()  # answer first, then hang
        threading.Event().wait(seconds)
        return req.reply

    def _fail(self) -> dict[str, Any]:
        """Test hook: an exception nobody expects, on the core thread (the guard's test)."""
        if os.environ.get(TEST_HOOKS_ENV) != "1":
            return {"ok": False, "error": f"test hooks are off ({TEST_HOOKS_ENV}=1 enables)"}
        raise RuntimeError("injected failure (test hook)")

    def _tx(self, args: object, utc: float) -> dict[str, Any]:
        assert isinstance(args, TxArgs)  # checked at the boundary (rsu.daemon.requests)
        if self.core.mode != "operate":
            return {"ok": False, "error": "the RSU is in standby: `rsu operate` first"}
        try:
            request = self.core.send_now(args.payload, args.psid, args.channel)
        except DecodeError as err:
            return {"ok": False, "error": f"not a valid MessageFrame: {err}"}
        sent = self.core.transmit(request, utc)
        log.info("tx_one_shot", type=request.message_type, psid=request.psid, sent=sent)
        return {
            "ok": sent,
            "type": request.message_type,
            "psid": f"0x{request.psid:x}",
            "bytes": len(args.payload),
            **({} if sent else {"error": "the radio did not accept it (see rsu status)"}),
        }
