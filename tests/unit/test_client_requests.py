"""``DynamormClient`` requests and leftovers without a server: routing of actions and keys to their models,
one request for a transaction across tables, and batch leftovers returned as the caller's own objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from doubles import RecordingClient
from dynamorm_py import (
    BatchRetryExceededError,
    DynamormClient,
    EncryptionNotConfiguredError,
    ModelDefinition,
    TransactPut,
    TransactUpdate,
    ValidationError,
    dynamorm_field,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class Order:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    total: int = 0


@dataclass
class Stock:
    product: str = dynamorm_field(roles=["pk"])
    available: int = 0


@dataclass
class Vault:
    id: str = dynamorm_field(roles=["pk"])
    secret: str = dynamorm_field(encrypted=True, default="")


ORDERS = ModelDefinition.from_dataclass(Order, table_name="shop")
STOCK = ModelDefinition.from_dataclass(Stock, table_name="stock")


def client_with(dynamodb: Any) -> DynamormClient:
    return DynamormClient(dynamodb, now=lambda: NOW).register(ORDERS, STOCK)


def test_a_transaction_across_tables_is_one_request_with_each_action_encoded_by_its_model() -> None:
    dynamodb = RecordingClient({"transact_write_items": {}})
    client_with(dynamodb).transact_write(
        [
            TransactPut(Order("C#1", "O#1", total=3)),
            TransactUpdate("apples", None, {"available": 2}, model=Stock),
        ],
        client_request_token="token-1",
    )
    (params,) = dynamodb.requests()
    put, update = params["TransactItems"]
    assert put["Put"]["TableName"] == "shop" and put["Put"]["Item"]["total"] == {"N": "3"}
    assert update["Update"]["TableName"] == "stock" and update["Update"]["Key"] == {
        "product": {"S": "apples"}
    }
    assert params["ClientRequestToken"] == "token-1"


def test_batch_leftovers_come_back_as_the_callers_objects_and_tuples() -> None:
    def nothing_written(params: dict[str, Any]) -> dict[str, Any]:
        return {"UnprocessedItems": params["RequestItems"]}

    dynamodb = RecordingClient({"batch_write_item": nothing_written})
    orders = [Order("C#1", f"O#{n}") for n in range(3)]
    stock = Stock("apples")
    deletes = [(Stock, "pears"), (ORDERS, "C#2", "O#9")]
    with pytest.raises(BatchRetryExceededError) as failed:
        client_with(dynamodb).batch_write(puts=[*orders, stock], deletes=deletes, max_retries=1, sleep=None)
    error = failed.value
    assert error.operation == "batch_write"
    # Nothing was written: every object comes back, the very objects and tuples the caller passed.
    assert {id(o) for o in error.unprocessed_puts} == {id(o) for o in [*orders, stock]}
    assert {id(k) for k in error.unprocessed_deletes} == {id(k) for k in deletes}
    assert error.unprocessed_count == 6


def test_batch_get_leftovers_are_the_callers_key_tuples_and_results_keep_key_order() -> None:
    def only_stock(params: dict[str, Any]) -> dict[str, Any]:
        requested = params["RequestItems"]
        if "stock" in requested:
            return {"Responses": {"stock": [{"product": {"S": "apples"}, "available": {"N": "1"}}]}}
        return {"UnprocessedKeys": requested}

    dynamodb = RecordingClient({"batch_get_item": only_stock})
    keys: list[tuple[Any, ...]] = [(Stock, "apples"), (Order, "C#1", "O#1")]
    with pytest.raises(BatchRetryExceededError) as failed:
        client_with(dynamodb).batch_get(keys, max_retries=1, sleep=None)
    assert failed.value.unprocessed_keys == (keys[1],)
    assert failed.value.results == (Stock("apples", available=1),)


def test_registration_mistakes_are_typed_errors() -> None:
    client = client_with(RecordingClient({}))
    with pytest.raises(ValidationError, match="ModelDefinition"):
        client.register(Order)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="already registered"):
        client.register(ModelDefinition.from_dataclass(Order, table_name="elsewhere"))
    with pytest.raises(EncryptionNotConfiguredError):
        client.register(ModelDefinition.from_dataclass(Vault, table_name="vaults"))
    with pytest.raises(ValidationError, match=r"\(Model, pk, sk\)"):
        client.batch_get(["apples"])  # type: ignore[list-item]
    assert client.table(Order) is client.table(ORDERS)
