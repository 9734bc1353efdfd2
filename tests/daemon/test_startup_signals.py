"""Signals during start-up (config, ASN.1 compile, build): deferred, never fatal.

systemd may send SIGHUP (reload) or SIGTERM (stop) at any time after the fork, also before
the daemon is ready. Each test sends its signal as soon as the daemon logs ``daemon_starting``
(the config is read; the build, which compiles the codec and opens the spool, is still ahead).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.daemon.helpers import DEMO, DaemonProcess, rsu, wait_until


def _signal_when_starting(d: DaemonProcess, sig: signal.Signals) -> None:
    assert wait_until(lambda: "daemon_starting" in d.output(), 60.0, step=0.005), d.output()
    d.proc.send_signal(sig)


def test_a_sighup_during_start_up_is_deferred_and_reloads_once_running(tmp_path: Path) -> None:
    d = DaemonProcess(DEMO, tmp_path)
    try:
        _signal_when_starting(d, signal.SIGHUP)
        d.wait_ready()  # not killed by the HUP
        assert wait_until(lambda: "config_reloaded" in d.output(), 30.0), d.output()
        status = rsu("status", "--socket", str(d.socket), "--json", cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert d.terminate() == 0
    finally:
        d.close()


def test_a_sigterm_during_start_up_exits_cleanly_with_code_0(tmp_path: Path) -> None:
    d = DaemonProcess(DEMO, tmp_path)
    try:
        _signal_when_starting(d, signal.SIGTERM)
        assert d.proc.wait(30.0) == 0, d.output()
        assert "daemon_stopped" in d.output()
        assert "Traceback" not in d.output()
    finally:
        d.close()


def test_a_burst_of_signals_never_deadlocks_the_core_loop(tmp_path: Path) -> None:
    """Signal handlers take no lock: a signal landing inside another one's handler is safe."""
    d = DaemonProcess(DEMO, tmp_path)
    try:
        d.wait_ready()
        end = time.monotonic() + 1.5  # a storm, not a speed check: thousands of HUPs
        while time.monotonic() < end:
            os.kill(d.proc.pid, signal.SIGHUP)
        status = rsu("status", "--socket", str(d.socket), "--json", cwd=tmp_path)
        assert status.returncode == 0, status.stderr + d.output()
        for _ in range(100):
            os.kill(d.proc.pid, signal.SIGTERM)
        assert d.proc.wait(30.0) == 0, d.output()
    finally:
        d.close()
