"""Key conditions: sort-key conditions and the KeyConditionExpression of a query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    ValidationError,
)
from .attributes import IndexDefinition
from .codec import AV, FieldCodec, ModelCodec, check_key_av
from .cursor import key_value_order
from .terms import encode_operand, invalid_operator

if TYPE_CHECKING:
    from ..optimizer import IndexType

__all__ = [
    "KeyCondition",
    "KeySchema",
    "SortKeyCondition",
    "build_key_condition",
]


@dataclass(frozen=True)
class SortKeyCondition:
    """A condition on the sort key of a query: ``= < <= > >= between begins_with``."""

    op: str
    values: tuple[Any, ...]

    @staticmethod
    def eq(value: Any) -> SortKeyCondition:
        """Sort key ``= value``."""
        return SortKeyCondition("=", (value,))

    @staticmethod
    def lt(value: Any) -> SortKeyCondition:
        """Sort key ``< value``."""
        return SortKeyCondition("<", (value,))

    @staticmethod
    def lte(value: Any) -> SortKeyCondition:
        """Sort key ``<= value``."""
        return SortKeyCondition("<=", (value,))

    @staticmethod
    def gt(value: Any) -> SortKeyCondition:
        """Sort key ``> value``."""
        return SortKeyCondition(">", (value,))

    @staticmethod
    def gte(value: Any) -> SortKeyCondition:
        """Sort key ``>= value``."""
        return SortKeyCondition(">=", (value,))

    @staticmethod
    def between(low: Any, high: Any) -> SortKeyCondition:
        """Sort key between ``low`` and ``high``, both included."""
        return SortKeyCondition("between", (low, high))

    @staticmethod
    def begins_with(prefix: Any) -> SortKeyCondition:
        """Sort key starting with ``prefix`` (string and binary sort keys only)."""
        return SortKeyCondition("begins_with", (prefix,))


# Sort-key operators (docs/wire-format.md §6; the words case-insensitive) -> how they render.
_SORT_OPERATORS = {
    "=": "=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "between": "BETWEEN",
    "begins_with": "BEGINS_WITH",
}
# The key types DynamoDB allows, as named in messages.
_KEY_TYPE_NAMES = {"S": "a string (S)", "N": "a number (N)", "B": "binary (B)"}


@dataclass(frozen=True)
class KeySchema:
    """The keys a request reads through: the table's, or those of one of its indexes."""

    index: IndexDefinition | None
    partition: FieldCodec
    sort: FieldCodec | None
    # Every attribute of a LastEvaluatedKey read through these keys, with its DynamoDB type: the table's
    # keys, plus the index keys for an index (DynamoDB returns both so it can resume inside the index).
    cursor_keys: Mapping[str, str] = field(default_factory=dict)

    def key_type(self, f: FieldCodec) -> str | None:
        """The DynamoDB type (S/N/B) of key field ``f``, or ``None`` when the model declares another type."""
        kind = self.cursor_keys.get(f.attribute_name)
        return kind if kind in _KEY_TYPE_NAMES else None

    @property
    def where(self) -> str:
        """The table or index, as named in messages."""
        return f"index {self.index.name!r}" if self.index is not None else "the table"

    @property
    def index_name(self) -> str | None:
        return self.index.name if self.index is not None else None

    @property
    def index_type(self) -> IndexType:
        if self.index is None:
            return "TABLE"
        return "GSI" if self.index.type == "GSI" else "LSI"


def _key_value(codec: ModelCodec, f: FieldCodec, kind: str | None, value: Any, what: str) -> AV:
    """``value`` encoded for key field ``f`` of type ``kind``; a value of another type fails here, by name,
    instead of reaching DynamoDB (which would reject it, or find nothing)."""
    if f.encrypted:
        raise ValidationError(
            f"encrypted field {f.python_name!r} cannot be used in a key condition",
            code=ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
            field=f.attribute_name,
        )
    if f.converter is None and (value is True or value is False):
        raise _wrong_key_type(f, kind, "a bool", what)
    av = codec.encode_key_value(f, value)
    if kind is not None and kind not in av:
        raise _wrong_key_type(f, kind, _KEY_TYPE_NAMES.get(next(iter(av)), "another type"), what)
    return av


def _wrong_key_type(f: FieldCodec, kind: str | None, given: str, what: str) -> ValidationError:
    expected = _KEY_TYPE_NAMES.get(kind or "", "a string, number or binary")
    return ValidationError(
        f"{what} for key attribute {f.attribute_name!r} must be {expected}, not {given}",
        code=ERR_INVALID_VALUE,
        field=f.attribute_name,
    )


@dataclass(frozen=True)
class KeyCondition:
    """A rendered key condition, and the sort-key term a cursor's sort key must satisfy."""

    expression: str
    names: dict[str, str]
    values: dict[str, AV]
    sort_op: str | None = None
    sort_operands: tuple[AV, ...] = ()


def build_key_condition(
    codec: ModelCodec, schema: KeySchema, partition: Any, sort: SortKeyCondition | None
) -> KeyCondition:
    """``#pk = :pk`` plus the sort-key term, with their placeholder maps (docs/wire-format.md §6)."""
    if partition is None:
        raise ValidationError(
            "a query needs a partition key value",
            code=ERR_MISSING_PRIMARY_KEY,
            field=schema.partition.attribute_name,
        )
    names = {"#pk": schema.partition.attribute_name}
    values = {
        ":pk": _key_value(
            codec, schema.partition, schema.key_type(schema.partition), partition, "the partition value"
        )
    }
    if sort is None:
        return KeyCondition("#pk = :pk", names, values)
    if not isinstance(sort, SortKeyCondition):
        raise invalid_operator("sort must be a SortKeyCondition")
    if schema.sort is None:
        raise invalid_operator(f"{schema.where} has no sort key: a sort condition cannot be used")
    op = _SORT_OPERATORS.get(sort.op.strip().lower()) if isinstance(sort.op, str) else None
    if op is None:
        raise invalid_operator(f"unknown sort key operator {sort.op!r}")
    operands = tuple(sort.values) if isinstance(sort.values, (tuple, list)) else (sort.values,)
    expected = 2 if op == "BETWEEN" else 1
    if len(operands) != expected:
        raise invalid_operator(f"sort key operator {sort.op} takes {expected} value(s)")
    kind = schema.key_type(schema.sort)
    if op == "BEGINS_WITH" and kind == "N":
        raise ValidationError(
            f"begins_with cannot be used on the numeric sort key {schema.sort.attribute_name!r}: "
            "DynamoDB allows it only on string and binary keys",
            code=ERR_INVALID_OPERATOR,
            field=schema.sort.attribute_name,
        )
    names["#sk"] = schema.sort.attribute_name
    what = "each between bound" if op == "BETWEEN" else "the sort condition value"
    if op == "BEGINS_WITH":
        # A prefix rather than a key value: a str (or bytes), also on a datetime sort key.
        prefix = encode_operand(codec, schema.sort, op, operands[0])
        check_key_av(prefix, schema.sort.attribute_name)  # an empty prefix, as an empty key
        if kind is not None and kind not in prefix:
            raise _wrong_key_type(
                schema.sort, kind, _KEY_TYPE_NAMES.get(next(iter(prefix)), "another type"), what
            )
        sort_operands: tuple[AV, ...] = (prefix,)
    else:
        sort_operands = tuple(_key_value(codec, schema.sort, kind, value, what) for value in operands)
    if op == "BETWEEN":
        low, high = sort_operands
        values[":sk1"] = low
        values[":sk2"] = high
        bounds = (key_value_order(kind, low[kind]), key_value_order(kind, high[kind])) if kind else ()
        if bounds and None not in bounds and bounds[0] > bounds[1]:
            raise ValidationError(
                f"between on sort key {schema.sort.attribute_name!r} needs the lower bound first",
                code=ERR_INVALID_OPERATOR,
                field=schema.sort.attribute_name,
            )
        expression = "#pk = :pk AND #sk BETWEEN :sk1 AND :sk2"
    else:
        values[":sk"] = sort_operands[0]
        if op == "BEGINS_WITH":
            expression = "#pk = :pk AND begins_with(#sk, :sk)"
        else:
            expression = f"#pk = :pk AND #sk {op} :sk"
    return KeyCondition(expression, names, values, op, sort_operands)


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
SortKeyCondition.__module__ = "dynamorm_py.query"
