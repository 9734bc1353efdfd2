"""Hostile config files at a reload (issue 11, config files table; SIGHUP and ``rsu reload``).

The first load of a bad file is refused by ``rsu config check`` and ``rsu run`` with the dotted
path (tests/config/test_loader.py). Here a running daemon is given each bad file at a reload:
the error is logged naming what is wrong, the config in force does not change, and a good file
given right after it is applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.config.loader import load_config
from rsu.daemon import build
from tests.daemon.helpers import copy_demo

GOOD = "stats_interval_s = 2.0"
# NaN and the infinities in [daemon] are refused by the config reader of issue 13.5/11.4
# (h13floor's branch); rows for them belong here once it is merged.
ROWS: list[tuple[str, str, str]] = [
    ("a string", 'stats_interval_s = "often"', "expected a number"),
    ("unknown key", "stats_intervall_s = 3.0", "unknown key"),
    ("TOML syntax", "stats_interval_s = = 3", "demo.toml"),
    ("binary garbage", "\x00\x01\x02 stats", "demo.toml"),
]


@pytest.mark.parametrize(("name", "line", "error"), ROWS, ids=[r[0] for r in ROWS])
def test_a_bad_file_at_reload_changes_nothing_and_a_good_one_still_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, line: str, error: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = copy_demo(tmp_path / "etc")
    text = config.read_text()
    assert GOOD in text
    d = build(load_config(config), FakeClock())
    config.write_text(text.replace(GOOD, line))
    with capture_logs() as logs:
        d.reload()
    (failed,) = [e for e in logs if e["event"] == "config_reload_failed"]
    assert error in failed["error"], (name, failed)
    assert d.config.daemon.stats_interval_s == 2.0  # the config in force did not change
    assert d.last_reload is None
    config.write_text(text.replace(GOOD, "stats_interval_s = 9.0"))  # good input afterwards
    d.reload()
    assert d.config.daemon.stats_interval_s == 9.0
    assert d.last_reload == {"applied": ["daemon.stats_interval_s"], "needs_restart": []}
