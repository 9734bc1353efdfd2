"""Perception fixtures: the real test video, and the default detector built once.

``vtest_avi``: ``examples/data/vtest.avi`` (768x576, 10 fps, 795 frames, pedestrians seen from
an elevated fixed camera) from Debian's ``opencv-doc`` package, extracted with
``apt-get download`` + ``dpkg-deb`` into a cache directory (``$RSU_TEST_CACHE`` or
``~/.cache/rsu-edge-tests``) the first time. ``apt-get download`` needs the package lists:
run ``apt-get update`` once before the tests (``.ci/run`` does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

MEMBER = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
INSTALLED = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def _cache_dir() -> Path:
    default = Path.home() / ".cache" / "rsu-edge-tests"
    return Path(os.environ.get("RSU_TEST_CACHE", default))


def _extract(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            ["apt-get", "download", "opencv-doc"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        debs = list(Path(tmp).glob("opencv-doc_*.deb"))
        if got.returncode != 0 or not debs:
            pytest.fail(
                "cannot fetch vtest.avi: `apt-get download opencv-doc` failed "
                f"(run `apt-get update` first?): {got.stderr.strip()[-400:]}"
            )
        with subprocess.Popen(
            ["dpkg-deb", "--fsys-tarfile", str(debs[0])], stdout=subprocess.PIPE
        ) as deb:
            subprocess.run(
                ["tar", "-x", "-C", tmp, MEMBER], stdin=deb.stdout, check=True, timeout=120
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_suffix(".part")
        shutil.copyfile(Path(tmp) / MEMBER, part)
        part.replace(dest)


@pytest.fixture(scope="session")
def vtest_avi() -> Path:
    if INSTALLED.is_file():
        return INSTALLED
    dest = _cache_dir() / "vtest.avi"
    if not dest.is_file():
        _extract(dest)
    return dest


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
