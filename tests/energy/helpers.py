"""A real OCPI Locations server on loopback (http.server in a thread) for the energy tests."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Behaviour:
    """What the server answers next: ``body`` with ``status``; ``delay_s`` before answering;
    ``token`` the credentials it accepts (``accept``: as ``base64``, ``plain`` or ``both``)."""

    body: bytes = field(default_factory=lambda: fixture("location_main_st.json"))
    status: int = 200
    delay_s: float = 0.0
    token: str = TOKEN
    accept: str = "base64"
    requests: list[dict[str, str]] = field(default_factory=list)

    def authorized(self, header: str) -> bool:
        encoded = base64.b64encode(self.token.encode()).decode()
        ok = {"base64": {encoded}, "plain": {self.token}, "both": {encoded, self.token}}
        return header.removeprefix("Token ") in ok[self.accept] and header.startswith("Token ")


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            b = behaviour
            b.requests.append(dict(self.headers.items()) | {"path": self.path})
            if b.delay_s:
                time.sleep(b.delay_s)
            if not b.authorized(self.headers.get("Authorization", "")):
                self._send(401, b'{"status_code": 2001, "status_message": "Invalid token"}')
                return
            self._send(b.status, b.body)

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def ocpi_server(behaviour: Behaviour) -> Iterator[str]:
    """A Locations endpoint on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ocpi/2.2.1/locations/LOC1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
