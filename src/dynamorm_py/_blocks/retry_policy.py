"""Retry policy: how many attempts, how long to wait between them, and the clock and jitter it uses."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ERR_INVALID_VALUE, ValidationError

__all__ = ["DEFAULT_POLICY", "RetryPolicy"]


def _check_number(name: str, value: Any, *, minimum: float, integer: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "an int" if integer else "a number"
        raise ValidationError(f"{name} must be {kind} >= {minimum:g}", code=ERR_INVALID_VALUE, field=name)
    if not (minimum <= value < math.inf):
        raise ValidationError(f"{name} must be finite and >= {minimum:g}", code=ERR_INVALID_VALUE, field=name)


@dataclass(frozen=True)
class RetryPolicy:
    """How the library retries throttling, HTTP 5xx and network failures (one policy per table).

    * ``max_attempts``: attempts per request, the first included (1 turns retries off).
    * Before retry *n* the call waits ``uniform(0, min(max_delay, base_delay * 2**(n-1)))`` seconds
      (exponential backoff with full jitter); batches use the same backoff for their unprocessed items.
    * ``total_budget``: no retry starts when the time since the first failed attempt plus the next wait
      would exceed it (seconds; ``None``: no limit).
    * ``rand_uniform`` draws the jitter (default ``random.uniform``; pass ``random.Random(seed).uniform`` for
      repeatable waits) and ``clock`` measures the budget (default ``time.monotonic``).
    """

    max_attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 1.0
    total_budget: float | None = 10.0
    rand_uniform: Callable[[float, float], float] | None = None
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        _check_number("max_attempts", self.max_attempts, minimum=1, integer=True)
        _check_number("base_delay", self.base_delay, minimum=0)
        _check_number("max_delay", self.max_delay, minimum=0)
        if self.total_budget is not None:
            _check_number("total_budget", self.total_budget, minimum=0)
        for name in ("rand_uniform", "clock"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise ValidationError(
                    f"{name} must be a callable or None", code=ERR_INVALID_VALUE, field=name
                )

    @property
    def uniform(self) -> Callable[[float, float], float]:
        """The random source of the jitter: ``rand_uniform`` when given, else ``random.uniform``."""
        return self.rand_uniform or random.uniform

    def delay(self, retry: int) -> float:
        """The wait before retry ``retry`` (1-based)."""
        return self.uniform(0.0, min(self.max_delay, self.base_delay * 2.0 ** (retry - 1)))

    def now(self) -> float:
        """The policy's clock in seconds (``clock`` when given, else ``time.monotonic``), for the budget."""
        return (self.clock or time.monotonic)()


DEFAULT_POLICY = RetryPolicy()


# Users import these from dynamorm_py.retry: tracebacks, reprs and pickles name that module.
RetryPolicy.__module__ = "dynamorm_py.retry"
