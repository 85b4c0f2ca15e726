"""Transaction actions: put, update, delete and condition check on one table.

Each action takes its caller condition either typed (``condition=``, the filter objects of
``dynamorm_py.query`` combined with ``&``, ``|``, ``~``) or raw (``condition_expression`` and its placeholder
maps), never both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union

from ._blocks.filters import FilterExpression

__all__ = [
    "TransactConditionCheck",
    "TransactDelete",
    "TransactPut",
    "TransactUpdate",
    "TransactWriteAction",
]

T = TypeVar("T")


@dataclass(frozen=True)
class TransactPut(Generic[T]):
    """Put ``item`` (lifecycle defaults apply; ``if_not_exists`` as ``Table.put``)."""

    item: T
    condition_expression: str | None = None
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    if_not_exists: bool = False
    condition: FilterExpression | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TransactDelete:
    """Delete the item with key ``(pk, sk)``."""

    pk: Any
    sk: Any = None
    condition_expression: str | None = None
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    expected_version: int | None = None
    condition: FilterExpression | None = field(default=None, kw_only=True)
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TransactUpdate:
    """Update fields of one item, with the rules of ``Table.update``."""

    pk: Any
    sk: Any
    updates: Mapping[str, Any]
    condition_expression: str | None = None
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    expected_version: int | None = None
    condition: FilterExpression | None = field(default=None, kw_only=True)
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = field(default=None, kw_only=True)


@dataclass(frozen=True)
class TransactConditionCheck:
    """Check a condition on one item without writing it: ``condition`` or ``condition_expression``."""

    pk: Any
    sk: Any
    condition_expression: str | None = None
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    condition: FilterExpression | None = field(default=None, kw_only=True)
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = field(default=None, kw_only=True)


TransactWriteAction = Union[TransactPut[T], TransactDelete, TransactUpdate, TransactConditionCheck]  # noqa: UP007
