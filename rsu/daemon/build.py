"""``build(config, clock) -> Daemon``: the one composition root, read top to bottom.

Receive path: radio -> its inbox queue -> core (framing + codec) -> uplink / road picture.
Transmit path: broadcast scheduler (+ what the stages return) -> core -> radio.
Side inputs: GNSS, CAN radars and cameras, each on its own thread and its own bounded queue;
cloud commands and control requests too. One ``Inbox`` wakes the core for all of them, and
each queue has its one handler, registered here. Every object is made here, once, with what
it needs; nothing is patched afterwards. Nothing is started either: ``Daemon.start()`` does
that, so a failed build leaves no threads and no sockets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from rsu.alarms import AlarmBoard
from rsu.broadcast import Scheduler, Upsert, load_message
from rsu.broadcast.standards import FrameEncoder
from rsu.clock import Clock
from rsu.daemon.cloud import CloudBroadcasts, CloudDesk, CloudGate, PartCommand
from rsu.daemon.control import ControlServer
from rsu.daemon.core import AlarmListener, Core, FrameListener, MessageListener, UpsertListener
from rsu.daemon.daemon import Daemon, Flags, Parts
from rsu.daemon.desk import ControlDesk, Info, Modes
from rsu.daemon.edges import CameraEdge, Edge, RadarEdge
from rsu.daemon.front import ControlFront
from rsu.daemon.inbox import Inbox
from rsu.daemon.metrics import MetricsServer
from rsu.daemon.notify import Notifier, Watchdog, watchdog_interval
from rsu.daemon.reload import Reloader
from rsu.daemon.requests import ControlRequest
from rsu.daemon.stats import SnapshotReader, Stats, StatsSources
from rsu.daemon.tail import TailHub
from rsu.queues import DROP_NEWEST, DROP_OLDEST, BoundedQueue
from rsu.radio import open_radio
from rsu.stage import Outputs, Section, Stage
from rsu.uplink.commands import Command
from rsu.uplink.service import Uplink
from rsu.v2x.codec import get_codec

if TYPE_CHECKING:
    from rsu.config.model import Config
    from rsu.daemon.gnss import GnssWatch
    from rsu.daemon.picture import Picture
    from rsu.energy.stage import EnergyStage
    from rsu.geo import LocalFrame
    from rsu.gnss import Gnss
    from rsu.management.part import SnmpPart
    from rsu.radio.types import Radio
    from rsu.security.stage import SecurityStage
    from rsu.signals.stage import SignalsStage
    from rsu.uplink.broadcast import BroadcastCheck
    from rsu.uplink.status import Birth
    from rsu.v2x.codec import Codec

CAMERA_QUEUE = 32
"""Detection results waiting for the core, per camera (oldest dropped: fresh ones matter)."""


@dataclass(frozen=True, slots=True)
class _Sensors:
    """The optional parts: their edges (started and stopped with the daemon), the stages the
    core ticks, the listeners it tells of every decoded message (with its frame: ``frames``)
    and of every alarm change, the readers of each new stats snapshot, and the sections of
    the snapshot they add. A new part is made in ``_sensors`` and added here."""

    gnss: Gnss | None
    gnss_watch: GnssWatch | None
    picture: Picture | None
    edges: tuple[Edge, ...]
    stages: tuple[Stage, ...] = ()
    listeners: tuple[MessageListener, ...] = ()
    frames: tuple[FrameListener, ...] = ()
    alarms: tuple[AlarmListener, ...] = ()
    readers: tuple[SnapshotReader, ...] = ()
    sections: tuple[Section, ...] = ()
    upsert_listeners: tuple[UpsertListener, ...] = ()
    commands: tuple[PartCommand, ...] = ()
    """Cloud commands a part owns (``site_status``: the charging sites)."""


def build(config: Config, clock: Clock) -> Daemon:
    codec = get_codec(config.rsu.standard)  # compiled once (disk cache) before anything runs
    inbox = Inbox()  # one bounded queue per edge; served in this order, in turn
    control: BoundedQueue[ControlRequest] = inbox.add(
        "control", config.daemon.control_queue, DROP_NEWEST
    )  # full: the caller is told "busy"
    commands: BoundedQueue[Command] = inbox.add(
        "commands", config.daemon.control_queue, DROP_NEWEST
    )  # full: an error ACK
    gnss, watch = _gnss(config, clock, inbox)
    radio = open_radio(config.radio, clock, inbox.add("radio", config.daemon.inbound_queue))
    security = _security(config, clock.time())  # a bad key or PKI fails the build here
    sensors = _sensors(config, clock, inbox, gnss, watch, security)
    broadcasts = CloudBroadcasts(config)
    uplink = Uplink(
        config.uplink,
        clock=clock,
        on_command=CloudGate(commands, clock, broadcasts, sensors.commands),
        check_broadcast=_broadcast_check(config, codec),
        birth=_birth(config),
    )
    core = _core(config, clock, codec, radio, uplink, sensors, security)
    inbox.handle(radio.rx, core.on_rx)
    notifier = Notifier()
    watchdog = Watchdog(notifier, watchdog_interval() or config.daemon.watchdog_fallback_s or None)
    stats = Stats(_sources(config, clock, core, inbox, watchdog, sensors))
    flags = Flags()
    front = ControlFront(control, core.tail, stats, config.rsu.id, radio.limits, lambda: flags.stop)
    server = ControlServer(config.daemon.control_socket, front.handle)
    listen = config.daemon.metrics_listen
    metrics = MetricsServer(listen, stats.latest) if listen is not None else None
    info = Info(
        rsu_id=config.rsu.id,
        config_path=str(config.path) if config.path else None,
        clock=clock,
        control=server,
        metrics=metrics,
        watchdog=watchdog,
        notifier=notifier,
    )
    modes = Modes(core, uplink, notifier)
    reloader = Reloader(config, clock, core, uplink.gate, notifier, modes.status_line)
    inbox.handle(control, ControlDesk(core, modes, stats, reloader, info).answer)
    inbox.handle(commands, CloudDesk(modes, broadcasts, config.log.format, sensors.commands).apply)
    inbox.check()
    return Daemon(
        Parts(
            clock, radio, uplink, core, inbox, notifier, watchdog, server, stats, reloader,
            modes, info, flags, metrics, gnss, sensors.edges, sensors.picture,
        )
    )  # fmt: skip


def _core(
    config: Config,
    clock: Clock,
    codec: Codec,
    radio: Radio,
    uplink: Uplink,
    sensors: _Sensors,
    security: SecurityStage | None,
) -> Core:
    stages = sensors.stages
    return Core(
        codec=codec,
        radio=radio,
        uplink=uplink,
        scheduler=_scheduler(config, clock, security),
        tail=TailHub(config.daemon.tail_queue),
        alarms=AlarmBoard(),
        stages=(*stages, security) if security is not None else stages,
        listeners=sensors.listeners,
        frame_listeners=sensors.frames,
        alarm_listeners=sensors.alarms,
        upsert_listeners=sensors.upsert_listeners,
        security=security,  # also on its own: verification in on_rx, signing in transmit
    )


def _security(config: Config, utc: float) -> SecurityStage | None:
    """IEEE 1609.2: verify on receive, sign at the one transmit boundary (``Core.transmit``)."""
    if config.security is None:
        return None
    from rsu.security.setup import build_stage

    rsu = config.rsu
    position = None
    if rsu.latitude is not None and rsu.longitude is not None:
        position = (round(rsu.latitude * 1e7), round(rsu.longitude * 1e7))
    return build_stage(config.security, config.resolve, utc, position)


def _scheduler(config: Config, clock: Clock, security: SecurityStage | None) -> Scheduler:
    """The store-and-repeat table, with the config's entries in it (each entry to be signed
    checked against the RSU certificate first: a PSID it lacks is a config error)."""
    encoder = FrameEncoder()  # each frame with the codec of its own standard (J2735/CSAE 53)
    scheduler = Scheduler(encoder, config.broadcast.max_entries)
    now, utc = clock.monotonic(), clock.time()
    loaded = [load_message(entry, config.base_dir, encoder) for entry in config.broadcast.messages]
    if security is not None:
        from rsu.security.setup import check_broadcasts

        check_broadcasts(security, [(m.key, m.message_type, m.psid) for m in loaded])
    for message in loaded:
        scheduler.on_event(Upsert(message), now, utc)
    return scheduler


def _sources(
    config: Config, clock: Clock, core: Core, inbox: Inbox, watchdog: Watchdog, sensors: _Sensors
) -> StatsSources:
    return StatsSources(
        rsu_id=config.rsu.id,
        clock=clock,
        started=clock.monotonic(),
        core=core,
        uplink=core.uplink,
        uplink_queue=config.uplink.queue_size,
        radio=core.radio,
        inbox=inbox,
        watchdog=watchdog,
        tail_queue=config.daemon.tail_queue,
        gnss=sensors.gnss,
        gnss_watch=sensors.gnss_watch,
        edges=sensors.edges,
        picture=sensors.picture,
        sections=(*sensors.sections, core.security)
        if core.security is not None
        else sensors.sections,
        readers=sensors.readers,
    )


def _sensors(
    config: Config,
    clock: Clock,
    inbox: Inbox,
    gnss: Gnss | None,
    watch: GnssWatch | None,
    security: SecurityStage | None,
) -> _Sensors:
    """The road picture, radars, cameras, live SPaT and the SNMP agent, each queue with its
    handler (new parts here)."""
    frame = config.rsu.local_frame() if config.fusion or config.radars else None  # numpy
    picture = _picture(config, frame)
    radars = _radars(config, clock, frame, inbox)
    cameras = _cameras(config, inbox)
    for radar in radars:
        inbox.handle(radar.queue, _ignore if picture is None else picture.on_radar)
    for camera in cameras:
        inbox.handle(camera.queue, _ignore if picture is None else picture.on_camera)
    edges: tuple[Edge, ...] = (*radars, *cameras)
    stages: tuple[Stage, ...] = () if picture is None else (picture,)
    listeners: tuple[MessageListener, ...] = () if picture is None else (picture.on_v2x,)
    sections: tuple[Section, ...] = ()
    upserts: tuple[UpsertListener, ...] = ()
    signals = _signals(config, clock, inbox)
    if signals is not None:
        # the source is structurally an edge (name, start, stop, health) with its own thread(s)
        edges += (cast("Edge", signals.source),)
        stages, sections, upserts = (*stages, signals), (signals,), (signals.on_upsert,)
    energy = _energy(config, clock, inbox)
    commands: tuple[PartCommand, ...] = ()
    if energy is not None:  # charging sites: one polling edge per site (none for cloud sites)
        edges += tuple(cast("Edge", source) for source in energy.sources)
        stages, sections = (*stages, energy), (*sections, energy)
        commands = (PartCommand("site_status", energy.check_command, energy.on_command),)
    snmp = _snmp(config, clock, inbox, security)
    return _Sensors(
        gnss,
        watch,
        picture,
        (*edges, *((snmp.edge,) if snmp else ())),
        stages=stages,
        listeners=listeners,
        frames=(snmp.on_frame,) if snmp else (),
        alarms=(snmp.on_alarm,) if snmp else (),
        readers=(snmp.on_snapshot,) if snmp else (),
        sections=(*sections, *((snmp,) if snmp else ())),
        upsert_listeners=upserts,
        commands=commands,
    )


def _signals(config: Config, clock: Clock, inbox: Inbox) -> SignalsStage | None:
    """Signal controllers -> live SPaT (``[signals]``): the MAP mapping checked, one queue."""
    sc = config.signals
    if sc is None:
        return None
    from rsu.signals.stage import build_stage, frame_loader, map_frames, settings_for

    standard = config.rsu.standard
    maps = map_frames(sc, config.broadcast.messages, frame_loader(config.base_dir, FrameEncoder()))
    aids = config.csae53.aids if config.csae53 is not None else None
    queue = inbox.add("signals", sc.queue_size, DROP_OLDEST)
    stage = build_stage(
        sc, settings_for(sc, standard, aids), get_codec(standard), clock, maps, queue
    )
    inbox.handle(queue, stage.on_item)
    return stage


def _energy(config: Config, clock: Clock, inbox: Inbox) -> EnergyStage | None:
    """Charging sites (``[energy]``) -> TIM/RSI entries, ``sites`` records, events, alarms."""
    ec = config.energy
    if ec is None:
        return None
    from rsu.energy.stage import air_settings, build_stage

    aids = config.csae53.aids if config.csae53 is not None else None
    settings = air_settings(ec, config.rsu.standard, config.rsu.id, aids)
    queue = inbox.add("energy", ec.queue_size, DROP_OLDEST)
    stage = build_stage(ec, settings, clock, queue, config.resolve)
    inbox.handle(queue, stage.on_item)
    return stage


def _snmp(
    config: Config, clock: Clock, inbox: Inbox, security: SecurityStage | None
) -> SnmpPart | None:
    """``[snmp]``: the NTCIP 1218 agent. Its SETs come on the ``snmp`` queue (full: the
    manager is told resourceUnavailable). A row asking for 1609.2 signing is accepted only
    where the security layer can sign its PSID (without one: refused)."""
    if config.snmp is None:
        return None
    from rsu.management.part import SnmpPart

    queue = inbox.add("snmp", 16, DROP_NEWEST)
    decode = get_codec(config.rsu.standard).decode
    signing = None if security is None else partial(security.unsignable, "", "", asked=True)
    part = SnmpPart(config.snmp, config.rsu, clock, queue, decode, signing)
    inbox.handle(queue, part.on_request)
    return part


def _broadcast_check(config: Config, codec: Codec) -> BroadcastCheck:
    """Cloud ``broadcast`` commands decoded/encoded with the RSU's codec before the ACK."""
    import functools

    from rsu.daemon.csae import cloud_frame
    from rsu.uplink.broadcast import BroadcastCheck

    return BroadcastCheck(codec, functools.partial(cloud_frame, config))


def _birth(config: Config) -> Birth:
    """What the retained birth message says this RSU is."""
    from rsu import __version__
    from rsu.uplink.status import Birth

    lat, lon = config.rsu.latitude, config.rsu.longitude
    position = (lat, lon) if lat is not None and lon is not None else None
    parts = {
        "gnss": config.gnss,
        "fusion": config.fusion,
        "radar": config.radars,
        "signals": config.signals,  # live SPaT from signal controllers
        "security": config.security,  # IEEE 1609.2 verify and sign
        "snmp": config.snmp,  # NTCIP 1218 agent
        "energy": config.energy,  # charging sites told to vehicles
    }
    caps = ("receive", "broadcast", *(name for name, on in parts.items() if on))
    return Birth(config.rsu.standard, position, caps, version=__version__)


def _ignore(item: object, now: float, utc: float) -> Outputs | None:
    """The handler of a sensor queue nothing consumes (radars without ``[fusion]``): counted."""
    return None


def _gnss(config: Config, clock: Clock, inbox: Inbox) -> tuple[Gnss | None, GnssWatch | None]:
    if config.gnss is None:
        return None, None
    from rsu.daemon.gnss import GnssWatch
    from rsu.gnss import open_gnss

    queue = inbox.add("gnss", config.gnss.queue_size, DROP_OLDEST)
    watch = GnssWatch()
    inbox.handle(queue, watch.on_event)
    return open_gnss(config.gnss, clock, queue), watch


def _picture(config: Config, frame: LocalFrame | None) -> Picture | None:
    if config.fusion is None:
        return None
    if frame is None:
        from rsu.errors import ConfigError

        raise ConfigError("rsu.latitude", "[fusion] needs the RSU position (latitude, longitude)")
    from rsu.daemon.picture import Picture
    from rsu.daemon.sharing import SdsmShare, SensorShare
    from rsu.events.engine import EventEngine
    from rsu.fusion.fuser import Fusion
    from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings

    fc = config.fusion
    events = EventEngine(config.events) if config.events is not None else None
    share: SensorShare
    if config.rsu.standard == "csae53":  # China mode: RSM and RSI instead of the SDSM
        from rsu.daemon.csae import make_csae_share

        share = make_csae_share(config.rsu.id, frame, fc, config.events, config.csae53)
    else:
        settings = SdsmSettings(frame, fc.source_id, max_objects=fc.sdsm_max_objects)
        share = SdsmShare(SdsmBuilder(settings), fc.sdsm_hz)
    return Picture(fc, frame, Fusion(fc, frame), events, share, config.rsu.id)


def _radars(
    config: Config, clock: Clock, frame: LocalFrame | None, inbox: Inbox
) -> list[RadarEdge]:
    if not config.radars:
        return []
    from rsu.sensors.radar import RadarDecoder
    from rsu.sensors.sources import open_source

    return [
        RadarEdge(
            rc.name,
            open_source(rc, clock),
            RadarDecoder(rc, frame),
            clock,
            inbox.add(f"radar-{rc.name}", rc.queue_size),
        )
        for rc in config.radars
    ]


def _cameras(config: Config, inbox: Inbox) -> list[CameraEdge]:
    pc = config.perception
    if pc is None or not pc.cameras:
        return []
    from rsu.clock import SystemClock
    from rsu.perception.calibration import Calibration
    from rsu.perception.camera import Camera, CameraReader
    from rsu.perception.detector import create_detector
    from rsu.perception.pipeline import CameraPipeline
    from rsu.perception.tracker import Tracker

    edges: list[CameraEdge] = []
    for cam in pc.cameras:
        calibration = Calibration.load(config.resolve(cam.calibration)) if cam.calibration else None
        tracker = Tracker(pc.tracker) if calibration is not None else None
        pipeline = CameraPipeline(create_detector(pc.detector), calibration, tracker)
        camera = Camera(cam, clock=SystemClock())
        queue = inbox.add(f"camera-{cam.name}", CAMERA_QUEUE)
        edges.append(CameraEdge(CameraReader(camera), pipeline, queue))
    return edges
