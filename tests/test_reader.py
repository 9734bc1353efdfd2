"""The one reader base of the edges (issue 13.7), on a real Unix socket as the device.

A small reader connects to a Unix stream socket and keeps the lines it reads. The device is
missing at first (a real ``FileNotFoundError``), then appears, then hangs up, then sends bytes
that make the reader's own code raise: the base counts and logs each case, reopens after the
one backoff, and keeps reading afterwards.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.reader import Backoff, Reader
from tests.conftest import wait_until


class LineReader(Reader):
    thread_name = "test-lines"
    down_event = "test_device_down"

    def __init__(self, path: Path) -> None:
        super().__init__(Backoff(0.01, 0.04))
        self.path = path
        self.lines: list[bytes] = []
        self.opened = 0
        self._sock: socket.socket | None = None

    def _open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.path))
        except OSError:
            sock.close()
            raise
        sock.settimeout(0.05)
        self._sock = sock
        self.opened += 1

    def _read(self) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(1024)
        except TimeoutError:
            return
        if not data:
            raise ConnectionResetError("device hung up")
        if data.startswith(b"boom"):
            raise RuntimeError("a bug in the reader")
        self.lines += data.splitlines()

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _log_fields(self) -> dict[str, object]:
        return {"path": str(self.path)}


class Device:
    """The other end: a listening Unix socket that accepts one connection at a time."""

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.server.settimeout(5.0)

    def accept(self) -> socket.socket:
        conn, _ = self.server.accept()
        return conn

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[LineReader]:
    r = LineReader(tmp_path / "dev.sock")
    yield r
    r.stop()


def test_a_missing_device_is_retried_with_backoff_then_read(reader: LineReader) -> None:
    with capture_logs() as logs:
        reader.start()
        assert wait_until(lambda: reader.failed >= 4)
        device = Device(reader.path)
        conn = device.accept()
        conn.sendall(b"hello\nworld\n")
        assert wait_until(lambda: reader.lines == [b"hello", b"world"])
    down = [e for e in logs if e["event"] == "test_device_down"]
    assert [e["retry_s"] for e in down[:4]] == [0.01, 0.02, 0.04, 0.04]
    assert down[0]["path"] == str(reader.path)
    assert "No such file" in down[0]["error"]
    assert reader.reader_health()["failures"] == reader.failed
    assert reader.running
    assert reader.backoff.attempt == 0  # a read after the open: the delays start over
    conn.close()
    device.close()


def test_a_hang_up_and_a_bug_are_survived_and_reading_goes_on(reader: LineReader) -> None:
    device = Device(reader.path)
    reader.start()
    with capture_logs() as logs:
        first = device.accept()
        first.close()  # the device hangs up: a device failure, reopened
        second = device.accept()
        second.sendall(b"boom\n")  # the reader's own code raises: counted as a bug, reopened
        third = device.accept()
        third.sendall(b"still here\n")  # good input afterwards is served
        assert wait_until(lambda: reader.lines == [b"still here"])
    assert (reader.failed, reader.errors, reader.reopens) == (1, 1, 2)
    (bug,) = [e for e in logs if e["event"] == "edge_failed"]
    assert bug["edge"] == "test-lines"
    assert "a bug in the reader" in bug["error"]
    (down,) = [e for e in logs if e["event"] == "test_device_down"]
    assert down["error"] == "device hung up"
    assert reader.last_error == "a bug in the reader"
    for conn in (second, third):
        conn.close()
    device.close()


def test_stop_ends_the_thread_during_a_long_backoff(tmp_path: Path) -> None:
    reader = LineReader(tmp_path / "absent.sock")
    reader.backoff = Backoff(3600.0, 3600.0)
    reader.start()
    assert wait_until(lambda: reader.failed == 1)
    stopper = threading.Thread(target=reader.stop)
    stopper.start()
    stopper.join(timeout=10.0)
    assert not stopper.is_alive()
    assert not reader.running
