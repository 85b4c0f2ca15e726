"""Typed write conditions (``condition=``) against a real endpoint, through ``Table`` and ``AsyncTable``.

Each write runs once with a condition that holds and once with one that does not: the first applies, the
second raises ``ConditionFailedError`` and leaves the stored item as it was (read back to check).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from dynamorm_py import (
    ConditionFailedError,
    ModelDefinition,
    Table,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
)
from dynamorm_py.errors import ERR_CONDITION_FAILED
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.query import FilterCondition, FilterGroup

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB


class Status(StrEnum):
    OPEN = "open"
    SHIPPED = "shipped"


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    status: Status = Status.OPEN
    total: int = 0
    shipped_at: datetime | None = dynamorm_field(name="shippedAt", default=None)
    tags: set[str] = field(default_factory=set)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Stock:
    sku: str = dynamorm_field(roles=["pk"])
    count: int = 0


ORDERS = ModelDefinition.from_dataclass(Order, table_name="conditional_orders")
STOCK = ModelDefinition.from_dataclass(Stock, table_name="conditional_stock")
SHIPPED_AT = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)

IS_OPEN = FilterCondition.eq("status", Status.OPEN)
NOT_SHIPPED = ~FilterCondition.exists("shipped_at")
SMALL = FilterCondition.between("total", 0, 100)
GIFT = FilterCondition.contains("tags", "gift")


@pytest.fixture
def orders(dynamorm_local: Server) -> Table[Order]:
    return dynamorm_local.table(ORDERS)


def test_a_conditional_put_applies_when_its_condition_holds_and_fails_otherwise(orders: Table[Order]) -> None:
    first = orders.put(Order("c1", "o1", total=10, tags={"gift"}), condition=NOT_SHIPPED, if_not_exists=True)
    # The item exists now: if_not_exists fails whatever the caller's condition says.
    with pytest.raises(ConditionFailedError):
        orders.put(Order("c1", "o1", total=99), condition=NOT_SHIPPED, if_not_exists=True)

    rewritten = orders.put(Order("c1", "o1", total=20, tags={"gift"}), condition=IS_OPEN & SMALL & GIFT)
    with pytest.raises(ConditionFailedError) as failed:
        orders.put(Order("c1", "o1", total=30), condition=~IS_OPEN | FilterCondition.gt("total", 50))

    assert failed.value.code == ERR_CONDITION_FAILED
    assert (first.total, rewritten.total) == (10, 20)
    assert orders.get("c1", "o1", consistent_read=True).total == 20


def test_a_conditional_update_applies_when_its_condition_holds_and_fails_otherwise(
    orders: Table[Order],
) -> None:
    orders.put(Order("c1", "o1", total=10))

    shipped = orders.update(
        "c1",
        "o1",
        {"status": Status.SHIPPED, "shipped_at": SHIPPED_AT},
        expected_version=0,
        condition=IS_OPEN & NOT_SHIPPED,
    )
    # The version lock holds (1), the caller's condition does not: the item is already shipped.
    with pytest.raises(ConditionFailedError):
        orders.update("c1", "o1", {"total": 0}, expected_version=1, condition=IS_OPEN & NOT_SHIPPED)
    # The caller's condition holds (a datetime compared through the field's codec), the lock does not.
    with pytest.raises(ConditionFailedError):
        orders.update(
            "c1",
            "o1",
            {"total": 0},
            expected_version=0,
            condition=FilterCondition.lte("shipped_at", SHIPPED_AT),
        )
    updated = orders.update_item(
        Order("c1", "o1", total=12, version=1),
        ["total"],
        condition=FilterCondition.eq("shipped_at", SHIPPED_AT) & FilterGroup.or_(SMALL, GIFT),
    )

    assert (shipped.status, shipped.shipped_at, shipped.version) == (Status.SHIPPED, SHIPPED_AT, 1)
    assert (updated.total, updated.version) == (12, 2)
    assert orders.get("c1", "o1", consistent_read=True) == updated


def test_a_conditional_delete_applies_when_its_condition_holds_and_fails_otherwise(
    orders: Table[Order],
) -> None:
    kept = orders.put(Order("c1", "o1", status=Status.SHIPPED))
    orders.put(Order("c1", "o2"))

    with pytest.raises(ConditionFailedError):
        orders.delete("c1", "o1", condition=IS_OPEN)
    with pytest.raises(ConditionFailedError):
        orders.delete_item(kept, condition=~FilterCondition.in_("status", [Status.SHIPPED]))
    orders.delete("c1", "o2", condition=IS_OPEN)

    assert orders.get("c1", "o1", consistent_read=True) == kept
    assert not orders.exists("c1", "o2", consistent_read=True)


def test_a_transaction_checks_typed_conditions_on_every_action(dynamorm_local: Server) -> None:
    orders = dynamorm_local.table(ORDERS)
    stock = dynamorm_local.table(STOCK)
    orders.put(Order("c1", "cart", total=3))
    stock.put(Stock("sku-1", count=5))
    stock.put(Stock("sku-2", count=0))

    # Place the order while sku-1 is in stock: the check reads another item than the ones written.
    orders.transact_write(
        [
            TransactPut(Order("c1", "o1", total=3), condition=FilterCondition.not_exists("status")),
            TransactUpdate("c1", "cart", {"total": 0}, expected_version=0, condition=SMALL),
        ]
    )
    stock.transact_write(
        [
            TransactConditionCheck("sku-1", None, condition=FilterCondition.gte("count", 1)),
            TransactUpdate("sku-2", None, {"count": 9}, condition=FilterCondition.eq("count", 0)),
        ]
    )
    with pytest.raises(ConditionFailedError) as failed:
        stock.transact_write(
            [
                TransactConditionCheck("sku-2", None, condition=FilterCondition.lt("count", 1)),
                TransactDelete("sku-1", condition=FilterCondition.gt("count", 0)),
            ]
        )

    assert failed.value.reason_codes == ("ConditionalCheckFailed", "None")
    assert orders.get("c1", "o1").total == 3 and orders.get("c1", "cart").total == 0
    assert [s.count for s in stock.batch_get(["sku-1", "sku-2"])] == [5, 9]


def test_the_async_table_writes_under_typed_conditions_too(dynamorm_local: Server) -> None:
    async def scenario() -> None:
        async with dynamorm_local.async_table(ORDERS) as table:
            await table.put(Order("c1", "o1", total=10), condition=NOT_SHIPPED, if_not_exists=True)
            with pytest.raises(ConditionFailedError):
                await table.put(Order("c1", "o1"), condition=~IS_OPEN)

            updated = await table.update(
                "c1", "o1", {"total": 11}, expected_version=0, condition=IS_OPEN & SMALL
            )
            with pytest.raises(ConditionFailedError):
                await table.update("c1", "o1", {"total": 12}, expected_version=1, condition=GIFT)
            again = await table.update_item(
                Order("c1", "o1", total=13, version=1), ["total"], condition=IS_OPEN
            )

            await table.transact_write(
                [
                    TransactConditionCheck("c1", "o1", condition=FilterCondition.eq("total", 13)),
                    TransactPut(Order("c1", "o2"), condition=FilterCondition.not_exists("status")),
                ]
            )
            with pytest.raises(ConditionFailedError) as failed:
                await table.transact_write(
                    [
                        TransactConditionCheck("c1", "o1", condition=FilterCondition.ne("total", 13)),
                        TransactDelete("c1", "o2"),
                    ]
                )

            with pytest.raises(ConditionFailedError):
                await table.delete_item(again, condition=~IS_OPEN)
            await table.delete("c1", "o1", condition=IS_OPEN, expected_version=2)

            assert (updated.total, again.total) == (11, 13)
            assert failed.value.reason_codes == ("ConditionalCheckFailed", "None")
            assert not await table.exists("c1", "o1", consistent_read=True)
            assert await table.exists("c1", "o2", consistent_read=True)

    asyncio.run(scenario())
