"""Failures below AWS: real botocore clients against endpoints that refuse, cut, ignore or answer with HTML.

Each endpoint is a socket of this test on 127.0.0.1, opened and closed by its fixture; botocore's retries
and (except where a test says otherwise) the library's are off, so every failure is the first attempt's.
Every public path must raise a library error carrying the operation, the table and botocore's exception as
``__cause__``; a write whose request may have been applied raises ``OutcomeUnknownError`` instead.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.credentials import CredentialResolver
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from fault_proxy import CannedServer, canned_server

from dynamorm_py import (
    AwsError,
    BatchInterruptedError,
    CredentialsError,
    ModelDefinition,
    OutcomeUnknownError,
    RetryPolicy,
    Table,
    TransactPut,
    TransportError,
    create_table,
    delete_table,
    describe_table,
    dynamorm_field,
    ensure_table,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NO_PROFILE: dict[str, Any] = {"profile": (None, None, None, None)}
# One attempt, and a short read timeout for the endpoint that never answers.
CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=0.5)
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    seq: int = dynamorm_field(roles=["sk"])
    text: str = ""
    version: int | None = dynamorm_field(roles=["version"], default=None)


@dataclass
class Secret:
    id: str = dynamorm_field(roles=["pk"])
    value: str = dynamorm_field(encrypted=True, default="")


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")
SECRETS = ModelDefinition.from_dataclass(Secret, table_name="secrets")


def make_client(service: str, endpoint_url: str, *, credentials: bool = True) -> Any:
    session = botocore.session.Session(session_vars=NO_PROFILE)
    if not credentials:
        session.register_component("credential_provider", CredentialResolver(providers=[]))
        return session.create_client(
            service, region_name="us-east-1", endpoint_url=endpoint_url, config=CONFIG
        )
    return session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CONFIG,
    )


ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def notes_table(endpoint_url: str, retry_policy: RetryPolicy = ONE_ATTEMPT) -> Table[Note]:
    return Table(NOTES, client=make_client("dynamodb", endpoint_url), retry_policy=retry_policy)


# --- endpoints ---------------------------------------------------------------------------------------------


@pytest.fixture
def refusing_endpoint() -> str:
    """A loopback port nothing listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A listening socket that never accepts: the kernel completes the connection, nobody answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def cutting_endpoint() -> Iterator[str]:
    """Accepts each connection, reads the request, and closes the connection without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                with contextlib.suppress(OSError):
                    connection.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), which then fails
        listener.close()
        thread.join(10)


HTML_PAGE = b"<!DOCTYPE html>\n<html><body><h1>500</h1><p>upstream failed</p></body></html>"


@pytest.fixture
def html_server() -> Iterator[CannedServer]:
    """Answers every request the way a proxy in front of a failed backend does: a 500 HTML page."""
    with canned_server(500, "text/html", HTML_PAGE) as server:
        yield server


@pytest.fixture
def html_error_endpoint(html_server: CannedServer) -> str:
    return html_server.endpoint_url


# --- every path ---------------------------------------------------------------------------------------------

TableCall = Callable[[Table[Note]], object]

PATHS: dict[str, TableCall] = {
    "get": lambda t: t.get("ann", 1),
    "put": lambda t: t.put(Note("ann", 1, "hi")),
    "update": lambda t: t.update("ann", 1, {"text": "hi"}, expected_version=0),
    "delete": lambda t: t.delete("ann", 1),
    "query": lambda t: t.query("ann"),
    "query_all": lambda t: t.query_all("ann"),
    "iter_query": lambda t: list(t.iter_query("ann")),
    "scan": lambda t: t.scan(),
    "scan_all_segments": lambda t: t.scan_all_segments(total_segments=2),
    "count": lambda t: t.count("ann"),
    "transact_write": lambda t: t.transact_write([TransactPut(Note("ann", 1))]),
    "transact_get": lambda t: t.transact_get([("ann", 1)]),
}


@pytest.mark.parametrize("operation", list(PATHS))
def test_a_refused_connection_is_a_transport_error_that_was_not_applied(
    refusing_endpoint: str, operation: str
) -> None:
    with pytest.raises(TransportError) as caught:
        PATHS[operation](notes_table(refusing_endpoint))

    error = caught.value
    assert (error.code, error.operation, error.table) == ("ErrTransport", operation, "notes")
    assert error.may_have_applied is False
    assert isinstance(error.__cause__, EndpointConnectionError)
    assert refusing_endpoint in str(error)


@pytest.mark.parametrize("operation", ["get", "query", "count"])
def test_a_read_timeout_is_a_transport_error_that_may_have_applied(
    silent_endpoint: str, operation: str
) -> None:
    with pytest.raises(TransportError) as caught:
        PATHS[operation](notes_table(silent_endpoint))

    error = caught.value
    assert (error.code, error.operation, error.table) == ("ErrTransport", operation, "notes")
    assert error.may_have_applied is True
    assert isinstance(error.__cause__, ReadTimeoutError)


@pytest.mark.parametrize("operation", ["put", "update", "delete", "transact_write"])
def test_a_write_whose_request_timed_out_has_an_unknown_outcome(silent_endpoint: str, operation: str) -> None:
    with pytest.raises(OutcomeUnknownError) as caught:
        PATHS[operation](notes_table(silent_endpoint))

    error = caught.value
    assert (error.code, error.operation, error.table) == ("ErrOutcomeUnknown", operation, "notes")
    assert error.key == (None if operation == "transact_write" else ("ann", 1))
    cause = error.__cause__
    assert isinstance(cause, TransportError) and cause.may_have_applied
    assert error.attempt_errors == (cause,)
    assert isinstance(cause.__cause__, ReadTimeoutError)


@pytest.mark.parametrize("operation", ["put", "update", "transact_write"])
def test_a_connection_cut_before_the_answer_leaves_a_write_with_an_unknown_outcome(
    cutting_endpoint: str, operation: str
) -> None:
    with pytest.raises(OutcomeUnknownError) as caught:
        PATHS[operation](notes_table(cutting_endpoint))

    cause = caught.value.__cause__
    assert isinstance(cause, TransportError) and cause.may_have_applied is True
    assert isinstance(cause.__cause__, ConnectionClosedError)


def test_missing_credentials_are_a_credentials_error(refusing_endpoint: str) -> None:
    table = Table(NOTES, client=make_client("dynamodb", refusing_endpoint, credentials=False))

    with pytest.raises(CredentialsError) as caught:
        table.get("ann", 1)

    error = caught.value
    assert (error.code, error.operation, error.table) == ("ErrNoCredentials", "get", "notes")
    assert isinstance(error.__cause__, NoCredentialsError)


def test_a_batch_stopped_by_a_transport_error_still_reports_every_leftover(silent_endpoint: str) -> None:
    notes = [Note("ann", i) for i in range(30)]

    with pytest.raises(BatchInterruptedError) as caught:
        notes_table(silent_endpoint).batch_write(puts=notes, sleep=None)

    error = caught.value
    assert len(error.unprocessed_puts) == 30
    assert all(a is b for a, b in zip(error.unprocessed_puts, notes, strict=True))
    assert error.reason == "ErrTransport"
    cause = error.__cause__
    assert isinstance(cause, TransportError) and cause.may_have_applied
    assert (cause.operation, cause.table) == ("batch_write", "notes")
    assert isinstance(cause.__cause__, ReadTimeoutError)


def test_a_kms_call_that_cannot_connect_is_a_transport_error(refusing_endpoint: str) -> None:
    table = Table(
        SECRETS,
        client=make_client("dynamodb", refusing_endpoint),
        kms_key_arn=KEY_ARN,
        kms_client=make_client("kms", refusing_endpoint),
    )

    with pytest.raises(TransportError) as caught:
        table.put(Secret("s1", "hidden"))

    error = caught.value
    assert (error.operation, error.table, error.may_have_applied) == ("put", "secrets", False)
    assert isinstance(error.__cause__, EndpointConnectionError)


SCHEMA_HELPERS: dict[str, Callable[[Any], object]] = {
    "create_table": lambda client: create_table(NOTES, client=client),
    "ensure_table": lambda client: ensure_table(NOTES, client=client),
    "delete_table": lambda client: delete_table(NOTES, client=client),
    "describe_table": lambda client: describe_table(NOTES, client=client),
}


@pytest.mark.parametrize("helper", list(SCHEMA_HELPERS))
def test_schema_helpers_raise_transport_errors(refusing_endpoint: str, helper: str) -> None:
    with pytest.raises(TransportError) as caught:
        SCHEMA_HELPERS[helper](make_client("dynamodb", refusing_endpoint))

    assert (caught.value.operation, caught.value.table) == (helper, "notes")
    assert isinstance(caught.value.__cause__, EndpointConnectionError)


# --- an answer that is not an AWS error ---------------------------------------------------------------------


def test_a_500_html_page_becomes_a_short_message_with_the_status(html_error_endpoint: str) -> None:
    with pytest.raises(AwsError) as caught:
        notes_table(html_error_endpoint).get("ann", 1)

    error = caught.value
    assert (error.code, error.operation, error.table) == ("HTTP500", "get", "notes")
    assert error.message == (
        "HTTP 500 Internal Server Error without an AWS error in the response (response body not shown)"
    )
    assert "<" not in str(error) and "upstream failed" not in str(error)
    assert isinstance(error.__cause__, ClientError)


# --- the library's own retries ------------------------------------------------------------------------------

NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)


def test_the_library_retries_a_server_error_of_a_read_and_raises_the_last_one(
    html_server: CannedServer,
) -> None:
    table = notes_table(f"http://127.0.0.1:{html_server.server_address[1]}", NO_WAIT)

    with pytest.raises(AwsError) as caught:
        table.get("ann", 1)

    assert html_server.requests == 3
    assert caught.value.code == "HTTP500" and not isinstance(caught.value, OutcomeUnknownError)


def test_a_write_answered_only_by_server_errors_has_an_unknown_outcome(html_server: CannedServer) -> None:
    table = notes_table(f"http://127.0.0.1:{html_server.server_address[1]}", NO_WAIT)

    with pytest.raises(OutcomeUnknownError) as caught:
        table.put(Note("ann", 1, "hi"))

    assert html_server.requests == 3
    assert [e.code for e in caught.value.attempt_errors] == ["HTTP500"] * 3
    assert caught.value.key == ("ann", 1)
