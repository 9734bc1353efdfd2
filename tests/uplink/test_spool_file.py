"""A bad spool file never stops the RSU (issue 11.6): set aside, a fresh one, an alarm, a log.

Real files on disk throughout: each row of the table writes a bad spool file of one kind, opens
the spool on it, and checks the reason, that the bad bytes are kept beside it untouched, that the
fresh spool is served (a record goes in and comes out), and that ``rsu spool stats`` shows what
was set aside. The disk-full test uses a real tmpfs of 256 KiB when this process may mount one
(root: as in CI), else SQLite's own SQLITE_FULL through ``PRAGMA max_page_count`` (said in the
test's name of the mechanism).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rsu.clock import FakeClock
from rsu.config.loader import demo_config_path, load_config
from rsu.daemon import build
from rsu.errors import SpoolError
from rsu.uplink.config import SpoolLimits
from rsu.uplink.records import BULK, Record
from rsu.uplink.spool import Spool
from rsu.uplink.spool_file import ASIDE
from rsu.uplink.spool_health import SpoolHealth
from tests.daemon.helpers import rsu
from tests.uplink.conftest import config_dict, make_config, write_toml


def rec(i: int, pad: int = 0) -> Record:
    body = {"id": f"id-{i}", "pad": os.urandom(pad // 2).hex()}  # random: zlib keeps its size
    return Record(f"id-{i}", "v2x/BSM", body, BULK)


def healthy(path: Path, n: int = 300) -> bytes:
    spool = Spool(path, batch_max=1)
    spool.append([rec(i, pad=200) for i in range(n)], now=0.0)
    spool.close()
    return path.read_bytes()


def truncated(path: Path) -> bytes:
    data = healthy(path)[:12288]
    path.write_bytes(data)
    return data


def damaged_middle(path: Path) -> bytes:
    data = bytearray(healthy(path))
    data[len(data) // 3 : len(data) // 3 + 8192] = os.urandom(8192)
    path.write_bytes(bytes(data))
    return bytes(data)


def not_a_database(path: Path) -> bytes:
    data = b"[uplink]\nbroker = 'mqtt://x'\n" * 40  # someone pointed spool_path at a TOML file
    path.write_bytes(data)
    return data


def zero_length(path: Path) -> bytes:
    path.write_bytes(b"")
    return b""


BAD_FILES: list[tuple[str, Callable[[Path], bytes], str]] = [
    ("zero-length", zero_length, "empty (zero-length file)"),
    ("not a database", not_a_database, "not an SQLite database"),
    ("truncated", truncated, "damaged: database disk image is malformed"),
    ("damaged page", damaged_middle, "damaged: "),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[r[0] for r in BAD_FILES])
def test_a_bad_spool_is_set_aside_and_a_fresh_one_serves(
    tmp_path: Path, name: str, make: Callable[[Path], bytes], reason: str
) -> None:
    path = tmp_path / "spool.db"
    bad = make(path)
    with capture_logs() as logs:
        spool = Spool(path)
    assert spool.set_aside is not None
    assert spool.set_aside.reason.startswith(reason)
    moved = Path(spool.set_aside.path)
    assert moved.name.startswith(f"spool.db{ASIDE}")
    assert moved.read_bytes() == bad  # kept as it was, for a post-mortem
    (event,) = [e for e in logs if e["event"] == "spool_set_aside"]
    assert event["reason"] == spool.set_aside.reason
    assert event["log_level"] == "error"
    # good input afterwards is served
    assert spool.stats().pending == 0
    assert spool.append([rec(1)], now=1.0) == 1
    (row,) = spool.fetch(0, 10)
    assert json.loads(row.records()[0])["id"] == "id-1"
    (aside,) = spool.stats().set_aside
    assert (aside.path, aside.reason, aside.bytes) == (str(moved), event["reason"], len(bad))
    spool.close()
    assert Spool(path).set_aside is None  # the fresh file is fine at the next start


def test_a_bad_spool_read_by_a_tool_is_an_error_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    bad = truncated(path)
    with pytest.raises(SpoolError, match=r"unusable \(damaged: database disk image is malformed"):
        Spool(path, salvage=False)
    assert path.read_bytes() == bad
    assert not list(tmp_path.glob(f"*{ASIDE}*"))


def test_the_spool_file_and_its_wal_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "new" / "spool.db"
    spool = Spool(path)
    spool.append([rec(1)], now=0.0)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    spool.close()


def test_an_existing_spool_readable_by_others_is_made_0600(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    healthy(path, n=3)
    path.chmod(0o644)
    with capture_logs() as logs:
        spool = Spool(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [e["was"] for e in logs if e["event"] == "spool_permissions_fixed"] == ["0o644"]
    assert spool.stats().pending == 3  # nothing lost


def test_no_spool_file_at_all_runs_in_memory_with_an_alarm(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the spool's directory should be")
    cfg = make_config(tmp_path, "mqtt://127.0.0.1:1", spool_path=str(blocker / "spool.db"))
    health = SpoolHealth()
    spool, lock = health.open_spool(str(blocker / "spool.db"), cfg)
    assert lock is None
    assert spool.append([rec(1)], now=0.0) == 1  # still takes records (in memory)
    (alarm,) = health.alarms()
    assert (alarm.source, alarm.kind, alarm.severity) == ("spool", "spool_unavailable", "critical")
    assert "in memory only" in alarm.detail


def test_rsu_spool_stats_shows_what_was_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    not_a_database(path)
    Spool(path).close()
    cfg = write_toml(tmp_path / "rsu.toml", config_dict(tmp_path, "mqtt://127.0.0.1:1"))
    out = rsu("spool", "stats", "--config", str(cfg), "--json")
    assert out.returncode == 0, out.stderr
    (aside,) = json.loads(out.stdout)["set_aside"]
    assert aside["reason"] == "not an SQLite database"
    assert Path(aside["path"]).exists()
    plain = rsu("spool", "stats", "--config", str(cfg)).stdout
    assert f"set aside {aside['path']}" in plain
    assert "not an SQLite database" in plain


def test_the_daemon_starts_on_a_corrupt_spool_and_raises_the_alarm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(demo_config_path())
    spool_file = Path(config.uplink.spool_path)
    spool_file.parent.mkdir(parents=True, exist_ok=True)
    truncated(spool_file)
    daemon = build(config, FakeClock())
    daemon.start()
    try:
        daemon.step()
        assert daemon.core.alarms.is_active("spool", "spool_set_aside")
        (active,) = daemon.core.alarms.active("spool")
        assert "malformed" in active.alarm.detail
        assert ASIDE in active.alarm.detail
        assert daemon.parts.radio.counters.snapshot()["total"]  # the radio runs regardless
        alarms = daemon.core.streams["alarms"].last
        assert "spool spool_set_aside raised" in alarms
    finally:
        daemon.shutdown()


# --- disk full ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory on a 256 KiB tmpfs (root may mount), else a plain directory whose spool is
    capped by ``PRAGMA max_page_count`` (the mechanism is returned with the path)."""
    mnt = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mnt, "tmpfs" if mounted else "max_page_count"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_on_a_full_disk_drops_are_counted_in_memory_then_written(
    small_disk: tuple[Path, str],
) -> None:
    where, mechanism = small_disk
    path = where / "spool.db"
    spool = Spool(path, SpoolLimits(max_bytes=100 * 1024 * 1024), batch_max=1)
    filler = where / "filler"
    if mechanism == "tmpfs":
        with filler.open("wb", buffering=0) as fh:  # fill the disk to the last block
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError:
                pass
    else:
        pages = spool._db.execute("PRAGMA page_count").fetchone()[0]  # test-only cap
        spool._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    health = SpoolHealth()
    lost = 0
    errors: list[str] = []
    for i in range(40):
        batch = [rec(i * 10 + j, pad=2000) for j in range(10)]
        try:
            spool.append(batch, now=float(i))
        except SpoolError as err:
            errors.append(str(err))
            health.write_failed(spool, err, batch)
            lost += len(batch)
    assert lost > 0, mechanism
    assert all("full" in e for e in errors), errors
    assert spool.dropped["write_failed:v2x/BSM"] == lost
    assert spool.stats().dropped["write_failed:v2x/BSM"] == lost
    assert [a.kind for a in health.alarms()] == ["spool_write_failed"]
    # room again: the next write succeeds and carries the counts into the file
    if mechanism == "tmpfs":
        filler.unlink()
    else:
        spool._db.execute("PRAGMA max_page_count = 1000000")
    spool.ack([r.seq for r in spool.fetch(0, 1000)])
    assert spool.append([rec(9999)], now=100.0) == 1
    health.write_ok()
    assert health.alarms() == ()
    spool.close()
    again = Spool(path)
    assert again.dropped["write_failed:v2x/BSM"] == lost
    assert again.stats().pending == 1
