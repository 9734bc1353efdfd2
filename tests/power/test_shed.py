"""The shed order and the power monitor, driven with values and a FakeClock."""

from __future__ import annotations

import math

import pytest

from rsu.clock import FakeClock
from rsu.power.model import PowerReading, ReadFailure
from rsu.power.monitor import MonitorSettings, PowerMonitor
from rsu.power.shed import STEPS, ShedOrder, ShedSettings


def drain(order: ShedOrder, socs: list[float], on_grid: bool = False) -> list[tuple[str, str]]:
    return [(c.step, c.state) for soc in socs for c in order.update(soc, on_grid=on_grid)]


def test_steps_shed_in_order_as_the_battery_drains() -> None:
    order = ShedOrder(ShedSettings(camera_below=40, uplink_below=25, essential_below=15))
    assert drain(order, [80, 41, 39.9]) == [("camera", "shed")]
    assert drain(order, [26, 24.9]) == [("uplink", "shed")]
    assert drain(order, [15.0, 14.9]) == [("essential", "shed")]
    assert order.shed == STEPS


def test_hysteresis_keeps_a_hovering_battery_from_flapping() -> None:
    order = ShedOrder(ShedSettings(hysteresis=5))
    assert drain(order, [39.0]) == [("camera", "shed")]
    assert drain(order, [40.0, 41.0, 44.9, 39.5, 42.0]) == []  # below 40 + 5: still shed
    assert drain(order, [45.0]) == [("camera", "restored")]
    assert drain(order, [41.0]) == []  # above 40 again: not shed


def test_recovery_restores_deepest_step_first() -> None:
    order = ShedOrder(ShedSettings())
    drain(order, [10.0])
    assert drain(order, [50.0]) == [
        ("essential", "restored"),
        ("uplink", "restored"),
        ("camera", "restored"),
    ]


def test_unknown_soc_changes_nothing_and_grid_power_restores_all() -> None:
    order = ShedOrder(ShedSettings())
    drain(order, [20.0])
    assert order.update(None, on_grid=False) == []
    assert order.shed == ("camera", "uplink")
    assert drain(order, [20.0], on_grid=True) == [("uplink", "restored"), ("camera", "restored")]
    assert drain(order, [5.0], on_grid=True) == []  # on the line: nothing to save


def test_a_step_at_zero_is_never_shed() -> None:
    order = ShedOrder(ShedSettings(camera_below=0))
    assert drain(order, [1.0]) == [("uplink", "shed"), ("essential", "shed")]


def test_thresholds_out_of_order_are_refused() -> None:
    assert ShedSettings(camera_below=20, uplink_below=30).problem() is not None
    assert ShedSettings(camera_below=0, uplink_below=30, essential_below=10).problem() is None


def reading(soc: float, **kw: object) -> PowerReading:
    return PowerReading(soc=soc, voltage=51.2, current=-1.0, supply="battery", **kw)  # type: ignore[arg-type]


def kinds(out: object) -> tuple[list[str], list[str]]:
    return [a.kind for a in out.raises], [c.kind for c in out.clears]  # type: ignore[attr-defined]


def test_monitor_alarms_sheds_and_clears_them() -> None:
    clock = FakeClock()
    mon = PowerMonitor(MonitorSettings(source="sim"))
    out = mon.on_item(reading(35.0, temperature=60.0), clock.monotonic(), clock.time())
    raised, _ = kinds(out)
    assert raised == ["on_battery", "over_temperature", "shed_camera"]
    assert [n.event for n in out.notices] == ["power_shed"]
    assert mon.telemetry()["shed"] == ["camera"]
    out = mon.on_item(reading(12.0, temperature=30.0), clock.monotonic(), clock.time())
    raised, cleared = kinds(out)
    assert raised == ["on_battery", "low_battery", "shed_uplink", "shed_essential"]
    assert cleared == ["over_temperature"]
    power = mon.telemetry()
    assert power["soc"] == 12.0
    assert power["source"] == "battery"
    assert "low_battery" in power["alarms"]
    assert power["state"] == "ok"
    out = mon.on_item(PowerReading(soc=90.0, supply="grid"), clock.monotonic(), clock.time())
    _, cleared = kinds(out)
    assert cleared == ["on_battery", "low_battery", "shed_essential", "shed_uplink", "shed_camera"]
    assert mon.telemetry()["alarms"] == []


BAD_INPUT = [
    ("soc_250", PowerReading(soc=250.0), "power_data_invalid"),
    ("soc_nan", PowerReading(soc=math.nan), "power_data_invalid"),
    ("voltage_inf", PowerReading(soc=50.0, voltage=math.inf), "power_data_invalid"),
    ("temperature_absurd", PowerReading(soc=50.0, temperature=900.0), "power_data_invalid"),
    ("no_soc", PowerReading(voltage=52.0), "power_data_invalid"),
    ("nut_gone", ReadFailure("refused", "connection refused"), "bms_lost"),
    ("modbus_timeout", ReadFailure("timeout", "no answer in 1 s"), "bms_lost"),
    ("bms_quiet", ReadFailure("quiet", "no frame for 3 s"), "bms_lost"),
]


@pytest.mark.parametrize(("name", "item", "alarm"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_counted_alarmed_and_makes_the_state_unknown(
    name: str, item: PowerReading | ReadFailure, alarm: str
) -> None:
    clock = FakeClock()
    mon = PowerMonitor(MonitorSettings(source="sim"))
    mon.on_item(reading(22.0), clock.monotonic(), clock.time())
    clock.advance(1.0)
    out = mon.on_item(item, clock.monotonic(), clock.time())
    assert kinds(out)[0] == [alarm]
    status = mon.status(clock.monotonic())
    assert status["state"] == "unknown"
    assert status["soc"] is None
    assert status["rejected"] + status["failures"] == 1
    assert status["shed"] == ["camera", "uplink"]  # unknown: the steps stay as they were
    clock.advance(1.0)
    out = mon.on_item(reading(22.0), clock.monotonic(), clock.time())
    assert alarm in kinds(out)[1]
    assert mon.state == "ok"


def test_a_quiet_source_goes_unknown_after_stale_after_s() -> None:
    clock = FakeClock()
    mon = PowerMonitor(MonitorSettings(source="can-bms", stale_after_s=5.0))
    mon.on_item(reading(60.0), clock.monotonic(), clock.time())
    assert mon.next_deadline() == clock.monotonic() + 5.0
    clock.advance(4.9)
    assert not mon.tick(clock.monotonic(), clock.time())
    clock.advance(0.2)
    out = mon.tick(clock.monotonic(), clock.time())
    assert kinds(out)[0] == ["bms_lost"]
    assert mon.state == "unknown"
    assert mon.next_deadline() is None
    assert not mon.tick(clock.monotonic() + 10, clock.time())  # raised once
