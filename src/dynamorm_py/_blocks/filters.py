"""Filters: FilterCondition / FilterGroup trees and their rendering as a FilterExpression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

from ..errors import ERR_INVALID_OPERATOR, ValidationError
from .codec import ModelCodec
from .terms import ExpressionParts, render_term

__all__ = [
    "FilterCondition",
    "FilterExpression",
    "FilterGroup",
    "LogicalOp",
    "build_filter",
]

LogicalOp = Literal["AND", "OR"]


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


class _Counter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f":{self.prefix}{self.n}"


def build_filter(
    codec: ModelCodec, expression: FilterExpression | None, *, security: bool, prefix: str = "f"
) -> tuple[str, ExpressionParts]:
    """Render a filter tree; ``("", parts)`` when it renders nothing."""
    parts = ExpressionParts()
    if expression is None:
        return "", parts
    counter = _Counter(prefix)

    def render(node: FilterExpression) -> str:
        if isinstance(node, FilterGroup):
            if node.op not in ("AND", "OR"):
                raise ValidationError(f"unknown group operator {node.op!r}", code=ERR_INVALID_OPERATOR)
            if not isinstance(node.filters, tuple | list):
                raise ValidationError("a filter group holds a tuple of filters", code=ERR_INVALID_OPERATOR)
            children = [text for text in (render(child) for child in node.filters) if text]
            if not children:
                return ""
            if len(children) == 1:
                return children[0]
            return "(" + f" {node.op} ".join(children) + ")"
        if isinstance(node, FilterCondition):
            if not isinstance(node.values, tuple | list):
                raise ValidationError("filter values must be a tuple", code=ERR_INVALID_OPERATOR)
            return render_term(
                codec,
                parts,
                field_name=node.field,
                op=node.op,
                values=node.values,
                name_prefix=prefix,
                next_value=counter,
                security=security,
                what="a filter",
            )
        raise ValidationError("a filter must be a FilterCondition or FilterGroup", code=ERR_INVALID_OPERATOR)

    return render(expression), parts


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
FilterCondition.__module__ = "dynamorm_py.query"
FilterGroup.__module__ = "dynamorm_py.query"
