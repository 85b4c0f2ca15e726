"""``AsyncTable`` against a real endpoint: the README flows awaited, cursors shared with ``Table``, batches of
1,000, transactions, encryption with the embedded KMS, concurrency, cancellation and closed clients.

Each test runs its scenario with ``asyncio.run``, so no async test plugin is needed.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pytest

from dynamorm_py import (
    AsyncTable,
    ConditionFailedError,
    ModelDefinition,
    NotFoundError,
    SortKeyCondition,
    Table,
    TransactConditionCheck,
    TransactPut,
    TransactUpdate,
    ValidationError,
    dynamorm_field,
)
from dynamorm_py.errors import ERR_CONDITION_FAILED, ERR_INVALID_OPERATOR
from dynamorm_py.local import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY, LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB
R = TypeVar("R")


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    total: int = 0
    status: str = "new"
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Secret:
    id: str = dynamorm_field(roles=["pk"])
    value: str = dynamorm_field(encrypted=True, default="")


ORDERS = ModelDefinition.from_dataclass(Order, table_name="async_orders")
SECRETS = ModelDefinition.from_dataclass(Secret, table_name="async_secrets")


def run(scenario: Callable[[], Awaitable[R]]) -> R:
    """Run one scenario on a fresh event loop; fail on a task it left running."""

    async def checked() -> R:
        result = await scenario()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        assert others == [], f"tasks left running: {others}"
        return result

    return asyncio.run(checked())


def test_crud_with_versions_and_the_update_builder(dynamorm_local: Server) -> None:
    async def scenario() -> None:
        async with dynamorm_local.async_table(ORDERS) as table:
            written = await table.put(Order("c1", "o1", total=10))
            assert written.version == 0 and written.created_at is not None
            assert await table.get("c1", "o1") == written
            assert await table.exists(("c1", "o1"))
            assert await table.get("c1", "nope", default=None) is None
            with pytest.raises(NotFoundError):
                await table.get("c1", "nope")

            updated = await table.update("c1", "o1", {"status": "paid"}, expected_version=0)
            assert (updated.status, updated.version) == ("paid", 1)
            with pytest.raises(ConditionFailedError) as stale:
                await table.update("c1", "o1", {"status": "lost"}, expected_version=0)
            assert stale.value.code == ERR_CONDITION_FAILED

            builder = (
                table.update_builder("c1", "o1").add("total", 5).expect_version(1).return_values("ALL_NEW")
            )
            assert builder.explain().operation == "update_item"
            after = await builder.execute()
            assert after is not None and (after.total, after.version) == (15, 2)

            await table.delete_item(after)
            assert not await table.exists("c1", "o1")

    run(scenario)


def test_pages_and_cursors_are_shared_with_the_sync_table(dynamorm_local: Server) -> None:
    sync_table = dynamorm_local.table(ORDERS)
    sync_table.batch_write(puts=[Order("c1", f"o{i:02d}", total=i) for i in range(10)])

    async def scenario() -> None:
        async with dynamorm_local.async_table(ORDERS) as table:
            first = await table.query("c1", limit=4)
            assert [o.order_id for o in first.items] == ["o00", "o01", "o02", "o03"]
            # A cursor from the async table continues on the sync one, and back.
            second = sync_table.query("c1", limit=4, cursor=first.next_cursor)
            assert [o.order_id for o in second.items] == ["o04", "o05", "o06", "o07"]
            third = await table.query("c1", limit=4, cursor=second.next_cursor)
            assert [o.order_id for o in third.items] == ["o08", "o09"]

            streamed = [o.order_id async for o in table.iter_query("c1", limit=3)]
            assert streamed == [f"o{i:02d}" for i in range(10)]
            some = await table.query_all("c1", sort=SortKeyCondition.between("o03", "o05"))
            assert [o.order_id for o in some] == ["o03", "o04", "o05"]
            assert await table.count("c1") == 10
            everything = await table.scan_all_segments(total_segments=3, max_workers=2)
            assert sorted(o.order_id for o in everything) == [f"o{i:02d}" for i in range(10)]
            assert table.describe_query("c1") == sync_table.describe_query("c1")

    run(scenario)


def test_batches_of_a_thousand(dynamorm_local: Server) -> None:
    orders = [Order(f"c{i % 7}", f"o{i:04d}", total=i) for i in range(1000)]
    keys = [(o.customer, o.order_id) for o in orders]

    async def scenario() -> None:
        async with dynamorm_local.async_table(ORDERS) as table:
            await table.batch_write(puts=orders[:500])
            await table.batch_write(puts=orders[500:], max_workers=4)
            read = await table.batch_get(keys)
            assert [(o.customer, o.order_id, o.total) for o in read] == [
                (o.customer, o.order_id, o.total) for o in orders
            ]
            await table.batch_write(deletes=keys[:600], max_workers=3)
            remaining = await table.batch_get(keys)
            assert len(remaining) == 400

    run(scenario)


def test_transactions_commit_together_and_report_each_cancellation_reason(dynamorm_local: Server) -> None:
    async def scenario() -> None:
        async with dynamorm_local.async_table(ORDERS) as table:
            await table.put(Order("c1", "o1", total=1))
            await table.transact_write(
                [
                    TransactPut(Order("c1", "o2", total=2)),
                    TransactUpdate("c1", "o1", {"status": "paid"}, expected_version=0),
                ]
            )
            got = await table.transact_get([("c1", "o1"), ("c1", "o2"), ("c1", "o3")])
            assert [(o.status, o.total) if o else None for o in got] == [("paid", 1), ("new", 2), None]

            with pytest.raises(ConditionFailedError) as cancelled:
                await table.transact_write(
                    [
                        TransactPut(Order("c1", "o4")),
                        TransactConditionCheck(
                            "c1", "o1", condition_expression="attribute_not_exists(customer)"
                        ),
                    ]
                )
            assert [reason.code for reason in cancelled.value.reasons] == ["None", "ConditionalCheckFailed"]
            assert await table.get("c1", "o4", default=None) is None

    run(scenario)


def test_encrypted_fields_with_the_embedded_kms(dynamorm_local: Server) -> None:
    raw = dynamorm_local.client("dynamodb")

    async def scenario() -> None:
        async with dynamorm_local.async_table(SECRETS) as table:
            await table.put(Secret("s1", "the plaintext"))
            assert (await table.get("s1")).value == "the plaintext"
            stored = raw.get_item(TableName="async_secrets", Key={"id": {"S": "s1"}})["Item"]["value"]
            assert set(stored["M"]) == {"v", "edk", "nonce", "ct"}
            assert b"the plaintext" not in stored["M"]["ct"]["B"]
            # The sync table reads what the async one wrote (same key, same envelope).
            sync_table = Table(
                SECRETS,
                client=raw,
                kms_key_arn=table._ctx.kms_key_arn,
                kms_client=dynamorm_local.client("kms"),
            )
            assert sync_table.get("s1").value == "the plaintext"

    run(scenario)


def test_five_hundred_concurrent_gets(dynamorm_local: Server, dynamorm_async_table: Any) -> None:
    dynamorm_local.table(ORDERS).batch_write(puts=[Order("c1", f"o{i:03d}", total=i) for i in range(500)])

    async def scenario() -> None:
        async with dynamorm_async_table(ORDERS) as table:
            got = await asyncio.gather(*(table.get("c1", f"o{i:03d}") for i in range(500)))
            assert [o.total for o in got] == list(range(500))

    run(scenario)


def test_connect_creates_and_closes_its_clients(dynamorm_local: Server) -> None:
    aiobotocore_session = pytest.importorskip("aiobotocore.session")

    async def scenario() -> AsyncTable[Order]:
        session = aiobotocore_session.AioSession()
        session.set_credentials(DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY)
        dynamorm_local.table(ORDERS)  # creates the table
        async with AsyncTable.connect(
            ORDERS,
            endpoint_url=dynamorm_local.endpoint_url,
            region_name=dynamorm_local.region,
            session=session,
        ) as table:
            await table.put(Order("c9", "o1"))
            assert (await table.get("c9", "o1")).customer == "c9"
        with pytest.raises(ValidationError) as closed:
            await table.get("c9", "o1")
        assert closed.value.code == ERR_INVALID_OPERATOR and "connect()" in str(closed.value)
        return table

    run(scenario)


class _PausingClient:
    """A real async client whose ``query``/``scan`` calls after the first wait until released, so a test
    can cancel an operation while a request is in flight."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def get_item(self, **params: Any) -> Any:
        return await self._client.get_item(**params)

    async def query(self, **params: Any) -> Any:
        return await self._paused("query", params)

    async def scan(self, **params: Any) -> Any:
        return await self._paused("scan", params)

    async def _paused(self, operation: str, params: dict[str, Any]) -> Any:
        self.calls += 1
        if self.calls > 1:
            self.waiting.set()
            await self.release.wait()
        return await getattr(self._client, operation)(**params)


@pytest.mark.parametrize("operation", ["query_all", "scan_all_segments"])
def test_cancelling_half_way_leaves_no_task_and_no_unawaited_coroutine(
    dynamorm_local: Server, operation: str
) -> None:
    dynamorm_local.table(ORDERS).batch_write(puts=[Order("c1", f"o{i}") for i in range(6)])

    async def scenario() -> int:
        async with dynamorm_local.async_client() as client:
            pausing = _PausingClient(client)
            table = AsyncTable(ORDERS, client=pausing)
            if operation == "query_all":
                work = table.query_all("c1", limit=2)
            else:
                work = table.scan_all_segments(total_segments=4, limit=1)
            task = asyncio.ensure_future(work)
            await pausing.waiting.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return pausing.calls

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calls = run(scenario)
        gc.collect()
    assert calls >= 2
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
