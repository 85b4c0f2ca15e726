"""Limiters (dynamorm_py.protection) and request pacing: token-bucket and slot decisions on a fake clock,
the core's admission of each request, the pacing of rate-limited reads, and how both drivers wait."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import pytest

from doubles import AsyncRecordingClient, RecordingClient
from dynamorm_py import AsyncTable, ModelDefinition, RetryPolicy, Table, TransactPut, dynamorm_field
from dynamorm_py._core.context import build_context
from dynamorm_py._core.effects import AwsCall, Sleep
from dynamorm_py._core.pacing import limited
from dynamorm_py._core.reads import QueryArgs, ScanArgs, all_items_op, page_op, segment_plan
from dynamorm_py.errors import ValidationError
from dynamorm_py.protection import ConcurrencyLimiter, SimpleLimiter


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    n: int = dynamorm_field(roles=["sk"])
    text: str = ""


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- SimpleLimiter ------------------------------------------------------------------------------------------


def test_the_bucket_starts_full_and_then_refuses() -> None:
    limiter = SimpleLimiter(2, 3, now=Clock())
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]


def test_refill_keeps_fractions_of_a_token() -> None:
    clock = Clock()
    limiter = SimpleLimiter(2, 1, now=clock)
    assert limiter.allow()
    clock.advance(0.25)  # half a token
    assert not limiter.allow()
    clock.advance(0.25)  # the second half: dropping the first would refuse here
    assert limiter.allow()


def test_refill_is_capped_at_the_burst() -> None:
    clock = Clock()
    limiter = SimpleLimiter(10, 2, now=clock)
    assert limiter.allow() and limiter.allow()
    clock.advance(60)
    assert [limiter.allow() for _ in range(3)] == [True, True, False]


def test_admit_says_how_long_until_the_next_token() -> None:
    clock = Clock()
    limiter = SimpleLimiter(4, 1, now=clock)
    assert limiter.admit() == 0.0
    assert limiter.admit() == pytest.approx(0.25)
    clock.advance(0.1)
    assert limiter.admit() == pytest.approx(0.15)  # asking takes nothing
    clock.advance(0.15)
    assert limiter.admit() == 0.0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"rps": 0, "burst": 1}, "rps"),
        ({"rps": -1, "burst": 1}, "rps"),
        ({"rps": math.inf, "burst": 1}, "rps"),
        ({"rps": math.nan, "burst": 1}, "rps"),
        ({"rps": "5", "burst": 1}, "rps"),
        ({"rps": True, "burst": 1}, "rps"),
        ({"rps": 1, "burst": 0}, "burst"),
        ({"rps": 1, "burst": -2}, "burst"),
        ({"rps": 1, "burst": 1.5}, "burst"),
        ({"rps": 1, "burst": True}, "burst"),
        ({"rps": 1, "burst": 1, "now": 3}, "now"),
    ],
)
def test_bad_simple_limiter_arguments_are_named(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SimpleLimiter(**kwargs)
    assert caught.value.field == argument and isinstance(caught.value, ValueError)
    assert argument in str(caught.value)


# --- ConcurrencyLimiter -------------------------------------------------------------------------------------


def test_slots_are_taken_and_given_back() -> None:
    limiter = ConcurrencyLimiter(2)
    assert limiter.try_acquire() and limiter.try_acquire()
    assert not limiter.try_acquire()
    assert limiter.admit() > 0  # a waiting request is told to ask again later, holding nothing
    limiter.release()
    assert limiter.admit() == 0.0
    limiter.release()
    limiter.release()
    with limiter.acquire(), limiter.acquire():
        assert not limiter.try_acquire()
    assert limiter.try_acquire()


def test_releasing_a_slot_never_taken_is_refused() -> None:
    with pytest.raises(ValidationError):
        ConcurrencyLimiter(1).release()


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True, None])
def test_bad_concurrency_is_named(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        ConcurrencyLimiter(value)
    assert caught.value.field == "max_concurrent"


# --- the core: admission of each request --------------------------------------------------------------------


def drive(op: Generator[Any, Any, Any], answer: Callable[[AwsCall], Any], clock: Clock) -> list[Any]:
    """Run a core operation by hand: every effect in order; a Sleep advances the fake clock."""
    effects: list[Any] = []
    try:
        effect = next(op)
        while True:
            effects.append(effect)
            if isinstance(effect, Sleep):
                clock.advance(effect.seconds)
                effect = op.send(None)
                continue
            try:
                result = answer(effect)
            except Exception as exc:
                effect = op.throw(exc)
                continue
            effect = op.send(result)
    except StopIteration:
        return effects


def two_calls() -> Generator[Any, Any, str]:
    yield AwsCall("dynamodb", "get_item", {})
    yield AwsCall("kms", "decrypt", {})  # KMS requests are not DynamoDB throughput
    yield AwsCall("dynamodb", "get_item", {})
    return "done"


def test_each_dynamodb_request_waits_for_a_token_with_pacing_sleeps() -> None:
    clock = Clock()
    limiter = SimpleLimiter(2, 1, now=clock)
    effects = drive(limited(two_calls(), limiter), lambda call: {}, clock)
    assert [type(e).__name__ for e in effects] == ["AwsCall", "AwsCall", "Sleep", "AwsCall"]
    assert effects[2] == Sleep(0.5, pacing=True)


def test_a_slot_is_held_during_the_call_and_released_on_errors_and_cancellation() -> None:
    limiter = ConcurrencyLimiter(1)
    in_flight: list[bool] = []

    def answer(call: AwsCall) -> Any:
        in_flight.append(not limiter.try_acquire())  # the slot is taken while the call runs
        raise RuntimeError("connection reset")

    with pytest.raises(RuntimeError):
        drive(limited(two_calls(), limiter), answer, Clock())
    assert in_flight == [True]
    assert limiter.try_acquire()  # released after the error
    limiter.release()

    op = limited(two_calls(), limiter)
    assert next(op) == AwsCall("dynamodb", "get_item", {})
    op.close()  # the awaiting task was cancelled mid-call
    assert limiter.try_acquire()


def test_a_request_waiting_for_a_slot_polls_with_sleeps_and_holds_nothing() -> None:
    limiter = ConcurrencyLimiter(1)
    assert limiter.try_acquire()  # another request is in flight
    op = limited(two_calls(), limiter)
    first = next(op)
    assert isinstance(first, Sleep) and first.pacing
    assert op.send(None) == first
    limiter.release()
    assert op.send(None) == AwsCall("dynamodb", "get_item", {})
    op.close()
    assert limiter.try_acquire()


# --- the core: rate-limited reads ---------------------------------------------------------------------------


def context(clock: Clock) -> Any:
    return build_context(
        NOTES,
        table_name=None,
        kms_key_arn=None,
        rand_bytes=None,
        now=None,
        cursor_signing_keys=None,
        accept_unsigned_cursors=True,
        security_validation=True,
        retry_policy=RetryPolicy(clock=clock),
    )


def pages(*units: float) -> Callable[[AwsCall], dict[str, Any]]:
    """Answers one page per call, consuming ``units``; every page but the last has a next page."""
    remaining = list(units)

    def answer(call: AwsCall) -> dict[str, Any]:
        assert call.params["ReturnConsumedCapacity"] == "TOTAL"
        used = remaining.pop(0)
        page: dict[str, Any] = {
            "Items": [],
            "ConsumedCapacity": {"TableName": "notes", "CapacityUnits": used},
        }
        if remaining:
            page["LastEvaluatedKey"] = {"owner": {"S": "a"}, "n": {"N": str(len(remaining))}}
        return page

    return answer


def test_a_rate_limited_walk_sleeps_so_consumed_over_elapsed_stays_within_the_rate() -> None:
    clock = Clock()
    op = all_items_op(context(clock), ScanArgs(rate_limit=4), op_name="scan_all")
    effects = drive(op, pages(8, 2, 6), clock)
    sleeps = [e.seconds for e in effects if isinstance(e, Sleep)]
    assert sleeps == [2.0, 0.5]  # 8 units at 4/s need 2 s; 10 units need 2.5 s; none after the last page
    assert all(e.pacing for e in effects if isinstance(e, Sleep))


def test_time_already_spent_counts_towards_the_pace() -> None:
    clock = Clock()

    def slow(call: AwsCall) -> dict[str, Any]:
        clock.advance(1.5)  # the page itself took 1.5 s
        return answer(call)

    answer = pages(8, 1)
    effects = drive(
        all_items_op(context(clock), QueryArgs("a", rate_limit=4), op_name="query_all"), slow, clock
    )
    assert [e.seconds for e in effects if isinstance(e, Sleep)] == [0.5]


def test_one_rate_limited_page_returns_after_its_share_of_time_when_more_follows() -> None:
    clock = Clock()
    effects = drive(page_op(context(clock), ScanArgs(rate_limit=2), op_name="scan"), pages(3, 1), clock)
    assert [e.seconds for e in effects if isinstance(e, Sleep)] == [1.5]
    last = drive(page_op(context(clock), ScanArgs(rate_limit=2), op_name="scan"), pages(3), clock)
    assert [e for e in last if isinstance(e, Sleep)] == []


def test_an_unpaced_read_asks_for_no_capacity() -> None:
    clock = Clock()
    effects = drive(all_items_op(context(clock), ScanArgs(), op_name="scan_all"), lambda call: {}, clock)
    assert "ReturnConsumedCapacity" not in effects[0].params


def test_a_parallel_scan_shares_the_rate_among_the_segments_running_at_once() -> None:
    plan = segment_plan(context(Clock()), ScanArgs(rate_limit=12), total_segments=4, max_workers=3)
    assert {s.rate_limit for s in plan.segments} == {4.0}


@pytest.mark.parametrize("value", [0, -1, math.inf, math.nan, "5", True])
def test_bad_rate_limits_are_named(value: Any) -> None:
    table = Table(NOTES, client=RecordingClient())
    for call in (
        lambda: table.scan(rate_limit=value),
        lambda: table.scan_all(rate_limit=value),
        lambda: list(table.iter_scan(rate_limit=value)),
        lambda: table.query("a", rate_limit=value),
        lambda: table.query_all("a", rate_limit=value),
        lambda: list(table.iter_query("a", rate_limit=value)),
        lambda: table.scan_all_segments(total_segments=2, rate_limit=value),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == "rate_limit"
    assert table.client.calls == []


@pytest.mark.parametrize("value", [object(), 5, "limiter"])
def test_a_limiter_that_is_not_one_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Table(NOTES, client=RecordingClient(), limiter=value)
    assert caught.value.field == "limiter"
    with pytest.raises(ValidationError):
        AsyncTable(NOTES, client=AsyncRecordingClient(), limiter=value)


# --- the drivers -------------------------------------------------------------------------------------------


def test_the_sync_driver_waits_for_the_limiter_with_the_call_s_sleep() -> None:
    clock = Clock()
    table = Table(NOTES, client=RecordingClient(), limiter=SimpleLimiter(2, 1, now=clock))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    for n in range(2):
        table.transact_write([TransactPut(Note("a", n))], sleep=sleep)
    assert sleeps == [0.5]
    assert table.client.names() == ["transact_write_items", "transact_write_items"]


def test_the_async_driver_awaits_asyncio_sleep_for_limiter_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    def blocking_sleep(seconds: float) -> None:
        raise AssertionError("the async driver blocked its event loop with time.sleep")

    monkeypatch.setattr(time, "sleep", blocking_sleep)
    clock = Clock()
    stamps: list[float] = []
    client = AsyncRecordingClient({"put_item": lambda params: stamps.append(clock.now) or {}})
    table = AsyncTable(NOTES, client=client, limiter=SimpleLimiter(1000, 1, now=clock))

    async def main() -> None:
        done = asyncio.Event()

        async def ticker() -> None:  # fake time passes only while the event loop runs
            while not done.is_set():
                clock.advance(0.0001)
                await asyncio.sleep(0)

        ticking = asyncio.ensure_future(ticker())
        await asyncio.gather(table.put(Note("a", 1)), table.put(Note("a", 2)))
        done.set()
        await ticking

    asyncio.run(main())
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 1 / 1000  # the second put waited for a token, and the loop kept running


def test_limiter_and_rate_limit_parameters_are_the_same_on_both_drivers() -> None:
    import inspect

    for name in ("__init__",):
        sync = inspect.signature(getattr(Table, name)).parameters["limiter"]
        async_ = inspect.signature(getattr(AsyncTable, name)).parameters["limiter"]
        assert (
            (sync.kind, sync.default)
            == (async_.kind, async_.default)
            == (inspect.Parameter.KEYWORD_ONLY, None)
        )
    for name in ("scan", "scan_all", "iter_scan", "query", "query_all", "iter_query", "scan_all_segments"):
        sync = inspect.signature(getattr(Table, name)).parameters["rate_limit"]
        assert sync.kind is inspect.Parameter.KEYWORD_ONLY and sync.default is None
