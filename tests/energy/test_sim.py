"""The simulated hub: bays fill and empty, deterministic for a seed, on a FakeClock."""

from __future__ import annotations

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.energy.config import EnergyConfig, SiteConfig
from rsu.energy.model import SiteReading
from rsu.energy.sim import SimHub, SimSource
from rsu.energy.source_config import SimConfig
from rsu.queues import DROP_OLDEST, BoundedQueue


def sim_site(**sim: object) -> SiteConfig:
    entry = {
        "id": "demo-hub",
        "name": "Demo hub",
        "latitude": 42.28,
        "longitude": -83.74,
        "source": "sim",
        **({"sim": sim} if sim else {}),
    }
    return EnergyConfig.from_table(Table({"sites": [entry]}, "energy")).sites[0]


def test_the_default_hub_has_ten_bays_all_free_at_first() -> None:
    hub = SimHub(SimConfig())
    assert [b.status for b in hub.snapshot()] == ["available"] * 10
    assert [b.connectors[0].standard for b in hub.snapshot()].count("CCS") == 4


def test_bays_fill_and_empty_over_time_the_same_for_a_seed() -> None:
    def run(seed: int) -> list[tuple[str, ...]]:
        hub = SimHub(SimConfig(seed=seed, change_s=10.0))
        out = []
        for _ in range(200):
            hub.advance(1.0)
            out.append(tuple(b.status for b in hub.snapshot()))
        return out

    history = run(3)
    assert history == run(3)
    assert history != run(4)
    free = [states.count("available") for states in history]
    assert min(free) < 10  # bays were taken ...
    assert max(free[50:]) > min(free[50:])  # ... and freed again
    assert any("occupied" in states for states in history)


def test_the_source_reports_the_hub_on_the_clock() -> None:
    clock = FakeClock()
    queue: BoundedQueue[object] = BoundedQueue(64, policy=DROP_OLDEST)
    src = SimSource(sim_site(seed=1, change_s=2.0), clock, queue)  # type: ignore[arg-type]
    first = src.poll_once()
    assert isinstance(first, SiteReading)
    assert first.rx_monotonic == clock.monotonic()
    seen = set()
    for _ in range(30):
        clock.advance(1.0)
        reading = src.poll_once()
        assert isinstance(reading, SiteReading)
        seen.add(tuple(e.status for e in reading.evses))
    assert len(seen) > 1
    src.set_status("B01", "out_of_order")
    pushed = queue.drain()[-1]
    assert isinstance(pushed, SiteReading)
    assert pushed.evses[0].status == "out_of_order"
