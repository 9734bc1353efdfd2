"""Opening the spool's file: a bad file is set aside, never a reason for the RSU to stop.

A spool file that is empty (zero length), is not an SQLite database, or is damaged (a truncated
file, a bad page: SQLite's ``quick_check`` fails or a read says the image is malformed) is
renamed beside itself with a timestamp (``spool.db.bad-20261202T142500Z``, with its ``-wal``
if there is one) and a fresh spool is started in its place. The fresh file remembers what was
set aside (table ``set_aside``) so that ``rsu spool stats`` shows it; the uplink raises the
``spool/spool_set_aside`` alarm and logs ``spool_set_aside`` with the reason.

Errors that a fresh file would not cure (no permission, a read-only or full disk) are not set
aside: they are a :class:`SpoolError` for the caller (the uplink then runs on a spool in memory).

The spool holds positions of road users: the file is created 0600 (and an existing file that
others may read is made 0600, logged). SQLite gives its ``-wal`` and ``-shm`` files the mode of
the database file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from rsu.errors import SpoolError

log = structlog.get_logger(__name__)

MODE = 0o600
HEADER = b"SQLite format 3\x00"
ASIDE = ".bad-"
"""Infix of a set-aside file's name: ``<spool>.bad-<UTC timestamp>``."""
BAD_CODES = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
"""SQLite errors that mean the file itself is bad (a fresh file cures them)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    prio INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    created REAL NOT NULL,
    n INTEGER NOT NULL,
    payload BLOB NOT NULL,
    expires REAL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS set_aside (
    path TEXT NOT NULL, reason TEXT NOT NULL, utc REAL NOT NULL, bytes INTEGER NOT NULL
);
"""
MIGRATIONS = {"expires": "ALTER TABLE rows ADD COLUMN expires REAL"}
"""Columns added since the first spool layout (a spool written by an older build is kept)."""


class _Damaged(Exception):
    """``quick_check`` found problems (it reports them as rows, not as an error)."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A bad spool file that was renamed out of the way."""

    path: str
    reason: str
    utc: float
    bytes: int

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "reason": self.reason, "utc": self.utc, "bytes": self.bytes}


def open_db(
    path: Path, sync: str, *, salvage: bool = True
) -> tuple[sqlite3.Connection, SetAside | None]:
    """The spool's connection, schema in place; the file set aside first when it is bad
    (``salvage``; else a bad file is a SpoolError). ``:memory:`` opens a spool in memory."""
    memory = str(path) == ":memory:"
    reason = None if memory else _precheck(path)
    if reason is None:
        try:
            return _open(path, sync, check=not memory), None
        except (sqlite3.DatabaseError, _Damaged) as err:
            if not isinstance(err, _Damaged) and err.sqlite_errorname not in BAD_CODES:
                raise SpoolError(f"cannot open spool {path}: {err}") from err
            reason = f"damaged: {err}"
    if not salvage:
        raise SpoolError(f"spool {path} is unusable ({reason}); the daemon sets it aside")
    aside = set_aside(path, reason, time.time())
    try:
        db = _open(path, sync, check=False)
        db.execute(
            "INSERT INTO set_aside (path, reason, utc, bytes) VALUES (?, ?, ?, ?)",
            (aside.path, aside.reason, aside.utc, aside.bytes),
        )
    except sqlite3.Error as err:
        raise SpoolError(f"cannot start a fresh spool {path}: {err}") from err
    return db, aside


def _precheck(path: Path) -> str | None:
    """Why the file is bad before SQLite looks (empty, not a database); None if absent."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise SpoolError(f"cannot open spool {path}: {err}") from err
    if st.st_size == 0:
        return "empty (zero-length file)"
    try:
        with path.open("rb") as fh:
            head = fh.read(len(HEADER))
    except OSError as err:
        raise SpoolError(f"cannot open spool {path}: {err}") from err
    if head != HEADER:
        return "not an SQLite database"
    return None


def _open(path: Path, sync: str, *, check: bool) -> sqlite3.Connection:
    if str(path) != ":memory:":
        if not path.exists():
            _create(path)
        _private(path)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={sync.upper()}")
        db.execute("PRAGMA busy_timeout=5000")
        if check:
            problems = [str(row[0]) for row in db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise _Damaged("; ".join(problems))
        db.executescript(SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(rows)")}
        for column, sql in MIGRATIONS.items():
            if column not in have:
                db.execute(sql)
    except BaseException:
        db.close()
        raise
    return db


def _create(path: Path) -> None:
    """A new spool file, made under a temporary name and linked into place: another process
    never sees a half-made (zero-length) spool."""
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}")
    try:
        _private(tmp)
        db = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)
    except (OSError, sqlite3.Error) as err:
        raise SpoolError(f"cannot create spool {path}: {err}") from err
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _private(path: Path) -> None:
    """Create the file 0600, or make an existing one 0600 (the spool holds positions)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, MODE)
        try:
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
            if mode & 0o077:
                os.fchmod(fd, MODE)
                log.warning("spool_permissions_fixed", spool=str(path), was=oct(mode))
        finally:
            os.close(fd)
    except OSError as err:
        raise SpoolError(f"cannot open spool {path}: {err}") from err


def set_aside(path: Path, reason: str, utc: float) -> SetAside:
    """Rename ``path`` (and its ``-wal``) to ``<path>.bad-<timestamp>``; drop its ``-shm``."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(utc))
    target = Path(f"{path}{ASIDE}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = Path(f"{path}{ASIDE}{stamp}-{n}")
    try:
        size = path.stat().st_size
        path.rename(target)
        wal = Path(f"{path}-wal")
        if wal.exists():
            wal.rename(Path(f"{target}-wal"))
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}-shm").unlink()
    except OSError as err:
        raise SpoolError(
            f"spool {path} is unusable ({reason}) and cannot be renamed: {err}"
        ) from err
    aside = SetAside(str(target), reason, utc, size)
    log.error("spool_set_aside", spool=str(path), moved_to=str(target), reason=reason, bytes=size)
    return aside


def list_set_aside(db: sqlite3.Connection, path: Path) -> list[SetAside]:
    """What was set aside beside ``path``: the files still there (the reason as recorded by the
    start that set each aside, "unknown" for one the table does not know)."""
    known = {
        row[0]: SetAside(row[0], row[1], float(row[2]), int(row[3]))
        for row in db.execute("SELECT path, reason, utc, bytes FROM set_aside ORDER BY utc")
    }
    found = []
    if str(path) != ":memory:":
        for file in sorted(path.parent.glob(f"{path.name}{ASIDE}*")):
            if file.name.endswith(("-wal", "-shm")):
                continue
            st = file.stat()
            found.append(
                known.get(str(file)) or SetAside(str(file), "unknown", st.st_mtime, st.st_size)
            )
    return found
