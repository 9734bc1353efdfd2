"""Perception fixtures: the real test video, and the default detector built once.

``vtest_avi``: Debian's ``examples/data/vtest.avi`` (see ``tests/perception/video.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.perception.video import vtest_path


@pytest.fixture(scope="session")
def vtest_avi() -> Path:
    try:
        return vtest_path()
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def vtest_frames(vtest_avi: Path) -> dict[int, np.ndarray]:
    """Every 15th frame of the first 300 (20 frames), decoded once."""
    import cv2

    cap = cv2.VideoCapture(str(vtest_avi))
    frames: dict[int, np.ndarray] = {}
    for index in range(300):
        ok, image = cap.read()
        assert ok, f"vtest.avi ended early at frame {index}"
        if index % 15 == 0:
            frames[index] = image
    cap.release()
    return frames


@pytest.fixture(scope="session")
def default_detector() -> object:
    from rsu.perception.detector import DetectorConfig, OnnxDetector

    return OnnxDetector(DetectorConfig())
