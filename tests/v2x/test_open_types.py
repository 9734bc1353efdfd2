"""Every open type place of both standards decodes in place (issue 11.9).

A place is an open type member (``regExtValue``, ``partII-Value``) reached by one path from a
message type, with the object set the ASN.1 gives it (``tests/v2x/open_type_places.py``). The
stored frames (``tests/v2x/data/open_types.jsonl``, made by that module from our ASN.1) fill
every place with every type of its set; here each must come back decoded (the content's JER,
never a hex string) from both decoders, and re-encode bit-identically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rsu.v2x.asn1 import compile_standard
from rsu.v2x.codec import Codec
from rsu.v2x.standards import get_standard
from tests.v2x.open_type_places import DATA, places, set_for

CODECS = {
    name: Codec(compile_standard(get_standard(name)), repeat_cache_size=0)
    for name in ("j2735", "csae53")
}
GENERAL = {name: Codec(c.compiled, repeat_cache_size=0, fast=False) for name, c in CODECS.items()}
ROWS = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]


def _at(value: Any, steps: list[list[str]], open_member: str) -> Any:
    for kind, name in steps:
        if kind == "item":
            value = value[0]
        elif kind == "open":
            value = value[name.split("=", 1)[0]]
        else:
            value = value[name]
    return value[open_member]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['path']}#{r['id']}" for r in ROWS])
def test_every_open_type_place_decodes_in_place(row: dict[str, Any]) -> None:
    frame = bytes.fromhex(row["hex"])
    open_member = row["path"].rsplit(".", 1)[-1]
    for codec in (CODECS[row["standard"]], GENERAL[row["standard"]]):
        message = codec.decode(frame, unwrap=False)
        assert message.message_type == row["message_type"]
        content = _at(message.value, row["steps"], open_member)
        assert not isinstance(content, str), f"{row['path']} came back raw: {content}"
        assert content == row["content"]
        assert codec.encode(message.jer()) == frame


@pytest.mark.parametrize("standard", ["j2735", "csae53"])
def test_the_vectors_cover_every_place_of_every_message(standard: str) -> None:
    codec = CODECS[standard]
    expected = {
        (message_type, place.path, key)
        for message_type in codec.message_types()
        for place in places(codec, message_type)
        for key in set_for(codec, place)
    }
    stored = {(r["message_type"], r["path"], r["id"]) for r in ROWS if r["standard"] == standard}
    assert stored == expected, "regenerate: python -m tests.v2x.open_type_places"


@pytest.mark.parametrize("standard", ["j2735", "csae53"])
def test_every_place_has_the_object_set_its_asn1_names(standard: str) -> None:
    codec = CODECS[standard]
    tables = codec.compiled.tables
    found = [p for t in codec.message_types() for p in places(codec, t)]
    for place in found:
        assert place.object_set in tables.sets, place.path
    if standard == "j2735":
        paths = {p.path for p in found}
        assert "MapData.regional[].regExtValue" in paths  # the one found in the field
        assert "BasicSafetyMessage.partII[].partII-Value" in paths
        assert len(found) > 50
    else:
        # CSAE 53 day-1 has no information object classes, hence no open types to decode
        texts = [Path(f).read_text(encoding="utf-8") for f in codec.compiled.files]
        assert not any("CLASS" in t for t in texts)
        assert found == []


def test_a_regional_content_type_is_also_decoded_at_the_top_of_a_part_ii() -> None:
    """Open type contents decoded by type (decode_type) also see their own regional sets."""
    codec = CODECS["j2735"]
    rows = [r for r in ROWS if "=MapData-addGrpC" in r["path"]]
    assert rows  # MapData-addGrpC.signalHeadLocations[].node.regional (nested two deep)
    for row in rows:
        message = codec.decode(bytes.fromhex(row["hex"]), unwrap=False)
        assert isinstance(_at(message.value, row["steps"], "regExtValue"), dict)
