"""A GNSS receiver on a pseudo-terminal: NMEA (RMC + GGA) at ``rate_hz``, with faults.

Modes: ``fix`` (the surveyed position), ``no_fix`` (sentences with quality 0, as a receiver
that lost the sky), ``silent`` (the receiver stops talking) and ``drift`` (the position
wanders ``drift_m`` north of the surveyed point).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from pathlib import Path

from rsu.geo import offset_latlon
from rsu.gnss.nmea import GnssFix, sentences


class GnssEmulator:
    def __init__(self, link: Path, lat: float, lon: float, rate_hz: float = 2.0) -> None:
        self.link = link
        self.lat, self.lon = lat, lon
        self.rate_hz = rate_hz
        self.mode = "fix"
        self.drift_m = 0.0
        self.sentences_sent = 0
        self.log: list[tuple[float, bytes]] = []
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = link.with_name(link.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(link)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hil-gnss", daemon=True)

    def start(self) -> GnssEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _fix(self) -> GnssFix:
        lat = self.lat
        if self.mode == "drift":
            lat, _ = offset_latlon(lat, self.lon, 0.0, self.drift_m)
        quality = 0 if self.mode == "no_fix" else 1
        return GnssFix(0.0, time.time(), lat, self.lon, 270.0, quality, 9 if quality else 0, 0.9)

    def _run(self) -> None:
        while not self._stop.wait(1.0 / self.rate_hz):
            if self.mode == "silent":
                continue
            data = sentences(self._fix())
            self.log.append((time.monotonic(), data))
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._master, data)
                self.sentences_sent += 2
            self._discard_input()

    def write(self, data: bytes) -> None:
        """Raw bytes to the host (a replayed recording)."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._master, data)

    def _discard_input(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.read(self._master, 4096)
