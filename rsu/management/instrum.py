"""The agent's MIB instrumentation: pysnmp's responders call it, it answers from the view.

pysnmp's own instrumentation (MIB modules of scalar and column objects) is replaced for the
default context by this one: GET/GETNEXT are lookups in the rendered ``Tree`` of the latest
``ManagementView``; a SET PDU becomes one ``Change`` (``rsu.management.writes.plan``) handed to
the daemon's core through ``Link.submit`` and answered once the core applied or refused it.

Access: every varbind goes through pysnmp's VACM check (``acFun``). pysnmp 7.1 *returns*
(instead of raising) when an OID is outside a view, and its own instrumentation then goes on
writing; here "not in the write view" is a ``noAccess`` error, so a read-only user (whose write
view excludes everything) cannot write even through that path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import structlog
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import error as smi_error
from pysnmp.smi.instrum import AbstractMibInstrumController

from rsu.errors import ManagementError
from rsu.management.mib import Tree, render
from rsu.management.smi import Oid, Value
from rsu.management.view import ManagementView
from rsu.management.writes import Change, plan

log = structlog.get_logger(__name__)

ERRORS: dict[str, type[smi_error.SmiError]] = {
    "wrongType": smi_error.WrongTypeError,
    "wrongLength": smi_error.WrongLengthError,
    "wrongValue": smi_error.WrongValueError,
    "noCreation": smi_error.NoCreationError,
    "inconsistentValue": smi_error.InconsistentValueError,
    "resourceUnavailable": smi_error.ResourceUnavailableError,
    "commitFailed": smi_error.CommitFailedError,
    "notWritable": smi_error.NotWritableError,
    "noAccess": smi_error.NoAccessError,
    "inconsistentName": smi_error.InconsistentNameError,
    "genErr": smi_error.GenError,
}


class Link(Protocol):
    """What the agent needs from the daemon: the latest view, and a way to ask for a change."""

    @property
    def view(self) -> ManagementView: ...

    def submit(self, change: Change) -> None:
        """Apply ``change`` on the core thread; ``ManagementError`` when it is refused."""
        ...


def to_pysnmp(value: Value) -> Any:
    kind, data = value.kind, value.data
    if kind == "integer":
        return rfc1902.Integer32(data)
    if kind == "octets":
        return rfc1902.OctetString(data)
    if kind == "counter32":
        return rfc1902.Counter32(data)
    if kind == "gauge32":
        return rfc1902.Gauge32(data)
    if kind == "timeticks":
        return rfc1902.TimeTicks(data)
    return rfc1902.ObjectIdentifier(data)


def from_pysnmp(value: Any) -> Value:
    """A SET value as ``Value`` (unsupported types become ``oid`` and fail the type check)."""
    tag = value.getTagSet()
    if tag in (rfc1902.Integer32.tagSet, rfc1902.Integer.tagSet):
        return Value("integer", int(value))
    if tag == rfc1902.OctetString.tagSet:
        return Value("octets", bytes(value.asOctets()))
    return Value("oid", ())


class Instrumentation(AbstractMibInstrumController):  # type: ignore[misc]
    def __init__(self, link: Link, on_set: Callable[[str, bool, str], None]) -> None:
        self._link = link
        self._on_set = on_set
        self._view: ManagementView | None = None
        self._tree = Tree((), {})
        self.gets = 0
        self.sets = 0

    def tree(self) -> Tree:
        view = self._link.view
        if view is not self._view:  # rendered again only when the daemon swapped the view
            self._view, self._tree = view, render(view)
        return self._tree

    def read_variables(self, *varbinds: Any, **context: Any) -> list[tuple[Any, Any]]:
        tree = self.tree()
        out = []
        for i, (name, _) in enumerate(varbinds):
            self.gets += 1
            oid: Oid = tuple(name)
            value = tree.get(oid)
            if value is None or self._hidden(oid, value, i, "read", context):
                out.append((name, self._missing(tree, oid)))
            else:
                out.append((rfc1902.ObjectName(oid), to_pysnmp(value)))
        return out

    def read_next_variables(self, *varbinds: Any, **context: Any) -> list[tuple[Any, Any]]:
        tree = self.tree()
        out = []
        for i, (name, _) in enumerate(varbinds):
            self.gets += 1
            oid: Oid = tuple(name)
            while (found := tree.next(oid)) is not None:
                oid, value = found
                if not self._hidden(oid, value, i, "read", context):
                    out.append((rfc1902.ObjectName(oid), to_pysnmp(value)))
                    break
            else:
                out.append((name, rfc1905.endOfMibView))
        return out

    def write_variables(self, *varbinds: Any, **context: Any) -> list[tuple[Any, Any]]:
        self.sets += 1
        user = _security_name(context)
        wanted: list[tuple[Oid, Value]] = []
        for i, (name, value) in enumerate(varbinds):
            if self._hidden(tuple(name), None, i, "write", context):
                self._on_set(user, False, f"noAccess: {name} is not in {user}'s write view")
                raise smi_error.NoAccessError(name=name, idx=i)
            wanted.append((tuple(name), from_pysnmp(value)))
        try:
            change = plan(self._link.view, wanted, user)
            self._link.submit(change)
        except ManagementError as err:
            self._on_set(user, False, f"{err.status}: {err}")
            raise ERRORS.get(err.status, smi_error.GenError)(
                name=varbinds[min(err.index, len(varbinds) - 1)][0], idx=err.index
            ) from err
        self._on_set(user, True, "; ".join(change.summary()))
        return list(varbinds)

    @staticmethod
    def _hidden(oid: Oid, value: Value | None, i: int, kind: str, context: dict[str, Any]) -> bool:
        """True when VACM keeps ``oid`` out of this user's view (AuthorizationError raises)."""
        check = context.get("acFun")
        if check is None:
            return False
        context["idx"] = i
        shown = None if value is None else to_pysnmp(value)
        return bool(check(kind, (rfc1902.ObjectName(oid), shown), **context))

    @staticmethod
    def _missing(tree: Tree, oid: Oid) -> Any:
        near = tree.next(oid[:-1])
        if near is not None and near[0][: len(oid) - 1] == oid[:-1]:
            return rfc1905.noSuchInstance
        return rfc1905.noSuchObject


def _security_name(context: dict[str, Any]) -> str:
    engine = context.get("snmpEngine")
    try:
        ctx = engine.observer.get_execution_context("rfc3412.receiveMessage:request")  # type: ignore[union-attr]
        return str(ctx["securityName"])
    except Exception:  # no execution context (a call outside a request): nobody to name
        return "?"
