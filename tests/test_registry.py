"""The one lazy backend registry helper, and every edge's registry going through it."""

from __future__ import annotations

import sys

import pytest

from rsu.errors import BackendError
from rsu.registry import load

REGISTRY = {
    "sim": ("rsu.radio.sim", "SimRadio"),
    "ghost": ("rsu_edge_no_such_module", "Ghost"),
}


def test_a_known_backend_is_imported_only_when_chosen() -> None:
    sys.modules.pop("rsu_edge_no_such_module", None)
    cls = load(REGISTRY, "sim", "radio")
    assert cls.__name__ == "SimRadio"
    assert "rsu_edge_no_such_module" not in sys.modules


def test_an_unknown_name_names_the_kind_and_every_known_backend() -> None:
    with pytest.raises(BackendError, match=r"unknown radio backend 'nope' \(known: ghost, sim\)"):
        load(REGISTRY, "nope", "radio")


def test_a_missing_dependency_names_the_module_and_the_extra_to_install() -> None:
    with pytest.raises(BackendError) as info:
        load(REGISTRY, "ghost", "camera", extra="vision")
    text = str(info.value)
    assert "camera backend 'ghost' cannot load" in text
    assert "rsu_edge_no_such_module" in text
    assert "pip install 'rsu-edge[vision]'" in text
    assert isinstance(info.value.__cause__, ImportError)


@pytest.mark.parametrize(
    ("module", "name", "kind"),
    [
        ("rsu.radio", "BACKENDS", "radio"),
        ("rsu.gnss", "BACKENDS", "gnss"),
        ("rsu.sensors.sources", "BACKENDS", "radar"),
        ("rsu.perception.camera", "CAMERA_BACKENDS", "camera"),
        ("rsu.perception.detector", "DETECTOR_BACKENDS", "detector"),
    ],
)
def test_every_registered_backend_loads_to_a_class(module: str, name: str, kind: str) -> None:
    registry = getattr(__import__(module, fromlist=[name]), name)
    for backend in registry:
        cls = load(registry, backend, kind)
        assert (cls.__module__, cls.__name__) == registry[backend]
