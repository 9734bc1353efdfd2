"""Logging set-up: JSON lines when not on a terminal; the level can change at run time."""

from __future__ import annotations

import io
import json
import logging

import structlog

from rsu import logs


def test_events_are_json_lines_with_stable_names() -> None:
    out = io.StringIO()
    logs.configure("info", "json", stream=out)
    structlog.get_logger("rsu.test").info("frame_dropped", reason="crc", hex="00ff")
    logging.getLogger("paho.mqtt.client").warning("stdlib goes the same way")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["event"] == "frame_dropped"
    assert lines[0]["reason"] == "crc"
    assert lines[0]["level"] == "info"
    assert lines[1]["event"] == "stdlib goes the same way"
    assert lines[1]["logger"] == "paho.mqtt.client"


def test_a_level_change_reaches_loggers_already_held() -> None:
    out = io.StringIO()
    logs.configure("warning", "json", stream=out)
    log = structlog.get_logger("rsu.test")
    log.debug("hidden")
    logs.configure("debug", "json", stream=out)
    log.debug("shown")
    events = [json.loads(line)["event"] for line in out.getvalue().splitlines()]
    assert events == ["shown"]
