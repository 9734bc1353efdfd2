"""Topic dialects: where records go, what the RSU says about itself, which commands it takes.

``default``: everything under ``rsu/{rsu_id}/`` (``v2x/{TYPE}``, ``objects``, ``events``,
``stats``, retained ``status``; commands on ``cmd/{name}``, ACKs on ``cmd/ack``).

``cn-rsu``: the C-ITS RSU-to-center tree as the OpenV2X cloud uses it: ``V2X/RSU/INFO/UP``,
``V2X/RSU/HB/UP``, ``V2X/RSU/BaseINFO/UP``, ``V2X/RSU/RunningInfo/UP``,
``V2X/RSU/{id}/{TYPE}/UP``; downlinks ``V2X/RSU/{esn}/MNG/DOWN``, ``V2X/RSU/{id}/CONFIG/DOWN``,
``.../MAP/DOWN``, ``.../RSI/DOWN``, each ACKed on ``<topic>/ACK`` with ``seqNum`` + ``errorCode``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rsu.clock import utc_iso
from rsu.errors import CommandError
from rsu.uplink import commands as cmds
from rsu.uplink.config import UplinkConfig
from rsu.uplink.publisher import Publish

if TYPE_CHECKING:
    from rsu.v2x.message import V2xMessage

PROTOCOL_VERSION = "rsu-edge/1"

Outgoing = Publish
"""A message published directly (not spooled): status, heartbeat, birth, ACKs."""

MAX_RESPONSE_TOPIC = 512
MAX_CORRELATION = 256


@dataclass(frozen=True, slots=True)
class Inbound:
    """One downlink message as the broker delivered it. ``payload`` is None when it was
    larger than ``max_command_bytes`` (not kept: ``size`` says how large it was)."""

    topic: str
    payload: bytes | None
    size: int
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """Where and how to ACK one downlink message."""

    topic: str
    ref: str | None
    command: str
    correlation: bytes | None = None


class Dialect(Protocol):
    name: str

    def topic(self, stream: str) -> str: ...
    def subscriptions(self) -> list[str]: ...
    def will(self, online_since: float | None) -> Outgoing: ...
    def farewell(self, now: float, online_since: float | None) -> Outgoing: ...
    def birth(self, now: float, birth: dict[str, Any]) -> list[Outgoing]: ...
    def status(self, now: float, content: dict[str, Any]) -> list[Outgoing]: ...
    def heartbeat(self, seq: int, now: float, content: dict[str, Any]) -> list[Outgoing]: ...
    def running_info(self, now: float, info: dict[str, Any]) -> list[Outgoing]: ...
    def command(self, msg: Inbound) -> tuple[Reply, cmds.Command | CommandError]: ...
    def ack(self, reply: Reply, error: CommandError | None, now: float) -> Outgoing: ...
    def is_own_ack(self, topic: str) -> bool: ...
    def message_fields(
        self, msg: V2xMessage, rsu_id: str, at: float, profile: str
    ) -> dict[str, Any]: ...


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def response_topic(msg: Inbound) -> str | None:
    """The MQTT 5 response topic the cloud asked for, when it is one we may publish to."""
    topic = msg.response_topic
    if not topic or len(topic) > MAX_RESPONSE_TOPIC or "\x00" in topic:
        return None
    if "+" in topic or "#" in topic or topic.startswith("$"):
        return None
    return topic


def correlation(msg: Inbound) -> bytes | None:
    data = msg.correlation
    return data if data is not None and len(data) <= MAX_CORRELATION else None


def parsed(msg: Inbound, max_bytes: int, where: str) -> dict[str, Any]:
    """The command's JSON object (size checked before anything is read)."""
    if msg.payload is None:
        raise CommandError("too_large", f"payload of {msg.size} bytes > {max_bytes}")
    return cmds.parse_json(msg.payload, max_bytes, where)


def _error_fields(error: CommandError) -> dict[str, Any]:
    return {} if error.detail is None else {"detail": error.detail}


class DefaultDialect:
    name = "default"

    def __init__(self, cfg: UplinkConfig) -> None:
        self.rsu_id = cfg.rsu_id
        self.base = f"rsu/{cfg.rsu_id}"
        self.max_command_bytes = cfg.max_command_bytes

    def topic(self, stream: str) -> str:
        return f"{self.base}/{stream}"

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/cmd/#"]

    def will(self, online_since: float | None) -> Outgoing:
        body: dict[str, Any] = {"state": "offline", "rsu_id": self.rsu_id}
        body["cause"] = "connection_lost"
        body["online_since"] = None if online_since is None else utc_iso(online_since)
        return Outgoing(f"{self.base}/status", _json(body), retain=True)

    def farewell(self, now: float, online_since: float | None) -> Outgoing:
        body: dict[str, Any] = {"state": "offline", "rsu_id": self.rsu_id, "cause": "stopped"}
        body["since"] = utc_iso(now)
        body["online_since"] = None if online_since is None else utc_iso(online_since)
        return Outgoing(f"{self.base}/status", _json(body), retain=True)

    def birth(self, now: float, birth: dict[str, Any]) -> list[Outgoing]:
        body = {"rsu_id": self.rsu_id, "at": utc_iso(now), "protocol": PROTOCOL_VERSION, **birth}
        return [Outgoing(f"{self.base}/birth", _json(body), retain=True)]

    def status(self, now: float, content: dict[str, Any]) -> list[Outgoing]:
        body = {"state": "online", "rsu_id": self.rsu_id, "at": utc_iso(now), **content}
        return [Outgoing(f"{self.base}/status", _json(body), retain=True)]

    def heartbeat(self, seq: int, now: float, content: dict[str, Any]) -> list[Outgoing]:
        health = {**content.get("health", {}), "seq": seq}
        return self.status(now, {**content, "health": health})

    def running_info(self, now: float, info: dict[str, Any]) -> list[Outgoing]:
        return []

    def command(self, msg: Inbound) -> tuple[Reply, cmds.Command | CommandError]:
        name = msg.topic.removeprefix(f"{self.base}/cmd/")
        ack_topic = response_topic(msg) or f"{self.base}/cmd/ack"
        reply = Reply(ack_topic, None, name[:64], correlation(msg))
        try:
            data = parsed(msg, self.max_command_bytes, name[:64])
            reply = Reply(ack_topic, cmds.ref_in(data, "id"), reply.command, reply.correlation)
            return reply, cmds.parse_default(name, data, reply.ref)
        except CommandError as err:
            return reply, err

    def ack(self, reply: Reply, error: CommandError | None, now: float) -> Outgoing:
        body: dict[str, Any] = {
            "id": reply.ref,
            "command": reply.command,
            "ok": error is None,
            "code": "ok" if error is None else error.code,
            "at": utc_iso(now),
        }
        if error is not None:
            body["error"] = str(error)
            body.update(_error_fields(error))
        return Outgoing(reply.topic, _json(body), correlation=reply.correlation)

    def message_fields(
        self, msg: V2xMessage, rsu_id: str, at: float, profile: str
    ) -> dict[str, Any]:
        return {}

    def is_own_ack(self, topic: str) -> bool:
        return topic == f"{self.base}/cmd/ack"


CN_ERROR_CODES = {code: i for i, code in enumerate(cmds.CODES)}
"""``errorCode`` of cn-rsu ACKs: 0 ok, 1 bad_json, 2 unknown_command, 3 bad_value,
4 too_large, 5 rejected (the daemon refused it)."""

_CN_SAMPLE_MODES = {"ByAll": "all", "ByID": "by_id"}
_CN_CONFIG_KEYS = {
    "bsmConfig": "BSM",
    "rsiConfig": "RSI",
    "mapConfig": "MAP",
    "spatConfig": "SPAT",
    "rsmConfig": "RSM",
}


class CnRsuDialect:
    name = "cn-rsu"

    def __init__(self, cfg: UplinkConfig) -> None:
        self.rsu_id = cfg.rsu_id
        self.esn = cfg.esn or cfg.rsu_id
        self.max_command_bytes = cfg.max_command_bytes
        self._ident = {"rsuId": self.rsu_id, "rsuEsn": self.esn}

    def topic(self, stream: str) -> str:
        kind = stream.removeprefix("v2x/").upper()
        return f"V2X/RSU/{self.rsu_id}/{kind}/UP"

    def _downs(self) -> list[str]:
        base = f"V2X/RSU/{self.rsu_id}"
        return [
            f"V2X/RSU/{self.esn}/MNG/DOWN",
            f"{base}/CONFIG/DOWN",
            f"{base}/MAP/DOWN",
            f"{base}/RSI/DOWN",
        ]

    def subscriptions(self) -> list[str]:
        return self._downs()

    def will(self, online_since: float | None) -> Outgoing:
        body: dict[str, Any] = {**self._ident, "status": "offline", "cause": "connection_lost"}
        body["onlineSince"] = None if online_since is None else int(online_since * 1000)
        return Outgoing(f"V2X/RSU/{self.rsu_id}/STATUS/UP", _json(body), retain=True)

    def farewell(self, now: float, online_since: float | None) -> Outgoing:
        body: dict[str, Any] = {**self._ident, "status": "offline", "cause": "stopped"}
        body["since"] = int(now * 1000)
        body["onlineSince"] = None if online_since is None else int(online_since * 1000)
        return Outgoing(f"V2X/RSU/{self.rsu_id}/STATUS/UP", _json(body), retain=True)

    def birth(self, now: float, birth: dict[str, Any]) -> list[Outgoing]:
        ts = int(now * 1000)
        info = {**self._ident, "protocolVersion": PROTOCOL_VERSION, "timestamp": ts}
        return [
            Outgoing(f"V2X/RSU/{self.rsu_id}/BIRTH/UP", _json({**info, **birth}), retain=True),
            Outgoing("V2X/RSU/INFO/UP", _json(info)),
            Outgoing("V2X/RSU/BaseINFO/UP", _json({**info, **birth})),
        ]

    def status(self, now: float, content: dict[str, Any]) -> list[Outgoing]:
        body = {**self._ident, "status": "online", "timestamp": int(now * 1000), **content}
        return [Outgoing(f"V2X/RSU/{self.rsu_id}/STATUS/UP", _json(body), retain=True)]

    def heartbeat(self, seq: int, now: float, content: dict[str, Any]) -> list[Outgoing]:
        body = {
            **self._ident,
            "ack": False,
            "seqNum": str(seq),
            "protocolVersion": PROTOCOL_VERSION,
            "timestamp": int(now * 1000),
        }
        if "power" in content:  # the RSU's own power ([power]), as in the running info
            body["power"] = content["power"]
        return [Outgoing("V2X/RSU/HB/UP", _json(body))]

    def running_info(self, now: float, info: dict[str, Any]) -> list[Outgoing]:
        body = {**self._ident, **info, "timestamp": int(now * 1000)}
        return [Outgoing("V2X/RSU/RunningInfo/UP", _json(body))]

    def command(self, msg: Inbound) -> tuple[Reply, cmds.Command | CommandError]:
        topic = msg.topic
        kind = topic.split("/")[-2] if topic.count("/") >= 3 else ""
        ack_topic = response_topic(msg) or f"{topic}/ACK"
        reply = Reply(ack_topic, None, kind, correlation(msg))
        try:
            data = parsed(msg, self.max_command_bytes, f"{kind}/DOWN")
            reply = Reply(ack_topic, cmds.ref_in(data, "seqNum"), kind, reply.correlation)
            return reply, _cn_command(kind, data, reply.ref)
        except CommandError as err:
            return reply, err

    def ack(self, reply: Reply, error: CommandError | None, now: float) -> Outgoing:
        body: dict[str, Any] = {
            "seqNum": reply.ref,
            "errorCode": 0 if error is None else CN_ERROR_CODES.get(error.code, 5),
            "errorDesc": "" if error is None else str(error),
            **self._ident,
            "timestamp": int(now * 1000),
        }
        if error is not None and error.detail is not None:
            body["errorDetail"] = error.detail
        return Outgoing(reply.topic, _json(body), correlation=reply.correlation)

    def is_own_ack(self, topic: str) -> bool:
        return topic.endswith("/ACK")

    def message_fields(
        self, msg: V2xMessage, rsu_id: str, at: float, profile: str
    ) -> dict[str, Any]:
        """The centre's view (CSAE names and units) beside the record, unless ``raw``."""
        if profile == "raw":
            return {}
        from rsu.uplink.cn_fields import cn_fields

        return cn_fields(msg, rsu_id=rsu_id, at=at)


def _cn_command(kind: str, data: dict[str, Any], ref: str | None) -> cmds.Command:
    if kind == "CONFIG":
        return cmds.Command("config", ref, config=_cn_config(data))
    if kind in ("MAP", "RSI"):
        body = {k: v for k, v in data.items() if k != "seqNum"}
        if "data" in body:
            body["jer"] = body.pop("data")
        if kind == "RSI" and not {"jer", "hex"} & body.keys():  # one event, OpenV2X names
            from rsu.events.rsi_cloud import broadcast_body

            body = broadcast_body(body)
        req = cmds.broadcast_request(body, f"{kind}/DOWN", message_type=kind)
        return cmds.Command("broadcast", ref, broadcast=req)
    if kind == "MNG":
        return _cn_mng(data, ref)
    raise CommandError("unknown_command", f"unknown downlink {kind!r}")


def _cn_config(data: dict[str, Any]) -> cmds.ConfigChange:
    policies = []
    for key, value in data.items():
        if key == "seqNum":
            continue
        mtype = _CN_CONFIG_KEYS.get(key)
        if mtype is None or not isinstance(value, dict):
            raise CommandError("bad_value", f"CONFIG/DOWN: unknown or bad key {key!r}")
        policies.append(cmds.policy_change(mtype, _cn_policy(key, value), f"CONFIG.{key}"))
    if not policies:
        raise CommandError("bad_value", "CONFIG/DOWN: nothing to change")
    return cmds.ConfigChange(policies=tuple(policies))


def _cn_policy(key: str, value: dict[str, Any]) -> dict[str, Any]:
    names = {
        "sampleRate": "sample",
        "upLimit": "rate_limit",
        "upFilters": "filters",
        "sampleMode": "sample_mode",
        "ids": "ids",
        "enabled": "enabled",
    }
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k not in names:
            raise CommandError("bad_value", f"CONFIG.{key}.{k}: unknown key")
        if k == "sampleMode" and v not in _CN_SAMPLE_MODES:
            raise CommandError("bad_value", f"CONFIG.{key}.sampleMode: ByAll or ByID")
        out[names[k]] = _CN_SAMPLE_MODES[v] if k == "sampleMode" else v
    return out


def _cn_mng(data: dict[str, Any], ref: str | None) -> cmds.Command:
    actions = {k for k in ("reboot", "mode") if data.get(k) not in (None, 0, False)}
    settings = {k: v for k, v in data.items() if k not in ("seqNum", "reboot", "mode")}
    if (actions and settings) or len(actions) > 1:
        raise CommandError("bad_value", "MNG/DOWN: one action per command")
    if "reboot" in actions:
        return cmds.Command("reboot", ref)
    if "mode" in actions:
        mode = data["mode"]
        if mode not in ("standby", "operate"):
            raise CommandError("bad_value", f"MNG/DOWN.mode: standby or operate, got {mode!r}")
        return cmds.Command(str(mode), ref)
    keys = {
        "heartbeatRate": "heartbeat_s",
        "runningInfoRate": "running_info_s",
        "logLevel": "log_level",
    }
    unknown = sorted(set(settings) - set(keys))
    if unknown:
        raise CommandError("bad_value", f"MNG/DOWN.{unknown[0]}: unknown key")
    if not settings:
        raise CommandError("bad_value", "MNG/DOWN: nothing to do")
    change = cmds.config_change({keys[k]: v for k, v in settings.items()}, "MNG")
    return cmds.Command("config", ref, config=change)


DIALECTS: dict[str, Callable[[UplinkConfig], Dialect]] = {
    "default": DefaultDialect,
    "cn-rsu": CnRsuDialect,
}


def make_dialect(cfg: UplinkConfig) -> Dialect:
    return DIALECTS[cfg.dialect](cfg)
