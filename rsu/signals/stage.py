"""The signals part of the daemon: the source edge, its queue and the SPaT core, as one stage.

``build_stage`` makes it from the config (checking the mapping against the named MAPs and that
one SPaT per intersection encodes and decodes back through the codec, before anything runs).
The daemon's inbox hands each item of the ``signals`` queue to ``on_item``; the core ticks it
(``tick``, ``next_deadline``: the staleness rule); ``status()`` is its section of the stats
snapshot; ``on_upsert`` follows the MAP it belongs to. Everything returned is ``rsu.stage``
``Outputs`` that the daemon's core routes: SPaT through the one transmit path (so standby,
radio limits, signing and counters apply to SPaT as to everything else), records to the
uplink, the alarm to the board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from rsu.clock import Clock
from rsu.errors import ConfigError, RsuError
from rsu.queues import DROP_OLDEST, BoundedQueue
from rsu.registry import DEFAULT_MESSAGE_SET, load, message_set, message_set_names
from rsu.signals import SOURCES
from rsu.signals.config import SignalsConfig
from rsu.signals.core import SignalsCore, SpatSettings, groups_text
from rsu.signals.mapref import MapRef, check_groups, map_ref
from rsu.signals.model import Datagram, Report
from rsu.stage import Outputs
from rsu.wire import BroadcastMessage

log = structlog.get_logger(__name__)


class SignalsStage:
    """``rsu.stage.Stage`` and ``Section`` of the daemon; ``source`` is its edge."""

    name = "signals"

    def __init__(
        self, core: SignalsCore, source: Any, queue: BoundedQueue[Datagram | Report], clock: Clock
    ) -> None:
        self.core = core
        self.source = source
        self.queue = queue
        self.clock = clock

    def on_item(self, item: Datagram | Report, now: float, utc: float) -> Outputs:
        """The handler of the ``signals`` queue."""
        if isinstance(item, Datagram):
            return self.core.on_datagram(item, now)
        return self.core.on_report(item, now)

    def tick(self, now: float, utc: float) -> Outputs:
        return self.core.tick(now)

    def next_deadline(self) -> float | None:
        return self.core.next_deadline()

    def on_upsert(self, message: BroadcastMessage) -> None:
        """A broadcast entry was put in the table; when it is a MAP a SPaT names, follow it."""
        if message.key not in self.core.config.maps:
            return
        frame = _frame_jer(message)
        if frame is None:
            return
        try:
            self.core.on_map(message.key, map_ref(message.key, frame))
        except ConfigError as err:
            log.warning("signals_map_mismatch", problem=str(err))

    def status(self) -> Mapping[str, object]:
        """One line in ``rsu status`` (the scalar values: per intersection its controller,
        the age of its last update and its groups), everything in ``detail``."""
        snap = self.core.snapshot(self.clock.monotonic())
        out: dict[str, object] = {
            "source": snap["source"],
            "spat_sent": snap["counters"]["spat_sent"],
            "lost": sum(1 for i in snap["intersections"] if i["lost"]),
        }
        for item, row in zip(self.core.live, snap["intersections"], strict=True):
            age = "never heard" if row["age_s"] is None else f"{row['age_s']:.2f} s ago"
            state = "LOST" if row["lost"] else "ok"
            out[f"[{item.cfg.key}]"] = (
                f"{row['controller'] or '-'} {state}, {age}: {groups_text(item.groups)}"
            )
        out["detail"] = {**snap, "edge": self.source.health()}
        return out


def _frame_jer(message: BroadcastMessage) -> dict[str, Any] | None:
    """The MessageFrame JER of a MAP entry (a UPER one decoded with either codec)."""
    if message.frame_jer is not None:
        return dict(message.frame_jer)
    if message.payload is None or message.message_type != "MAP":
        return None
    from rsu.v2x.codec import get_codec

    for standard in message_set_names():  # UPER carries no mark of its set: try each
        try:
            return get_codec(standard).decode(message.payload, unwrap=False).jer()
        except RsuError:
            continue
    return None


def map_frames(cfg: SignalsConfig, messages: Sequence[Any], load_frame: Any) -> dict[str, MapRef]:
    """The ``MapRef`` of each MAP entry a ``[signals]`` intersection names (``load_frame``:
    entry config -> the frame's JER)."""
    by_name = {m.name: m for m in messages}
    out: dict[str, MapRef] = {}
    for name in dict.fromkeys(cfg.maps):
        entry = by_name.get(name)
        if entry is None:  # the loader checks names; a reload may still race
            raise ConfigError(f"{cfg.where}.map", f"no [[broadcast.messages]] entry {name!r}")
        out[name] = map_ref(f"broadcast.messages {name!r}", load_frame(entry))
    return out


def revisions(cfg: SignalsConfig, maps: dict[str, MapRef], standard: str) -> dict[str, int]:
    """Check every intersection against its MAP; the MAP revision per intersection key."""
    out: dict[str, int] = {}
    ms = message_set(standard)
    most, label = ms.max_signal_groups, ms.label
    for item in cfg.intersections:
        if most is not None and len(item.groups) > most:
            raise ConfigError(f"{item.where}.groups", f"{label} SPAT takes at most {most} phases")
        if item.map is None:
            continue
        # A MAP of the other standard is allowed (one broadcast table holds both): its
        # intersection ids and signal groups (CSAE 53: phase ids) are the same numbers.
        ref = maps[item.map]
        out[item.key] = check_groups(
            ref, item.region, item.intersection_id, item.groups, item.where
        )
    return out


def build_stage(
    cfg: SignalsConfig,
    settings: SpatSettings,
    codec: Any,
    clock: Clock,
    maps: dict[str, MapRef],
    queue: BoundedQueue[Datagram | Report] | None = None,
) -> SignalsStage:
    """Check the mapping, compile the path once (a sample SPaT must decode back), make the
    source (not started)."""
    revs = revisions(cfg, maps, settings.standard)
    core = SignalsCore(cfg, settings, codec.encode, revisions=revs, started=clock.monotonic())
    self_check(core, codec)
    if queue is None:  # (an empty BoundedQueue is falsy: no "or" here)
        queue = BoundedQueue(cfg.queue_size, policy=DROP_OLDEST)
    source_cls = load(SOURCES, cfg.source, "signals", extra="signals")
    return SignalsStage(core, source_cls(cfg, clock, queue), queue, clock)


def self_check(core: SignalsCore, codec: Any) -> None:
    """Encode one SPaT per intersection from a dark controller and decode it back."""
    from dataclasses import replace

    from rsu.signals.model import ControllerState

    for item in core.live:
        probe = SignalsCore(
            replace(core.config, intersections=(item.cfg,), record_hz=0.0),
            core.settings,
            codec.encode,
            revisions={item.cfg.key: item.revision},
        )
        peer = item.cfg.controller or "self-check"
        out = probe.on_report(Report(ControllerState(), peer, 0.0, 0.0), 0.0)
        if not out.transmissions:
            raise ConfigError(item.cfg.where, "the SPaT of this intersection does not encode")
        try:
            back = codec.decode(out.transmissions[0].payload, unwrap=False)
        except RsuError as err:
            raise ConfigError(item.cfg.where, f"its SPaT does not decode back: {err}") from err
        if back.short_name != "SPAT":
            raise ConfigError(item.cfg.where, f"its SPaT decodes as {back.short_name}")


def frame_loader(base_dir: Any, encoder: Any) -> Callable[[Any], dict[str, Any]]:
    """``[[broadcast.messages]]`` entry -> its MessageFrame JER (a hex file is decoded with
    the codec of the entry's ``standard``, J2735 when not given, as the broadcast table does)."""
    from rsu.broadcast.config import load_message
    from rsu.v2x.codec import get_codec

    def load_frame(entry: Any) -> dict[str, Any]:
        message = load_message(entry, base_dir, encoder)
        if message.frame_jer is not None:
            return message.frame_jer
        assert message.payload is not None
        codec = get_codec(entry.standard or DEFAULT_MESSAGE_SET)
        try:
            return codec.decode(message.payload, unwrap=False).jer()
        except RsuError as err:
            raise ConfigError(f"{entry.where}.file", f"does not decode: {err}") from err

    return load_frame


def settings_for(cfg: SignalsConfig, standard: str, section: Any = None) -> SpatSettings:
    """The SPaT PSID of the set unless ``[signals] psid`` says otherwise: 0x8002 (J2735), the
    CSAE 53 SPAT AID (``[csae53.aids]``, ``section``, or 3619)."""
    psid = cfg.psid
    if psid is None:
        psid = message_set(standard).configured_psid("SPAT", section) or 0x8002
    return SpatSettings(standard, psid, cfg.channel, cfg.priority)


def check_mapping(config: Any) -> list[list[str]]:
    """``rsu config check``: the ``[signals]`` mapping against the MAPs it names (the same
    checks as the daemon's start, no socket opened); one row per intersection."""
    sc = config.signals
    if sc is None:
        return []
    from rsu.broadcast.standards import FrameEncoder
    from rsu.v2x.codec import get_codec

    standard = config.rsu.standard
    loader = frame_loader(config.base_dir, FrameEncoder())
    revs = revisions(sc, map_frames(sc, config.broadcast.messages, loader), standard)
    section = message_set(standard).section_of(config)
    core = SignalsCore(
        sc, settings_for(sc, standard, section), get_codec(standard).encode, revisions=revs
    )
    self_check(core, get_codec(standard))
    rows = []
    for item in sc.intersections:
        groups = ", ".join(str(g.signal_group) for g in item.groups)
        where = f"MAP {item.map!r} revision {revs[item.key]}" if item.map else "no MAP named"
        rows.append([item.where, f"intersection {item.key}, groups {groups}", f"{where}; SPaT ok"])
    return rows
