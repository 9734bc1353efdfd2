"""``[signals]``: the issue's single-table form, several intersections, bad values refused."""

from __future__ import annotations

from typing import Any

import pytest

from rsu.errors import ConfigError
from tests.signals.helpers import ONE, config


def test_the_issue_single_table_form() -> None:
    cfg = config(
        {
            "source": "tscbm",
            "listen": "0.0.0.0:6053",
            "intersection_id": 1001,
            "region": 0,
            "map": "map-main",
            "groups": [{"signal_group": 2, "phase": 2, "kind": "vehicle"}],
        }
    )
    assert cfg.listen == ("0.0.0.0", 6053)
    (one,) = cfg.intersections
    assert (one.intersection_id, one.region, one.map, one.controller) == (1001, 0, "map-main", None)
    (g,) = one.groups
    assert (g.signal_group, g.number, g.overlap, g.kind, g.movement) == (2, 2, False, "vehicle",
                                                                         "protected")  # fmt: skip


def test_defaults() -> None:
    cfg = config({"intersection_id": 1, "groups": [{"signal_group": 1, "overlap": 3}]})
    assert cfg.source == "tscbm"
    assert cfg.listen == ("0.0.0.0", 6053)
    assert cfg.record_hz == 1.0
    assert cfg.intersections[0].groups[0].overlap
    sim = config(
        {"source": "sim", "intersection_id": 1, "groups": [{"signal_group": 1, "phase": 1}]}
    )
    assert sim.listen == ("127.0.0.1", 0)
    assert sim.sim is not None


def test_several_intersections_each_name_a_controller() -> None:
    groups = [{"signal_group": 2, "phase": 2}]
    cfg = config(
        {
            "intersections": [
                {"intersection_id": 1, "controller": "10.0.0.1", "groups": groups},
                {
                    "intersection_id": 2,
                    "region": 9,
                    "controller": "10.0.0.2:7000",
                    "groups": groups,
                },
            ]
        }
    )
    assert [i.key for i in cfg.intersections] == ["1", "9-2"]


def bad(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as err:
        config(data)
    return str(err.value)


G = [{"signal_group": 2, "phase": 2}]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({**ONE, "source": "scats"}, "signals.source"),
        ({**ONE, "listen": "6053"}, "signals.listen"),
        ({**ONE, "intersection_id": 70000}, "signals.intersection_id"),
        ({**ONE, "intersection_id": 1.5}, "signals.intersection_id"),
        ({**ONE, "region": -1}, "signals.region"),
        ({**ONE, "record_hz": float("nan")}, "signals.record_hz"),
        ({**ONE, "record_hz": float("inf")}, "signals.record_hz"),
        ({**ONE, "groups": []}, "signals.groups"),
        ({**ONE, "groups": [{"signal_group": 2}]}, "signals.groups[0].phase"),
        ({**ONE, "groups": [{"signal_group": 2, "phase": 2, "overlap": 1}]},
         "signals.groups[0].phase"),
        ({**ONE, "groups": [{"signal_group": 2, "phase": 17}]}, "signals.groups[0].phase"),
        ({**ONE, "groups": [{"signal_group": 0, "phase": 1}]}, "signals.groups[0].signal_group"),
        ({**ONE, "groups": [{"signal_group": 2, "phase": 1, "kind": "bike"}]},
         "signals.groups[0].kind"),
        ({**ONE, "groups": [{"signal_group": 2, "overlap": 1, "kind": "pedestrian"}]},
         "signals.groups[0].overlap"),
        ({**ONE, "groups": [*G, *G]}, "signals.groups[1].signal_group"),
        ({**ONE, "groups": [{"signal_group": 2, "phase": 2, "colour": "red"}]},
         "signals.groups[0].colour"),
        ({**ONE, "controller": "not an address"}, "signals.controller"),
        ({**ONE, "unknown": 1}, "signals.unknown"),
        ({**ONE, "snmp": {}}, "signals.snmp"),
        ({**ONE, "sim": {}}, "signals.sim"),
        ({"intersections": [{"intersection_id": 1, "groups": G},
                            {"intersection_id": 2, "groups": G}]},
         "signals.intersections[0].controller"),
        ({"intersections": [{"intersection_id": 1, "controller": "10.0.0.1", "groups": G},
                            {"intersection_id": 1, "controller": "10.0.0.2", "groups": G}]},
         "signals.intersections[1].intersection_id"),
        ({"intersections": [{"intersection_id": 1, "controller": "10.0.0.1", "groups": G},
                            {"intersection_id": 2, "controller": "10.0.0.1", "groups": G}]},
         "signals.intersections[1].controller"),
        ({"intersection_id": 1, "groups": G, "intersections": []}, "signals.intersection_id"),
        ({"intersections": [{"intersection_id": 1, "groups": G, "x": 1}]},
         "signals.intersections[0].x"),
        ({"source": "ntcip1202", "intersection_id": 1, "groups": G}, "signals.controller"),
    ],
)  # fmt: skip
def test_bad_values_name_their_dotted_path(data: dict[str, Any], where: str) -> None:
    assert bad(data).startswith(where + ":")


SNMP = {"source": "ntcip1202", "intersection_id": 1, "controller": "127.0.0.1", "groups": G}


def test_snmp_section() -> None:
    cfg = config(
        {
            **SNMP,
            "snmp": {
                "version": "1",
                "enable_oid": ".1.3.6.1.4.1.1206.3.5.2.9.44.1.1",
                "enable_value": 6,
                "vehicle_min_oid": "1.3.6.1.4.1.99.1",
                "preempts": 2,
            },
        }
    )
    s = cfg.snmp
    assert (s.version, s.enable_oid, s.enable_value) == ("1", "1.3.6.1.4.1.1206.3.5.2.9.44.1.1", 6)
    assert s.timing == (("vehicle_min", "1.3.6.1.4.1.99.1"),)


@pytest.mark.parametrize(
    ("snmp", "where"),
    [
        ({"version": "4"}, "signals.snmp.version"),
        ({"enable_oid": "1.3.6.x"}, "signals.snmp.enable_oid"),
        ({"enable_oid": "1.3.6.1"}, "signals.snmp.enable_value"),
        ({"enable_oid": "1.3.6.1", "enable_value": 2**40}, "signals.snmp.enable_value"),
        ({"enable_oid": "1.3", "enable_value": -1, "enable_type": "unsigned"},
         "signals.snmp.enable_value"),
        ({"version": "3"}, "signals.snmp.user"),
        ({"version": "3", "user": "u", "auth": "sha"}, "signals.snmp.auth_key_file"),
        ({"version": "3", "user": "u", "priv": "aes128"}, "signals.snmp.priv"),
        ({"poll_hz": 0}, "signals.snmp.poll_hz"),
        ({"timeout_s": float("nan")}, "signals.snmp.timeout_s"),
        ({"vehicle_min_oid": "9.1"}, "signals.snmp.vehicle_min_oid"),
    ],
)  # fmt: skip
def test_bad_snmp_values(snmp: dict[str, Any], where: str) -> None:
    assert bad({**SNMP, "snmp": snmp}).startswith(where + ":")


SIM = {"source": "sim", "intersection_id": 1, "groups": G}


@pytest.mark.parametrize(
    ("sim", "where"),
    [
        ({"rings": [[2, 4], [4, 8]]}, "signals.sim.rings"),
        ({"barriers": [[2, 6], [4]]}, "signals.sim.barriers"),
        ({"rings": [[4, 2], [6, 8]]}, "signals.sim.rings"),
        ({"rings": [[2, 40], [6, 8]]}, "signals.sim.rings[0]"),
        ({"pedestrian": [3]}, "signals.sim.pedestrian"),
        ({"green_s": 0.0}, "signals.sim.green_s"),
        ({"yellow_s": float("nan")}, "signals.sim.yellow_s"),
        ({"rate_hz": 1000}, "signals.sim.rate_hz"),
    ],
)
def test_bad_sim_plans(sim: dict[str, Any], where: str) -> None:
    assert bad({**SIM, "sim": sim}).startswith(where)
