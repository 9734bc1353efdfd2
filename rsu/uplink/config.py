"""The ``[uplink]`` table: broker, TLS, credentials, dialect, spool bounds and upload policies.

Only ``[rsu] id`` and ``[uplink]`` are read here (``read_uplink_config``); every other table of
the file is ignored so that ``rsu replay`` and ``rsu spool`` work with a full daemon config.
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from rsu.config.fields import Table, read_toml
from rsu.config.model import check_rsu_id
from rsu.errors import ConfigError
from rsu.v2x.names import short_names

PRIORITIES: dict[str, int] = {"bulk": 0, "normal": 1, "critical": 2}
"""Spool priority classes: a record may only evict records of its own class or lower."""

DIALECTS = ("default", "cn-rsu")
PROTOCOLS = ("3.1.1", "5")
PROFILES = ("full", "decoded", "raw")
"""Payload profiles of a received-message record (``rsu.uplink.records``): ``full`` (decoded
JER and the raw hex), ``decoded`` (the JER without ``raw``/``outer``), ``raw`` (the bare frame
as ``raw`` hex with the security envelope and origin, no JER: for a cloud that decodes
itself)."""
ENCODINGS = ("json", "cbor")
COMPRESSIONS = ("none", "zlib")
PERISHABLE = ("SPAT", "RSM", "SDSM", "objects")
"""Streams whose records are stale after ``expiry_s`` (positions, signal states, objects)."""


def streams() -> frozenset[str]:
    """What ``[uplink.policy.<NAME>]`` and ``perishable`` name: a message type's short name
    (of any message set), or the fused object lists (events, alarms and stats never expire
    and have no policy)."""
    return short_names() | {"objects"}


def stream_name(name: object, where: str) -> str:
    """``name`` if it is one of ``streams()`` (a typo would silently leave a policy unused)."""
    known = streams()
    if not isinstance(name, str) or name not in known:
        raise ConfigError(
            where, f"unknown message type {name!r}: expected one of {', '.join(sorted(known))}"
        )
    return name


@dataclass(frozen=True, slots=True)
class Filter:
    """Upload only when the JER value at ``path`` (dotted, e.g. ``coreData.speed``) passes."""

    path: str
    min: float | None = None
    max: float | None = None
    equals: Any = None

    @classmethod
    def from_table(cls, t: Table) -> Self:
        out = cls(
            path=_filter_path(t.string("path"), t.where("path")),
            min=finite_number(t, "min", None),
            max=finite_number(t, "max", None),
            equals=_scalar(t.raw("equals", None), t.where("equals")),
        )
        t.done()
        return out


MAX_FILTERS = 16
MAX_PATH_PARTS = 16
MAX_IDS = 1024
"""Bounds of one type's policy: each received message of the type is checked against every
filter and id, so a config or a cloud command must not make that unbounded."""


def _filter_path(path: str, where: str) -> str:
    parts = path.split(".")
    if len(path) > 256 or len(parts) > MAX_PATH_PARTS or not all(parts):
        raise ConfigError(
            where, f"expected a dotted JER path of 1..{MAX_PATH_PARTS} names, got {path[:64]!r}"
        )
    return path


def _scalar(value: Any, where: str) -> Any:
    """``equals``: a string, integer, finite number or boolean (what a JER leaf can be)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ConfigError(where, "expected a string, a finite number or a boolean")


def _sender_ids(t: Table) -> frozenset[str]:
    """``ids``: the senders' temporary ids, hex (4 bytes in J2735, 8 in CSAE 53)."""
    ids = t.array("ids", [], of=str)
    if len(ids) > MAX_IDS:
        raise ConfigError(t.where("ids"), f"{len(ids)} ids (at most {MAX_IDS})")
    for i, text in enumerate(ids):
        if not 1 <= len(text) <= 16 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ConfigError(f"{t.where('ids')}[{i}]", f"expected 1..16 hex digits, got {text!r}")
    return frozenset(i.lower() for i in ids)


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    """What to upload of one message type (short name: BSM, MAP, SPAT, RSI, RSM ...).

    The knobs of the RSU-to-center CONFIG: ``sample`` is sampleRate (1 in N), ``sample_mode``
    ``by_id`` keeps only the senders in ``ids`` (hex of the temporary id), ``rate_limit`` is
    upLimit (records per second, 0 = no cap) and ``filters`` are upFilters.
    """

    enabled: bool = True
    sample: int = 1
    sample_mode: str = "all"
    ids: frozenset[str] = frozenset()
    rate_limit: float = 0.0
    filters: tuple[Filter, ...] = ()
    batch: bool = False
    priority: int = 0
    payload: str | None = None
    """Payload profile of this type (None: ``[uplink] payload``)."""
    expiry_s: float | None = None
    """Seconds after which a record of this type is stale (None: ``[uplink] expiry_s`` for
    the ``perishable`` types, never for others; 0: never)."""

    @classmethod
    def from_table(cls, t: Table, *, batch_default: bool = False) -> Self:
        out = cls(
            enabled=t.boolean("enabled", True),
            sample=t.integer("sample", 1, lo=1, hi=1_000_000),
            sample_mode=t.string("sample_mode", "all", choices=("all", "by_id")),
            ids=_sender_ids(t),
            rate_limit=finite_number(t, "rate_limit", 0.0, lo=0.0, hi=1e9),
            filters=_filters(t),
            batch=t.boolean("batch", batch_default),
            priority=PRIORITIES[t.string("priority", "bulk", choices=tuple(PRIORITIES))],
            payload=t.string("payload", None, choices=PROFILES),
            expiry_s=finite_number(t, "expiry_s", None, lo=0.0, hi=86400.0),
        )
        t.done()
        return out


def _filters(t: Table) -> tuple[Filter, ...]:
    tables = t.tables("filters")
    if len(tables) > MAX_FILTERS:
        raise ConfigError(t.where("filters"), f"{len(tables)} filters (at most {MAX_FILTERS})")
    return tuple(Filter.from_table(f) for f in tables)


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    tls: bool
    host: str
    port: int

    @classmethod
    def parse(cls, url: str, where: str = "uplink.broker") -> Self:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ConfigError(where, f"expected mqtt://host[:port] or mqtts://..., got {url!r}")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as err:
            raise ConfigError(where, f"bad port in {url!r}") from err
        return cls(tls=tls, host=parts.hostname, port=port)


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    check_hostname: bool = True


@dataclass(frozen=True, slots=True)
class SpoolLimits:
    max_bytes: int = 500 * 1024 * 1024
    max_age_s: float = 72 * 3600.0
    critical_max_age_s: float = 30 * 24 * 3600.0
    sync: str = "normal"


@dataclass(frozen=True, slots=True)
class UplinkConfig:
    rsu_id: str
    broker: BrokerUrl
    protocol: str = "3.1.1"
    client_id: str = ""
    tls: TlsConfig = field(default_factory=TlsConfig)
    username: str | None = None
    password_file: str | None = None
    password_credential: str | None = None
    keepalive: int = 30
    dialect: str = "default"
    esn: str = ""
    spool_path: str = "/var/lib/rsu/spool.db"
    spool: SpoolLimits = field(default_factory=SpoolLimits)
    batch_max: int = 100
    batch_max_bytes: int = 256 * 1024
    batch_linger_ms: float = 50.0
    inflight: int = 64
    queue_size: int = 5_000
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 60.0
    heartbeat_s: float = 10.0
    running_info_s: float = 60.0
    max_command_bytes: int = 256 * 1024
    command_queue_bytes: int = 4 * 1024 * 1024
    policies: dict[str, UploadPolicy] = field(default_factory=dict)
    payload: str = "full"
    encoding: str = "json"
    compression: str = "none"
    always_array: bool = False
    session_expiry_s: int = 3600
    expiry_s: float = 2.0
    perishable: tuple[str, ...] = PERISHABLE

    def profile(self, short_name: str) -> str:
        """The payload profile of a message type."""
        return self.policy(short_name).payload or self.payload

    def stream_expiry(self, name: str) -> float:
        """Seconds after which records of a stream (message short name or ``objects``...)
        are stale; 0 for never."""
        pol = self.policies.get(name)
        if pol is not None and pol.expiry_s is not None:
            return pol.expiry_s
        return self.expiry_s if name in self.perishable else 0.0

    def default_policy(self) -> UploadPolicy:
        """For types without a table: batched in the default dialect (a publish carries a
        JSON array when several records of a type are waiting), one record a publish in
        cn-rsu (what the centre reads)."""
        return UploadPolicy(batch=self.dialect == "default")

    def policy(self, short_name: str) -> UploadPolicy:
        return self.policies.get(short_name) or self.default_policy()

    @classmethod
    def from_table(cls, t: Table, rsu_id: str) -> Self:
        broker = BrokerUrl.parse(t.string("broker", "mqtt://127.0.0.1:1883"), t.where("broker"))
        dialect = t.string("dialect", "default", choices=DIALECTS)
        out = cls(
            rsu_id=rsu_id,
            broker=broker,
            protocol=t.string("protocol", "3.1.1", choices=PROTOCOLS),
            client_id=t.string("client_id", f"rsu-{rsu_id}"),
            tls=_tls_from(t),
            username=t.string("username", None),
            password_file=t.string("password_file", None),
            password_credential=t.string("password_credential", None),
            keepalive=t.integer("keepalive", 30, lo=5, hi=3600),
            dialect=dialect,
            esn=t.string("esn", rsu_id),
            spool_path=t.string("spool_path", "/var/lib/rsu/spool.db"),
            spool=_spool_from(t),
            batch_max=t.integer("batch_max", 100, lo=1, hi=10_000),
            batch_max_bytes=t.integer("batch_max_bytes", 256 * 1024, lo=1024, hi=64 * 1024**2),
            batch_linger_ms=finite_number(t, "batch_linger_ms", 50.0, lo=0.0, hi=5000.0),
            inflight=t.integer("inflight", 64, lo=1, hi=65_000),
            queue_size=t.integer("queue_size", 5_000, lo=10, hi=10_000_000),
            reconnect_min_s=finite_number(t, "reconnect_min_s", 0.5, lo=0.01, hi=3600.0),
            reconnect_max_s=finite_number(t, "reconnect_max_s", 60.0, lo=0.1, hi=86400.0),
            heartbeat_s=finite_number(t, "heartbeat_s", 10.0, lo=0.0, hi=86400.0),
            running_info_s=finite_number(t, "running_info_s", 60.0, lo=0.0, hi=86400.0),
            max_command_bytes=t.integer("max_command_bytes", 256 * 1024, lo=64, hi=64 * 1024**2),
            command_queue_bytes=t.integer(
                "command_queue_bytes", 4 * 1024 * 1024, lo=1024, hi=1024**3
            ),
            policies=_policies_from(t.table("policy"), batch_default=dialect == "default"),
            **_wire_from(t),
        )
        t.done()
        _check_wire(out, t)
        return out

    def read_password(self) -> str | None:
        """The password from ``password_file`` or a systemd credential (CREDENTIALS_DIRECTORY)."""
        if self.password_file:
            return _read_secret(Path(self.password_file), "uplink.password_file")
        if self.password_credential:
            base = os.environ.get("CREDENTIALS_DIRECTORY")
            if not base:
                raise ConfigError(
                    "uplink.password_credential", "CREDENTIALS_DIRECTORY is not set (no systemd?)"
                )
            return _read_secret(Path(base) / self.password_credential, "uplink.password_credential")
        return None


def finite_number(
    t: Table, key: str, default: Any, lo: float | None = None, hi: float | None = None
) -> Any:
    """``Table.number`` that also refuses NaN and the infinities (TOML has ``nan``/``inf``)."""
    value = t.number(key, default, lo=lo, hi=hi)
    if value is not None and not math.isfinite(value):
        raise ConfigError(t.where(key), f"expected a finite number, got {value}")
    return value


def _read_secret(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as err:
        raise ConfigError(where, f"cannot read {path}: {err.strerror}") from err


def _wire_from(t: Table) -> dict[str, Any]:
    """Payload profile, encoding, expiry and session keys (issue 12 and 17)."""
    return {
        "payload": t.string("payload", "full", choices=PROFILES),
        "encoding": t.string("encoding", "json", choices=ENCODINGS),
        "compression": t.string("compression", "none", choices=COMPRESSIONS),
        "always_array": t.boolean("always_array", False),
        "session_expiry_s": t.integer("session_expiry_s", 3600, lo=0, hi=0xFFFFFFFF),
        "expiry_s": finite_number(t, "expiry_s", 2.0, lo=0.0, hi=86400.0),
        "perishable": tuple(
            stream_name(name, f"{t.where('perishable')}[{i}]")
            for i, name in enumerate(t.array("perishable", list(PERISHABLE), of=str))
        ),
    }


def _check_wire(cfg: UplinkConfig, t: Table) -> None:
    if cfg.protocol != "5" and (cfg.encoding != "json" or cfg.compression != "none"):
        key = "encoding" if cfg.encoding != "json" else "compression"
        raise ConfigError(
            t.where(key), 'needs protocol = "5": the MQTT 5 content type tells consumers'
        )
    if cfg.encoding == "cbor" and importlib.util.find_spec("cbor2") is None:  # found, not loaded
        raise ConfigError(
            t.where("encoding"), "needs the cbor2 package: pip install 'rsu-edge[mqtt]'"
        )


def _tls_from(t: Table) -> TlsConfig:
    return TlsConfig(
        ca_file=t.string("ca_file", None),
        cert_file=t.string("cert_file", None),
        key_file=t.string("key_file", None),
        check_hostname=t.boolean("tls_check_hostname", True),
    )


def _spool_from(t: Table) -> SpoolLimits:
    return SpoolLimits(
        max_bytes=int(finite_number(t, "spool_max_mb", 500.0, lo=0.01) * 1024 * 1024),
        max_age_s=finite_number(t, "spool_max_age_hours", 72.0, lo=0.0) * 3600.0,
        critical_max_age_s=finite_number(t, "spool_critical_max_age_hours", 720.0, lo=0.0) * 3600.0,
        sync=t.string("spool_sync", "normal", choices=("normal", "full")),
    )


def _policies_from(t: Table, *, batch_default: bool) -> dict[str, UploadPolicy]:
    out: dict[str, UploadPolicy] = {}
    for name in list(t.data):
        stream_name(name, t.where(name))
        out[name] = UploadPolicy.from_table(t.table(name), batch_default=batch_default)
    t.done()
    return out


def read_uplink_config(data: dict[str, Any]) -> UplinkConfig:
    """``[rsu] id`` and the ``[uplink]`` table of a whole config file (other tables ignored)."""
    rsu = Table(data.get("rsu"), "rsu")
    rsu_id = check_rsu_id(rsu.string("id"), rsu.where("id"))
    return UplinkConfig.from_table(Table(data.get("uplink"), "uplink"), rsu_id)


def load_uplink_config(path: str) -> UplinkConfig:
    """Read a TOML file and return its uplink config."""
    return read_uplink_config(read_toml(path))
