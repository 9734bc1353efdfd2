"""Camera sources: real video files through OpenCV, and the sim camera's scripted faults."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.errors import CameraError
from rsu.perception.camera import Camera, CameraConfig, CameraReader
from rsu.perception.sim import SimBackend


def _sim(url: str, clock: FakeClock, **kw: float) -> Camera:
    config = CameraConfig(name="sim", source=url, backend="sim", **kw)  # type: ignore[arg-type]
    return Camera(config, clock=clock, sleep=clock.advance, backend=SimBackend(url, clock.advance))


def test_file_frames_carry_media_time_from_the_requested_range(vtest_avi: Path) -> None:
    clock = FakeClock()
    cam = Camera(CameraConfig(source=str(vtest_avi), realtime=False), clock=clock)
    frames = list(cam.frames(100, 105))
    assert [f.index for f in frames] == [100, 101, 102, 103, 104]
    assert frames[0].time == pytest.approx(clock.time() + 10.0)
    assert np.diff([f.time for f in frames]) == pytest.approx([0.1] * 4, abs=1e-4)
    assert frames[0].size == (768, 576)
    assert cam.health().frames == 5


def test_target_fps_skips_frames_of_a_file_at_an_even_cadence(vtest_avi: Path) -> None:
    config = CameraConfig(source=str(vtest_avi), target_fps=2.5, realtime=False)
    cam = Camera(config, clock=FakeClock())
    assert [f.index for f in cam.frames(0, 13)] == [0, 4, 8, 12]
    assert cam.health().skipped == 9


def test_a_file_camera_delivers_frames_at_the_videos_own_pace(vtest_avi: Path) -> None:
    clock = FakeClock()
    cam = Camera(CameraConfig(source=str(vtest_avi)), clock=clock, sleep=clock.advance)
    start = clock.monotonic()
    frames = list(cam.frames(50, 60))  # 10 frames of a 10 fps video, read from the middle
    assert len(frames) == 10
    assert clock.monotonic() - start == pytest.approx(0.9, abs=1e-6)  # no wait for frame 50


def test_missing_and_unreadable_files_are_camera_errors(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="no such file"):
        Camera(CameraConfig(source=str(tmp_path / "none.avi")))
    junk = tmp_path / "junk.avi"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(CameraError, match="cannot open"):
        Camera(CameraConfig(source=str(junk)))


def test_a_truncated_file_ends_cleanly_and_loops_when_asked(
    vtest_avi: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.avi"
    with vtest_avi.open("rb") as src, cut.open("wb") as dst:
        dst.write(src.read(600_000))
    frames = list(Camera(CameraConfig(source=str(cut), realtime=False), clock=FakeClock()).frames())
    assert 20 < len(frames) < 795
    looped = Camera(CameraConfig(source=str(cut), loop=True, realtime=False), clock=FakeClock())
    indices = [looped.read().index for _ in range(len(frames) + 3)]  # type: ignore[union-attr]
    assert indices[-3:] == [0, 1, 2]


def test_sim_faults_are_counted_skipped_and_recovered_from() -> None:
    clock = FakeClock()
    url = "sim://road?fps=10&disconnect=30&fail_opens=2&black=10-12&corrupt=20-21&freeze=40-70"
    cam = _sim(url, clock, stall_timeout_s=2.0, reconnect_initial_s=0.5)
    with capture_logs() as logs:
        frames = [cam.read() for _ in range(60)]
    assert all(f is not None for f in frames)
    h = cam.health()
    assert (h.black, h.corrupt, h.stalls) == (3, 2, 1)
    assert h.disconnects == 2  # the dropped stream and the frozen one
    assert h.reconnects == 4  # 2 failed + 1 good after the drop, 1 after the stall
    assert h.connected
    times = [f.time for f in frames if f is not None]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert all(f.image.mean() > 20 for f in frames if f is not None)
    events = [(e["event"], e.get("kind")) for e in logs]
    assert events.count(("camera_bad_frame", "black")) == 1  # logged once, counted thrice
    assert ("camera_disconnected", None) in events
    assert ("camera_reconnected", None) in events


def test_target_fps_on_a_live_source_keeps_every_second_frame() -> None:
    clock = FakeClock()
    cam = _sim("sim://road?fps=10", clock, target_fps=5.0)
    frames = [cam.read() for _ in range(10)]
    stamps = np.array([f.monotonic for f in frames if f is not None])
    assert np.diff(stamps) == pytest.approx([0.2] * 9)
    assert cam.health().skipped == 9


def test_reader_thread_drops_the_oldest_frame_when_the_consumer_is_slow() -> None:
    cam = Camera(CameraConfig(name="r", source="sim://road?fps=10", backend="sim"))
    reader = CameraReader(cam, maxsize=2)
    reader.start()
    got = [reader.get(timeout=5.0) for _ in range(5)]
    for _ in range(50):  # let the producer overrun the queue
        if reader.dropped > 10:
            break
        reader.finished.wait(0.01)
    reader.stop()
    assert all(f is not None for f in got)
    assert reader.dropped > 10
    indices = [f.index for f in got if f is not None]
    assert indices == sorted(indices)
    assert reader.finished.is_set()


def test_the_test_video_is_debians_vtest(vtest_avi: Path) -> None:
    assert vtest_avi.stat().st_size == 8131690


def test_closing_a_camera_ends_its_reconnect_back_off_at_once() -> None:
    url = "sim://road?fps=10&disconnect=2&fail_opens=1000"
    cam = Camera(CameraConfig(name="r", source=url, backend="sim", reconnect_initial_s=30.0))
    reader = CameraReader(cam)
    reader.start()
    assert reader.get(timeout=5.0) is not None
    assert not reader.finished.wait(0.2)  # stuck waiting to reconnect
    reader.stop(timeout=5.0)
    assert reader.finished.wait(1.0)
    assert cam.health().disconnects == 1
