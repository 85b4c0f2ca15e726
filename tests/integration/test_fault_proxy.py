"""The fault-injecting proxy itself, with plain botocore clients (no retries, short timeouts) through it."""

from __future__ import annotations

import contextlib
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from fault_proxy import FaultProxy, ProxyEvent, refusing_endpoint

from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

Server = LocalDynamoDB | RemoteDynamoDB
READ_TIMEOUT_SECONDS = 1.0
# Far past the client's read timeout; stopping the proxy cuts it short, so no test waits for it.
DELAY_SECONDS = 120.0
ITEM = {"pk": {"S": "k"}, "n": {"N": "1"}}


def single_attempt_client(endpoint_url: str, *, attempts: int = 1) -> Any:
    """A botocore DynamoDB client that tries once (by default) and gives up quickly: each fault surfaces."""
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return session.create_client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="dynamorm-local",
        aws_secret_access_key="dynamorm-local",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=READ_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        ),
    )


@pytest.fixture
def upstream(dynamorm_local: Server) -> Any:
    """A direct client of the server, with the table ``faults`` created."""
    if not dynamorm_local.endpoint_url.startswith("http://127.0.0.1:"):
        pytest.skip("the fault proxy forwards to 127.0.0.1 only")
    client = dynamorm_local.client("dynamodb")
    client.create_table(
        TableName="faults",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def stored(client: Any) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.get_item(
        TableName="faults", Key={"pk": {"S": "k"}}, ConsistentRead=True
    ).get("Item")
    return item


def put(client: Any) -> None:
    client.put_item(TableName="faults", Item=ITEM)


def test_with_no_faults_every_request_passes_through(dynamorm_local: Server, upstream: Any) -> None:
    with FaultProxy(dynamorm_local.endpoint_url, seed=1) as proxy:
        client = single_attempt_client(proxy.endpoint_url)
        put(client)
        assert stored(client) == ITEM
        assert client.list_tables()["TableNames"] == ["faults"]

    assert stored(upstream) == ITEM
    assert proxy.counts == {"pass": 3}
    assert [(e.fault, e.target, e.upstream_status) for e in proxy.events] == [
        ("pass", "DynamoDB_20120810.PutItem", 200),
        ("pass", "DynamoDB_20120810.GetItem", 200),
        ("pass", "DynamoDB_20120810.ListTables", 200),
    ]


def test_a_dropped_request_closes_the_connection_and_never_reaches_the_server(
    dynamorm_local: Server, upstream: Any
) -> None:
    with (
        FaultProxy(dynamorm_local.endpoint_url, drop_request=1.0) as proxy,
        pytest.raises(ConnectionClosedError),
    ):
        put(single_attempt_client(proxy.endpoint_url))

    assert stored(upstream) is None
    assert proxy.events == [ProxyEvent(0, "drop_request", "POST", "DynamoDB_20120810.PutItem", None)]


def test_a_lost_response_closes_the_connection_after_the_server_applied_the_write(
    dynamorm_local: Server, upstream: Any
) -> None:
    with (
        FaultProxy(dynamorm_local.endpoint_url, lose_response=1.0) as proxy,
        pytest.raises(ConnectionClosedError),
    ):
        put(single_attempt_client(proxy.endpoint_url))

    assert stored(upstream) == ITEM
    (event,) = proxy.events
    assert (event.fault, event.upstream_answered, event.upstream_status) == ("lose_response", True, 200)


def test_a_delayed_response_times_the_client_out_after_the_server_applied_the_write(
    dynamorm_local: Server, upstream: Any
) -> None:
    with (
        FaultProxy(dynamorm_local.endpoint_url, delay_response=1.0, delay_seconds=DELAY_SECONDS) as proxy,
        pytest.raises(ReadTimeoutError),
    ):
        put(single_attempt_client(proxy.endpoint_url))

    assert stored(upstream) == ITEM
    (event,) = proxy.events
    assert (event.fault, event.upstream_status) == ("delay_response", 200)


def test_a_server_error_answers_an_html_5xx_without_forwarding(dynamorm_local: Server, upstream: Any) -> None:
    with (
        FaultProxy(dynamorm_local.endpoint_url, server_error=1.0, error_status=503) as proxy,
        pytest.raises(ClientError) as info,
    ):
        put(single_attempt_client(proxy.endpoint_url))

    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/html"
    assert stored(upstream) is None
    assert proxy.events == [ProxyEvent(0, "server_error", "POST", "DynamoDB_20120810.PutItem", None)]


def test_a_server_error_is_a_500_by_default(dynamorm_local: Server, upstream: Any) -> None:
    with (
        FaultProxy(dynamorm_local.endpoint_url, server_error=1.0) as proxy,
        pytest.raises(ClientError) as info,
    ):
        single_attempt_client(proxy.endpoint_url).list_tables()

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_a_refusing_endpoint_fails_to_connect() -> None:
    with refusing_endpoint() as endpoint_url, pytest.raises(EndpointConnectionError):
        single_attempt_client(endpoint_url).list_tables()


def faults_drawn(endpoint_url: str, seed: int, requests: int) -> list[str]:
    with FaultProxy(endpoint_url, seed=seed, drop_request=0.3, server_error=0.3) as proxy:
        client = single_attempt_client(proxy.endpoint_url)
        for _ in range(requests):
            with contextlib.suppress(ClientError, ConnectionClosedError):
                client.list_tables()
    return [event.fault for event in proxy.events]


def test_the_same_seed_draws_the_same_faults(dynamorm_local: Server, upstream: Any) -> None:
    first = faults_drawn(dynamorm_local.endpoint_url, seed=7, requests=12)
    again = faults_drawn(dynamorm_local.endpoint_url, seed=7, requests=12)

    assert first == again
    assert {"pass", "drop_request", "server_error"} <= set(first)


def test_max_faults_lets_every_later_request_through(dynamorm_local: Server, upstream: Any) -> None:
    with FaultProxy(dynamorm_local.endpoint_url, drop_request=1.0, max_faults=2) as proxy:
        client = single_attempt_client(proxy.endpoint_url)
        for _ in range(2):
            with pytest.raises(ConnectionClosedError):
                put(client)
        put(client)

    assert stored(upstream) == ITEM
    assert [event.fault for event in proxy.events] == ["drop_request", "drop_request", "pass"]


def test_configure_changes_the_rates_for_later_requests(dynamorm_local: Server, upstream: Any) -> None:
    with FaultProxy(dynamorm_local.endpoint_url) as proxy:
        client = single_attempt_client(proxy.endpoint_url)
        put(client)
        proxy.configure(server_error=1.0)
        with pytest.raises(ClientError):
            put(client)

    assert [event.fault for event in proxy.events] == ["pass", "server_error"]


@pytest.mark.parametrize(
    ("upstream_url", "options"),
    [
        ("http://10.0.0.1:8000", {}),
        ("http://localhost:8000", {}),
        ("https://127.0.0.1:8000", {}),
        ("http://127.0.0.1:8000", {"drop_request": 0.6, "server_error": 0.6}),
        ("http://127.0.0.1:8000", {"lose_response": 1.5}),
        ("http://127.0.0.1:8000", {"error_status": 404}),
    ],
    ids=["not-loopback", "a-name", "https", "rates-over-one", "rate-over-one", "not-5xx"],
)
def test_the_proxy_refuses_a_non_loopback_upstream_and_invalid_rates(
    upstream_url: str, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        FaultProxy(upstream_url, **options)


# --- the embedded server's client request tokens, through a lost response ---------------------------------


def add_one(client: Any, **token: str) -> None:
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "faults",
                    "Key": {"pk": {"S": "k"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        ],
        **token,
    )


def test_a_transaction_whose_response_was_lost_is_retried_with_its_token_and_applies_once(
    dynamorm_local: Server, upstream: Any
) -> None:
    with FaultProxy(dynamorm_local.endpoint_url, lose_response=1.0, max_faults=1) as proxy:
        client = single_attempt_client(proxy.endpoint_url)
        with pytest.raises(ConnectionClosedError):
            add_one(client, ClientRequestToken="lost-response")
        add_one(client, ClientRequestToken="lost-response")

    assert [event.fault for event in proxy.events] == ["lose_response", "pass"]
    assert stored(upstream) == ITEM


def test_botocore_retries_a_lost_transaction_response_under_the_token_it_generated(
    dynamorm_local: Server, upstream: Any
) -> None:
    # botocore fills ClientRequestToken once per call, so its own retry of a lost response reuses it.
    with FaultProxy(dynamorm_local.endpoint_url, lose_response=1.0, max_faults=1) as proxy:
        add_one(single_attempt_client(proxy.endpoint_url, attempts=2))

    assert [event.fault for event in proxy.events] == ["lose_response", "pass"]
    assert stored(upstream) == ITEM
