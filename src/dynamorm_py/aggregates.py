"""In-memory aggregates over items already read: sums, averages, extremes, distinct counts and GROUP BY.

Items may be model instances (attribute access) or mappings (``.get``). A value is *missing* only when it is
``None`` or absent: ``0``, ``""``, ``False`` and empty collections are values. Asking a dataclass instance
for a field it does not have is a typo, not a missing value, and raises.

Arithmetic is exact for the types DynamoDB reads back:

- ``int`` values sum to an ``int``; ``int`` and ``Decimal`` values sum to an exact ``Decimal`` (never rounded
  to the 28 digits of Python's default decimal context). Any ``float`` makes the result a ``float``, computed
  exactly and rounded once.
- An average of ``int``/``Decimal`` values is a ``Decimal`` with DynamoDB's 38-digit precision: exact
  whenever the quotient fits in 38 significant digits, otherwise rounded half-even there.
- The sum and the average of no values are ``0`` (an ``int``, equal to ``0.0``, and unlike ``0.0`` it adds to
  a ``Decimal`` without a ``TypeError``).

Errors (all ``ValidationError``, so also ``ValueError``; ``field`` names the field, messages never show a
value): a ``bool``, non-number or non-finite number where a number is needed → ErrInvalidValue; ``min_field``
or ``max_field`` over no items or no values → ErrInvalidValue (``"no items found"`` / ``"no values found"``);
values that cannot be ordered against each other → ErrInvalidValue; an unknown field of a dataclass item →
ErrInvalidModel; an unknown ``having`` operator → ErrInvalidOperator; a ``having`` on an unknown alias, or an
alias used twice → ErrInvalidValue.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic, Literal, TypeVar

from .errors import ERR_INVALID_MODEL, ERR_INVALID_OPERATOR, ERR_INVALID_VALUE, ValidationError

__all__ = [
    "AggregateFunction",
    "AggregateResult",
    "GroupByQuery",
    "GroupedResult",
    "aggregate_field",
    "average_field",
    "count_distinct",
    "group_by",
    "max_field",
    "min_field",
    "sum_field",
]

T = TypeVar("T")

AggregateFunction = Literal["COUNT", "SUM", "AVG", "MIN", "MAX"]

# A number as aggregates return it: exact (int, Decimal) unless a float took part.
Number = int | Decimal | float

# Sums of Decimals are exact: with this precision and exponent range an addition never rounds.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
# Averages are divided with DynamoDB's number precision, so the result can be stored as it is.
_DYNAMODB = decimal.Context(prec=38, rounding=decimal.ROUND_HALF_EVEN)

_MISSING = object()
_COUNT_ALL = "COUNT(*)"
_OPERATORS = frozenset({"=", ">", ">=", "<", "<=", "!="})


@dataclass(frozen=True)
class AggregateResult:
    """The aggregates of one field: extremes, how many values, their sum and average.

    ``count`` is the number of values (of items, for a count without a field); ``sum`` and ``average`` are
    ``0`` when there is no value, ``min`` and ``max`` ``None``.
    """

    min: Any = None
    max: Any = None
    count: int = 0
    sum: Number = 0
    average: Number = 0


@dataclass
class GroupedResult(Generic[T]):
    """One group of :meth:`GroupByQuery.execute`: its key (the first value seen), the aggregates by alias,
    its items in input order and how many there are."""

    key: Any
    aggregates: dict[str, AggregateResult]
    items: list[T]
    count: int


# --- reading values ------------------------------------------------------------------------------------


def _value(item: Any, name: str, operation: str) -> Any:
    """The field's value of one item, or ``_MISSING`` when it is ``None`` or absent."""
    if isinstance(item, Mapping):
        value = item.get(name, _MISSING)
    else:
        value = getattr(item, name, _MISSING)
        if value is _MISSING and dataclasses.is_dataclass(item):
            raise ValidationError(
                f"{operation}: {type(item).__name__} has no field {name!r}",
                code=ERR_INVALID_MODEL,
                operation=operation,
                field=name,
            )
    return _MISSING if value is None else value


def _values(items: Iterable[Any], name: str, operation: str) -> list[Any]:
    _check_field_name(name, operation)
    values = []
    for item in items:
        value = _value(item, name, operation)
        if value is not _MISSING:
            values.append(value)
    return values


def _check_field_name(name: Any, operation: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValidationError(
            f"{operation}: field must be a non-empty str", code=ERR_INVALID_VALUE, operation=operation
        )


def _numbers(values: list[Any], name: str, operation: str) -> list[Number]:
    for value in values:
        kind = type(value)
        if kind is int or (kind is Decimal and value.is_finite()):
            continue
        if kind is float and math.isfinite(value):
            continue
        _check_number(value, name, operation)  # subclasses and the errors: off the common path
    return values


def _check_number(value: Any, name: str, operation: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValidationError(
            f"{operation}: field {name!r} holds a {type(value).__name__}, not a number",
            code=ERR_INVALID_VALUE,
            operation=operation,
            field=name,
        )
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise ValidationError(
            f"{operation}: field {name!r} holds a non-finite number",
            code=ERR_INVALID_VALUE,
            operation=operation,
            field=name,
        )


# --- exact arithmetic ----------------------------------------------------------------------------------


def _sum(numbers: Sequence[Number]) -> Number:
    if all(type(n) is int for n in numbers):
        return sum(numbers, 0)
    if not any(isinstance(n, float) for n in numbers):
        total = Decimal(0)
        for n in numbers:
            total = _EXACT.add(total, n)  # type: ignore[arg-type]  # no float here: checked just above
        return total
    # A float took part: add exactly, round once (a plain float sum rounds at every step).
    return float(sum((Fraction(n) for n in numbers), Fraction(0)))


def _average(numbers: Sequence[Number], total: Number) -> Number:
    if not numbers:
        return 0
    if isinstance(total, float):
        return float(sum((Fraction(n) for n in numbers), Fraction(0)) / len(numbers))
    return _DYNAMODB.divide(Decimal(total), len(numbers))


def _extreme(values: list[Any], name: str, operation: str, pick: Any) -> Any:
    for value in values:
        if isinstance(value, (float, Decimal)) and not isinstance(value, bool):
            _check_number(value, name, operation)  # NaN compares false both ways: no answer at all
    try:
        return pick(values)
    except TypeError:
        raise ValidationError(
            f"{operation}: field {name!r} holds values that cannot be ordered against each other",
            code=ERR_INVALID_VALUE,
            operation=operation,
            field=name,
        ) from None


# --- one-field aggregates -----------------------------------------------------------------------------


def sum_field(items: Iterable[Any], field: str) -> Number:
    """The sum of ``field`` over ``items``, missing values skipped; ``0`` when there is none.

    ``int`` values give an ``int``, ``int``/``Decimal`` values an exact ``Decimal``, any ``float`` a
    ``float``. A non-numeric, ``bool`` or non-finite value is ``ValidationError`` (ErrInvalidValue).
    """
    return _sum(_numbers(_values(items, field, "sum_field"), field, "sum_field"))


def average_field(items: Iterable[Any], field: str) -> Number:
    """The mean of ``field`` over the items that have a value; ``0`` when none has.

    ``int``/``Decimal`` values give a ``Decimal`` of at most 38 significant digits (exact when the mean
    fits), any ``float`` a ``float``. Bad values as :func:`sum_field`.
    """
    numbers = _numbers(_values(items, field, "average_field"), field, "average_field")
    return _average(numbers, _sum(numbers))


def min_field(items: Iterable[Any], field: str) -> Any:
    """The smallest value of ``field`` (numbers, strings, datetimes: anything ordered), missing skipped.

    No items → ``ValidationError("no items found")``; items but no value → ``ValidationError`` too (both
    ErrInvalidValue, both ``ValueError`` as upstream raised).
    """
    return _min_or_max(items, field, "min_field", min)


def max_field(items: Iterable[Any], field: str) -> Any:
    """The largest value of ``field``; the same rules as :func:`min_field`."""
    return _min_or_max(items, field, "max_field", max)


def _min_or_max(items: Iterable[Any], name: str, operation: str, pick: Any) -> Any:
    items = list(items)
    if not items:
        raise ValidationError("no items found", code=ERR_INVALID_VALUE, operation=operation, field=name)
    values = _values(items, name, operation)
    if not values:
        raise ValidationError(
            f"no values found for field {name!r}", code=ERR_INVALID_VALUE, operation=operation, field=name
        )
    return _extreme(values, name, operation, pick)


def aggregate_field(items: Iterable[Any], field: str | None = None) -> AggregateResult:
    """Every aggregate of one numeric ``field`` at once; ``field=None`` counts the items only.

    With a field, ``count`` is the number of values (missing ones skipped). No value gives
    ``AggregateResult()`` with that count of ``0``. Bad values as :func:`sum_field`.
    """
    if field is None:
        return AggregateResult(count=len(list(items)))
    numbers = _numbers(_values(items, field, "aggregate_field"), field, "aggregate_field")
    if not numbers:
        return AggregateResult()
    total = _sum(numbers)
    return AggregateResult(
        min=_extreme(numbers, field, "aggregate_field", min),
        max=_extreme(numbers, field, "aggregate_field", max),
        count=len(numbers),
        sum=total,
        average=_average(numbers, total),
    )


def count_distinct(items: Iterable[Any], field: str) -> int:
    """How many different values ``field`` holds, compared by ``str(value)``; missing values not counted."""
    return len({str(value) for value in _values(items, field, "count_distinct")})


# --- GROUP BY ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aggregate:
    function: AggregateFunction
    field: str | None


@dataclass(frozen=True)
class _Having:
    aggregate: str
    operator: str
    value: Any


class GroupByQuery(Generic[T]):
    """GROUP BY over items in memory: choose aggregates by alias, filter groups with ``having``, ``execute``.

    ``group_by(orders, "customer").sum("total", "spent").having("spent", ">=", 100).execute()``. Groups
    are keyed by ``str(value)`` in first-seen order; items without a value are left out. Each builder
    method returns the query itself.
    """

    def __init__(self, items: Sequence[T], group_by_field: str) -> None:
        _check_field_name(group_by_field, "group_by")
        self._items = list(items)
        self._field = group_by_field
        self._aggregates: dict[str, _Aggregate] = {}
        self._having: list[_Having] = []

    def count(self, alias: str) -> GroupByQuery[T]:
        """The number of items of each group, as ``aggregates[alias].count``."""
        return self._add(alias, _Aggregate("COUNT", None))

    def sum(self, field: str, alias: str) -> GroupByQuery[T]:
        """The sum of ``field`` per group, as ``aggregates[alias].sum`` (exact, as :func:`sum_field`)."""
        return self._add(alias, _Aggregate("SUM", field))

    def avg(self, field: str, alias: str) -> GroupByQuery[T]:
        """The mean of ``field`` per group, as ``aggregates[alias].average`` (as :func:`average_field`)."""
        return self._add(alias, _Aggregate("AVG", field))

    def min(self, field: str, alias: str) -> GroupByQuery[T]:
        """The smallest value of ``field`` per group, as ``aggregates[alias].min`` (``None`` if none)."""
        return self._add(alias, _Aggregate("MIN", field))

    def max(self, field: str, alias: str) -> GroupByQuery[T]:
        """The largest value of ``field`` per group, as ``aggregates[alias].max`` (``None`` if none)."""
        return self._add(alias, _Aggregate("MAX", field))

    def having(self, aggregate: str, operator: str, value: Any) -> GroupByQuery[T]:
        """Keep only groups whose ``aggregate`` (``"COUNT(*)"`` or an alias) compares true to ``value``.

        ``operator`` is one of ``= > >= < <= !=`` (anything else → ``ValidationError``, ErrInvalidOperator).
        A group whose aggregate or ``value`` is not a number is dropped. Several ``having`` clauses all apply.
        """
        if operator not in _OPERATORS:
            raise ValidationError(
                f"having: unknown operator {operator!r}; expected one of {sorted(_OPERATORS)}",
                code=ERR_INVALID_OPERATOR,
                operation="having",
            )
        self._having.append(_Having(aggregate, operator, value))
        return self

    def execute(self) -> list[GroupedResult[T]]:
        """The groups, in the order their first item appears, with their aggregates, after ``having``."""
        for clause in self._having:
            if clause.aggregate != _COUNT_ALL and clause.aggregate not in self._aggregates:
                raise ValidationError(
                    f"having: {clause.aggregate!r} is neither 'COUNT(*)' nor an alias of this query",
                    code=ERR_INVALID_VALUE,
                    operation="having",
                    field=clause.aggregate,
                )
        results = []
        for key, members in self._groups().items():
            aggregates = {alias: _compute(spec, members) for alias, spec in self._aggregates.items()}
            result = GroupedResult(key=key, aggregates=aggregates, items=members, count=len(members))
            if all(self._passes(clause, result) for clause in self._having):
                results.append(result)
        return results

    def _add(self, alias: str, spec: _Aggregate) -> GroupByQuery[T]:
        if not isinstance(alias, str) or not alias or alias == _COUNT_ALL or alias in self._aggregates:
            raise ValidationError(
                f"group_by: alias {alias!r} is empty, reserved or already used",
                code=ERR_INVALID_VALUE,
                operation="group_by",
            )
        if spec.field is not None:
            _check_field_name(spec.field, "group_by")
        self._aggregates[alias] = spec
        return self

    def _groups(self) -> dict[Any, list[T]]:
        groups: dict[str, tuple[Any, list[T]]] = {}
        for item in self._items:
            value = _value(item, self._field, "group_by")
            if value is _MISSING:
                continue
            entry = groups.get(str(value))
            if entry is None:
                groups[str(value)] = (value, [item])
            else:
                entry[1].append(item)
        return {key: members for key, members in groups.values()}

    def _passes(self, clause: _Having, result: GroupedResult[T]) -> bool:
        if clause.aggregate == _COUNT_ALL:
            actual: Any = result.count
        else:
            aggregate = result.aggregates[clause.aggregate]
            actual = {
                "COUNT": aggregate.count,
                "SUM": aggregate.sum,
                "AVG": aggregate.average,
                "MIN": aggregate.min,
                "MAX": aggregate.max,
            }[self._aggregates[clause.aggregate].function]
        if not (_is_number(actual) and _is_number(clause.value)):
            return False
        return _compare(actual, clause.operator, clause.value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def _compare(actual: Any, operator: str, expected: Any) -> bool:
    if operator == "=":
        return bool(actual == expected)
    if operator == "!=":
        return bool(actual != expected)
    if operator == ">":
        return bool(actual > expected)
    if operator == ">=":
        return bool(actual >= expected)
    if operator == "<":
        return bool(actual < expected)
    return bool(actual <= expected)


def _compute(spec: _Aggregate, members: list[Any]) -> AggregateResult:
    if spec.function == "COUNT" or spec.field is None:
        return AggregateResult(count=len(members))
    operation = "group_by"
    values = _values(members, spec.field, operation)
    if spec.function in ("MIN", "MAX"):
        if not values:
            return AggregateResult()
        pick = min if spec.function == "MIN" else max
        extreme = _extreme(values, spec.field, operation, pick)
        if spec.function == "MIN":
            return AggregateResult(min=extreme, count=len(values))
        return AggregateResult(max=extreme, count=len(values))
    numbers = _numbers(values, spec.field, operation)
    total = _sum(numbers)
    if spec.function == "SUM":
        return AggregateResult(count=len(numbers), sum=total)
    return AggregateResult(count=len(numbers), sum=total, average=_average(numbers, total))


def group_by(items: Sequence[T], field: str) -> GroupByQuery[T]:
    """``GroupByQuery(items, field)``: start a GROUP BY over ``items``."""
    return GroupByQuery(items, field)
