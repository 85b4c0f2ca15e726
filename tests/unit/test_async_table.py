"""``AsyncTable`` refuses what it cannot use before sending anything (api.md §3.2) and stays an optional
extra.

Clients here are real botocore / aiobotocore clients with dummy credentials pointed at a closed port; a
``before-call`` hook on their event system records any call they would make, so "nothing sent" is observed
on the client itself. No test double is involved.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import botocore.session
import pytest

from dynamorm_py import (
    AsyncTable,
    EncryptionNotConfiguredError,
    ModelDefinition,
    ValidationError,
    dynamorm_field,
)

R = TypeVar("R")

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# Nothing listens there: a call that slipped through would fail, never reach a service.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
CLIENT_ARGS: dict[str, Any] = {
    "region_name": "us-east-1",
    "endpoint_url": CLOSED_ENDPOINT,
    "aws_access_key_id": "dummy",
    "aws_secret_access_key": "dummy",
}


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(roles=["sk"])


@dataclass
class Card:
    id: str = dynamorm_field(roles=["pk"])
    number: str = dynamorm_field(encrypted=True, default="")


ORDERS = ModelDefinition.from_dataclass(Order, table_name="orders")
CARDS = ModelDefinition.from_dataclass(Card, table_name="cards")


def watch(client: Any) -> list[str]:
    """The operations ``client`` starts, recorded by botocore's own ``before-call`` event."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call", record)
    return calls


@asynccontextmanager
async def aio_client(service: str = "dynamodb") -> AsyncIterator[Any]:
    from aiobotocore.session import AioSession

    async with AioSession().create_client(service, **CLIENT_ARGS) as client:
        yield client


def run(main: Callable[[], Awaitable[R]]) -> R:
    async def wrapper() -> R:
        return await main()

    return asyncio.run(wrapper())


# --- clients ------------------------------------------------------------------------------------------------


def test_a_sync_botocore_client_is_refused_naming_client_before_any_call() -> None:
    client = botocore.session.get_session().create_client("dynamodb", **CLIENT_ARGS)
    calls = watch(client)
    with pytest.raises(ValidationError) as raised:
        AsyncTable(ORDERS, client=client)
    assert raised.value.field == "client"
    assert "client" in str(raised.value) and "Table" in str(raised.value)
    assert raised.value.table == "orders"
    assert calls == []


def test_a_sync_kms_client_is_refused_naming_kms_client() -> None:
    async def main() -> None:
        kms = botocore.session.get_session().create_client("kms", **CLIENT_ARGS)
        calls = watch(kms)
        async with aio_client() as client:
            with pytest.raises(ValidationError) as raised:
                AsyncTable(CARDS, client=client, kms_client=kms, kms_key_arn=ARN)
        assert raised.value.field == "kms_client"
        assert calls == []

    run(main)


def test_an_aiobotocore_client_context_that_was_not_entered_is_refused() -> None:
    from aiobotocore.session import AioSession

    async def main() -> None:
        context = AioSession().create_client("dynamodb", **CLIENT_ARGS)
        with pytest.raises(ValidationError) as raised:
            AsyncTable(ORDERS, client=context)
        assert raised.value.field == "client"
        assert "not entered" in str(raised.value) and "async with" in str(raised.value)
        async with context as client:  # entered, the same client is accepted
            assert AsyncTable(ORDERS, client=client).client is client

    run(main)


def test_no_client_is_refused_naming_client() -> None:
    with pytest.raises(ValidationError) as raised:
        AsyncTable(ORDERS, client=None)
    assert raised.value.field == "client"


def test_an_encrypted_model_with_a_key_but_no_kms_client_is_refused_naming_kms_client() -> None:
    async def main() -> None:
        async with aio_client() as client:
            calls = watch(client)
            with pytest.raises(ValidationError) as raised:
                AsyncTable(CARDS, client=client, kms_key_arn=ARN)
            assert raised.value.field == "kms_client"
            assert "kms_client" in str(raised.value)
            assert calls == []

    run(main)


def test_an_encrypted_model_without_a_key_arn_is_encryption_not_configured() -> None:
    async def main() -> None:
        async with aio_client() as client, aio_client("kms") as kms:
            with pytest.raises(EncryptionNotConfiguredError):
                AsyncTable(CARDS, client=client, kms_client=kms)
            with pytest.raises(EncryptionNotConfiguredError):
                AsyncTable(CARDS, client=client, kms_client=kms, kms_key_arn="  ")

    run(main)


# --- arguments ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_workers", [0, -1, True, 1.5])
def test_bad_max_workers_is_refused_naming_it_and_nothing_is_sent(max_workers: Any) -> None:
    async def main() -> None:
        async with aio_client() as client:
            calls = watch(client)
            table = AsyncTable(ORDERS, client=client)
            with pytest.raises(ValidationError) as scan:
                await table.scan_all_segments(total_segments=2, max_workers=max_workers)
            with pytest.raises(ValidationError) as write:
                await table.batch_write(puts=[Order("c1", 1)], max_workers=max_workers, sleep=None)
            assert calls == []
        for raised, operation in ((scan, "scan_all_segments"), (write, "batch_write")):
            assert raised.value.field == "max_workers"
            assert "max_workers" in str(raised.value)
            assert raised.value.operation == operation

    run(main)


@pytest.mark.parametrize("total_segments", [0, 1_000_001, True])
def test_bad_total_segments_is_refused_naming_it_and_nothing_is_sent(total_segments: Any) -> None:
    async def main() -> None:
        async with aio_client() as client:
            calls = watch(client)
            table = AsyncTable(ORDERS, client=client)
            with pytest.raises(ValidationError) as raised:
                await table.scan_all_segments(total_segments=total_segments, max_workers=0)
            assert calls == []
        assert raised.value.field == "total_segments"  # checked first: max_workers defaults to it

    run(main)


# --- the async extra ----------------------------------------------------------------------------------------


def test_connect_without_aiobotocore_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiobotocore", None)
    monkeypatch.setitem(sys.modules, "aiobotocore.session", None)
    monkeypatch.setitem(sys.modules, "aiobotocore.config", None)

    async def main() -> None:
        async with AsyncTable.connect(ORDERS, region_name="us-east-1"):
            raise AssertionError("connect() yielded a table without aiobotocore")

    with pytest.raises(ImportError) as raised:
        run(main)
    assert "dynamorm-py[async]" in str(raised.value)


def test_importing_the_package_and_async_table_does_not_import_the_async_extra() -> None:
    code = (
        "import sys, dynamorm_py\n"
        "dynamorm_py.AsyncTable\n"
        "extras = {'aiobotocore', 'aiohttp', 'aioitertools'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in extras))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
