"""Table administration: a model's CreateTable request, and blocking create/ensure/delete/describe helpers.

These helpers are plain blocking functions rather than core operations: they administer tables, they do not
read or write items. Every call still goes through the core's ``aws_call``, so errors are typed as on any
other path (``ResourceNotFoundException`` -> ``TableNotFoundError``, ``ValidationException`` ->
``ValidationError`` ErrAwsValidation, no answer -> ``TransportError``, anything else -> ``AwsError``),
naming the public helper that failed and the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ._core.effects import aws_call
from ._drivers.sync import run_sync
from .errors import ERR_TIMEOUT, AwsError, TableNotFoundError, ValidationError
from .model import IndexDefinition, ModelDefinition, Projection

__all__ = [
    "BillingMode",
    "build_create_table_request",
    "create_table",
    "delete_table",
    "describe_table",
    "ensure_table",
]

BillingMode = str

BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
_THROUGHPUT_KEYS = ("ReadCapacityUnits", "WriteCapacityUnits")
# TTL statuses after which UpdateTimeToLive(Enabled=True) must not be sent again (AWS rejects it).
_TTL_ON = ("ENABLED", "ENABLING")


def build_create_table_request(
    model: ModelDefinition[Any],
    *,
    table_name: str | None = None,
    billing_mode: BillingMode = "PAY_PER_REQUEST",
    provisioned_throughput: Mapping[str, int] | None = None,
    stream_view_type: str | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``client.create_table`` for ``model``.

    ``provisioned_throughput`` (``ReadCapacityUnits``/``WriteCapacityUnits``) is required with
    ``PROVISIONED`` and is then copied to the table and to every GSI; it is not sent with
    ``PAY_PER_REQUEST``.
    """
    return _build_request(
        model,
        table_name=table_name,
        billing_mode=billing_mode,
        provisioned_throughput=provisioned_throughput,
        stream_view_type=stream_view_type,
        operation="build_create_table_request",
    )


def _build_request(
    model: ModelDefinition[Any],
    *,
    table_name: str | None,
    billing_mode: str,
    provisioned_throughput: Mapping[str, int] | None,
    stream_view_type: str | None,
    operation: str,
) -> dict[str, Any]:
    name = _resolve_table_name(model, table_name, operation=operation)
    throughput = _throughput(billing_mode, provisioned_throughput, operation=operation, table=name)
    if stream_view_type is not None and stream_view_type not in STREAM_VIEW_TYPES:
        raise ValidationError(
            f"stream_view_type must be one of {', '.join(STREAM_VIEW_TYPES)}, not {stream_view_type!r}",
            operation=operation,
            table=name,
        )

    key_attributes = [model.pk.attribute_name]
    if model.sk is not None:
        key_attributes.append(model.sk.attribute_name)
    for index in model.indexes:
        key_attributes.append(index.partition)
        if index.sort is not None:
            key_attributes.append(index.sort)

    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": _key_schema(model.pk.attribute_name, model.sk.attribute_name if model.sk else None),
        "AttributeDefinitions": [
            {"AttributeName": attribute, "AttributeType": model.attribute_type(attribute)}
            for attribute in sorted(set(key_attributes))
        ],
        "BillingMode": billing_mode,
    }
    if throughput is not None:
        request["ProvisionedThroughput"] = dict(throughput)
    global_indexes = [_index_request(index, throughput) for index in model.indexes if index.type == "GSI"]
    local_indexes = [_index_request(index, None) for index in model.indexes if index.type == "LSI"]
    if global_indexes:
        request["GlobalSecondaryIndexes"] = global_indexes
    if local_indexes:
        request["LocalSecondaryIndexes"] = local_indexes
    if stream_view_type is not None:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view_type}
    return request


def create_table(
    model: ModelDefinition[Any],
    *,
    client: Any = None,
    table_name: str | None = None,
    billing_mode: BillingMode = "PAY_PER_REQUEST",
    provisioned_throughput: Mapping[str, int] | None = None,
    stream_view_type: str | None = None,
    enable_ttl: bool = False,
    wait_for_active: bool = True,
    wait_timeout_seconds: float = 300.0,
    poll_interval_seconds: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Create the model's table; an existing table is left as it is (``ResourceInUseException`` ignored).

    With ``wait_for_active`` polls DescribeTable until the table is ACTIVE (a missing table counts as not
    ready yet); past ``wait_timeout_seconds`` raises ``ValidationError`` (ErrTimeout). With ``enable_ttl``
    then enables TTL on the model's ttl-role attribute (no call when the model has none).
    """
    request = _build_request(
        model,
        table_name=table_name,
        billing_mode=billing_mode,
        provisioned_throughput=provisioned_throughput,
        stream_view_type=stream_view_type,
        operation="create_table",
    )
    _create(
        model,
        _client(client),
        request,
        operation="create_table",
        enable_ttl=enable_ttl,
        wait_for_active=wait_for_active,
        wait_timeout_seconds=wait_timeout_seconds,
        poll_interval_seconds=poll_interval_seconds,
        sleep=sleep,
    )


def ensure_table(
    model: ModelDefinition[Any],
    *,
    client: Any = None,
    table_name: str | None = None,
    billing_mode: BillingMode = "PAY_PER_REQUEST",
    provisioned_throughput: Mapping[str, int] | None = None,
    stream_view_type: str | None = None,
    enable_ttl: bool = False,
    wait_for_active: bool = True,
    wait_timeout_seconds: float = 300.0,
    poll_interval_seconds: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Create the table when DescribeTable says it is missing; otherwise optionally wait for ACTIVE.

    An existing table is not compared with the model or altered, except that ``enable_ttl`` enables TTL
    when DescribeTimeToLive says it is not enabled yet.
    """
    request = _build_request(
        model,
        table_name=table_name,
        billing_mode=billing_mode,
        provisioned_throughput=provisioned_throughput,
        stream_view_type=stream_view_type,
        operation="ensure_table",
    )
    dynamodb = _client(client)
    name: str = request["TableName"]
    existing = _describe_or_none(dynamodb, name, operation="ensure_table")
    if existing is None:
        _create(
            model,
            dynamodb,
            request,
            operation="ensure_table",
            enable_ttl=enable_ttl,
            wait_for_active=wait_for_active,
            wait_timeout_seconds=wait_timeout_seconds,
            poll_interval_seconds=poll_interval_seconds,
            sleep=sleep,
        )
        return
    if wait_for_active:
        _wait_for_active(
            dynamodb,
            name,
            operation="ensure_table",
            timeout_seconds=wait_timeout_seconds,
            poll_interval_seconds=poll_interval_seconds,
            sleep=sleep,
            described=existing,
        )
    if enable_ttl:
        _enable_ttl_unless_enabled(model, dynamodb, name, operation="ensure_table")


def delete_table(
    model: ModelDefinition[Any],
    *,
    client: Any = None,
    table_name: str | None = None,
    wait_for_delete: bool = True,
    wait_timeout_seconds: float = 300.0,
    poll_interval_seconds: float = 0.25,
    ignore_missing: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Delete the table; a missing table raises ``TableNotFoundError`` unless ``ignore_missing``.

    With ``wait_for_delete`` polls DescribeTable until the table is gone; past ``wait_timeout_seconds``
    raises ``ValidationError`` (ErrTimeout).
    """
    name = _resolve_table_name(model, table_name, operation="delete_table")
    dynamodb = _client(client)
    try:
        _call(dynamodb, "delete_table", {"TableName": name}, operation="delete_table", table=name)
    except TableNotFoundError:
        if ignore_missing:
            return
        raise
    if not wait_for_delete:
        return
    deadline = time.monotonic() + wait_timeout_seconds
    while _describe_or_none(dynamodb, name, operation="delete_table") is not None:
        _pause_or_time_out(
            deadline,
            poll_interval_seconds,
            sleep,
            operation="delete_table",
            table=name,
            waiting_for="to be deleted",
        )


def describe_table(
    model: ModelDefinition[Any],
    *,
    client: Any = None,
    table_name: str | None = None,
) -> dict[str, Any]:
    """The raw DescribeTable response; a missing table raises ``TableNotFoundError``."""
    name = _resolve_table_name(model, table_name, operation="describe_table")
    dynamodb = _client(client)
    return _call(dynamodb, "describe_table", {"TableName": name}, operation="describe_table", table=name)


# helpers -------------------------------------------------------------------------------------------------


def _resolve_table_name(model: ModelDefinition[Any], table_name: str | None, *, operation: str) -> str:
    name = table_name or model.table_name
    if not name:
        raise ValidationError(
            "table name is required: pass table_name or define the model with one", operation=operation
        )
    return name


def _throughput(
    billing_mode: str, provisioned_throughput: Mapping[str, int] | None, *, operation: str, table: str
) -> dict[str, int] | None:
    """The validated throughput to send, or ``None`` for on-demand tables."""
    if billing_mode not in BILLING_MODES:
        raise ValidationError(
            f"billing_mode must be PAY_PER_REQUEST or PROVISIONED, not {billing_mode!r}",
            operation=operation,
            table=table,
        )
    if billing_mode != "PROVISIONED":
        return None
    if provisioned_throughput is None:
        raise ValidationError(
            "billing_mode PROVISIONED requires provisioned_throughput "
            "({'ReadCapacityUnits': n, 'WriteCapacityUnits': n})",
            operation=operation,
            table=table,
        )
    unknown = sorted(set(provisioned_throughput) - set(_THROUGHPUT_KEYS))
    if unknown:
        raise ValidationError(
            f"provisioned_throughput has unknown keys {unknown}", operation=operation, table=table
        )
    throughput: dict[str, int] = {}
    for key in _THROUGHPUT_KEYS:
        units = provisioned_throughput.get(key)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValidationError(
                f"provisioned_throughput[{key!r}] must be a positive int", operation=operation, table=table
            )
        throughput[key] = units
    return throughput


def _key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort, "KeyType": "RANGE"})
    return schema


def _projection(projection: Projection) -> dict[str, Any]:
    result: dict[str, Any] = {"ProjectionType": projection.type}
    if projection.type == "INCLUDE":
        result["NonKeyAttributes"] = list(projection.fields)
    return result


def _index_request(index: IndexDefinition, throughput: Mapping[str, int] | None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition, index.sort),
        "Projection": _projection(index.projection),
    }
    if throughput is not None:
        request["ProvisionedThroughput"] = dict(throughput)
    return request


def _client(client: Any) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client("dynamodb")


def _call(client: Any, method: str, params: dict[str, Any], *, operation: str, table: str) -> dict[str, Any]:
    """One DynamoDB call through the core's ``aws_call``, which types every botocore exception."""
    op = aws_call("dynamodb", method, params, op_name=operation, table=table)
    return run_sync(op, clients={"dynamodb": client}, sleep=None)


def _create(
    model: ModelDefinition[Any],
    client: Any,
    request: dict[str, Any],
    *,
    operation: str,
    enable_ttl: bool,
    wait_for_active: bool,
    wait_timeout_seconds: float,
    poll_interval_seconds: float,
    sleep: Callable[[float], None],
) -> None:
    name: str = request["TableName"]
    created = True
    try:
        _call(client, "create_table", request, operation=operation, table=name)
    except AwsError as exc:
        if exc.code != "ResourceInUseException":
            raise
        created = False
    if wait_for_active:
        _wait_for_active(
            client,
            name,
            operation=operation,
            timeout_seconds=wait_timeout_seconds,
            poll_interval_seconds=poll_interval_seconds,
            sleep=sleep,
        )
    if not enable_ttl:
        return
    if created:
        _update_ttl(model, client, name, operation=operation)
    else:
        # The table was already there: TTL may already be on, and AWS rejects enabling it twice.
        _enable_ttl_unless_enabled(model, client, name, operation=operation)


def _describe_or_none(client: Any, name: str, *, operation: str) -> dict[str, Any] | None:
    """The DescribeTable ``Table`` member, or ``None`` when the table does not exist."""
    try:
        response = _call(client, "describe_table", {"TableName": name}, operation=operation, table=name)
    except TableNotFoundError:
        return None
    table: dict[str, Any] = response.get("Table") or {}
    return table


def _wait_for_active(
    client: Any,
    name: str,
    *,
    operation: str,
    timeout_seconds: float,
    poll_interval_seconds: float,
    sleep: Callable[[float], None],
    described: dict[str, Any] | None = None,
) -> None:
    """Poll until the table is ACTIVE; ``described`` is a DescribeTable ``Table`` just fetched, used first."""
    deadline = time.monotonic() + timeout_seconds
    table = described if described is not None else _describe_or_none(client, name, operation=operation)
    while table is None or table.get("TableStatus") != "ACTIVE":
        _pause_or_time_out(
            deadline,
            poll_interval_seconds,
            sleep,
            operation=operation,
            table=name,
            waiting_for="to become ACTIVE",
        )
        table = _describe_or_none(client, name, operation=operation)


def _pause_or_time_out(
    deadline: float,
    poll_interval_seconds: float,
    sleep: Callable[[float], None],
    *,
    operation: str,
    table: str,
    waiting_for: str,
) -> None:
    if time.monotonic() >= deadline:
        raise ValidationError(
            f"timed out waiting for table {table!r} {waiting_for}",
            code=ERR_TIMEOUT,
            operation=operation,
            table=table,
        )
    sleep(poll_interval_seconds)


def _update_ttl(model: ModelDefinition[Any], client: Any, name: str, *, operation: str) -> None:
    ttl = model.ttl
    if ttl is None:
        return
    params = {
        "TableName": name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": ttl.attribute_name},
    }
    _call(client, "update_time_to_live", params, operation=operation, table=name)


def _enable_ttl_unless_enabled(
    model: ModelDefinition[Any], client: Any, name: str, *, operation: str
) -> None:
    ttl = model.ttl
    if ttl is None:
        return
    response = _call(client, "describe_time_to_live", {"TableName": name}, operation=operation, table=name)
    description = response.get("TimeToLiveDescription") or {}
    if (
        description.get("TimeToLiveStatus") in _TTL_ON
        and description.get("AttributeName") == ttl.attribute_name
    ):
        return
    # TTL on another attribute is not "enabled" for this model: DynamoDB's rejection of the update says so.
    _update_ttl(model, client, name, operation=operation)
