"""The local control socket: a Unix stream socket (mode 0600) speaking JSON lines.

A client sends one request line ``{"cmd": "status", ...}``; the daemon answers with one JSON
line (``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``), or, for streaming commands
(``tail``), with lines until the client hangs up. Only the owner of the daemon (and root) can
connect: the socket is created under a 0177 umask and chmod-ed 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import structlog

from rsu.errors import ControlError, DaemonError

log = structlog.get_logger(__name__)

MAX_REQUEST = 64 * 1024
MAX_DEPTH = 16
"""A control request is a flat object; nesting deeper than this is refused unparsed."""
MAX_CLIENTS = 16
Handler = Callable[[dict[str, Any]], dict[str, Any] | Iterable[dict[str, Any]]]
"""One request in; one reply, or an iterable of lines for a streaming command."""


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=str).encode() + b"\n"


class ControlServer:
    def __init__(self, path: str | Path, handler: Handler) -> None:
        self.path = Path(path)
        self._handler = handler
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._clients = threading.BoundedSemaphore(MAX_CLIENTS)
        self._thread: threading.Thread | None = None
        self.requests = 0
        self.refused = 0
        self.failed = 0

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._remove_stale()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        except OSError as err:
            sock.close()
            raise DaemonError(f"cannot bind control socket {self.path}: {err.strerror}") from err
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(8)
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept, name="control", daemon=True)
        self._thread.start()

    def _remove_stale(self) -> None:
        if not self.path.exists() and not self.path.is_symlink():
            return
        if not stat.S_ISSOCK(self.path.lstat().st_mode):
            raise DaemonError(f"control socket path {self.path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(0.5)
        try:
            probe.connect(str(self.path))
        except OSError:
            self.path.unlink()  # nobody listening: left over from a crash
            return
        finally:
            probe.close()
        raise DaemonError(f"another daemon is listening on {self.path}")

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            if not self._clients.acquire(blocking=False):
                self.refused += 1
                with contextlib.suppress(OSError):
                    conn.sendall(_line({"ok": False, "error": "too many control clients"}))
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), name="control-client").start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5.0)
            request = _read_request(conn)
            self.requests += 1
            conn.settimeout(None)
            reply = self._handler(request)
            if isinstance(reply, dict):
                conn.sendall(_line(reply))
            else:
                self._stream(conn, reply)
        except (OSError, ValueError) as err:
            with contextlib.suppress(OSError):
                conn.sendall(_line({"ok": False, "error": f"bad request: {err}"}))
        except Exception as err:  # a bug on this client's thread: answer, keep serving others
            self.failed += 1
            log.error("control_request_failed", error=repr(err), count=self.failed)
            with contextlib.suppress(OSError):
                conn.sendall(_line({"ok": False, "error": f"internal error: {err!r}"}))
        finally:
            conn.close()
            self._clients.release()

    def _stream(self, conn: socket.socket, lines: Iterable[dict[str, Any]]) -> None:
        for item in lines:
            if self._stop.is_set():
                break
            conn.sendall(_line(item))  # BrokenPipe when the client goes: ends the stream

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _read_request(conn: socket.socket) -> dict[str, Any]:
    """One request line, refused before parsing when too large or too deeply nested."""
    buf = b""
    while b"\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
        if len(buf) > MAX_REQUEST:
            raise ValueError(f"request too large (at most {MAX_REQUEST} bytes)")
    line = buf.split(b"\n", 1)[0]
    if len(line) > MAX_REQUEST:
        raise ValueError(f"request too large (at most {MAX_REQUEST} bytes)")
    if nesting(line) > MAX_DEPTH:
        raise ValueError(f"request nested too deeply (at most {MAX_DEPTH} levels)")
    data = json.loads(line or b"{}")
    if not isinstance(data, dict) or not isinstance(data.get("cmd"), str):
        raise ValueError('expected {"cmd": "..."}')
    return data


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests arrays and objects (brackets inside strings do
    not count), without parsing it: the parser's recursion is never reached by a hostile line."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


class ControlClient:
    """The CLI side. Errors are ``ControlError`` with a hint a field engineer can act on."""

    def __init__(self, path: str | Path, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except FileNotFoundError:
            sock.close()
            raise ControlError(
                f"no daemon at {self.path} (is it running? `systemctl status rsu`, "
                "or pass --socket)"
            ) from None
        except PermissionError:
            sock.close()
            raise ControlError(
                f"permission denied on {self.path} (run as the rsu user or with sudo)"
            ) from None
        except OSError as err:
            sock.close()
            raise ControlError(f"cannot connect to {self.path}: {err.strerror}") from err
        return sock

    def request(self, cmd: str, **args: Any) -> dict[str, Any]:
        for reply in self.stream(cmd, **args):
            if not reply.get("ok", False):
                why = str(reply.get("error", "no reason")).removeprefix(f"{cmd}: ")
                raise ControlError(f"daemon refused {cmd}: {why}")
            return reply
        raise ControlError(f"the daemon closed the connection without answering {cmd}")

    def stream(
        self, cmd: str, *, idle_timeout: float | None = None, **args: Any
    ) -> Iterator[dict[str, Any]]:
        sock = self._connect()
        try:
            sock.sendall(_line({"cmd": cmd, **args}))
            sock.settimeout(idle_timeout if idle_timeout is not None else self.timeout)
            reader = sock.makefile("rb")
            for raw in reader:
                yield json.loads(raw)
        except TimeoutError as err:
            raise ControlError(f"the daemon did not answer {cmd} in time") from err
        finally:
            sock.close()
