"""Faults on the timeline: each starts at ``at_s`` and (when it lasts) ends ``duration_s``
later. Random content (garbage, malformed frames, flood senders) comes from the scenario's
seeded RNG, so a run is repeatable from its seed.

Windows where losing a broadcast is legitimate (the radio was unplugged, frames were
corrupted on the wire, the daemon was dead) are kept so that "nothing lost" checks only
count what the daemon could have received.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from hil.scenario import Fault
from rsu.registry import message_set

log = structlog.get_logger(__name__)
KILL_GRACE_S = 1.0
"""Records accepted this long before a SIGKILL may still be in memory (not yet spooled)."""
ENVIRONMENT = frozenset(
    {"radio_unplug", "broker_outage", "daemon_kill", "bit_errors", *(
        "controller_loss", "controller_flash", "controller_preempt")}
)  # fmt: skip
CONTROLLER_MODES = {"controller_flash": "flash", "controller_preempt": "preempt"}
"""Faults done again on replay (the others are recorded input)."""
RECONNECT_GRACE_S = 1.5
"""After a replug the daemon needs this long to find the radio again."""


@dataclass(slots=True)
class _Active:
    fault: Fault
    started: bool = False
    ended: bool = False
    sent: int = 0


class FaultPlayer:
    def __init__(
        self, rig: Any, faults: tuple[Fault, ...], rng: random.Random, *, replaying: bool = False
    ) -> None:
        self.rig = rig
        self.rng = rng
        # A replay plays the recorded input (noise, floods, GNSS, CAN); only what happens to
        # the environment (unplug, broker, daemon) is done again.
        kept = [f for f in faults if not replaying or f.kind in ENVIRONMENT]
        self.active = [_Active(f) for f in kept]
        self.windows: list[tuple[float, float]] = []
        self.fired: dict[str, int] = {}
        self.hear: Callable[[bytes, int], None] = rig.radio.hear
        for f in faults:
            window = _window(f)
            if window is not None:
                self.windows.append(window)

    def counts(self, t: float) -> bool:
        """Whether a broadcast sent at ``t`` must reach the cloud."""
        return not any(a <= t <= b for a, b in self.windows)

    def step(self, t: float) -> None:
        for a in self.active:
            f = a.fault
            if not a.started and t >= f.at_s:
                a.started = True
                self.fired[f.kind] = self.fired.get(f.kind, 0) + 1
                log.info("fault_start", kind=f.kind, t=round(t, 3))
                self._start(a, t)
            if a.started and not a.ended and t < f.at_s + f.duration_s:
                self._during(a, t)
            if a.started and not a.ended and t >= f.at_s + f.duration_s:
                a.ended = True
                self._end(a, t)

    def finish(self) -> None:
        for a in self.active:
            if a.started and not a.ended:
                a.ended = True
                self._end(a, a.fault.at_s + a.fault.duration_s)

    def stats(self) -> dict[str, Any]:
        return {"faults": dict(self.fired), "fault_frames": sum(a.sent for a in self.active)}

    # --- per kind ---------------------------------------------------------------------------

    def _start(self, a: _Active, t: float) -> None:
        f, rig = a.fault, self.rig
        if f.kind == "serial_garbage":
            rig.radio.garbage(self.rng.randbytes(f.count or 256))
        elif f.kind == "bit_errors":
            rig.radio.corrupt(f.count or 5)
        elif f.kind == "radio_unplug":
            rig.radio.unplug()
        elif f.kind in ("gnss_loss", "gnss_drift") and rig.gnss is not None:
            rig.gnss.mode = "silent" if f.kind == "gnss_loss" else "drift"
            rig.gnss.drift_m = float(f.count or 20)
        elif f.kind == "can_error_frames":
            for r in rig.radars:
                r.error_frames(f.count or 10)
        elif f.kind == "can_bus_off":
            for r in rig.radars:
                r.bus_off(f.duration_s)
        elif f.kind == "broker_outage":
            rig.broker.stop()
        elif f.kind == "daemon_kill":
            rig.daemon.kill()
        elif f.kind == "controller_loss" and rig.controller is not None:
            rig.controller.paused = True
        elif f.kind in CONTROLLER_MODES and rig.controller is not None:
            rig.controller.mode = CONTROLLER_MODES[f.kind]

    def _during(self, a: _Active, t: float) -> None:
        f = a.fault
        if f.kind not in ("flood", "malformed", "serial_garbage") or f.rate_hz <= 0:
            return
        due = int((t - f.at_s) * f.rate_hz) - a.sent
        for _ in range(max(0, due)):
            a.sent += 1
            if f.kind == "flood":
                self.hear(self._phantom_bsm(a.sent), self._bsm_psid())
            elif f.kind == "malformed":
                self.hear(self._malformed(), self._bsm_psid())
            else:
                self.rig.radio.garbage(self.rng.randbytes(self.rng.randint(1, 64)))

    def _end(self, a: _Active, t: float) -> None:
        f, rig = a.fault, self.rig
        if f.kind == "radio_unplug":
            rig.radio.replug()
        elif f.kind in ("gnss_loss", "gnss_drift") and rig.gnss is not None:
            rig.gnss.mode = "fix"
        elif f.kind == "broker_outage":
            rig.broker.restart()
        elif f.kind == "controller_loss" and rig.controller is not None:
            rig.controller.paused = False
        elif f.kind in CONTROLLER_MODES and rig.controller is not None:
            rig.controller.mode = "normal"
        elif f.kind == "daemon_kill":
            ready = rig.daemon.start()
            self.windows.append((t, t + ready + 0.2))  # frames sent while it restarted
        log.info("fault_end", kind=f.kind, t=round(t, 3))

    # --- content ----------------------------------------------------------------------------

    def _bsm_psid(self) -> int:
        psid = message_set(self.rig.standard).default_psid("BSM")
        assert psid is not None
        return psid

    def _phantom_bsm(self, n: int) -> bytes:
        from hil.actors import Member, Pose, frame_jer
        from hil.scenario import Actor
        from rsu.v2x.codec import get_codec

        member = Member(Actor("flood"), n, f"F{n % 4096:07X}", 0.0, 0.0, 0.0)
        pose = Pose(self.rng.uniform(-100, 100), self.rng.uniform(-100, 100), 0.0, 10.0)
        from hil.rig import ORIGIN

        standard = self.rig.standard
        jer = frame_jer(member, pose, ORIGIN, n % 128, round(time.time() * 1000) % 60000, standard)
        assert jer is not None  # every set has a BSM
        return get_codec(standard).encode(jer)

    def _malformed(self) -> bytes:
        """Random bytes, a truncated BSM, or a BSM with flipped bits."""
        choice = self.rng.randrange(3)
        if choice == 0:
            return self.rng.randbytes(self.rng.randint(1, 300))
        good = bytearray(self._phantom_bsm(self.rng.randrange(1 << 16)))
        if choice == 1:
            return bytes(good[: self.rng.randint(1, max(1, len(good) - 1))])
        for _ in range(4):
            good[self.rng.randrange(len(good))] ^= 1 << self.rng.randrange(8)
        return bytes(good)


def _window(f: Fault) -> tuple[float, float] | None:
    """The time span in which lost broadcasts do not count against the daemon."""
    if f.kind in ("radio_unplug",):
        return f.at_s - 0.05, f.at_s + f.duration_s + RECONNECT_GRACE_S
    if f.kind in ("bit_errors", "serial_garbage"):
        return f.at_s - 0.05, f.at_s + max(f.duration_s, 0.5)
    if f.kind == "daemon_kill":
        return f.at_s - KILL_GRACE_S, f.at_s + f.duration_s
    return None
