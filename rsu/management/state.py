"""What the agent keeps across restarts, in one JSON file (``[snmp] state_file``).

``/var/lib/rsu/ntcip1218.json`` by default (the unit's ``StateDirectory``): the rows managers
created (store-and-repeat, immediate forward, received-message forwarding, message counts),
the last mode, the location description, and the SNMP engine id and boot count (managers
cache the engine id; the boots counter must grow across restarts, RFC 3414). Written whole to
a temporary file and renamed (mode 0600), so a crash leaves the old file or the new one. A file
that cannot be read or parsed is set aside (``.bad``) and the agent starts empty: a corrupt
state file never stops the daemon. Each restored cell is checked like a SET.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from rsu.errors import ManagementError
from rsu.management.smi import Value
from rsu.management.tables import BY_NAME, TABLES, Cell, Row
from rsu.management.writes import check_cell

log = structlog.get_logger(__name__)
VERSION = 1
MAX_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class State:
    tables: dict[str, dict[int, Row]] = field(default_factory=dict)
    mode: str | None = None
    location_desc: str | None = None
    engine_id: bytes = b""
    boots: int = 0


def new_engine_id() -> bytes:
    """RFC 3411 format 5 (octets): 0x80000000 | enterprise 1206 (NEMA), then 8 random octets."""
    return (0x80000000 | 1206).to_bytes(4, "big") + b"\x05" + secrets.token_bytes(8)


def load(path: Path) -> State:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
        state = _decode(data)
    except FileNotFoundError:
        return State(engine_id=new_engine_id())
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        bad = path.with_name(path.name + ".bad")
        log.error("snmp_state_unreadable", path=str(path), error=str(err), moved_to=str(bad))
        with contextlib.suppress(OSError):
            path.replace(bad)
        return State(engine_id=new_engine_id())
    if not 5 <= len(state.engine_id) <= 32:
        state.engine_id = new_engine_id()
    return state


def save(path: Path, state: State) -> None:
    body = json.dumps(_encode(state), indent=1, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _encode(state: State) -> dict[str, Any]:
    return {
        "version": VERSION,
        "mode": state.mode,
        "location_desc": state.location_desc,
        "engine_id": state.engine_id.hex(),
        "boots": state.boots,
        "tables": {
            name: {
                str(i): {str(c): _cell(v) for c, v in row.cells} for i, row in sorted(rows.items())
            }
            for name, rows in state.tables.items()
        },
    }


def _cell(v: Cell) -> int | dict[str, str]:
    return v if isinstance(v, int) else {"hex": v.hex()}


def _decode(data: Any) -> State:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not an rsu-edge NTCIP 1218 state file (version 1)")
    mode = data.get("mode")
    desc = data.get("location_desc")
    boots = data.get("boots", 0)
    return State(
        tables=_tables(data.get("tables", {})),
        mode=mode if mode in ("standby", "operate") else None,
        location_desc=desc[:140] if isinstance(desc, str) else None,
        engine_id=bytes.fromhex(str(data.get("engine_id", ""))),
        boots=boots if isinstance(boots, int) and 0 <= boots < 2**31 - 1 else 0,
    )


def _tables(data: Any) -> dict[str, dict[int, Row]]:
    out: dict[str, dict[int, Row]] = {t.name: {} for t in TABLES}
    for name, rows in dict(data).items():
        spec = BY_NAME.get(name)
        if spec is None:
            continue
        for index, cells in dict(rows).items():
            row = _row(spec.name, int(index), cells)
            if row is not None and 1 <= row.index <= spec.max_rows:
                out[spec.name][row.index] = row
    return out


def _row(table: str, index: int, cells: Any) -> Row | None:
    spec = BY_NAME[table]
    values: dict[int, Cell] = spec.defaults()
    try:
        for sub_text, raw in dict(cells).items():
            col = spec.column(int(sub_text))
            if col is None:
                continue
            if isinstance(raw, dict):
                value = Value("octets", bytes.fromhex(str(raw["hex"])))
            else:
                value = Value("integer", int(raw))
            values[col.sub] = check_cell(col, value, 0) if col.writable else values[col.sub]
    except (ManagementError, ValueError, TypeError, KeyError) as err:
        log.warning("snmp_state_row_skipped", table=table, index=index, error=str(err))
        return None
    return Row.of(index, values)
