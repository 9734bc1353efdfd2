"""Upload policy: on/off, 1-in-N, by sender, id lists, rate cap, filters (time passed in)."""

from __future__ import annotations

from rsu.uplink.config import Filter, UploadPolicy
from rsu.uplink.policy import PolicyGate, lookup

BSM = {"coreData": {"id": "0a0b0c0d", "speed": 500}}


def test_disabled_type_is_held_and_counted() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(enabled=False)})
    assert not gate.admit("BSM", "0a0b0c0d", BSM, 0.0)
    assert gate.admit("MAP", None, {}, 0.0)
    assert gate.held == {"BSM:disabled": 1}


def test_sample_one_in_n_over_all_senders() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(sample=5)})
    kept = [gate.admit("BSM", f"{i % 3:08x}", BSM, 0.0) for i in range(20)]
    assert kept.count(True) == 4
    assert kept[0]
    assert kept[5]
    assert kept[10]
    assert kept[15]


def test_sample_by_id_keeps_one_in_n_of_each_sender() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(sample=2, sample_mode="by_id")})
    kept = [(s, gate.admit("BSM", s, BSM, 0.0)) for s in ["a", "b", "a", "b", "a", "b"]]
    assert [s for s, ok in kept if ok] == ["a", "b", "a", "b"]


def test_id_list_keeps_only_those_senders() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(ids=frozenset({"0a0b0c0d"}))})
    assert gate.admit("BSM", "0a0b0c0d", BSM, 0.0)
    assert not gate.admit("BSM", "ffffffff", BSM, 0.0)
    assert not gate.admit("BSM", None, BSM, 0.0)
    assert gate.held["BSM:id"] == 2


def test_rate_cap_is_a_token_bucket_on_the_given_clock() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(rate_limit=2.0)})
    first = [gate.admit("BSM", None, BSM, 100.0) for _ in range(5)]
    assert first == [True, True, False, False, False]
    assert gate.admit("BSM", None, BSM, 100.5)
    assert not gate.admit("BSM", None, BSM, 100.5)
    assert [gate.admit("BSM", None, BSM, 110.0) for _ in range(3)] == [True, True, False]


def test_filters_on_jer_paths() -> None:
    fast = Filter("coreData.speed", min=400)
    gate = PolicyGate({"BSM": UploadPolicy(filters=(fast,))})
    assert gate.admit("BSM", None, BSM, 0.0)
    assert not gate.admit("BSM", None, {"coreData": {"speed": 10}}, 0.0)
    assert not gate.admit("BSM", None, {"coreData": {}}, 0.0)
    eq = PolicyGate({"MAP": UploadPolicy(filters=(Filter("intersections.0.id.id", equals=7),))})
    assert eq.admit("MAP", None, {"intersections": [{"id": {"id": 7}}]}, 0.0)
    assert not eq.admit("MAP", None, {"intersections": [{"id": {"id": 8}}]}, 0.0)


def test_update_changes_only_given_fields_and_restarts_sampling() -> None:
    gate = PolicyGate({"BSM": UploadPolicy(sample=3, batch=True)})
    gate.admit("BSM", None, BSM, 0.0)
    new = gate.update("BSM", sample=2)
    assert new == UploadPolicy(sample=2, batch=True)
    assert [gate.admit("BSM", None, BSM, 0.0) for _ in range(4)] == [True, False, True, False]


def test_lookup_walks_dicts_and_lists() -> None:
    assert lookup({"a": [{"b": 1}]}, "a.0.b") == 1
    assert lookup({"a": [{"b": 1}]}, "a.3.b") is None
    assert lookup({"a": 1}, "a.b") is None
