"""China mode with the sim radio: every simulated frame is a CSAE 53 frame the daemon decodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.config.loader import config_from_dict, demo_config_path, read_toml
from rsu.daemon import build
from rsu.radio.sim import SimRadio
from tests.conftest import narrow


def test_a_csae53_demo_config_decodes_every_sim_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo's runtime paths are relative
    path = demo_config_path()
    data = read_toml(path)
    data["rsu"]["standard"] = "csae53"
    data["daemon"]["metrics_listen"] = ""
    config = config_from_dict(data, path)
    assert config.radio.standard == "csae53"  # [rsu] standard reaches the radio
    d = build(config, FakeClock())
    sim = narrow(d.parts.radio, SimRadio)
    sent = sum(len(sim.step()) for _ in range(20))
    with capture_logs() as logs:
        d.request_stop()
        assert d.run() == 0  # handles what is queued, then stops
    assert sent == 20 * 6  # the demo's six cars (its two pedestrians have no CSAE message)
    assert not [e for e in logs if e["event"] == "frame_undecodable"]
    assert d.core.n.decode_errors == {}
    assert d.core.n.decoded == sent
    by_type = d.parts.radio.counters.snapshot()["by_type"]
    assert list(by_type) == ["BSM"]  # type: ignore[call-overload]
    assert by_type["BSM"]["decoded"] == sent  # type: ignore[index]
