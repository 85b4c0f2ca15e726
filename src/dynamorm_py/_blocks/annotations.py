"""Reading Python type annotations: Optional unwrapping, container kinds and DynamoDB type derivation."""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import enum
import types
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any, Union

__all__ = [
    "derive_dynamodb_type",
    "enum_kind",
    "is_set_annotation",
    "set_element_type",
    "unwrap_optional",
]

NUMERIC_TYPES: tuple[type, ...] = (int, float, Decimal)
SET_ORIGINS: tuple[Any, ...] = (set, frozenset, abc.Set, abc.MutableSet)
LIST_ORIGINS: tuple[Any, ...] = (list, tuple, abc.Sequence, abc.MutableSequence)
MAP_ORIGINS: tuple[Any, ...] = (dict, abc.Mapping, abc.MutableMapping)


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is Union or origin is types.UnionType


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` / ``Optional[X]`` -> ``(X, True)``; other unions keep their non-None members."""
    if not _is_union(tp):
        return tp, False
    members = [a for a in typing.get_args(tp) if a is not type(None)]
    optional = len(members) != len(typing.get_args(tp))
    if len(members) == 1:
        return members[0], optional
    return Union[tuple(members)], optional  # noqa: UP007 - built from a runtime tuple


def union_members(tp: Any) -> tuple[Any, ...]:
    """The members of a union annotation (``()`` for a non-union)."""
    return typing.get_args(tp) if _is_union(tp) else ()


def is_set_annotation(tp: Any) -> bool:
    tp, _ = unwrap_optional(tp)
    return tp in SET_ORIGINS or typing.get_origin(tp) in SET_ORIGINS


def set_element_type(tp: Any) -> Any:
    """The element annotation of a set or sequence annotation, or ``None`` when it is not stated."""
    tp, _ = unwrap_optional(tp)
    args = typing.get_args(tp)
    return args[0] if args else None


def enum_kind(tp: Any) -> str | None:
    """``"S"`` for a ``str`` Enum (``(str, Enum)``, ``StrEnum``), ``"N"`` for an ``int`` one (``IntEnum``,
    ``IntFlag``), ``"plain"`` for any other Enum (its members have no storable type), ``None`` otherwise."""
    if not (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return None
    if issubclass(tp, str):
        return "S"
    if issubclass(tp, int) and not issubclass(tp, bool):
        return "N"
    return "plain"


def _set_type_for_element(element: Any) -> str | None:
    element, _ = unwrap_optional(element)
    kind = enum_kind(element)
    if kind == "S":
        return "SS"
    if kind == "N":
        return "NS"
    if element is str:
        return "SS"
    if element in (bytes, bytearray):
        return "BS"
    if element is not bool and element in NUMERIC_TYPES:
        return "NS"
    members = union_members(element)
    if members and all(m in NUMERIC_TYPES and m is not bool for m in members):
        return "NS"
    return None


def derive_dynamodb_type(
    tp: Any,
    *,
    set_: bool = False,
    json: bool = False,
    binary: bool = False,
    dynamodb_type: str | None = None,
) -> str:
    """The DynamoDB type of a field (docs/wire-format.md §4.8); ``ValueError`` for an unknown set type."""
    if dynamodb_type:
        return dynamodb_type
    inner, _ = unwrap_optional(tp)
    if set_ or is_set_annotation(inner):
        derived = _set_type_for_element(set_element_type(inner))
        if derived is None:
            raise ValueError(
                "cannot derive the set type: annotate the element type (set[str], set[int], ...)"
            )
        return derived
    if json:
        return "S"
    if binary or inner in (bytes, bytearray):
        return "B"
    if inner is bool:
        return "BOOL"
    kind = enum_kind(inner)
    if kind == "S" or kind == "N":
        return kind
    if inner is str or inner is datetime:
        return "S"
    if inner in NUMERIC_TYPES:
        return "N"
    members = union_members(inner)
    if members and all(m in NUMERIC_TYPES for m in members):
        return "N"
    origin = typing.get_origin(inner)
    if inner is dict or origin in MAP_ORIGINS or inner in MAP_ORIGINS:
        return "M"
    if inner in (list, tuple) or origin in LIST_ORIGINS or inner in LIST_ORIGINS:
        return "L"
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return "M"
    return "S"
