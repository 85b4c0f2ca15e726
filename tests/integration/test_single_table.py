"""Single-table design against a real endpoint: one client, several models in one table (a customer's profile,
orders and cart under one partition key) plus a stock table, through ``DynamormClient`` and its asyncio twin.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from dynamorm_py import (
    AsyncDynamormClient,
    ConditionFailedError,
    DynamormClient,
    ModelDefinition,
    Table,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    ValidationError,
    dynamorm_field,
    ensure_table,
    sk_prefix,
)
from dynamorm_py.errors import ERR_INVALID_MODEL, ERR_INVALID_OPERATOR
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB


@dataclass
class Customer:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    name: str = ""
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Order:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    total: int = 0
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)


@dataclass
class CartLine:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    product: str = ""
    quantity: int = 1


@dataclass
class Stock:
    product: str = dynamorm_field(roles=["pk"])
    available: int = 0


@dataclass
class Other:
    id: str = dynamorm_field(roles=["pk"])


SHOP = "single_table_shop"
CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name=SHOP, matches=sk_prefix("PROFILE"))
ORDERS = ModelDefinition.from_dataclass(Order, table_name=SHOP, matches=sk_prefix("ORDER#"))
CART = ModelDefinition.from_dataclass(CartLine, table_name=SHOP, matches=sk_prefix("CART#"))
STOCK = ModelDefinition.from_dataclass(Stock, table_name="single_table_stock")


def shop_client(server: Server) -> DynamormClient:
    for model in (CUSTOMERS, STOCK):
        ensure_table(model, client=server.client("dynamodb"))
    return DynamormClient(server.client("dynamodb")).register(CUSTOMERS, ORDERS, CART, STOCK)


def test_a_transaction_across_models_and_tables_places_an_order(dynamorm_local: Server) -> None:
    client = shop_client(dynamorm_local)
    customers: Table[Customer] = client.table(Customer)
    customers.put(Customer("CUST#1", "PROFILE", name="Ada"))
    client.table(STOCK).put(Stock("apples", available=5))
    client.batch_write(puts=[CartLine("CUST#1", "CART#apples", product="apples", quantity=2)])

    client.transact_write(
        [
            TransactPut(Order("CUST#1", "ORDER#1", total=4)),
            TransactUpdate("apples", None, {"available": 3}, model=Stock),
            TransactDelete("CUST#1", "CART#apples", model=CartLine),
            TransactConditionCheck(
                "CUST#1", "PROFILE", condition_expression="attribute_exists(PK)", model=CUSTOMERS
            ),
        ]
    )

    everything = client.query_all(SHOP, "CUST#1")
    assert sorted(type(item).__name__ for item in everything) == ["Customer", "Order"]
    assert client.table(Stock).get("apples").available == 3

    # A failed condition cancels every action and names the one that failed.
    with pytest.raises(ConditionFailedError) as cancelled:
        client.transact_write(
            [
                TransactPut(Order("CUST#1", "ORDER#2", total=9)),
                TransactUpdate("apples", None, {"available": 0}, model=Stock),
                TransactConditionCheck(
                    "CUST#9", "PROFILE", condition_expression="attribute_exists(PK)", model=Customer
                ),
            ]
        )
    assert [reason.code for reason in cancelled.value.reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert client.transact_get([(Order, "CUST#1", "ORDER#2"), (Stock, "apples")]) == [
        None,
        Stock("apples", available=3),
    ]


def test_one_query_returns_each_entity_as_its_own_type(dynamorm_local: Server) -> None:
    client = shop_client(dynamorm_local)
    client.batch_write(
        puts=[
            Customer("CUST#1", "PROFILE", name="Ada"),
            *(Order("CUST#1", f"ORDER#{n}", total=n) for n in range(1, 6)),
            CartLine("CUST#1", "CART#pears", product="pears"),
        ]
    )
    raw = dynamorm_local.client("dynamodb")
    raw.put_item(TableName=SHOP, Item={"PK": {"S": "CUST#1"}, "SK": {"S": "NOTE#1"}, "text": {"S": "x"}})

    first = client.query(SHOP, "CUST#1", limit=4)
    rest = client.query(SHOP, "CUST#1", cursor=first.next_cursor)
    items = [*first.items, *rest.items]
    assert [type(i).__name__ for i in items] == [
        "CartLine",
        "Order",
        "Order",
        "Order",
        "Order",
        "Order",
        "Customer",
    ]
    # The item no model claims is not dropped: it comes back raw.
    assert [dict(u)["SK"] for u in (*first.unrecognized, *rest.unrecognized)] == [{"S": "NOTE#1"}]

    # A single-model table with matches reads only its own items.
    orders = client.table(Order).query_all("CUST#1")
    assert [o.sk for o in orders] == [f"ORDER#{n}" for n in range(1, 6)]


def test_batches_of_a_thousand_mixed_items(dynamorm_local: Server) -> None:
    client = shop_client(dynamorm_local)
    puts: list[Any] = []
    for n in range(250):
        puts += [
            Order(f"CUST#{n % 10}", f"ORDER#{n:04d}", total=n),
            CartLine(f"CUST#{n % 10}", f"CART#{n:04d}", product=f"p{n}"),
            Stock(f"p{n}", available=n),
            Customer(f"CUST#{n + 100}", "PROFILE", name=f"c{n}"),
        ]
    client.batch_write(puts=puts)
    keys: list[tuple[Any, ...]] = [(Order, f"CUST#{n % 10}", f"ORDER#{n:04d}") for n in range(250)]
    keys += [(Stock, f"p{n}") for n in range(250)]
    got = client.batch_get(keys)
    assert [o.total for o in got[:250]] == list(range(250)) and [s.available for s in got[250:]] == list(
        range(250)
    )
    client.batch_write(deletes=[(CartLine, f"CUST#{n % 10}", f"CART#{n:04d}") for n in range(250)])
    assert client.batch_get([(CartLine, "CUST#1", "CART#0001"), (Order, "CUST#1", "ORDER#0001")]) == [got[1]]


def test_bad_inputs_are_refused_before_anything_is_sent(dynamorm_local: Server) -> None:
    client = shop_client(dynamorm_local)
    with pytest.raises(ValidationError, match="not registered"):
        client.table(Other)
    with pytest.raises(ValidationError, match="no model is registered for Other"):
        client.transact_write([TransactPut(Other("x"))])
    with pytest.raises(ValidationError, match="model=") as no_model:
        client.transact_write([TransactDelete("CUST#1", "PROFILE")])
    assert no_model.value.field == "model"
    with pytest.raises(ValidationError) as too_many:
        client.transact_write([TransactPut(Stock(f"s{n}")) for n in range(101)])
    assert too_many.value.code == ERR_INVALID_OPERATOR
    with pytest.raises(ValidationError) as same_item:
        client.transact_write(
            [
                TransactUpdate("CUST#1", "ORDER#1", {"total": 1}, model=Order),
                TransactDelete("CUST#1", "ORDER#1", model=CartLine),
            ]
        )
    assert same_item.value.code == ERR_INVALID_MODEL
    with pytest.raises(ValidationError, match="two models"):
        client.batch_write(puts=[Order("CUST#1", "X#1")], deletes=[(CartLine, "CUST#1", "X#1")])
    with pytest.raises(ValidationError, match="already registered"):
        client.register(ModelDefinition.from_dataclass(Order, table_name="elsewhere"))

    @dataclass
    class Renamed:
        partition: str = dynamorm_field(roles=["pk"])
        sort: str = dynamorm_field(roles=["sk"])

    client.register(ModelDefinition.from_dataclass(Renamed, table_name=SHOP))
    with pytest.raises(ValidationError, match="different key attributes"):
        client.query(SHOP, "CUST#1")
    assert dynamorm_local.client("dynamodb").scan(TableName=SHOP)["Count"] == 0


def test_the_async_client_does_the_same(dynamorm_local: Server) -> None:
    for model in (CUSTOMERS, STOCK):
        ensure_table(model, client=dynamorm_local.client("dynamodb"))

    async def scenario() -> list[str]:
        async with dynamorm_local.async_client() as raw:
            client = AsyncDynamormClient(raw).register(CUSTOMERS, ORDERS, CART, STOCK)
            await client.table(Customer).put(Customer("CUST#1", "PROFILE", name="Ada"))
            await client.batch_write(puts=[Stock("apples", available=2), CartLine("CUST#1", "CART#a")])
            await client.transact_write(
                [
                    TransactPut(Order("CUST#1", "ORDER#1", total=1)),
                    TransactUpdate("apples", None, {"available": 1}, model=Stock),
                    TransactDelete("CUST#1", "CART#a", model=CartLine),
                ]
            )
            assert await client.transact_get([(Stock, "apples")]) == [Stock("apples", available=1)]
            page = await client.query(SHOP, "CUST#1")
            assert [type(i).__name__ for i in page.items] == ["Order", "Customer"]
            return [type(i).__name__ async for i in client.iter_query(SHOP, "CUST#1", limit=1)]

    assert asyncio.run(scenario()) == ["Order", "Customer"]


def test_async_client_connect_creates_and_closes_its_clients(dynamorm_local: Server) -> None:
    aiobotocore_session = pytest.importorskip("aiobotocore.session")
    from dynamorm_py.local import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY

    for model in (CUSTOMERS, STOCK):
        ensure_table(model, client=dynamorm_local.client("dynamodb"))

    async def scenario() -> list[Any]:
        session = aiobotocore_session.AioSession()
        session.set_credentials(DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY)
        async with AsyncDynamormClient.connect(
            CUSTOMERS,
            STOCK,
            endpoint_url=dynamorm_local.endpoint_url,
            region_name=dynamorm_local.region,
            session=session,
        ) as client:
            await client.batch_write(
                puts=[Customer("CUST#1", "PROFILE", name="Ada"), Stock("tea", available=1)]
            )
            return await client.batch_get([(Customer, "CUST#1", "PROFILE"), (STOCK, "tea")])

    assert asyncio.run(scenario()) == [Customer("CUST#1", "PROFILE", name="Ada"), Stock("tea", available=1)]
