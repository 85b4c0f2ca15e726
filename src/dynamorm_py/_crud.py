"""Single-item operations (put, get, delete, update) as sans-I/O generators."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ._context import TableContext
from ._core import Op, aws_call
from .codec import EncodedItem, check_item_size, format_timestamp
from .errors import ERR_INVALID_MODEL, NotFoundError, ValidationError
from .expressions import (
    ExpressionParts,
    UpdatePlan,
    build_condition,
    build_update,
    resolve_field,
    version_field,
)

__all__ = [
    "add_expression_maps",
    "delete_op",
    "encode_put_item",
    "get_op",
    "put_op",
    "seal_put_item",
    "update_item_op",
    "update_op",
    "update_request",
]

T = TypeVar("T")


def add_expression_maps(params: dict[str, Any], parts: ExpressionParts, *, condition: str = "") -> None:
    """Add ConditionExpression and the placeholder maps to a request, only when non-empty."""
    if condition:
        params["ConditionExpression"] = condition
    if parts.names:
        params["ExpressionAttributeNames"] = parts.names
    if parts.values:
        params["ExpressionAttributeValues"] = parts.values


def check_model_instance(ctx: TableContext[T], item: Any) -> None:
    model_type = ctx.model.model_type
    if not isinstance(item, model_type):
        raise ValidationError(
            f"expected a {model_type.__name__} instance, got {type(item).__name__}", code=ERR_INVALID_MODEL
        )


def encode_put_item(ctx: TableContext[T], item: T, *, now: datetime) -> EncodedItem:
    """The item of every put-type write (put, batch put, transaction put), lifecycle values from ``now``.

    Its size is checked here when nothing is left to encrypt; otherwise :func:`seal_put_item` finishes it.
    A plain function, so batch puts of unencrypted models need no generator per item (bench/batch.py).
    """
    if type(item) is not ctx.model.model_type:  # the common case without a call (batch puts)
        check_model_instance(ctx, item)
    encoded = ctx.model.codec.encode_item(item, now=now)
    if not encoded.encrypted:
        check_item_size(encoded.item)
    return encoded


def seal_put_item(ctx: TableContext[T], encoded: EncodedItem, *, operation: str) -> Op[None]:
    """Encrypt what :func:`encode_put_item` left in plaintext, then check the sealed item's size."""
    yield from ctx.seal_item(encoded.item, encoded.encrypted, operation=operation)
    check_item_size(encoded.item)


def put_request(
    ctx: TableContext[T],
    item: T,
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    if_not_exists: bool = False,
    operation: str = "put",
    now: Any = None,
) -> Op[tuple[dict[str, Any], dict[str, Any]]]:
    """The PutItem request for ``item`` and the lifecycle values written (shared with transactions)."""
    encoded = encode_put_item(ctx, item, now=now if now is not None else ctx.read_clock())
    if encoded.encrypted:
        yield from seal_put_item(ctx, encoded, operation=operation)
    params: dict[str, Any] = {"TableName": ctx.table_name, "Item": encoded.item}
    # Without any condition input build_condition renders nothing; batch puts skip it (bench/batch.py).
    if if_not_exists or condition_expression or expression_attribute_names or expression_attribute_values:
        condition, parts = build_condition(
            ctx.codec,
            if_not_exists=if_not_exists,
            condition_expression=condition_expression,
            expression_attribute_names=expression_attribute_names,
            expression_attribute_values=expression_attribute_values,
            security=ctx.security,
        )
        add_expression_maps(params, parts, condition=condition)
    return params, encoded.lifecycle


def put_op(
    ctx: TableContext[T],
    item: T,
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    if_not_exists: bool = False,
) -> Op[T]:
    params, lifecycle = yield from put_request(
        ctx,
        item,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        if_not_exists=if_not_exists,
    )
    yield from aws_call("dynamodb", "put_item", params, op_name="put", table=ctx.table_name)
    # Always a copy (api.md §1.3), even without lifecycle values: callers may mutate what put returns.
    # T is checked to be the model's dataclass above, which mypy cannot see through the TypeVar.
    return dataclasses.replace(item, **lifecycle)  # type: ignore[type-var]


def get_op(ctx: TableContext[T], pk: Any, sk: Any = None, *, consistent_read: bool = False) -> Op[T]:
    key = ctx.codec.encode_key(pk, sk)
    params = {"TableName": ctx.table_name, "Key": key, "ConsistentRead": bool(consistent_read)}
    response = yield from aws_call("dynamodb", "get_item", params, op_name="get", table=ctx.table_name)
    item = response.get("Item")
    if not item:
        raise NotFoundError("item not found")
    result: T = yield from ctx.read_item(item, operation="get")
    return result


def delete_request(
    ctx: TableContext[T],
    pk: Any,
    sk: Any = None,
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    key = ctx.codec.encode_key(pk, sk)
    condition, parts = build_condition(
        ctx.codec,
        expected_version=expected_version,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=ctx.security,
    )
    params: dict[str, Any] = {"TableName": ctx.table_name, "Key": key}
    add_expression_maps(params, parts, condition=condition)
    return params


def delete_op(ctx: TableContext[T], pk: Any, sk: Any = None, **kwargs: Any) -> Op[None]:
    params = delete_request(ctx, pk, sk, **kwargs)
    yield from aws_call("dynamodb", "delete_item", params, op_name="delete", table=ctx.table_name)


def update_request(
    ctx: TableContext[T],
    pk: Any,
    sk: Any,
    updates: Mapping[str, Any],
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    operation: str = "update",
    now: Any = None,
    caller_fields: bool = True,
) -> Op[dict[str, Any]]:
    """The UpdateItem request of ``Table.update`` without ReturnValues (shared with transactions)."""
    key = ctx.codec.encode_key(pk, sk)
    plan: UpdatePlan = build_update(
        ctx.codec,
        updates,
        now_text=format_timestamp(now if now is not None else ctx.read_clock()),
        expected_version=expected_version,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=ctx.security,
        caller_fields=caller_fields,
    )
    yield from ctx.seal_values(plan.parts.values, plan.parts.encrypt, operation=operation)
    params: dict[str, Any] = {
        "TableName": ctx.table_name,
        "Key": key,
        "UpdateExpression": plan.update_expression,
    }
    add_expression_maps(params, plan.parts, condition=plan.condition_expression)
    return params


def update_op(
    ctx: TableContext[T],
    pk: Any,
    sk: Any,
    updates: Mapping[str, Any],
    **kwargs: Any,
) -> Op[T]:
    params = yield from update_request(ctx, pk, sk, updates, **kwargs)
    params["ReturnValues"] = "ALL_NEW"
    response = yield from aws_call("dynamodb", "update_item", params, op_name="update", table=ctx.table_name)
    attributes = response.get("Attributes")
    if not attributes:
        raise ValidationError("update returned no attributes", code=ERR_INVALID_MODEL)
    result: T = yield from ctx.read_item(attributes, operation="update")
    return result


def update_item_op(
    ctx: TableContext[T],
    item: T,
    fields: Sequence[str] | None = None,
    *,
    expected_version: int | None = None,
    **kwargs: Any,
) -> Op[T]:
    """``update`` with the key and values taken from ``item``."""
    check_model_instance(ctx, item)
    codec = ctx.codec
    if fields is None:
        names = [
            f.python_name
            for f in codec.fields
            if f is not codec.pk
            and f is not codec.sk
            and f.role not in ("created_at", "updated_at", "version")
        ]
    else:
        names = list(fields)
    for name in names:  # caller-named fields are checked as update() checks them: validator, then model
        resolve_field(codec, name, security=ctx.security and fields is not None)
    updates = {name: getattr(item, name) for name in names}
    version = version_field(codec)
    if version is not None and expected_version is None:
        expected_version = getattr(item, version.python_name)
        if expected_version is None:
            raise ValidationError(
                "the item carries no version: pass expected_version",
                code=ERR_INVALID_MODEL,
                field=version.attribute_name,
            )
    pk = getattr(item, codec.pk.python_name)
    sk = getattr(item, codec.sk.python_name) if codec.sk is not None else None
    result: T = yield from update_op(
        ctx, pk, sk, updates, expected_version=expected_version, caller_fields=fields is not None, **kwargs
    )
    return result
