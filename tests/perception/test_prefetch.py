"""Decode-ahead: every item in order, bounded, errors raised to the consumer, clean stop."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from rsu.perception.prefetch import prefetch


def test_every_item_in_order_with_at_most_depth_waiting() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(20):
            produced.append(i)
            yield i

    it = prefetch(items(), depth=3)
    assert next(it) == 0
    threading.Event().wait(0.2)  # the producer runs ahead, but only until the hand-over is full
    assert len(produced) <= 1 + 3 + 1  # taken, queued, and the one waiting to be put
    assert [0, *it] == list(range(20))


def test_an_error_in_the_producer_is_raised_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("corrupt stream")

    it = prefetch(items())
    assert next(it) == 1
    with pytest.raises(ValueError, match="corrupt stream"):
        next(it)


def test_closing_early_stops_the_producer_before_returning() -> None:
    inside = threading.Event()

    def items() -> Iterator[int]:
        for i in range(10_000):
            inside.set()
            yield i

    with contextlib.closing(prefetch(items(), depth=2)) as it:
        assert next(it) == 0
        assert inside.wait(5.0)
    assert not any(t.name == "prefetch" for t in threading.enumerate())  # joined on close
