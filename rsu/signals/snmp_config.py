"""``[signals.snmp]``: how the ``ntcip1202`` source talks to the controllers' SNMP agents.

```toml
[signals.snmp]
version = "2c"                  # "1" | "2c" (most controllers) | "3"
port = 161
community = "public"            # v1/v2c; or community_file = "/etc/rsu/tsc-community"
user = "rsu"                    # v3 (USM)
auth = "sha"                    # none | md5 | sha | sha224 | sha256 | sha384 | sha512
auth_key_file = "/etc/rsu/tsc-auth"   # or *_credential: a systemd credential name
priv = "aes128"                 # none | des | aes128 | aes192 | aes256
priv_key_file = "/etc/rsu/tsc-priv"
poll_hz = 10.0
timeout_s = 0.2
# Turn the controller's own SPaT broadcast on at start (vendors differ: Econolite's ASC/3
# object is not McCain's). Nothing is set unless both are given.
enable_oid = "1.3.6.1.4.1.1206.3.5.2.9.44.1.1"
enable_value = 6
enable_type = "integer"         # integer | unsigned
# The time-to-change objects the controller offers (NTCIP 1202 v2 has none; v03 and vendor
# MIBs do): an OID prefix per time, ".<phase>" appended, values in tenths of a second.
vehicle_min_oid = ""
vehicle_max_oid = ""
ped_min_oid = ""
ped_max_oid = ""
overlap_min_oid = ""
overlap_max_oid = ""
preempts = 0                    # preemptState rows to poll (1..N): any active sets the bit
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.signals.config import number

VERSIONS = ("1", "2c", "3")
AUTH = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV = ("none", "des", "aes128", "aes192", "aes256")
TIMING_KEYS = (
    "vehicle_min_oid",
    "vehicle_max_oid",
    "ped_min_oid",
    "ped_max_oid",
    "overlap_min_oid",
    "overlap_max_oid",
)


def check_oid(text: str, where: str) -> str:
    """A dotted numeric OID (``1.3.6.1...``), at most 128 arcs; returned without a leading
    dot."""
    oid = text.strip().removeprefix(".")
    arcs = oid.split(".")
    if len(arcs) < 2 or len(arcs) > 128 or not all(a.isdigit() and len(a) <= 10 for a in arcs):
        raise ConfigError(where, f"expected a dotted numeric OID like 1.3.6.1.4.1, got {text!r}")
    if int(arcs[0]) > 2:
        raise ConfigError(where, f"an OID starts with 0, 1 or 2, got {text!r}")
    return oid


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret is: a file, or a systemd credential (``CREDENTIALS_DIRECTORY``)."""

    file: str | None = None
    credential: str | None = None
    where: str = ""

    def read(self) -> str | None:
        if self.file:
            return _read(Path(self.file), f"{self.where}_file")
        if self.credential:
            base = os.environ.get("CREDENTIALS_DIRECTORY")
            if not base:
                where = f"{self.where}_credential"
                raise ConfigError(where, "CREDENTIALS_DIRECTORY is not set (no systemd?)")
            return _read(Path(base) / self.credential, f"{self.where}_credential")
        return None


def _read(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as err:
        raise ConfigError(where, f"cannot read {path}: {err.strerror}") from err


def _secret(t: Table, key: str) -> Secret:
    out = Secret(t.string(f"{key}_file", None), t.string(f"{key}_credential", None), t.where(key))
    if out.file and out.credential:
        raise ConfigError(t.where(f"{key}_file"), f"give {key}_file or {key}_credential, not both")
    return out


@dataclass(frozen=True, slots=True)
class SnmpConfig:
    version: str = "2c"
    port: int = 161
    community: str = "public"
    community_secret: Secret = Secret()
    user: str = ""
    auth: str = "none"
    auth_key: Secret = Secret()
    priv: str = "none"
    priv_key: Secret = Secret()
    poll_hz: float = 10.0
    timeout_s: float = 0.2
    retries: int = 0
    enable_oid: str | None = None
    enable_value: int | None = None
    enable_type: str = "integer"
    timing: tuple[tuple[str, str], ...] = ()
    """(time name, OID prefix) for the timing objects given."""
    preempts: int = 0

    @classmethod
    def from_table(cls, t: Table) -> Self:
        enable_oid = t.string("enable_oid", None)
        timing = []
        for key in TIMING_KEYS:
            value = t.string(key, "")
            if value:
                timing.append((key.removesuffix("_oid"), check_oid(value, t.where(key))))
        cfg = cls(
            version=t.string("version", "2c", choices=VERSIONS),
            port=t.integer("port", 161, lo=1, hi=65535),
            community=t.string("community", "public"),
            community_secret=_secret(t, "community"),
            user=t.string("user", ""),
            auth=t.string("auth", "none", choices=AUTH),
            auth_key=_secret(t, "auth_key"),
            priv=t.string("priv", "none", choices=PRIV),
            priv_key=_secret(t, "priv_key"),
            poll_hz=number(t, "poll_hz", 10.0, 0.5, 20.0),
            timeout_s=number(t, "timeout_s", 0.2, 0.01, 10.0),
            retries=t.integer("retries", 0, lo=0, hi=5),
            enable_oid=check_oid(enable_oid, t.where("enable_oid")) if enable_oid else None,
            enable_value=t.integer("enable_value", None, lo=-(2**31), hi=2**32 - 1),
            enable_type=t.string("enable_type", "integer", choices=("integer", "unsigned")),
            timing=tuple(timing),
            preempts=t.integer("preempts", 0, lo=0, hi=255),
        )
        _check(cfg, t)
        t.done()
        return cfg


def _check(cfg: SnmpConfig, t: Table) -> None:
    if (cfg.enable_oid is None) != (cfg.enable_value is None):
        raise ConfigError(t.where("enable_value"), "give enable_oid and enable_value together")
    if cfg.enable_value is not None:
        lo, hi = (-(2**31), 2**31 - 1) if cfg.enable_type == "integer" else (0, 2**32 - 1)
        if not lo <= cfg.enable_value <= hi:
            raise ConfigError(t.where("enable_value"), f"out of range for {cfg.enable_type}")
    if cfg.version == "3":
        if not cfg.user:
            raise ConfigError(t.where("user"), "SNMPv3 needs a user")
        if cfg.auth != "none" and not (cfg.auth_key.file or cfg.auth_key.credential):
            raise ConfigError(t.where("auth_key_file"), f"auth = {cfg.auth!r} needs a key")
        if cfg.priv != "none" and cfg.auth == "none":
            raise ConfigError(t.where("priv"), "privacy needs authentication (auth)")
        if cfg.priv != "none" and not (cfg.priv_key.file or cfg.priv_key.credential):
            raise ConfigError(t.where("priv_key_file"), f"priv = {cfg.priv!r} needs a key")
