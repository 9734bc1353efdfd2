"""``[snmp]`` in the daemon, the edge side: the agent thread and what crosses to the core.

The agent thread hands each checked SET to the core through the ``snmp`` queue of the core's
inbox (bounded, DROP_NEWEST: a full queue answers ``resourceUnavailable``) as a
``ChangeRequest`` and waits for its answer; after each SET, applied or refused, it queues a
``Report`` (the ``management`` record). ``SnmpEdge`` is the agent's lifecycle: at start it
counts the boot in the state file, queues a ``Restore`` (handled before the core's first tick,
so restored rows and mode apply before anything is sent) and starts the agent; at stop it
stops it. The core thread's side is ``rsu.management.part``.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rsu.daemon.edges import Edge
from rsu.errors import ManagementError
from rsu.management.forward import Datagram
from rsu.management.view import ManagementView
from rsu.management.writes import Change
from rsu.queues import BoundedQueue

if TYPE_CHECKING:
    from rsu.management.agent import Agent
    from rsu.management.part import SnmpPart

QUEUE = 16
"""SETs (and reports) waiting for the core: managers send one PDU at a time."""


@dataclass(slots=True)
class ChangeRequest:
    """One checked SET PDU on its way to the core thread, and the answer on the way back."""

    change: Change
    done: threading.Event = field(default_factory=threading.Event)
    error: ManagementError | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A SET was applied or refused: the ``management`` record and the ``snmp_set`` log."""

    user: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Restore:
    """Put back what the state file kept (rows as broadcast entries, the mode)."""


class Link:
    """The agent's side of the queue (``rsu.management.instrum.Link``)."""

    def __init__(self, queue: BoundedQueue[Any], timeout: float, view: ManagementView) -> None:
        self.queue = queue
        self.timeout = timeout
        self.view = view  # replaced whole by the core thread

    def submit(self, change: Change) -> None:
        req = ChangeRequest(change)
        if not self.queue.put(req):
            raise ManagementError("resourceUnavailable", 0, "busy: too many SETs pending")
        if not req.done.wait(self.timeout):
            raise ManagementError("commitFailed", 0, "the core did not answer in time")
        if req.error is not None:
            raise req.error

    def report(self, user: str, ok: bool, detail: str) -> None:
        self.queue.put(Report(user, ok, detail))


class UdpSender:
    """Forwarded messages out (non-blocking; a full socket buffer drops and counts)."""

    def __init__(self) -> None:
        self._socks: dict[int, socket.socket] = {}
        self.sent = 0
        self.failed = 0

    def send(self, dg: Datagram) -> None:
        family = socket.AF_INET6 if ":" in dg.host else socket.AF_INET
        sock = self._socks.get(family)
        if sock is None:
            sock = self._socks[family] = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
        try:
            sock.sendto(dg.data, (dg.host, dg.port))
            self.sent += 1
        except OSError:
            self.failed += 1

    def close(self) -> None:
        for sock in self._socks.values():
            sock.close()


class SnmpEdge(Edge):
    """The agent's thread, started and stopped with the daemon's other edges."""

    name = "snmp"

    def __init__(self, part: SnmpPart) -> None:
        super().__init__()
        self.part = part
        self.agent: Agent | None = None

    def start(self) -> None:
        from rsu.management.agent import Agent

        part = self.part
        part.state.boots += 1
        part.save(part.state.mode)
        part.queue.put(Restore())
        agent = Agent(part.config, part.link, part.state.engine_id, part.state.boots)
        agent.on_set = part.link.report
        agent.start(part.secrets)  # DaemonError when it cannot bind: the daemon does not start
        self.agent = part.agent = agent

    def stop(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        self.part.sender.close()

    def health(self) -> dict[str, Any]:
        return {"running": self.agent is not None and self.agent.running}
