"""The daemon under test: a generated config file and ``rsu run --config`` as a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rsu.config.loader import demo_config_path
from rsu.errors import RsuError

DEMO_DIR = demo_config_path().parent


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else in ``extra`` replaces."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for generated configs (tables, arrays of tables, scalars)."""
    lines: list[str] = []
    nested: list[str] = []
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            nested.append(f"\n[{name}]\n" + to_toml(value, name))
        elif _is_table_array(value):
            for item in value:
                nested.append(f"\n[[{name}]]\n" + to_toml(item, name))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + ("\n" if lines else "") + "".join(nested)


def resolve_files(config: dict[str, Any], scenario_dir: Path | None) -> dict[str, Any]:
    """Broadcast message files named relative: the scenario's directory, then the demo's."""
    messages = config.get("broadcast", {}).get("messages", [])
    for m in messages:
        name = m.get("file")
        if not name or Path(name).is_absolute():
            continue
        for base in (scenario_dir, DEMO_DIR):
            if base is not None and (base / name).exists():
                m["file"] = str(base / name)
                break
    return config


def rsu_command() -> list[str]:
    """``rsu`` from the same environment as the harness (falls back to the module)."""
    script = Path(sys.executable).parent / "rsu"
    if script.exists():
        return [str(script)]
    found = shutil.which("rsu")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from rsu.cli.main import main; sys.exit(main())"]


class DaemonProcess:
    """``rsu run --config PATH`` with its JSON log lines in ``log_path``."""

    def __init__(self, config_path: Path, log_path: Path) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int] = []
        self.ready = False
        """Said ``daemon_ready`` and not killed or stopped since."""
        self._log_offset = 0

    def start(self, timeout: float = 30.0) -> float:
        """Start and wait for ``daemon_ready``; returns how long that took."""
        t0 = time.monotonic()
        self.ready = False
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("NOTIFY_SOCKET", None)
        env.pop("WATCHDOG_USEC", None)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [*rsu_command(), "--log-format", "json", "run", "--config", str(self.config_path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.starts += 1
        while time.monotonic() - t0 < timeout:
            if self._seen("daemon_ready"):
                self.ready = True
                return time.monotonic() - t0
            if self.proc.poll() is not None:
                raise RsuError(f"the daemon exited with {self.proc.returncode}: {self.tail()}")
            time.sleep(0.05)
        raise RsuError(f"the daemon was not ready after {timeout:.0f} s: {self.tail()}")

    def _seen(self, event: str) -> bool:
        with self.log_path.open("rb") as fh:
            fh.seek(self._log_offset)
            return event.encode() in fh.read()

    def tail(self, n: int = 15) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye (the spool must carry what was accepted)."""
        self.ready = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.exit_codes.append(self.proc.wait(timeout=5.0))
            self.proc = None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait for the drain; SIGKILL after ``timeout``."""
        self.ready = False
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5.0)
        code = self.proc.returncode
        self.exit_codes.append(code)
        self.proc = None
        return code

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_events(self) -> list[dict[str, Any]]:
        """Every JSON log line the daemon wrote (all runs)."""
        out: list[dict[str, Any]] = []
        if not self.log_path.exists():
            return out
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
        return out
