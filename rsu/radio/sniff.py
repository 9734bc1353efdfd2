"""The radio edges' look at received bytes: ``sniff`` (pure, J2735 knowledge: it lives in
``rsu.j2735.sniff`` and is re-exported here) and ``report_bad``, which counts and logs bad input.
"""

from __future__ import annotations

import structlog

from rsu.j2735.sniff import Sniff, bare_message_id, read_psid, sniff
from rsu.lograte import due
from rsu.radio.types import RadioCounters

__all__ = ["Sniff", "bare_message_id", "read_psid", "report_bad", "sniff"]


def report_bad(
    log: structlog.typing.FilteringBoundLogger,
    counters: RadioCounters,
    reason: str,
    data: bytes,
    **fields: object,
) -> None:
    """Count one piece of bad input; log it (with hex) as ``rsu.lograte`` says."""
    n = counters.bad(reason)
    if due(n):
        log.warning("bad_input", reason=reason, count=n, hex=data[:256].hex(), **fields)
