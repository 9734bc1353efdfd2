"""What the benches share: a process's resident memory, and the results written out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (this one by default), MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def report(results: dict[str, Any], out: str | None) -> None:
    """The results as JSON on stdout, and in ``out`` when given."""
    text = json.dumps(results, indent=1)
    print(text)
    if out:
        Path(out).write_text(text + "\n")
