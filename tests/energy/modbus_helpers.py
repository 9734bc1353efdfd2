"""A real pymodbus TCP server on loopback (its asyncio loop in a thread), and a hung one.

The server holds registers 0..499 of device 1, shared by the holding and input tables
(pymodbus' ``SimDevice`` with one block); tests change them as a site controller would see
them change, by writing over Modbus itself (``Registers.set``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pymodbus.client import ModbusTcpClient
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from tests.conftest import free_port, wait_until

SIZE = 500


class Registers:
    """Values to start with, then ``set`` writes them to the running server."""

    def __init__(self) -> None:
        self.initial = [0] * SIZE
        self.port: int | None = None

    def set(self, address: int, *values: int) -> None:
        if self.port is None:
            self.initial[address : address + len(values)] = values
            return
        client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=2, retries=1)
        assert client.connect()
        try:
            answer = client.write_registers(address, list(values), device_id=1)
            assert not answer.isError(), answer
        finally:
            client.close()


@contextmanager
def modbus_server(registers: Registers) -> Iterator[int]:
    """Serve ``registers`` on a free loopback port; yields the port."""
    port = free_port()
    device = SimDevice(
        id=1, simdata=[SimData(0, values=list(registers.initial), datatype=DataType.REGISTERS)]
    )
    loop = asyncio.new_event_loop()
    made: list[ModbusTcpServer] = []

    async def serve() -> None:  # pymodbus makes its server inside the running loop
        server = ModbusTcpServer(device, address=("127.0.0.1", port))
        made.append(server)
        await server.serve_forever()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    assert wait_until(listening, timeout=10)
    registers.port = port
    try:
        yield port
    finally:
        registers.port = None
        asyncio.run_coroutine_threadsafe(made[0].shutdown(), loop).result(timeout=10)
        thread.join(timeout=10)
        loop.close()


@contextmanager
def hung_server() -> Iterator[int]:
    """A TCP server that accepts and never answers (a device whose Modbus task hangs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        sock.close()
