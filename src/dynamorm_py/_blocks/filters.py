"""Filters: FilterCondition / FilterGroup trees and their rendering as a FilterExpression.

The same trees are the typed conditions of writes (``condition=``), rendered with their own placeholder
prefix. ``a & b``, ``a | b`` and ``~a`` build groups, so conditions read like the boolean they mean.
"""

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

LogicalOp = Literal["AND", "OR", "NOT"]


@dataclass(frozen=True)
class FilterCondition:
    """One filter term on a py-field."""

    field: str
    op: str
    values: tuple[Any, ...] = ()

    def __and__(self, other: FilterExpression) -> FilterGroup:
        return _combine("AND", self, other)

    def __or__(self, other: FilterExpression) -> FilterGroup:
        return _combine("OR", self, other)

    def __invert__(self) -> FilterGroup:
        return FilterGroup("NOT", (self,))

    @staticmethod
    def eq(field: str, value: Any) -> FilterCondition:
        """``field = value``."""
        return FilterCondition(field, "=", (value,))

    @staticmethod
    def ne(field: str, value: Any) -> FilterCondition:
        """``field <> value``."""
        return FilterCondition(field, "<>", (value,))

    @staticmethod
    def lt(field: str, value: Any) -> FilterCondition:
        """``field < value``."""
        return FilterCondition(field, "<", (value,))

    @staticmethod
    def lte(field: str, value: Any) -> FilterCondition:
        """``field <= value``."""
        return FilterCondition(field, "<=", (value,))

    @staticmethod
    def gt(field: str, value: Any) -> FilterCondition:
        """``field > value``."""
        return FilterCondition(field, ">", (value,))

    @staticmethod
    def gte(field: str, value: Any) -> FilterCondition:
        """``field >= value``."""
        return FilterCondition(field, ">=", (value,))

    @staticmethod
    def between(field: str, low: Any, high: Any) -> FilterCondition:
        """``field BETWEEN low AND high`` (both ends included)."""
        return FilterCondition(field, "BETWEEN", (low, high))

    @staticmethod
    def begins_with(field: str, prefix: Any) -> FilterCondition:
        """``begins_with(field, prefix)``, on strings and binaries."""
        return FilterCondition(field, "BEGINS_WITH", (prefix,))

    @staticmethod
    def contains(field: str, value: Any) -> FilterCondition:
        """``contains(field, value)``: a substring, or an element of a set or list."""
        return FilterCondition(field, "CONTAINS", (value,))

    @staticmethod
    def in_(field: str, values: Sequence[Any]) -> FilterCondition:
        """``field IN (values...)``."""
        return FilterCondition(field, "IN", tuple(values))

    @staticmethod
    def exists(field: str) -> FilterCondition:
        """``attribute_exists(field)``."""
        return FilterCondition(field, "EXISTS")

    @staticmethod
    def not_exists(field: str) -> FilterCondition:
        """``attribute_not_exists(field)``."""
        return FilterCondition(field, "NOT_EXISTS")


@dataclass(frozen=True)
class FilterGroup:
    """A nested AND/OR group of filters, or the NOT of exactly one filter."""

    op: LogicalOp
    filters: tuple[FilterExpression, ...]

    @staticmethod
    def and_(*filters: FilterExpression) -> FilterGroup:
        """All of ``filters`` (the same as ``a & b``)."""
        return FilterGroup("AND", tuple(filters))

    @staticmethod
    def or_(*filters: FilterExpression) -> FilterGroup:
        """Any of ``filters`` (the same as ``a | b``)."""
        return FilterGroup("OR", tuple(filters))

    @staticmethod
    def not_(filter: FilterExpression) -> FilterGroup:
        """The negation of ``filter`` (the same as ``~a``)."""
        return FilterGroup("NOT", (filter,))

    def __and__(self, other: FilterExpression) -> FilterGroup:
        return _combine("AND", self, other)

    def __or__(self, other: FilterExpression) -> FilterGroup:
        return _combine("OR", self, other)

    def __invert__(self) -> FilterExpression:
        if self.op == "NOT" and isinstance(self.filters, tuple) and len(self.filters) == 1:
            return self.filters[0]  # ~~a is a
        return FilterGroup("NOT", (self,))


FilterExpression = Union[FilterCondition, FilterGroup]  # noqa: UP007 - a runtime alias used in isinstance


def _combine(op: Literal["AND", "OR"], left: FilterExpression, right: Any) -> FilterGroup:
    """``left op right``, flattening groups of the same operator: ``a & b & c`` is one AND of three."""
    if not isinstance(right, FilterCondition | FilterGroup):
        return NotImplemented  # type: ignore[no-any-return]  # Python then raises its usual TypeError

    def members(node: FilterExpression) -> tuple[FilterExpression, ...]:
        if isinstance(node, FilterGroup) and node.op == op and isinstance(node.filters, tuple):
            return node.filters
        return (node,)

    return FilterGroup(op, members(left) + members(right))


class _Counter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f":{self.prefix}{self.n}"


def build_filter(
    codec: ModelCodec,
    expression: FilterExpression | None,
    *,
    security: bool,
    prefix: str = "f",
    what: str = "a filter",
) -> tuple[str, ExpressionParts]:
    """Render a filter tree; ``("", parts)`` when it renders nothing.

    ``prefix`` spells the placeholders (``#<prefix>_<field>``, ``:<prefix><n>``); ``what`` names the tree in
    errors ("a filter", "a condition").
    """
    parts = ExpressionParts()
    if expression is None:
        return "", parts
    counter = _Counter(prefix)

    def render(node: FilterExpression) -> str:
        if isinstance(node, FilterGroup):
            if node.op not in ("AND", "OR", "NOT"):
                raise ValidationError(f"unknown group operator {node.op!r}", code=ERR_INVALID_OPERATOR)
            if not isinstance(node.filters, tuple | list):
                raise ValidationError("a filter group holds a tuple of filters", code=ERR_INVALID_OPERATOR)
            if node.op == "NOT":
                if len(node.filters) != 1:
                    raise ValidationError("NOT takes exactly one filter", code=ERR_INVALID_OPERATOR)
                inner = render(node.filters[0])
                if not inner:
                    # An empty group means "no condition"; its negation would silently mean the same.
                    raise ValidationError("NOT of an empty group", code=ERR_INVALID_OPERATOR)
                # NOT binds tighter than AND/OR: the operand is always parenthesized, never twice.
                return "NOT " + (inner if inner.startswith("(") else f"({inner})")
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
                what=what,
            )
        raise ValidationError(f"{what} must be a FilterCondition or FilterGroup", code=ERR_INVALID_OPERATOR)

    return render(expression), parts


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
FilterCondition.__module__ = "dynamorm_py.query"
FilterGroup.__module__ = "dynamorm_py.query"
