"""The generated fast path can be read, debugged, counted and cached (issue 13.8)."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from rsu.errors import DecodeError
from rsu.v2x.asn1 import compile_standard
from rsu.v2x.codec import Codec
from rsu.v2x.fastpath_build import cache_key, dump
from rsu.v2x.standards import get_standard
from tests.v2x.vectors import load

BSM = next(f for f in load("j2735_real.jsonl") if f["messageId"] == 20)


def _codec(cache: Path, standard: str = "j2735") -> Codec:
    return Codec(compile_standard(get_standard(standard), cache), repeat_cache_size=0)


def test_functions_are_named_after_the_asn1_types(tmp_path: Path) -> None:
    fast = _codec(tmp_path).fast_path
    assert fast is not None
    for name in ("decode_MessageFrame", "decode_BasicSafetyMessage", "decode_BSMcoreData"):
        assert f"def {name}(" in fast.source
    assert "ENUM_TransmissionState = {" in fast.source
    assert "def f1(" not in fast.source
    assert fast.decode.__name__ == "decode_MessageFrame"


def test_a_traceback_through_the_fast_path_shows_the_generated_lines(tmp_path: Path) -> None:
    fast = _codec(tmp_path).fast_path
    assert fast is not None
    frame = bytes.fromhex(BSM["hex"])[:12]  # cut inside coreData: the generated code raises
    with pytest.raises(Exception) as info:  # noqa: PT011 (any: the general decoder decides)
        fast.decode(int.from_bytes(frame, "big"), 8 * len(frame), 0, frame)
    generated = [f for f in traceback.extract_tb(info.tb) if f.filename == fast.filename]
    assert generated, "no frame of the generated code in the traceback"
    assert all(f.line for f in generated)  # the source line is shown, not blank
    assert {f.name for f in generated} >= {"decode_MessageFrame"}


def test_the_compiled_fast_path_is_cached_and_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    first = _codec(tmp_path, "csae53")
    assert first.fast_path is not None
    assert not first.fast_path.from_cache
    second = _codec(tmp_path, "csae53")
    assert second.fast_path is not None
    assert second.fast_path.from_cache
    stale = tmp_path / "fastpath-csae53-000000000000000000000000.pickle"
    stale.write_bytes(b"an entry of an older generator")
    entries = list(tmp_path.glob("fastpath-csae53-*.pickle"))
    assert len(entries) == 2
    (entry,) = [e for e in entries if cache_key(second.compiled) in e.name]
    frame = bytes.fromhex(load("csae53_real.jsonl")[0]["hex"])
    assert second.decode(frame) == first.decode(frame)
    for damage in (b"", b"garbage", entry.read_bytes()[:100]):
        entry.write_bytes(damage)
        rebuilt = _codec(tmp_path, "csae53")
        assert not stale.exists()  # a rebuild keeps one entry per standard
        assert rebuilt.fast_path is not None
        assert not rebuilt.fast_path.from_cache
        assert rebuilt.decode(frame) == first.decode(frame)
    assert not list(tmp_path.glob(".tmp-*"))  # atomic writes leave no temporaries


def test_dump_writes_the_source_for_review(tmp_path: Path) -> None:
    codec = _codec(tmp_path / "cache")
    assert codec.fast_path is not None
    target = dump(codec.fast_path, tmp_path / "review", "j2735")
    text = target.read_text()
    assert target.name == "fastpath_j2735.py"
    assert "def decode_MapData(" in text
    compile(text, str(target), "exec")  # it is plain Python


def test_fallbacks_to_the_general_decoder_are_counted_per_message_type(tmp_path: Path) -> None:
    codec = _codec(tmp_path)
    assert codec.fast_path_fallbacks() == {}
    codec.decode(bytes.fromhex(BSM["hex"]))
    assert codec.fast_path_fallbacks() == {}  # a real frame: the fast path decodes it
    # a value in one 16K fragment: the fast path leaves fragmented lengths to asn1tools
    fragmented = bytes([0, 240, 0xC1]) + bytes(16384) + bytes([0x05]) + bytes(5)
    assert codec.decode_frame(fragmented).message_type == "Unknown240"
    with pytest.raises(DecodeError):
        codec.decode(bytes.fromhex(BSM["hex"])[:12])
    assert codec.fast_path_fallbacks() == {"Unknown240": 1, "undecodable": 1}
