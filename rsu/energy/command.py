"""The ``site_status`` cloud command: the cloud sets the status of a ``source = "cloud"`` site.

Validated whole into a frozen :class:`SiteCommand` before it is acknowledged (like every
command in ``rsu.uplink.commands``); the daemon then refuses it (``rejected``) when the site is
not configured or takes its status from another source. Either the EVSEs::

    {"id": "r1", "site": "hub-1", "evses": [
        {"uid": "E1", "status": "available", "connectors": [{"standard": "CCS", "power_kw": 150}]},
        {"uid": "E2", "status": "occupied", "connectors": [{"standard": "CCS"}]}]}

(``"complete": false`` updates only the listed EVSEs; by default the list is the whole site),
or the counts per standard, when the cloud only knows those::

    {"id": "r2", "site": "hub-1", "counts": {"CCS": {"free": 2, "total": 6}}}

Each accepted command confirms what it says at the time the core applies it: a cloud site
goes stale like any other when no command comes for ``stale_after_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rsu.config.fields import Table
from rsu.energy.config import finite
from rsu.energy.model import STANDARDS, STATUSES, Connector, EvseStatus, Status
from rsu.errors import CommandError, ConfigError

NAME = "site_status"
MAX_EVSES = 64
MAX_CONNECTORS = 4


@dataclass(frozen=True, slots=True)
class SiteCommand:
    site: str
    evses: tuple[EvseStatus, ...]
    complete: bool = True


def _bad(err: ConfigError) -> CommandError:
    return CommandError("bad_value", str(err))


def site_status(data: dict[str, Any], where: str = NAME) -> SiteCommand:
    """Check a ``site_status`` body whole (``CommandError`` ``bad_value`` naming the field)."""
    try:
        t = Table(data, where)
        t.raw("id", None)
        site = t.string("site")
        complete = t.boolean("complete", True)
        evses_raw = t.raw("evses", None)
        counts_raw = t.raw("counts", None)
        t.done()
        if (evses_raw is None) == (counts_raw is None):
            raise ConfigError(where, "give exactly one of evses, counts")
        if evses_raw is not None:
            evses = _evses(evses_raw, t.where("evses"))
        else:
            if not complete:
                raise ConfigError(t.where("complete"), "counts always describe the whole site")
            evses = _from_counts(t.table("counts"))
    except ConfigError as err:
        raise _bad(err) from err
    return SiteCommand(site[:64], evses, complete)


def _evses(raw: Any, where: str) -> tuple[EvseStatus, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_EVSES:
        raise ConfigError(where, f"expected an array of 1..{MAX_EVSES} EVSEs")
    out: list[EvseStatus] = []
    for i, item in enumerate(raw):
        t = Table(item, f"{where}[{i}]")
        uid = t.string("uid")
        if not 1 <= len(uid) <= 36:
            raise ConfigError(t.where("uid"), "expected 1-36 characters")
        status = t.string("status", choices=STATUSES)
        connectors = t.tables("connectors")
        if not 1 <= len(connectors) <= MAX_CONNECTORS:
            raise ConfigError(t.where("connectors"), f"expected 1..{MAX_CONNECTORS} connectors")
        out.append(EvseStatus(uid, status, tuple(_connector(c) for c in connectors)))
        t.done()
    uids = [e.uid for e in out]
    for i, uid in enumerate(uids):
        if uid in uids[:i]:
            raise ConfigError(f"{where}[{i}].uid", f"duplicate {uid!r}")
    return tuple(out)


def _connector(t: Table) -> Connector:
    out = Connector(
        t.string("standard", choices=STANDARDS), finite(t, "power_kw", None, lo=0.1, hi=2000.0)
    )
    t.done()
    return out


def _from_counts(t: Table) -> tuple[EvseStatus, ...]:
    out: list[EvseStatus] = []
    for standard in list(t.data):
        if standard not in STANDARDS:
            raise ConfigError(t.where(standard), f"expected one of {', '.join(STANDARDS)}")
        c = t.table(standard)
        total = c.integer("total", lo=1, hi=MAX_EVSES)
        free = c.integer("free", lo=0, hi=total)
        power = finite(c, "power_kw", None, lo=0.1, hi=2000.0)
        c.done()
        for i in range(total):
            status: Status = "available" if i < free else "occupied"
            out.append(EvseStatus(f"{standard}-{i + 1}", status, (Connector(standard, power),)))
    t.done()
    if not out:
        raise ConfigError(t.path, "at least one standard")
    if len(out) > MAX_EVSES:
        raise ConfigError(t.path, f"at most {MAX_EVSES} EVSEs in all")
    return tuple(out)
