"""Lazy registries: ``{"name": ("module", "Class")}``, imported only when chosen.

``MESSAGE_SETS`` names the message sets (one package each, see ``rsu.v2x.messageset``);
:func:`message_set` gives the one instance of a set. Every edge (radio, GNSS, CAN source,
camera, detector) names its backends in such a dict and calls :func:`load`; an unknown name
or a missing optional dependency is one ``BackendError`` that names the known backends or the
pip extra to install.

>>> load({"sim": ("rsu.radio.sim", "SimRadio")}, "sim", "radio").__name__
'SimRadio'
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rsu.errors import BackendError, UnknownStandardError

if TYPE_CHECKING:
    from rsu.v2x.messageset import MessageSet

Registry = Mapping[str, tuple[str, str]]
"""Backend name -> (module to import, class in it)."""

MESSAGE_SETS: Registry = {
    "j2735": ("rsu.j2735.plugin", "J2735"),
    "csae53": ("rsu.csae53.plugin", "Csae53"),
}
"""The message sets, by the name ``[rsu] standard`` and ``--standard`` take. Adding one is a
package holding a ``MessageSet`` subclass and a line here (docs/codec.md)."""
DEFAULT_MESSAGE_SET = "j2735"
"""The set of an RSU whose config names none."""

_SETS: dict[str, MessageSet] = {}
_SETS_LOCK = threading.Lock()


def message_set_names() -> tuple[str, ...]:
    """The registered message sets, in registry order."""
    return tuple(MESSAGE_SETS)


def message_set(name: str) -> MessageSet:
    """The one ``MessageSet`` called ``name``; ``UnknownStandardError`` naming the known."""
    found = _SETS.get(name)
    if found is not None:
        return found
    if name not in MESSAGE_SETS:
        known = ", ".join(sorted(MESSAGE_SETS))
        raise UnknownStandardError(f"unknown standard {name!r} (known: {known})")
    cls = load(MESSAGE_SETS, name, "message set")
    with _SETS_LOCK:
        return _SETS.setdefault(name, cls())


def message_sets() -> tuple[MessageSet, ...]:
    """Every registered message set, in registry order (each imported on first use)."""
    return tuple(message_set(name) for name in MESSAGE_SETS)


def load(registry: Registry, name: str, kind: str, *, extra: str | None = None) -> type:
    """The class registered as ``name``; ``kind`` ("radio", "gnss"...) is for the message.

    ``extra`` is the ``rsu-edge[...]`` extra that brings the backends' optional dependencies.
    """
    try:
        module_name, class_name = registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise BackendError(f"unknown {kind} backend {name!r} (known: {known})") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        hint = f" (pip install 'rsu-edge[{extra}]')" if extra else ""
        raise BackendError(f"{kind} backend {name!r} cannot load: {err}{hint}") from err
    cls = getattr(module, class_name)
    if not isinstance(cls, type):
        raise BackendError(f"{kind} backend {name!r}: {module_name}.{class_name} is not a class")
    return cls
