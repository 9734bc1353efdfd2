"""The alarm board: one change per raise and per clear, bounded, oldest first."""

from __future__ import annotations

from rsu.alarms import Alarm, AlarmBoard


def test_raise_once_then_refresh_then_clear() -> None:
    board = AlarmBoard()
    first = board.raise_(Alarm("signals", "signal_controller_lost", "no update 0.4 s"), 10.0)
    assert first is not None
    assert first.as_dict()["state"] == "raised"
    assert board.raise_(Alarm("signals", "signal_controller_lost", "no update 2 s"), 12.0) is None
    (active,) = board.active()
    assert active.alarm.detail == "no update 2 s"
    assert (active.since_utc, active.last_utc, active.repeats) == (10.0, 12.0, 1)
    cleared = board.clear("signals", "signal_controller_lost", 13.0, "updates again")
    assert cleared is not None
    assert (cleared.state, cleared.since_utc, cleared.alarm.detail) == (
        "cleared",
        10.0,
        "updates again",
    )
    assert board.clear("signals", "signal_controller_lost", 14.0) is None
    assert (board.raised, board.cleared, len(board)) == (1, 1, 0)


def test_active_by_source_oldest_first() -> None:
    board = AlarmBoard()
    board.raise_(Alarm("power", "on_battery"), 5.0)
    board.raise_(Alarm("gnss", "loss_of_fix"), 3.0)
    board.raise_(Alarm("power", "low_battery", severity="critical"), 7.0)
    assert [a.alarm.kind for a in board.active()] == ["loss_of_fix", "on_battery", "low_battery"]
    assert [a.alarm.kind for a in board.active("power")] == ["on_battery", "low_battery"]
    assert board.is_active("gnss", "loss_of_fix")
    assert not board.is_active("gnss", "drift")


def test_flood_of_distinct_alarms_is_bounded_and_counted() -> None:
    board = AlarmBoard(max_active=4)
    changes = [board.raise_(Alarm("core", f"kind_{i}"), float(i)) for i in range(10)]
    assert sum(c is not None for c in changes) == 4
    assert (len(board), board.overflow) == (4, 6)
