"""The dataclass-driven reader: types from the annotations, defaults once, errors with paths."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Self

import pytest

from rsu.config.fields import Table, not_a_key, read, setting
from rsu.errors import ConfigError


def _upper(value: str, where: str) -> str:
    if value != value.upper():
        raise ConfigError(where, "expected upper case")
    return value


@dataclass(frozen=True, slots=True)
class Example:
    name: str = setting()
    count: int = setting(3, lo=1, hi=10)
    rate: float = setting(1.5, lo=0.0)
    on: bool = True
    mode: str = setting("a", choices=("a", "b"))
    limit: int | None = None
    listen: tuple[str, int] = ("127.0.0.1", 80)
    names: tuple[str, ...] = ("X",)
    weights: tuple[float, ...] = ()
    code: str = setting("AB", check=_upper)
    renamed: float = setting(2.0, name="other_name_s")
    where: str = not_a_key("example")

    @classmethod
    def from_table(cls, data: dict[str, Any]) -> Self:
        t = Table(data, "ex")
        return read(cls, t, where=t.path)


def test_defaults_are_the_dataclass_defaults() -> None:
    cfg = Example.from_table({"name": "n"})
    assert cfg == Example(name="n", where="ex")
    assert Example(name="n").where == "example"


def test_every_kind_of_field_is_read() -> None:
    cfg = Example.from_table(
        {
            "name": "n",
            "count": 10,
            "rate": 2,
            "on": False,
            "mode": "b",
            "limit": 7,
            "listen": "[::1]:9000",
            "names": ["A", "B"],
            "weights": [1, 2.5],
            "code": "CD",
            "other_name_s": 4.0,
        }
    )
    assert (cfg.count, cfg.rate, cfg.on, cfg.mode, cfg.limit) == (10, 2.0, False, "b", 7)
    assert isinstance(cfg.rate, float)
    assert cfg.listen == ("::1", 9000)
    assert cfg.names == ("A", "B")
    assert cfg.weights == (1.0, 2.5)
    assert (cfg.code, cfg.renamed) == ("CD", 4.0)


@pytest.mark.parametrize(
    ("data", "path", "detail"),
    [
        ({}, "ex.name", "missing (required)"),
        ({"name": 1}, "ex.name", "expected a string, got an integer"),
        ({"name": "n", "count": 0}, "ex.count", "expected a value in [1, 10], got 0"),
        ({"name": "n", "count": 1.0}, "ex.count", "expected an integer, got a number"),
        ({"name": "n", "rate": "x"}, "ex.rate", "expected a number, got a string"),
        ({"name": "n", "rate": -1}, "ex.rate", "expected a value in [0.0, inf], got -1"),
        ({"name": "n", "rate": math.nan}, "ex.rate", "expected a finite number, got nan"),
        ({"name": "n", "rate": math.inf}, "ex.rate", "expected a finite number, got inf"),
        ({"name": "n", "rate": 10**400}, "ex.rate", "expected a finite number, got inf"),
        ({"name": "n", "other_name_s": -math.inf}, "ex.other_name_s", "finite number"),
        ({"name": "n", "weights": [1, math.nan]}, "ex.weights[1]", "finite number"),
        ({"name": "n", "weights": [True]}, "ex.weights[0]", "expected a number, got a boolean"),
        ({"name": "n", "on": 1}, "ex.on", "expected true or false, got an integer"),
        ({"name": "n", "mode": "c"}, "ex.mode", "expected one of a, b; got 'c'"),
        ({"name": "n", "listen": "nohost"}, "ex.listen", "expected host:port"),
        ({"name": "n", "names": ["A", 1]}, "ex.names[1]", "expected str, got an integer"),
        ({"name": "n", "code": "ab"}, "ex.code", "expected upper case"),
        ({"name": "n", "where": "x"}, "ex.where", "unknown key"),
        ({"name": "n", "nmae": "x"}, "ex.nmae", "unknown key (expected one of: code, count"),
    ],
)
def test_errors_name_the_key_and_what_was_expected(
    data: dict[str, Any], path: str, detail: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Example.from_table(data)
    assert info.value.path == path
    assert detail in info.value.detail


def test_a_field_of_a_type_without_a_reader_is_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Odd:
        mapping: dict[str, int] | None = None

    with pytest.raises(TypeError, match="no reader for 'dict"):
        read(Odd, Table({}, "odd"))
