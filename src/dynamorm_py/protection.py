"""Client-side protection of a table's throughput: a request-rate limiter and a concurrency limiter.

Either one is passed as ``Table(..., limiter=...)`` / ``AsyncTable(..., limiter=...)`` (or to
``DynamormClient``), and may be shared by several tables and threads. The table asks it before every
DynamoDB request (retries and batch chunks included) and waits between requests through its driver's sleep:
``time.sleep`` for ``Table``, an awaited ``asyncio.sleep`` for ``AsyncTable``, so a limited async table never
blocks its event loop. They can also be used by hand: ``allow()``, ``try_acquire()``/``release()``,
``with limiter.acquire():``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .errors import ERR_INVALID_VALUE, ValidationError

__all__ = ["ConcurrencyLimiter", "SimpleLimiter"]

# How long a request waiting for a ConcurrencyLimiter slot sleeps before asking again. Slots are freed by
# other threads or tasks whose timing is unknown here, so a waiting request polls; a few milliseconds is
# small next to a DynamoDB round trip and costs nothing measurable.
_SLOT_POLL_SECONDS = 0.005


def _argument_error(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name} {message}", code=ERR_INVALID_VALUE, field=name)


class SimpleLimiter:
    """A thread-safe token bucket: ``rps`` requests per second on average, bursts of up to ``burst``.

    The bucket starts full and refills ``elapsed * rps`` tokens (fractions kept) up to ``burst``; a request
    takes one token. ``now`` is the clock in seconds (default ``time.monotonic``).
    """

    def __init__(self, rps: float, burst: int, *, now: Callable[[], float] | None = None) -> None:
        if isinstance(rps, bool) or not isinstance(rps, int | float) or not 0 < rps < math.inf:
            raise _argument_error("rps", "must be a finite number of requests per second > 0")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst <= 0:
            raise _argument_error("burst", "must be an int > 0")
        if now is not None and not callable(now):
            raise _argument_error("now", "must be a callable returning seconds, or None")
        self._rps = float(rps)
        self._burst = burst
        self._now = now or time.monotonic
        self._tokens = float(burst)
        self._last = self._now()
        self._lock = threading.Lock()

    @property
    def rps(self) -> float:
        """The sustained rate, in requests per second."""
        return self._rps

    @property
    def burst(self) -> int:
        """How many requests may go at once after a quiet period."""
        return self._burst

    def _refill(self) -> None:
        now = self._now()
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(float(self._burst), self._tokens + elapsed * self._rps)
        self._last = max(self._last, now)

    def allow(self) -> bool:
        """Take a token if one is there; ``False`` (nothing taken) otherwise."""
        return self.admit() == 0.0

    def admit(self) -> float:
        """Take a token and return ``0.0``, or return the seconds until one will be there (nothing taken).

        This is what a table calls before each request.
        """
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._rps

    def release(self) -> None:
        """Nothing to give back: a token is spent by the request that took it."""

    def __repr__(self) -> str:
        return f"SimpleLimiter(rps={self._rps:g}, burst={self._burst})"


class ConcurrencyLimiter:
    """At most ``max_concurrent`` requests in flight at once (a bounded semaphore, thread-safe).

    A table takes a slot just before each request and gives it back as soon as the answer (or error, or
    cancellation) arrives; a request that finds no free slot sleeps a few milliseconds and asks again, so
    waiting holds no slot and a cancelled waiter leaves nothing behind.
    """

    def __init__(self, max_concurrent: int) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent <= 0:
            raise _argument_error("max_concurrent", "must be an int > 0")
        self._max = max_concurrent
        self._semaphore = threading.BoundedSemaphore(max_concurrent)

    @property
    def max_concurrent(self) -> int:
        """The most calls allowed in flight at once."""
        return self._max

    def try_acquire(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._semaphore.acquire(blocking=False)

    def release(self) -> None:
        """Give a slot back; releasing more than was taken is ``ValidationError``."""
        try:
            self._semaphore.release()
        except ValueError:
            raise ValidationError(
                "ConcurrencyLimiter.release() called more often than a slot was taken", code=ERR_INVALID_VALUE
            ) from None

    @contextmanager
    def acquire(self) -> Iterator[None]:
        """``with limiter.acquire():`` holds a slot for the block (blocking the thread until one is free)."""
        self._semaphore.acquire()
        try:
            yield
        finally:
            self._semaphore.release()

    def admit(self) -> float:
        """Take a slot and return ``0.0``, or return how long to wait before asking again.

        This is what a table calls before each request; it calls ``release()`` after the answer.
        """
        return 0.0 if self._semaphore.acquire(blocking=False) else _SLOT_POLL_SECONDS

    def __repr__(self) -> str:
        return f"ConcurrencyLimiter(max_concurrent={self._max})"
