"""The data-key cache: KMS data keys reused within a process, bounded by count and age; thread-safe.

It keeps a lock and reads a clock, which is why it is a block of its own rather than part of an operation.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..errors import ERR_INVALID_VALUE, ValidationError

__all__ = [
    "DataKeyCache",
]

# NIST SP 800-38D caps AES-GCM with random 96-bit nonces at 2**32 messages per key.
_MAX_MESSAGES_PER_KEY: Final = 2**32


@dataclass(repr=False)
class _CachedKey:
    data_key: bytes
    edk: bytes
    created: float
    uses: int = 0


_Slot = tuple[str, str, bytes]  # ("encrypt", key ARN, b"") or ("decrypt", key ARN, edk)


class DataKeyCache:
    """An opt-in, in-memory cache of KMS data keys, bounded by count (LRU) and by age; thread-safe.

    Off by default: docs/wire-format.md §3.2 calls for one GenerateDataKey per value, and that stays so.
    Passed as ``key_source``, the cache lets encryption reuse one (data key, edk) pair per KMS key ARN for
    up to ``max_age_seconds`` (every value still gets a fresh nonce, so the stored format is unchanged), and
    lets decryption reuse the data key KMS returned for an edk. Keys live only in this process's memory;
    ``repr`` shows the bounds and the size, never key material. Two threads that miss at the same time may
    both call KMS; both results are valid.
    """

    def __init__(
        self,
        max_keys: int = 100,
        max_age_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValidationError("DataKeyCache: max_keys must be an int >= 1", code=ERR_INVALID_VALUE)
        if (
            isinstance(max_age_seconds, bool)
            or not isinstance(max_age_seconds, int | float)
            or not math.isfinite(max_age_seconds)
            or max_age_seconds <= 0
        ):
            raise ValidationError(
                "DataKeyCache: max_age_seconds must be a finite number > 0", code=ERR_INVALID_VALUE
            )
        self._max_keys = max_keys
        self._max_age = float(max_age_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[_Slot, _CachedKey] = OrderedDict()

    @property
    def max_keys(self) -> int:
        return self._max_keys

    @property
    def max_age_seconds(self) -> float:
        return self._max_age

    def clear(self) -> None:
        """Forget every cached key."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """The number of live entries (expired ones are dropped first)."""
        with self._lock:
            now = self._clock()
            for slot in [slot for slot, entry in self._entries.items() if self._expired(entry, now)]:
                del self._entries[slot]
            return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"DataKeyCache(max_keys={self._max_keys}, max_age_seconds={self._max_age}, "
            f"size={len(self._entries)})"
        )

    def _expired(self, entry: _CachedKey, now: float) -> bool:
        age = now - entry.created
        return not 0 <= age < self._max_age

    def _live(self, slot: _Slot) -> _CachedKey | None:
        """The entry in ``slot`` unless it has expired; marks it most recently used. Hold the lock."""
        entry = self._entries.get(slot)
        if entry is None:
            return None
        if self._expired(entry, self._clock()):
            del self._entries[slot]
            return None
        self._entries.move_to_end(slot)
        return entry

    def _store(self, slot: _Slot, entry: _CachedKey) -> None:
        """Insert ``entry`` as most recently used and evict the least recently used. Hold the lock."""
        self._entries[slot] = entry
        self._entries.move_to_end(slot)
        while len(self._entries) > self._max_keys:
            self._entries.popitem(last=False)

    def _encryption_key(self, key_arn: str) -> tuple[bytes, bytes] | None:
        """A cached (data key, edk) for ``key_arn``, counted as one more use, or ``None``."""
        slot: _Slot = ("encrypt", key_arn, b"")
        with self._lock:
            entry = self._live(slot)
            if entry is None:
                return None
            if entry.uses >= _MAX_MESSAGES_PER_KEY:
                del self._entries[slot]
                return None
            entry.uses += 1
            return entry.data_key, entry.edk

    def _remember_encryption_key(self, key_arn: str, data_key: bytes, edk: bytes) -> None:
        """Cache a fresh pair from GenerateDataKey (already used once), for encryption and decryption."""
        now = self._clock()
        with self._lock:
            self._store(("decrypt", key_arn, edk), _CachedKey(data_key, edk, now))
            self._store(("encrypt", key_arn, b""), _CachedKey(data_key, edk, now, uses=1))

    def _decryption_key(self, key_arn: str, edk: bytes) -> bytes | None:
        with self._lock:
            entry = self._live(("decrypt", key_arn, edk))
            return entry.data_key if entry is not None else None

    def _remember_decryption_key(self, key_arn: str, edk: bytes, data_key: bytes) -> None:
        now = self._clock()
        with self._lock:
            self._store(("decrypt", key_arn, edk), _CachedKey(data_key, edk, now))


# Users import these from dynamorm_py.encryption: tracebacks, reprs and pickles name that module.
DataKeyCache.__module__ = "dynamorm_py.encryption"
