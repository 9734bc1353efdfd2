"""No single event can end the core loop: what happens to an unexpected exception.

Every queue handler, every stage tick and every control request runs under
``Core.run``; an exception none of them expected (a bug, or input nobody thought of) comes
here. ``Guard.failed`` counts it by where it happened, logs it with the event that caused it
(the first ``LOG_FIRST`` of each place with a traceback, then as ``rsu.lograte`` says, so a
flood of one bad input cannot flood the journal) and raises the ``core/internal_error``
alarm, which goes to the uplink's ``alarms`` stream and shows in ``rsu status``. The alarm
clears itself after ``clear_after_s`` without a new one. The loop goes on with the next event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from rsu.alarms import Alarm
from rsu.lograte import FIRST as LOG_FIRST
from rsu.lograte import due
from rsu.stage import Clear, Outputs

log = structlog.get_logger(__name__)

CLEAR_AFTER_S = 300.0
"""The internal_error alarm clears after this long without a new internal error."""
DETAIL_CHARS = 300


def describe(item: object) -> str:
    """Enough of the event to reproduce it: its type and a bounded repr (payload bytes as hex)."""
    payload = getattr(item, "payload", None)
    if isinstance(payload, bytes):
        return f"{type(item).__name__} hex={payload[:512].hex()}"
    text = repr(item)
    return text if len(text) <= 1024 else text[:1024] + "..."


@dataclass(slots=True)
class Guard:
    clear_after_s: float = CLEAR_AFTER_S
    by_where: dict[str, int] = field(default_factory=dict)
    total: int = 0
    last_utc: float | None = None

    def failed(self, where: str, item: object, err: BaseException, utc: float) -> Outputs:
        """Count and log one unexpected exception; the alarm to raise (as outputs)."""
        n = self.by_where.get(where, 0) + 1
        self.by_where[where] = n
        self.total += 1
        self.last_utc = utc
        if due(n):
            log.error(
                "core_internal_error",
                where=where,
                error=repr(err),
                count=n,
                item=describe(item),
                exc_info=err if n <= LOG_FIRST else None,
            )
        detail = f"{self.total} internal error(s); last in {where}: {err!r}"[:DETAIL_CHARS]
        return Outputs(raises=(Alarm("core", "internal_error", detail, "critical"),))

    def tick(self, utc: float) -> Outputs:
        """The clear of the alarm once it has been quiet for ``clear_after_s``."""
        if self.last_utc is None or utc - self.last_utc < self.clear_after_s:
            return Outputs()
        self.last_utc = None
        quiet = f"no internal error for {self.clear_after_s:.0f} s ({self.total} in all)"
        return Outputs(clears=(Clear("core", "internal_error", quiet),))
