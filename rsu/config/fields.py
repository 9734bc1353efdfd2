"""Reading one TOML table into typed values, with errors that name the dotted path.

A package's config is a frozen dataclass whose fields say what each key is: the type from
the annotation, the default once (the dataclass default), bounds and choices in ``setting()``;
``read()`` reads a table into it::

    @dataclass(frozen=True, slots=True)
    class SerialConfig:
        port: str = "/dev/ttyUSB0"
        baudrate: int = setting(921600, lo=1200)

        @classmethod
        def from_table(cls, t: Table) -> Self:
            return read(cls, t)

Underneath, a ``Table`` reads one key at a time (for keys no field describes)::

    t = Table(data, "uplink")
    qos = t.integer("qos", 1, lo=0, hi=2)
    t.done()          # unknown keys are errors: "uplink.brokr: unknown key (expected one of ...)"

Numbers are refused when not finite (TOML has ``nan`` and ``inf``; a NaN passes every range
check), in config files and in cloud commands alike.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from rsu.errors import ConfigError

_MISSING: Any = object()
T = TypeVar("T")


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; ``ConfigError`` when it cannot be read or parsed."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as err:
        raise ConfigError("", f"cannot read config {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("", f"{path}: TOML syntax: {err}") from err


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
        if isinstance(value, float):
            finite(value, self.where(key))
        _check_range(self.where(key), value, lo, hi)  # an int beyond float range: the range
        return finite(value, self.where(key))

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.where(key), f"expected true or false, got {_kind(value)}")
        return value

    def array(self, key: str, default: Any = _MISSING, of: type | None = None) -> Any:
        value = self._get(key, default)
        if not isinstance(value, list):
            raise ConfigError(self.where(key), f"expected an array, got {_kind(value)}")
        if of is float:
            return [self._array_number(key, i, item) for i, item in enumerate(value)]
        if of is not None:
            for i, item in enumerate(value):
                if not isinstance(item, of) or (of is int and isinstance(item, bool)):
                    raise ConfigError(
                        f"{self.where(key)}[{i}]", f"expected {of.__name__}, got {_kind(item)}"
                    )
        return list(value)

    def _array_number(self, key: str, i: int, item: Any) -> float:
        where = f"{self.where(key)}[{i}]"
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise ConfigError(where, f"expected a number, got {_kind(item)}")
        return finite(item, where)

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


def finite(value: float, where: str) -> float:
    """``value`` as a float, or a ``ConfigError`` for NaN, the infinities and too-large ints."""
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range (JSON allows any)
        number = math.inf
    if not math.isfinite(number):
        raise ConfigError(where, f"expected a finite number, got {number}")
    return number


def parse_hostport(text: str, where: str) -> tuple[str, int]:
    """``"127.0.0.1:1516"`` -> ``("127.0.0.1", 1516)``; ``[::1]:1516`` for IPv6."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(where, f"expected host:port, got {text!r}")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ConfigError(where, f"port out of range in {text!r}")
    return host.strip("[]"), number


def _check_range(where: str, value: float, lo: float | None, hi: float | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else str(lo)
        hi_s = "inf" if hi is None else str(hi)
        raise ConfigError(where, f"expected a value in [{lo_s}, {hi_s}], got {value}")


# --- the dataclass-driven reader -------------------------------------------------------------

_SPEC = "rsu.config"
"""The ``dataclasses.field`` metadata key ``setting()`` writes."""


@dataclass(frozen=True, slots=True)
class Key:
    """How one dataclass field is read: bounds, choices, its TOML name, a check."""

    lo: float | None = None
    hi: float | None = None
    choices: Sequence[str] | None = None
    name: str | None = None
    """The TOML key when it differs from the field's name."""
    check: Callable[[Any, str], Any] | None = None
    """``check(value, where) -> value`` after the type and range (None stays None)."""
    read: bool = True
    """False: not a key of the table (a value the loader or ``from_table`` fills in)."""


_PLAIN = Key()


def setting(
    default: Any = _MISSING,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: Sequence[str] | None = None,
    name: str | None = None,
    check: Callable[[Any, str], Any] | None = None,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field read from TOML (``default`` omitted: the key is required)."""
    spec = {_SPEC: Key(lo, hi, choices, name, check)}
    if factory is not None:
        return field(default_factory=factory, metadata=spec)
    if default is _MISSING:
        return field(metadata=spec)
    return field(default=default, metadata=spec)


def not_a_key(default: Any) -> Any:
    """A dataclass field that no table key sets (the caller passes it, or the default holds)."""
    return field(default=default, metadata={_SPEC: Key(read=False)})


C = TypeVar("C")


def read(cls: type[C], t: Table, *, done: bool = True, **given: Any) -> C:
    """Every field of the dataclass ``cls`` read from ``t``; ``given`` fields are passed as
    they are (sub-tables, computed values). ``done``: unknown keys of ``t`` are errors."""
    values: dict[str, Any] = dict(given)
    for f in fields(cls):  # type: ignore[arg-type]
        spec: Key = f.metadata.get(_SPEC, _PLAIN)
        if f.name in given or not f.init or not spec.read:
            continue
        values[f.name] = _read_field(t, f, spec)
    out = cls(**values)
    if done:
        t.done()
    return out


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return _MISSING


def _read_field(t: Table, f: Field[Any], spec: Key) -> Any:
    name = spec.name or f.name
    default = _default(f)
    kind = (f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")).replace(" ", "")
    base = kind.removesuffix("|None")
    if base == "str":
        value = t.string(name, default, choices=spec.choices)
    elif base == "int":
        value = t.integer(name, default, lo=_int(spec.lo), hi=_int(spec.hi))
    elif base == "float":
        value = t.number(name, default, lo=spec.lo, hi=spec.hi)
    elif base == "bool":
        value = t.boolean(name, default)
    elif base == "tuple[str,int]":  # host:port
        text = t.string(name, None if default is not _MISSING else _MISSING)
        value = default if text is None else parse_hostport(text, t.where(name))
    elif base in _ARRAYS:
        array_default = list(default) if isinstance(default, tuple) else default
        value = tuple(t.array(name, array_default, of=_ARRAYS[base]))
    else:
        raise TypeError(f"{f.name}: no reader for {kind!r}; pass it to read() or use not_a_key")
    if spec.check is not None and value is not None:
        value = spec.check(value, t.where(name))
    return value


_ARRAYS = {"tuple[str,...]": str, "tuple[int,...]": int, "tuple[float,...]": float}


def _int(bound: float | None) -> int | None:
    return None if bound is None else int(bound)
