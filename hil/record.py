"""Record and replay: capture a session's inputs with their times, play them back later, and
compare what comes out with the recorded outputs (the golden), field by field.

A session file is JSON lines: a header (the scenario itself, its seed), then one line per
input (``radio`` frames as heard, ``radio_raw`` line noise, ``gnss`` NMEA bytes, ``can``
frames) with ``t`` seconds into the scenario, then one ``golden`` line. Faults that happen to
the environment (unplug, broker outage, daemon kill, bit errors) are done again on replay from
the scenario; everything else is the recording.

What is compared (wall-clock fields such as record ids, ``received_at``, ``at`` and ``time``
are left out): every V2X record (its topic, ``raw``, ``decoded``, ``message_type``), the
sequence of events (type, zone, phase, kind of object) and alarms (source, kind), and what
the radio transmitted from the broadcast table (type and payload, as a set).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.broker import Received
from hil.scenario import Scenario, load_scenario

GOLDEN_STREAMS = ("events", "alarms")
STABLE_TX = ("MAP", "SPAT", "TIM", "RSA")
"""Transmissions whose payload does not depend on time (the SDSM does)."""


@dataclass(slots=True)
class Recording:
    lines: list[dict[str, Any]] = field(default_factory=list)
    t: float = 0.0
    """The timeline's current tick (set by the runner): radio input of one tick keeps the
    order it was sent in (faults first, then the actors), whatever the sort does."""

    def radio(self, t: float, payload: bytes, psid: int, key: str | None) -> None:
        line = {"t": round(t, 4), "in": "radio", "psid": psid, "hex": payload.hex()}
        if key is not None:
            line["key"] = key  # a counted broadcast ("nothing lost" applies on replay too)
        self.lines.append(line)

    def tap(self, hear: Callable[[bytes, int], None]) -> Callable[[bytes, int], None]:
        """Wrap the fault player's radio input so floods and malformed frames are recorded."""

        def recorded(payload: bytes, psid: int) -> None:
            self.radio(self.t, payload, psid, None)
            hear(payload, psid)

        return recorded

    def garbage_tap(self, rig: Any) -> None:
        garbage = rig.radio.garbage

        def recorded(data: bytes) -> None:
            self.lines.append({"t": round(self.t, 4), "in": "radio_raw", "hex": data.hex()})
            garbage(data)

        rig.radio.garbage = recorded

    def collect(self, rig: Any, t0: float) -> None:
        """The GNSS and CAN traffic the emulators sent (they keep their own logs)."""
        if rig.gnss is not None:
            for at, data in rig.gnss.log:
                self.lines.append({"t": round(at - t0, 4), "in": "gnss", "hex": data.hex()})
        for radar in rig.radars:
            for at, arb, data, error in list(radar.log):
                line = {"t": round(at - t0, 4), "in": "can", "id": arb, "hex": data.hex()}
                if error:
                    line["error"] = True
                self.lines.append(line)
        self.lines.sort(key=lambda x: float(x["t"]))  # stable: a tick keeps its order
        end = rig.scenario.duration_s
        self.lines = [x for x in self.lines if x["t"] < end]


@dataclass(slots=True)
class Replaying:
    lines: list[dict[str, Any]]


class ReplayPlayer:
    """Feeds the recorded inputs at their times; the emulators' own generators are off."""

    def __init__(self, rig: Any, replay: Replaying) -> None:
        self.rig = rig
        self.lines = [x for x in replay.lines if x["t"] >= 0 or x["in"] != "radio"]
        self.i = 0
        self.sent: dict[str, float] = {}
        self.total = 0
        if rig.gnss is not None:
            rig.gnss.mode = "silent"
        for radar in rig.radars:
            radar.silent_until = float("inf")

    def finish(self) -> None:
        """The recording ends with the timeline: what is left of it goes out now (the last
        tick may fall just short of a last input), then the emulators go on as they did while
        the recorded run drained (a receiver with a fix, a radar seeing the actors)."""
        self.step(float("inf"), time.monotonic())
        if self.rig.gnss is not None:
            self.rig.gnss.mode = "fix"
        for radar in self.rig.radars:
            radar.silent_until = 0.0

    def step(self, t: float, now: float) -> None:
        while self.i < len(self.lines) and self.lines[self.i]["t"] <= t:
            line = self.lines[self.i]
            self.i += 1
            data = bytes.fromhex(line["hex"])
            kind = line["in"]
            if kind == "radio":
                self.rig.radio.hear(data, line["psid"])
                self.total += 1
                if "key" in line:
                    self.sent[line["key"]] = now
            elif kind == "radio_raw":
                self.rig.radio.garbage(data)
            elif kind == "gnss" and self.rig.gnss is not None:
                self.rig.gnss.write(data)
            elif kind == "can" and self.rig.can is not None:
                self.rig.can.send(line["id"], data, error=bool(line.get("error")))


def golden(cloud: list[Received], transmissions: list[Any], rsu_id: str) -> dict[str, Any]:
    """The outputs that must be the same on every replay (see the module docstring)."""
    v2x: list[str] = []
    seq: dict[str, list[list[Any]]] = {s: [] for s in GOLDEN_STREAMS}
    base = f"rsu/{rsu_id}/"
    for m in cloud:
        stream = m.topic.removeprefix(base)
        for rec in m.records():
            if stream.startswith("v2x/"):
                keep = {k: rec.get(k) for k in ("message_type", "raw", "decoded")}
                v2x.append(json.dumps({"stream": stream, **keep}, sort_keys=True))
            elif stream == "events":
                d = rec.get("data", {})
                seq["events"].append([d.get("type"), d.get("zone"), d.get("phase")])
            elif stream == "alarms":
                d = rec.get("data", {})
                seq["alarms"].append([d.get("source"), d.get("kind")])
    tx = sorted(
        {
            f"{x.message_type}:{x.payload.hex()}"
            for x in transmissions
            if x.message_type in STABLE_TX
        }
    )
    # Events: the distinct (type, zone, phase) triples. How many objects one road user becomes
    # (and so how many events) depends on the camera's frame timing, which is not recorded.
    # Alarms are compared in order.
    events = [list(e) for e in sorted({tuple(str(x) for x in e) for e in seq["events"]})]
    return {"v2x": sorted(set(v2x)), "events": events, "alarms": seq["alarms"], "tx": tx}


def compare(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Differences, one line each (empty: the same)."""
    out: list[str] = []
    for key in ("v2x", "tx"):
        missing = Counter(want.get(key, [])) - Counter(got.get(key, []))
        extra = Counter(got.get(key, [])) - Counter(want.get(key, []))
        for item in list(missing)[:5]:
            out.append(f"{key}: missing {item[:160]}")
        for item in list(extra)[:5]:
            out.append(f"{key}: unexpected {item[:160]}")
        if len(missing) + len(extra) > 10:
            out.append(f"{key}: {len(missing)} missing, {len(extra)} unexpected in all")
    for key in GOLDEN_STREAMS:
        if want.get(key, []) != got.get(key, []):
            out.append(f"{key}: want {want.get(key)} got {got.get(key)}")
    return out


def record(path: str, out: str, seed: int | None, bench: Any, workdir: Path | None = None) -> int:
    from hil.report import summary
    from hil.runner import run_scenario

    scenario = load_scenario(path)
    if seed is not None:
        scenario = scenario.with_seed(seed)
    rec = Recording()
    result = run_scenario(scenario, bench=bench, workdir=workdir, recorder=rec)
    print(summary([result]))
    if result.golden is None:
        print("error: the run did not complete; nothing recorded", file=sys.stderr)
        return 1
    header = {
        "session": 1,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "file": str(scenario.path),
        "data": _scenario_data(scenario),
    }
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for line in rec.lines:
            fh.write(json.dumps(line) + "\n")
        fh.write(json.dumps({"golden": result.golden}) + "\n")
    print(f"recorded {len(rec.lines)} inputs to {out}")
    return 0 if result.passed else 1


def _scenario_data(scenario: Scenario) -> dict[str, Any]:
    from rsu.config.loader import read_toml

    assert scenario.path is not None
    return read_toml(scenario.path)


def load_session(path: str) -> tuple[Scenario, Replaying, dict[str, Any]]:
    lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x]
    header, body = lines[0], lines[1:]
    if header.get("session") != 1 or "golden" not in body[-1]:
        from rsu.errors import RsuError

        raise RsuError(f"{path}: not a session written by `rsu-hil record`")
    scenario = Scenario.from_dict(header["data"], Path(header["file"]))
    return scenario.with_seed(header["seed"]), Replaying(body[:-1]), body[-1]["golden"]


def replay(path: str, bench: Any, workdir: Path | None = None) -> int:
    from hil.report import summary
    from hil.runner import run_scenario

    scenario, session, want = load_session(path)
    result = run_scenario(scenario, bench=bench, workdir=workdir, replay=session)
    print(summary([result]))
    if result.golden is None:
        return 1
    diffs = compare(want, result.golden)
    for line in diffs:
        print(f"golden: {line}")
    print(
        f"replay of {path}: "
        + ("outputs match the golden" if not diffs else f"{len(diffs)} differences")
    )
    return 0 if not diffs and result.passed else 1
