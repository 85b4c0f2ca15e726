"""Exact requests and results of query, scan, count and their variants (api.md §1.3, §1.9, §3.4, §3.7;
WF §2, §6, §8.2).

A scripted client (``doubles.ScriptedClient``, see ``query_client``) stands in for the botocore client: it
records the kwargs of every call and answers from a script. Every bad input must fail with a typed error
carrying code, operation and table before any call.
"""

from __future__ import annotations

import base64
import gc
import json
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from doubles import ScriptedClient
from dynamorm_py._core.reads import (
    QueryArgs,
    build_count_request,
    build_query_request,
    build_scan_request,
    count_op,
    page_op,
)
from dynamorm_py._drivers.explain import run_explain
from dynamorm_py.errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INDEX_NOT_FOUND,
    ERR_INVALID_CURSOR,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    ERR_SECURITY_VALIDATION,
    AwsError,
    DynamormPyError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi, lsi
from dynamorm_py.optimizer import QueryShape, ScanShape
from dynamorm_py.query import (
    FilterCondition,
    FilterExpression,
    FilterGroup,
    Page,
    SortKeyCondition,
    decode_cursor,
    encode_cursor,
    sign_cursor,
    verify_cursor,
)
from dynamorm_py.retry import RetryPolicy
from dynamorm_py.table import Table

ARN = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
KEY = b"\x0b" * 32
OLD_KEY = b"\x0c" * 32
PLACED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
PLACED_TEXT = "2024-05-06T07:08:09.000000000Z"


class Upper:
    """A converter: stored upper-case, read back lower-case."""

    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return str(value).lower()


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(name="SK", roles=["sk"])
    status: str = "new"
    total: int = 0
    placed_at: datetime | None = None
    tags: set[str] = field(default_factory=set)
    note: str | None = dynamorm_field(name="n", default=None)
    region: str = dynamorm_field(converter=Upper(), default="eu")
    secret: str | None = dynamorm_field(encrypted=True, default=None)


ORDERS = ModelDefinition.from_dataclass(
    Order,
    table_name="orders",
    indexes=[
        gsi("gsi-status", partition="status", sort="placed_at"),
        gsi("gsi-total", partition="total"),
        lsi("lsi-total", sort="total"),
    ],
)


@dataclass
class Session:
    token: str = dynamorm_field(roles=["pk"])
    user: str = ""


SESSIONS = ModelDefinition.from_dataclass(Session, table_name="sessions")


@dataclass
class Tenant:
    tenant: str = dynamorm_field(roles=["pk"], converter=Upper())
    code: int = dynamorm_field(roles=["sk"])


TENANTS = ModelDefinition.from_dataclass(Tenant, table_name="tenants")


Response = dict[str, Any] | Exception


def query_client(
    script: list[Response] | Callable[[dict[str, Any]], Response] | None = None,
) -> ScriptedClient:
    """A client answering ``script`` in order (then empty pages), or each call with a function of it."""
    if callable(script):
        return ScriptedClient(default=script)
    return ScriptedClient(*(script or []), default={"Items": []})


# The library's own retries off: these tests drive query_with_retry's retry of errors.
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def orders_table(client: ScriptedClient | None = None, **kwargs: Any) -> Table[Order]:
    return Table(ORDERS, client=client or query_client(), kms_key_arn=ARN, kms_client=object(), **kwargs)


def stored_order(order_id: str, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"customer": {"S": "c1"}, "SK": {"S": order_id}}
    item.update(extra)
    return item


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Query")


def query_request(**overrides: Any) -> dict[str, Any]:
    """The request of ``query("c1")`` on the orders table, with ``overrides`` applied."""
    request: dict[str, Any] = {
        "TableName": "orders",
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "customer"},
        "ExpressionAttributeValues": {":pk": {"S": "c1"}},
        "ScanIndexForward": True,
        "ConsistentRead": False,
    }
    request.update(overrides)
    return request


# --- query: key conditions ------------------------------------------------------------------------------


def test_query_without_sort_condition_sends_only_the_partition_key_condition() -> None:
    assert orders_table().explain.query("c1").params == query_request()


def test_query_request_members_follow_the_documented_order() -> None:
    params = (
        orders_table()
        .explain.query(
            "c1",
            sort=SortKeyCondition.gt(1),
            index_name="lsi-total",
            limit=5,
            cursor=encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "a"}, "total": {"N": "5"}}),
            projection=["customer", "order_id"],
            filter=FilterCondition.eq("status", "open"),
        )
        .params
    )
    assert list(params) == [
        "TableName",
        "KeyConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "ScanIndexForward",
        "ConsistentRead",
        "IndexName",
        "Limit",
        "ExclusiveStartKey",
        "ProjectionExpression",
        "FilterExpression",
    ]


@pytest.mark.parametrize(
    ("condition", "expression", "values"),
    [
        (SortKeyCondition.eq("o1"), "#pk = :pk AND #sk = :sk", {":sk": {"S": "o1"}}),
        (SortKeyCondition.lt("o1"), "#pk = :pk AND #sk < :sk", {":sk": {"S": "o1"}}),
        (SortKeyCondition.lte("o1"), "#pk = :pk AND #sk <= :sk", {":sk": {"S": "o1"}}),
        (SortKeyCondition.gt("o1"), "#pk = :pk AND #sk > :sk", {":sk": {"S": "o1"}}),
        (SortKeyCondition.gte("o1"), "#pk = :pk AND #sk >= :sk", {":sk": {"S": "o1"}}),
        (
            SortKeyCondition.between("o1", "o9"),
            "#pk = :pk AND #sk BETWEEN :sk1 AND :sk2",
            {":sk1": {"S": "o1"}, ":sk2": {"S": "o9"}},
        ),
        (SortKeyCondition.begins_with("o"), "#pk = :pk AND begins_with(#sk, :sk)", {":sk": {"S": "o"}}),
        (SortKeyCondition("BETWEEN", ("a", "b")), "#pk = :pk AND #sk BETWEEN :sk1 AND :sk2", None),
        (SortKeyCondition("Begins_With", ("a",)), "#pk = :pk AND begins_with(#sk, :sk)", None),
    ],
)
def test_query_renders_every_sort_key_operator(
    condition: SortKeyCondition, expression: str, values: dict[str, Any] | None
) -> None:
    params = orders_table().explain.query("c1", sort=condition).params
    assert params["KeyConditionExpression"] == expression
    assert params["ExpressionAttributeNames"] == {"#pk": "customer", "#sk": "SK"}
    if values is not None:
        assert params["ExpressionAttributeValues"] == {":pk": {"S": "c1"}, **values}


def test_query_key_values_go_through_the_key_fields_converter() -> None:
    table = Table(TENANTS, client=query_client())
    params = table.explain.query("acme", sort=SortKeyCondition.between(1, 20)).params
    assert params["ExpressionAttributeValues"] == {
        ":pk": {"S": "ACME"},
        ":sk1": {"N": "1"},
        ":sk2": {"N": "20"},
    }


def test_query_on_a_gsi_names_the_index_keys_and_encodes_a_datetime_sort_value() -> None:
    params = (
        orders_table()
        .explain.query("open", index_name="gsi-status", sort=SortKeyCondition.gte(PLACED), scan_forward=False)
        .params
    )
    assert params == {
        "TableName": "orders",
        "KeyConditionExpression": "#pk = :pk AND #sk >= :sk",
        "ExpressionAttributeNames": {"#pk": "status", "#sk": "placed_at"},
        "ExpressionAttributeValues": {":pk": {"S": "open"}, ":sk": {"S": PLACED_TEXT}},
        "ScanIndexForward": False,
        "ConsistentRead": False,
        "IndexName": "gsi-status",
    }


def test_query_on_an_lsi_keeps_the_table_partition_and_allows_consistent_reads() -> None:
    params = (
        orders_table()
        .explain.query("c1", index_name="lsi-total", sort=SortKeyCondition.lt(100), consistent_read=True)
        .params
    )
    assert params == query_request(
        KeyConditionExpression="#pk = :pk AND #sk < :sk",
        ExpressionAttributeNames={"#pk": "customer", "#sk": "total"},
        ExpressionAttributeValues={":pk": {"S": "c1"}, ":sk": {"N": "100"}},
        ConsistentRead=True,
        IndexName="lsi-total",
    )


def test_query_on_a_gsi_without_sort_key_uses_its_partition_only() -> None:
    params = orders_table().explain.query(42, index_name="gsi-total").params
    assert params["ExpressionAttributeNames"] == {"#pk": "total"}
    assert params["ExpressionAttributeValues"] == {":pk": {"N": "42"}}


def test_query_with_an_empty_index_name_reads_the_table() -> None:
    assert orders_table().explain.query("c1", index_name="").params == query_request()


def test_query_on_a_model_without_sort_key() -> None:
    table = Table(SESSIONS, client=query_client())
    assert table.explain.query("t1", limit=1).params == {
        "TableName": "sessions",
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "token"},
        "ExpressionAttributeValues": {":pk": {"S": "t1"}},
        "ScanIndexForward": True,
        "ConsistentRead": False,
        "Limit": 1,
    }


# --- projections and filters ----------------------------------------------------------------------------


def test_projection_placeholders_every_attribute_and_joins_with_comma_space() -> None:
    params = orders_table().explain.query("c1", projection=["customer", "order_id", "note", "status"]).params
    assert params["ProjectionExpression"] == "#p_customer, #p_order_id, #p_note, #p_status"
    assert params["ExpressionAttributeNames"] == {
        "#pk": "customer",
        "#p_customer": "customer",
        "#p_order_id": "SK",
        "#p_note": "n",
        "#p_status": "status",
    }


@pytest.mark.parametrize(
    ("condition", "expression", "values"),
    [
        (FilterCondition.eq("status", "open"), "#f_status = :f1", ["open"]),
        (FilterCondition("status", "EQ", ("open",)), "#f_status = :f1", ["open"]),
        (FilterCondition.ne("status", "open"), "#f_status <> :f1", ["open"]),
        (FilterCondition("status", "!=", ("open",)), "#f_status <> :f1", ["open"]),
        (FilterCondition("status", "ne", ("open",)), "#f_status <> :f1", ["open"]),
        (FilterCondition.lt("total", 5), "#f_total < :f1", [5]),
        (FilterCondition("total", "LT", (5,)), "#f_total < :f1", [5]),
        (FilterCondition.lte("total", 5), "#f_total <= :f1", [5]),
        (FilterCondition("total", "LE", (5,)), "#f_total <= :f1", [5]),
        (FilterCondition("total", "le", (5,)), "#f_total <= :f1", [5]),
        (FilterCondition.gt("total", 5), "#f_total > :f1", [5]),
        (FilterCondition("total", "GT", (5,)), "#f_total > :f1", [5]),
        (FilterCondition.gte("total", 5), "#f_total >= :f1", [5]),
        (FilterCondition("total", "GE", (5,)), "#f_total >= :f1", [5]),
        (FilterCondition("total", " ge ", (5,)), "#f_total >= :f1", [5]),
        (FilterCondition.between("total", 1, 9), "#f_total BETWEEN :f1 AND :f2", [1, 9]),
        (FilterCondition.in_("status", ["a", "b", "c"]), "#f_status IN (:f1, :f2, :f3)", ["a", "b", "c"]),
        (FilterCondition.begins_with("status", "op"), "begins_with(#f_status, :f1)", ["op"]),
        (FilterCondition.contains("tags", "red"), "contains(#f_tags, :f1)", ["red"]),
        (FilterCondition.exists("note"), "attribute_exists(#f_note)", []),
        (FilterCondition("note", "ATTRIBUTE_EXISTS"), "attribute_exists(#f_note)", []),
        (FilterCondition.not_exists("note"), "attribute_not_exists(#f_note)", []),
        (FilterCondition("note", "attribute_not_exists"), "attribute_not_exists(#f_note)", []),
    ],
)
def test_filter_renders_every_operator_and_alias(
    condition: FilterCondition, expression: str, values: list[Any]
) -> None:
    params = orders_table().explain.query("c1", filter=condition).params
    assert params["FilterExpression"] == expression
    attribute = {"status": "status", "total": "total", "tags": "tags", "note": "n"}[condition.field]
    assert params["ExpressionAttributeNames"] == {"#pk": "customer", f"#f_{condition.field}": attribute}
    expected_values = {
        f":f{n}": ({"N": str(v)} if isinstance(v, int) else {"S": v}) for n, v in enumerate(values, 1)
    }
    assert params["ExpressionAttributeValues"] == {":pk": {"S": "c1"}, **expected_values}


def test_filter_values_use_the_field_converter() -> None:
    params = orders_table().explain.query("c1", filter=FilterCondition.eq("region", "eu")).params
    assert params["ExpressionAttributeValues"][":f1"] == {"S": "EU"}


def test_nested_filter_groups_render_with_parentheses_and_number_values_in_order() -> None:
    tree = FilterGroup.and_(
        FilterCondition.eq("status", "open"),
        FilterGroup.or_(FilterCondition.gt("total", 10), FilterCondition.lt("total", 2)),
        FilterCondition.exists("note"),
    )
    params = orders_table().explain.query("c1", filter=tree).params
    assert params["FilterExpression"] == (
        "(#f_status = :f1 AND (#f_total > :f2 OR #f_total < :f3) AND attribute_exists(#f_note))"
    )
    assert params["ExpressionAttributeNames"] == {
        "#pk": "customer",
        "#f_status": "status",
        "#f_total": "total",
        "#f_note": "n",
    }
    assert params["ExpressionAttributeValues"] == {
        ":pk": {"S": "c1"},
        ":f1": {"S": "open"},
        ":f2": {"N": "10"},
        ":f3": {"N": "2"},
    }


def test_empty_groups_are_dropped_and_a_single_child_renders_bare() -> None:
    tree = FilterGroup.or_(FilterGroup.and_(), FilterCondition.eq("status", "x"), FilterGroup.or_())
    assert orders_table().explain.query("c1", filter=tree).params["FilterExpression"] == "#f_status = :f1"


@pytest.mark.parametrize("tree", [FilterGroup.and_(), FilterGroup.or_(FilterGroup.and_(), FilterGroup.or_())])
def test_a_filter_that_renders_nothing_sends_no_filter_expression(tree: FilterExpression) -> None:
    assert orders_table().explain.query("c1", filter=tree).params == query_request()
    scan = orders_table().explain.scan(filter=tree).params
    assert scan == {"TableName": "orders", "ConsistentRead": False}


# --- scan -----------------------------------------------------------------------------------------------


def test_plain_scan_sends_only_table_name_and_consistent_read() -> None:
    assert orders_table().explain.scan().params == {"TableName": "orders", "ConsistentRead": False}


def test_scan_with_every_option_follows_the_documented_order() -> None:
    cursor = encode_cursor(
        {"customer": {"S": "c1"}, "SK": {"S": "o1"}, "total": {"N": "3"}}, index="lsi-total"
    )
    params = (
        orders_table()
        .explain.scan(
            index_name="lsi-total",
            limit=10,
            cursor=cursor,
            consistent_read=True,
            projection=["customer", "order_id"],
            filter=FilterCondition.eq("status", "open"),
            segment=1,
            total_segments=4,
        )
        .params
    )
    assert params == {
        "TableName": "orders",
        "ConsistentRead": True,
        "IndexName": "lsi-total",
        "Limit": 10,
        "ExclusiveStartKey": {"customer": {"S": "c1"}, "SK": {"S": "o1"}, "total": {"N": "3"}},
        "ProjectionExpression": "#p_customer, #p_order_id",
        "FilterExpression": "#f_status = :f1",
        "Segment": 1,
        "TotalSegments": 4,
        "ExpressionAttributeNames": {"#p_customer": "customer", "#p_order_id": "SK", "#f_status": "status"},
        "ExpressionAttributeValues": {":f1": {"S": "open"}},
    }
    assert list(params) == [
        "TableName",
        "ConsistentRead",
        "IndexName",
        "Limit",
        "ExclusiveStartKey",
        "ProjectionExpression",
        "FilterExpression",
        "Segment",
        "TotalSegments",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    ]


def test_scan_with_a_projection_and_no_filter_sends_names_but_no_values() -> None:
    params = orders_table().explain.scan(projection=["customer", "order_id"]).params
    assert params["ExpressionAttributeNames"] == {"#p_customer": "customer", "#p_order_id": "SK"}
    assert "ExpressionAttributeValues" not in params


@pytest.mark.parametrize(("segment", "total"), [(0, 1), (0, 4), (3, 4), (999_999, 1_000_000)])
def test_scan_accepts_every_valid_segment(segment: int, total: int) -> None:
    params = orders_table().explain.scan(segment=segment, total_segments=total).params
    assert (params["Segment"], params["TotalSegments"]) == (segment, total)


def test_the_pure_builders_return_the_same_requests_as_explain() -> None:
    table = orders_table()
    ctx = table._ctx
    sort = SortKeyCondition.begins_with("o")
    assert (
        build_query_request(ctx, "c1", sort=sort, limit=3)
        == table.explain.query("c1", sort=sort, limit=3).params
    )
    assert (
        build_scan_request(ctx, segment=0, total_segments=2)
        == table.explain.scan(segment=0, total_segments=2).params
    )


# --- count ----------------------------------------------------------------------------------------------


def test_count_with_a_partition_is_a_select_count_query() -> None:
    request = build_count_request(orders_table()._ctx, "c1", filter=FilterCondition.eq("status", "open"))
    assert request.operation == "query"
    assert request.params == query_request(
        ExpressionAttributeNames={"#pk": "customer", "#f_status": "status"},
        ExpressionAttributeValues={":pk": {"S": "c1"}, ":f1": {"S": "open"}},
        FilterExpression="#f_status = :f1",
        Select="COUNT",
    )


def test_count_without_partition_is_a_select_count_scan() -> None:
    [request] = run_explain(count_op(orders_table()._ctx, index_name="gsi-total"))
    assert request.operation == "scan"
    assert request.params == {
        "TableName": "orders",
        "ConsistentRead": False,
        "IndexName": "gsi-total",
        "Select": "COUNT",
    }


def test_count_sums_count_over_every_page() -> None:
    client = query_client(
        [
            {"Count": 3, "ScannedCount": 9, "LastEvaluatedKey": {"customer": {"S": "c1"}, "SK": {"S": "o3"}}},
            {"Count": 0, "LastEvaluatedKey": {"customer": {"S": "c1"}, "SK": {"S": "o5"}}},
            {"Count": 4},
        ]
    )
    assert orders_table(client).count("c1") == 7
    assert [params.get("ExclusiveStartKey") for _, params in client.calls] == [
        None,
        {"customer": {"S": "c1"}, "SK": {"S": "o3"}},
        {"customer": {"S": "c1"}, "SK": {"S": "o5"}},
    ]
    assert all(params["Select"] == "COUNT" for _, params in client.calls)


def test_count_of_the_whole_table_scans() -> None:
    client = query_client([{"Count": 2}])
    assert orders_table(client).count() == 2
    assert client.calls == [("scan", {"TableName": "orders", "ConsistentRead": False, "Select": "COUNT"})]


# --- explain equals what is sent --------------------------------------------------------------------------


def test_explain_query_equals_the_request_query_sends() -> None:
    client = query_client()
    table = orders_table(client)
    options: dict[str, Any] = {
        "sort": SortKeyCondition.between(10, 20),
        "index_name": "lsi-total",
        "limit": 3,
        "scan_forward": False,
        "projection": ["customer", "order_id", "total"],
        "filter": FilterGroup.or_(
            FilterCondition.eq("status", "a"), FilterCondition.in_("status", ["b", "c"])
        ),
    }
    table.query("c1", **options)
    prepared = table.explain.query("c1", **options)
    assert client.calls == [("query", prepared.params)]
    assert (prepared.service, prepared.operation, prepared.encrypted_attributes) == ("dynamodb", "query", ())


def test_explain_scan_equals_the_request_scan_sends() -> None:
    client = query_client()
    table = orders_table(client)
    options: dict[str, Any] = {
        "limit": 2,
        "filter": FilterCondition.exists("note"),
        "segment": 2,
        "total_segments": 3,
    }
    table.scan(**options)
    prepared = table.explain.scan(**options)
    assert client.calls == [("scan", prepared.params)]


def test_explain_sends_nothing() -> None:
    client = query_client()
    orders_table(client).explain.query("c1")
    orders_table(client).explain.scan()
    assert client.calls == []


# --- pages, items and cursors ---------------------------------------------------------------------------


def test_query_decodes_items_with_converters_and_annotations() -> None:
    client = query_client(
        [
            {
                "Items": [
                    stored_order(
                        "o1",
                        total={"N": "12"},
                        region={"S": "US"},
                        placed_at={"S": PLACED_TEXT},
                        tags={"SS": ["a", "b"]},
                        extra={"S": "dropped"},
                    )
                ]
            }
        ]
    )
    page = orders_table(client).query("c1")
    assert page == Page(
        [Order("c1", "o1", total=12, region="us", placed_at=PLACED, tags={"a", "b"})],
        None,
    )


def test_query_issues_a_cursor_with_the_index_and_direction() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o2"}, "total": {"N": "5"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}])
    page = orders_table(client).query("c1", index_name="lsi-total", scan_forward=False)
    assert page.next_cursor == encode_cursor(last_key, index="lsi-total", sort="DESC")


def test_scan_issues_a_cursor_without_direction() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o2"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}])
    assert orders_table(client).scan().next_cursor == encode_cursor(last_key)


def test_a_cursor_is_sent_back_as_exclusive_start_key() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o2"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}, {"Items": []}])
    table = orders_table(client)
    first = table.query("c1")
    assert first.next_cursor is not None
    assert table.query("c1", cursor=first.next_cursor).next_cursor is None
    assert client.calls[1][1]["ExclusiveStartKey"] == last_key


def test_a_cursor_without_index_or_sort_fits_any_request_with_its_keys() -> None:
    plain = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o2"}})
    plain_lsi = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o2"}, "total": {"N": "3"}})
    table = orders_table()
    assert table.explain.query("c1", cursor=plain, scan_forward=False).params["ExclusiveStartKey"]
    assert table.explain.scan(cursor=plain).params["ExclusiveStartKey"]
    assert table.explain.query("c1", cursor=plain_lsi, index_name="lsi-total").params["ExclusiveStartKey"]
    assert table.explain.scan(cursor=plain_lsi, index_name="lsi-total").params["ExclusiveStartKey"]


def test_signing_keys_sign_next_cursor_and_verify_with_any_key() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o2"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}, {"Items": []}])
    table = orders_table(client, cursor_signing_keys=[KEY, OLD_KEY])
    cursor = table.query("c1").next_cursor
    assert cursor is not None
    standard = verify_cursor(cursor, keys=[KEY], table_name="orders")
    assert decode_cursor(standard).last_key == last_key
    table.query("c1", cursor=cursor)
    old = sign_cursor(encode_cursor(last_key, sort="ASC"), key=OLD_KEY, table_name="orders")
    table.query("c1", cursor=old)
    assert [params.get("ExclusiveStartKey") for _, params in client.calls] == [None, last_key, last_key]


def test_accept_unsigned_cursors_lets_plain_cursors_in_while_signing_new_ones() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o2"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}])
    table = orders_table(client, cursor_signing_keys=KEY, accept_unsigned_cursors=True)
    page = table.query("c1", cursor=encode_cursor(last_key))
    assert page.next_cursor is not None and "." in page.next_cursor


# --- query_all, iter_query, scan_all ----------------------------------------------------------------------


def paged_script(pages: list[list[str]]) -> list[Response]:
    """Responses of successive pages of orders ``pages`` (each non-last page carries a LastEvaluatedKey)."""
    script: list[Response] = []
    for number, ids in enumerate(pages):
        response: dict[str, Any] = {"Items": [stored_order(i) for i in ids]}
        if number < len(pages) - 1:
            response["LastEvaluatedKey"] = {"customer": {"S": "c1"}, "SK": {"S": f"page{number}"}}
        script.append(response)
    return script


def test_query_all_follows_last_evaluated_key_through_empty_pages() -> None:
    client = query_client(paged_script([["o1", "o2"], [], ["o3"], []]))
    items = orders_table(client).query_all("c1", limit=2)
    assert [o.order_id for o in items] == ["o1", "o2", "o3"]
    assert [params.get("ExclusiveStartKey", {}).get("SK") for _, params in client.calls] == [
        None,
        {"S": "page0"},
        {"S": "page1"},
        {"S": "page2"},
    ]
    assert all(params["Limit"] == 2 for _, params in client.calls)


def test_scan_all_follows_every_page() -> None:
    client = query_client(paged_script([["o1"], ["o2"]]))
    assert [o.order_id for o in orders_table(client).scan_all()] == ["o1", "o2"]
    assert [operation for operation, _ in client.calls] == ["scan", "scan"]


def test_iter_query_fetches_a_page_only_when_the_previous_one_is_used_up() -> None:
    client = query_client(paged_script([["o1", "o2"], ["o3"], ["o4"]]))
    items = orders_table(client).iter_query("c1")
    assert client.calls == []
    assert next(items).order_id == "o1"
    assert len(client.calls) == 1
    assert next(items).order_id == "o2"
    assert len(client.calls) == 1
    assert next(items).order_id == "o3"
    assert len(client.calls) == 2
    assert [o.order_id for o in items] == ["o4"]
    assert len(client.calls) == 3


def test_iter_scan_yields_every_item() -> None:
    client = query_client(paged_script([["o1"], [], ["o2"]]))
    assert [o.order_id for o in orders_table(client).iter_scan(limit=1)] == ["o1", "o2"]


def test_iter_query_checks_its_arguments_before_iterating() -> None:
    client = query_client()
    with pytest.raises(ValidationError) as info:
        orders_table(client).iter_query("c1", limit=0)
    assert (info.value.code, info.value.operation) == (ERR_INVALID_OPERATOR, "iter_query")
    assert client.calls == []


def test_aws_errors_during_paging_are_typed_with_operation_and_table() -> None:
    client = query_client([*paged_script([["o1"], ["o2"]])[:1], throttled()])
    with pytest.raises(AwsError) as info:
        orders_table(client, retry_policy=ONE_ATTEMPT).query_all("c1")
    assert (info.value.code, info.value.operation, info.value.table) == (
        "ThrottlingException",
        "query_all",
        "orders",
    )


# --- retry ----------------------------------------------------------------------------------------------


def test_query_with_retry_retries_empty_pages_with_growing_capped_delays() -> None:
    client = query_client([{"Items": []}, {"Items": []}, {"Items": []}, {"Items": [stored_order("o1")]}])
    sleeps: list[float] = []
    page = orders_table(client).query_with_retry(
        "c1", initial_delay_seconds=0.5, backoff_factor=3.0, max_delay_seconds=2.0, sleep=sleeps.append
    )
    assert [o.order_id for o in page.items] == ["o1"]
    assert sleeps == [0.5, 1.5, 2.0]
    assert len(client.calls) == 4
    assert all(params == client.calls[0][1] for _, params in client.calls)


def test_query_with_retry_returns_the_last_page_when_attempts_run_out() -> None:
    client = query_client()
    sleeps: list[float] = []
    page = orders_table(client).query_with_retry("c1", max_retries=2, sleep=sleeps.append)
    assert page == Page([], None)
    assert len(client.calls) == 3
    assert sleeps == pytest.approx([0.1, 0.2])


def test_query_with_retry_accepts_an_empty_page_when_retry_on_empty_is_off() -> None:
    client = query_client()
    assert orders_table(client).query_with_retry("c1", retry_on_empty=False, sleep=None).items == []
    assert len(client.calls) == 1


def test_query_with_retry_uses_verify_instead_of_emptiness() -> None:
    client = query_client(
        [{"Items": [stored_order("o1")]}, {"Items": [stored_order("o1"), stored_order("o2")]}]
    )
    page = orders_table(client).query_with_retry("c1", verify=lambda p: len(p.items) == 2, sleep=None)
    assert len(page.items) == 2
    assert len(client.calls) == 2


def test_query_with_retry_retries_errors_and_reraises_on_the_last_attempt() -> None:
    client = query_client([throttled(), {"Items": [stored_order("o1")]}])
    assert len(orders_table(client, retry_policy=ONE_ATTEMPT).query_with_retry("c1", sleep=None).items) == 1
    client = query_client([throttled(), throttled(), throttled()])
    with pytest.raises(AwsError) as info:
        orders_table(client, retry_policy=ONE_ATTEMPT).query_with_retry("c1", max_retries=2, sleep=None)
    assert (info.value.code, info.value.operation) == ("ThrottlingException", "query_with_retry")
    assert len(client.calls) == 3


def test_query_with_retry_reraises_at_once_when_retry_on_error_is_off() -> None:
    client = query_client([throttled(), {"Items": [stored_order("o1")]}])
    with pytest.raises(AwsError):
        orders_table(client, retry_policy=ONE_ATTEMPT).query_with_retry(
            "c1", retry_on_error=False, sleep=None
        )
    assert len(client.calls) == 1


def test_query_with_retry_reraises_an_error_after_an_empty_page() -> None:
    client = query_client([{"Items": []}, throttled()])
    with pytest.raises(AwsError):
        orders_table(client, retry_policy=ONE_ATTEMPT).query_with_retry("c1", max_retries=1, sleep=None)


def test_scan_with_retry_retries_like_query_with_retry() -> None:
    client = query_client([{"Items": []}, {"Items": [stored_order("o1")]}])
    sleeps: list[float] = []
    page = orders_table(client).scan_with_retry(limit=5, sleep=sleeps.append)
    assert len(page.items) == 1
    assert sleeps == [0.1]
    assert [operation for operation, _ in client.calls] == ["scan", "scan"]


# --- parallel scan --------------------------------------------------------------------------------------


def segment_script(failing: set[int] | None = None) -> Callable[[dict[str, Any]], Response]:
    """Two pages per segment; segments in ``failing`` raise on their second page."""

    def answer(params: dict[str, Any]) -> Response:
        segment = params["Segment"]
        if "ExclusiveStartKey" not in params:
            key = {"customer": {"S": f"s{segment}"}, "SK": {"S": "first"}}
            return {"Items": [stored_order(f"s{segment}-a")], "LastEvaluatedKey": key}
        if failing and segment in failing:
            return ClientError({"Error": {"Code": f"Boom{segment}", "Message": "no"}}, "Scan")
        return {"Items": [stored_order(f"s{segment}-b")]}

    return answer


def test_scan_all_segments_returns_items_in_segment_order() -> None:
    client = query_client(segment_script())
    items = orders_table(client).scan_all_segments(total_segments=3, limit=1, max_workers=2)
    assert [o.order_id for o in items] == ["s0-a", "s0-b", "s1-a", "s1-b", "s2-a", "s2-b"]
    assert sorted((p["Segment"], p["TotalSegments"], p["Limit"]) for _, p in client.calls) == [
        (s, 3, 1) for s in (0, 0, 1, 1, 2, 2)
    ]


def test_scan_all_segments_raises_the_first_error_in_segment_order() -> None:
    client = query_client(segment_script(failing={1, 2}))
    with pytest.raises(AwsError) as info:
        orders_table(client).scan_all_segments(total_segments=4)
    assert (info.value.code, info.value.operation) == ("Boom1", "scan_all_segments")


# --- describe -------------------------------------------------------------------------------------------


def test_describe_query_reports_the_shape_without_io() -> None:
    client = query_client()
    shape = orders_table(client).describe_query(
        index_name="gsi-status",
        consistent_read=True,
        projection=["status", "customer", "order_id"],
        filter=FilterGroup.and_(FilterCondition.eq("total", 1)),
    )
    assert shape == QueryShape(
        kind="query",
        model_name="Order",
        table_name="orders",
        index_name="gsi-status",
        index_type="GSI",
        has_partition_key=False,
        has_sort_key=True,
        has_sort_condition=False,
        has_filter=True,
        projections=("status", "customer", "order_id"),
        consistent_read=True,
        scan_forward=True,
    )
    assert client.calls == []


def test_describe_query_of_the_table_with_a_sort_condition() -> None:
    shape = orders_table().describe_query("c1", sort=SortKeyCondition.eq("o1"), scan_forward=False)
    assert (shape.index_type, shape.has_partition_key, shape.has_sort_condition, shape.scan_forward) == (
        "TABLE",
        True,
        True,
        False,
    )
    assert shape.has_filter is False


def test_describe_scan_reports_the_shape() -> None:
    shape = orders_table().describe_scan(
        index_name="lsi-total", filter=FilterGroup.or_(), total_segments=4, segment=0
    )
    assert shape == ScanShape(
        kind="scan",
        model_name="Order",
        table_name="orders",
        index_name="lsi-total",
        index_type="LSI",
        has_filter=False,
        projections=(),
        consistent_read=False,
        parallel_scan_configured=True,
        total_segments=4,
    )


def test_describe_of_an_unknown_index_fails() -> None:
    with pytest.raises(ValidationError) as info:
        orders_table().describe_scan(index_name="nope-index")
    assert (info.value.code, info.value.operation) == (ERR_INDEX_NOT_FOUND, "describe_scan")


# --- bad inputs: typed errors, no request -----------------------------------------------------------------

G1_OTHER_INDEX = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o1"}}, index="gsi-status", sort="ASC")
DESC_CURSOR = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o1"}}, sort="DESC")
TABLE_SCAN_CURSOR = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o1"}})
LSI_CURSOR = encode_cursor(
    {"customer": {"S": "c1"}, "SK": {"S": "o1"}, "total": {"N": "1"}}, index="lsi-total"
)
SIGNED = sign_cursor(TABLE_SCAN_CURSOR, key=KEY, table_name="orders")
PLAIN_LSI_CURSOR = encode_cursor({"customer": {"S": "c1"}, "SK": {"S": "o1"}, "total": {"N": "1"}})
GSI_STATUS_CURSOR = encode_cursor(
    {"status": {"S": "open"}, "placed_at": {"S": PLACED_TEXT}, "customer": {"S": "c1"}, "SK": {"S": "o1"}},
    index="gsi-status",
)
PLAIN_GSI_STATUS_CURSOR = encode_cursor(
    {"status": {"S": "open"}, "placed_at": {"S": PLACED_TEXT}, "customer": {"S": "c1"}, "SK": {"S": "o1"}}
)
GSI_TOTAL_CURSOR = encode_cursor(
    {"total": {"N": "42"}, "customer": {"S": "c1"}, "SK": {"S": "o1"}}, index="gsi-total"
)
SESSION_CURSOR = encode_cursor({"token": {"S": "t1"}})
NUMERIC_SK_CURSOR = encode_cursor({"customer": {"S": "c1"}, "SK": {"N": "1"}})


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def tampered(signed: str) -> str:
    body, mac = signed.rsplit(".", 1)
    return body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]


BadCall = Callable[[Table[Any]], object]


def wrong(value: object) -> Any:
    """``value`` typed as anything: arguments of the wrong type on purpose."""
    return value


BAD_QUERIES: list[tuple[str, BadCall, str]] = [
    (
        "gsi consistent read",
        lambda t: t.query("open", index_name="gsi-status", consistent_read=True),
        ERR_INVALID_OPERATOR,
    ),
    ("unknown index", lambda t: t.query("c1", index_name="nope-index"), ERR_INDEX_NOT_FOUND),
    ("index name fails validation", lambda t: t.query("c1", index_name="bad name!"), ERR_SECURITY_VALIDATION),
    ("limit zero", lambda t: t.query("c1", limit=0), ERR_INVALID_OPERATOR),
    ("limit negative", lambda t: t.query("c1", limit=-3), ERR_INVALID_OPERATOR),
    ("limit bool", lambda t: t.query("c1", limit=True), ERR_INVALID_OPERATOR),
    ("limit text", lambda t: t.query("c1", limit=wrong("5")), ERR_INVALID_OPERATOR),
    ("partition None", lambda t: t.query(None), ERR_MISSING_PRIMARY_KEY),
    ("partition empty", lambda t: t.query(""), ERR_MISSING_PRIMARY_KEY),
    ("sort value None", lambda t: t.query("c1", sort=SortKeyCondition.eq(None)), ERR_MISSING_PRIMARY_KEY),
    (
        "sort on gsi without sort key",
        lambda t: t.query(1, index_name="gsi-total", sort=SortKeyCondition.eq(1)),
        ERR_INVALID_OPERATOR,
    ),
    (
        "unknown sort operator",
        lambda t: t.query("c1", sort=SortKeyCondition("<>", ("a",))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "contains is no sort operator",
        lambda t: t.query("c1", sort=SortKeyCondition("contains", ("a",))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "between with one value",
        lambda t: t.query("c1", sort=SortKeyCondition("between", ("a",))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "eq with two values",
        lambda t: t.query("c1", sort=SortKeyCondition("=", ("a", "b"))),
        ERR_INVALID_OPERATOR,
    ),
    ("sort not a condition", lambda t: t.query("c1", sort=wrong(("=", "a"))), ERR_INVALID_OPERATOR),
    (
        "filter unknown operator (security validation first)",
        lambda t: t.query("c1", filter=FilterCondition("status", "LIKE", ("a",))),
        ERR_SECURITY_VALIDATION,
    ),
    (
        "filter between one value",
        lambda t: t.query("c1", filter=FilterCondition("total", "BETWEEN", (1,))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter in no values",
        lambda t: t.query("c1", filter=FilterCondition.in_("status", [])),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter in 101 values",
        lambda t: t.query("c1", filter=FilterCondition.in_("status", [str(i) for i in range(101)])),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter exists with a value",
        lambda t: t.query("c1", filter=FilterCondition("note", "EXISTS", ("x",))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter eq two values",
        lambda t: t.query("c1", filter=FilterCondition("status", "=", ("a", "b"))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter group operator",
        lambda t: t.query("c1", filter=FilterGroup(wrong("XOR"), (FilterCondition.eq("status", "a"),))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter on encrypted field",
        lambda t: t.query("c1", filter=FilterCondition.eq("secret", "x")),
        ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ),
    (
        "filter nested on encrypted field",
        lambda t: t.query(
            "c1", filter=FilterGroup.or_(FilterCondition.eq("status", "a"), FilterCondition.exists("secret"))
        ),
        ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ),
    (
        "filter unknown field",
        lambda t: t.query("c1", filter=FilterCondition.eq("nope", "x")),
        ERR_INVALID_MODEL,
    ),
    (
        "filter values not a tuple",
        lambda t: t.query("c1", filter=FilterCondition("status", "IN", wrong(5))),
        ERR_INVALID_OPERATOR,
    ),
    (
        "filter group without a tuple of filters",
        lambda t: t.query("c1", filter=FilterGroup("AND", wrong(None))),
        ERR_INVALID_OPERATOR,
    ),
    ("projection missing key fields", lambda t: t.query("c1", projection=["status"]), ERR_INVALID_MODEL),
    ("projection not a list", lambda t: t.query("c1", projection=wrong(5)), ERR_INVALID_MODEL),
    ("projection a bare string", lambda t: t.query("c1", projection=wrong("customer")), ERR_INVALID_MODEL),
    (
        "projection unknown field",
        lambda t: t.query("c1", projection=["customer", "order_id", "nope"]),
        ERR_INVALID_MODEL,
    ),
    ("cursor from another index", lambda t: t.query("c1", cursor=G1_OTHER_INDEX), ERR_INVALID_CURSOR),
    (
        "cursor from another index on an index",
        lambda t: t.query("open", index_name="gsi-status", cursor=LSI_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("cursor from the other direction", lambda t: t.query("c1", cursor=DESC_CURSOR), ERR_INVALID_CURSOR),
    ("cursor truncated", lambda t: t.query("c1", cursor=DESC_CURSOR[:-7]), ERR_INVALID_CURSOR),
    ("cursor tampered", lambda t: t.query("c1", cursor="A" + TABLE_SCAN_CURSOR[1:]), ERR_INVALID_CURSOR),
    ("cursor not base64", lambda t: t.query("c1", cursor="***not base64***"), ERR_INVALID_CURSOR),
    ("cursor not json", lambda t: t.query("c1", cursor=b64("{lastKey")), ERR_INVALID_CURSOR),
    ("cursor json array", lambda t: t.query("c1", cursor=b64("[1, 2]")), ERR_INVALID_CURSOR),
    ("cursor without lastKey", lambda t: t.query("c1", cursor=b64('{"index": "x"}')), ERR_INVALID_CURSOR),
    (
        "cursor bad typed json",
        lambda t: t.query("c1", cursor=b64('{"lastKey": {"PK": {"S": 1}}}')),
        ERR_INVALID_CURSOR,
    ),
    ("cursor empty", lambda t: t.query("c1", cursor=""), ERR_INVALID_CURSOR),
    ("cursor not a string", lambda t: t.query("c1", cursor=wrong(b"abc")), ERR_INVALID_CURSOR),
    ("signed cursor without keys", lambda t: t.query("c1", cursor=SIGNED), ERR_INVALID_CURSOR),
    ("cursor from another partition", lambda t: t.query("c2", cursor=TABLE_SCAN_CURSOR), ERR_INVALID_CURSOR),
    (
        "cursor from another partition on an lsi",
        lambda t: t.query("c2", index_name="lsi-total", cursor=LSI_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "cursor from another partition on a gsi",
        lambda t: t.query("closed", index_name="gsi-status", cursor=GSI_STATUS_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "cursor from another numeric partition on a gsi",
        lambda t: t.query(43, index_name="gsi-total", cursor=GSI_TOTAL_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "table cursor on an lsi query",
        lambda t: t.query("c1", index_name="lsi-total", cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "table cursor on a gsi query",
        lambda t: t.query("open", index_name="gsi-status", cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("lsi keys on a table query", lambda t: t.query("c1", cursor=PLAIN_LSI_CURSOR), ERR_INVALID_CURSOR),
    (
        "gsi keys on another gsi",
        lambda t: t.query(1, index_name="gsi-total", cursor=PLAIN_GSI_STATUS_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("cursor from another table", lambda t: t.query("c1", cursor=SESSION_CURSOR), ERR_INVALID_CURSOR),
    ("cursor with a numeric sort key", lambda t: t.query("c1", cursor=NUMERIC_SK_CURSOR), ERR_INVALID_CURSOR),
    (
        "cursor after the between range",
        lambda t: t.query("c1", sort=SortKeyCondition.between("a", "m"), cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "cursor outside begins_with",
        lambda t: t.query("c1", sort=SortKeyCondition.begins_with("x"), cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "cursor below gt",
        lambda t: t.query("c1", sort=SortKeyCondition.gt("o5"), cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "cursor outside a numeric lsi range",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.gte(2), cursor=LSI_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("partition int on a string key", lambda t: t.query(1), ERR_INVALID_VALUE),
    ("partition bool", lambda t: t.query(True), ERR_INVALID_VALUE),
    ("partition bytes on a string key", lambda t: t.query(b"c1"), ERR_INVALID_VALUE),
    (
        "partition str on a numeric gsi key",
        lambda t: t.query("42", index_name="gsi-total"),
        ERR_INVALID_VALUE,
    ),
    (
        "partition bool on a numeric gsi key",
        lambda t: t.query(True, index_name="gsi-total"),
        ERR_INVALID_VALUE,
    ),
    ("sort int on a string key", lambda t: t.query("c1", sort=SortKeyCondition.eq(1)), ERR_INVALID_VALUE),
    (
        "sort bool on a string key",
        lambda t: t.query("c1", sort=SortKeyCondition.gt(False)),
        ERR_INVALID_VALUE,
    ),
    (
        "sort str on a numeric lsi key",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.lt("100")),
        ERR_INVALID_VALUE,
    ),
    (
        "sort bool on a numeric lsi key",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.eq(True)),
        ERR_INVALID_VALUE,
    ),
    (
        "sort int on a datetime gsi key",
        lambda t: t.query("open", index_name="gsi-status", sort=SortKeyCondition.gte(5)),
        ERR_INVALID_VALUE,
    ),
    (
        "between with mismatched bounds",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.between(1, "z")),
        ERR_INVALID_VALUE,
    ),
    (
        "between with a string and an int bound",
        lambda t: t.query("c1", sort=SortKeyCondition.between("a", 9)),
        ERR_INVALID_VALUE,
    ),
    (
        "begins_with on a numeric lsi key",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.begins_with(1)),
        ERR_INVALID_OPERATOR,
    ),
    (
        "begins_with of a string on a numeric lsi key",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.begins_with("1")),
        ERR_INVALID_OPERATOR,
    ),
    (
        "begins_with of an int on a string key",
        lambda t: t.query("c1", sort=SortKeyCondition.begins_with(1)),
        ERR_INVALID_VALUE,
    ),
    (
        "between with the bounds reversed",
        lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.between(10, 9)),
        ERR_INVALID_OPERATOR,
    ),
    ("count with a wrong partition type", lambda t: t.count(7), ERR_INVALID_VALUE),
    (
        "query_all with a wrong sort type",
        lambda t: t.query_all("c1", sort=SortKeyCondition.lt(3)),
        ERR_INVALID_VALUE,
    ),
    ("retry count negative", lambda t: t.query_with_retry("c1", max_retries=-1), ERR_INVALID_OPERATOR),
    ("retry with bad limit", lambda t: t.query_with_retry("c1", limit=0), ERR_INVALID_OPERATOR),
    (
        "retry delay not a number",
        lambda t: t.query_with_retry("c1", initial_delay_seconds=wrong("1"), sleep=None),
        ERR_INVALID_OPERATOR,
    ),
    (
        "retry backoff negative",
        lambda t: t.query_with_retry("c1", backoff_factor=-2.0, sleep=None),
        ERR_INVALID_OPERATOR,
    ),
    (
        "retry verify not callable",
        lambda t: t.query_with_retry("c1", verify=wrong(True), sleep=None),
        ERR_INVALID_OPERATOR,
    ),
    ("query_all with bad limit", lambda t: t.query_all("c1", limit=0), ERR_INVALID_OPERATOR),
]

BAD_SCANS: list[tuple[str, BadCall, str]] = [
    (
        "gsi consistent read",
        lambda t: t.scan(index_name="gsi-total", consistent_read=True),
        ERR_INVALID_OPERATOR,
    ),
    ("unknown index", lambda t: t.scan(index_name="nope-index"), ERR_INDEX_NOT_FOUND),
    ("limit zero", lambda t: t.scan(limit=0), ERR_INVALID_OPERATOR),
    ("segment without total", lambda t: t.scan(segment=0), ERR_INVALID_OPERATOR),
    ("total without segment", lambda t: t.scan(total_segments=2), ERR_INVALID_OPERATOR),
    ("total zero", lambda t: t.scan(segment=0, total_segments=0), ERR_INVALID_OPERATOR),
    ("total too large", lambda t: t.scan(segment=0, total_segments=1_000_001), ERR_INVALID_OPERATOR),
    ("segment equals total", lambda t: t.scan(segment=4, total_segments=4), ERR_INVALID_OPERATOR),
    ("segment negative", lambda t: t.scan(segment=-1, total_segments=4), ERR_INVALID_OPERATOR),
    ("segment bool", lambda t: t.scan(segment=False, total_segments=4), ERR_INVALID_OPERATOR),
    (
        "filter on encrypted field",
        lambda t: t.scan(filter=FilterCondition.eq("secret", "x")),
        ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ),
    ("projection missing fields", lambda t: t.scan(projection=["customer"]), ERR_INVALID_MODEL),
    ("cursor from another index", lambda t: t.scan(cursor=G1_OTHER_INDEX), ERR_INVALID_CURSOR),
    ("cursor truncated", lambda t: t.scan(cursor=TABLE_SCAN_CURSOR[:10]), ERR_INVALID_CURSOR),
    ("signed cursor without keys", lambda t: t.scan(cursor=SIGNED), ERR_INVALID_CURSOR),
    (
        "table cursor on an lsi scan",
        lambda t: t.scan(index_name="lsi-total", cursor=TABLE_SCAN_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("lsi keys on a table scan", lambda t: t.scan(cursor=PLAIN_LSI_CURSOR), ERR_INVALID_CURSOR),
    ("cursor from another table on a scan", lambda t: t.scan(cursor=SESSION_CURSOR), ERR_INVALID_CURSOR),
    (
        "cursor from another table on a parallel scan segment",
        lambda t: t.scan(segment=1, total_segments=4, cursor=SESSION_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    (
        "gsi keys on another gsi scan",
        lambda t: t.scan(index_name="gsi-total", cursor=PLAIN_GSI_STATUS_CURSOR),
        ERR_INVALID_CURSOR,
    ),
    ("scan_all bad segment", lambda t: t.scan_all(segment=5, total_segments=2), ERR_INVALID_OPERATOR),
    ("iter_scan bad limit", lambda t: t.iter_scan(limit=-1), ERR_INVALID_OPERATOR),
    ("scan_with_retry negative retries", lambda t: t.scan_with_retry(max_retries=-2), ERR_INVALID_OPERATOR),
    (
        "scan_with_retry infinite delay",
        lambda t: t.scan_with_retry(max_delay_seconds=float("inf"), sleep=None),
        ERR_INVALID_OPERATOR,
    ),
    (
        "segments zero workers",
        lambda t: t.scan_all_segments(total_segments=2, max_workers=0),
        ERR_INVALID_OPERATOR,
    ),
    ("segments zero total", lambda t: t.scan_all_segments(total_segments=0), ERR_INVALID_OPERATOR),
    (
        "segments gsi consistent read",
        lambda t: t.scan_all_segments(total_segments=2, index_name="gsi-total", consistent_read=True),
        ERR_INVALID_OPERATOR,
    ),
    (
        "iter_query gsi consistent read",
        lambda t: t.iter_query("open", index_name="gsi-status", consistent_read=True),
        ERR_INVALID_OPERATOR,
    ),
    (
        "segments bad filter",
        lambda t: t.scan_all_segments(total_segments=2, filter=FilterCondition("total", "BETWEEN", (1,))),
        ERR_INVALID_OPERATOR,
    ),
    ("count unknown index", lambda t: t.count(index_name="nope-index"), ERR_INDEX_NOT_FOUND),
    (
        "count sort without partition",
        lambda t: t.count(sort=SortKeyCondition.eq("o1")),
        ERR_MISSING_PRIMARY_KEY,
    ),
    (
        "count gsi consistent read",
        lambda t: t.count("open", index_name="gsi-status", consistent_read=True),
        ERR_INVALID_OPERATOR,
    ),
]


@pytest.mark.parametrize(
    ("call", "code"),
    [(c, code) for _, c, code in BAD_QUERIES + BAD_SCANS],
    ids=[n for n, _, _ in BAD_QUERIES + BAD_SCANS],
)
def test_bad_input_raises_a_typed_error_before_any_request(call: BadCall, code: str) -> None:
    client = query_client()
    table = orders_table(client)
    with pytest.raises(DynamormPyError) as info:
        call(table)
    assert info.value.code == code
    assert info.value.table == "orders"
    assert info.value.operation is not None
    assert client.calls == []


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda t: t.scan_all_segments(total_segments=0), "total_segments"),
        (lambda t: t.scan_all_segments(total_segments=wrong("2")), "total_segments"),
        (lambda t: t.scan_with_retry(initial_delay_seconds=-1, sleep=None), "initial_delay_seconds"),
        (lambda t: t.query_with_retry("c1", max_delay_seconds=float("inf"), sleep=None), "max_delay_seconds"),
        (lambda t: t.query_with_retry("c1", backoff_factor=-2.0, sleep=None), "backoff_factor"),
    ],
    ids=["segments zero total", "segments total text", "initial delay", "max delay", "backoff factor"],
)
def test_an_argument_error_names_the_argument_passed(call: BadCall, argument: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(orders_table())
    assert info.value.message.startswith(f"{argument} must be ")


def test_sort_condition_on_a_table_without_sort_key_fails_before_any_request() -> None:
    client = query_client()
    with pytest.raises(ValidationError) as info:
        Table(SESSIONS, client=client).query("t1", sort=SortKeyCondition.eq("x"))
    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_INVALID_OPERATOR,
        "query",
        "sessions",
    )
    assert client.calls == []


def signed_table(client: ScriptedClient, **kwargs: Any) -> Table[Order]:
    return orders_table(client, cursor_signing_keys=KEY, **kwargs)


SIGNED_BAD: list[tuple[str, str]] = [
    ("unsigned cursor", TABLE_SCAN_CURSOR),
    ("tampered signature", tampered(SIGNED)),
    (
        "tampered body",
        b64('{"lastKey":{"customer":{"S":"c2"},"SK":{"S":"o1"}}}') + "." + SIGNED.rsplit(".", 1)[1],
    ),
    ("signed for another table", sign_cursor(TABLE_SCAN_CURSOR, key=KEY, table_name="orders_other")),
    ("signed with an unknown key", sign_cursor(TABLE_SCAN_CURSOR, key=b"\x01" * 32, table_name="orders")),
    ("truncated signature", SIGNED[:-3]),
    ("signature only", "." + SIGNED.rsplit(".", 1)[1]),
]


@pytest.mark.parametrize("cursor", [c for _, c in SIGNED_BAD], ids=[n for n, _ in SIGNED_BAD])
def test_a_table_with_signing_keys_rejects_bad_cursors_before_any_request(cursor: str) -> None:
    client = query_client()
    calls: list[Callable[[], object]] = [
        lambda: signed_table(client).query("c1", cursor=cursor),
        lambda: signed_table(client).scan(cursor=cursor),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.code == ERR_INVALID_CURSOR
        assert info.value.operation in ("query", "scan")
        assert info.value.table == "orders"
    assert client.calls == []


def test_a_valid_signed_cursor_is_accepted_by_query_and_scan() -> None:
    client = query_client()
    signed_table(client).query("c1", cursor=SIGNED)
    signed_table(client).scan(cursor=SIGNED)
    assert [params["ExclusiveStartKey"] for _, params in client.calls] == [
        {"customer": {"S": "c1"}, "SK": {"S": "o1"}}
    ] * 2


def test_cursor_errors_never_quote_the_cursor() -> None:
    secret_key = encode_cursor({"customer": {"S": "SECRET-VALUE"}}, index="gsi-status")
    with pytest.raises(ValidationError) as info:
        orders_table().query("c1", cursor=secret_key)
    assert "SECRET" not in str(info.value) and secret_key not in str(info.value)


CursorCall = Callable[[Table[Any], str], object]

# (name, cursor, a request it continues, a nearby request it does not)
CURSOR_BOUNDARIES: list[tuple[str, str, CursorCall, CursorCall]] = [
    (
        "between",
        TABLE_SCAN_CURSOR,
        lambda t, c: t.query("c1", sort=SortKeyCondition.between("a", "o1"), cursor=c),
        lambda t, c: t.query("c1", sort=SortKeyCondition.between("o10", "p"), cursor=c),
    ),
    (
        "begins_with",
        TABLE_SCAN_CURSOR,
        lambda t, c: t.query("c1", sort=SortKeyCondition.begins_with("o"), cursor=c),
        lambda t, c: t.query("c1", sort=SortKeyCondition.begins_with("o2"), cursor=c),
    ),
    (
        "lte and lt",
        TABLE_SCAN_CURSOR,
        lambda t, c: t.query("c1", sort=SortKeyCondition.lte("o1"), cursor=c),
        lambda t, c: t.query("c1", sort=SortKeyCondition.lt("o1"), cursor=c),
    ),
    (
        "numeric lsi sort key",
        LSI_CURSOR,
        lambda t, c: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.lt(10), cursor=c),
        lambda t, c: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.gt(1), cursor=c),
    ),
    (
        "datetime gsi sort key",
        GSI_STATUS_CURSOR,
        lambda t, c: t.query("open", index_name="gsi-status", sort=SortKeyCondition.gte(PLACED), cursor=c),
        lambda t, c: t.query("open", index_name="gsi-status", sort=SortKeyCondition.gt(PLACED), cursor=c),
    ),
    (
        "numeric partition",
        GSI_TOTAL_CURSOR,
        lambda t, c: t.query(42, index_name="gsi-total", cursor=c),
        lambda t, c: t.query(41, index_name="gsi-total", cursor=c),
    ),
    (
        "index scan",
        PLAIN_GSI_STATUS_CURSOR,
        lambda t, c: t.scan(index_name="gsi-status", cursor=c),
        lambda t, c: t.scan(index_name="gsi-total", cursor=c),
    ),
    (
        "parallel scan segment",
        TABLE_SCAN_CURSOR,
        lambda t, c: t.scan(segment=3, total_segments=4, cursor=c),
        lambda t, c: t.scan(segment=3, total_segments=4, index_name="lsi-total", cursor=c),
    ),
]


@pytest.mark.parametrize(
    ("cursor", "fits", "misfits"),
    [(c, fits, misfits) for _, c, fits, misfits in CURSOR_BOUNDARIES],
    ids=[name for name, *_ in CURSOR_BOUNDARIES],
)
def test_a_cursor_is_sent_exactly_when_it_fits_the_request(
    cursor: str, fits: CursorCall, misfits: CursorCall
) -> None:
    client = query_client()
    table = orders_table(client)
    fits(table, cursor)
    assert [params["ExclusiveStartKey"] for _, params in client.calls] == [decode_cursor(cursor).last_key]
    with pytest.raises(ValidationError) as info:
        misfits(table, cursor)
    assert info.value.code == ERR_INVALID_CURSOR
    assert len(client.calls) == 1


def test_a_signed_cursor_from_another_partition_or_index_is_rejected_before_any_request() -> None:
    client = query_client()
    table = signed_table(client)
    for attempt in (
        lambda: table.query("c2", cursor=SIGNED),
        lambda: table.query("c1", index_name="lsi-total", cursor=SIGNED),
        lambda: table.scan(index_name="lsi-total", cursor=SIGNED),
    ):
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == ERR_INVALID_CURSOR
    assert client.calls == []


def test_cursor_key_errors_never_quote_key_values() -> None:
    secret = encode_cursor({"customer": {"S": "SECRET-VALUE"}, "SK": {"S": "SECRET-SORT"}})
    attempts: list[Callable[[Table[Order]], object]] = [
        lambda t: t.query("OTHER-SECRET", cursor=secret),
        lambda t: t.query("SECRET-VALUE", sort=SortKeyCondition.lt("OTHER-SECRET"), cursor=secret),
        lambda t: t.query("SECRET-VALUE", index_name="lsi-total", cursor=secret),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt(orders_table())
        assert info.value.code == ERR_INVALID_CURSOR
        assert "SECRET" not in str(info.value) and secret not in str(info.value)


def test_key_condition_type_errors_name_the_key_attribute_but_never_the_value() -> None:
    attempts: list[tuple[Callable[[Table[Order]], object], str]] = [
        (lambda t: t.query("SECRET-1", index_name="gsi-total"), "total"),
        (lambda t: t.query(31337), "customer"),
        (lambda t: t.query("c1", sort=SortKeyCondition.between("SECRET-1", 31337)), "SK"),
        (lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.begins_with(31337)), "total"),
        (lambda t: t.query("c1", index_name="lsi-total", sort=SortKeyCondition.between(31337, 4)), "total"),
    ]
    for attempt, attribute in attempts:
        with pytest.raises(ValidationError) as info:
            attempt(orders_table())
        assert info.value.field == attribute
        assert repr(attribute) in str(info.value)
        assert "SECRET" not in str(info.value) and "31337" not in str(info.value)


def test_begins_with_on_a_numeric_sort_key_is_an_invalid_operator_before_any_request() -> None:
    client = query_client()
    table = Table(TENANTS, client=client)
    for prefix in (1, "1"):
        with pytest.raises(ValidationError) as info:
            table.query("acme", sort=SortKeyCondition.begins_with(prefix))
        assert (info.value.code, info.value.field, info.value.table) == (
            ERR_INVALID_OPERATOR,
            "code",
            "tenants",
        )
    with pytest.raises(ValidationError) as info:
        table.query("acme", sort=SortKeyCondition.eq("7"))
    assert (info.value.code, info.value.field) == (ERR_INVALID_VALUE, "code")
    assert client.calls == []
    # The partition key's converter turns whatever it is given into a string: only its output is checked.
    params = table.explain.query(7, sort=SortKeyCondition.eq(7)).params
    assert params["ExpressionAttributeValues"] == {":pk": {"S": "7"}, ":sk": {"N": "7"}}


def test_security_validation_off_still_enforces_structural_rules() -> None:
    client = query_client()
    table = orders_table(client, security_validation=False)
    with pytest.raises(ValidationError) as info:
        table.query("c1", index_name="bad name!")
    assert info.value.code == ERR_INDEX_NOT_FOUND
    with pytest.raises(ValidationError) as info:
        table.query("c1", limit=0)
    assert info.value.code == ERR_INVALID_OPERATOR
    with pytest.raises(ValidationError) as info:
        table.scan(filter=FilterCondition("status", "LIKE", ("a",)))
    assert info.value.code == ERR_INVALID_OPERATOR
    for alias in ("LTE", "GTE", "NOT_IN", "NOT_CONTAINS"):  # not WF §6 spellings: rejected, not guessed
        with pytest.raises(ValidationError) as info:
            table.query("c1", filter=FilterCondition("total", alias, (1,)))
        assert info.value.code == ERR_INVALID_OPERATOR
    assert client.calls == []


def test_page_op_runs_the_same_checks_under_run_explain() -> None:
    with pytest.raises(ValidationError) as info:
        run_explain(page_op(orders_table()._ctx, QueryArgs("c1", limit=0), op_name="query"))
    assert info.value.code == ERR_INVALID_OPERATOR


def test_decoding_a_bad_stored_item_fails_with_a_typed_error() -> None:
    client = query_client([{"Items": [{"customer": {"S": "c1"}}]}])
    with pytest.raises(ValidationError) as info:
        orders_table(client).query("c1")
    assert (info.value.code, info.value.field, info.value.operation) == (ERR_INVALID_MODEL, "SK", "query")


def test_iter_query_is_an_iterator() -> None:
    items = orders_table().iter_query("c1")
    assert isinstance(items, Iterator)
    assert list(items) == []


def test_next_cursor_payload_is_the_wire_format() -> None:
    last_key = {"customer": {"S": "c1"}, "SK": {"S": "o<2>"}}
    client = query_client([{"Items": [], "LastEvaluatedKey": last_key}])
    cursor = orders_table(client).query("c1", index_name="lsi-total", limit=1).next_cursor
    assert cursor is not None
    payload = base64.urlsafe_b64decode(cursor).decode()
    assert payload == (
        '{"lastKey":{"SK":{"S":"o\\u003c2\\u003e"},"customer":{"S":"c1"}},"index":"lsi-total","sort":"ASC"}'
    )
    assert json.loads(payload)["lastKey"] == {"SK": {"S": "o<2>"}, "customer": {"S": "c1"}}


@pytest.mark.parametrize("keys", [b"\x0b" * 31, [KEY, b"short"], [], "k" * 40])
def test_a_table_rejects_cursor_signing_keys_shorter_than_32_bytes(keys: Any) -> None:
    with pytest.raises(ValidationError) as info:
        orders_table(cursor_signing_keys=keys)
    assert (info.value.code, info.value.table) == (ERR_INVALID_VALUE, "orders")


def test_scan_all_segments_runs_segments_concurrently() -> None:
    # Every first-page call waits until all four segments are in flight: run one after another, they would
    # never meet at the barrier and the scan would fail with BrokenBarrierError.
    # (The scripted client runs a function answer outside its lock, so the four calls can meet.)
    barrier = threading.Barrier(4, timeout=10)

    def meet(params: dict[str, Any]) -> dict[str, Any]:
        barrier.wait()
        return {"Items": [stored_order(f"s{params['Segment']}")]}

    table = Table(ORDERS, client=query_client(meet), kms_key_arn=ARN, kms_client=object())
    items = table.scan_all_segments(total_segments=4)
    assert [o.order_id for o in items] == ["s0", "s1", "s2", "s3"]


def test_iter_query_holds_one_page_at_a_time() -> None:
    client = query_client(paged_script([["o1", "o2"], ["o3", "o4"], ["o5"]]))
    items = orders_table(client).iter_query("c1", limit=2)
    first_page = [weakref.ref(next(items)), weakref.ref(next(items))]
    assert next(items).order_id == "o3"
    gc.collect()
    assert [ref() for ref in first_page] == [None, None], "items of a used-up page are released"
    assert [o.order_id for o in items] == ["o4", "o5"]


def test_the_library_retries_a_throttled_page_by_itself() -> None:
    bounds: list[tuple[float, float]] = []

    def jitter(low: float, high: float) -> float:
        bounds.append((low, high))
        return 0.0

    client = query_client([throttled(), throttled(), {"Items": [stored_order("o1")]}])
    policy = RetryPolicy(base_delay=0.25, rand_uniform=jitter)

    items = orders_table(client, retry_policy=policy).query_all("c1")

    assert [o.order_id for o in items] == ["o1"]
    assert len(client.calls) == 3
    assert bounds == [(0.0, 0.25), (0.0, 0.5)]
