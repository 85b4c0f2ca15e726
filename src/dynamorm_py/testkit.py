"""Deterministic helpers for unit tests: the scripted client fakes, fixed random bytes, a fixed clock and a
sleep that returns at once.

``Table(..., client=FakeDynamoDBClient(), rand_bytes=fixed_rand_bytes(b"n"), now=fixed_clock(start))``
sends byte-for-byte the same requests on every run, and ``sleep=no_sleep`` on the retrying methods
(``batch_write``, ``transact_write``, ...) skips their back-off waits. Nothing here is imported by
``import dynamorm_py``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from dynamorm_py.errors import ERR_INVALID_VALUE, ValidationError

from .mocks import ANY, AsyncFakeDynamoDBClient, AsyncFakeKmsClient, FakeDynamoDBClient, FakeKmsClient

__all__ = [
    "ANY",
    "AsyncFakeDynamoDBClient",
    "AsyncFakeKmsClient",
    "FakeDynamoDBClient",
    "FakeKmsClient",
    "fixed_clock",
    "fixed_rand_bytes",
    "no_sleep",
]


def fixed_rand_bytes(seed: bytes) -> Callable[[int], bytes]:
    """A stand-in for ``os.urandom``: ``n`` bytes of ``seed`` repeated, so nonces are the same on every run.

    An empty ``seed`` → ``ValueError`` (it could not fill a request); the returned function raises
    ``ValueError`` for ``n < 0`` and returns ``b""`` for ``n == 0``.
    """
    if not isinstance(seed, bytes | bytearray):
        raise _argument_error(f"fixed_rand_bytes: seed must be bytes, got {type(seed).__name__}")
    if not seed:
        raise _argument_error("fixed_rand_bytes: seed must not be empty")
    pattern = bytes(seed)

    def rand_bytes(n: int) -> bytes:
        if n < 0:
            raise _argument_error(f"rand_bytes: n must be >= 0, got {n}")
        repeats = -(-n // len(pattern))
        return (pattern * repeats)[:n]

    return rand_bytes


def fixed_clock(start: datetime, *, step: timedelta = timedelta(0)) -> Callable[[], datetime]:
    """A clock for ``Table(now=...)`` returning ``start``, then ``start + step``, ``start + 2*step``, …

    The default ``step`` of zero freezes time. ``start`` must be timezone-aware (the library refuses naive
    timestamps), else ``ValueError``. Safe to share between threads: each call gets the next tick.
    """
    if not isinstance(start, datetime):
        raise _argument_error(f"fixed_clock: start must be a datetime, got {type(start).__name__}")
    if start.tzinfo is None or start.utcoffset() is None:
        raise _argument_error(
            "fixed_clock: start must be timezone-aware, e.g. datetime(..., tzinfo=timezone.utc)"
        )
    if not isinstance(step, timedelta):
        raise _argument_error(f"fixed_clock: step must be a timedelta, got {type(step).__name__}")
    ticks = itertools.count()
    lock = threading.Lock()

    def now() -> datetime:
        with lock:
            tick = next(ticks)
        return start + step * tick

    return now


def no_sleep(_: float) -> None:
    """A ``sleep=`` for ``Table``'s retrying methods (``batch_write(..., sleep=no_sleep)``) that returns at
    once, so retry back-offs cost no test time."""


def _argument_error(message: str) -> ValidationError:
    """A test-kit argument that cannot be used (a ``ValueError``, as the test kit has always raised)."""
    return ValidationError(message, code=ERR_INVALID_VALUE)


# The in-memory DynamoDB lives in dynamorm_py.memory; the test kit hands it out too, loaded on first use so
# that scripted-fake users never pay for it. (``__all__`` stays the documented list of the fakes.)
_MEMORY_NAMES = frozenset({"memory_client", "async_memory_client", "memory_kms_client", "MemoryDynamoDB"})


def __getattr__(name: str) -> object:
    if name in _MEMORY_NAMES:
        from . import memory

        return getattr(memory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
