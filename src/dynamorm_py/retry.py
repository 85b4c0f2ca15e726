"""``RetryPolicy``: how the library retries throttling, HTTP 5xx and network failures.

Pass one as ``Table(..., retry_policy=RetryPolicy(...))``.
"""

from __future__ import annotations

from ._blocks.retry_policy import RetryPolicy

__all__ = ["RetryPolicy"]
