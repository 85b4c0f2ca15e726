"""The embedded local DynamoDB: moto's server on a loopback port, serving DynamoDB, KMS and DynamoDB Streams.

``LocalDynamoDB`` runs moto's WSGI application on werkzeug's threaded server in a daemon thread of this
process (extra ``local``), handling one request at a time so that each request is atomic, as in DynamoDB;
``RemoteDynamoDB`` offers the same interface over an external endpoint (``DYNAMODB_ENDPOINT``, e.g. DynamoDB
Local or LocalStack). Both build their clients with fixed dummy credentials passed explicitly, ignoring the
process environment, so a test run can never reach a real account through them.

moto keeps its state per process: two ``LocalDynamoDB`` objects in one process share tables, stream data and
KMS keys (and the lock that serialises their requests), and ``reset()`` on either empties both.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import socket
import threading
import time
import urllib.request
import uuid
import zlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, get_args

from .errors import EncryptionNotConfiguredError

if TYPE_CHECKING:
    from botocore.session import Session as BotocoreSession
    from werkzeug.serving import BaseWSGIServer

    from ._drivers.async_table import AsyncTable
    from ._drivers.table import Table
    from .model import ModelDefinition

__all__ = [
    "ENDPOINT_VARIABLE",
    "LocalDynamoDB",
    "RemoteDynamoDB",
    "dynamodb_from_environment",
    "local_dynamodb",
]

T = TypeVar("T")

Service = Literal["dynamodb", "kms", "dynamodbstreams"]

DUMMY_ACCESS_KEY_ID = "dynamorm-local"
DUMMY_SECRET_ACCESS_KEY = "dynamorm-local"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
# The variable that points scripts, tests and the pytest fixtures at an external endpoint.
ENDPOINT_VARIABLE = "DYNAMODB_ENDPOINT"

# Overrides botocore's session variable for the profile so that AWS_PROFILE / AWS_DEFAULT_PROFILE naming a
# profile that does not exist cannot break (or steer) clients that carry their own credentials.
_NO_PROFILE: dict[str, Any] = {"profile": (None, None, None, None)}

_HTTP_TIMEOUT_SECONDS = 30.0
# The remote reset polls each deleted table until it is gone: DELAY seconds apart, at most ATTEMPTS times.
_DELETE_POLL_DELAY_SECONDS = 1
_DELETE_POLL_ATTEMPTS = 300


class _DropRequestLogs(logging.Filter):
    """Drops werkzeug's per-request INFO lines; warnings and errors still get through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_REQUEST_LOG_FILTER = _DropRequestLogs()


class _Endpoint(ABC):
    """What the local and the remote server share: clients, KMS keys, tables and the context protocol."""

    def __init__(self, *, region: str) -> None:
        self.region = region
        self._session: BotocoreSession | None = None
        self._session_lock = threading.Lock()

    @property
    @abstractmethod
    def endpoint_url(self) -> str:
        """The HTTP endpoint every client of this server talks to."""

    @abstractmethod
    def start(self) -> Self:
        """Make the endpoint usable; returns ``self``."""

    @abstractmethod
    def stop(self) -> None:
        """Release what ``start()`` acquired; calling it again does nothing."""

    @abstractmethod
    def reset(self) -> None:
        """Drop every table."""

    def client(self, service: Service = "dynamodb") -> Any:
        """A botocore client of ``service`` bound to this endpoint, region and the dummy credentials."""
        _check_service(service)
        kwargs = self._client_kwargs()
        with self._session_lock:
            if self._session is None:
                import botocore.session

                self._session = botocore.session.Session(session_vars=_NO_PROFILE)
            return self._session.create_client(service, **kwargs)

    def async_client(self, service: Service = "dynamodb") -> AbstractAsyncContextManager[Any]:
        """An aiobotocore client of ``service`` (enter it with ``async with``); needs the ``async`` extra."""
        _check_service(service)
        try:
            aio_session = importlib.import_module("aiobotocore.session")
        except ImportError as exc:
            raise ImportError(
                "async_client needs aiobotocore: pip install 'dynamorm-py[async]'", name="aiobotocore"
            ) from exc
        session = aio_session.AioSession(session_vars=_NO_PROFILE)
        client_context: AbstractAsyncContextManager[Any] = session.create_client(
            service, **self._client_kwargs()
        )
        return client_context

    def create_kms_key(self, description: str = "dynamorm-local") -> str:
        """Create a symmetric KMS key and return its ARN."""
        response = self.client("kms").create_key(Description=description)
        return str(response["KeyMetadata"]["Arn"])

    def table(
        self,
        model: ModelDefinition[T],
        *,
        create: bool = True,
        encrypted: bool = False,
        stream_view_type: str | None = None,
        **table_kwargs: Any,
    ) -> Table[T]:
        """A ``Table`` bound to this endpoint's clients.

        With ``create`` the table is ensured first (TTL enabled when the model has a ttl role, the stream
        enabled when ``stream_view_type`` is given). A KMS key is created when ``encrypted`` is true or the
        model has encrypted fields, unless ``kms_key_arn`` is passed. Other keyword arguments go to ``Table``.
        """
        from ._drivers.table import Table

        client = self.client("dynamodb")
        needs_kms = self._prepare_table(model, create, encrypted, stream_view_type, table_kwargs)
        if needs_kms and table_kwargs.get("kms_client") is None:
            table_kwargs["kms_client"] = self.client("kms")
        return Table(model, client=client, **table_kwargs)

    @asynccontextmanager
    async def async_table(
        self,
        model: ModelDefinition[T],
        *,
        create: bool = True,
        encrypted: bool = False,
        stream_view_type: str | None = None,
        **table_kwargs: Any,
    ) -> AsyncIterator[AsyncTable[T]]:
        """``async with server.async_table(Model) as table:`` an ``AsyncTable`` on this endpoint's aiobotocore
        clients, closed on exit; ``table()``'s rules for ``create``, ``encrypted`` and keys. Needs the
        ``async`` extra."""
        from ._drivers.async_table import AsyncTable

        needs_kms = self._prepare_table(model, create, encrypted, stream_view_type, table_kwargs)
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(self.async_client("dynamodb"))
            if needs_kms and table_kwargs.get("kms_client") is None:
                table_kwargs["kms_client"] = await stack.enter_async_context(self.async_client("kms"))
            yield AsyncTable(model, client=client, **table_kwargs)

    def _prepare_table(
        self,
        model: ModelDefinition[Any],
        create: bool,
        encrypted: bool,
        stream_view_type: str | None,
        table_kwargs: dict[str, Any],
    ) -> bool:
        """Ensure the table when asked and set ``kms_key_arn`` when one is needed; whether KMS is needed."""
        from .schema import ensure_table

        if create:
            ensure_table(
                model,
                client=self.client("dynamodb"),
                table_name=table_kwargs.get("table_name"),
                stream_view_type=stream_view_type,
                enable_ttl=model.ttl is not None,
            )
        needs_kms = encrypted or any(attribute.encrypted for attribute in model.attributes.values())
        if needs_kms or table_kwargs.get("kms_key_arn") is not None:
            if table_kwargs.get("kms_key_arn") is None:
                table_kwargs["kms_key_arn"] = self.create_kms_key()
            return True
        return False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_ACCESS_KEY_ID,
            "aws_secret_access_key": DUMMY_SECRET_ACCESS_KEY,
        }


class LocalDynamoDB(_Endpoint):
    """moto's server in a daemon thread of this process; binds to loopback unless ``host`` says otherwise."""

    def __init__(self, *, host: str = DEFAULT_HOST, port: int = 0, region: str = DEFAULT_REGION) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        super().__init__(region=region)
        self.host = host
        self.port = port
        self._requested_port = port
        self._server: _MotoServer | None = None
        self._url: str | None = None
        self._lifecycle_lock = threading.Lock()

    @property
    def endpoint_url(self) -> str:
        """``http://<host>:<port>`` with the port actually bound; only while the server runs."""
        if self._url is None:
            raise RuntimeError("LocalDynamoDB is not running; call start() first")
        return self._url

    @property
    def running(self) -> bool:
        """Whether the server is started and accepting requests."""
        return self._server is not None

    def start(self) -> Self:
        """Start listening (a no-op when already running); returns once requests are accepted."""
        with self._lifecycle_lock:
            if self._server is not None:
                return self
            app, handler = _import_moto_app()
            _silence_request_logs()
            if self._requested_port:
                _ensure_port_free(self.host, self._requested_port)
            server = _MotoServer(self.host, self._requested_port, app, handler)
            port = server.port
            self._server = server
            self.port = port
            self._url = _http_url(self.host, port)
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread; calling it again (or before start) does nothing."""
        with self._lifecycle_lock:
            server, self._server, self._url = self._server, None, None
            if server is not None:
                server.stop()

    def reset(self) -> None:
        """Drop every table, stream and KMS key of the process-wide moto state."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        # The server is on this machine: never route the request through an HTTP proxy from the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=_HTTP_TIMEOUT_SECONDS) as response:
            response.read()

    def __repr__(self) -> str:
        state = self._url if self._url is not None else "stopped"
        return f"LocalDynamoDB({state}, region={self.region!r})"


class RemoteDynamoDB(_Endpoint):
    """An external DynamoDB-compatible endpoint behind the ``LocalDynamoDB`` interface.

    ``start``/``stop`` do nothing, ``reset()`` deletes every table, and ``create_kms_key()`` works only when
    the endpoint also serves KMS (LocalStack does, DynamoDB Local does not).
    """

    def __init__(self, endpoint_url: str, *, region: str = DEFAULT_REGION) -> None:
        if not endpoint_url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint_url must be an http(s) URL, got {endpoint_url!r}")
        super().__init__(region=region)
        self._url = endpoint_url.rstrip("/")

    @property
    def endpoint_url(self) -> str:
        return self._url

    def start(self) -> Self:
        return self

    def stop(self) -> None:
        return None

    def reset(self) -> None:
        """Delete every table and wait until each is gone."""
        client = self.client("dynamodb")
        names = [
            name for page in client.get_paginator("list_tables").paginate() for name in page["TableNames"]
        ]
        for name in names:
            _delete_table(client, name)
        waiter = client.get_waiter("table_not_exists")
        for name in names:
            waiter.wait(
                TableName=name,
                WaiterConfig={"Delay": _DELETE_POLL_DELAY_SECONDS, "MaxAttempts": _DELETE_POLL_ATTEMPTS},
            )

    def create_kms_key(self, description: str = "dynamorm-local") -> str:
        """Create a KMS key on the endpoint; ``EncryptionNotConfiguredError`` when it does not serve KMS."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return super().create_kms_key(description)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "UnknownError")
            raise _kms_unavailable(self._url, code, aws_code=code) from exc
        except BotoCoreError as exc:
            raise _kms_unavailable(self._url, type(exc).__name__, aws_code=None) from exc

    def __repr__(self) -> str:
        return f"RemoteDynamoDB({self._url}, region={self.region!r})"


@contextmanager
def local_dynamodb(
    *, host: str = DEFAULT_HOST, port: int = 0, region: str = DEFAULT_REGION
) -> Iterator[LocalDynamoDB]:
    """A started ``LocalDynamoDB`` for the duration of the ``with`` block."""
    with LocalDynamoDB(host=host, port=port, region=region) as server:
        yield server


def dynamodb_from_environment(
    environ: Mapping[str, str] | None = None, *, region: str | None = None
) -> LocalDynamoDB | RemoteDynamoDB:
    """The endpoint a script or test should use, not yet started.

    ``RemoteDynamoDB`` at ``DYNAMODB_ENDPOINT`` when that variable is set (DynamoDB Local, LocalStack, or the
    port ``dynamorm local`` printed), otherwise a ``LocalDynamoDB`` on a free loopback port, so the same code
    runs in a shell that exported the variable and in one that did not. ``environ`` defaults to
    ``os.environ``; the region to ``AWS_REGION``/``AWS_DEFAULT_REGION``, then us-east-1.
    """
    env = os.environ if environ is None else environ
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    endpoint = env.get(ENDPOINT_VARIABLE, "").strip()
    if endpoint:
        return RemoteDynamoDB(endpoint, region=region)
    return LocalDynamoDB(region=region)


def _check_service(service: str) -> None:
    if service not in get_args(Service):
        raise ValueError(f"unsupported service {service!r}; expected one of {get_args(Service)}")


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# moto keeps one state per process, shared by every server in it: one lock serialises all their requests.
_REQUEST_LOCK = threading.Lock()


def _import_moto_app() -> tuple[WsgiApp, Any]:
    """moto's WSGI application (every service, dispatched by request) and its request handler, if any."""
    try:
        import moto.server  # noqa: F401  moto's server extra, checked through its public module
        from moto.moto_server import werkzeug_app
    except ImportError as exc:
        raise ImportError("LocalDynamoDB needs moto: pip install 'dynamorm-py[local]'", name="moto") from exc
    _make_update_item_atomic()
    app: WsgiApp = werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)
    # moto's handler keeps header spellings for S3; older moto versions use werkzeug's own.
    return app, getattr(werkzeug_app, "MotoRequestHandler", None)


def _make_update_item_atomic() -> None:
    """Make moto's UpdateItem all-or-nothing, as DynamoDB's is.

    moto applies an update expression action by action, so one that fails part-way (ADD to a NULL, a
    type mismatch) keeps the actions before it, and an update of a missing item that fails leaves the
    key-only item it created first. DynamoDB validates the whole update before applying any of it: a
    failed UpdateItem changes nothing. Restoring the item as it was keeps that promise here, so that code
    which retries a failed update (the update builder's ADD to a NULL set does) is tested as it runs on AWS.
    """
    import copy

    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.update_item
    if getattr(original, "_dynamorm_atomic", False):
        return

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        hash_key, range_key = self.get_keys_value(table, key)
        before = copy.deepcopy(table.get_item(hash_key, range_key))
        try:
            return original(self, table_name, key, *args, **kwargs)
        except BaseException:
            partition = table.items[hash_key] if range_key is not None else table.items
            slot = range_key if range_key is not None else hash_key
            if before is None:
                partition.pop(slot, None)
            else:
                partition[slot] = before
            raise

    update_item._dynamorm_atomic = True  # type: ignore[attr-defined]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


class _OneRequestAtATime:
    """WSGI middleware running moto for one request at a time, so every request is atomic as in DynamoDB.

    moto checks a write's condition and then writes without a lock, so two concurrent conditional writes
    could both pass, and a cancelled transaction restores a copy of the table, undoing concurrent writes.
    The request body is read before the lock is taken and the response is sent after it is released, so a
    slow client holds up no one. moto answers these services in-process, never by calling back over HTTP,
    so a request never waits for another one while holding the lock.

    Under the same lock it honours ``ClientRequestToken`` on TransactWriteItems, which moto ignores (see
    ``_TransactionTokens``), and forgets the tokens when moto's state is reset.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = _buffer_body(environ)
        transaction = _token_request(environ, body)
        with _REQUEST_LOCK:
            if environ.get("PATH_INFO") == _MOTO_RESET_PATH:
                _TRANSACTION_TOKENS.clear()
            if transaction is None:
                return self._run(environ, start_response)
            token, request = transaction
            replay = _TRANSACTION_TOKENS.lookup(token, request)
            if replay is not None:
                start_response(replay.status, _fresh_request_id(replay.headers))
                return [replay.body]
            captured: list[Any] = []

            def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                captured[:] = [status, headers]
                return start_response(status, headers, *exc_info)

            chunks = self._run(environ, capture)
            if captured and str(captured[0]).startswith("200"):
                answer = _Answer(captured[0], list(captured[1]), b"".join(chunks))
                _TRANSACTION_TOKENS.remember(token, request, answer)
            return chunks

    def _run(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        result = self._app(environ, start_response)
        try:
            return list(result)  # produced under the lock: a lazy body cannot read state later
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()


_MOTO_RESET_PATH = "/moto-api/reset"
_TRANSACT_WRITE_TARGET = "DynamoDB_20120810.TransactWriteItems"
# DynamoDB keeps a client request token for 10 minutes after the request that used it completed.
_CLIENT_TOKEN_WINDOW_SECONDS = 600.0
_MISMATCH_TYPE = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
_MISMATCH_MESSAGE = (
    "The request uses the same client request token as a previous request, but with different parameters"
)


class _Answer:
    """A response as the WSGI application produced it, replayable byte for byte."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _TransactionTokens:
    """The client request tokens of the successful TransactWriteItems calls of the last 10 minutes.

    DynamoDB documents that a repeated call with the same token within 10 minutes of the first one
    completing "returns successfully without making any changes" when the first call succeeded, and fails
    with IdempotentParameterMismatchException when the other parameters differ. Only a successful call is
    remembered: a call that failed (a cancelled transaction, a validation error) changed nothing, so the
    same token may be used again and the retry executes, which is how a client retries a transaction
    cancelled by a conflict. The whole request body is compared, as any parameter change is a mismatch.

    The replay is the first response (DynamoDB would report read instead of write capacity when
    ReturnConsumedCapacity asks for it; moto reports none). ``clock`` is injectable for tests; the entries
    are kept in completion order, so expired ones are dropped from the front.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.window_seconds = _CLIENT_TOKEN_WINDOW_SECONDS
        self._entries: OrderedDict[str, tuple[float, Any, _Answer]] = OrderedDict()

    def lookup(self, token: str, request: Any) -> _Answer | None:
        """The answer to send instead of running the request, or None to run it."""
        self._expire()
        entry = self._entries.get(token)
        if entry is None:
            return None
        _, first_request, answer = entry
        if first_request == request:
            return answer
        return _mismatch_answer()

    def remember(self, token: str, request: Any, answer: _Answer) -> None:
        self._entries.pop(token, None)
        self._entries[token] = (self.clock(), request, answer)

    def clear(self) -> None:
        self._entries.clear()

    def _expire(self) -> None:
        horizon = self.clock() - self.window_seconds
        while self._entries:
            completed_at = next(iter(self._entries.values()))[0]
            if completed_at > horizon:
                return
            self._entries.popitem(last=False)


# Process-wide like moto's state (and reset with it); read and written only under _REQUEST_LOCK.
_TRANSACTION_TOKENS = _TransactionTokens()


def _token_request(environ: dict[str, Any], body: bytes | None) -> tuple[str, Any] | None:
    """(token, parsed request) for a TransactWriteItems call carrying a token, else None (run as is)."""
    if body is None or environ.get("HTTP_X_AMZ_TARGET") != _TRANSACT_WRITE_TARGET:
        return None
    try:
        request = json.loads(body)
    except ValueError:
        return None  # moto answers the malformed body
    token = request.get("ClientRequestToken") if isinstance(request, dict) else None
    if not isinstance(token, str):
        return None
    return token, request


def _mismatch_answer() -> _Answer:
    body = json.dumps({"__type": _MISMATCH_TYPE, "message": _MISMATCH_MESSAGE}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", ""),
        ("x-amz-crc32", str(zlib.crc32(body))),
        ("Content-Length", str(len(body))),
    ]
    return _Answer("400 Bad Request", headers, body)


def _fresh_request_id(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Every DynamoDB response has its own request id, a replayed one included.
    request_id = uuid.uuid4().hex.upper()
    return [(name, request_id if name.lower() == "x-amzn-requestid" else value) for name, value in headers]


def _buffer_body(environ: dict[str, Any]) -> bytes | None:
    """Read the whole body now and hand the application a copy; None when the length is unknown."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return None
    length = str(environ.get("CONTENT_LENGTH") or "").strip()
    body: bytes
    if length.isdigit():
        body = stream.read(int(length)) if int(length) else b""
    elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream at the last chunk
        body = stream.read()
    else:
        return None
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class _MotoServer:
    """werkzeug's threaded server with moto's application, serving from a daemon thread once created."""

    def __init__(self, host: str, port: int, app: WsgiApp, handler: Any) -> None:
        from werkzeug.serving import make_server

        try:
            server: BaseWSGIServer = make_server(
                host, port, _OneRequestAtATime(app), threaded=True, request_handler=handler
            )
        except SystemExit:  # werkzeug exits instead of raising when it cannot listen
            raise OSError(f"cannot listen on {host}:{port}") from None
        self._server = server
        self.port: int = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="dynamorm-local", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()  # werkzeug's serve_forever then closes the listening socket
        self._thread.join()


def _silence_request_logs() -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if _REQUEST_LOG_FILTER not in werkzeug_logger.filters:
        werkzeug_logger.addFilter(_REQUEST_LOG_FILTER)
    moto_logger = logging.getLogger("moto")
    if moto_logger.level == logging.NOTSET:
        moto_logger.setLevel(logging.WARNING)


def _ensure_port_free(host: str, port: int) -> None:
    # werkzeug reports a failed bind by printing to stderr and exiting; probe the address first, with the
    # same SO_REUSEADDR setting werkzeug uses, to fail with a clear error and nothing printed.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _delete_table(client: Any, name: str) -> None:
    from botocore.exceptions import ClientError

    try:
        client.delete_table(TableName=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return
        if code != "ResourceInUseException":
            raise
        # Still being created or updated: wait until it is ACTIVE, then delete it.
        client.get_waiter("table_exists").wait(
            TableName=name,
            WaiterConfig={"Delay": _DELETE_POLL_DELAY_SECONDS, "MaxAttempts": _DELETE_POLL_ATTEMPTS},
        )
        client.delete_table(TableName=name)


def _kms_unavailable(endpoint_url: str, reason: str, *, aws_code: str | None) -> EncryptionNotConfiguredError:
    return EncryptionNotConfiguredError(
        f"the endpoint {endpoint_url} does not serve KMS ({reason}); encrypted models need the embedded "
        "server (unset DYNAMODB_ENDPOINT) or an endpoint that also serves KMS",
        operation="create_kms_key",
        aws_code=aws_code,
    )
