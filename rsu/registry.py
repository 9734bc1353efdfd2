"""Lazy backend registries: ``{"name": ("module", "Class")}``, imported only when chosen.

Every edge (radio, GNSS, CAN source, camera, detector) names its backends in such a dict and
calls :func:`load`; an unknown name or a missing optional dependency is one ``BackendError``
that names the known backends or the pip extra to install.

>>> load({"sim": ("rsu.radio.sim", "SimRadio")}, "sim", "radio").__name__
'SimRadio'
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from rsu.errors import BackendError

Registry = Mapping[str, tuple[str, str]]
"""Backend name -> (module to import, class in it)."""


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
