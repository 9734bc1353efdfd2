"""``rsu decode`` run as the console command a user types (a subprocess with a timeout)."""

from __future__ import annotations

import subprocess
import sys


def rsu_decode(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command; a hang fails the calling test through the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "rsu.cli.main", "decode", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )
