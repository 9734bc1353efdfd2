"""Decode workers for the daemon's receive path (``[daemon] decode_workers``, issue 14.2).

With ``decode_workers = N`` (N >= 1), radio frames are decoded, and their uplink records made
(``rsu.uplink.prepared``), in N worker processes (``rsu.procpool``) instead of on the core
thread; the core keeps what needs one place: the upload policy's state, the record ids, the
spool and MQTT (``Uplink.submit_prepared``), the radio's per-PSID counters and the streams.
Frames go out in chunks (``CHUNK``, or what has waited ``LINGER_S``) and come back in order,
so records keep their order per stream; a worker that dies is counted (``restarts``) and
replaced, and its chunks are decoded again. A frame the core must see decoded (a ``rsu tail``
client is attached) is decoded on the core thread as before.

Only for a daemon whose core needs no decoded message itself: no ``[security]`` verification,
no road picture (fusion of V2X), no SNMP received-message forwarding; ``build`` refuses the
option otherwise (``ConfigError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from rsu.errors import ConfigError, DecodeError
from rsu.procpool import OrderedPool
from rsu.uplink.config import UplinkConfig, UploadPolicy
from rsu.uplink.policy import PolicyGate
from rsu.uplink.prepared import Prepared, RecordMaker
from rsu.uplink.records import Origin
from rsu.v2x.codec import Codec
from rsu.wire import RxFrame

if TYPE_CHECKING:
    from rsu.daemon.core import Core

log = structlog.get_logger(__name__)

CHUNK = 128
"""Frames per unit of work (one round trip to a worker)."""
LINGER_S = 0.01
"""A partial chunk goes out once its first frame has waited this long."""
POLL_S = 0.002
"""While results are due, the core loop looks for them at least this often."""

Frame = tuple[bytes, int | None, str, int | None, float | None, float]
"""What a worker gets of an ``RxFrame``: payload, PSID, backend, channel, RSSI, rx UTC."""
Table = tuple[dict[str, UploadPolicy], UploadPolicy]
Chunk = tuple[Table, list[Frame]]
"""Frames with the upload policies as the core has them when the chunk goes out (a reload
or a cloud config command may change them: a worker judges and shapes records by them)."""
Done = tuple[Any, ...]
"""Per frame, in order: (psid, prepared tuple, summary) or (psid, error kind, error, hex)."""


def frame_worker(codec: Codec, config: UplinkConfig) -> Callable[[Chunk], list[Done]]:
    """The function each worker applies to a chunk of frames."""
    from rsu.daemon.core import summary

    maker = RecordMaker(config)

    def work(chunk: Chunk) -> list[Done]:
        table, frames = chunk
        maker.gate = PolicyGate(*table)
        out: list[Done] = []
        for payload, psid, backend, channel, rssi, rx_utc in frames:
            try:
                msg = codec.decode(payload)
            except DecodeError as err:
                out.append((psid, type(err).__name__, str(err), payload[:512].hex()))
                continue
            made = maker.prepare(msg, received_at=rx_utc, origin=Origin(backend, channel, rssi))
            out.append((psid, tuple(made), summary(msg)))
        return out

    return work


class Offload:
    """The core's side of the decode workers: frames in, results delivered to the core."""

    def __init__(self, jobs: int, codec: Codec, config: UplinkConfig, gate: PolicyGate) -> None:
        self.gate = gate
        self.pool: OrderedPool[Chunk, list[Done]] = OrderedPool(
            jobs, lambda: frame_worker(codec, config)
        )
        self._batch: list[Frame] = []
        self._since: float | None = None
        self._poll_at: float | None = None
        self._restarts_logged = 0

    @classmethod
    def for_core(cls, jobs: int, codec: Codec, config: UplinkConfig, core: Core) -> Offload:
        """Workers for ``core``, forked now (call before any edge or the uplink starts a
        thread); a ``ConfigError`` when the core needs each decoded message itself."""
        needs = [
            name
            for name, used in (
                ("[security] verification", core.security is not None),
                ("the road picture (fusion of V2X)", bool(core.listeners)),
                ("[snmp] (received-message forwarding)", bool(core.frame_listeners)),
            )
            if used
        ]
        if needs:
            raise ConfigError(
                "daemon.decode_workers",
                f"decode workers cannot serve a core that needs each decoded message: {needs[0]}",
            )
        return cls(jobs, codec, config, core.uplink.gate)

    @property
    def restarts(self) -> int:
        return self.pool.restarts

    def add(self, frame: RxFrame, backend: str, now: float) -> None:
        self._batch.append(
            (frame.payload, frame.psid, backend, frame.channel, frame.rssi, frame.rx_utc)
        )
        if self._since is None:
            self._since = now
        if len(self._batch) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            # waits (collecting) while every worker is busy
            self.pool.put((self.gate.table(), self._batch))
            self._batch, self._since = [], None

    def next_deadline(self) -> float | None:
        times = [] if self._poll_at is None else [self._poll_at]
        if self._since is not None:
            times.append(self._since + LINGER_S)
        return min(times) if times else None

    def tick(self, core: Core, now: float, utc: float) -> None:
        """Send a chunk that has lingered; hand the results ready now to the core."""
        if self._since is not None and now >= self._since + LINGER_S:
            self._flush()
        for done in self.pool.ready():
            deliver(core, done, utc)
        self._poll_at = now + POLL_S if self.pool.pending else None
        if self.pool.restarts != self._restarts_logged:
            self._restarts_logged = self.pool.restarts
            log.warning("decode_worker_restarted", restarts=self.pool.restarts, pids=self.pool.pids)

    def finish(self, core: Core, utc: float) -> None:
        """Every frame handed over so far, through to the uplink; then the workers stop."""
        self._flush()
        for done in self.pool.finish():
            deliver(core, done, utc)
        self._poll_at = None
        self.pool.close()


def deliver(core: Core, results: list[Done], utc: float) -> None:
    """What ``Core.on_rx`` does after decoding, for results made in a worker."""
    for item in results:
        psid = item[0]
        if len(item) == 4:
            core.decode_failed(psid, item[1], item[2], item[3])
            continue
        prepared = Prepared._make(item[1])
        core.n.decoded += 1
        core.radio.counters.decoded(psid, prepared.short_name)
        if core.uplink.submit_prepared(prepared):
            core.tap(f"v2x/{prepared.short_name}", item[2], utc)
