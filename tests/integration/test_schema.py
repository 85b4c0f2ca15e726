from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from dynamorm_py.errors import TableNotFoundError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.model import ModelDefinition, Projection, dynamorm_field, gsi, lsi
from dynamorm_py.schema import create_table, delete_table, describe_table, ensure_table

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB


def no_sleep(_: float) -> None:
    """The embedded server creates tables ACTIVE at once; against another endpoint polling just spins."""


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    status: str = ""
    placed: int = 0
    total: int = 0


@dataclass
class Session:
    user: str = dynamorm_field(roles=["pk"])
    expires: int = dynamorm_field(roles=["ttl"], default=0)


ORDERS = ModelDefinition.from_dataclass(
    Order,
    table_name="schema_orders",
    indexes=[
        gsi("by-status", partition="status", sort="placed", projection=Projection.include("total")),
        lsi("by-placed", sort="placed", projection=Projection.keys_only()),
    ],
)
SESSIONS = ModelDefinition.from_dataclass(Session, table_name="schema_sessions")


def table_of(server: Server, model: ModelDefinition[Any]) -> dict[str, Any]:
    table: dict[str, Any] = describe_table(model, client=server.client())["Table"]
    return table


def test_create_table_then_describe_shows_active_table_with_indexes(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()

    create_table(ORDERS, client=client, sleep=no_sleep)

    table = describe_table(ORDERS, client=client)["Table"]
    assert table["TableName"] == "schema_orders"
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "order_id", "KeyType": "RANGE"},
    ]
    (global_index,) = table["GlobalSecondaryIndexes"]
    assert global_index["IndexName"] == "by-status"
    assert global_index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]}
    (local_index,) = table["LocalSecondaryIndexes"]
    assert local_index["IndexName"] == "by-placed"
    assert local_index["KeySchema"] == [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "placed", "KeyType": "RANGE"},
    ]
    assert local_index["Projection"]["ProjectionType"] == "KEYS_ONLY"


def test_create_table_twice_is_idempotent(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()

    create_table(ORDERS, client=client, sleep=no_sleep)
    create_table(ORDERS, client=client, sleep=no_sleep)

    assert table_of(dynamorm_local, ORDERS)["TableStatus"] == "ACTIVE"


def test_create_table_with_table_name_argument_uses_that_name(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()

    create_table(ORDERS, client=client, table_name="schema_orders_copy", sleep=no_sleep)

    assert (
        describe_table(ORDERS, client=client, table_name="schema_orders_copy")["Table"]["TableStatus"]
        == "ACTIVE"
    )
    with pytest.raises(TableNotFoundError):
        describe_table(ORDERS, client=client)


def test_ensure_table_creates_a_missing_table(dynamorm_local: Server) -> None:
    ensure_table(ORDERS, client=dynamorm_local.client(), sleep=no_sleep)

    assert table_of(dynamorm_local, ORDERS)["TableStatus"] == "ACTIVE"


def test_ensure_table_keeps_an_existing_table_and_its_items(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()
    create_table(ORDERS, client=client, sleep=no_sleep)
    client.put_item(TableName="schema_orders", Item={"customer": {"S": "c1"}, "order_id": {"S": "o1"}})

    ensure_table(ORDERS, client=client, sleep=no_sleep)

    assert client.scan(TableName="schema_orders")["Count"] == 1


def test_create_table_enable_ttl_sets_ttl_on_the_ttl_attribute(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()

    create_table(SESSIONS, client=client, enable_ttl=True, sleep=no_sleep)

    description = client.describe_time_to_live(TableName="schema_sessions")["TimeToLiveDescription"]
    assert description["TimeToLiveStatus"] == "ENABLED"
    assert description["AttributeName"] == "expires"


def test_ensure_table_enables_ttl_on_an_existing_table_and_again_is_harmless(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()
    create_table(SESSIONS, client=client, sleep=no_sleep)

    ensure_table(SESSIONS, client=client, enable_ttl=True, sleep=no_sleep)
    ensure_table(SESSIONS, client=client, enable_ttl=True, sleep=no_sleep)
    create_table(SESSIONS, client=client, enable_ttl=True, sleep=no_sleep)

    description = client.describe_time_to_live(TableName="schema_sessions")["TimeToLiveDescription"]
    assert description == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_delete_table_then_describe_is_table_not_found(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()
    create_table(ORDERS, client=client, sleep=no_sleep)

    delete_table(ORDERS, client=client, sleep=no_sleep)

    with pytest.raises(TableNotFoundError) as info:
        describe_table(ORDERS, client=client)
    assert info.value.operation == "describe_table"
    assert info.value.table == "schema_orders"


def test_delete_missing_table_is_table_not_found(dynamorm_local: Server) -> None:
    with pytest.raises(TableNotFoundError) as info:
        delete_table(ORDERS, client=dynamorm_local.client(), sleep=no_sleep)

    assert info.value.operation == "delete_table"
    assert info.value.aws_code == "ResourceNotFoundException"


def test_delete_missing_table_with_ignore_missing_does_nothing(dynamorm_local: Server) -> None:
    delete_table(ORDERS, client=dynamorm_local.client(), ignore_missing=True, sleep=no_sleep)


def test_stream_view_type_table_has_a_latest_stream_arn(dynamorm_local: Server) -> None:
    client = dynamorm_local.client()

    create_table(ORDERS, client=client, stream_view_type="NEW_AND_OLD_IMAGES", sleep=no_sleep)

    table = table_of(dynamorm_local, ORDERS)
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"]
