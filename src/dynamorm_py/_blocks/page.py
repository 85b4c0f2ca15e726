"""Pages: one page of results and the cursor of the next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "Page",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is ``None`` on the last page.

    ``unrecognized`` holds the raw stored items (low-level AttributeValues) of the page that the model's
    ``matches`` predicate rejected: items of other entity types sharing the table. Always empty for a model
    without ``matches``.
    """

    items: list[T]
    next_cursor: str | None
    unrecognized: tuple[dict[str, Any], ...] = ()


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
Page.__module__ = "dynamorm_py.query"
