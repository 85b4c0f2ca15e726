"""Transactions (TransactWriteItems, TransactGetItems) on one table as sans-I/O generators.

The public action dataclasses live in :mod:`dynamorm_py.transaction`; this module turns them into one request.

* Every action is built by the same code as its single-item twin (``put_request``, ``update_request``,
  ``delete_request`` of ``_crud``), so lifecycle fields, versions, caller conditions, placeholders and
  encryption behave exactly as in ``put``/``update``/``delete``. One *now* is read per call and shared by
  every action (docs/wire-format.md §7.1).
* Checked before sending: 1-100 actions or keys (ErrInvalidOperator), no two actions or keys on one item
  (ErrInvalidModel, DynamoDB rejects the request), a token of 1-36 characters (ErrInvalidValue).
* A put of an instance read through a projection is refused (``ErrPartialItem``), as ``Table.put`` refuses
  it. An update that would create an item the model cannot read carries ``attribute_exists(<pk>)`` as on
  ``Table.update``; on a missing item the transaction is cancelled (``ConditionFailedError``, reason
  ``ConditionalCheckFailed`` at that action) and nothing is written.
* ``ClientRequestToken`` is always sent: the caller's, or ``str(uuid.uuid4())`` made once per call and reused
  by every conflict retry, so DynamoDB applies the transaction at most once.
* A cancellation maps per docs/wire-format.md §8.4 (``aws_errors.map_transaction_error``): any
  ``ConditionalCheckFailed`` reason gives ``ConditionFailedError``, anything else
  ``TransactionCanceledError``, both with one ``CancellationReason`` per action, by position. With
  ``max_conflict_retries`` > 0 a cancellation whose every non-``"None"`` reason is ``TransactionConflict``
  is sent again (same token) after ``Sleep(min(1.0, 0.05 * 2**(n-1)))``; when retries run out the last
  error is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .._blocks.conditions import build_condition
from .._blocks.keys import KeyIdentity, key_identity, split_key
from .._blocks.projections import build_projection
from ..errors import (
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    CancellationReason,
    TransactionCanceledError,
    ValidationError,
)
from ..transaction import (
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    TransactWriteAction,
)
from .context import TableContext
from .effects import Op, Sleep
from .items import add_expression_maps, delete_request, guard_update, put_request, update_request
from .retries import Write, retried_call

__all__ = [
    "MAX_TRANSACTION_ITEMS",
    "conflict_delay",
    "is_conflict_only",
    "resolve_token",
    "routed_transact_get_op",
    "routed_transact_write_op",
    "transact_get_op",
    "transact_write_op",
    "transaction_item",
]

T = TypeVar("T")

MAX_TRANSACTION_ITEMS = 100
MAX_TOKEN_LENGTH = 36


def resolve_token(token: str | None) -> str:
    """The caller's token (1-36 characters) or a fresh UUID4."""
    if token is None:
        return str(uuid.uuid4())
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_TOKEN_LENGTH:
        raise ValidationError(
            f"client_request_token must be a string of 1 to {MAX_TOKEN_LENGTH} characters",
            code=ERR_INVALID_VALUE,
        )
    return token


def _check_count(n: int, what: str) -> None:
    if not 1 <= n <= MAX_TRANSACTION_ITEMS:
        raise ValidationError(
            f"a transaction takes 1 to {MAX_TRANSACTION_ITEMS} {what}, got {n}", code=ERR_INVALID_OPERATOR
        )


def _same_item(what: str) -> ValidationError:
    return ValidationError(f"two {what} on one item in one transaction", code=ERR_INVALID_MODEL)


def is_conflict_only(reasons: Sequence[CancellationReason]) -> bool:
    """True when at least one action failed and every failure is a ``TransactionConflict``."""
    failed = [r.code for r in reasons if r.code != "None"]
    return bool(failed) and all(code == "TransactionConflict" for code in failed)


def conflict_delay(retry: int) -> float:
    """The wait before conflict retry ``retry`` (1-based): 0.05, 0.1, 0.2, 0.4, 0.8, then 1 s."""
    return min(1.0, 0.05 * 2.0 ** (retry - 1))


def transaction_item(
    ctx: TableContext[T], action: TransactWriteAction[T], *, now: datetime
) -> Op[tuple[dict[str, Any], KeyIdentity]]:
    """One ``TransactItems`` entry and the identity of the item it touches."""
    codec = ctx.codec
    if isinstance(action, TransactPut):
        params, _ = yield from put_request(
            ctx,
            action.item,
            condition_expression=action.condition_expression,
            expression_attribute_names=action.expression_attribute_names,
            expression_attribute_values=action.expression_attribute_values,
            if_not_exists=action.if_not_exists,
            operation="transact_write",
            now=now,
            condition=action.condition,
        )
        return {"Put": params}, key_identity(codec, params["Item"])
    if isinstance(action, TransactUpdate):
        params = yield from update_request(
            ctx,
            action.pk,
            action.sk,
            action.updates,
            condition_expression=action.condition_expression,
            expression_attribute_names=action.expression_attribute_names,
            expression_attribute_values=action.expression_attribute_values,
            expected_version=action.expected_version,
            operation="transact_write",
            now=now,
            condition=action.condition,
        )
        # As on Table.update: an update that would create an item the model cannot read is guarded, and the
        # transaction is cancelled (ConditionFailedError, reason ConditionalCheckFailed) on a missing item.
        guard_update(ctx, params)
        return {"Update": params}, key_identity(codec, params["Key"])
    if isinstance(action, TransactDelete):
        params = delete_request(
            ctx,
            action.pk,
            action.sk,
            condition_expression=action.condition_expression,
            expression_attribute_names=action.expression_attribute_names,
            expression_attribute_values=action.expression_attribute_values,
            expected_version=action.expected_version,
            condition=action.condition,
        )
        return {"Delete": params}, key_identity(codec, params["Key"])
    if isinstance(action, TransactConditionCheck):
        key = codec.encode_key(action.pk, action.sk)
        if not action.condition_expression and action.condition is None:
            raise ValidationError(
                "a condition check needs a condition or a condition_expression", code=ERR_INVALID_MODEL
            )
        condition, parts = build_condition(
            codec,
            condition_expression=action.condition_expression,
            expression_attribute_names=action.expression_attribute_names,
            expression_attribute_values=action.expression_attribute_values,
            security=ctx.security,
            condition=action.condition,
        )
        if not condition:  # an empty group: DynamoDB requires the check's expression
            raise ValidationError(
                "a condition check's condition renders nothing (an empty group)",
                code=ERR_INVALID_MODEL,
                field="condition",
            )
        params = {"TableName": ctx.table_name, "Key": key}
        add_expression_maps(params, parts, condition=condition)
        return {"ConditionCheck": params}, key_identity(codec, key)
    raise ValidationError(
        f"unknown transaction action {type(action).__name__} (use TransactPut, TransactUpdate, "
        "TransactDelete or TransactConditionCheck)",
        code=ERR_INVALID_MODEL,
    )


def _check_actions_argument(actions: Any) -> None:
    if isinstance(actions, (str, bytes)) or not isinstance(actions, Iterable):
        raise ValidationError("actions must be a sequence of transaction actions", code=ERR_INVALID_OPERATOR)


def transact_write_op(
    ctx: TableContext[T],
    actions: Iterable[TransactWriteAction[T]],
    *,
    client_request_token: str | None = None,
    max_conflict_retries: int = 0,
) -> Op[None]:
    """One TransactWriteItems call of ``actions`` on this table (retried on pure conflicts when allowed)."""
    _check_actions_argument(actions)
    yield from routed_transact_write_op(
        [(ctx, action) for action in actions],
        client_request_token=client_request_token,
        max_conflict_retries=max_conflict_retries,
    )


def routed_transact_write_op(
    routed: Sequence[tuple[TableContext[Any], TransactWriteAction[Any]]],
    *,
    client_request_token: str | None = None,
    max_conflict_retries: int = 0,
) -> Op[None]:
    """One TransactWriteItems call of actions, each with the context of its model (one table or several)."""
    if (
        isinstance(max_conflict_retries, bool)
        or not isinstance(max_conflict_retries, int)
        or max_conflict_retries < 0
    ):
        raise ValidationError("max_conflict_retries must be an int >= 0", code=ERR_INVALID_OPERATOR)
    _check_count(len(routed), "actions")
    token = resolve_token(client_request_token)
    first = routed[0][0]
    now = first.read_clock()
    items: list[dict[str, Any]] = []
    seen: set[tuple[str, KeyIdentity]] = set()
    for ctx, action in routed:
        item, identity = yield from transaction_item(ctx, action, now=now)
        if (ctx.table_name, identity) in seen:
            raise _same_item("actions")
        seen.add((ctx.table_name, identity))
        items.append(item)
    for item in items:
        (action,) = item.values()
        if "ConditionExpression" in action:  # the item comes back with a failed condition, as on put
            action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    params = {"TransactItems": items, "ClientRequestToken": token}
    # The token makes a resent transaction idempotent: DynamoDB answers a retry of an applied one with
    # success, so the answer of the last attempt is trusted; only running out of attempts is unknown.
    write = Write(lambda: None, idempotent=True)
    retry = 0
    while True:
        try:
            yield from retried_call(
                first.retry,
                "transact_write_items",
                params,
                op_name="transact_write",
                table=first.table_name,
                write=write,
            )
            return
        except TransactionCanceledError as exc:
            if retry >= max_conflict_retries or not is_conflict_only(exc.reasons):
                raise
        retry += 1
        yield Sleep(conflict_delay(retry))


def transact_get_op(
    ctx: TableContext[T], keys: Iterable[Any], *, projection: Sequence[str] | None = None
) -> Op[list[T | None]]:
    """One TransactGetItems call: one result per key, in key order, ``None`` for a missing item."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise ValidationError("keys must be a sequence of keys", code=ERR_INVALID_OPERATOR)
    results: list[T | None] = yield from routed_transact_get_op(
        [(ctx, key) for key in keys], projection=projection
    )
    return results


def routed_transact_get_op(
    routed: Sequence[tuple[TableContext[Any], Any]], *, projection: Sequence[str] | None = None
) -> Op[list[Any]]:
    """One TransactGetItems call of keys, each with the context of its model (one table or several)."""
    _check_count(len(routed), "keys")
    items: list[dict[str, Any]] = []
    partial: list[bool] = []
    seen: set[tuple[str, KeyIdentity]] = set()
    for ctx, key in routed:
        codec = ctx.codec
        expression, names = build_projection(codec, projection, security=ctx.security)
        if expression and ctx.model.matches is not None:
            # The attributes the model's matcher reads are loaded too, to tell its items from others.
            expression = ctx.project_for_matches(expression, names)
        pk, sk = split_key(codec, key)
        key_map = codec.encode_key(pk, sk)
        identity = (ctx.table_name, key_identity(codec, key_map))
        if identity in seen:
            raise _same_item("keys")
        seen.add(identity)
        get: dict[str, Any] = {"TableName": ctx.table_name, "Key": key_map}
        if expression:
            get["ProjectionExpression"] = expression
            get["ExpressionAttributeNames"] = names
        items.append({"Get": get})
        partial.append(bool(expression) and ctx.projects(names.values()))
    first = routed[0][0]
    response = yield from retried_call(
        first.retry,
        "transact_get_items",
        {"TransactItems": items},
        op_name="transact_get",
        table=first.table_name,
    )
    responses = response.get("Responses") or []
    results: list[Any] = []
    for index, (ctx, _) in enumerate(routed):
        entry = responses[index] if index < len(responses) else None
        stored = entry.get("Item") if isinstance(entry, dict) else None
        # Another entity type under a requested key is not this model's item: None, as for a missing one.
        if stored and (ctx.model.matches is None or ctx.recognizes(stored)):
            results.append(
                (yield from ctx.read_item(stored, operation="transact_get", partial=partial[index]))
            )
        else:
            results.append(None)
    return results
