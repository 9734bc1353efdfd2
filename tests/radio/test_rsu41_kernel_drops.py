"""Datagrams the kernel drops on the RSU 4.1 socket are in the radio counters (issue 11.8).

A real daemon on the rsu41 backend is stopped (SIGSTOP) while a flood of forwarded frames
arrives: its socket buffer fills and the kernel drops the rest. After SIGCONT every datagram
sent is either received or counted as dropped by the kernel (loopback UDP loses nothing else),
and ``rsu status`` and the metrics show the count.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path

from rsu.daemon.control import ControlClient
from tests.conftest import free_port
from tests.daemon.helpers import DaemonProcess, copy_demo, rsu, wait_until

MAP_HEX = "".join(
    line
    for line in (Path(__file__).parents[2] / "configs/examples/map.hex").read_text().splitlines()
    if not line.startswith("#")
)
FLOOD = 20_000


def test_kernel_drops_on_the_udp_socket_are_counted(tmp_path: Path) -> None:
    port, ifm = free_port(), free_port()
    config = copy_demo(tmp_path / "etc")
    config.write_text(
        config.read_text().replace(
            '[radio]\nbackend = "sim"\n',
            f'[radio]\nbackend = "rsu41"\n\n[radio.rsu41]\nlisten = "127.0.0.1:{port}"\n'
            f'ifm_target = "127.0.0.1:{ifm}"\n',
        )
    )
    d = DaemonProcess(config, tmp_path)
    try:
        d.wait_ready()
        client = ControlClient(d.socket)

        def counters() -> dict[str, int]:
            c = client.request("status")["status"]["radio"]["counters"]
            return {"received": c["total"]["received"], "kernel": c["kernel_dropped"]}

        frame = bytes.fromhex(MAP_HEX)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = [0]

        def send() -> None:
            tx.sendto(frame, ("127.0.0.1", port))
            sent[0] += 1

        d.proc.send_signal(signal.SIGSTOP)
        try:
            for _ in range(FLOOD):
                send()
        finally:
            d.proc.send_signal(signal.SIGCONT)
        # the kernel stamps its drop count on datagrams queued after a drop: the frames sent
        # now (good input after the flood) carry it, and each is served
        assert wait_until(lambda: send() or sum(counters().values()) == sent[0], timeout=30.0)
        got = counters()
        tx.close()
        assert got["kernel"] > 0
        assert got["received"] > FLOOD // 100
        assert got["received"] + got["kernel"] == sent[0]
        human = rsu("status", "--socket", str(d.socket)).stdout
        assert f"kernel dropped {got['kernel']}" in human
        health = client.request("status")["status"]["radio"]["health"]
        assert health["kernel_dropped"] == got["kernel"]
    finally:
        d.close()
