"""In-memory aggregates (api.md §1.2 "Aggregates", §1.5): exact arithmetic over typed items and mappings,
GROUP BY with having, and typed errors for empty input, missing, non-numeric and unknown fields."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_py.aggregates import (
    AggregateResult,
    GroupByQuery,
    GroupedResult,
    aggregate_field,
    average_field,
    count_distinct,
    group_by,
    max_field,
    min_field,
    sum_field,
)
from dynamorm_py.errors import ERR_INVALID_MODEL, ERR_INVALID_OPERATOR, ERR_INVALID_VALUE, ValidationError


@dataclass
class Order:
    customer: str
    total: Decimal | None = None
    quantity: int | None = None
    weight: float | None = None
    note: Any = None


ORDERS = [
    Order("ann", Decimal("0.10"), 1, 0.1),
    Order("bob", Decimal("0.20"), 2, 0.2),
    Order("ann", Decimal("0.30"), 4, None),
    Order("cy", None, None, 0.3),
]


def test_sum_of_ints_is_an_exact_int() -> None:
    big = [{"n": 10**30}, {"n": 1}, {"n": -(10**30)}]

    assert sum_field(big, "n") == 1
    assert type(sum_field(big, "n")) is int
    assert sum_field(ORDERS, "quantity") == 7


def test_sum_of_decimals_is_exact_beyond_the_default_decimal_precision() -> None:
    items = [{"n": Decimal("1e40")}, {"n": Decimal("0.000001")}, {"n": 3}]

    total = sum_field(items, "n")

    assert total == Decimal("10000000000000000000000000000000000000003.000001")
    assert isinstance(total, Decimal)
    assert sum_field(ORDERS, "total") == Decimal("0.60")


def test_a_float_makes_the_sum_a_float_rounded_once() -> None:
    total = sum_field(ORDERS, "weight")

    assert isinstance(total, float)
    assert total == 0.6  # a step-by-step float sum gives 0.6000000000000001


def test_average_of_ints_is_an_exact_decimal() -> None:
    assert average_field(ORDERS, "quantity") == Decimal("2." + "3" * 37)
    assert average_field([{"n": 2}, {"n": 3}], "n") == Decimal("2.5")
    assert average_field(ORDERS, "total") == Decimal("0.2")


def test_average_skips_missing_values_only() -> None:
    items = [{"n": 0}, {"n": None}, {}, {"n": 4}]

    assert average_field(items, "n") == Decimal(2)


def test_sum_and_average_of_no_values_are_zero() -> None:
    assert sum_field([], "n") == 0
    assert average_field([], "n") == 0
    assert average_field([{"n": None}], "n") == 0
    assert sum_field([], "n") + Decimal("1.5") == Decimal("1.5")


@pytest.mark.parametrize("value", ["12", True, [1], Decimal("NaN"), float("inf"), Decimal("-Infinity")])
@pytest.mark.parametrize("function", [sum_field, average_field, aggregate_field])
def test_a_value_that_is_not_a_finite_number_is_a_typed_error(function: Any, value: Any) -> None:
    items = [{"n": 1}, {"n": value}]

    with pytest.raises(ValidationError) as caught:
        function(items, "n")

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.field == "n"
    assert caught.value.operation == function.__name__
    assert repr(value) not in str(caught.value)


def test_an_unknown_field_of_a_dataclass_item_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        sum_field(ORDERS, "totl")

    assert caught.value.code == ERR_INVALID_MODEL
    assert caught.value.field == "totl"


def test_a_field_absent_from_a_mapping_is_missing() -> None:
    assert sum_field([{"a": 1}, {"n": 2}], "n") == 2


def test_min_and_max_order_any_comparable_values() -> None:
    assert min_field(ORDERS, "total") == Decimal("0.10")
    assert max_field(ORDERS, "quantity") == 4
    assert min_field(ORDERS, "customer") == "ann"
    assert max_field([{"n": 0}, {"n": -1}], "n") == 0  # 0 is a value, not missing


@pytest.mark.parametrize("function", [min_field, max_field])
def test_min_and_max_of_no_items_or_no_values_are_value_errors(function: Any) -> None:
    with pytest.raises(ValueError, match="no items found") as empty:
        function([], "n")
    with pytest.raises(ValidationError) as no_values:
        function([{"n": None}, {}], "n")

    assert isinstance(empty.value, ValidationError)
    assert empty.value.code == no_values.value.code == ERR_INVALID_VALUE
    assert no_values.value.field == "n"


def test_min_of_values_that_cannot_be_ordered_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        min_field([{"n": 1}, {"n": "one"}], "n")

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.field == "n"


def test_aggregate_field_fills_every_aggregate() -> None:
    assert aggregate_field(ORDERS, "quantity") == AggregateResult(
        min=1, max=4, count=3, sum=7, average=Decimal("2." + "3" * 37)
    )
    assert aggregate_field(ORDERS) == AggregateResult(count=4)
    assert aggregate_field(ORDERS, "note") == AggregateResult()


def test_count_distinct_compares_by_text() -> None:
    items = [{"n": 1}, {"n": "1"}, {"n": 2}, {"n": None}, {}]

    assert count_distinct(items, "n") == 2
    assert count_distinct(ORDERS, "customer") == 3


def test_group_by_keeps_first_seen_order_and_skips_missing_keys() -> None:
    items = [*ORDERS, Order(customer=None, total=Decimal(9))]  # type: ignore[arg-type]

    groups = group_by(items, "customer").count("n").sum("total", "spent").execute()

    assert [g.key for g in groups] == ["ann", "bob", "cy"]
    ann = groups[0]
    assert ann == GroupedResult(
        key="ann",
        aggregates={"n": AggregateResult(count=2), "spent": AggregateResult(count=2, sum=Decimal("0.40"))},
        items=[ORDERS[0], ORDERS[2]],
        count=2,
    )
    assert groups[2].aggregates["spent"] == AggregateResult()


def test_group_by_aggregates_and_having() -> None:
    query = (
        GroupByQuery(ORDERS, "customer")
        .avg("quantity", "avg_qty")
        .min("quantity", "least")
        .max("total", "most")
        .having("COUNT(*)", ">=", 1)
        .having("most", "<", Decimal("0.25"))
    )

    groups = query.execute()

    # cy has no total: a non-numeric compared value drops the group.
    assert [g.key for g in groups] == ["bob"]
    assert groups[0].aggregates == {
        "avg_qty": AggregateResult(count=1, sum=2, average=Decimal(2)),
        "least": AggregateResult(min=2, count=1),
        "most": AggregateResult(max=Decimal("0.20"), count=1),
    }


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("=", ["bob", "cy"]), ("!=", ["ann"]), ("<=", ["bob", "cy"]), (">", ["ann"]), ("<", [])],
)
def test_having_operators(operator: str, expected: list[str]) -> None:
    groups = group_by(ORDERS, "customer").having("COUNT(*)", operator, 1).execute()

    assert [g.key for g in groups] == expected


def test_group_keys_compare_by_text() -> None:
    groups = group_by([{"k": 1}, {"k": "1"}, {"k": 2}], "k").execute()

    assert [(g.key, g.count) for g in groups] == [(1, 2), (2, 1)]


def test_having_with_an_unknown_operator_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        group_by(ORDERS, "customer").having("COUNT(*)", "LIKE", 1)

    assert caught.value.code == ERR_INVALID_OPERATOR


def test_having_on_an_unknown_alias_is_a_typed_error() -> None:
    query = group_by(ORDERS, "customer").count("n").having("m", ">", 1)

    with pytest.raises(ValidationError) as caught:
        query.execute()

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.field == "m"


@pytest.mark.parametrize("alias", ["", "COUNT(*)", "n"])
def test_an_empty_reserved_or_repeated_alias_is_a_typed_error(alias: str) -> None:
    with pytest.raises(ValidationError) as caught:
        group_by(ORDERS, "customer").count("n").sum("quantity", alias)

    assert caught.value.code == ERR_INVALID_VALUE


def test_group_by_an_unknown_field_of_dataclass_items_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        group_by(ORDERS, "custmer").execute()

    assert caught.value.code == ERR_INVALID_MODEL


def test_group_by_of_no_items_is_no_groups() -> None:
    assert group_by([], "customer").count("n").execute() == []
