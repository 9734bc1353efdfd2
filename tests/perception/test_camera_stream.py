"""A real HTTP MJPEG stream through OpenCV/FFmpeg that drops and then stalls.

The server is a local ``http.server`` thread sending ``multipart/x-mixed-replace`` JPEGs (what
many IP cameras serve). Connection 1 sends 8 frames and closes (a drop), connection 2 sends 8
frames and goes quiet while holding the socket (a stall, caught by FFmpeg's read timeout),
later connections stream normally.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from rsu.perception.camera import Camera, CameraConfig


class _Handler(BaseHTTPRequestHandler):
    connections = 0
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).connections += 1
        nth = type(self).connections
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for i in range(8 if nth <= 2 else 200):
            img = np.full((120, 160, 3), 40 + (nth * 50 + i * 9) % 200, np.uint8)
            jpg = cv2.imencode(".jpg", img)[1].tobytes()
            head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg)
            try:
                self.wfile.write(head + jpg + b"\r\n")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.01)
        if nth == 2:
            self.release.wait(10)  # hold the connection open, send nothing

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stream_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    _Handler.release.set()
    server.shutdown()
    server.server_close()


def test_a_dropped_and_a_stalled_stream_are_reconnected(stream_url: str) -> None:
    config = CameraConfig(
        name="ip", source=stream_url, stall_timeout_s=1.0, reconnect_initial_s=0.05
    )
    cam = Camera(config)
    assert cam.live
    frames = [cam.read() for _ in range(24)]
    cam.close()
    assert all(f is not None for f in frames)
    h = cam.health()
    assert h.disconnects == 2
    assert h.stalls == 1
    assert h.reconnects == 2
    assert _Handler.connections == 3
    assert frames[-1].size == (160, 120)  # type: ignore[union-attr]
