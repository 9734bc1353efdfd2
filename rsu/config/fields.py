"""Reading one TOML table into typed values, with errors that name the dotted path.

Every package's config dataclass reads its table through a ``Table``::

    t = Table(data, "uplink")
    broker = t.string("broker", "mqtt://127.0.0.1:1883")
    qos = t.integer("qos", 1, lo=0, hi=2)
    t.done()          # unknown keys are errors: "uplink.brokr: unknown key (expected one of ...)"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from rsu.errors import ConfigError

_MISSING: Any = object()
T = TypeVar("T")


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class Table:
    """One TOML table being read; remembers which keys were used."""

    def __init__(self, data: Any, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(path, f"expected a table, got {_kind(data)}")
        self.data: Mapping[str, Any] = data
        self.path = path
        self._used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, default: Any) -> Any:
        self._used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise ConfigError(self.where(key), "missing (required)")
        return default

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value as TOML gave it, unchecked."""
        return self._get(key, default)

    def string(
        self, key: str, default: Any = _MISSING, choices: Sequence[str] | None = None
    ) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(self.where(key), f"expected a string, got {_kind(value)}")
        if choices is not None and value not in choices:
            raise ConfigError(
                self.where(key), f"expected one of {', '.join(choices)}; got {value!r}"
            )
        return value

    def integer(
        self, key: str, default: Any = _MISSING, lo: int | None = None, hi: int | None = None
    ) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.where(key), f"expected an integer, got {_kind(value)}")
        _check_range(self.where(key), value, lo, hi)
        return value

    def number(
        self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None
    ) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.where(key), f"expected a number, got {_kind(value)}")
        _check_range(self.where(key), value, lo, hi)
        return float(value)

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.where(key), f"expected true or false, got {_kind(value)}")
        return value

    def array(self, key: str, default: Any = _MISSING, of: type | None = None) -> Any:
        value = self._get(key, default)
        if not isinstance(value, list):
            raise ConfigError(self.where(key), f"expected an array, got {_kind(value)}")
        if of is not None:
            for i, item in enumerate(value):
                if not isinstance(item, of) or (of is int and isinstance(item, bool)):
                    raise ConfigError(
                        f"{self.where(key)}[{i}]", f"expected {of.__name__}, got {_kind(item)}"
                    )
        return list(value)

    def table(self, key: str) -> Table:
        """A sub-table (missing -> empty)."""
        return Table(self._get(key, {}), self.where(key))

    def tables(self, key: str) -> list[Table]:
        """An array of tables (``[[key]]``); missing -> empty."""
        value = self._get(key, [])
        if not isinstance(value, list):
            raise ConfigError(self.where(key), f"expected an array of tables, got {_kind(value)}")
        return [Table(item, f"{self.where(key)}[{i}]") for i, item in enumerate(value)]

    def done(self) -> None:
        """Raise for the first key that no reader asked for."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            expected = ", ".join(sorted(self._used)) or "no keys"
            raise ConfigError(self.where(unknown[0]), f"unknown key (expected one of: {expected})")


def _check_range(where: str, value: float, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else str(lo)
        hi_s = "inf" if hi is None else str(hi)
        raise ConfigError(where, f"expected a value in [{lo_s}, {hi_s}], got {value}")
