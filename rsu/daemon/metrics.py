"""Prometheus / OpenMetrics text exposition of the daemon's stats snapshot, on localhost.

Written by hand rather than with ``prometheus-client``: the numbers already exist as one typed
snapshot (``rsu.daemon.snapshot.Snapshot``, the same one published on the ``stats`` topic and
shown by ``rsu status``), so rendering it is a pure function of ~100 lines, with no global
registry, no extra dependency on the RSU box, and nothing that can drift between the views.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import structlog

from rsu.errors import DaemonError

if TYPE_CHECKING:
    from rsu.daemon.snapshot import Snapshot

log = structlog.get_logger(__name__)

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[dict[str, str], float]


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    return repr(value) if isinstance(value, float) else str(value)


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name, self.kind, self.help = name, kind, help_text
        self.samples: list[Sample] = []

    def add(self, value: object, **labels: str) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.samples.append((labels, float(value) if isinstance(value, float) else value))

    def lines(self, openmetrics: bool) -> Iterator[str]:
        # Prometheus 0.0.4 names the counter family with its ``_total``; OpenMetrics without.
        total = self.kind == "counter"
        family = self.name if openmetrics or not total else f"{self.name}_total"
        sample = f"{self.name}_total" if total else self.name
        yield f"# HELP {family} {self.help}"
        yield f"# TYPE {family} {self.kind}"
        for labels, value in self.samples:
            text = ",".join(f'{k}="{_esc(v)}"' for k, v in sorted(labels.items()))
            name = f"{sample}{{{text}}}" if text else sample
            yield f"{name} {_num(value)}"


def _radio(snap: Snapshot, fams: list[_Family]) -> None:
    counters = snap.radio.counters
    rx = _Family("rsu_radio_frames", "counter", "Radio frames by direction, outcome and PSID.")
    for psid, c in sorted(counters.by_psid.items()):
        for outcome in ("received", "decoded", "failed", "sent", "send_failed"):
            rx.add(getattr(c, outcome), psid=psid, outcome=outcome)
    by_type = _Family("rsu_v2x_messages", "counter", "Decoded or sent V2X messages by type.")
    for mtype, c in sorted(counters.by_type.items()):
        by_type.add(c.decoded, type=mtype, direction="rx")
        by_type.add(c.sent, type=mtype, direction="tx")
    errors = _Family("rsu_decode_errors", "counter", "Frames that did not decode, by reason.")
    for reason, n in sorted(snap.decode.errors.items()):
        errors.add(n, reason=reason)
    bad = _Family("rsu_radio_bad_input", "counter", "Input the radio backend rejected.")
    for reason, n in sorted(counters.bad_input.items()):
        bad.add(n, reason=reason)
    kernel = _Family(
        "rsu_radio_kernel_dropped", "counter", "Datagrams the kernel dropped before they were read."
    )
    kernel.add(counters.kernel_dropped)
    fams += [rx, by_type, errors, bad, kernel]


def _queues(snap: Snapshot, fams: list[_Family]) -> None:
    depth = _Family("rsu_queue_depth", "gauge", "Items waiting in a bounded queue.")
    cap = _Family("rsu_queue_capacity", "gauge", "Bound of a queue.")
    drops = _Family("rsu_queue_dropped", "counter", "Items dropped because a queue was full.")
    for name, q in sorted(snap.queues.items()):
        depth.add(q.depth, queue=name)
        cap.add(q.capacity, queue=name)
        drops.add(q.dropped, queue=name)
    fams += [depth, cap, drops]


def _uplink(snap: Snapshot, fams: list[_Family]) -> None:
    up = snap.uplink
    g = _Family("rsu_uplink_connected", "gauge", "1 when the MQTT broker is connected.")
    g.add(1 if up.connected else 0)
    backlog = _Family("rsu_spool_backlog", "gauge", "Records waiting in the spool.")
    backlog.add(up.pending)
    size = _Family("rsu_spool_bytes", "gauge", "Size of the spool on disk.")
    size.add(up.spool_bytes)
    recs = _Family("rsu_uplink_records", "counter", "Records by stage (accepted, published...).")
    for stage in ("accepted", "published", "acked"):
        recs.add(getattr(up, stage), stage=stage)
    dropped = _Family("rsu_uplink_dropped", "counter", "Records dropped by the uplink, by reason.")
    for reason, n in sorted(up.dropped.items()):
        dropped.add(n, reason=reason)
    streams = _Family("rsu_uplink_submitted", "counter", "Records handed to the uplink by stream.")
    for stream, st in sorted(snap.cloud.streams.items()):
        streams.add(st.count, stream=stream)
    fams += [g, backlog, size, recs, dropped, streams]


def _perception(snap: Snapshot, fams: list[_Family]) -> None:
    fps = _Family("rsu_camera_fps", "gauge", "Frames per second processed, per camera.")
    ms = _Family("rsu_inference_ms", "gauge", "Mean detector inference time, per camera.")
    for name, cam in sorted(snap.cameras.items()):
        fps.add(cam.get("fps"), camera=name)
        ms.add(cam.get("inference_ms"), camera=name)
    objs = _Family("rsu_fused_objects", "gauge", "Objects in the fused road picture.")
    if snap.fusion is not None:
        objs.add(snap.fusion.objects)
    fams += [fps, ms, objs]


def _core(snap: Snapshot, fams: list[_Family]) -> None:
    up = _Family("rsu_uptime_seconds", "gauge", "Seconds since the daemon started.")
    up.add(snap.uptime_s)
    mode = _Family("rsu_operating", "gauge", "1 when operating, 0 in standby (no transmission).")
    mode.add(1 if snap.mode == "operate" else 0)
    bc = _Family("rsu_broadcast_sent", "counter", "Store-and-repeat transmissions by entry.")
    for key, n in sorted(snap.broadcast.by_key.items()):
        bc.add(n, entry=key)
    wd = _Family("rsu_watchdog_pings", "counter", "WATCHDOG=1 messages sent to systemd.")
    wd.add(snap.watchdog.pings)
    fams += [up, mode, bc, wd]


def _health(snap: Snapshot, fams: list[_Family]) -> None:
    alarm = _Family("rsu_alarm_active", "gauge", "1 for each active alarm (source, kind).")
    for a in snap.alarms:
        alarm.add(1, source=a.source, kind=a.kind, severity=a.severity)
    errors = _Family(
        "rsu_internal_errors", "counter", "Unexpected exceptions the core loop survived, by where."
    )
    for where, n in sorted(snap.internal_errors.by_where.items()):
        errors.add(n, where=where)
    part = _Family("rsu_part_value", "gauge", "Numbers in the status of each plug-in part.")
    for name, section in sorted(snap.sections.items()):
        for key, value in sorted(section.items()):
            part.add(value, part=name, name=key)
    fams += [alarm, errors, part]


def render(snap: Snapshot, *, openmetrics: bool = False) -> str:
    """The exposition of ``snap`` (the daemon's stats snapshot)."""
    fams: list[_Family] = []
    for part in (_core, _radio, _queues, _uplink, _perception, _health):
        part(snap, fams)
    lines = [line for fam in fams for line in fam.lines(openmetrics)]
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"


class MetricsServer:
    """``GET /metrics`` on a loopback address; one daemon thread, answers from a snapshot.

    Nothing is bound until ``start()`` (so building the daemon opens no socket)."""

    def __init__(self, listen: tuple[str, int], snapshot: Callable[[], Snapshot]) -> None:
        self.listen = listen
        self._snapshot = snapshot
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        """Where it listens (the port chosen when ``listen`` asked for port 0); None before."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str | None:
        address = self.address
        return None if address is None else f"http://{address[0]}:{address[1]}/metrics"

    def start(self) -> None:
        try:
            self._server = ThreadingHTTPServer(self.listen, _handler(self._snapshot))
        except OSError as err:
            where = "{}:{}".format(*self.listen)
            raise DaemonError(f"cannot listen for metrics on {where}: {err.strerror}") from err
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _handler(snapshot: Callable[[], Snapshot]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            om = "application/openmetrics-text" in self.headers.get("Accept", "")
            body = render(snapshot(), openmetrics=om).encode()
            self.send_response(200)
            self.send_header("Content-Type", OPENMETRICS if om else PROMETHEUS)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
