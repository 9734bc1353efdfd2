"""The SNMP agent edge: pysnmp 7.1 on its own thread and asyncio loop.

``Agent.start()`` reads the users' pass phrases, binds the UDP socket (so "port in use" or
"permission denied on 161" is an error at start, not a silent dead agent), builds the engine
(USM users with SHA-1..SHA-512 and AES-128 / AES-256, VACM read-only and read-write groups,
SNMPv1/v2c communities only when configured, notification targets) and runs the loop until
``stop()``. GETs are answered from the daemon's latest view; SETs wait for the core
(``rsu.management.instrum``). Bad datagrams are pysnmp's to count (``snmpInASNParseErrs`` and
the USM counters, read back in ``stats()``); anything that escapes pysnmp is caught by the
loop's exception handler, counted and logged once in a while: the agent keeps serving.

pysnmp's AES needs ``cryptography`` (the ``snmp`` extra installs it); its "AES-256" with
Blumenthal key extension is what net-snmp calls ``-x AES256``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config as pc
from pysnmp.entity import engine
from pysnmp.entity.rfc3413 import cmdrsp, context, ntforg
from pysnmp.proto import rfc1902

from rsu.errors import DaemonError
from rsu.management import oids
from rsu.management.config import Secrets, SnmpConfig, SnmpUser, read_secrets
from rsu.management.instrum import Instrumentation, Link

log = structlog.get_logger(__name__)

AUTH = {
    "SHA-1": pc.USM_AUTH_HMAC96_SHA,
    "SHA-224": pc.USM_AUTH_HMAC128_SHA224,
    "SHA-256": pc.USM_AUTH_HMAC192_SHA256,
    "SHA-384": pc.USM_AUTH_HMAC256_SHA384,
    "SHA-512": pc.USM_AUTH_HMAC384_SHA512,
}
PRIV = {"AES-128": pc.USM_PRIV_CFB128_AES, "AES-256": pc.USM_PRIV_CFB256_AES_BLUMENTHAL}
ALL, NONE = "all", "none"
MAX_DATAGRAM = 65_507
MAX_PENDING_NOTIFY = 64
COUNTERS = (
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "parse_errors"),
    ("__SNMPv2-MIB", "snmpInBadVersions", "bad_versions"),
    ("__SNMP-MPD-MIB", "snmpInvalidMsgs", "invalid_messages"),
    ("__SNMP-MPD-MIB", "snmpUnknownPDUHandlers", "unknown_pdu_handlers"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown_users"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "wrong_digests"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "decryption_errors"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "unsupported_levels"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "not_in_time_window"),
    ("__SNMPv2-MIB", "snmpInBadCommunityNames", "bad_communities"),
)
MALFORMED = ("parse_errors", "invalid_messages", "bad_versions")
CREDENTIALS = (
    "unknown_users", "wrong_digests", "decryption_errors", "unsupported_levels", "bad_communities"
)  # fmt: skip


@dataclass(slots=True)
class AgentCounters:
    datagrams: int = 0
    oversized: int = 0
    requests: int = 0
    """Request PDUs that passed the security checks (GET, GETNEXT, GETBULK, SET)."""
    internal_errors: int = 0
    sets_applied: int = 0
    sets_refused: int = 0
    notifications_sent: int = 0
    """Traps and informs handed to the transport (one per target)."""
    notifications_dropped: int = 0
    informs_acked: int = 0
    informs_failed: int = 0
    """Informs no manager acknowledged (after pysnmp's retries)."""


def _counting(base: Any) -> Any:
    """A pysnmp command responder that counts the PDUs it is handed."""

    class Counting(base):  # type: ignore[misc]
        counters: AgentCounters

        def process_pdu(self, *args: Any, **kwargs: Any) -> Any:
            self.counters.requests += 1
            return super().process_pdu(*args, **kwargs)

    return Counting


RESPONDERS = tuple(
    _counting(r)
    for r in (
        cmdrsp.GetCommandResponder,
        cmdrsp.NextCommandResponder,
        cmdrsp.BulkCommandResponder,
        cmdrsp.SetCommandResponder,
    )
)


class _Udp(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """pysnmp's UDP transport, counting what arrives (and dropping what cannot be SNMP)."""

    counters: AgentCounters

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        self.counters.datagrams += 1
        if not datagram or len(datagram) > MAX_DATAGRAM:
            self.counters.oversized += 1
            return
        super().datagram_received(datagram, address)


class _Udp6(udp6.Udp6AsyncioTransport, _Udp):  # type: ignore[misc]
    pass


class Agent:
    """NTCIP 1218 over SNMP on ``config.listen``; ``link`` is the daemon side."""

    def __init__(self, config: SnmpConfig, link: Link, engine_id: bytes, boots: int = 1) -> None:
        self.config = config
        self.link = link
        self.engine_id = engine_id
        self.boots = boots
        self.counters = AgentCounters()
        self.on_set: Callable[[str, bool, str], None] | None = None
        self._sock: socket.socket | None = None
        self._address = config.listen
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: Any = None
        self._instrum: Instrumentation | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def address(self) -> tuple[str, int]:
        """Where the agent listens (the bound port when ``listen`` asked for port 0)."""
        return self._address

    def start(self, secrets: Secrets | None = None) -> None:
        """Bind, build the engine, serve. ``secrets`` as read at build time (read now when
        not given); a secret file others may read is a ``ConfigError`` either way."""
        secrets = secrets or read_secrets(self.config)
        communities = secrets.communities
        self._sock = _bind(self.config.listen)
        host, port = self._sock.getsockname()[:2]
        self._address = (str(host), int(port))
        self._thread = threading.Thread(
            target=self._run, args=(secrets.users, communities), name="snmp-agent", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(30.0) or self._failure is not None:
            self.stop()
            raise DaemonError(f"the SNMP agent did not start: {self._failure}")
        log.info("snmp_agent_ready", listen=f"{self.address[0]}:{self.address[1]}")

    def _run(self, secrets: list[Any], communities: list[Any]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(self._on_loop_error)
        try:
            self._engine = self._build(secrets, communities)
        except Exception as err:  # a pysnmp setup failure: reported by start()
            self._failure = err
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._engine.transport_dispatcher.close_dispatcher()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def _build(self, secrets: list[Any], communities: list[Any]) -> Any:
        eng = engine.SnmpEngine(snmpEngineID=rfc1902.OctetString(self.engine_id))
        (boots,) = eng.get_mib_builder().import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineBoots")
        boots.syntax = boots.syntax.clone(min(self.boots, 2**31 - 1))
        assert self._sock is not None
        six = self._sock.family == socket.AF_INET6
        transport = (_Udp6 if six else _Udp)()
        transport.counters = self.counters
        domain = udp6.DOMAIN_NAME if six else udp.DOMAIN_NAME
        pc.add_transport(eng, domain, transport.open_server_mode(sock=self._sock))
        _views(eng)
        for user, auth_key, priv_key in secrets:
            _add_user(eng, user, auth_key, priv_key)
        for i, (community, secret) in enumerate(communities):
            _add_community(eng, i, community.access, secret)
        for i, target in enumerate(self.config.notify):
            _add_target(eng, domain, i, target.target, target.user, target.type)
        ctx = context.SnmpContext(eng)
        self._instrum = Instrumentation(self.link, self._set_done)
        ctx.unregister_context_name(b"")
        ctx.register_context_name(b"", self._instrum)
        for responder in RESPONDERS:
            responder(eng, ctx).counters = self.counters
        self._ntf = ntforg.NotificationOriginator()
        eng.transport_dispatcher.job_started(1)
        return eng

    def _set_done(self, user: str, ok: bool, detail: str) -> None:
        if ok:
            self.counters.sets_applied += 1
        else:
            self.counters.sets_refused += 1
        if self.on_set is not None:
            self.on_set(user, ok, detail)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, ctx: dict[str, Any]) -> None:
        self.counters.internal_errors += 1
        n = self.counters.internal_errors
        if n <= 5 or n % 1000 == 0:
            log.warning("snmp_agent_error", error=str(ctx.get("exception", ctx.get("message"))))

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if self._sock is not None:
            self._sock.close()

    # --- notifications -------------------------------------------------------------------

    def notify(self, name: str, level: int, text: str, uptime_s: float) -> bool:
        """Send notification ``name`` (an ``oids.NOTIFICATIONS`` key) to every target.

        Thread-safe; False (counted) when the agent is not running or too many are pending.
        """
        loop = self._loop
        with self._lock:
            if loop is None or loop.is_closed() or self._pending >= MAX_PENDING_NOTIFY:
                self.counters.notifications_dropped += 1
                return False
            self._pending += 1
        loop.call_soon_threadsafe(self._send, name, level, text, uptime_s)
        return True

    def _send(self, name: str, level: int, text: str, uptime_s: float) -> None:
        with self._lock:
            self._pending -= 1
        if not self.config.notify:
            return
        trap, message = oids.NOTIFICATIONS[name]
        varbinds = [
            ((*oids.SYS_UPTIME, 0), rfc1902.TimeTicks(int(uptime_s * 100) % 2**32)),
            (oids.SNMP_TRAP_OID, rfc1902.ObjectIdentifier((*oids.ASYNC_NOTIFY, trap))),
            ((*oids.ALERT_LEVEL, 0), rfc1902.Integer32(level)),
            ((*oids.ASYNC_MESSAGE, message, 0), rfc1902.OctetString(text[:255].encode())),
        ]
        for i, target in enumerate(self.config.notify):
            done = self._inform_done if target.type == "inform" else None
            self._ntf.send_varbinds(self._engine, f"notify{i}", None, b"", varbinds, done)
            self.counters.notifications_sent += 1

    def _inform_done(self, engine: Any, handle: Any, error: Any, *rest: Any) -> None:
        """pysnmp's answer for one inform: acknowledged, or not after its retries."""
        if error:
            self.counters.informs_failed += 1
            log.warning("snmp_inform_unacknowledged", error=str(error))
        else:
            self.counters.informs_acked += 1

    # --- reporting -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The one-line summary first (``rsu status``: where, users, requests, SETs applied,
        refused, notifications), then the details in ``agent`` and ``usm``. ``refused`` is the
        SETs refused plus the requests refused for their credentials (unknown users, wrong
        digests, decryption errors, unsupported levels, bad communities)."""
        c = self.counters
        usm = self._usm()
        malformed = c.oversized + sum(usm.get(k, 0) for k in MALFORMED)
        agent = {k: getattr(c, k) for k in AgentCounters.__slots__}
        agent.update(
            running=self.running,
            malformed=malformed,
            varbinds_read=self._instrum.gets if self._instrum else 0,
            set_pdus=self._instrum.sets if self._instrum else 0,
            communities=len(self.config.communities),
        )
        return {
            "listen": "{}:{}".format(*self.address),
            "users": len(self.config.users),
            "requests": c.requests,
            "sets": c.sets_applied,
            "refused": c.sets_refused + sum(usm.get(k, 0) for k in CREDENTIALS),
            "notifications": c.notifications_sent,
            "agent": agent,
            "usm": usm,
        }

    def _usm(self) -> dict[str, int]:
        """pysnmp's own counters (snmpInASNParseErrs, the USM statistics...)."""
        out: dict[str, int] = {}
        if self._engine is None:
            return out
        builder = self._engine.get_mib_builder()
        for module, symbol, key in COUNTERS:
            try:
                (obj,) = builder.import_symbols(module, symbol)
                out[key] = int(obj.syntax)
            except Exception:  # a counter this pysnmp build does not have
                out[key] = 0
        return out


def _bind(listen: tuple[str, int]) -> socket.socket:
    host, port = listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        hint = " (ports below 1024 need CAP_NET_BIND_SERVICE)" if port < 1024 else ""
        raise DaemonError(
            f"snmp.listen: cannot bind UDP {host}:{port}: {err.strerror}{hint}"
        ) from err
    sock.setblocking(False)
    return sock


def _views(eng: Any) -> None:
    pc.add_context(eng, b"")
    pc.add_vacm_view(eng, ALL, "included", (1, 3, 6, 1), b"")
    # The read-only users' write view: it exists and excludes everything (an absent or empty
    # one lets pysnmp 7.1's own instrumentation write; see rsu.management.instrum).
    pc.add_vacm_view(eng, NONE, "excluded", (1, 3, 6, 1), b"")
    pc.add_vacm_view(eng, NONE, "excluded", (0,), b"")


def _add_user(eng: Any, user: SnmpUser, auth_key: str, priv_key: str) -> None:
    pc.add_v3_user(eng, user.name, AUTH[user.auth], auth_key, PRIV[user.priv], priv_key)
    group = f"g-{user.name}"
    pc.add_vacm_group(eng, group, 3, user.name)
    write = ALL if user.writable else NONE
    pc.add_vacm_access(eng, group, b"", 3, "authPriv", "exact", ALL, write, ALL)


def _add_community(eng: Any, i: int, access: str, secret: str) -> None:
    name = f"community{i}"
    pc.add_v1_system(eng, name, secret)
    for model in (1, 2):
        pc.add_vacm_group(eng, f"g-{name}", model, name)
        write = ALL if access == "read-write" else NONE
        pc.add_vacm_access(eng, f"g-{name}", b"", model, "noAuthNoPriv", "exact", ALL, write, ALL)


def _add_target(
    eng: Any, domain: Any, i: int, target: tuple[str, int], user: str, kind: str
) -> None:
    params = f"params{i}"
    pc.add_target_parameters(eng, params, user, "authPriv", 3)
    pc.add_target_address(eng, f"target{i}", domain, target, params, tagList=f"tag{i}")
    pc.add_notification_target(eng, f"notify{i}", params, f"tag{i}", kind)
