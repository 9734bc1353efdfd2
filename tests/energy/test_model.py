"""The charging-site model: free counts per standard, staleness on a FakeClock, failures."""

from __future__ import annotations

import doctest

import pytest

from rsu.clock import FakeClock
from rsu.energy import model
from rsu.energy.model import (
    Connector,
    EvseStatus,
    Site,
    SiteFailure,
    SiteIdentity,
    SiteReading,
    StandardCount,
)

HUB = SiteIdentity("hub-1", "Main St", 42.281, -83.7425, "Acme Charging")
CCS = Connector("CCS", 150.0)
CHADEMO = Connector("CHAdeMO", 50.0)
TYPE2 = Connector("Type 2", 22.0)


def evse(uid: str, status: model.Status, *connectors: Connector) -> EvseStatus:
    return EvseStatus(uid, status, connectors)


def reading(clock: FakeClock, *evses: EvseStatus, complete: bool = True) -> SiteReading:
    return SiteReading("hub-1", evses, clock.monotonic(), clock.time(), "test", complete)


def test_doctest() -> None:
    assert doctest.testmod(model).failed == 0


def test_free_counts_per_standard_count_a_dual_evse_in_both() -> None:
    clock = FakeClock()
    site = Site(HUB)
    site.apply(
        reading(
            clock,
            evse("E1", "available", CCS, CHADEMO),
            evse("E2", "occupied", CCS),
            evse("E3", "reserved", CCS),
            evse("E4", "out_of_order", TYPE2),
            evse("E5", "available", TYPE2),
        )
    )
    view = site.view(clock.monotonic())
    assert view.state == "ok"
    assert view.counts == (
        StandardCount("CCS", 1, 3, 150.0),
        StandardCount("CHAdeMO", 1, 1, 50.0),
        StandardCount("Type 2", 1, 2, 22.0),
    )
    assert view.text() == "CCS 1/3, CHAdeMO 1/1, Type 2 1/2"
    assert (view.free, view.total_evses) == (2, 5)
    assert not view.full


def test_unconfirmed_for_stale_after_s_is_unknown_and_a_new_read_restores() -> None:
    clock = FakeClock()
    site = Site(HUB, stale_after_s=300.0)
    site.apply(reading(clock, evse("E1", "available", CCS), evse("E2", "occupied", CCS)))
    assert site.next_stale() == clock.monotonic() + 300.0
    clock.advance(299.9)
    assert site.view(clock.monotonic()).counts[0].phrase() == "CCS 1/2"
    clock.advance(0.1)
    view = site.view(clock.monotonic())
    assert (view.state, view.reason, view.free) == ("unknown", "stale", None)
    assert view.counts == (StandardCount("CCS", None, 2, 150.0),)
    assert view.counts[0].phrase() == "CCS unknown"
    site.apply(reading(clock, evse("E1", "occupied", CCS), evse("E2", "occupied", CCS)))
    view = site.view(clock.monotonic())
    assert view.full
    assert view.text() == "CCS 0/2"


def test_staleness_runs_from_the_read_not_from_the_data() -> None:
    """The same status read again is a fresh confirmation (OCPI last_updated plays no part)."""
    clock = FakeClock()
    site = Site(HUB, stale_after_s=60.0)
    for _ in range(10):
        site.apply(reading(clock, evse("E1", "available", CCS)))
        clock.advance(50.0)
        assert site.view(clock.monotonic()).state == "ok"


def test_a_failed_read_makes_the_site_unknown_at_once() -> None:
    clock = FakeClock()
    site = Site(HUB)
    site.apply(reading(clock, evse("E1", "available", CCS)))
    clock.advance(1.0)
    site.fail(SiteFailure("hub-1", "timeout", "no answer in 5 s", clock.monotonic(), 0.0, "ocpi"))
    view = site.view(clock.monotonic())
    assert (view.state, view.reason, view.counts[0].free) == ("unknown", "source_failed", None)
    assert site.next_stale() is None
    site.apply(reading(clock, evse("E1", "available", CCS)))
    assert site.view(clock.monotonic()).counts[0].free == 1


def test_never_read_is_unknown() -> None:
    view = Site(HUB).view(0.0)
    assert (view.state, view.reason, view.counts, view.confirmed) == (
        "unknown",
        "never_read",
        (),
        None,
    )
    assert view.text() == "unknown"


def test_a_partial_reading_confirms_only_its_evses() -> None:
    clock = FakeClock()
    site = Site(HUB, stale_after_s=100.0)
    site.apply(reading(clock, evse("E1", "available", CCS), evse("E2", "available", CCS)))
    clock.advance(60.0)
    site.apply(reading(clock, evse("E2", "occupied", CCS), complete=False))
    clock.advance(50.0)  # E1 last confirmed 110 s ago: unknown; E2 50 s ago: occupied
    view = site.view(clock.monotonic())
    assert view.counts == (StandardCount("CCS", 0, 2, 150.0),)
    assert view.state == "ok"


def test_a_complete_reading_drops_evses_it_does_not_list() -> None:
    clock = FakeClock()
    site = Site(HUB)
    site.apply(reading(clock, evse("E1", "available", CCS), evse("E2", "available", TYPE2)))
    site.apply(reading(clock, evse("E1", "available", CCS)))
    assert [c.standard for c in site.view(clock.monotonic()).counts] == ["CCS"]


def test_status_unknown_from_the_source_counts_as_unknown() -> None:
    clock = FakeClock()
    site = Site(HUB)
    site.apply(reading(clock, evse("E1", "unknown", CCS), evse("E2", "unknown", CCS)))
    view = site.view(clock.monotonic())
    assert view.state == "unknown"
    assert view.counts[0].phrase() == "CCS unknown"


@pytest.mark.parametrize("standard", model.STANDARDS)
def test_every_phrase_fits_sixteen_characters(standard: str) -> None:
    for count in (StandardCount(standard, 99, 99), StandardCount(standard, None, 99)):
        assert 1 <= len(count.phrase()) <= model.MAX_PHRASE
        assert count.phrase().isascii()
