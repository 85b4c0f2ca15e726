"""The client ``dynamorm_py.client`` builds (as ``Table(model)`` does): no botocore parameter validation and
no botocore retries, yet typed errors, DynamoDB's own validation and the library's retries all intact."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fault_proxy import FaultProxy

import dynamorm_py
from dynamorm_py.errors import ConditionFailedError, ValidationError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.retry import RetryPolicy
from dynamorm_py.table import Table

Server = LocalDynamoDB | RemoteDynamoDB


@dataclass
class Note:
    pk: str = dynamorm_field(roles=["pk"])
    text: str = ""


NOTES = ModelDefinition.from_dataclass(Note, table_name="library_client_notes")


def library_client(server: Server, endpoint_url: str | None = None) -> Any:
    return dynamorm_py.client(
        endpoint_url=endpoint_url or server.endpoint_url,
        region_name=server.region,
        aws_access_key_id="dynamorm-local",
        aws_secret_access_key="dynamorm-local",
    )


def test_the_factory_builds_a_client_without_botocore_validation_or_retries(dynamorm_local: Server) -> None:
    client = library_client(dynamorm_local)
    assert client.meta.config.retries["total_max_attempts"] == 1
    # botocore's own check refuses a two-character table name before sending; this client sends it, and
    # the server answers.
    with pytest.raises(ClientError) as caught:
        client.get_item(TableName="ab", Key={"pk": {"S": "a"}})
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_failed_condition_is_condition_failed_on_the_library_client(dynamorm_local: Server) -> None:
    dynamorm_local.table(NOTES)  # creates the table
    table = Table(NOTES, client=library_client(dynamorm_local))
    table.put(Note("a", "first"), if_not_exists=True)
    with pytest.raises(ConditionFailedError) as caught:
        table.put(Note("a", "second"), if_not_exists=True)
    assert caught.value.operation == "put"
    assert table.get("a") == Note("a", "first")


def test_a_malformed_request_gets_dynamodbs_validation_exception_not_a_crash(dynamorm_local: Server) -> None:
    dynamorm_local.table(NOTES)
    client = library_client(dynamorm_local)
    with pytest.raises(ClientError) as caught:
        client.get_item(TableName=NOTES.table_name, Key={"pk": {"S": "a"}, "other": {"S": "b"}})
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_dynamodbs_validation_exception_is_a_typed_error_through_the_table(dynamorm_local: Server) -> None:
    dynamorm_local.table(NOTES)
    table = Table(NOTES, client=library_client(dynamorm_local))
    with pytest.raises(ValidationError) as caught:
        table.put(Note("k" * 3000))  # over DynamoDB's 2048-byte partition key limit: the server says no
    assert caught.value.operation == "put"


def test_the_library_retries_server_errors_on_its_own_client(dynamorm_local: Server) -> None:
    if not dynamorm_local.endpoint_url.startswith("http://127.0.0.1:"):
        pytest.skip("the fault proxy forwards to 127.0.0.1 only")
    dynamorm_local.table(NOTES)
    policy = RetryPolicy(
        max_attempts=5, base_delay=0.001, max_delay=0.01, rand_uniform=random.Random(3).uniform
    )
    with FaultProxy(dynamorm_local.endpoint_url, seed=1, server_error=1.0, max_faults=2) as proxy:
        table = Table(NOTES, client=library_client(dynamorm_local, proxy.endpoint_url), retry_policy=policy)
        table.put(Note("b", "kept"))
        assert sum(proxy.counts.values()) >= 3  # two injected 500s, then the write that got through
    assert Table(NOTES, client=library_client(dynamorm_local)).get("b") == Note("b", "kept")
