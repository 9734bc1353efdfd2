"""``[[broadcast.messages]]`` tables and the example files they point at."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rsu.broadcast import BroadcastConfig, Scheduler, Upsert, load_message
from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.radio.config import RadioConfig
from rsu.v2x.codec import get_codec

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "configs" / "examples" / "broadcast.toml"


def test_example_config_loads_and_every_file_is_a_real_frame() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    radio = RadioConfig.from_table(Table(data["radio"], "radio"))
    assert radio.rsu41.ifm_target == ("127.0.0.1", 1516)
    cfg = BroadcastConfig.from_table(Table(data["broadcast"], "broadcast"))
    codec = get_codec("j2735")
    messages = [load_message(m, ROOT, codec.encode) for m in cfg.messages]
    assert [m.message_type for m in messages] == ["MAP", "SPAT", "TIM"]
    s = Scheduler(encoder=codec.encode)
    for m in messages:
        s.on_event(Upsert(m), 0.0, 1_790_000_000.0)
    sent = s.poll(0.0, 1_790_000_000.0)
    decoded = {codec.decode(r.payload).short_name for r in sent}
    assert decoded == {"MAP", "SPAT", "TIM"}


def test_unknown_key_names_the_dotted_path() -> None:
    data = {"messages": [{"name": "m", "file": "x.hex", "psid": 1, "intervall_ms": 5}]}
    with pytest.raises(ConfigError, match=r"broadcast\.messages\[0\]\.intervall_ms"):
        BroadcastConfig.from_table(Table(data, "broadcast"))


def test_duplicate_names_and_bad_window_are_errors() -> None:
    dup = {"messages": [{"name": "m", "file": "a", "psid": 1}] * 2}
    with pytest.raises(ConfigError, match="duplicate"):
        BroadcastConfig.from_table(Table(dup, "broadcast"))
    bad = {"messages": [{"name": "m", "file": "a", "psid": 1, "start": "tomorrow"}]}
    with pytest.raises(ConfigError, match=r"messages\[0\]\.start"):
        BroadcastConfig.from_table(Table(bad, "broadcast"))


def test_bad_files_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.hex").write_text("00 12 zz")
    (tmp_path / "bad.json").write_text('{"messageId": 18, "value": {"nonsense": 1}}')
    data = {
        "messages": [
            {"name": "a", "file": "bad.hex", "psid": 1},
            {"name": "b", "file": "bad.json", "psid": 1},
            {"name": "c", "file": "missing.hex", "psid": 1},
        ]
    }
    cfg = BroadcastConfig.from_table(Table(data, "broadcast"))
    codec = get_codec("j2735")
    for m, pattern in zip(cfg.messages, ["invalid hex", "bad.json", "cannot read"], strict=True):
        with pytest.raises(ConfigError, match=pattern):
            load_message(m, tmp_path, codec.encode)


def test_hex_file_comments_and_whitespace_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "m.hex").write_text("# a comment\n00 13 01\n02  # trailing\n")
    cfg = BroadcastConfig.from_table(
        Table({"messages": [{"name": "s", "file": "m.hex", "psid": 0x8002}]}, "broadcast")
    )
    message = load_message(cfg.messages[0], tmp_path)
    assert (message.payload, message.message_type) == (b"\x00\x13\x01\x02", "SPAT")
