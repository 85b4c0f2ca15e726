"""Pages: one page of results and the cursor of the next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "Page",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is ``None`` on the last page."""

    items: list[T]
    next_cursor: str | None


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
Page.__module__ = "dynamorm_py.query"
