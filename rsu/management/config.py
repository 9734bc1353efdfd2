"""``[snmp]``: the NTCIP 1218 agent (optional, off by default) as a frozen value.

```toml
[snmp]
listen = "0.0.0.0:161"                  # UDP; port 161 needs CAP_NET_BIND_SERVICE (the unit has it)
state_file = "/var/lib/rsu/ntcip1218.json"  # tables and mode set over SNMP, engine id and boots
location_description = "Main St & 1st Ave, NE corner"
[[snmp.users]]
name = "rsu-admin"
access = "read-write"                  # "read-only" | "read-write"
auth = "SHA-512"                       # "SHA-1" .. "SHA-512"
auth_password_file = "/etc/rsu/snmp/admin.auth"
priv = "AES-256"                       # "AES-128" | "AES-256"
priv_password_file = "/etc/rsu/snmp/admin.priv"
[[snmp.notify]]                        # traps/informs for the daemon's alarms
target = "10.0.0.5:162"
user = "rsu-admin"                     # one of the users above (its keys protect them)
type = "inform"                        # "trap" | "inform"
[[snmp.communities]]                   # SNMPv1/v2c: only when configured (read-only advised)
community_file = "/etc/rsu/snmp/public.community"
access = "read-only"
```

Secrets live in files, never in the TOML. A secret file that other users may read or write is
refused (``chmod 600``, or ``640`` with the daemon's own group: ``root:rsu``): an SNMP key in a
world-readable file gives anyone on the box read-write control of the radio.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rsu.config.fields import Table, parse_hostport
from rsu.errors import ConfigError

AUTH_PROTOCOLS = ("SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512")
PRIV_PROTOCOLS = ("AES-128", "AES-256")
ACCESS = ("read-only", "read-write")
NOTIFY_TYPES = ("trap", "inform")
MIN_SECRET = 8
"""RFC 3414 pass phrases: at least 8 characters (net-snmp refuses shorter ones too)."""
MAX_SECRET = 256


@dataclass(frozen=True, slots=True)
class SnmpUser:
    """One SNMPv3 USM user (always authPriv: no unauthenticated or cleartext users)."""

    name: str
    access: str
    auth: str
    auth_password_file: str
    priv: str
    priv_password_file: str
    where: str = "snmp.users"

    @property
    def writable(self) -> bool:
        return self.access == "read-write"

    def auth_key(self) -> str:
        return read_secret(Path(self.auth_password_file), f"{self.where}.auth_password_file")

    def priv_key(self) -> str:
        return read_secret(Path(self.priv_password_file), f"{self.where}.priv_password_file")

    @classmethod
    def from_table(cls, t: Table) -> Self:
        name = t.string("name")
        if not 1 <= len(name) <= 32 or not name.isprintable() or name != name.strip():
            raise ConfigError(t.where("name"), f"expected 1 to 32 printable characters: {name!r}")
        cfg = cls(
            name=name,
            access=t.string("access", "read-only", choices=ACCESS),
            auth=t.string("auth", "SHA-512", choices=AUTH_PROTOCOLS),
            auth_password_file=t.string("auth_password_file"),
            priv=t.string("priv", "AES-128", choices=PRIV_PROTOCOLS),
            priv_password_file=t.string("priv_password_file"),
            where=t.path,
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class Community:
    """An SNMPv1/v2c community (only when configured)."""

    community_file: str
    access: str = "read-only"
    where: str = "snmp.communities"

    def secret(self) -> str:
        return read_secret(Path(self.community_file), f"{self.where}.community_file")

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(t.string("community_file"), t.string("access", "read-only", choices=ACCESS))
        t.done()
        return cls(cfg.community_file, cfg.access, t.path)


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """A manager that receives the alarms as SNMPv3 traps or informs."""

    target: tuple[str, int]
    user: str
    type: str = "trap"

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = cls(
            target=parse_hostport(t.string("target"), t.where("target")),
            user=t.string("user"),
            type=t.string("type", "trap", choices=NOTIFY_TYPES),
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class SnmpConfig:
    listen: tuple[str, int] = ("0.0.0.0", 161)
    users: tuple[SnmpUser, ...] = ()
    communities: tuple[Community, ...] = ()
    notify: tuple[NotifyTarget, ...] = ()
    state_file: str = "/var/lib/rsu/ntcip1218.json"
    location_description: str = ""
    set_timeout_s: float = 3.0
    """How long a SET waits for the core to apply it (then commitFailed)."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        users = tuple(SnmpUser.from_table(u) for u in t.tables("users"))
        cfg = cls(
            listen=parse_hostport(t.string("listen", "0.0.0.0:161"), t.where("listen")),
            users=users,
            communities=tuple(Community.from_table(c) for c in t.tables("communities")),
            notify=tuple(NotifyTarget.from_table(n) for n in t.tables("notify")),
            state_file=t.string("state_file", "/var/lib/rsu/ntcip1218.json"),
            location_description=t.string("location_description", ""),
            set_timeout_s=t.number("set_timeout_s", 3.0, lo=0.1, hi=30.0),
        )
        if not math.isfinite(cfg.set_timeout_s):  # NaN passes a range check
            raise ConfigError(t.where("set_timeout_s"), "expected a number of seconds, not nan")
        _check(cfg, t)
        t.done()
        return cfg


def _check(cfg: SnmpConfig, t: Table) -> None:
    if not cfg.users and not cfg.communities:
        raise ConfigError(t.where("users"), "give at least one [[snmp.users]] (SNMPv3)")
    names = [u.name for u in cfg.users]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"{t.where('users')}[{i}].name", f"duplicate user {name!r}")
    for i, target in enumerate(cfg.notify):
        if target.user not in names:
            raise ConfigError(
                f"{t.where('notify')}[{i}].user", f"not one of the [[snmp.users]]: {target.user!r}"
            )
    if len(cfg.location_description) > 140:
        raise ConfigError(t.where("location_description"), "at most 140 characters (NTCIP 1218)")


@dataclass(frozen=True, slots=True)
class Secrets:
    """The pass phrases and communities of ``[snmp]``, read from their files."""

    users: tuple[tuple[SnmpUser, str, str], ...]
    """(user, authentication pass phrase, privacy pass phrase)."""
    communities: tuple[tuple[Community, str], ...]


def read_secrets(config: SnmpConfig) -> Secrets:
    """Every secret file of ``config`` read and checked (``ConfigError`` naming the key)."""
    return Secrets(
        tuple((u, u.auth_key(), u.priv_key()) for u in config.users),
        tuple((c, c.secret()) for c in config.communities),
    )


def secret_files(config: SnmpConfig) -> list[list[str]]:
    """``rsu config check``: every secret file read and checked, as (key, path, result)."""
    read_secrets(config)  # ConfigError naming the first bad one
    rows = []
    for u in config.users:
        for key in ("auth_password_file", "priv_password_file"):
            rows.append([f"{u.where}.{key}", getattr(u, key), "readable, private"])
    for c in config.communities:
        rows.append([f"{c.where}.community_file", c.community_file, "readable, private"])
    return rows


def read_secret(path: Path, where: str) -> str:
    """A pass phrase from ``path``: refused when others may read or write it, or too short."""
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(where, f"cannot read {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(where, f"{path} is not UTF-8 text") from err
    _check_mode(path, info, where)
    secret = text.rstrip("\r\n")
    if not MIN_SECRET <= len(secret) <= MAX_SECRET or "\n" in secret:
        raise ConfigError(where, f"{path}: expected one line of {MIN_SECRET} to {MAX_SECRET} chars")
    return secret


def _check_mode(path: Path, info: os.stat_result, where: str) -> None:
    mode = stat.S_IMODE(info.st_mode)
    own_group = info.st_gid == os.getegid()  # root:rsu 0640 for a daemon running as rsu
    if mode & 0o007 or mode & 0o020 or (mode & 0o040 and not own_group):
        raise ConfigError(
            where,
            f"{path} is mode {mode:04o}: other users may read it; "
            f"chmod 600 (or 640 with the daemon's own group)",
        )
