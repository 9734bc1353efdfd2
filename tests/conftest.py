"""Shared fixtures. ``mosquitto``: a real broker on a free loopback port (started per test)."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from rsu.loopback import find_mosquitto, free_port

T = TypeVar("T")

__all__ = ["Broker", "free_port", "wait_until"]

MOSQUITTO = find_mosquitto() or "/usr/sbin/mosquitto"


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    """Poll ``pred`` until it holds or ``timeout`` s pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


@dataclass
class Broker:
    """A mosquitto process: ``start``/``stop``/``kill``; keeps its port across restarts."""

    workdir: Path
    port: int = field(default_factory=free_port)
    tls: tuple[Path, Path, Path] | None = None
    """(ca, server cert, server key) for an mqtts listener."""
    passwords: Path | None = None
    require_client_cert: bool = False
    persistent: bool = False
    """Keep sessions and queued messages across a graceful restart (SIGTERM)."""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        lines = [
            f"listener {self.port} 127.0.0.1",
            "log_dest stderr",
            f"user {getpass.getuser()}",  # as root, mosquitto would drop to "mosquitto"
            "max_queued_messages 100000",
            "max_inflight_messages 0",
        ]
        if self.persistent:
            lines += ["persistence true", f"persistence_location {self.workdir}/"]
        if self.passwords is not None:
            lines += ["allow_anonymous false", f"password_file {self.passwords}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls is not None:
            ca, cert, key = self.tls
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
            if self.require_client_cert:
                lines.append("require_certificate true")
        path = self.workdir / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> Broker:
        conf = self._config()
        log = open(self.workdir / "mosquitto.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.workdir / "mosquitto.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Make brokers (not started) whose processes are cleaned up after the test."""
    made: list[Broker] = []

    def make(**kwargs: object) -> Broker:
        workdir = tmp_path / f"broker{len(made)}"
        workdir.mkdir()
        broker = Broker(workdir, **kwargs)  # type: ignore[arg-type]
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.stop()


@pytest.fixture
def mosquitto(broker_factory: Callable[..., Broker]) -> Broker:
    """A started plain-MQTT broker, anonymous access."""
    return broker_factory().start()


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """Each test starts with structlog's defaults and leaves logging as it found it.

    In-process CLI tests call ``rsu.cli.main.main``, which configures structlog (level
    ``warning`` by default); without this, a later test's ``capture_logs()`` would not see the
    info events it looks for.
    """
    import logging

    import structlog

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def narrow(value: object, cls: type[T]) -> T:
    """``value`` as the backend class a test drives (a test of the sim radio's ``step``, the
    serial radio's ``wait_ready``...): the test fails here, by name, on any other backend."""
    assert isinstance(value, cls), f"{type(value).__name__} is not a {cls.__name__}"
    return value
