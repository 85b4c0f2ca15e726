"""Runtime helpers for AWS Lambda and per-call metrics.

* ``is_lambda_environment`` / ``create_lambda_boto3_config``: detect Lambda; short timeouts and adaptive
  retries suited to it.
* ``get_lambda_boto3_client`` (and the DynamoDB/KMS shortcuts): one client per service, region, session,
  config and metrics callback, created once per process and shared by every invocation (thread-safe).
* ``instrument_boto3_client``: a proxy reporting every call as an :class:`AwsCallMetric` to a callback and
  to the ``dynamorm_py.metrics`` logger, and, when ``opentelemetry-api`` is installed (extra ``otel``), as
  one client span following OpenTelemetry's DynamoDB conventions. Metrics carry operation names, table names,
  durations, capacity, retry counts and error codes: never keys, item values or error messages.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

from .errors import ERR_INVALID_VALUE, ValidationError

if TYPE_CHECKING:
    from botocore.config import Config

__all__ = [
    "AwsCallMetric",
    "_reset_lambda_clients_for_tests",
    "create_lambda_boto3_config",
    "get_lambda_boto3_client",
    "get_lambda_dynamodb_client",
    "get_lambda_kms_client",
    "instrument_boto3_client",
    "is_lambda_environment",
]

METRICS_LOGGER = logging.getLogger("dynamorm_py.metrics")


@dataclass(frozen=True)
class AwsCallMetric:
    """One AWS call: ``operation`` is the client method (``put_item``), ``seconds`` its wall time and ``ok``
    whether it returned.

    The keyword-only fields are filled from what the call shows: ``error_code`` (the AWS error code, or the
    exception's class name), ``retries`` (attempts botocore retried inside the call),
    ``consumed_capacity`` (capacity units, when the request asked for ``ReturnConsumedCapacity``) and
    ``table_names`` (from the request).
    """

    service: str
    operation: str
    seconds: float
    ok: bool
    _: KW_ONLY
    error_code: str | None = None
    retries: int = 0
    consumed_capacity: float | None = None
    table_names: tuple[str, ...] = ()


# --- Lambda ------------------------------------------------------------------------------------------------


def is_lambda_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process runs in AWS Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set, or an ``AWS_Lambda``
    execution environment)."""
    return bool(environ.get("AWS_LAMBDA_FUNCTION_NAME")) or "AWS_Lambda" in environ.get(
        "AWS_EXECUTION_ENV", ""
    )


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValidationError(
            f"{name} must be a finite number of seconds > 0", code=ERR_INVALID_VALUE, field=name
        )
    return float(value)


def create_lambda_boto3_config(
    *, connect_timeout: float = 1.0, read_timeout: float = 3.0, max_attempts: int = 3
) -> Config:
    """A botocore ``Config`` for Lambda: short timeouts (a stuck connection should not eat the invocation)
    and ``adaptive`` retries, which also slow down under throttling."""
    from botocore.config import Config

    connect = _positive("connect_timeout", connect_timeout)
    read = _positive("read_timeout", read_timeout)
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 0:
        raise ValidationError(
            "max_attempts must be an int >= 0", code=ERR_INVALID_VALUE, field="max_attempts"
        )
    return Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"max_attempts": max_attempts, "mode": "adaptive"},
    )


# (service, region, id(session), id(config), id(metrics)) -> (client, session, config, metrics). The keyed
# objects are kept alive with the client, so their ids cannot be reused by other objects.
_CLIENTS: dict[tuple[str, str | None, int, int, int], tuple[Any, Any, Any, Any]] = {}
_CLIENTS_LOCK = threading.Lock()


def get_lambda_boto3_client(
    service: str,
    *,
    region: str | None = None,
    config: Any = None,
    session: Any = None,
    metrics: Callable[[AwsCallMetric], None] | None = None,
) -> Any:
    """A boto3 client of ``service`` created once per process and reused (Lambda keeps the process warm
    between invocations, so connections and credentials are reused too).

    One client per ``(service, region, session, config, metrics)``: a different config, session or
    callback gets its own client. ``config`` defaults to :func:`create_lambda_boto3_config`, ``session``
    to boto3's default session; with ``metrics`` the client is wrapped by :func:`instrument_boto3_client`.
    """
    if not isinstance(service, str) or not service:
        raise ValidationError("service must be a non-empty str", code=ERR_INVALID_VALUE, field="service")
    if region is not None and not isinstance(region, str):
        raise ValidationError("region must be a str or None", code=ERR_INVALID_VALUE, field="region")
    if metrics is not None and not callable(metrics):
        raise ValidationError("metrics must be a callable or None", code=ERR_INVALID_VALUE, field="metrics")
    key = (service, region, id(session), id(config), id(metrics))
    with _CLIENTS_LOCK:  # creation under the lock: boto3's default session is not thread-safe
        cached = _CLIENTS.get(key)
        if cached is not None:
            return cached[0]
        import boto3

        factory: Any = session.client if session is not None else boto3.client
        client = factory(service, region_name=region, config=config or create_lambda_boto3_config())
        if metrics is not None:
            client = instrument_boto3_client(client, service=service, on_call=metrics)
        _CLIENTS[key] = (client, session, config, metrics)
        return client


def get_lambda_dynamodb_client(
    *, region: str | None = None, config: Any = None, metrics: Callable[[AwsCallMetric], None] | None = None
) -> Any:
    """``get_lambda_boto3_client("dynamodb", ...)``."""
    return get_lambda_boto3_client("dynamodb", region=region, config=config, metrics=metrics)


def get_lambda_kms_client(
    *, region: str | None = None, config: Any = None, metrics: Callable[[AwsCallMetric], None] | None = None
) -> Any:
    """``get_lambda_boto3_client("kms", ...)``."""
    return get_lambda_boto3_client("kms", region=region, config=config, metrics=metrics)


def _reset_lambda_clients_for_tests() -> None:
    """Forget every cached client."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()


# --- instrumentation ---------------------------------------------------------------------------------------


def _table_names(params: Mapping[str, Any]) -> tuple[str, ...]:
    """The tables a request names (never its keys or values)."""
    names: list[str] = []
    table = params.get("TableName")
    if isinstance(table, str):
        names.append(table)
    requests = params.get("RequestItems")
    if isinstance(requests, Mapping):
        names.extend(name for name in requests if isinstance(name, str))
    actions = params.get("TransactItems")
    if isinstance(actions, list):
        for action in actions:
            for body in action.values() if isinstance(action, Mapping) else ():
                name = body.get("TableName") if isinstance(body, Mapping) else None
                if isinstance(name, str):
                    names.append(name)
    return tuple(dict.fromkeys(names))


def _capacity_entries(response: Any) -> list[Mapping[str, Any]]:
    consumed = response.get("ConsumedCapacity") if isinstance(response, Mapping) else None
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed is not None else []
    return [entry for entry in entries if isinstance(entry, Mapping)]


def _capacity_units(entries: list[Mapping[str, Any]]) -> float | None:
    if not entries:
        return None
    units = (entry.get("CapacityUnits") for entry in entries)
    return sum(float(u) for u in units if isinstance(u, int | float) and not isinstance(u, bool))


def _retries(response: Any) -> int:
    metadata = response.get("ResponseMetadata") if isinstance(response, Mapping) else None
    attempts = metadata.get("RetryAttempts") if isinstance(metadata, Mapping) else None
    return attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    code = error.get("Code") if isinstance(error, Mapping) else None
    return code if isinstance(code, str) and code else type(exc).__name__


def _api_name(client: Any, method: str) -> str:
    """The AWS API name of a client method (``put_item`` -> ``PutItem``)."""
    mapping = getattr(getattr(client, "meta", None), "method_to_api_mapping", None)
    if isinstance(mapping, Mapping) and isinstance(mapping.get(method), str):
        return str(mapping[method])
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def _tracer() -> Any:
    """OpenTelemetry's tracer when ``opentelemetry-api`` is installed (looked up per call, so a provider
    set after instrumenting is used), else ``None``."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("dynamorm_py")


class _Call:
    """One call being measured: its span (if any), start time and request facts."""

    __slots__ = ("_instrumented", "_method", "_span", "_started", "_tables")

    def __init__(self, instrumented: _InstrumentedClient, method: str, params: Mapping[str, Any]) -> None:
        self._instrumented = instrumented
        self._method = method
        self._tables = _table_names(params)
        self._span = instrumented._start_span(method, self._tables)
        self._started = time.perf_counter()

    def succeeded(self, response: Any) -> None:
        seconds = time.perf_counter() - self._started
        entries = _capacity_entries(response)
        metric = self._metric(seconds, True, None, _retries(response), _capacity_units(entries))
        span = self._span
        if span is not None:
            if entries:
                span.set_attribute(
                    "aws.dynamodb.consumed_capacity", [json.dumps(dict(e), sort_keys=True) for e in entries]
                )
            span.end()
        self._instrumented._report(metric)

    def failed(self, exc: BaseException) -> None:
        seconds = time.perf_counter() - self._started
        code = _error_code(exc)
        response = getattr(exc, "response", None)
        metric = self._metric(seconds, False, code, _retries(response), None)
        span = self._span
        if span is not None:
            from opentelemetry.trace import Status, StatusCode

            # The code only: AWS error messages may quote request values.
            span.set_attribute("error.type", code)
            span.set_status(Status(StatusCode.ERROR, code))
            span.end()
        self._instrumented._report(metric)

    def _metric(
        self, seconds: float, ok: bool, code: str | None, retries: int, capacity: float | None
    ) -> AwsCallMetric:
        return AwsCallMetric(
            self._instrumented._service,
            self._method,
            seconds,
            ok,
            error_code=code,
            retries=retries,
            consumed_capacity=capacity,
            table_names=self._tables,
        )


class _InstrumentedClient:
    """Forwards everything to the wrapped client; public methods are measured (see
    :func:`instrument_boto3_client`)."""

    def __init__(self, client: Any, service: str, on_call: Callable[[AwsCallMetric], None]) -> None:
        self._client = client
        self._service = service
        self._on_call = on_call
        mapping = getattr(getattr(client, "meta", None), "method_to_api_mapping", None)
        # A botocore client lists its AWS operations: helpers such as get_paginator are not AWS calls.
        self._operations: frozenset[str] | None = frozenset(mapping) if isinstance(mapping, Mapping) else None
        self._wrapped: dict[str, Any] = {}

    @property
    def wrapped_client(self) -> Any:
        """The client calls are forwarded to."""
        return self._client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        if self._operations is not None and name not in self._operations:
            return attribute
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            wrapped = self._wrapped[name] = self._wrap(name, attribute)
        return wrapped

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._client)) | set(super().__dir__()))

    def __repr__(self) -> str:
        return f"instrumented({self._client!r})"

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(method) or inspect.iscoroutinefunction(
            getattr(self._client, "_make_api_call", None)
        ):

            @functools.wraps(method)
            async def measured_async(*args: Any, **kwargs: Any) -> Any:
                call = _Call(self, name, kwargs)
                try:
                    response = await getattr(self._client, name)(*args, **kwargs)
                except BaseException as exc:
                    call.failed(exc)
                    raise
                call.succeeded(response)
                return response

            return measured_async

        @functools.wraps(method)
        def measured(*args: Any, **kwargs: Any) -> Any:
            call = _Call(self, name, kwargs)
            try:
                response = getattr(self._client, name)(*args, **kwargs)
            except BaseException as exc:
                call.failed(exc)
                raise
            call.succeeded(response)
            return response

        return measured

    def _start_span(self, method: str, tables: tuple[str, ...]) -> Any:
        tracer = _tracer()
        if tracer is None:
            return None
        from opentelemetry.trace import SpanKind

        operation = _api_name(self._client, method)
        attributes: dict[str, Any] = {
            "rpc.system": "aws-api",
            "rpc.service": "DynamoDB" if self._service == "dynamodb" else self._service.upper(),
            "rpc.method": operation,
        }
        if self._service == "dynamodb":
            attributes["db.system"] = "aws.dynamodb"
            attributes["db.operation"] = operation
            if tables:
                attributes["aws.dynamodb.table_names"] = list(tables)
        name = f"{attributes['rpc.service']}.{operation}"
        return tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

    def _report(self, metric: AwsCallMetric) -> None:
        if METRICS_LOGGER.isEnabledFor(logging.INFO):
            METRICS_LOGGER.info(
                "%s.%s %s in %.1f ms (tables=%s, consumed_capacity=%s, retries=%d)",
                metric.service,
                metric.operation,
                "ok" if metric.ok else f"failed: {metric.error_code}",
                metric.seconds * 1000.0,
                ",".join(metric.table_names) or "-",
                "-" if metric.consumed_capacity is None else f"{metric.consumed_capacity:g}",
                metric.retries,
                extra={"aws_call": metric},
            )
        try:
            self._on_call(metric)
        except Exception:
            # A broken metrics sink must not fail the call it measures.
            METRICS_LOGGER.exception("the on_call metrics callback raised; the call itself went through")


def instrument_boto3_client(client: Any, *, service: str, on_call: Callable[[AwsCallMetric], None]) -> Any:
    """A proxy of ``client`` that reports every AWS call, on success and on exception (re-raised).

    Each call gives one :class:`AwsCallMetric` to ``on_call``, one INFO record on the
    ``dynamorm_py.metrics`` logger (the metric in ``record.aws_call``), and, when ``opentelemetry-api`` is
    installed, one CLIENT span with ``db.system=aws.dynamodb``, ``db.operation``,
    ``aws.dynamodb.table_names`` and ``aws.dynamodb.consumed_capacity``. Async clients (aiobotocore) are
    measured around the awaited call. On a botocore client only its AWS operations are measured (not
    ``get_paginator`` and the like); on other objects, every public method. The proxy can be passed
    wherever the client is (``Table(client=...)``).
    """
    if not isinstance(service, str) or not service:
        raise ValidationError("service must be a non-empty str", code=ERR_INVALID_VALUE, field="service")
    if not callable(on_call):
        raise ValidationError("on_call must be a callable", code=ERR_INVALID_VALUE, field="on_call")
    return _InstrumentedClient(client, service, on_call)
