"""Transaction actions: put, update, delete and condition check on one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, Union

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


@dataclass(frozen=True)
class TransactDelete:
    """Delete the item with key ``(pk, sk)``."""

    pk: Any
    sk: Any = None
    condition_expression: str | None = None
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    expected_version: int | None = None
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = None


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
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = None


@dataclass(frozen=True)
class TransactConditionCheck:
    """Check a condition on one item without writing it."""

    pk: Any
    sk: Any
    condition_expression: str
    expression_attribute_names: Mapping[str, str] | None = None
    expression_attribute_values: Mapping[str, Any] | None = None
    # Through a DynamormClient: the item's model (its ModelDefinition or dataclass); Table ignores it.
    model: Any = None


TransactWriteAction = Union[TransactPut[T], TransactDelete, TransactUpdate, TransactConditionCheck]  # noqa: UP007
