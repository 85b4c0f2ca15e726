"""The fan-out policy both drivers run: which job starts next, what a failure stops or cancels, what is
reported. Driven by hand here, job by job, in the orders a thread pool or an event loop could produce."""

from __future__ import annotations

from typing import Any

import pytest

from dynamorm_py._core.effects import Op
from dynamorm_py._core.fanout import FanOut, Job, SegmentFanOut


def _nothing() -> Op[list[Any]]:
    yield from ()
    return []


def segments(n: int, max_in_flight: int) -> SegmentFanOut[Any]:
    return SegmentFanOut([Job(index, _nothing()) for index in range(n)], max_in_flight)


def started(fan_out: FanOut[Any, Any]) -> list[int]:
    return [job.index for job in fan_out.next_jobs()]


def test_jobs_start_in_order_and_never_more_than_max_in_flight() -> None:
    fan_out = segments(5, 2)
    assert started(fan_out) == [0, 1]
    assert started(fan_out) == []
    fan_out.finished(1, ["b"])
    assert started(fan_out) == [2]
    fan_out.finished(0, ["a"])
    fan_out.finished(2, ["c"])
    assert started(fan_out) == [3, 4]
    fan_out.finished(4, ["e"])
    fan_out.finished(3, ["d"])
    assert fan_out.done
    assert fan_out.outcome() == ["a", "b", "c", "d", "e"]  # segment order, not completion order


def test_a_failure_stops_new_jobs_and_cancels_only_the_later_segments() -> None:
    fan_out = segments(6, 3)
    assert started(fan_out) == [0, 1, 2]
    boom = RuntimeError("segment 1")
    fan_out.finished(1, error=boom)
    assert fan_out.to_cancel() == [2]  # segment 0 may still fail first, so it runs on
    assert started(fan_out) == []
    assert not fan_out.done
    fan_out.finished(2, error=RuntimeError("cancelled"))
    fan_out.finished(0, ["a"])
    assert fan_out.done
    with pytest.raises(RuntimeError, match="segment 1"):
        fan_out.outcome()


def test_the_first_failure_in_segment_order_wins_whatever_finishes_first() -> None:
    fan_out = segments(3, 3)
    started(fan_out)
    fan_out.finished(2, error=RuntimeError("late segment"))
    fan_out.finished(0, error=RuntimeError("first segment"))
    fan_out.finished(1, ["b"])
    with pytest.raises(RuntimeError, match="first segment"):
        fan_out.outcome()
