"""Perception in the daemon: a ``[[perception.cameras]]`` entry with the bundled model and a
real video file (vtest.avi) feeds the fused picture, and the camera's fps and inference time
show in ``rsu status``."""

from __future__ import annotations

from pathlib import Path

from rsu.daemon.control import ControlClient
from tests.daemon.helpers import ROOT, DaemonProcess, wait_until
from tests.perception.conftest import vtest_avi  # noqa: F401 - the session fixture

CONFIG = """
[rsu]
id = "cam-rsu"
latitude = 51.3816          # the origin of the vtest.avi calibration
longitude = -2.3615
[daemon]
control_socket = "rsu-demo/control.sock"
metrics_listen = ""
[radio]
backend = "sim"
[radio.sim]
vehicles = 0
pedestrians = 0
[uplink]
broker = "mqtt://127.0.0.1:9"
spool_path = "rsu-demo/spool.db"
[fusion]
object_list_hz = 1.0
sdsm_hz = 1.0
[perception.detector]
model = "nanodet-m-416-int8"
[[perception.cameras]]
name = "vtest"
source = "{video}"
loop = true
target_fps = 5
calibration = "{calibration}"
"""


def test_a_camera_with_the_bundled_model_and_a_video_file_feeds_fusion(
    tmp_path: Path,
    vtest_avi: Path,  # noqa: F811 - the imported fixture
) -> None:
    calibration = ROOT / "tests" / "perception" / "data" / "vtest_points.toml"
    config = tmp_path / "cam.toml"
    config.write_text(CONFIG.format(video=vtest_avi, calibration=calibration))
    d = DaemonProcess(config, tmp_path)
    try:
        d.wait_ready()
        client = ControlClient(d.socket)

        def status() -> dict:  # type: ignore[type-arg]
            st: dict = client.request("status")["status"]  # type: ignore[type-arg]
            return st

        assert wait_until(lambda: status()["cameras"]["vtest"]["frames"] >= 8, timeout=60)
        cam = status()["cameras"]["vtest"]
        assert cam["inference_ms"] > 0
        assert cam["connected"] is True
        assert cam["stalls"] == 0
        assert cam["fps"] <= 12  # a 10 fps file plays at its own pace, like the camera it was
        assert status()["inputs"]["camera_frames"] >= 8
        assert wait_until(lambda: status()["fusion"]["objects"] > 0, timeout=30)  # pedestrians
        assert d.terminate() == 0
    finally:
        d.close()
