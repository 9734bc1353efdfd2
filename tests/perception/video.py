"""The real test video: ``examples/data/vtest.avi`` from Debian's ``opencv-doc`` package.

768x576, 10 fps, 795 frames, pedestrians seen from an elevated fixed camera. Used as installed
when ``opencv-doc`` is, else extracted with ``apt-get download`` + ``dpkg-deb`` into a cache
directory (``$RSU_TEST_CACHE`` or ``~/.cache/rsu-edge-tests``) the first time. ``apt-get
download`` needs the package lists: run ``apt-get update`` once first (``.ci/run`` does).
Shared by the perception tests (``vtest_avi`` fixture) and ``bench/perception.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

MEMBER = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
INSTALLED = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def vtest_path() -> Path:
    """Where vtest.avi is, fetching it into the cache first if needed (RuntimeError if not)."""
    if INSTALLED.is_file():
        return INSTALLED
    default = Path.home() / ".cache" / "rsu-edge-tests"
    dest = Path(os.environ.get("RSU_TEST_CACHE", default)) / "vtest.avi"
    if not dest.is_file():
        _extract(dest)
    return dest


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
            raise RuntimeError(
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
