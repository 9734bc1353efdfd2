"""The MAP a SPaT belongs to: intersection, revision and signal groups, from both standards;
a mapping the MAP does not have is a config error, and the revision follows a new MAP."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.errors import ConfigError
from rsu.signals.mapref import check_groups, map_ref
from rsu.signals.stage import check_mapping
from rsu.v2x.codec import get_codec
from tests.signals.helpers import config, core

MAP_HEX = "".join(
    line for line in (demo_config_path().parent / "map.hex").read_text().splitlines()
    if not line.startswith("#")
)  # fmt: skip


def demo_map() -> dict[str, Any]:
    """A copy: the codec's repeat cache hands out the same value to every caller."""
    return copy.deepcopy(get_codec("j2735").decode(bytes.fromhex(MAP_HEX)).jer())


def test_the_demo_map_has_its_intersection_revision_and_groups() -> None:
    ref = map_ref("map-main", demo_map())
    (inter,) = ref.intersections.values()
    assert (inter.ref, inter.revision, sorted(inter.groups)) == ((0, 36243), 113, [2, 4, 6, 8])


def test_a_group_or_intersection_the_map_lacks_is_a_config_error() -> None:
    ref = map_ref("map-main", demo_map())
    cfg = config(intersection_id=36243)
    groups = cfg.intersections[0].groups  # 2, 4, 12 (pedestrian), 22 (overlap)
    with pytest.raises(ConfigError, match=r"signals.groups\[2\].signal_group: 12 is not"):
        check_groups(ref, 0, 36243, groups, "signals")
    with pytest.raises(ConfigError, match=r"signals.intersection_id: 1001 \(region 0\) is not"):
        check_groups(ref, 0, 1001, groups[:2], "signals")
    assert check_groups(ref, 0, 36243, groups[:2], "signals") == 113


def test_csae53_map_phases_from_links_and_lanes() -> None:
    frame = {"mapFrame": {"msgCnt": 1, "nodes": [{
        "id": {"region": 3, "id": 77}, "refPos": {"lat": 0, "long": 0},
        "inLinks": [{"upstreamNodeId": {"id": 1}, "movements": [
            {"remoteIntersection": {"id": 2}, "phaseId": 5}],
            "lanes": [{"laneID": 1,
                       "connectsTo": [{"remoteIntersection": {"id": 2}, "phaseId": 9}]}],
        }],
    }]}}  # fmt: skip
    get_codec("csae53").encode(frame)  # a valid CSAE 53 MAP
    ref = map_ref("cn-map", frame)
    assert ref.standard == "csae53"
    assert ref.intersections[(3, 77)].groups == {5, 9}


def test_not_a_map_is_refused() -> None:
    with pytest.raises(ConfigError):
        map_ref("x", {"messageId": 19, "value": {}})
    with pytest.raises(ConfigError):
        map_ref("x", {"spatFrame": {}})


def test_the_revision_follows_a_new_map_and_a_lacking_one_is_reported() -> None:
    c = core(config(intersection_id=36243, map="map-main", groups=[
        {"signal_group": 2, "phase": 2}]), revisions={"36243": 113})  # fmt: skip
    frame = demo_map()
    frame["value"]["intersections"][0]["revision"] = 114
    assert c.on_map("map-main", map_ref("map-main", frame)) == []
    assert c.live[0].revision == 114
    frame["value"]["intersections"][0]["id"]["id"] = 1
    assert c.on_map("map-main", map_ref("map-main", frame)) == [
        "intersection 36243 is not in MAP 'map-main'"
    ]


def _demo_with(signals: dict[str, Any], standard: str = "j2735") -> Any:
    data = read_toml(demo_config_path())
    data["signals"] = signals
    data["rsu"]["standard"] = standard
    return config_from_dict(data, demo_config_path())


SIGNALS = {"source": "sim", "intersection_id": 36243, "map": "map-main",
           "groups": [{"signal_group": 2, "phase": 2}]}  # fmt: skip


def test_config_check_and_build_refuse_a_wrong_mapping(tmp_path: Path) -> None:
    from rsu.daemon.build import build

    assert check_mapping(_demo_with(SIGNALS))[0][2] == "MAP 'map-main' revision 113; SPaT ok"
    bad = _demo_with({**SIGNALS, "groups": [{"signal_group": 3, "phase": 3}]})
    with pytest.raises(ConfigError, match=r"signals.groups\[0\].signal_group: 3 is not"):
        check_mapping(bad)
    with pytest.raises(ConfigError, match="3 is not a signal group"):
        build(bad, FakeClock())
    # a CSAE 53 RSU may name a J2735 MAP of its broadcast table: same ids and groups
    assert check_mapping(_demo_with(SIGNALS, "csae53"))[0][2].endswith("SPaT ok")
    with pytest.raises(ConfigError, match="3 is not a signal group"):
        check_mapping(
            _demo_with({**SIGNALS, "groups": [{"signal_group": 3, "phase": 3}]}, "csae53")
        )


def test_a_map_name_no_entry_has_is_refused_at_load() -> None:
    with pytest.raises(
        ConfigError, match=r"signals.map: no \[\[broadcast.messages\]\] entry 'nope'"
    ):
        _demo_with({**SIGNALS, "map": "nope"})


def test_a_json_map_entry_is_read_too(tmp_path: Path) -> None:
    data = read_toml(demo_config_path())
    (tmp_path / "map.json").write_text(json.dumps(demo_map()))
    data["broadcast"]["messages"][0]["file"] = "map.json"
    data["signals"] = SIGNALS
    cfg = config_from_dict(data, tmp_path / "rsu.toml")
    assert check_mapping(cfg)[0][2].startswith("MAP 'map-main' revision 113")
