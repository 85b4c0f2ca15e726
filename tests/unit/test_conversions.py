"""Conversions around the raw client (api.md §4.3): ``ModelDefinition.to_item`` / ``from_item`` / ``key`` and
``Table``'s upstream private aliases ``_to_item``, ``_from_item``, ``_to_key``, ``_build_update_request``.

The conversions must produce exactly what the table's own operations send, so each is compared with the
request a ``RecordingClient`` captured from the real operation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from doubles import AsyncRecordingClient, RecordingClient
from dynamorm_py.errors import (
    ERR_ENCRYPTION_NOT_CONFIGURED,
    ERR_INVALID_MODEL,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    ERR_UNRECOGNIZED_ITEM,
    EncryptionNotConfiguredError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field, sk_prefix
from dynamorm_py.table import AsyncTable, Table

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class Cents:
    """Stores a money amount as integer cents."""

    def to_dynamodb(self, value: Any) -> Any:
        return int(value * 100)

    def from_dynamodb(self, value: Any) -> Any:
        return Decimal(value) / 100


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    total: Decimal = dynamorm_field(converter=Cents(), dynamodb_type="N", default=Decimal("0"))
    count: int = 0
    tags: set[str] = field(default_factory=set)
    placed: datetime | None = None
    note: str | None = dynamorm_field(name="n", omitempty=True, default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)
    updated: datetime | None = dynamorm_field(roles=["updated_at"], default=None)


@dataclass
class Note:
    id: str = dynamorm_field(roles=["pk"])
    body: str = ""


@dataclass
class Secret:
    id: str = dynamorm_field(roles=["pk"])
    token: str = dynamorm_field(encrypted=True, default="")


@dataclass
class Invoice:
    customer: str = dynamorm_field(roles=["pk"])
    sk: str = dynamorm_field(roles=["sk"])
    amount: int = 0


ORDERS = ModelDefinition.from_dataclass(Order, table_name="orders")
NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")
SECRETS = ModelDefinition.from_dataclass(Secret, table_name="secrets")
INVOICES = ModelDefinition.from_dataclass(Invoice, table_name="shared", matches=sk_prefix("INVOICE#"))


def order() -> Order:
    return Order(
        customer="c1",
        order_id="o1",
        total=Decimal("12.50"),
        count=3,
        tags={"b", "a"},
        placed=datetime(2026, 1, 1, tzinfo=UTC),
        note="leave at door",
        version=4,
        updated=datetime(2025, 12, 31, tzinfo=UTC),
    )


def test_to_item_is_what_put_stores_when_lifecycle_fields_are_already_set() -> None:
    client = RecordingClient()
    Table(ORDERS, client=client, now=lambda: NOW).put(order())
    sent = client.last["Item"]

    item = ORDERS.to_item(order())

    # put stamps updated_at with its clock; every other attribute is the same encoding.
    assert {k: v for k, v in item.items() if k != "updated"} == {
        k: v for k, v in sent.items() if k != "updated"
    }
    assert item["updated"] == {"S": "2025-12-31T00:00:00.000000000Z"}
    assert item["total"] == {"N": "1250"}
    assert item["n"] == {"S": "leave at door"}


def test_to_item_does_not_stamp_lifecycle_fields() -> None:
    bare = Order(customer="c1", order_id="o1")

    item = ORDERS.to_item(bare)

    assert "version" not in item
    assert "updated" not in item
    assert "n" not in item  # omitempty still applies
    assert bare.version is None  # and the argument is untouched


def test_from_item_reverses_to_item() -> None:
    original = order()

    assert ORDERS.from_item(ORDERS.to_item(original)) == original


def test_from_item_ignores_attributes_the_model_does_not_know() -> None:
    item = {**ORDERS.to_item(order()), "legacy": {"S": "x"}}

    assert ORDERS.from_item(item) == order()


def test_key_is_what_get_sends() -> None:
    client = RecordingClient({"get_item": {"Item": ORDERS.to_item(order())}})
    Table(ORDERS, client=client).get("c1", "o1")

    assert ORDERS.key("c1", "o1") == client.last["Key"] == {"customer": {"S": "c1"}, "order_id": {"S": "o1"}}
    assert NOTES.key("n1") == {"id": {"S": "n1"}}


def test_to_item_refuses_an_object_of_another_type() -> None:
    with pytest.raises(ValidationError) as caught:
        ORDERS.to_item(Note(id="n1"))  # type: ignore[arg-type]

    assert caught.value.code == ERR_INVALID_MODEL
    assert caught.value.operation == "to_item"
    assert caught.value.table == "orders"


def test_to_item_checks_the_item_size() -> None:
    with pytest.raises(ValidationError) as caught:
        NOTES.to_item(Note(id="n1", body="x" * 410_000))

    assert caught.value.code == ERR_INVALID_VALUE
    assert "400 KB" in str(caught.value)
    assert caught.value.operation == "to_item"


def test_to_item_names_the_field_of_an_invalid_value_without_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        ORDERS.to_item(Order(customer="c1", order_id="o1", count="three"))  # type: ignore[arg-type]

    assert caught.value.field == "count"
    assert "three" not in str(caught.value)


@pytest.mark.parametrize("convert", ["to_item", "from_item"])
def test_conversions_refuse_models_with_encrypted_fields(convert: str) -> None:
    argument: Any = Secret(id="s1", token="hunter2") if convert == "to_item" else {"id": {"S": "s1"}}

    with pytest.raises(EncryptionNotConfiguredError) as caught:
        getattr(SECRETS, convert)(argument)

    assert caught.value.code == ERR_ENCRYPTION_NOT_CONFIGURED
    assert caught.value.operation == convert
    assert caught.value.field == "token"
    assert "hunter2" not in str(caught.value)


def test_key_works_for_models_with_encrypted_fields() -> None:
    assert SECRETS.key("s1") == {"id": {"S": "s1"}}


def test_from_item_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(ValidationError) as caught:
        ORDERS.from_item([("customer", {"S": "c1"})])  # type: ignore[arg-type]

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.operation == "from_item"


def test_from_item_refuses_an_item_missing_a_key_attribute() -> None:
    with pytest.raises(ValidationError) as caught:
        ORDERS.from_item({"customer": {"S": "c1"}})

    assert caught.value.field == "order_id"
    assert caught.value.operation == "from_item"


def test_from_item_refuses_an_item_of_another_entity_type() -> None:
    assert INVOICES.from_item({"customer": {"S": "c"}, "sk": {"S": "INVOICE#1"}}) == Invoice("c", "INVOICE#1")

    with pytest.raises(ValidationError) as caught:
        INVOICES.from_item({"customer": {"S": "c"}, "sk": {"S": "ORDER#1"}})

    assert caught.value.code == ERR_UNRECOGNIZED_ITEM
    assert caught.value.operation == "from_item"


@pytest.mark.parametrize(("pk", "sk"), [(None, "o1"), ("c1", ""), ("c1", None)])
def test_key_refuses_missing_key_values(pk: Any, sk: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        ORDERS.key(pk, sk)

    assert caught.value.code == ERR_MISSING_PRIMARY_KEY
    assert caught.value.operation == "key"


def test_key_refuses_a_sort_key_for_a_model_without_one() -> None:
    with pytest.raises(ValidationError) as caught:
        NOTES.key("n1", "extra")

    assert caught.value.code == ERR_INVALID_MODEL
    assert caught.value.operation == "key"


def test_table_private_aliases_match_the_public_conversions_and_the_update_request() -> None:
    table = Table(ORDERS, client=RecordingClient(), now=lambda: NOW)
    stored = {"update_item": {"Attributes": {"id": {"S": "n1"}, "body": {"S": "hello"}}}}
    notes = Table(NOTES, client=RecordingClient(stored), now=lambda: NOW)

    assert table._to_item(order()) == ORDERS.to_item(order())
    assert table._from_item(ORDERS.to_item(order())) == order()
    assert table._to_key("c1", "o1") == ORDERS.key("c1", "o1")
    request = notes._build_update_request("n1", None, {"body": "hello"})
    notes.update("n1", None, {"body": "hello"})
    assert request == notes.client.last
    assert request["UpdateExpression"] == "SET #d_body = :d_body"


def test_async_table_private_aliases_are_the_same_plain_methods() -> None:
    stored = {"update_item": {"Attributes": {"id": {"S": "n1"}, "body": {"S": "hello"}}}}
    table = AsyncTable(NOTES, client=AsyncRecordingClient(stored), now=lambda: NOW)
    sync = Table(NOTES, client=RecordingClient(), now=lambda: NOW)

    assert table._to_item(Note("n1", "b")) == sync._to_item(Note("n1", "b"))
    assert table._from_item({"id": {"S": "n1"}}) == Note("n1")
    assert table._to_key("n1") == {"id": {"S": "n1"}}
    request = table._build_update_request("n1", None, {"body": "hello"})
    asyncio.run(table.update("n1", None, {"body": "hello"}))
    assert request == table.client.last == sync._build_update_request("n1", None, {"body": "hello"})
