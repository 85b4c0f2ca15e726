"""Pacing: a table's limiter admits each request, and a rate-limited read spaces its pages by the capacity
they consumed. Both wait through ``Sleep`` effects, so the async driver never blocks its event loop.

The limiter objects keep their own state and clock (``dynamorm_py.protection``); the core only asks them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from .._blocks.terms import invalid_operator
from ..errors import ERR_INVALID_VALUE, ValidationError
from .effects import AwsCall, Op, Sleep

__all__ = ["CapacityPace", "Limiter", "check_limiter", "check_rate_limit", "consumed_units", "limited"]

R = TypeVar("R")


@runtime_checkable
class Limiter(Protocol):
    """What a table asks of its ``limiter`` around each DynamoDB request.

    ``admit()`` returns ``0`` when the request may start now (having taken a token or a slot), or how many
    seconds to wait before asking again. ``release()`` is called once after every admitted request, whether
    it succeeded, failed or was cancelled.
    """

    def admit(self) -> float: ...

    def release(self) -> None: ...


def check_limiter(limiter: Any, *, table: str) -> Limiter | None:
    """The ``limiter=`` argument of a table, checked before any call."""
    if limiter is None or isinstance(limiter, Limiter):
        return limiter
    raise ValidationError(
        "limiter must be a dynamorm_py.protection.SimpleLimiter or ConcurrencyLimiter (or None)",
        code=ERR_INVALID_VALUE,
        table=table,
        field="limiter",
    )


def _admission(limiter: Limiter) -> Op[None]:
    """Wait, through pacing sleeps, until ``limiter`` admits one request."""
    while True:
        delay = limiter.admit()
        if not delay > 0:
            return
        yield Sleep(float(delay), pacing=True)


def limited(op: Op[R], limiter: Limiter) -> Op[R]:
    """``op`` with every DynamoDB request admitted by ``limiter`` first and released right after its answer.

    A waiting request holds nothing (a concurrency slot is taken only when free), so cancelling it while it
    waits needs no clean-up; a request in flight releases its slot however it ends: answer, error thrown
    back in, or the operation closed (task cancelled).
    """
    try:
        effect = next(op)
    except StopIteration as stop:
        done: R = stop.value
        return done
    try:
        while True:
            if not (isinstance(effect, AwsCall) and effect.service == "dynamodb"):
                try:
                    result = yield effect
                except Exception as exc:
                    effect = op.throw(exc)
                    continue
                effect = op.send(result)
                continue
            yield from _admission(limiter)
            try:
                result = yield effect
            except Exception as exc:
                limiter.release()
                effect = op.throw(exc)
                continue
            except BaseException:
                limiter.release()
                raise
            limiter.release()
            effect = op.send(result)
    except StopIteration as stop:
        value: R = stop.value
        return value
    finally:
        op.close()


# --- pacing reads by consumed capacity ---------------------------------------------------------------------


def check_rate_limit(rate_limit: Any) -> float | None:
    """``rate_limit=`` of a query or scan: capacity units per second, a finite number > 0, or ``None``."""
    if rate_limit is None:
        return None
    if (
        isinstance(rate_limit, bool)
        or not isinstance(rate_limit, int | float)
        or not 0 < rate_limit < math.inf
    ):
        raise invalid_operator(
            "rate_limit must be a finite number of capacity units per second > 0", field="rate_limit"
        )
    return float(rate_limit)


def consumed_units(response: Mapping[str, Any]) -> float:
    """The capacity units a response reports (one entry for a read, a list for batches and transactions)."""
    consumed = response.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed]
    total = 0.0
    for entry in entries:
        units = entry.get("CapacityUnits") if isinstance(entry, Mapping) else None
        if isinstance(units, int | float) and not isinstance(units, bool):
            total += float(units)
    return total


class CapacityPace:
    """Keeps a walk's consumed capacity at or under ``rate`` units per second of its elapsed time.

    The clock is the table's retry clock (monotonic by default), so a test can drive it.
    """

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self._clock = clock
        self._started: float | None = None
        self._consumed = 0.0

    def sending(self) -> None:
        """A page is about to be requested: the walk's time starts with its first page."""
        if self._started is None:
            self._started = self._clock()

    def consumed(self, response: Mapping[str, Any]) -> None:
        self._consumed += consumed_units(response)

    def wait(self) -> Op[None]:
        """Sleep until the capacity consumed so far fits the rate (before the next page)."""
        if self._started is None or self._consumed <= 0:
            return
        delay = self._consumed / self.rate - (self._clock() - self._started)
        if delay > 0:
            yield Sleep(delay, pacing=True)
