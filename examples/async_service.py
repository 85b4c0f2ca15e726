"""An asyncio service: one AsyncTable shared by concurrent request handlers.

Runs against ``DYNAMODB_ENDPOINT`` when it is set (``dynamorm local --port 8000`` prints one), otherwise
starts the embedded local DynamoDB for the length of the script. Needs the ``async`` extra
(``pip install "dynamorm-py[async]"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import boto3
from aiobotocore.session import AioSession

from dynamorm_py import (
    AsyncTable,
    ConditionFailedError,
    ModelDefinition,
    SortKeyCondition,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
    ensure_table,
)


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    total: int = 0
    status: str = "open"
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


ORDERS = ModelDefinition.from_dataclass(Order, table_name="async_service_orders")


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    """The endpoint to use: DYNAMODB_ENDPOINT, or an embedded server started for this script."""
    configured = os.environ.get("DYNAMODB_ENDPOINT")
    if configured:
        yield configured
        return
    from dynamorm_py.local import LocalDynamoDB

    with LocalDynamoDB() as local:
        print(f"started the embedded local DynamoDB at {local.endpoint_url}")
        yield local.endpoint_url


async def place_order(orders: AsyncTable[Order], customer: str, n: int) -> Order:
    """A request handler: each call awaits its own PutItem; many run at once on one table."""
    return await orders.put(Order(customer, f"2024-{n:03d}", total=n), if_not_exists=True)


async def pay(orders: AsyncTable[Order], customer: str, order_id: str) -> None:
    """Read-modify-write with the version lock: a concurrent writer makes this raise, never overwrites."""
    order = await orders.get(customer, order_id)
    await orders.update(customer, order_id, {"status": "paid"}, expected_version=order.version)


async def serve(url: str) -> None:
    # Create the table once, with the sync admin helper, as a deployment step would.
    admin = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    ensure_table(ORDERS, client=admin)

    session = AioSession()
    session.set_credentials("local", "local")  # the local endpoint accepts any credentials
    async with AsyncTable.connect(
        ORDERS, endpoint_url=url, region_name="us-east-1", session=session
    ) as orders:
        placed = await asyncio.gather(*(place_order(orders, "ada", n) for n in range(1, 101)))
        print(f"placed   -> {len(placed)} orders concurrently")

        await pay(orders, "ada", "2024-007")
        try:
            await orders.update("ada", "2024-007", {"status": "refunded"}, expected_version=0)
        except ConditionFailedError as err:
            print(f"stale    -> {type(err).__name__} ({err.code})")

        big = [
            o.total async for o in orders.iter_query("ada", sort=SortKeyCondition.gte("2024-095"), limit=2)
        ]
        print(f"iterate  -> {big}")

        page = await orders.query("ada", limit=10, scan_forward=False)
        print(f"page     -> {len(page.items)} newest, more: {page.next_cursor is not None}")

        await orders.transact_write(
            [
                TransactPut(Order("ada", "2024-101", total=101)),
                TransactUpdate("ada", "2024-001", {"status": "merged"}, expected_version=0),
            ]
        )
        after = await orders.batch_get([("ada", "2024-001"), ("ada", "2024-101")])
        print(f"transact -> {[(o.order_id, o.status) for o in after]}")

        builder = orders.update_builder("ada", "2024-002").add("total", 1000).expect_version(0)
        builder.return_values("ALL_NEW")
        print(f"explain  -> {builder.explain().operation}")
        updated = await builder.execute()
        assert updated is not None
        print(f"builder  -> total {updated.total}, version {updated.version}")


def main() -> None:
    with endpoint() as url:
        asyncio.run(serve(url))


if __name__ == "__main__":
    main()
