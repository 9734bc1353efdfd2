"""End to end, no hardware: sim radar CAN frames -> decoder -> fusion -> events -> SDSMs."""

from __future__ import annotations

from rsu.clock import FakeClock
from rsu.events.engine import EventEngine
from rsu.events.zones import EventsConfig, Line
from rsu.fusion.fuser import Fusion
from rsu.fusion.model import FusionConfig
from rsu.fusion.sdsm import SdsmBuilder, SdsmSettings
from rsu.sensors.config import MountPose, RadarConfig
from rsu.sensors.radar import RadarDecoder
from rsu.sensors.sim import SimRadarSource
from rsu.sensors.sources import pump
from rsu.v2x.codec import get_codec
from tests.fusion.helpers import FRAME


def test_sim_radar_scene_becomes_events_and_encodable_sdsms() -> None:
    clock = FakeClock()
    config = RadarConfig(backend="sim", sim_targets=6, sim_cycle_s=0.1, pose=MountPose(yaw_deg=0.0))
    source = SimRadarSource(config, clock, sleep=clock.advance)
    decoder = RadarDecoder(config, FRAME)
    fusion = Fusion(FusionConfig(), FRAME)
    # a line across the whole road 60 m north of the radar: every target crosses it sooner or later
    engine = EventEngine(EventsConfig(lines=(Line("gate", (-20.0, 60.0), (20.0, 60.0)),)))
    builder = SdsmBuilder(SdsmSettings(FRAME))
    codec = get_codec("j2735")
    encoded = 0
    for _ in range(150):  # 15 s of radar cycles
        for scan in pump(source, decoder, clock, max_frames=40, timeout=0.2):
            fusion.update_radar(scan.radar, scan.objects, scan.time)
        now = clock.monotonic()
        objects = fusion.fuse(now)
        engine.update(objects, now)
        value = builder.build(objects, clock.time())
        if value is not None:
            codec.encode_message("SensorDataSharingMessage", value)
            encoded += 1
    counts = engine.line_counts["gate"]
    assert decoder.counters.scans >= 140
    assert decoder.counters.malformed_frames == 0
    assert encoded >= 140
    assert sum(counts["forward"].values()) + sum(counts["backward"].values()) >= 3
