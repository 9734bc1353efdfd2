"""Downlink commands, parsed and validated into frozen values before anything is applied.

Every check happens here, so a command is either applied whole or rejected whole (an error ACK
and a log line); nothing here touches the daemon. The dialects (``dialects.py``) map their wire
shapes to these values; ``CommandError.code`` is one of ``CODES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rsu.config.fields import Table
from rsu.errors import CommandError, ConfigError
from rsu.uplink.config import UploadPolicy, finite_number, stream_name
from rsu.uplink.jsonin import load_object

CODES = ("ok", "bad_json", "unknown_command", "bad_value", "too_large", "rejected")
BROADCAST_TYPES = ("MAP", "SPAT", "TIM", "RSI", "RSA", "RSM", "SDSM")
LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_BROADCAST_BYTES = 2048
_POLICY_FIELDS = (
    "enabled",
    "sample",
    "sample_mode",
    "ids",
    "rate_limit",
    "filters",
    "batch",
    "payload",
    "expiry_s",
)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """New values for some fields of one message type's ``UploadPolicy``."""

    message_type: str
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ConfigChange:
    policies: tuple[PolicyChange, ...] = ()
    heartbeat_s: float | None = None
    running_info_s: float | None = None
    log_level: str | None = None


@dataclass(frozen=True, slots=True)
class BroadcastRequest:
    """A message for the broadcast scheduler: ``data`` is a bare UPER MessageFrame (``hex``)
    or None with ``jer`` the JER of the message value (to encode with the codec)."""

    message_type: str
    data: bytes | None
    jer: Any
    interval_ms: int
    duration_s: float
    psid: int | None = None
    frame_jer: dict[str, Any] | None = None
    """Set once checked (``rsu.uplink.broadcast``): the MessageFrame JER of a ``jer`` request,
    known to encode in the RSU's standard."""
    encoded: bytes | None = None
    """Set once checked: the UPER MessageFrame (``data`` itself, or ``frame_jer`` encoded)."""


@dataclass(frozen=True, slots=True)
class Command:
    """One validated command. ``body`` is the parsed value of a kind without a field of its
    own here (commands added by other parts: see ``DEFAULT_COMMANDS``)."""

    kind: str
    ref: str | None
    config: ConfigChange | None = None
    broadcast: BroadcastRequest | None = None
    body: Any = None


def parse_json(payload: bytes, max_bytes: int, where: str = "") -> dict[str, Any]:
    """Size first, then depth, then a strict parse (``rsu.uplink.jsonin``)."""
    return load_object(payload, max_bytes, where)


def ref_in(data: dict[str, Any], *keys: str) -> str | None:
    """The request id of a parsed command (also for the ACK of a rejected one)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:128]
    return None


def _bad(err: ConfigError) -> CommandError:
    return CommandError("bad_value", str(err))


def policy_change(message_type: str, data: Any, where: str) -> PolicyChange:
    """Validate one policy table (same keys as ``[uplink.policy.X]``), keep the given keys."""
    try:
        stream_name(message_type, where)
        t = Table(data, where)
        full = UploadPolicy.from_table(t)
    except ConfigError as err:
        raise _bad(err) from err
    given = [name for name in _POLICY_FIELDS if name in t.data]
    if not given:
        raise CommandError("bad_value", f"{where}: no policy field given")
    return PolicyChange(message_type, tuple((name, getattr(full, name)) for name in given))


def config_change(data: dict[str, Any], where: str = "config") -> ConfigChange:
    """The default dialect's config command: ``policy``, ``heartbeat_s``, ``log_level``."""
    try:
        t = Table(data, where)
        t.raw("id", None)
        policies = t.raw("policy", {})
        if not isinstance(policies, dict):
            raise ConfigError(t.where("policy"), "expected an object")
        change = ConfigChange(
            policies=tuple(
                policy_change(name, value, f"{where}.policy.{name}")
                for name, value in policies.items()
            ),
            heartbeat_s=finite_number(t, "heartbeat_s", None, lo=0.5, hi=86400.0),
            running_info_s=finite_number(t, "running_info_s", None, lo=1.0, hi=86400.0),
            log_level=t.string("log_level", None, choices=LOG_LEVELS),
        )
        t.done()
    except ConfigError as err:
        raise _bad(err) from err
    if change == ConfigChange():
        raise CommandError("bad_value", f"{where}: nothing to change")
    return change


def broadcast_request(
    data: dict[str, Any], where: str, message_type: str | None = None
) -> BroadcastRequest:
    """``message_type``, exactly one of ``hex`` / ``jer``, ``interval_ms``, ``duration_s``."""
    try:
        t = Table(data, where)
        for extra in ("id", "seqNum"):
            t.raw(extra, None)
        mtype = message_type or t.string("message_type", choices=BROADCAST_TYPES)
        hex_text = t.string("hex", None)
        jer = t.raw("jer", None)
        interval = t.integer("interval_ms", 1000, lo=100, hi=60_000)
        duration = finite_number(t, "duration_s", 0.0, lo=0.0, hi=30 * 86400.0)
        psid = t.integer("psid", None, lo=0, hi=0xFFFFFFFF)
        t.done()
    except ConfigError as err:
        raise _bad(err) from err
    if (hex_text is None) == (jer is None):
        raise CommandError("bad_value", f"{where}: give exactly one of hex, jer")
    data_bytes = _hex(hex_text, where) if hex_text is not None else None
    if jer is not None and not isinstance(jer, dict):
        raise CommandError("bad_value", f"{where}.jer: expected an object")
    return BroadcastRequest(mtype, data_bytes, jer, interval, duration, psid)


def _hex(text: str, where: str) -> bytes:
    try:
        data = bytes.fromhex(text)
    except ValueError as err:
        raise CommandError("bad_value", f"{where}.hex: not hex") from err
    if not data or len(data) > MAX_BROADCAST_BYTES:
        raise CommandError(
            "bad_value", f"{where}.hex: {len(data)} bytes (1..{MAX_BROADCAST_BYTES})"
        )
    return data


def mode_command(kind: str, data: dict[str, Any], where: str) -> Command:
    try:
        t = Table(data, where)
        t.raw("id", None)
        t.done()
    except ConfigError as err:
        raise _bad(err) from err
    return Command(kind, ref_in(data, "id"))  # as the ACK echoes it (at most 128 characters)


def _site_status(data: dict[str, Any]) -> Any:
    """A charging site's status from the cloud (``rsu.energy.command``)."""
    from rsu.energy.command import site_status

    return site_status(data)


Parser = Callable[[str, dict[str, Any], str | None], Command]
"""(command name, its JSON object, request id) -> a validated ``Command``."""

DEFAULT_COMMANDS: dict[str, Parser] = {
    "config": lambda name, data, ref: Command(name, ref, config=config_change(data)),
    "broadcast": lambda name, data, ref: Command(
        name, ref, broadcast=broadcast_request(data, "broadcast")
    ),
    "reboot": lambda name, data, ref: mode_command(name, data, name),
    "standby": lambda name, data, ref: mode_command(name, data, name),
    "operate": lambda name, data, ref: mode_command(name, data, name),
    "site_status": lambda name, data, ref: Command(name, ref, body=_site_status(data)),
}
"""The default dialect's commands (``rsu/{id}/cmd/{name}``): one line adds one. A new kind
returns ``Command(name, ref, body=<its frozen value>)`` and is applied by the daemon."""
KINDS = tuple(DEFAULT_COMMANDS)


def parse_default(name: str, data: dict[str, Any], ref: str | None) -> Command:
    """A command of the default dialect from its parsed JSON object."""
    parser = DEFAULT_COMMANDS.get(name)
    if parser is None:
        raise CommandError("unknown_command", f"unknown command {name[:64]!r}")
    return parser(name, data, ref)
