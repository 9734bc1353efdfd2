"""CSAE 53 day-1 interop: every reference frame decodes to its value and re-encodes bit-identically.

Ground truth: ``../shared/vectors/csae53_real.jsonl`` (6 frames from the field) and
``csae53_generated.jsonl`` (200 frames covering ranges, size limits, OPTIONAL members, CHOICE
alternatives), each with a reference decode in the normalised form of the vectors' README
(BIT STRING -> ``{"hex", "len"}``, OCTET STRING -> lower-case hex, CHOICE -> ``{alt: v}``).

The codec under test, ``get_codec("csae53")``, is reached through ``FrameCodec`` (bytes <-> JER
of the whole MessageFrame); the comparison reads JER (either hex case, fixed-size BIT STRINGs as
bare hex) against the normalised reference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asn1tools
import pytest

from rsu.v2x.codec import get_codec
from tests.v2x.vectors import VECTORS

REPO = Path(__file__).resolve().parents[2]
CSAE_DIR = REPO / "rsu" / "csae53" / "asn"
J2735_DIR = REPO / "rsu" / "j2735" / "asn"
FRAME_MODULE = "CSAE-MsgFrame"
FRAME_TYPE = "MessageFrame"
DAY1_FRAMES = {"bsmFrame", "mapFrame", "rsmFrame", "spatFrame", "rsiFrame"}


# ---- the ground truth ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vector:
    name: str
    frame: str
    hex: str
    value: dict[str, Any]


def load_vectors() -> list[Vector]:
    vectors = []
    for file, prefix in (("csae53_real.jsonl", "real"), ("csae53_generated.jsonl", "gen")):
        lines = (VECTORS / file).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            row = json.loads(line)
            (frame,) = row["value"]
            label = row.get("id") or f"{row['type']}-{row.get('index', number)}"
            vectors.append(Vector(f"{prefix}-{label}", frame, row["hex"], row["value"]))
    return vectors


VECTOR_LIST = load_vectors()


# ---- the codec under test -----------------------------------------------------------------


class FrameCodec(Protocol):
    """Bytes of a bare UPER MessageFrame <-> its JER (a dict, CHOICE as ``{alt: value}``)."""

    def decode(self, data: bytes) -> dict[str, Any]: ...

    def encode(self, frame_jer: dict[str, Any]) -> bytes: ...


class CodecAdapter:
    """The product codec, ``get_codec("csae53")``, seen as bytes <-> JER of the whole frame."""

    def __init__(self) -> None:
        self._codec = get_codec("csae53")

    def decode(self, data: bytes) -> dict[str, Any]:
        return self._codec.decode(data, unwrap=False).jer()

    def encode(self, frame_jer: dict[str, Any]) -> bytes:
        return self._codec.encode(frame_jer)


def csae_files() -> list[str]:
    return sorted(str(p) for p in CSAE_DIR.glob("*.asn"))


@pytest.fixture(scope="module")
def codec() -> FrameCodec:
    return CodecAdapter()


# ---- normalised reference vs JER, leaf by leaf ---------------------------------------------

_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def _is_bits(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"hex", "len"}


def _bits_diff(path: str, expected: dict[str, Any], actual: Any) -> Iterator[str]:
    """A BIT STRING: JER gives bare hex for a fixed size, else ``{"value", "length"}``."""
    if isinstance(actual, dict) and set(actual) == {"value", "length"}:
        got = (str(actual["value"]).lower(), actual["length"])
    elif isinstance(actual, str):
        got = (actual.lower(), expected["len"])  # fixed size: the type gives the length
    else:
        yield f"{path}: expected BIT STRING {expected}, got {actual!r}"
        return
    if got != (expected["hex"], expected["len"]):
        yield f"{path}: expected bits {expected['hex']}/{expected['len']}, got {got[0]}/{got[1]}"


def _leaf_diff(path: str, expected: Any, actual: Any) -> Iterator[str]:
    same_type = type(expected) is type(actual)
    if isinstance(expected, str) and isinstance(actual, str) and _HEX.fullmatch(expected):
        ok = actual.lower() == expected  # OCTET STRING: JER writes upper-case hex
    else:
        ok = same_type and expected == actual
    if not ok:
        yield f"{path}: expected {expected!r}, got {actual!r}"


def value_diffs(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Every place where ``actual`` (JER) differs from ``expected`` (normalised reference)."""
    if _is_bits(expected):
        yield from _bits_diff(path, expected, actual)
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield f"{path}: expected an object, got {actual!r}"
            return
        for key in sorted(expected.keys() | actual.keys()):
            if key not in actual:
                yield f"{path}.{key}: missing"
            elif key not in expected:
                yield f"{path}.{key}: unexpected {actual[key]!r}"
            else:
                yield from value_diffs(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            yield f"{path}: expected a list of {len(expected)}, got {actual!r:.80}"
            return
        for index, (exp, act) in enumerate(zip(expected, actual, strict=True)):
            yield from value_diffs(exp, act, f"{path}[{index}]")
    else:
        yield from _leaf_diff(path, expected, actual)


def reference_as_jer(expected: Any, shape: Any) -> Any:
    """The normalised reference written as JER; ``shape`` (a decode) says which BIT STRINGs
    the type fixes in size (JER writes those as bare hex)."""
    if _is_bits(expected):
        if isinstance(shape, str):
            return expected["hex"].upper()
        return {"value": expected["hex"].upper(), "length": expected["len"]}
    if isinstance(expected, dict):
        return {key: reference_as_jer(value, shape[key]) for key, value in expected.items()}
    if isinstance(expected, list):
        return [reference_as_jer(e, s) for e, s in zip(expected, shape, strict=True)]
    return expected


def _bits(data: bytes, limit: int = 96) -> str:
    return "".join(f"{byte:08b}" for byte in data)[:limit]


# ---- the tests ----------------------------------------------------------------------------


def test_ground_truth_holds_every_day1_message_from_the_real_and_generated_sets() -> None:
    real = [v for v in VECTOR_LIST if v.name.startswith("real-")]
    assert (len(real), len(VECTOR_LIST)) == (6, 206)
    assert {v.frame for v in VECTOR_LIST} == DAY1_FRAMES
    assert {v.frame for v in real} == DAY1_FRAMES


@pytest.mark.parametrize("vector", VECTOR_LIST, ids=lambda v: v.name)
def test_frame_decodes_to_its_reference_value(codec: FrameCodec, vector: Vector) -> None:
    decoded = codec.decode(bytes.fromhex(vector.hex))
    diffs = list(value_diffs(vector.value, decoded))
    assert not diffs, f"{vector.name} hex={vector.hex}\n" + "\n".join(diffs[:20])


@pytest.mark.parametrize("vector", VECTOR_LIST, ids=lambda v: v.name)
def test_frame_reencodes_bit_identically(codec: FrameCodec, vector: Vector) -> None:
    data = bytes.fromhex(vector.hex)
    decoded = codec.decode(data)
    for source, jer in (
        ("decode", decoded),
        ("reference", reference_as_jer(vector.value, decoded)),
    ):
        encoded = codec.encode(jer)
        assert encoded == data, (
            f"{vector.name} from {source}: {encoded.hex()} != {vector.hex}\n"
            f"bits got  {_bits(encoded)}\nbits want {_bits(data)}"
        )


def test_message_frame_jer_is_the_choice_alternative_by_name(codec: FrameCodec) -> None:
    rsm = next(v for v in VECTOR_LIST if v.frame == "rsmFrame")
    decoded = codec.decode(bytes.fromhex(rsm.hex))
    assert list(decoded) == ["rsmFrame"]
    assert decoded["rsmFrame"]["participants"]


def _module_names(directory: Path) -> dict[str, str]:
    """Module name -> file name for every ``.asn`` file in ``directory``."""
    names = {}
    for path in sorted(directory.glob("*.asn")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^\s*([A-Z][\w-]*)\s*(?:\{[^}]*\}\s*)?DEFINITIONS\b", text, re.M):
            names[match.group(1)] = path.name
    return names


def test_each_csae_module_sits_in_its_own_prefixed_file() -> None:
    names = _module_names(CSAE_DIR)
    assert len(names) == len(csae_files()) == 23
    for module, file in names.items():
        assert module.startswith("CSAE-"), module
        assert file == f"{module}.asn"


def test_csae_modules_compile_alone_for_uper_and_jer() -> None:
    for codec_name in ("uper", "jer"):
        spec = asn1tools.compile_files(csae_files(), codec_name)
        assert set(spec.modules) == set(_module_names(CSAE_DIR))
        assert spec.types[FRAME_TYPE] is not None
