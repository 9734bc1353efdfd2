"""The ``ntcip1202`` source: poll each controller's SNMP agent (pysnmp; v1, v2c or v3).

One thread runs an asyncio loop (pysnmp 7 is asyncio): at start the configured "enable SPaT
broadcast" SET (if any) goes to every controller, then each controller is polled at
``poll_hz``: one GET of the phase/overlap status bitmaps (required), one of the unit status
and preempt objects and one of the timing objects (optional: a failure there leaves those
parts unknown). Each good poll is a ``Report`` on the signals queue, its peer the
intersection's ``controller`` as configured; a failed one is counted, and a controller that
stops answering goes stale in the core like a silent TSCBM sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
    set_cmd,
)
from pysnmp.proto.rfc1902 import Integer32, Unsigned32

from rsu.clock import Clock
from rsu.config.fields import parse_hostport
from rsu.queues import BoundedQueue
from rsu.signals import ntcip
from rsu.signals.config import IntersectionConfig, SignalsConfig
from rsu.signals.model import Datagram, Report
from rsu.signals.snmp_config import SnmpConfig

log = structlog.get_logger(__name__)
MAX_VARBINDS = 24
"""Varbinds per GET (a large PDU may exceed what a controller's agent takes)."""
_AUTH = {
    "none": "USM_AUTH_NONE",
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
_PRIV = {
    "none": "USM_PRIV_NONE",
    "des": "USM_PRIV_CBC56_DES",
    "aes128": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES",
    "aes256": "USM_PRIV_CFB256_AES",
}


def auth_data(cfg: SnmpConfig) -> Any:
    """pysnmp's credentials for ``cfg`` (secrets read now, from their files/credentials)."""
    from pysnmp.hlapi.v3arch import asyncio as hl

    if cfg.version in ("1", "2c"):
        community = cfg.community_secret.read() or cfg.community
        return CommunityData(community, mpModel=0 if cfg.version == "1" else 1)
    return UsmUserData(
        cfg.user,
        authKey=cfg.auth_key.read(),
        privKey=cfg.priv_key.read(),
        authProtocol=getattr(hl, _AUTH[cfg.auth]),
        privProtocol=getattr(hl, _PRIV[cfg.priv]),
    )


@dataclass(slots=True)
class Controller:
    """One polled controller and its counts."""

    cfg: IntersectionConfig
    host: str
    port: int
    plan: ntcip.PollPlan
    target: Any = None
    polls: int = 0
    failures: int = 0
    enable: str = "not configured"
    last_error: str = ""
    sequence: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def _controller(item: IntersectionConfig, snmp: SnmpConfig) -> Controller:
    assert item.controller is not None
    text = item.controller
    if text.count(":") == 1 or text.startswith("["):
        host, port = parse_hostport(text, f"{item.where}.controller")
    else:
        host, port = text, snmp.port
    phases = [g.number for g in item.groups if not g.overlap]
    overlaps = [g.number for g in item.groups if g.overlap]
    plan = ntcip.poll_plan(phases, overlaps, snmp.timing, snmp.preempts)
    return Controller(item, host, port, plan)


class Ntcip1202Source:
    name = "ntcip1202"

    def __init__(
        self, config: SignalsConfig, clock: Clock, queue: BoundedQueue[Datagram | Report]
    ) -> None:
        self.config = config
        self.snmp: SnmpConfig = config.snmp if config.snmp is not None else SnmpConfig()
        self.clock = clock
        self.queue = queue
        self.controllers = [_controller(i, self.snmp) for i in config.intersections]
        self._auth = auth_data(self.snmp)  # a missing secret file fails here, at build
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="signals-ntcip1202", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)
        log.info("signals_polling", source=self.name, controllers=len(self.controllers))

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as err:  # the edge must say why it stopped, not vanish
            log.error("signals_poller_died", error=repr(err))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        engine = SnmpEngine()
        try:
            for c in self.controllers:
                c.target = await UdpTransportTarget.create(
                    (c.host, c.port), timeout=self.snmp.timeout_s, retries=self.snmp.retries
                )
            await asyncio.gather(*(self._enable_safely(engine, c) for c in self.controllers))
            await self._poll_forever(engine)
        finally:
            engine.close_dispatcher()

    async def _poll_forever(self, engine: SnmpEngine) -> None:
        assert self._stopping is not None
        period = 1.0 / self.snmp.poll_hz
        loop = asyncio.get_running_loop()
        start, n = loop.time(), 0
        while not self._stopping.is_set():
            await asyncio.gather(*(self._poll_safely(engine, c) for c in self.controllers))
            n += 1
            delay = max(0.0, start + n * period - loop.time())
            if delay == 0.0:
                start, n = loop.time(), 0  # fell behind: start a new grid, no burst
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _enable_safely(self, engine: SnmpEngine, c: Controller) -> None:
        try:
            await self._enable(engine, c)
        except Exception as err:  # a failed enable must not stop the polling
            c.enable = f"failed: {type(err).__name__}: {err}"
            log.warning("signals_spat_enable", controller=c.cfg.controller, result=c.enable)

    async def _enable(self, engine: SnmpEngine, c: Controller) -> None:
        s = self.snmp
        if s.enable_oid is None or s.enable_value is None:
            return
        kind = Integer32 if s.enable_type == "integer" else Unsigned32
        varbind = ObjectType(ObjectIdentity(s.enable_oid), kind(s.enable_value))
        err, status, _, _ = await set_cmd(engine, self._auth, c.target, ContextData(), varbind)
        c.enable = "ok" if not err and not int(status) else f"failed: {err or status.prettyPrint()}"
        level = log.info if c.enable == "ok" else log.warning
        level("signals_spat_enable", controller=c.cfg.controller, oid=s.enable_oid, result=c.enable)

    async def _get(
        self, engine: SnmpEngine, c: Controller, oids: Sequence[str], optional: bool = False
    ) -> dict[str, int] | None:
        out: dict[str, int] = {}
        for i in range(0, len(oids), MAX_VARBINDS):
            chunk = [ObjectType(ObjectIdentity(o)) for o in oids[i : i + MAX_VARBINDS]]
            err, status, _, binds = await get_cmd(
                engine, self._auth, c.target, ContextData(), *chunk
            )
            if err or int(status):
                why = str(err) if err else status.prettyPrint()
                if optional:  # the unit/preempt/timing objects: that part stays unknown
                    c.errors[why] = c.errors.get(why, 0) + 1
                else:
                    self._failed(c, why)
                return None
            for name, value in binds:
                try:
                    out[str(name)] = int(value)
                except (TypeError, ValueError):
                    continue  # noSuchObject / noSuchInstance / not an integer: unknown
        return out

    async def _poll_safely(self, engine: SnmpEngine, c: Controller) -> None:
        """One poll; whatever pysnmp raises is one counted failure (the loop goes on)."""
        try:
            await self._poll(engine, c)
        except Exception as err:  # pysnmp raises many kinds (StatusInformation, PyAsn1Error)
            self._failed(c, f"{type(err).__name__}: {err}")

    async def _poll(self, engine: SnmpEngine, c: Controller) -> None:
        values = await self._get(engine, c, c.plan.status)
        if values is None:
            return
        for extra in (c.plan.extra, [oid for _, _, oid in c.plan.timing]):
            if extra:
                more = await self._get(engine, c, extra, optional=True)
                values.update(more or {})
        c.polls += 1
        c.sequence = (c.sequence + 1) % 256
        state = ntcip.to_state(values, c.plan, c.sequence)
        assert c.cfg.controller is not None
        now, utc = self.clock.monotonic(), self.clock.time()
        self.queue.put(Report(state, c.cfg.controller, now, utc, self.name))

    def _failed(self, c: Controller, why: str) -> None:
        c.failures += 1
        c.last_error = why
        c.errors[why] = c.errors.get(why, 0) + 1
        if c.failures <= 5 or c.failures % 1000 == 0:
            log.warning(
                "signals_poll_failed", controller=c.cfg.controller, error=why, count=c.failures
            )

    def health(self) -> dict[str, object]:
        return {
            "source": self.name,
            "running": self._thread is not None and self._thread.is_alive(),
            "controllers": [
                {
                    "controller": c.cfg.controller,
                    "polls": c.polls,
                    "failures": c.failures,
                    "enable": c.enable,
                    "last_error": c.last_error,
                    "errors": dict(c.errors),
                }
                for c in self.controllers
            ],
            "queue": len(self.queue),
            "queue_dropped": self.queue.dropped,
        }
