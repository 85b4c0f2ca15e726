"""Query primitives: sort-key conditions, filters, pages and cursors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, Union

from ._blocks.cursor import Cursor, decode_cursor, encode_cursor, sign_cursor, verify_cursor

__all__ = [
    "Cursor",
    "FilterCondition",
    "FilterExpression",
    "FilterGroup",
    "LogicalOp",
    "Page",
    "SortKeyCondition",
    "decode_cursor",
    "encode_cursor",
    "sign_cursor",
    "verify_cursor",
]

T = TypeVar("T")

LogicalOp = Literal["AND", "OR"]


@dataclass(frozen=True)
class SortKeyCondition:
    """A condition on the sort key of a query: ``= < <= > >= between begins_with``."""

    op: str
    values: tuple[Any, ...]

    @staticmethod
    def eq(value: Any) -> SortKeyCondition:
        return SortKeyCondition("=", (value,))

    @staticmethod
    def lt(value: Any) -> SortKeyCondition:
        return SortKeyCondition("<", (value,))

    @staticmethod
    def lte(value: Any) -> SortKeyCondition:
        return SortKeyCondition("<=", (value,))

    @staticmethod
    def gt(value: Any) -> SortKeyCondition:
        return SortKeyCondition(">", (value,))

    @staticmethod
    def gte(value: Any) -> SortKeyCondition:
        return SortKeyCondition(">=", (value,))

    @staticmethod
    def between(low: Any, high: Any) -> SortKeyCondition:
        return SortKeyCondition("between", (low, high))

    @staticmethod
    def begins_with(prefix: Any) -> SortKeyCondition:
        return SortKeyCondition("begins_with", (prefix,))


@dataclass(frozen=True)
class FilterCondition:
    """One filter term on a py-field."""

    field: str
    op: str
    values: tuple[Any, ...] = ()

    @staticmethod
    def eq(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, "=", (value,))

    @staticmethod
    def ne(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, "<>", (value,))

    @staticmethod
    def lt(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, "<", (value,))

    @staticmethod
    def lte(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, "<=", (value,))

    @staticmethod
    def gt(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, ">", (value,))

    @staticmethod
    def gte(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, ">=", (value,))

    @staticmethod
    def between(field: str, low: Any, high: Any) -> FilterCondition:
        return FilterCondition(field, "BETWEEN", (low, high))

    @staticmethod
    def begins_with(field: str, prefix: Any) -> FilterCondition:
        return FilterCondition(field, "BEGINS_WITH", (prefix,))

    @staticmethod
    def contains(field: str, value: Any) -> FilterCondition:
        return FilterCondition(field, "CONTAINS", (value,))

    @staticmethod
    def in_(field: str, values: Sequence[Any]) -> FilterCondition:
        return FilterCondition(field, "IN", tuple(values))

    @staticmethod
    def exists(field: str) -> FilterCondition:
        return FilterCondition(field, "EXISTS")

    @staticmethod
    def not_exists(field: str) -> FilterCondition:
        return FilterCondition(field, "NOT_EXISTS")


@dataclass(frozen=True)
class FilterGroup:
    """A nested AND/OR group of filters."""

    op: LogicalOp
    filters: tuple[FilterExpression, ...]

    @staticmethod
    def and_(*filters: FilterExpression) -> FilterGroup:
        return FilterGroup("AND", tuple(filters))

    @staticmethod
    def or_(*filters: FilterExpression) -> FilterGroup:
        return FilterGroup("OR", tuple(filters))


FilterExpression = Union[FilterCondition, FilterGroup]  # noqa: UP007 - a runtime alias used in isinstance


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is ``None`` on the last page."""

    items: list[T]
    next_cursor: str | None
