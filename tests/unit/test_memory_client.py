"""The in-memory DynamoDB (``dynamorm_py.memory``) under the repository's own table-level tests, and its
own contract: botocore-shaped errors, per-client state, and loud failure on what it does not implement.

The table-level suites of tests/integration (CRUD with versions and conditions, the update builder, queries
with cursors, filters and indexes, scans and parallel scans, batches, transactions with cancellation
reasons, encryption, write conditions, entity matching, the async driver) are collected here a second time
with ``dynamorm_local`` bound to a fresh ``MemoryDynamoDB`` instead of the embedded server. The few tests
that need HTTP, streams or botocore's own client are listed in ``SERVER_ONLY`` with the reason.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
import test_async_table
import test_batch_transact
import test_crud
import test_encryption
import test_entity_matching
import test_query_scan
import test_single_table
import test_write_conditions
from botocore.exceptions import ClientError

from dynamorm_py.errors import (
    ConditionFailedError,
    TableNotFoundError,
)
from dynamorm_py.memory import (
    MemoryDynamoDB,
    async_memory_client,
    memory_client,
    memory_kms_client,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi
from dynamorm_py.table import AsyncTable, Table
from dynamorm_py.transaction import TransactPut, TransactUpdate

SUITES: tuple[ModuleType, ...] = (
    test_crud,
    test_query_scan,
    test_batch_transact,
    test_encryption,
    test_write_conditions,
    test_entity_matching,
    test_single_table,
    test_async_table,
)

SERVER_ONLY = {
    # builds its own boto3 KMS client at the server's endpoint
    "test_kms_client_defaults_to_boto3_kms_client",
    # reads a DynamoDB stream, which the memory store does not have
    "test_stream_records_of_the_other_entity_are_refused_or_skipped",
    # open aiobotocore clients at the server's endpoint
    "test_connect_creates_and_closes_its_clients",
    "test_async_client_connect_creates_and_closes_its_clients",
}


def _collect(suites: tuple[ModuleType, ...]) -> dict[str, Any]:
    """Every test and fixture of ``suites``, by name; a name defined by two suites is an error here rather
    than a silently skipped test."""
    found: dict[str, Any] = {}
    for suite in suites:
        for name, obj in vars(suite).items():
            is_fixture = type(obj).__name__ == "FixtureFunctionDefinition"
            if not (is_fixture or (name.startswith("test_") and callable(obj))) or name in SERVER_ONLY:
                continue
            if name in found and found[name] is not obj:
                raise AssertionError(f"{name} is defined by two suites; rename one")
            found[name] = obj
    return found


globals().update(_collect(SUITES))


@pytest.fixture
def dynamorm_local() -> MemoryDynamoDB:
    """The suites' server, replaced by a fresh in-memory store for each test."""
    return MemoryDynamoDB()


@pytest.fixture
def dynamorm_async_table(dynamorm_local: MemoryDynamoDB) -> Any:
    return dynamorm_local.async_table


# --- the memory client's own contract ------------------------------------------------------------------


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    slug: str = dynamorm_field(roles=["sk"])
    body: str = ""
    topic: str = ""
    version: int = dynamorm_field(roles=["version"], default=0)


NOTES = ModelDefinition.from_dataclass(
    Note, table_name="notes", indexes=[gsi("by-topic", partition="topic", sort="slug")]
)
KEY = {"owner": {"S": "ann"}, "slug": {"S": "a"}}


def test_the_fixture_gives_each_test_a_table_it_can_use(dynamorm_memory: MemoryDynamoDB) -> None:
    table = dynamorm_memory.table(NOTES)
    table.put(Note("ann", "a", "hello", "t"))

    assert table.get("ann", "a") == Note("ann", "a", "hello", "t")
    assert dynamorm_memory.client().get_item(TableName="notes", Key=KEY)["Item"]["body"] == {"S": "hello"}


def test_two_clients_never_share_tables() -> None:
    first, second = MemoryDynamoDB(), MemoryDynamoDB()
    first.table(NOTES).put(Note("ann", "a"))

    with pytest.raises(TableNotFoundError):
        Table(NOTES, client=second.client()).get("ann", "a")
    assert second.table(NOTES).get("ann", "a", default=None) is None


def test_a_table_that_was_not_created_is_resource_not_found() -> None:
    client = memory_client()

    with pytest.raises(ClientError) as raw:
        client.get_item(TableName="notes", Key=KEY)
    assert raw.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(TableNotFoundError):
        Table(NOTES, client=client).put(Note("ann", "a"))


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("update_table", lambda client: client.update_table(TableName="notes")),
        ("execute_statement", lambda client: client.execute_statement(Statement="SELECT * FROM notes")),
        ("get_waiter", lambda client: client.get_waiter("table_exists")),
        ("list_streams", lambda client: client.kms.list_streams()),
        ("ExecuteStatement", lambda client: client._make_api_call("ExecuteStatement", {})),
        ("get_paginator('batch_get_item')", lambda client: client.get_paginator("batch_get_item")),
    ],
)
def test_an_operation_it_does_not_implement_fails_naming_it(name: str, call: Any) -> None:
    with pytest.raises(NotImplementedError, match=name.replace("(", r"\(").replace(")", r"\)")):
        call(memory_client())


def test_an_unknown_parameter_fails_like_botocore() -> None:
    from botocore.exceptions import ParamValidationError

    client = memory_client()
    with pytest.raises(ParamValidationError, match='Unknown parameter in input: "Keys"'):
        client.get_item(TableName="notes", Keys=KEY)


def test_a_failed_condition_is_conditional_check_failed_with_the_old_item_when_asked() -> None:
    memory = MemoryDynamoDB()
    memory.table(NOTES).put(Note("ann", "a", "v1"))
    client = memory.client()

    with pytest.raises(ClientError) as raw:
        client.put_item(
            TableName="notes",
            Item={**KEY, "body": {"S": "v2"}},
            ConditionExpression="attribute_not_exists(#o)",
            ExpressionAttributeNames={"#o": "owner"},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    assert raw.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert raw.value.response["Item"]["body"] == {"S": "v1"}
    with pytest.raises(ConditionFailedError):
        memory.table(NOTES, create=False).put(Note("ann", "a", "v3"), if_not_exists=True)


def test_a_cancelled_transaction_reports_a_reason_per_action_and_changes_nothing() -> None:
    memory = MemoryDynamoDB()
    table = memory.table(NOTES)
    table.put(Note("ann", "a", "v1"))

    with pytest.raises(ConditionFailedError) as caught:
        table.transact_write(
            [
                TransactPut(Note("ann", "b", "new")),
                TransactPut(Note("ann", "a", "again"), if_not_exists=True),
            ]
        )

    assert [reason.code for reason in caught.value.reasons] == ["None", "ConditionalCheckFailed"]
    assert table.get("ann", "b", default=None) is None


def test_a_repeated_client_request_token_applies_once_and_a_changed_request_is_refused() -> None:
    client = memory_client()
    MemoryDynamoDB().table(NOTES)  # another store: the token below must not leak there either
    Table(NOTES, client=client)
    client.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    add = {
        "Update": {
            "TableName": "counters",
            "Key": {"id": {"S": "c"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }

    client.transact_write_items(TransactItems=[add], ClientRequestToken="t-1")
    client.transact_write_items(TransactItems=[add], ClientRequestToken="t-1")
    assert client.get_item(TableName="counters", Key={"id": {"S": "c"}})["Item"]["n"] == {"N": "1"}

    with pytest.raises(ClientError) as raw:
        client.transact_write_items(TransactItems=[add, add], ClientRequestToken="t-1")
    assert raw.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_update_expressions_evaluate_against_the_item_as_it_was() -> None:
    client = memory_client()
    client.create_table(
        TableName="docs",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    client.put_item(
        TableName="docs",
        Item={
            "id": {"S": "d"},
            "n": {"N": "5"},
            "tags": {"SS": ["a", "b"]},
            "doc": {"M": {"list": {"L": [{"N": "1"}, {"N": "2"}]}}},
        },
    )

    response = client.update_item(
        TableName="docs",
        Key={"id": {"S": "d"}},
        UpdateExpression="SET m = n + :two, n = :zero, doc.#l = list_append(doc.#l, :more) REMOVE gone "
        "DELETE tags :a ADD c :two",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={
            ":two": {"N": "2"},
            ":zero": {"N": "0"},
            ":more": {"L": [{"S": "x"}]},
            ":a": {"SS": ["a"]},
        },
        ReturnValues="ALL_NEW",
    )

    assert response["Attributes"] == {
        "id": {"S": "d"},
        "m": {"N": "7"},
        "n": {"N": "0"},
        "c": {"N": "2"},
        "tags": {"SS": ["b"]},
        "doc": {"M": {"list": {"L": [{"N": "1"}, {"N": "2"}, {"S": "x"}]}}},
    }
    with pytest.raises(ClientError) as raw:
        client.update_item(
            TableName="docs",
            Key={"id": {"S": "d"}},
            UpdateExpression="SET a = :v, a = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        )
    assert raw.value.response["Error"]["Code"] == "ValidationException"


def test_an_unused_expression_value_is_a_validation_error() -> None:
    memory = MemoryDynamoDB()
    memory.table(NOTES)

    with pytest.raises(ClientError) as raw:
        memory.client().get_item(
            TableName="notes", Key=KEY, ProjectionExpression="body", ExpressionAttributeNames={"#x": "x"}
        )
    assert raw.value.response["Error"]["Code"] == "ValidationException"
    assert "#x" in raw.value.response["Error"]["Message"]


def test_query_pages_follow_limit_and_the_index_order() -> None:
    memory = MemoryDynamoDB()
    table = memory.table(NOTES)
    for slug in "edcba":
        table.put(Note("ann", slug, topic="t"))
    client = memory.client()

    pages = list(
        client.get_paginator("query").paginate(
            TableName="notes",
            IndexName="by-topic",
            KeyConditionExpression="topic = :t",
            ExpressionAttributeValues={":t": {"S": "t"}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": 2},
        )
    )

    slugs = [item["slug"]["S"] for page in pages for item in page["Items"]]
    assert slugs == ["e", "d", "c", "b", "a"]
    assert [page["Count"] for page in pages] == [2, 2, 1]
    assert set(pages[0]["LastEvaluatedKey"]) == {"owner", "slug", "topic"}


def test_kms_decrypts_only_its_own_ciphertext_under_the_same_context() -> None:
    kms, other = memory_kms_client(), memory_kms_client()
    key = kms.create_key()["KeyMetadata"]["Arn"]
    data_key = kms.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"a": "1"})

    assert len(data_key["Plaintext"]) == 32
    plain = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"a": "1"})
    assert plain["Plaintext"] == data_key["Plaintext"]
    for client, context in ((kms, {"a": "2"}), (other, {"a": "1"})):
        with pytest.raises(ClientError) as raw:
            client.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=context)
        assert raw.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_the_async_twin_serves_async_table_from_the_same_store() -> None:
    memory = MemoryDynamoDB()
    memory.table(NOTES).put(Note("ann", "a", "seeded"))
    client = async_memory_client(sync=memory.client())

    async def main() -> Note | None:
        table = AsyncTable(NOTES, client=client)
        await table.update("ann", "a", {"body": "changed"}, expected_version=0)
        return await table.get("ann", "a")

    note = asyncio.run(main())

    assert note is not None and note.body == "changed"
    assert memory.table(NOTES, create=False).get("ann", "a").body == "changed"


def test_concurrent_conditional_updates_are_atomic() -> None:
    memory = MemoryDynamoDB()
    table = memory.table(NOTES)
    table.put(Note("ann", "a"))

    def bump() -> None:
        for _ in range(50):
            while True:
                current = table.get("ann", "a")
                body = str(int(current.body or "0") + 1)
                try:
                    table.update("ann", "a", {"body": body}, expected_version=current.version)
                    break
                except ConditionFailedError:
                    continue

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert table.get("ann", "a").body == "200"


def test_a_versioned_transact_update_bumps_the_version() -> None:
    memory = MemoryDynamoDB()
    table = memory.table(NOTES)
    table.put(Note("ann", "z"))

    table.transact_write([TransactUpdate("ann", "z", {"body": "made"}, expected_version=0)])

    assert (table.get("ann", "z").body, table.get("ann", "z").version) == ("made", 1)
