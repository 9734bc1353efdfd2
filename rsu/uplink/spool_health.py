"""The uplink's spool, opened so that nothing else in the RSU depends on it opening.

``open_spool`` locks and opens the spool file (a bad file is set aside: ``spool_file``). When
even a fresh file cannot be had (no permission, a read-only or full disk) the uplink runs on a
spool in memory (bounded by ``MEMORY_MAX_BYTES``): live records are still published, nothing
survives a restart, and the ``spool/spool_unavailable`` alarm says so. Only a spool locked by
another process is an error (two daemons must not publish from one spool).

``SpoolHealth`` holds the spool's lasting conditions as alarms, which the daemon puts on its
alarm board (``rsu status``, the uplink's ``alarms`` stream, SNMP): ``spool_set_aside``,
``spool_unavailable`` and ``spool_write_failed`` (a write failed, a full disk: the records are
counted as ``write_failed:<stream>`` drops, in memory until the file can be written again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TextIO

import structlog

from rsu.alarms import Alarm
from rsu.errors import SpoolError
from rsu.uplink.config import UplinkConfig
from rsu.uplink.records import Record
from rsu.uplink.spool import Spool, lock_spool

log = structlog.get_logger(__name__)

SOURCE = "spool"
MEMORY_MAX_BYTES = 64 * 1024 * 1024


class SpoolHealth:
    def __init__(self) -> None:
        self.unavailable = ""
        self.write_error = ""
        self.set_aside = ""

    def open_spool(self, path: str, cfg: UplinkConfig) -> tuple[Spool, TextIO | None]:
        """The spool (on disk, else in memory) and the lock file held for it."""
        lock: TextIO | None = None
        try:
            lock = lock_spool(path)
        except SpoolError:
            raise  # another process publishes from this spool
        except OSError as err:
            return self._in_memory(f"cannot lock spool {path}: {err}", cfg), None
        try:
            spool = Spool(path, cfg.spool, cfg.batch_max, cfg.batch_max_bytes)
        except SpoolError as err:
            lock.close()
            return self._in_memory(str(err), cfg), None
        if spool.set_aside is not None:
            a = spool.set_aside
            self.set_aside = f"{a.reason}; moved to {a.path}; a fresh spool was started"
        return spool, lock

    def _in_memory(self, why: str, cfg: UplinkConfig) -> Spool:
        self.unavailable = f"{why}; records are kept in memory only"
        log.error("spool_unavailable", error=why, memory_max_bytes=MEMORY_MAX_BYTES)
        limits = cfg.spool
        limits = dataclasses.replace(limits, max_bytes=min(limits.max_bytes, MEMORY_MAX_BYTES))
        return Spool(":memory:", limits, cfg.batch_max, cfg.batch_max_bytes)

    def write_failed(self, spool: Spool, err: SpoolError, batch: Sequence[Record]) -> None:
        counts: dict[str, int] = {}
        for record in batch:
            key = f"write_failed:{record.stream}"
            counts[key] = counts.get(key, 0) + 1
        spool.count_lost(counts)
        if not self.write_error:
            log.error("spool_append_failed", error=str(err), records=len(batch))
        self.write_error = str(err)

    def write_ok(self) -> None:
        if self.write_error:
            log.info("spool_writable_again", was=self.write_error)
        self.write_error = ""

    def alarms(self) -> tuple[Alarm, ...]:
        """The spool's conditions now (the daemon raises these and clears the others)."""
        out = []
        if self.unavailable:
            out.append(Alarm(SOURCE, "spool_unavailable", self.unavailable, "critical"))
        if self.set_aside:
            out.append(Alarm(SOURCE, "spool_set_aside", self.set_aside, "warning"))
        if self.write_error:
            out.append(Alarm(SOURCE, "spool_write_failed", self.write_error, "critical"))
        return tuple(out)
