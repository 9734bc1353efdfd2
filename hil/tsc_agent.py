"""A signal controller behind a real SNMP agent: net-snmp's ``snmpd`` with this program as its
``pass_persist`` handler for NTCIP 1202 objects, fed by the fixed-time emulator.

``snmpd.conf``::

    pass_persist .1.3.6.1.4.1.1206 /path/to/python -m hil.tsc_agent --state DIR

``DIR/mode`` (optional) holds the emulator mode (``normal``, ``flash``, ``preempt``,
``manual``); each SET is appended to ``DIR/sets`` as ``OID TYPE VALUE`` (so a test sees the
"enable SPaT broadcast" write). Served: ``phaseStatusGroup{Reds..Walks}`` (groups 1-2),
``overlapStatusGroup{Reds,Yellows,Greens}`` (groups 1-2), ``unitControlStatus``,
``unitFlashStatus``, ``preemptState.1`` and, as a vendor's time-to-change objects would be,
``1.3.6.1.4.1.32473.1.{1..6}.<phase>`` (enterprise 32473 is reserved for documentation,
RFC 5612): vehicle min/max, pedestrian min/max, overlap min/max in tenths of a second.
Objects under NEMA's vendor subtree ``1.3.6.1.4.1.1206.3`` (where controllers keep their "enable
SPaT broadcast" object) read 0 until written, and are writable: writes are recorded, and read
back, not interpreted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rsu.signals import ntcip
from rsu.signals.emulator import MODES, Emulator, PlanConfig
from rsu.signals.model import ControllerState

TIMING = "1.3.6.1.4.1.32473.1"
VENDOR = (1, 3, 6, 1, 4, 1, 1206, 3)
TIMING_FIELDS = ("vehicle_min", "vehicle_max", "ped_min", "ped_max", "overlap_min", "overlap_max")


def _group(bitmap: int, group: int) -> int:
    return bitmap >> (8 * (group - 1)) & 0xFF


def values(state: ControllerState, mode: str) -> dict[tuple[int, ...], int]:
    """Every object served, by numeric OID tuple (sorted order is the walk order)."""
    m = state.maps
    out: dict[str, int] = {}
    for name, col in ntcip.PHASE_COLUMNS.items():
        for g in (1, 2):
            out[f"{ntcip.PHASE_STATUS}.{col}.{g}"] = _group(getattr(m, name), g)
    for name, col in ntcip.OVERLAP_COLUMNS.items():
        for g in (1, 2):
            out[f"{ntcip.OVERLAP_STATUS}.{col}.{g}"] = _group(getattr(m, name), g)
    out[ntcip.UNIT_CONTROL_STATUS] = 5 if mode == "manual" else 6  # manual / timebase
    out[ntcip.UNIT_FLASH_STATUS] = 3 if mode == "flash" else 2  # automatic flash / notFlash
    out[f"{ntcip.PREEMPT_STATE}.1"] = 6 if mode == "preempt" else 2  # dwell / notActive
    for block in state.phases:
        for i, name in enumerate(TIMING_FIELDS, start=1):
            value = getattr(block, name)
            if value is not None:
                out[f"{TIMING}.{i}.{block.number}"] = value
    return {tuple(int(a) for a in k.split(".")): v for k, v in out.items()}


class Agent:
    def __init__(self, state_dir: Path, plan: PlanConfig) -> None:
        self.state_dir = state_dir
        self.emulator = Emulator(plan)
        self.start = time.monotonic()
        self.written: dict[tuple[int, ...], int] = {}

    def _mode(self) -> str:
        try:
            mode = (self.state_dir / "mode").read_text().strip()
        except OSError:
            return "normal"
        return mode if mode in MODES else "normal"

    def current(self) -> dict[tuple[int, ...], int]:
        mode = self._mode()
        self.emulator.mode = mode
        return values(self.emulator.state(time.monotonic() - self.start), mode)

    def answer(self, command: str, oid_text: str, value: str | None) -> str:
        try:
            oid = tuple(int(a) for a in oid_text.strip(".").split("."))
        except ValueError:
            return "NONE"
        table = self.current()
        if command == "get":
            found = table.get(oid)
            if found is None and oid[: len(VENDOR)] == VENDOR:
                found = self.written.get(oid, 0)
            return "NONE" if found is None else _line(oid, found)
        if command == "getnext":
            later = sorted(k for k in table if k > oid)
            return "NONE" if not later else _line(later[0], table[later[0]])
        if oid[: len(VENDOR)] != VENDOR:
            return "not-writable"
        _, _, text = (value or "").partition(" ")
        try:
            self.written[oid] = int(text)
        except ValueError:
            return "wrong-type"
        with (self.state_dir / "sets").open("a") as fh:
            fh.write(f"{'.'.join(map(str, oid))} {value or ''}\n")
        return "DONE"


def _line(oid: tuple[int, ...], value: int) -> str:
    return f".{'.'.join(map(str, oid))}\ninteger\n{value}"


def serve(agent: Agent, stdin: TextIO, stdout: TextIO) -> None:
    """The pass_persist protocol: PING/PONG, then get/getnext/set requests, one per block."""
    while line := stdin.readline():
        command = line.strip()
        if command == "PING":
            stdout.write("PONG\n")
        elif command in ("get", "getnext", "set"):
            oid = stdin.readline().strip()
            value = stdin.readline().strip() if command == "set" else None
            stdout.write(agent.answer(command, oid, value) + "\n")
        elif command == "":
            continue
        else:
            stdout.write("NONE\n")
        stdout.flush()


SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"


@dataclass
class Snmpd:
    """``snmpd`` on ``127.0.0.1:port`` answering NTCIP 1202 through this handler: v1/v2c
    community ``public`` (read) / ``private`` (write), v3 user ``rsu`` (SHA/AES, keys
    ``authpass123`` / ``privpass123``)."""

    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def config(self) -> Path:
        handler = self.workdir / "tsc-agent.sh"
        handler.write_text(
            f"#!/bin/sh\nexec {sys.executable} -m hil.tsc_agent --state {self.workdir}\n"
        )
        handler.chmod(0o755)
        lines = [
            f"agentAddress udp:127.0.0.1:{self.port}",
            "rocommunity public 127.0.0.1",
            "rwcommunity private 127.0.0.1",
            "createUser rsu SHA authpass123 AES privpass123",
            "rwuser rsu priv",
            f"pass_persist .1.3.6.1.4.1.1206 {handler}",
            f"pass_persist .{TIMING} {handler}",
        ]
        path = self.workdir / "snmpd.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> Snmpd:
        conf = self.config()
        log = open(self.workdir / "snmpd.log", "ab")  # noqa: SIM115 - owned by the process
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        self.proc = subprocess.Popen(
            [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(self.workdir / "snmpd.trace"),
             "-p", str(self.workdir / "snmpd.pid"), "-M", "/dev/null",
             f"--persistentDir={self.workdir}"],
            stdout=log, stderr=log, env=env,
        )  # fmt: skip
        log.close()
        return self

    def set_mode(self, mode: str) -> None:
        (self.workdir / "mode").write_text(mode)

    def sets(self) -> list[str]:
        path = self.workdir / "sets"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hil.tsc_agent", description=__doc__)
    p.add_argument("--state", required=True, help="directory with mode / sets files")
    args = p.parse_args(argv)
    serve(Agent(Path(args.state), PlanConfig()), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
