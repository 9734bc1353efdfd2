"""``[energy]``: the charging sites near the RSU and where their status comes from.

```toml
[[energy.sites]]
id = "hub-1"
name = "Main St"
latitude = 42.2810
longitude = -83.7425
source = "ocpi"                       # "ocpi" | "modbus" | "cloud" | "sim"
stale_after_s = 300
interval_ms = 1000                    # broadcast interval
operator = "Acme Charging"            # optional (OCPI: the Location's operator when absent)
radius_m = 500                        # optional: the TIM/RSI region around the site
[energy.sites.ocpi]
url = "https://cpo.example/ocpi/2.2.1/locations/LOC1"
token_file = "/etc/rsu/ocpi.token"
poll_s = 30
timeout_s = 10                        # optional (less than poll_s)
token_encoding = "auto"               # optional: "base64" (OCPI 2.2.1), "plain", "auto"
```

``[energy.sites.modbus]`` (a register map) and ``[energy.sites.sim]`` (the simulated hub) are
in ``rsu.energy.source_config``; a ``cloud`` site has no table of its own (the ``site_status``
command sets it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Self

from rsu.config.fields import Table
from rsu.energy.model import DEFAULT_STALE_S, SiteIdentity
from rsu.errors import ConfigError

SOURCES = ("ocpi", "modbus", "cloud", "sim")
TOKEN_ENCODINGS = ("auto", "base64", "plain")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
MAX_SITES = 16
"""A CSAE 53 RTSList holds 16 signs; more sites than that is a config worth a second look."""


REQUIRED: Any = object()


def finite(t: Table, key: str, default: Any, lo: float, hi: float) -> Any:
    """``t.number`` that also refuses NaN and infinities (``REQUIRED``: no default)."""
    if default is REQUIRED:
        value = t.number(key, lo=lo, hi=hi)
    else:
        value = t.number(key, default, lo=lo, hi=hi)
    if value is not None and not math.isfinite(value):
        raise ConfigError(t.where(key), f"expected a finite number, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class OcpiConfig:
    """``[energy.sites.ocpi]``: one OCPI 2.2.1 Location, pulled every ``poll_s``."""

    url: str
    token_file: str
    poll_s: float = 30.0
    timeout_s: float = 10.0
    token_encoding: str = "auto"
    where: str = "energy.sites.ocpi"

    @classmethod
    def from_table(cls, t: Table) -> Self:
        url = t.string("url")
        if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
            raise ConfigError(t.where("url"), f"expected an http(s) URL, got {url!r}")
        poll = finite(t, "poll_s", 30.0, lo=1.0, hi=86400.0)
        cfg = cls(
            url=url,
            token_file=t.string("token_file"),
            poll_s=poll,
            timeout_s=finite(t, "timeout_s", min(10.0, poll / 2), lo=0.1, hi=300.0),
            token_encoding=t.string("token_encoding", "auto", choices=TOKEN_ENCODINGS),
            where=t.path,
        )
        if cfg.timeout_s >= cfg.poll_s:
            raise ConfigError(t.where("timeout_s"), f"must be less than poll_s ({cfg.poll_s})")
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """One ``[[energy.sites]]`` table."""

    identity: SiteIdentity
    source: str
    stale_after_s: float = DEFAULT_STALE_S
    interval_ms: int = 1000
    radius_m: float = 500.0
    ocpi: OcpiConfig | None = None
    modbus: Any = None
    """``rsu.energy.source_config.ModbusConfig`` when ``source = "modbus"``."""
    sim: Any = None
    """``rsu.energy.source_config.SimConfig`` when ``source = "sim"``."""
    where: str = "energy.sites"

    @property
    def id(self) -> str:
        return self.identity.id

    @classmethod
    def from_table(cls, t: Table) -> Self:
        from rsu.energy.source_config import ModbusConfig, SimConfig

        site_id = t.string("id")
        if not _ID.fullmatch(site_id):
            raise ConfigError(
                t.where("id"), f"expected 1-32 letters, digits, '_', '.', '-'; got {site_id!r}"
            )
        name = t.string("name")
        if not 1 <= len(name) <= 63 or not name.isascii() or not name.isprintable():
            raise ConfigError(t.where("name"), "expected 1-63 printable ASCII characters")
        source = t.string("source", choices=SOURCES)
        identity = SiteIdentity(
            site_id,
            name,
            finite(t, "latitude", REQUIRED, lo=-90.0, hi=90.0),
            finite(t, "longitude", REQUIRED, lo=-180.0, hi=180.0),
            t.string("operator", ""),
        )
        readers: dict[str, Any] = {
            "ocpi": OcpiConfig.from_table,
            "modbus": ModbusConfig.from_table,
            "sim": SimConfig.from_table,
        }
        parts: dict[str, Any] = {}
        for key, reader in readers.items():
            if key != source and t.has(key):
                raise ConfigError(t.where(key), f"only for source = {key!r} (this is {source!r})")
            if key == source:
                if not t.has(key) and key != "sim":  # the sim has defaults for everything
                    raise ConfigError(t.where(key), f"missing (source = {source!r} needs it)")
                parts[key] = reader(t.table(key))
        cfg = cls(
            identity=identity,
            source=source,
            stale_after_s=finite(t, "stale_after_s", DEFAULT_STALE_S, lo=1.0, hi=7 * 86400.0),
            interval_ms=t.integer("interval_ms", 1000, lo=100, hi=60_000),
            radius_m=finite(t, "radius_m", 500.0, lo=10.0, hi=4095.0),
            where=t.path,
            **parts,
        )
        t.done()
        return cfg


@dataclass(frozen=True, slots=True)
class EnergyConfig:
    """``[energy]``: the charging sites (``[[energy.sites]]``)."""

    sites: tuple[SiteConfig, ...] = ()
    queue_size: int = 64
    """Readings waiting for the core (oldest dropped: a newer read supersedes them)."""
    sign_type: int | None = None
    """CSAE 53 RSI ``signType`` of a charging station (GB 5768.2); None: the default."""

    @classmethod
    def from_table(cls, t: Table) -> Self:
        sites = tuple(SiteConfig.from_table(s) for s in t.tables("sites"))
        if not sites:
            raise ConfigError(t.where("sites"), "at least one [[energy.sites]] entry is needed")
        if len(sites) > MAX_SITES:
            raise ConfigError(t.where("sites"), f"at most {MAX_SITES} sites")
        seen: set[str] = set()
        for site in sites:
            if site.id in seen:
                raise ConfigError(f"{site.where}.id", f"duplicate {site.id!r}")
            seen.add(site.id)
        cfg = cls(
            sites,
            queue_size=t.integer("queue_size", 64, lo=4, hi=100_000),
            sign_type=t.integer("sign_type", None, lo=0, hi=65535),
        )
        t.done()
        return cfg
