"""The cn-rsu view of real decoded frames: names, absolute positions and wire units."""

from __future__ import annotations

from typing import Any

import pytest

from rsu.uplink.cn_fields import absolute, cn_fields, content
from rsu.v2x.codec import get_codec
from rsu.v2x.message import V2xMessage
from tests.v2x.vectors import load

CSAE = load("csae53_real.jsonl")


def real(frame: str, index: int = 0) -> tuple[V2xMessage, dict[str, Any]]:
    """A real CSAE frame decoded by the codec, with its reference value."""
    found = [v for v in CSAE if frame in v["value"]][index]
    msg = get_codec("csae53").decode(bytes.fromhex(found["hex"]))
    return msg, found["value"][frame]


def test_csae_bsm_keeps_wire_units_and_names_the_sender() -> None:
    msg, ref = real("bsmFrame")
    fields = cn_fields(msg, rsu_id="R328328", at=1_764_085_283.25)
    assert fields["rsuId"] == "R328328"
    assert fields["msgType"] == "BSM"
    assert fields["timestamp"] == 1_764_085_283_250
    view = fields["content"]
    assert view["pos"] == {"lat": 399764645, "lon": 1163509503, "ele": 375}  # 1e-7 degree
    assert view["heading"] == ref["heading"] == 6161  # 0.0125 degree
    assert view["speed"] == ref["speed"]  # 0.02 m/s
    assert view["id"].lower() == ref["id"]
    assert view["vehicleClass"] == ref["vehicleClass"]["classification"]


def test_rsm_participants_get_absolute_positions_and_enum_codes() -> None:
    msg, ref = real("rsmFrame")
    view = content(msg)
    assert view is not None
    assert view["refPos"] == {"lat": 390000000, "lon": 1160000000}
    (p,) = view["participants"]
    assert p["ptcType"] == 2  # non-motor
    assert p["source"] == 3  # video
    assert p["pos"] == {"lat": 297241937, "lon": 1074134465}  # position-LatLon as is
    assert p["speed"] == 258
    assert p["heading"] == 13556
    assert p["secMark"] == ref["participants"][0]["secMark"]


def test_offsets_are_added_to_the_reference() -> None:
    ref = {"lat": 399000000, "lon": 1160000000}
    off = {"offsetLL": {"position-LL3": {"lon": -1200, "lat": 30000}}}
    assert absolute(off, ref) == {"lat": 399030000, "lon": 1159998800}
    assert absolute({"offsetLL": {}}, ref) == {}


def test_rsi_events_with_text_priority_and_paths() -> None:
    msg, _ = real("rsiFrame")
    view = content(msg)
    assert view is not None
    (rte,) = view["rtes"]
    assert rte["eventType"] == 9902
    assert rte["eventSource"] == 0  # unknown
    assert rte["eventRadius"] == 1000  # 0.1 m
    assert rte["eventPos"] == {"lat": 280988051, "lon": 1129829511}  # LL1 (0, 0) from refPos
    assert rte["priority"] == 0  # octet 01: upper three bits 000
    path = rte["referencePaths"][0]
    assert path["pathRadius"] == 200
    assert path["activePath"][0] == {"lat": 281005997, "lon": 1129828181}


def test_csae_map_and_spat_and_j2735_spat_share_one_shape() -> None:
    mmsg, _ = real("mapFrame")
    mview = content(mmsg)
    assert mview is not None
    assert mview["nodes"][0]["id"] == {"id": 149, "region": 1}
    assert mview["nodes"][0]["links"] >= 1
    smsg, _ = real("spatFrame")
    sview = content(smsg)
    assert sview is not None
    phase = sview["intersections"][0]["phases"][0]
    assert phase["id"] == 33
    assert [s["light"] for s in phase["phaseStates"]] == [5, 7, 3]  # green, yellow, red
    j = next(v for v in load("j2735_real.jsonl") if v["messageId"] == 19)
    jview = content(get_codec("j2735").decode(bytes.fromhex(j["hex"])))
    assert jview is not None
    lights = {p["id"]: p["phaseStates"][0]["light"] for p in jview["intersections"][0]["phases"]}
    assert lights[2] == 6  # protected-Movement-Allowed -> protected-green
    assert lights[4] == 3  # stop-And-Remain -> red


@pytest.mark.parametrize("value", [None, [], {"participants": [None, 3]}])
def test_odd_shapes_give_a_smaller_view_not_an_error(value: Any) -> None:
    msg = V2xMessage("csae53", "RoadsideSafetyMessage", None, value, b"", frame_choice="rsmFrame")
    fields = cn_fields(msg, rsu_id="x", at=0.0)
    assert fields["msgType"] == "RSM"


def test_every_reference_frame_gets_a_view_with_resolved_positions() -> None:
    codec = get_codec("csae53")
    frames = CSAE + load("csae53_generated.jsonl")
    assert len(frames) == 206
    for v in frames:
        msg = codec.decode(bytes.fromhex(v["hex"]))
        view = content(msg)
        assert view is not None, v["hex"]
        if msg.short_name == "RSM":
            for p in view["participants"]:
                assert set(p["pos"]) == {"lat", "lon"}
                assert isinstance(p["ptcType"], int)
        if msg.short_name == "RSI":
            for rte in view["rtes"]:
                assert "eventPos" not in rte or set(rte["eventPos"]) == {"lat", "lon"}
