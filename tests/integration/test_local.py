"""The embedded local DynamoDB, its pytest fixtures and ``dynamorm local``, against moto's server."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fault_proxy import canned_server

from dynamorm_py import ConditionFailedError, ModelDefinition, Table, dynamorm_field
from dynamorm_py.errors import EncryptionNotConfiguredError, TableNotFoundError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB, dynamodb_from_environment, local_dynamodb
from dynamorm_py.pytest_plugin import server_from_environment, start_server

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB


def create_simple_table(client: Any, name: str, *, stream_view_type: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream_view_type is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view_type}
    description: dict[str, Any] = client.create_table(**params)["TableDescription"]
    return description


def table_names(server: Server) -> list[str]:
    names: list[str] = server.client("dynamodb").list_tables()["TableNames"]
    return names


def kms_key_arns(server: Server) -> set[str]:
    return {key["KeyArn"] for key in server.client("kms").list_keys()["Keys"]}


def answers_list_tables(endpoint_url: str) -> bool:
    return isinstance(RemoteDynamoDB(endpoint_url).client("dynamodb").list_tables()["TableNames"], list)


# --- the server ------------------------------------------------------------------------------------------


def test_start_listens_on_a_free_loopback_port_when_port_is_zero() -> None:
    server = LocalDynamoDB(port=0)
    try:
        server.start()
        assert server.port != 0
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
        assert answers_list_tables(server.endpoint_url)
    finally:
        server.stop()


def test_endpoint_url_is_unavailable_until_started() -> None:
    server = LocalDynamoDB()
    with pytest.raises(RuntimeError, match="start"):
        _ = server.endpoint_url


def test_two_servers_start_and_stop_independently() -> None:
    first = LocalDynamoDB().start()
    second = LocalDynamoDB().start()
    try:
        assert first.port != second.port
        first.stop()
        assert not first.running
        assert answers_list_tables(second.endpoint_url)
    finally:
        first.stop()
        second.stop()
    assert not second.running


def test_stop_is_idempotent_and_harmless_before_start() -> None:
    never_started = LocalDynamoDB()
    never_started.stop()
    server = LocalDynamoDB().start()
    server.stop()
    server.stop()
    assert not server.running


def test_server_can_restart_after_stop() -> None:
    server = LocalDynamoDB()
    with server:
        assert answers_list_tables(server.endpoint_url)
    with server:
        assert answers_list_tables(server.endpoint_url)
    assert not server.running


def test_local_dynamodb_context_manager_starts_and_stops() -> None:
    with local_dynamodb(region="eu-west-1") as server:
        assert server.running
        assert server.client("dynamodb").meta.region_name == "eu-west-1"
        assert answers_list_tables(server.endpoint_url)
    assert not server.running


def test_start_on_a_port_in_use_raises_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = LocalDynamoDB(port=taken.getsockname()[1])
        with pytest.raises(OSError, match="cannot listen"):
            server.start()
        assert not server.running


def test_out_of_range_port_is_rejected() -> None:
    with pytest.raises(ValueError, match="port"):
        LocalDynamoDB(port=70000)


def test_unknown_service_is_rejected(dynamorm_local: Server) -> None:
    with pytest.raises(ValueError, match="unsupported service"):
        dynamorm_local.client("s3")  # type: ignore[arg-type]  # the runtime check is the point


# --- the three services on one endpoint --------------------------------------------------------------------


def test_dynamodb_client_creates_puts_and_gets(dynamorm_local: Server) -> None:
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "users")
    client.put_item(TableName="users", Item={"pk": {"S": "u1"}, "blob": {"B": b"\x00\xff"}})

    item = client.get_item(TableName="users", Key={"pk": {"S": "u1"}}, ConsistentRead=True)["Item"]

    assert item == {"pk": {"S": "u1"}, "blob": {"B": b"\x00\xff"}}


def test_kms_client_creates_key_and_generates_data_key(dynamorm_local: Server) -> None:
    key_arn = dynamorm_local.create_kms_key("test key")
    kms = dynamorm_local.client("kms")

    data_key = kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256", EncryptionContext={"table": "t"})
    decrypted = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"table": "t"})

    assert key_arn.startswith("arn:aws:kms:us-east-1:")
    assert len(data_key["Plaintext"]) == 32
    assert decrypted["Plaintext"] == data_key["Plaintext"]
    assert decrypted["KeyId"] == key_arn


def test_stream_record_is_readable_through_dynamodbstreams(dynamorm_local: Server) -> None:
    client = dynamorm_local.client("dynamodb")
    stream_arn = create_simple_table(client, "events", stream_view_type="NEW_AND_OLD_IMAGES")[
        "LatestStreamArn"
    ]
    client.put_item(TableName="events", Item={"pk": {"S": "e1"}, "n": {"N": "1"}})
    streams = dynamorm_local.client("dynamodbstreams")

    shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]

    assert [record["eventName"] for record in records] == ["INSERT"]
    assert records[0]["dynamodb"]["Keys"] == {"pk": {"S": "e1"}}
    assert records[0]["dynamodb"]["NewImage"] == {"pk": {"S": "e1"}, "n": {"N": "1"}}
    assert records[0]["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_reset_drops_tables_streams_and_kms_keys(dynamorm_local_server: Server) -> None:
    if not isinstance(dynamorm_local_server, LocalDynamoDB):
        pytest.skip("only the embedded server resets KMS keys and streams")
    client = dynamorm_local_server.client("dynamodb")
    create_simple_table(client, "a", stream_view_type="KEYS_ONLY")
    create_simple_table(client, "b")
    dynamorm_local_server.create_kms_key()

    dynamorm_local_server.reset()

    assert table_names(dynamorm_local_server) == []
    assert dynamorm_local_server.client("kms").list_keys()["Keys"] == []
    assert dynamorm_local_server.client("dynamodbstreams").list_streams()["Streams"] == []


def test_no_request_log_lines_reach_stderr(
    dynamorm_local: Server, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="werkzeug"):
        client = dynamorm_local.client("dynamodb")
        create_simple_table(client, "quiet")
        client.get_item(TableName="quiet", Key={"pk": {"S": "x"}})
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.describe_table(TableName="missing")

    assert [record for record in caplog.records if record.name == "werkzeug"] == []
    assert "HTTP/1.1" not in capfd.readouterr().err


# --- table() wiring ----------------------------------------------------------------------------------------


@dataclass
class Expiring:
    pk: str = dynamorm_field(roles=["pk"])
    expires: int = dynamorm_field(roles=["ttl"], default=0)


@dataclass
class Sealed:
    pk: str = dynamorm_field(roles=["pk"])
    secret: str = dynamorm_field(encrypted=True, default="")


EXPIRING = ModelDefinition.from_dataclass(Expiring, table_name="local_expiring")
SEALED = ModelDefinition.from_dataclass(Sealed, table_name="local_sealed")


def test_table_ensures_the_table_with_ttl_and_stream(dynamorm_local: Server) -> None:
    table = dynamorm_local.table(EXPIRING, stream_view_type="NEW_IMAGE", table_name="custom")

    client = dynamorm_local.client("dynamodb")
    described = client.describe_table(TableName="custom")["Table"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    ttl = client.describe_time_to_live(TableName="custom")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")
    assert table.table_name == "custom"
    assert table.client.meta.endpoint_url == dynamorm_local.endpoint_url
    table.put(Expiring("a", expires=1))
    assert table.get("a").expires == 1


def test_table_without_create_does_not_ensure(dynamorm_local: Server) -> None:
    table = dynamorm_local.table(EXPIRING, create=False)

    assert table_names(dynamorm_local) == []
    with pytest.raises(TableNotFoundError):
        table.get("a")


def test_table_with_encrypted_attributes_gets_a_local_kms_key(dynamorm_local: Server) -> None:
    keys_before = kms_key_arns(dynamorm_local)

    table = dynamorm_local.table(SEALED)

    table.put(Sealed("a", secret="s"))
    assert table.get("a").secret == "s"
    (created,) = kms_key_arns(dynamorm_local) - keys_before
    assert created.startswith("arn:aws:kms:")


def test_table_encrypted_flag_creates_a_key_for_a_plain_model(dynamorm_local: Server) -> None:
    keys_before = kms_key_arns(dynamorm_local)

    dynamorm_local.table(EXPIRING, encrypted=True)

    assert len(kms_key_arns(dynamorm_local) - keys_before) == 1


def test_table_keeps_a_given_kms_key(dynamorm_local: Server) -> None:
    given = dynamorm_local.create_kms_key()
    keys_before = kms_key_arns(dynamorm_local)

    table = dynamorm_local.table(SEALED, kms_key_arn=given)

    table.put(Sealed("a", secret="s"))
    assert table.get("a").secret == "s"
    assert kms_key_arns(dynamorm_local) == keys_before


def test_async_table_follows_the_same_rules(dynamorm_local: Server) -> None:
    keys_before = kms_key_arns(dynamorm_local)

    async def scenario() -> str:
        async with dynamorm_local.async_table(SEALED) as table:
            await table.put(Sealed("a", secret="s"))
            return (await table.get("a")).secret

    assert asyncio.run(scenario()) == "s"
    assert len(kms_key_arns(dynamorm_local) - keys_before) == 1
    assert table_names(dynamorm_local) == ["local_sealed"]


# --- without moto ------------------------------------------------------------------------------------------


@pytest.fixture
def moto_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)
    monkeypatch.setitem(sys.modules, "moto.server", None)


@pytest.mark.usefixtures("moto_unavailable")
def test_start_without_moto_raises_import_error_naming_the_extra() -> None:
    with pytest.raises(ImportError, match=r"dynamorm-py\[local\]"):
        LocalDynamoDB().start()


@pytest.mark.usefixtures("moto_unavailable")
def test_fixture_server_without_moto_fails_with_import_error_instead_of_skipping() -> None:
    with pytest.raises(ImportError, match=r"dynamorm-py\[local\].*DYNAMODB_ENDPOINT"):
        start_server(server_from_environment({}))


def test_importing_local_and_the_plugin_does_not_import_moto() -> None:
    code = (
        "import sys, dynamorm_py.local, dynamorm_py.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- the fixtures and the remote endpoint ------------------------------------------------------------------


def test_fixtures_yield_the_started_session_server(
    dynamorm_local_server: Server, dynamorm_local: Server
) -> None:
    assert dynamorm_local is dynamorm_local_server
    assert answers_list_tables(dynamorm_local.endpoint_url)


def test_fixture_starts_empty_even_after_a_test_created_tables(dynamorm_local: Server) -> None:
    create_simple_table(dynamorm_local.client("dynamodb"), "leftover")
    dynamorm_local.reset()

    assert table_names(dynamorm_local) == []


def test_server_from_environment_points_at_dynamodb_endpoint() -> None:
    server = server_from_environment(
        {"DYNAMODB_ENDPOINT": "http://127.0.0.1:4566/", "AWS_REGION": "eu-central-1"}
    )

    assert isinstance(server, RemoteDynamoDB)
    assert server.endpoint_url == "http://127.0.0.1:4566"
    assert server.region == "eu-central-1"
    assert server.start() is server


def test_server_from_environment_defaults_to_the_embedded_loopback_server() -> None:
    server = server_from_environment({"DYNAMODB_ENDPOINT": "  "})

    assert isinstance(server, LocalDynamoDB)
    assert server.host == "127.0.0.1"
    assert not server.running


def test_remote_reset_deletes_every_table(dynamorm_local: Server) -> None:
    client = dynamorm_local.client("dynamodb")
    for index in range(3):
        create_simple_table(client, f"remote-{index}")
    remote = RemoteDynamoDB(dynamorm_local.endpoint_url)

    remote.reset()
    remote.stop()

    assert table_names(dynamorm_local) == []


def test_remote_create_kms_key_works_when_the_endpoint_serves_kms(dynamorm_local: Server) -> None:
    key_arn = RemoteDynamoDB(dynamorm_local.endpoint_url).create_kms_key()

    assert key_arn.startswith("arn:aws:kms:")


@pytest.fixture
def dynamodb_only_endpoint() -> Iterator[str]:
    """Answers every request the way a DynamoDB-only endpoint answers an unknown KMS operation."""
    body = b'{"__type":"com.amazonaws.dynamodb.v20120810#UnknownOperationException"}'
    with canned_server(400, "application/x-amz-json-1.0", body) as server:
        yield server.endpoint_url


def test_remote_create_kms_key_without_kms_raises_a_clear_error(dynamodb_only_endpoint: str) -> None:
    remote = RemoteDynamoDB(dynamodb_only_endpoint)

    with pytest.raises(EncryptionNotConfiguredError, match="does not serve KMS") as caught:
        remote.create_kms_key()

    assert caught.value.aws_code == "UnknownOperationException"


def test_remote_rejects_a_non_http_endpoint() -> None:
    with pytest.raises(ValueError, match="http"):
        RemoteDynamoDB("localhost:8000")


# --- dynamorm local ----------------------------------------------------------------------------------------


def test_cli_local_prints_the_endpoint_first_and_exits_zero_on_sigint() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamorm_py", "local", "--port", "0", "--kms-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        key_line = process.stdout.readline().strip()
        name, _, endpoint_url = first_line.partition("=")
        port = urllib.parse.urlsplit(endpoint_url).port

        assert name == "DYNAMODB_ENDPOINT"
        assert endpoint_url.startswith("http://127.0.0.1:")
        assert port is not None and port != 0
        assert key_line.startswith("DYNAMORM_KMS_KEY_ARN=arn:aws:kms:")
        assert answers_list_tables(endpoint_url)

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0
    assert stderr == ""


def test_dynamodb_from_environment_takes_the_region_from_the_environment() -> None:
    server = dynamodb_from_environment({"DYNAMODB_ENDPOINT": "http://127.0.0.1:9", "AWS_REGION": "eu-west-1"})
    assert isinstance(server, RemoteDynamoDB)
    assert (server.endpoint_url, server.region) == ("http://127.0.0.1:9", "eu-west-1")
    assert isinstance(dynamodb_from_environment({}), LocalDynamoDB)


# --- atomic requests ---------------------------------------------------------------------------------------


@dataclass
class Counter:
    id: str = dynamorm_field(roles=["pk"])
    value: int = 0
    version: int | None = dynamorm_field(roles=["version"], default=None)


COUNTERS = ModelDefinition.from_dataclass(Counter, table_name="counters")
THREADS = 8
INCREMENTS_PER_THREAD = 25
# Each increment loses at most THREADS - 1 races per winner; far more attempts than that means a bug.
MAX_ATTEMPTS_PER_THREAD = INCREMENTS_PER_THREAD * THREADS * 4


def increment(table: Table[Counter], times: int) -> None:
    """Read-then-conditional-write ``times`` increments, retrying lost races."""
    attempts = 0
    for _ in range(times):
        while True:
            attempts += 1
            if attempts > MAX_ATTEMPTS_PER_THREAD:
                raise RuntimeError(f"more than {MAX_ATTEMPTS_PER_THREAD} attempts")
            current = table.get("hits", consistent_read=True)
            try:
                table.update("hits", None, {"value": current.value + 1}, expected_version=current.version)
            except ConditionFailedError:
                continue
            break


@contextmanager
def cli_local_server() -> Iterator[RemoteDynamoDB]:
    """``dynamorm local --port 0`` in a child process, stopped with SIGINT at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamorm_py", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        _, _, endpoint_url = process.stdout.readline().strip().partition("=")
        yield RemoteDynamoDB(endpoint_url)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(params=["LocalDynamoDB", "dynamorm local"])
def any_local_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "LocalDynamoDB":
        yield request.getfixturevalue("dynamorm_local")
        return
    with cli_local_server() as server:
        yield server


@pytest.mark.timeout(240)
def test_concurrent_versioned_increments_are_never_lost(any_local_server: Server) -> None:
    table = any_local_server.table(COUNTERS)
    table.put(Counter("hits"))
    tables = [any_local_server.table(COUNTERS, create=False) for _ in range(THREADS)]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(increment, t, INCREMENTS_PER_THREAD) for t in tables]
        for future in futures:
            future.result()

    final = table.get("hits", consistent_read=True)
    assert (final.value, final.version) == (THREADS * INCREMENTS_PER_THREAD, THREADS * INCREMENTS_PER_THREAD)


# --- all-or-nothing updates --------------------------------------------------------------------------------


def test_a_failed_update_item_changes_nothing_as_in_dynamodb(dynamorm_local: Server) -> None:
    # moto applies an update action by action; DynamoDB validates the whole update before applying any.
    client = dynamorm_local.client("dynamodb")
    client.create_table(
        TableName="atomic",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    stored = {"id": {"S": "a"}, "n": {"N": "0"}, "tags": {"NULL": True}}
    client.put_item(TableName="atomic", Item=stored)
    update = {
        "UpdateExpression": "ADD n :one, tags :tag",  # ADD of a string is a type error, after the number
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":tag": {"S": "x"}},
    }

    for key in ({"id": {"S": "a"}}, {"id": {"S": "missing"}}):
        with pytest.raises(ClientError) as info:
            client.update_item(TableName="atomic", Key=key, **update)
        assert info.value.response["Error"]["Code"] == "ValidationException"

    assert client.get_item(TableName="atomic", Key={"id": {"S": "a"}}, ConsistentRead=True)["Item"] == stored
    assert "Item" not in client.get_item(
        TableName="atomic", Key={"id": {"S": "missing"}}, ConsistentRead=True
    )


# --- client request tokens on TransactWriteItems ----------------------------------------------------------

TOKEN = "retry-token-1"


def add_to_counter(client: Any, token: str, amount: int = 1, *, key: str = "c") -> dict[str, Any]:
    """A TransactWriteItems call adding ``amount`` to the counter ``key``, under ``token``."""
    response: dict[str, Any] = client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "tokens",
                    "Key": {"pk": {"S": key}},
                    "UpdateExpression": "ADD n :amount",
                    "ExpressionAttributeValues": {":amount": {"N": str(amount)}},
                }
            }
        ],
        ClientRequestToken=token,
    )
    return response


def counter(client: Any, key: str = "c") -> int | None:
    item = client.get_item(TableName="tokens", Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
    return None if item is None else int(item["n"]["N"])


def test_a_transaction_retried_with_its_token_after_a_lost_response_applies_once(
    any_local_server: Server,
) -> None:
    client = any_local_server.client("dynamodb")
    create_simple_table(client, "tokens")

    first = add_to_counter(client, TOKEN)  # as if this response never reached the caller
    retried = add_to_counter(client, TOKEN)

    assert retried["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in retried.items() if k != "ResponseMetadata"} == {
        k: v for k, v in first.items() if k != "ResponseMetadata"
    }
    assert retried["ResponseMetadata"]["RequestId"] != first["ResponseMetadata"]["RequestId"]
    assert counter(client) == 1


def test_the_same_token_with_a_different_request_is_an_idempotent_parameter_mismatch(
    dynamorm_local: Server,
) -> None:
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "tokens")
    add_to_counter(client, TOKEN)

    with pytest.raises(ClientError) as info:
        add_to_counter(client, TOKEN, amount=2)

    assert info.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert counter(client) == 1


def test_a_different_token_executes_the_transaction_again(dynamorm_local: Server) -> None:
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "tokens")

    for token in (TOKEN, TOKEN, "retry-token-2", "retry-token-2"):
        add_to_counter(client, token)

    assert counter(client) == 2


def test_a_token_whose_transaction_failed_can_be_retried_and_executes(dynamorm_local: Server) -> None:
    # DynamoDB remembers a token only for a successful transaction: a cancelled one changed nothing.
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "tokens")
    guarded = {
        "TransactItems": [
            {
                "ConditionCheck": {
                    "TableName": "tokens",
                    "Key": {"pk": {"S": "gate"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": "tokens",
                    "Key": {"pk": {"S": "c"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ],
        "ClientRequestToken": TOKEN,
    }
    with pytest.raises(ClientError) as info:
        client.transact_write_items(**guarded)
    assert info.value.response["Error"]["Code"] == "TransactionCanceledException"

    client.put_item(TableName="tokens", Item={"pk": {"S": "gate"}})
    client.transact_write_items(**guarded)
    client.transact_write_items(**guarded)

    assert counter(client) == 1


def test_a_token_is_forgotten_after_reset(dynamorm_local: Server) -> None:
    if not isinstance(dynamorm_local, LocalDynamoDB):
        pytest.skip("only the embedded server forgets its tokens on reset")
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "tokens")
    add_to_counter(client, TOKEN)
    add_to_counter(client, TOKEN)
    assert counter(client) == 1

    dynamorm_local.reset()
    create_simple_table(client, "tokens")
    add_to_counter(client, TOKEN, amount=5)  # a different request: a mismatch, had the token survived

    assert counter(client) == 5


def test_a_token_is_forgotten_ten_minutes_after_its_transaction(
    dynamorm_local: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dynamorm_py import local

    if not isinstance(dynamorm_local, LocalDynamoDB):
        pytest.skip("the clock of the embedded server only")
    now = [1000.0]
    monkeypatch.setattr(local._TRANSACTION_TOKENS, "clock", lambda: now[0])
    client = dynamorm_local.client("dynamodb")
    create_simple_table(client, "tokens")
    add_to_counter(client, TOKEN)

    now[0] += local._CLIENT_TOKEN_WINDOW_SECONDS - 1
    add_to_counter(client, TOKEN)
    assert counter(client) == 1

    now[0] += 1
    add_to_counter(client, TOKEN)
    assert counter(client) == 2
