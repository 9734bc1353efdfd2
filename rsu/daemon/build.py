"""``build(config, clock) -> Daemon``: the one composition root, read top to bottom.

Receive path: radio -> its inbox queue -> core (framing + codec) -> fusion / uplink.
Transmit path: broadcast scheduler (+ SDSMs from fusion) -> core -> radio.
Side inputs: GNSS, CAN radars and cameras, each on its own thread and its own bounded queue;
cloud commands and control requests too. One ``Inbox`` wakes the core for all of them.
Nothing is started here: ``Daemon.start()`` does that, so a failed build leaves no threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from rsu.broadcast import Scheduler, Upsert, load_message
from rsu.broadcast.standards import FrameEncoder
from rsu.clock import Clock
from rsu.daemon.core import Core, TailHub
from rsu.daemon.daemon import Daemon, Parts
from rsu.daemon.edges import CameraEdge, Edge, RadarEdge
from rsu.daemon.inbox import Inbox
from rsu.radio import open_radio
from rsu.radio.types import DROP_NEWEST, DROP_OLDEST
from rsu.uplink.service import Uplink
from rsu.v2x.codec import get_codec

if TYPE_CHECKING:
    from rsu.config.model import Config
    from rsu.daemon.picture import Picture
    from rsu.perception.geo import LocalFrame

log = structlog.get_logger(__name__)

CAMERA_QUEUE = 32
"""Detection results waiting for the core, per camera (oldest dropped: fresh ones matter)."""


def build(config: Config, clock: Clock) -> Daemon:
    codec = get_codec(config.rsu.standard)  # compiled once (disk cache) before anything runs
    inbox = Inbox()  # one bounded queue per edge; served in this order, in turn
    control = inbox.add("control", config.daemon.control_queue, DROP_NEWEST)  # caller told
    inbox.add("commands", config.daemon.control_queue, DROP_NEWEST)  # error ACK when full
    gnss = _gnss(config, clock, inbox)
    radio = open_radio(config.radio, clock, inbox.add("radio", config.daemon.inbound_queue))
    uplink = Uplink(
        config.uplink,
        clock=clock,
        check_broadcast=_broadcast_check(config, codec),
        birth=_birth(config),
    )
    encoder = FrameEncoder()  # each frame with the codec of its own standard (J2735/CSAE 53)
    scheduler = Scheduler(encoder, config.broadcast.max_entries)
    now, utc = clock.monotonic(), clock.time()
    for entry in config.broadcast.messages:
        scheduler.on_event(Upsert(load_message(entry, config.base_dir, encoder)), now, utc)
    frame = config.rsu.local_frame() if config.fusion or config.radars else None  # numpy
    picture = _picture(config, frame)
    edges: list[Edge] = [*_radars(config, clock, frame, inbox), *_cameras(config, inbox)]
    tail = TailHub(config.daemon.tail_queue)
    core = Core(
        codec=codec, radio=radio, uplink=uplink, scheduler=scheduler, tail=tail, perception=picture
    )
    parts = Parts(radio, uplink, core, inbox, control, tail, gnss, edges, picture)
    daemon = Daemon(config, clock, parts)
    from rsu.daemon.commands import cloud_handler

    uplink.on_command = cloud_handler(daemon)
    return daemon


def _broadcast_check(config: Config, codec: Any) -> Any:
    """Cloud ``broadcast`` commands decoded/encoded with the RSU's codec before the ACK."""
    import functools

    from rsu.daemon.csae import cloud_frame
    from rsu.uplink.broadcast import BroadcastCheck

    return BroadcastCheck(codec, functools.partial(cloud_frame, config))


def _birth(config: Config) -> Any:
    """What the retained birth message says this RSU is."""
    from rsu import __version__
    from rsu.uplink.status import Birth

    lat, lon = config.rsu.latitude, config.rsu.longitude
    position = (lat, lon) if lat is not None and lon is not None else None
    parts = {"gnss": config.gnss, "fusion": config.fusion, "radar": config.radars}
    caps = ("receive", "broadcast", *(name for name, on in parts.items() if on))
    return Birth(config.rsu.standard, position, caps, version=__version__)


def _gnss(config: Config, clock: Clock, inbox: Inbox) -> Any:
    if config.gnss is None:
        return None
    from rsu.gnss import open_gnss

    return open_gnss(config.gnss, clock, inbox.add("gnss", config.gnss.queue_size, DROP_OLDEST))


def _picture(config: Config, frame: LocalFrame | None) -> Picture | None:
    if config.fusion is None:
        return None
    if frame is None:
        from rsu.errors import ConfigError

        raise ConfigError("rsu.latitude", "[fusion] needs the RSU position (latitude, longitude)")
    from rsu.daemon.picture import Picture
    from rsu.events.engine import EventEngine
    from rsu.fusion.fuser import Fusion
    from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings

    fc = config.fusion
    events = EventEngine(config.events) if config.events is not None else None
    sdsm = SdsmBuilder(SdsmSettings(frame, fc.source_id, max_objects=fc.sdsm_max_objects))
    picture = Picture(fc, frame, Fusion(fc, frame), events, sdsm, config.rsu.id)
    if config.rsu.standard == "csae53":  # China mode: RSM and RSI instead of the SDSM
        from rsu.daemon.csae import make_csae_share

        picture.csae = make_csae_share(config.rsu.id, frame, fc, config.events, config.csae53)
    return picture


def _radars(config: Config, clock: Clock, frame: LocalFrame | None, inbox: Inbox) -> list[Edge]:
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


def _cameras(config: Config, inbox: Inbox) -> list[Edge]:
    pc = config.perception
    if pc is None or not pc.cameras:
        return []
    from rsu.clock import SystemClock
    from rsu.perception.calibration import Calibration
    from rsu.perception.camera import Camera, CameraReader
    from rsu.perception.detector import create_detector
    from rsu.perception.pipeline import CameraPipeline
    from rsu.perception.tracker import Tracker

    edges: list[Edge] = []
    for cam in pc.cameras:
        calibration = Calibration.load(config.resolve(cam.calibration)) if cam.calibration else None
        tracker = Tracker(pc.tracker) if calibration is not None else None
        pipeline = CameraPipeline(create_detector(pc.detector), calibration, tracker)
        camera = Camera(cam, clock=SystemClock())
        queue = inbox.add(f"camera-{cam.name}", CAMERA_QUEUE)
        edges.append(CameraEdge(CameraReader(camera), pipeline, queue))
    return edges
