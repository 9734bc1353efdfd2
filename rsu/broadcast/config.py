"""``[[broadcast.messages]]``: store-and-repeat entries from files (UPER hex or JER JSON).

```toml
[[broadcast.messages]]
name = "map-main"
file = "configs/examples/map.hex"   # UPER hex, or .json: JER of the whole MessageFrame
psid = 0xE0000017
channel = 183                       # optional (the default)
interval_ms = 1000
priority = 7                        # optional
standard = "j2735"                  # optional: "csae53" for a CSAE 53 frame in a hex file
start = "2026-11-25T16:00:00Z"      # optional UTC window
stop = "2026-11-25T18:00:00Z"
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from rsu.broadcast.standards import frame_set, frame_type
from rsu.config.fields import Table, not_a_key, read, setting
from rsu.errors import ConfigError, RsuError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set, message_set_names, message_sets
from rsu.wire import DEFAULT_CHANNEL, BroadcastMessage

if TYPE_CHECKING:
    from rsu.v2x.messageset import MessageSet


def _utc(text: str | None, where: str) -> float | None:
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ConfigError(where, f"expected an ISO 8601 UTC time, got {text!r}") from err
    if stamp.tzinfo is None:
        raise ConfigError(where, "needs a time zone (e.g. a trailing Z)")
    return stamp.timestamp()


@dataclass(frozen=True, slots=True)
class MessageConfig:
    """One ``[[broadcast.messages]]`` table."""

    name: str
    file: str
    psid: int = setting(lo=0, hi=0xEFFFFFFF)
    channel: int = setting(DEFAULT_CHANNEL, lo=0, hi=255)
    interval_ms: int = setting(1000, lo=10, hi=3_600_000)
    priority: int = setting(7, lo=0, hi=7)
    start: float | None = not_a_key(None)
    stop: float | None = not_a_key(None)
    where: str = not_a_key("broadcast.messages")
    standard: str | None = setting(None, choices=message_set_names())
    """A message set of ``rsu.registry``; None: from the JSON's shape, the default set
    (J2735) for hex files."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        return read(
            cls,
            t,
            start=_utc(t.string("start", None), t.where("start")),
            stop=_utc(t.string("stop", None), t.where("stop")),
            where=t.path,
        )


@dataclass(frozen=True, slots=True)
class BroadcastConfig:
    """``[broadcast]``: the table bound and the configured messages."""

    messages: tuple[MessageConfig, ...] = ()
    max_entries: int = setting(256, lo=1, hi=10_000)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        messages = tuple(MessageConfig.from_table(m) for m in t.tables("messages"))
        names = [m.name for m in messages]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ConfigError(f"{t.where('messages')}[{i}].name", f"duplicate {name!r}")
        return read(cls, t, messages=messages)


def load_message(cfg: MessageConfig, base: Path, encoder: Any = None) -> BroadcastMessage:
    """Read ``cfg.file`` (relative to ``base``) into a ``BroadcastMessage``.

    ``.json`` files hold the JER of a whole MessageFrame and need ``encoder`` (the codec's
    ``encode``) to be checked here; anything else is UPER hex (whitespace and ``#`` comment
    lines ignored). Errors are ``ConfigError`` naming ``broadcast.messages[i].file``.
    """
    where = f"{cfg.where}.file"
    path = base / cfg.file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(where, f"cannot read {path}: {err.strerror}") from err
    common: dict[str, Any] = {
        "key": cfg.name,
        "psid": cfg.psid,
        "channel": cfg.channel,
        "interval_ms": cfg.interval_ms,
        "priority": cfg.priority,
        "start": cfg.start,
        "stop": cfg.stop,
    }
    if path.suffix == ".json":
        frame = _load_jer(text, where, cfg.standard)
        if encoder is not None:
            try:
                encoder(frame)
            except RsuError as err:
                raise ConfigError(where, f"{path}: {err}") from err
        return BroadcastMessage(frame_jer=frame, message_type=frame_type(frame), **common)
    payload = _load_hex(text, where)
    ms = message_set(cfg.standard or DEFAULT_MESSAGE_SET)
    return BroadcastMessage(payload=payload, message_type=_hex_type(ms, payload, where), **common)


def _load_jer(text: str, where: str, standard: str | None = None) -> dict[str, Any]:
    try:
        frame = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(where, f"invalid JSON: {err}") from err
    found = frame_set(frame)
    if found is None:
        shapes = " or ".join(ms.jer_hint for ms in message_sets())
        raise ConfigError(where, f"expected the JER of a MessageFrame: {shapes}")
    if standard is not None and found.name != standard:
        raise ConfigError(where, f"standard = {standard!r} but the JSON is a {found.name} frame")
    return dict(frame)


def _hex_type(ms: MessageSet, payload: bytes, where: str) -> str:
    """The short type of a UPER frame of ``ms`` (where the set decodes it, once here, so a bad
    file fails at load)."""
    try:
        return ms.hex_type(payload)
    except RsuError as err:
        raise ConfigError(where, f"not a {ms.label} MessageFrame: {err}") from err


def _load_hex(text: str, where: str) -> bytes:
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    digits = "".join("".join(lines).split())
    try:
        payload = bytes.fromhex(digits)
    except ValueError as err:
        raise ConfigError(where, f"invalid hex: {err}") from err
    if not payload:
        raise ConfigError(where, "file holds no bytes")
    return payload
