"""What a SPaT needs from its MAP: intersection ids, their revisions and signal groups (pure).

J2735: ``MapData.intersections[*]`` has ``id`` (region, id), ``revision`` and lanes whose
``connectsTo[*].signalGroup`` name the groups a SPaT may describe. CSAE 53: ``MapData.nodes[*]``
has ``id`` (region, id); its links' ``movements[*].phaseId`` and lanes'
``connectsTo[*].phaseId`` name the phases (CSAE 53 SPAT has no per-intersection revision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rsu.errors import ConfigError

Ref = tuple[int, int]
"""(region, intersection id); region 0 when the MAP gives none."""


@dataclass(frozen=True, slots=True)
class MapIntersection:
    ref: Ref
    revision: int | None
    groups: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class MapRef:
    """The intersections of one MAP frame."""

    name: str
    standard: str
    intersections: dict[Ref, MapIntersection] = field(default_factory=dict)


def _ref(value: Any) -> Ref | None:
    if not isinstance(value, dict) or not isinstance(value.get("id"), int):
        return None
    region = value.get("region", 0)
    return (region if isinstance(region, int) else 0, value["id"])


def _groups(items: Any, key: str) -> set[int]:
    out: set[int] = set()
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get(key), int):
            out.add(item[key])
    return out


def j2735_intersections(value: dict[str, Any]) -> dict[Ref, MapIntersection]:
    out: dict[Ref, MapIntersection] = {}
    for geometry in value.get("intersections") or ():
        ref = _ref(geometry.get("id")) if isinstance(geometry, dict) else None
        if ref is None:
            continue
        groups: set[int] = set()
        for lane in geometry.get("laneSet") or ():
            if isinstance(lane, dict):
                groups |= _groups(lane.get("connectsTo"), "signalGroup")
        revision = geometry.get("revision")
        out[ref] = MapIntersection(
            ref, revision if isinstance(revision, int) else None, frozenset(groups)
        )
    return out


def csae_intersections(value: dict[str, Any]) -> dict[Ref, MapIntersection]:
    out: dict[Ref, MapIntersection] = {}
    for node in value.get("nodes") or ():
        ref = _ref(node.get("id")) if isinstance(node, dict) else None
        if ref is None:
            continue
        groups: set[int] = set()
        for link in node.get("inLinks") or ():
            if not isinstance(link, dict):
                continue
            groups |= _groups(link.get("movements"), "phaseId")
            for lane in link.get("lanes") or ():
                if isinstance(lane, dict):
                    groups |= _groups(lane.get("connectsTo"), "phaseId")
        out[ref] = MapIntersection(ref, None, frozenset(groups))
    return out


def map_ref(name: str, frame_jer: dict[str, Any]) -> MapRef:
    """The ``MapRef`` of a MAP MessageFrame's JER (of any set: the set that owns the frame
    reads it, ``MessageSet.map_intersections``); ``ConfigError`` when it is not a MAP."""
    from rsu.broadcast.standards import frame_set

    owner = frame_set(frame_jer)
    if owner is None:
        raise ConfigError(name, "is not a MAP frame")
    return MapRef(name, owner.name, owner.map_intersections(name, frame_jer))


def check_groups(ref: MapRef, region: int, intersection_id: int, groups: Any, where: str) -> int:
    """Check that the MAP has the intersection and every configured signal group; returns the
    MAP revision of the intersection (0 when the MAP gives none)."""
    found = ref.intersections.get((region, intersection_id))
    if found is None:
        have = ", ".join(f"{r}-{i}" if r else str(i) for r, i in sorted(ref.intersections))
        raise ConfigError(
            f"{where}.intersection_id",
            f"{intersection_id} (region {region}) is not in MAP {ref.name!r} (it has: {have})",
        )
    for g in groups:
        if g.signal_group not in found.groups:
            raise ConfigError(
                f"{g.where}.signal_group",
                f"{g.signal_group} is not a signal group of intersection {intersection_id} in "
                f"MAP {ref.name!r} (it has: {', '.join(map(str, sorted(found.groups)))})",
            )
    return found.revision or 0
