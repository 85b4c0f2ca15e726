"""A customer and its orders in one partition of one table, against the embedded server: a model with
``matches`` reads only its own items (the others land in ``Page.unrecognized``), through ``Table`` and
``AsyncTable``, and a stream record of the other entity is refused or skipped instead of decoded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from dynamorm_py import (
    ModelDefinition,
    NotFoundError,
    Page,
    Table,
    ValidationError,
    attribute_equals,
    dynamorm_field,
    sk_prefix,
)
from dynamorm_py.errors import ERR_UNRECOGNIZED_ITEM
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB


@dataclass
class Customer:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: str = dynamorm_field(roles=["sk"], name="SK")
    name: str = ""


@dataclass
class Order:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: str = dynamorm_field(roles=["sk"], name="SK")
    total: int = 0
    status: str = "open"


CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name="shop", matches=sk_prefix("PROFILE"))
ORDERS = ModelDefinition.from_dataclass(Order, table_name="shop", matches=sk_prefix("ORDER#"))
OPEN_ORDERS = ModelDefinition.from_dataclass(
    Order, table_name="shop", matches=sk_prefix("ORDER#") & attribute_equals("status", "open")
)

ADA = Customer("CUST#1", "PROFILE", name="Ada")
ORDER_LIST = [
    Order("CUST#1", f"ORDER#{i}", total=10 * i, status="open" if i % 2 else "shipped") for i in range(1, 6)
]


def fill(server: Server, **table_kwargs: Any) -> tuple[Table[Customer], Table[Order]]:
    customers = server.table(CUSTOMERS, **table_kwargs)
    orders = server.table(ORDERS, create=False)
    customers.put(ADA)
    orders.batch_write(puts=ORDER_LIST)
    return customers, orders


def test_each_model_reads_only_its_items_of_a_shared_partition(dynamorm_local: Server) -> None:
    customers, orders = fill(dynamorm_local)
    assert customers.query_all("CUST#1") == [ADA]
    assert orders.query_all("CUST#1") == ORDER_LIST
    assert customers.scan_all() == [ADA]
    assert list(customers.iter_query("CUST#1")) == [ADA]
    assert customers.scan_all_segments(total_segments=2) == [ADA]

    page = customers.query("CUST#1")
    assert page.items == [ADA]
    assert sorted(item["SK"]["S"] for item in page.unrecognized) == [o.sk for o in ORDER_LIST]
    assert page.unrecognized[0] == {
        "PK": {"S": "CUST#1"},
        "SK": {"S": "ORDER#1"},
        "total": {"N": "10"},
        "status": {"S": "open"},
    }

    # DynamoDB's count: every item of the partition.
    assert customers.count("CUST#1") == 6


def test_cursors_work_across_pages_of_mixed_items(dynamorm_local: Server) -> None:
    customers, _ = fill(dynamorm_local)
    items: list[Customer] = []
    unrecognized: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page: Page[Customer] = customers.query("CUST#1", limit=2, cursor=cursor)
        pages += 1
        items += page.items
        unrecognized += page.unrecognized
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages >= 3
    assert items == [ADA]
    assert len(unrecognized) == 5


def test_combined_matchers_and_projections(dynamorm_local: Server) -> None:
    fill(dynamorm_local)
    open_orders = dynamorm_local.table(OPEN_ORDERS, create=False)
    assert [o.sk for o in open_orders.query_all("CUST#1")] == ["ORDER#1", "ORDER#3", "ORDER#5"]
    # "status" is not projected by the caller: it is read anyway, so the matcher still tells items apart.
    page = open_orders.query("CUST#1", projection=["pk", "sk", "total"])
    assert [o.total for o in page.items] == [10, 30, 50]
    assert len(page.unrecognized) == 3  # the profile and the two shipped orders


def test_single_item_reads_of_another_entity(dynamorm_local: Server) -> None:
    customers, orders = fill(dynamorm_local)
    with pytest.raises(NotFoundError, match="not a Customer"):
        customers.get("CUST#1", "ORDER#1")
    assert customers.get("CUST#1", "ORDER#1", default=None) is None
    assert customers.get("CUST#1", "PROFILE") == ADA
    assert customers.exists("CUST#1", "ORDER#1") is False
    assert customers.exists("CUST#1", "PROFILE") is True
    keys = [("CUST#1", "ORDER#1"), ("CUST#1", "PROFILE")]
    assert customers.batch_get(keys) == [ADA]
    assert customers.transact_get(keys) == [None, ADA]
    assert orders.transact_get(keys) == [ORDER_LIST[0], None]


def test_nothing_extra_is_stored(dynamorm_local: Server) -> None:
    fill(dynamorm_local)
    raw = dynamorm_local.client("dynamodb")
    profile = raw.get_item(TableName="shop", Key={"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}})["Item"]
    assert profile == {"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}, "name": {"S": "Ada"}}


def test_async_table_reads_only_its_items(dynamorm_local: Server) -> None:
    fill(dynamorm_local)

    async def run() -> tuple[list[Customer], Page[Customer], list[Order], Customer | None]:
        async with dynamorm_local.async_table(CUSTOMERS) as customers:
            everything = await customers.query_all("CUST#1")
            page = await customers.query("CUST#1")
            missing = await customers.get("CUST#1", "ORDER#2", default=None)
        async with dynamorm_local.async_table(ORDERS) as orders:
            order_list = [o async for o in orders.iter_query("CUST#1")]
        return everything, page, order_list, missing

    everything, page, order_list, missing = asyncio.run(run())
    assert everything == [ADA]
    assert page.items == [ADA] and len(page.unrecognized) == 5
    assert order_list == ORDER_LIST
    assert missing is None


def read_stream(server: Server, table_name: str) -> list[dict[str, Any]]:
    """Every record of the table's stream so far, through the dynamodbstreams GetRecords API."""
    stream_arn = server.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    streams = server.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator)
            records += response["Records"]
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return records


def test_stream_records_of_the_other_entity_are_refused_or_skipped(dynamorm_local: Server) -> None:
    customers, orders = fill(dynamorm_local, stream_view_type="NEW_AND_OLD_IMAGES")
    records = read_stream(dynamorm_local, "shop")
    assert len(records) == 6
    order_record = next(r for r in records if r["dynamodb"]["Keys"]["SK"]["S"].startswith("ORDER#"))

    with pytest.raises(ValidationError) as caught:
        customers.parse_stream_record(order_record)
    assert (caught.value.code, caught.value.operation) == (ERR_UNRECOGNIZED_ITEM, "parse_stream_record")
    assert "ORDER#" not in str(caught.value)

    parsed = customers.parse_stream_event({"Records": records})
    assert [r.new for r in parsed] == [ADA]
    assert len(parsed.skipped) == 5
    assert all(r["dynamodb"]["Keys"]["SK"]["S"].startswith("ORDER#") for r in parsed.skipped)
    # The skipped records are what the orders' parser wants.
    assert [r.new for r in orders.parse_stream_event({"Records": list(parsed.skipped)})] == ORDER_LIST
