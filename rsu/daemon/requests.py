"""Control requests checked at the boundary: types and ranges, before anything acts on them.

``parse_request`` turns one decoded JSON object from the control socket into a
``ParsedRequest`` with typed arguments, or raises ``UsageError`` naming the field, what it
must be and, for a transmission, the range the chosen radio backend supports. Nothing that
fails here reaches the core loop. Pure: no I/O.

| command | arguments |
|---|---|
| ``status``, ``standby``, ``operate``, ``reload``, ``metrics`` | none |
| ``tx`` | ``hex`` (the UPER MessageFrame), ``psid`` (int or null: by type), ``channel`` (int) |
| ``tail`` | ``types`` (list of message type names, or null) |
| ``hang`` | ``seconds`` (number, test hook only) |
| ``fail`` | none (test hook only: raises on the core thread) |
"""

from __future__ import annotations

import math
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rsu.errors import UsageError
from rsu.wire import TxLimits

DEFAULT_CHANNEL = 183
MAX_TYPES = 64
MAX_TYPE_NAME = 32
MAX_HANG_S = 3600.0
_HEX = frozenset(string.hexdigits + " \t\r\n")


@dataclass(frozen=True, slots=True)
class TxArgs:
    payload: bytes
    psid: int | None
    channel: int


@dataclass(frozen=True, slots=True)
class TailArgs:
    types: frozenset[str]
    """Upper-case type names to pass (empty: all)."""


@dataclass(frozen=True, slots=True)
class HangArgs:
    seconds: float


Args = TxArgs | TailArgs | HangArgs | None


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    cmd: str
    args: Args = None


@dataclass(slots=True)
class ControlRequest:
    """A checked request on its way to the core thread, and its answer on the way back."""

    cmd: str
    args: Args = None
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] = field(default_factory=dict)


def _integer(cmd: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{cmd}: {name} must be an integer, not {_shown(value)}")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:40] + '...'}"


def _tx(data: Mapping[str, Any], limits: TxLimits) -> TxArgs:
    text = data.get("hex", "")
    if not isinstance(text, str):
        raise UsageError(f"tx: hex must be a string of hex digits, not {_shown(text)}")
    if len(text) > 4 * limits.max_payload:  # checked before decoding anything
        raise UsageError(f"tx: hex is longer than the {limits.backend} radio sends")
    if not set(text) <= _HEX:
        raise UsageError("tx: hex is not hex")
    try:
        payload = bytes.fromhex(text)
    except ValueError as err:
        raise UsageError("tx: hex is not hex (an odd number of digits?)") from err
    if not payload:
        raise UsageError("tx: nothing to send")
    psid = data.get("psid")
    psid = None if psid is None else _integer("tx", "psid", psid)
    channel = _integer("tx", "channel", data.get("channel", DEFAULT_CHANNEL))
    problem = limits.problem(0 if psid is None else psid, channel, len(payload))
    if problem is not None:
        raise UsageError(f"tx: {problem}")
    return TxArgs(payload, psid, channel)


def _tail(data: Mapping[str, Any], limits: TxLimits) -> TailArgs:
    types = data.get("types")
    if types is None:
        return TailArgs(frozenset())
    if not isinstance(types, list) or len(types) > MAX_TYPES:
        raise UsageError(f"tail: types must be a list of at most {MAX_TYPES} type names")
    for t in types:
        if not isinstance(t, str) or len(t) > MAX_TYPE_NAME:
            raise UsageError(f"tail: each type must be a name like BSM, not {_shown(t)}")
    return TailArgs(frozenset(t.upper() for t in types if t))


def _hang(data: Mapping[str, Any], limits: TxLimits) -> HangArgs:
    seconds = data.get("seconds", MAX_HANG_S)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise UsageError(f"hang: seconds must be a number, not {_shown(seconds)}")
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_HANG_S:
        raise UsageError(f"hang: seconds must be in (0, {MAX_HANG_S:.0f}]")
    return HangArgs(float(seconds))


def _none(data: Mapping[str, Any], limits: TxLimits) -> None:
    return None


ARGS: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any], TxLimits], Args]]] = {
    "status": ((), _none),
    "standby": ((), _none),
    "operate": ((), _none),
    "reload": ((), _none),
    "metrics": ((), _none),
    "tx": (("hex", "psid", "channel"), _tx),
    "tail": (("types",), _tail),
    "hang": (("seconds",), _hang),
    "fail": ((), _none),
}
"""Each command: the argument names it takes, and its checker."""


def parse_request(data: Mapping[str, Any], limits: TxLimits) -> ParsedRequest:
    """The checked request, or ``UsageError`` saying what is wrong with it."""
    cmd = data.get("cmd")
    if not isinstance(cmd, str):
        raise UsageError('expected {"cmd": "..."}')
    spec = ARGS.get(cmd)
    if spec is None:
        shown = cmd if len(cmd) <= 40 else cmd[:40] + "..."
        raise UsageError(f"unknown command {shown!r} (known: {', '.join(ARGS)})")
    names, check = spec
    extra = sorted(k for k in data if k != "cmd" and k not in names)
    if extra:
        takes = ", ".join(names) if names else "no arguments"
        raise UsageError(f"{cmd}: unknown field {extra[0][:40]!r} (takes {takes})")
    return ParsedRequest(cmd, check(data, limits))
