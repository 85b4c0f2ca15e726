"""The advisory optimizer (api.md §1.2 Optimizer): deterministic plan ids, sorted projections and hints."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from dynamorm_py.errors import ERR_INVALID_VALUE, ValidationError
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi
from dynamorm_py.optimizer import (
    HINT_FILTER,
    HINT_GSI_CONSISTENT_READ,
    HINT_NO_PARTITION_KEY,
    HINT_NO_PROJECTION,
    HINT_NO_SORT_CONDITION,
    HINT_SCAN,
    QueryOptimizer,
    QueryPlan,
    QueryShape,
    ScanShape,
)
from dynamorm_py.query import FilterCondition, SortKeyCondition
from dynamorm_py.table import Table


def query_shape(**overrides: Any) -> QueryShape:
    shape = QueryShape(
        kind="query",
        model_name="Order",
        table_name="orders",
        index_name=None,
        index_type="TABLE",
        has_partition_key=True,
        has_sort_key=True,
        has_sort_condition=True,
        has_filter=False,
        projections=("status", "customer"),
        consistent_read=False,
        scan_forward=True,
    )
    return dataclasses.replace(shape, **overrides)


def scan_shape(**overrides: Any) -> ScanShape:
    shape = ScanShape(
        kind="scan",
        model_name="Order",
        table_name="orders",
        index_name=None,
        index_type="TABLE",
        has_filter=False,
        projections=("status", "customer"),
        consistent_read=False,
        parallel_scan_configured=False,
        total_segments=None,
    )
    return dataclasses.replace(shape, **overrides)


def test_a_narrow_query_gets_an_id_sorted_projections_and_no_hints() -> None:
    plan = QueryOptimizer().explain(query_shape())
    assert plan == QueryPlan(
        id="query|Order|orders|idx=|it=TABLE|proj=customer,status|filter=0|cr=0|pk=1|sk=1|skc=1|sf=1",
        operation="Query",
        index_name=None,
        projections=("customer", "status"),
        parallel_segments=None,
        optimization_hints=(),
    )


def test_query_flags_follow_the_shape() -> None:
    shape = query_shape(
        index_name="gsi-status",
        index_type="GSI",
        has_partition_key=False,
        has_sort_condition=False,
        has_filter=True,
        projections=(),
        consistent_read=True,
        scan_forward=False,
    )
    plan = QueryOptimizer().explain(shape)
    assert plan.id == "query|Order|orders|idx=gsi-status|it=GSI|proj=|filter=1|cr=1|pk=0|sk=1|skc=0|sf=0"
    assert plan.index_name == "gsi-status"
    assert plan.optimization_hints == (
        HINT_GSI_CONSISTENT_READ,
        HINT_NO_PARTITION_KEY,
        HINT_NO_SORT_CONDITION,
        HINT_FILTER,
        HINT_NO_PROJECTION,
    )
    assert [hint.split(":")[0] for hint in plan.optimization_hints] == [
        "ERROR",
        "ERROR",
        "TIP",
        "INFO",
        "TIP",
    ]


def test_no_sort_condition_hint_only_when_the_keys_have_a_sort_key() -> None:
    plan = QueryOptimizer().explain(query_shape(has_sort_key=False, has_sort_condition=False))
    assert HINT_NO_SORT_CONDITION not in plan.optimization_hints


def test_consistent_read_on_an_lsi_is_not_an_error() -> None:
    plan = QueryOptimizer().explain(query_shape(index_type="LSI", index_name="lsi-x", consistent_read=True))
    assert plan.optimization_hints == ()


def test_a_scan_warns_and_suggests_a_parallel_scan() -> None:
    plan = QueryOptimizer().explain(scan_shape(has_filter=True, projections=()))
    assert plan == QueryPlan(
        id="scan|Order|orders|idx=|it=TABLE|proj=|filter=1|cr=0|psc=0|ts=",
        operation="Scan",
        index_name=None,
        projections=(),
        parallel_segments=4,
        optimization_hints=(
            HINT_SCAN,
            HINT_FILTER,
            HINT_NO_PROJECTION,
            "TIP: use a parallel scan with 4 segments",
        ),
    )
    assert plan.optimization_hints[0].startswith("WARNING:")


@pytest.mark.parametrize(("max_parallelism", "segments"), [(2, 2), (16, 16), (64, 16)])
def test_suggested_segments_are_capped_at_sixteen(max_parallelism: int, segments: int) -> None:
    plan = QueryOptimizer(max_parallelism=max_parallelism).explain(scan_shape())
    assert plan.parallel_segments == segments
    assert plan.optimization_hints[-1] == f"TIP: use a parallel scan with {segments} segments"


@pytest.mark.parametrize(
    ("optimizer", "shape"),
    [
        (QueryOptimizer(enable_parallel=False), scan_shape()),
        (QueryOptimizer(max_parallelism=1), scan_shape()),
        (QueryOptimizer(), scan_shape(parallel_scan_configured=True, total_segments=8)),
    ],
)
def test_no_parallel_suggestion_when_disabled_single_or_configured(
    optimizer: QueryOptimizer, shape: ScanShape
) -> None:
    plan = optimizer.explain(shape)
    assert plan.parallel_segments is None
    assert plan.optimization_hints == (HINT_SCAN,)


def test_a_configured_parallel_scan_shows_in_the_id() -> None:
    plan = QueryOptimizer().explain(
        scan_shape(index_name="gsi-x", index_type="GSI", parallel_scan_configured=True, total_segments=8)
    )
    assert plan.id == "scan|Order|orders|idx=gsi-x|it=GSI|proj=customer,status|filter=0|cr=0|psc=1|ts=8"


def test_gsi_consistent_read_hint_comes_first_for_scans() -> None:
    plan = QueryOptimizer().explain(scan_shape(index_type="GSI", index_name="gsi-x", consistent_read=True))
    assert plan.optimization_hints[:2] == (HINT_GSI_CONSISTENT_READ, HINT_SCAN)


def test_explain_is_deterministic() -> None:
    optimizer = QueryOptimizer()
    assert optimizer.explain(scan_shape()) == optimizer.explain(scan_shape())
    assert (
        optimizer.explain(query_shape(projections=("b", "a"))).id
        == optimizer.explain(query_shape(projections=("a", "b"))).id
    )


@pytest.mark.parametrize("value", [0, -1, True, 2.5])
def test_max_parallelism_must_be_a_positive_int(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        QueryOptimizer(max_parallelism=value)
    assert info.value.code == ERR_INVALID_VALUE


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    status: str = "new"


ORDERS = ModelDefinition.from_dataclass(
    Order, table_name="orders", indexes=[gsi("gsi-status", partition="status")]
)


def test_table_shapes_feed_the_optimizer() -> None:
    table = Table(ORDERS, client=object(), table_name="orders_prod")
    query = QueryOptimizer().explain(
        table.describe_query(
            "c1", sort=SortKeyCondition.begins_with("2024"), projection=["order_id", "customer"]
        )
    )
    assert (
        query.id
        == "query|Order|orders_prod|idx=|it=TABLE|proj=customer,order_id|filter=0|cr=0|pk=1|sk=1|skc=1|sf=1"
    )
    assert query.optimization_hints == ()
    scan = QueryOptimizer().explain(
        table.describe_scan(
            index_name="gsi-status", filter=FilterCondition.eq("status", "x"), total_segments=2
        )
    )
    assert scan.id == "scan|Order|orders_prod|idx=gsi-status|it=GSI|proj=|filter=1|cr=0|psc=1|ts=2"
    assert scan.optimization_hints == (HINT_SCAN, HINT_FILTER, HINT_NO_PROJECTION)
