"""NaN and the infinities are refused for every numeric key of a config file (issue 11.4).

TOML has ``nan`` and ``inf``, and a NaN passes every range check: ``heartbeat_s = nan`` would
stop heartbeats, ``spool_max_mb = nan`` gave a traceback. The keys of the sections read by the
dataclass reader are found from their dataclasses (a new float field is covered without
editing this file); the sections still read key by key are listed.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.config.model import DaemonConfig, RsuSection
from rsu.errors import ConfigError
from rsu.fusion.model import FusionConfig
from rsu.gnss.config import GnssConfig
from rsu.perception.tracker import TrackerConfig
from rsu.radio.config import SerialConfig, SimConfig
from rsu.security.config import SecurityConfig
from rsu.sensors.config import MountPose, RadarConfig
from tests.daemon.helpers import copy_demo, rsu

DEMO = read_toml(demo_config_path())

BY_DATACLASS: list[tuple[str, type]] = [
    ("rsu", RsuSection),
    ("daemon", DaemonConfig),
    ("radio.serial", SerialConfig),
    ("radio.sim", SimConfig),
    ("gnss", GnssConfig),
    ("fusion", FusionConfig),
    ("sensors.radar[0]", RadarConfig),
    ("sensors.radar[0]", MountPose),
    ("security", SecurityConfig),
    ("perception.tracker", TrackerConfig),
]


def _float_keys(cls: type) -> list[str]:
    out = []
    for f in fields(cls):
        spec = f.metadata.get("rsu.config")
        if spec is not None and not spec.read:
            continue
        if str(f.type).replace(" ", "").removesuffix("|None") == "float":
            out.append(spec.name if spec is not None and spec.name else f.name)
    return out


UPLINK = (
    "batch_linger_ms",
    "reconnect_min_s",
    "reconnect_max_s",
    "heartbeat_s",
    "running_info_s",
    "expiry_s",
    "spool_max_mb",
    "spool_max_age_hours",
    "spool_critical_max_age_hours",
)
SIGNALS_SIM = ("green_s", "yellow_s", "all_red_s", "walk_s", "ped_clear_s", "rate_hz")
EVENTS = (
    "update_interval_s",
    "stopped_mps",
    "wrong_way_min_mps",
    "wrong_way_angle_deg",
    "wrong_way_confirm_s",
    "over_speed_tolerance",
    "queue_mps",
)
KEY_BY_KEY = [
    *[("uplink", k) for k in UPLINK],
    ("uplink.policy.BSM", "rate_limit"),
    ("uplink.policy.BSM", "expiry_s"),
    ("signals", "record_hz"),
    *[("signals.sim", k) for k in SIGNALS_SIM],
    *[("events", k) for k in EVENTS],
    ("csae53", "path_radius_m"),
]

KEYS = sorted(
    {(section, k) for section, cls in BY_DATACLASS for k in _float_keys(cls)} | set(KEY_BY_KEY)
)

EXTRA_TABLES: dict[str, dict[str, Any]] = {
    "security": {"verify": "none"},
    "perception": {},
    "events": {},
    "csae53": {},
}


def _table(data: dict[str, Any], path: str) -> dict[str, Any]:
    """The (created if absent) table at a dotted path like ``sensors.radar[0]``."""
    node: Any = data
    for part in path.split("."):
        name, _, index = part.partition("[")
        node = node[name][int(index.rstrip("]"))] if index else node.setdefault(name, {})
    assert isinstance(node, dict)
    return node


def _with(path: str, key: str, value: float) -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    top = path.split(".", maxsplit=1)[0]
    if top in EXTRA_TABLES and top not in data:
        data[top] = copy.deepcopy(EXTRA_TABLES[top])
    _table(data, path)[key] = value
    return data


def test_the_table_covers_the_keys_of_every_section_it_names() -> None:
    assert len(KEYS) > 60
    assert ("uplink", "spool_max_mb") in KEYS
    assert ("sensors.radar[0]", "yaw_deg") in KEYS
    for section, _ in BY_DATACLASS:  # each table is where the reader looks
        with pytest.raises(ConfigError) as info:
            config_from_dict(_with(section, "unused_probe", 1.0))
        assert (info.value.path, info.value.detail[:11]) == (
            f"{section}.unused_probe",
            "unknown key",
        )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(("section", "key"), KEYS, ids=[f"{s}.{k}" for s, k in KEYS])
def test_a_non_finite_number_is_a_clear_error_naming_the_key(
    section: str, key: str, value: float
) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(_with(section, key, value))
    assert info.value.path == f"{section}.{key}"
    assert info.value.detail == f"expected a finite number, got {value}"


def test_rsu_config_check_says_what_is_wrong_with_spool_max_mb_nan(tmp_path: Path) -> None:
    bad = copy_demo(tmp_path)
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace("spool_max_mb = 50.0", "spool_max_mb = nan"), encoding="utf-8")
    out = rsu("config", "check", str(bad))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "uplink.spool_max_mb: expected a finite number, got nan" in out.stderr
    data = json.loads(rsu("config", "check", "--json", str(bad)).stdout)
    assert data["ok"] is False
    assert "uplink.spool_max_mb" in json.dumps(data)
