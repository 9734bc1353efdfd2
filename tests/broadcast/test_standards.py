"""One broadcast table for frames of both standards: shape detection, encoding, msgCnt stamps,
and ``[[broadcast.messages]]`` files with a ``standard``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsu.broadcast import MessageConfig, Scheduler, Upsert, load_message
from rsu.broadcast.scheduler import stamp
from rsu.broadcast.standards import FrameEncoder, frame_standard, frame_type, make_frame
from rsu.config.fields import Table
from rsu.errors import ConfigError, EncodeError
from rsu.v2x.codec import get_codec
from rsu.wire import BroadcastMessage
from tests.v2x.vectors import load

CSAE = {next(iter(v["value"])): v for v in load("csae53_real.jsonl")}
J2735_MAP = next(v for v in load("j2735_real.jsonl") if v["messageId"] == 18)


def jer(frame: str) -> dict[str, object]:
    return get_codec("csae53").decode(bytes.fromhex(CSAE[frame]["hex"])).jer()  # type: ignore[no-any-return]


def test_the_shape_says_the_standard_and_the_type() -> None:
    assert frame_standard({"messageId": 18, "value": {}}) == "j2735"
    assert frame_standard({"rsiFrame": {}}) == "csae53"
    assert frame_standard({"somethingElse": {}}) is None
    assert frame_type({"messageId": 19, "value": {}}) == "SPAT"
    assert frame_type({"spatFrame": {}}) == "SPAT"
    assert make_frame("csae53", "RSI", {"a": 1}) == {"rsiFrame": {"a": 1}}
    assert make_frame("j2735", "MAP", {"a": 1}) == {"messageId": 18, "value": {"a": 1}}
    assert make_frame("j2735", "RSI", {}) is None
    assert make_frame("csae53", "SDSM", {}) is None


def test_one_encoder_for_both_standards_is_bit_identical() -> None:
    enc = FrameEncoder()
    assert enc(jer("mapFrame")).hex() == CSAE["mapFrame"]["hex"]
    j = get_codec("j2735").decode(bytes.fromhex(J2735_MAP["hex"])).jer()
    assert enc(j).hex() == J2735_MAP["hex"]
    with pytest.raises(EncodeError):
        enc({"notAFrame": 1})


def test_csae_frames_get_msgcnt_from_the_revision_and_map_a_timestamp() -> None:
    frame = jer("rsmFrame")
    stamped = stamp(frame, 130, 1_764_085_283.0)
    assert stamped["rsmFrame"]["msgCnt"] == 2  # type: ignore[index]
    assert frame["rsmFrame"]["msgCnt"] == 1  # type: ignore[index]  # the input is untouched
    sched = Scheduler(FrameEncoder())
    for revision in range(3):
        rte = {"rteId": revision, "eventType": 1, "eventSource": "unknown"}
        value = {**jer("rsiFrame")["rsiFrame"], "rtes": [rte]}  # type: ignore[dict-item]
        msg = BroadcastMessage("rsi", 3620, 183, 100, frame_jer={"rsiFrame": value})
        sched.on_event(Upsert(msg), float(revision), 1_764_085_283.0)
    (tx,) = sched.poll(10.0, 1_764_085_293.0)
    assert get_codec("csae53").decode(tx.payload).value["msgCnt"] == 2


def _cfg(file: str, **extra: object) -> MessageConfig:
    return MessageConfig.from_table(Table({"name": "m", "file": file, "psid": 3618, **extra}, "m"))


def test_files_of_either_standard_load_and_a_mismatch_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "cn.json").write_text(json.dumps(jer("mapFrame")))
    (tmp_path / "cn.hex").write_text(CSAE["mapFrame"]["hex"])
    enc = FrameEncoder()
    m = load_message(_cfg("cn.json"), tmp_path, enc)
    assert m.message_type == "MAP"
    assert m.frame_jer is not None
    h = load_message(_cfg("cn.hex", standard="csae53"), tmp_path, enc)
    assert h.payload == bytes.fromhex(CSAE["mapFrame"]["hex"])
    assert h.message_type == "MAP"
    with pytest.raises(ConfigError, match="standard = 'j2735' but the JSON is a csae53 frame"):
        load_message(_cfg("cn.json", standard="j2735"), tmp_path, enc)
    (tmp_path / "bad.hex").write_text("ff" * 4)
    with pytest.raises(ConfigError, match="not a CSAE 53 MessageFrame"):
        load_message(_cfg("bad.hex", standard="csae53"), tmp_path, enc)
    with pytest.raises(ConfigError):
        _cfg("cn.hex", standard="etsi")
