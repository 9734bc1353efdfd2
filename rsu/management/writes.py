"""A SET PDU -> one ``Change`` (or the RFC 3416 error of the varbind at fault). Pure.

Every varbind of the PDU is checked (type, range, length, textual convention) and the rows it
touches are worked out whole (RowStatus createAndGo / createAndWait / active / notInService /
destroy, RFC 2579), against the current view, before anything is applied. Managers set all
of a row's columns and its status in one PDU, in any order (the CV Manager puts the status
in the middle); a PDU is applied whole by the daemon or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rsu.errors import ManagementError
from rsu.management import oids
from rsu.management import smi as v
from rsu.management.smi import Oid, Value
from rsu.management.tables import MESSAGE_COUNTS, Cell, Column, Row, TableSpec, find_table
from rsu.management.view import ManagementView

MODES = {value: name for name, value in oids.MODE_VALUES.items()}


@dataclass(frozen=True, slots=True)
class RowChange:
    table: str
    index: int
    row: Row | None
    """The row as it will be (None: destroyed)."""
    created: bool
    varbinds: tuple[tuple[int, int], ...]
    """(column, position in the PDU) of what this PDU set, to name a refused varbind."""

    def position(self, column: int | None = None) -> int:
        """The PDU position to blame for ``column`` (its varbind, else the row's first)."""
        for sub, i in self.varbinds:
            if sub == column:
                return i
        return min(i for _, i in self.varbinds)


@dataclass(frozen=True, slots=True)
class Change:
    """Everything one SET PDU asks for, checked and complete."""

    user: str
    mode: str | None = None
    mode_position: int = 0
    location_desc: str | None = None
    delete_all_repeat: bool = False
    rows: tuple[RowChange, ...] = ()

    def summary(self) -> list[str]:
        out = [f"mode {self.mode}"] if self.mode else []
        if self.location_desc is not None:
            out.append("location description")
        if self.delete_all_repeat:
            out.append("delete all store-and-repeat rows")
        for rc in self.rows:
            what = "destroy" if rc.row is None else "create" if rc.created else "update"
            out.append(f"{what} {rc.table}.{rc.index}")
        return out


def plan(view: ManagementView, varbinds: Sequence[tuple[Oid, Value]], user: str) -> Change:
    """The change a SET PDU asks for; ``ManagementError`` names the varbind at fault."""
    mode: str | None = None
    mode_at = 0
    location: str | None = None
    delete_all = False
    edits: dict[tuple[str, int], tuple[TableSpec, dict[int, tuple[Cell, int]]]] = {}
    for i, (name, value) in enumerate(varbinds):
        if name == (*oids.MODE, 0):
            mode, mode_at = _mode(value, i), i
        elif name == (*oids.LOCATION_DESC, 0):
            location = _octets(value, i, 0, 140).decode("utf-8", "replace")
        elif name == (*oids.MSG_REPEAT_DELETE_ALL, 0):
            delete_all = _integer(value, i, 0, 1) == 1
        else:
            table, sub, cell = _table_cell(name, value, i)
            edits.setdefault((table.name, name[-1]), (table, {}))[1][sub] = (cell, i)
    rows = tuple(_row(view, table, index, cells) for (_, index), (table, cells) in edits.items())
    return Change(user, mode, mode_at, location, delete_all, rows)


def _mode(value: Value, i: int) -> str:
    number = _integer(value, i, 1, 3)
    if number not in MODES:
        raise ManagementError("wrongValue", i, "rsuMode: standby(2) or operate(3)")
    return MODES[number]


def _integer(value: Value, i: int, lo: int, hi: int) -> int:
    if value.kind != "integer" or not isinstance(value.data, int):
        raise ManagementError("wrongType", i, "expected an INTEGER")
    if not lo <= value.data <= hi:
        raise ManagementError("wrongValue", i, f"expected {lo}..{hi}, got {value.data}")
    return value.data


def _octets(value: Value, i: int, lo: int, hi: int) -> bytes:
    if value.kind != "octets" or not isinstance(value.data, bytes):
        raise ManagementError("wrongType", i, "expected an OCTET STRING")
    if not lo <= len(value.data) <= hi:
        raise ManagementError("wrongLength", i, f"expected {lo}..{hi} octets")
    return value.data


def _table_cell(name: Oid, value: Value, i: int) -> tuple[TableSpec, int, Cell]:
    found = find_table(name)
    if found is None:
        raise ManagementError("notWritable", i, f"{v.dotted(name)} is not writable")
    table, sub, _ = found
    col = table.column(sub)
    if col is None or not col.writable:
        raise ManagementError("notWritable", i, f"{v.dotted(name)} is not writable")
    return table, sub, check_cell(col, value, i)


def check_cell(col: Column, value: Value, i: int) -> Cell:
    """One column value, checked for its SMI shape and textual convention."""
    if col.kind in ("integer", "status"):
        return _integer(value, i, col.lo, col.hi)
    data = _octets(value, i, col.lo, col.hi)
    try:
        if col.kind == "psid" and any(data):
            v.decode_psid(data)
        elif col.kind == "time":
            v.decode_time(data)
        elif col.kind == "address" and data:
            v.decode_address(data)
    except ValueError as err:
        raise ManagementError("wrongValue", i, f"{col.name}: {err}") from err
    return data


def _row(
    view: ManagementView, table: TableSpec, index: int, cells: dict[int, tuple[Cell, int]]
) -> RowChange:
    status_col = table.status.sub
    varbinds = tuple((sub, i) for sub, (_, i) in cells.items())
    first = min(i for _, i in varbinds)
    if not 1 <= index <= table.max_rows:
        raise ManagementError("noCreation", first, f"{table.name}: rows 1..{table.max_rows}")
    existing = view.tables.get(table.name, {}).get(index)
    status = cells.pop(status_col, None)
    created = False
    if status is None:
        if existing is None:
            raise ManagementError("noCreation", first, f"{table.name}.{index} does not exist")
        base = existing.as_dict()
    elif status[0] == v.DESTROY:
        return RowChange(table.name, index, None, False, varbinds)
    elif status[0] in (v.CREATE_AND_GO, v.CREATE_AND_WAIT):
        if existing is not None:
            raise ManagementError("inconsistentValue", status[1], f"{table.name}.{index} exists")
        base, created = _new_row(table, view), True
        base[status_col] = v.ACTIVE if status[0] == v.CREATE_AND_GO else v.NOT_IN_SERVICE
    elif status[0] in (v.ACTIVE, v.NOT_IN_SERVICE):
        if existing is None:
            raise ManagementError("inconsistentValue", status[1], f"no {table.name}.{index}")
        base = existing.as_dict()
        base[status_col] = status[0]
    else:
        raise ManagementError("wrongValue", status[1], "RowStatus notReady(3) cannot be set")
    base.update({sub: cell for sub, (cell, _) in cells.items()})
    return RowChange(table.name, index, Row.of(index, base), created, varbinds)


def _new_row(table: TableSpec, view: ManagementView) -> dict[int, Cell]:
    cells = table.defaults()
    if table is MESSAGE_COUNTS:
        cells[5] = v.encode_time(view.started_utc)  # counting since the daemon started
    return cells
