"""Per message type upload policy, sans-I/O: on/off, 1-in-N sampling (all or per sender),
sender id lists, a rate cap (token bucket) and value filters. ``now`` is always passed in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from rsu.uplink.config import Filter, UploadPolicy

MAX_SENDERS = 10_000
"""Per-sender sampling counters kept at most; the table is cleared when it grows past this."""


@dataclass(slots=True)
class _TypeState:
    seen: int = 0
    tokens: float = 0.0
    last: float | None = None
    per_sender: dict[str, int] = field(default_factory=dict)


class PolicyGate:
    """Decides which received messages are uploaded; counts what it holds back and why."""

    def __init__(
        self, policies: dict[str, UploadPolicy] | None = None, default: UploadPolicy | None = None
    ) -> None:
        self._policies: dict[str, UploadPolicy] = dict(policies or {})
        self._default = default or UploadPolicy()
        self._state: dict[str, _TypeState] = {}
        self.held: Counter[str] = Counter()
        """``"{type}:{reason}"`` -> messages not uploaded (disabled, sampled, id, rate, filter)."""

    def table(self) -> tuple[dict[str, UploadPolicy], UploadPolicy]:
        """The policies as they are now (per type, default): for a ``PolicyGate`` elsewhere
        (a decode worker) that must judge as this one does."""
        return dict(self._policies), self._default

    def policy(self, short_name: str) -> UploadPolicy:
        return self._policies.get(short_name) or self._default

    def set_policy(self, short_name: str, policy: UploadPolicy) -> None:
        """Replace one type's policy (from a config command); its sampling state restarts."""
        self._policies[short_name] = policy
        self._state.pop(short_name, None)

    def update(self, short_name: str, **changes: Any) -> UploadPolicy:
        new = replace(self.policy(short_name), **changes)
        self.set_policy(short_name, new)
        return new

    def admit(
        self,
        short_name: str,
        sender: str | None,
        value: Any,
        now: float,
        *,
        passed: bool | None = None,
    ) -> bool:
        """True when this message should be uploaded. ``passed``: the type's value filters
        were already checked (``filters_pass``, where the message was decoded); ``value``
        is then not looked at."""
        reason = self._reject_reason(short_name, sender, value, now, passed)
        if reason is None:
            return True
        self.held[f"{short_name}:{reason}"] += 1
        return False

    def filters_pass(self, short_name: str, value: Any) -> bool:
        """The value filters of the type's policy (stateless: may run in another process)."""
        return all(_passes(f, value) for f in self.policy(short_name).filters)

    def _reject_reason(
        self, name: str, sender: str | None, value: Any, now: float, passed: bool | None
    ) -> str | None:
        pol = self.policy(name)
        if not pol.enabled:
            return "disabled"
        if pol.ids and (sender is None or sender not in pol.ids):
            return "id"
        if not (self.filters_pass(name, value) if passed is None else passed):
            return "filter"
        st = self._state.setdefault(name, _TypeState())
        if pol.sample > 1 and not _sampled(st, pol, sender):
            return "sampled"
        if pol.rate_limit > 0 and not _take_token(st, pol.rate_limit, now):
            return "rate"
        return None


def _sampled(st: _TypeState, pol: UploadPolicy, sender: str | None) -> bool:
    if pol.sample_mode == "by_id" and sender is not None:
        if len(st.per_sender) >= MAX_SENDERS and sender not in st.per_sender:
            st.per_sender.clear()
        n = st.per_sender.get(sender, 0)
        st.per_sender[sender] = n + 1
        return n % pol.sample == 0
    n = st.seen
    st.seen = n + 1
    return n % pol.sample == 0


def _take_token(st: _TypeState, rate: float, now: float) -> bool:
    burst = max(1.0, rate)
    if st.last is None:
        st.tokens = burst
    else:
        st.tokens = min(burst, st.tokens + (now - st.last) * rate)
    st.last = now
    if st.tokens >= 1.0:
        st.tokens -= 1.0
        return True
    return False


def lookup(value: Any, path: str) -> Any:
    """The JER value at a dotted path (``coreData.speed``; list items by index), or None."""
    cur = value
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _passes(f: Filter, value: Any) -> bool:
    found = lookup(value, f.path)
    if found is None:
        return False
    if f.equals is not None and found != f.equals:
        return False
    if f.min is not None or f.max is not None:
        if isinstance(found, bool) or not isinstance(found, int | float):
            return False
        if f.min is not None and found < f.min:
            return False
        if f.max is not None and found > f.max:
            return False
    return True
