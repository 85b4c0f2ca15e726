"""Single-item operations (put, get, delete, update) as sans-I/O generators."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .._blocks import partial_reads
from .._blocks.codec import EncodedItem, ModelCodec, av_equal, check_item_size, format_timestamp, item_equal
from .._blocks.conditions import build_condition, version_field
from .._blocks.filters import FilterExpression
from .._blocks.keys import split_key
from .._blocks.matching import matched_attributes
from .._blocks.partial_reads import check_whole_item
from .._blocks.terms import ExpressionParts, check_names_argument, resolve_field
from .._blocks.updates import UpdatePlan, build_update
from ..errors import ERR_INVALID_MODEL, ConditionFailedError, NotFoundError, ValidationError
from .context import TableContext
from .effects import Op
from .retries import OURS, THEIRS, UNKNOWN, Verdict, Write, retried_call

__all__ = [
    "add_expression_maps",
    "delete_item_op",
    "delete_op",
    "encode_put_item",
    "exists_op",
    "get_op",
    "guard_update",
    "put_op",
    "seal_put_item",
    "send_update",
    "split_key_argument",
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
    if partial_reads.any_marked():  # only once some read was projected: no call per item before that
        check_whole_item(item, hint="read the whole item before putting it, or use update_item with fields=")
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
    condition: FilterExpression | None = None,
) -> Op[tuple[dict[str, Any], dict[str, Any]]]:
    """The PutItem request for ``item`` and the lifecycle values written (shared with transactions)."""
    encoded = encode_put_item(ctx, item, now=now if now is not None else ctx.read_clock())
    built: tuple[str, ExpressionParts] | None = None
    # Without any condition input build_condition renders nothing; batch puts skip it (bench/batch.py).
    if (
        if_not_exists
        or condition_expression
        or expression_attribute_names
        or expression_attribute_values
        or condition is not None
    ):
        # Checked before sealing: a refused condition costs no KMS call.
        built = build_condition(
            ctx.codec,
            if_not_exists=if_not_exists,
            condition_expression=condition_expression,
            expression_attribute_names=expression_attribute_names,
            expression_attribute_values=expression_attribute_values,
            security=ctx.security,
            condition=condition,
        )
    if encoded.encrypted:
        yield from seal_put_item(ctx, encoded, operation=operation)
    params: dict[str, Any] = {"TableName": ctx.table_name, "Item": encoded.item}
    if built is not None:
        add_expression_maps(params, built[1], condition=built[0])
    return params, encoded.lifecycle


def put_op(
    ctx: TableContext[T],
    item: T,
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    if_not_exists: bool = False,
    condition: FilterExpression | None = None,
) -> Op[T]:
    params, lifecycle = yield from put_request(
        ctx,
        item,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        if_not_exists=if_not_exists,
        condition=condition,
    )
    codec = ctx.codec
    key = lambda: _python_key(codec, getattr(item, codec.pk.python_name), _sk_of(codec, item))  # noqa: E731
    if "ConditionExpression" in params:
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        # Only a bare if-not-exists is a claim: with a caller's condition (raw or typed) a failure may be
        # that condition, after our own earlier write was overwritten by someone else's.
        claim = if_not_exists and not (
            condition_expression
            or expression_attribute_names
            or expression_attribute_values
            or condition is not None
        )
        write = Write(key, put_recognizer(ctx, params["Item"], claim=claim))
    else:
        write = Write(key)  # the same item again: a retry cannot apply anything twice
    yield from retried_call(ctx.retry, "put_item", params, op_name="put", table=ctx.table_name, write=write)
    # Always a copy, even without lifecycle values: callers may mutate what put returns.
    # T is checked to be the model's dataclass above, which mypy cannot see through the TypeVar.
    return dataclasses.replace(item, **lifecycle)  # type: ignore[type-var]


def split_key_argument(ctx: TableContext[T], pk: Any, sk: Any) -> tuple[Any, Any]:
    """``get``/``delete``/``exists`` take ``(pk, sk)`` as their first argument too, as ``batch_get`` does."""
    if sk is None and isinstance(pk, tuple):
        return split_key(ctx.codec, pk)
    return pk, sk


class _Missing:
    """The default of ``get(default=...)`` when none is given (``None`` is a valid default)."""

    def __repr__(self) -> str:
        return "<no default>"


MISSING: Any = _Missing()


def get_op(
    ctx: TableContext[T], pk: Any, sk: Any = None, *, consistent_read: bool = False, default: Any = MISSING
) -> Op[Any]:
    """GetItem; a miss is ``NotFoundError``, or ``default`` when one is given."""
    pk, sk = split_key_argument(ctx, pk, sk)
    key = ctx.codec.encode_key(pk, sk)
    params = {"TableName": ctx.table_name, "Key": key, "ConsistentRead": bool(consistent_read)}
    response = yield from retried_call(ctx.retry, "get_item", params, op_name="get", table=ctx.table_name)
    item = response.get("Item")
    if not item:
        if default is not MISSING:
            return default
        raise NotFoundError("item not found")
    if ctx.model.matches is not None and not ctx.recognizes(item):
        # Another entity type stored under this key (a shared table): not a T, so not found as one.
        if default is not MISSING:
            return default
        raise NotFoundError(ctx.not_this_model())
    result: T = yield from ctx.read_item(item, operation="get")
    return result


def exists_op(ctx: TableContext[T], pk: Any, sk: Any = None, *, consistent_read: bool = False) -> Op[bool]:
    """Whether the item exists: a GetItem projecting only the key, so nothing is decoded or decrypted.

    On a model with ``matches``, an item of another entity type under this key does not count, as for
    ``get``: the projection adds the attributes the matcher reads (a plain predicate reads the whole item).
    """
    pk, sk = split_key_argument(ctx, pk, sk)
    codec = ctx.codec
    key = codec.encode_key(pk, sk)
    names = {f"#k{i}": f.attribute_name for i, f in enumerate((codec.pk, codec.sk)) if f is not None}
    params: dict[str, Any] = {
        "TableName": ctx.table_name,
        "Key": key,
        "ConsistentRead": bool(consistent_read),
    }
    matches = ctx.model.matches
    if matches is None:
        params["ProjectionExpression"] = ", ".join(names)
        params["ExpressionAttributeNames"] = names
    elif matched_attributes(matches) is not None:
        params["ProjectionExpression"] = ctx.project_for_matches(", ".join(names), names)
        params["ExpressionAttributeNames"] = names
    response = yield from retried_call(ctx.retry, "get_item", params, op_name="exists", table=ctx.table_name)
    item = response.get("Item")
    if not item:
        return False
    return matches is None or ctx.recognizes(item)


def delete_request(
    ctx: TableContext[T],
    pk: Any,
    sk: Any = None,
    *,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    condition: FilterExpression | None = None,
) -> dict[str, Any]:
    key = ctx.codec.encode_key(pk, sk)
    expression, parts = build_condition(
        ctx.codec,
        expected_version=expected_version,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=ctx.security,
        condition=condition,
    )
    params: dict[str, Any] = {"TableName": ctx.table_name, "Key": key}
    add_expression_maps(params, parts, condition=expression)
    return params


def send_delete(ctx: TableContext[T], params: dict[str, Any], pk: Any, sk: Any, *, op_name: str) -> Op[None]:
    """Send a DeleteItem; a conditional one that fails after a lost attempt checks whether it was ours."""
    codec = ctx.codec
    key = lambda: _python_key(codec, pk, sk)  # noqa: E731
    if "ConditionExpression" in params:
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        write = Write(key, delete_recognizer(ctx, params))
    else:
        write = Write(key)
    yield from retried_call(
        ctx.retry, "delete_item", params, op_name=op_name, table=ctx.table_name, write=write
    )


def delete_op(ctx: TableContext[T], pk: Any, sk: Any = None, **kwargs: Any) -> Op[None]:
    pk, sk = split_key_argument(ctx, pk, sk)
    params = delete_request(ctx, pk, sk, **kwargs)
    yield from send_delete(ctx, params, pk, sk, op_name="delete")


def instance_key(ctx: TableContext[T], item: T, expected_version: int | None) -> tuple[Any, Any, int | None]:
    """``(pk, sk, expected_version)`` of a write taking its key from ``item``: on a versioned model the
    expected version is the item's own unless the caller gave one."""
    codec = ctx.codec
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
    return pk, sk, expected_version


def delete_item_op(
    ctx: TableContext[T], item: T, *, expected_version: int | None = None, **kwargs: Any
) -> Op[None]:
    """``delete`` with the key, and on a versioned model the expected version, taken from ``item``."""
    check_model_instance(ctx, item)
    pk, sk, expected_version = instance_key(ctx, item, expected_version)
    params = delete_request(ctx, pk, sk, expected_version=expected_version, **kwargs)
    yield from send_delete(ctx, params, pk, sk, op_name="delete_item")


# --- updates that must not create an item the model cannot read -----------------------------------------
#
# DynamoDB's UpdateItem creates a missing item from the key and the updated attributes. When the model has a
# field without default that the update does not write, such an item can never be decoded, so the update
# carries ``attribute_exists(<pk>)`` and a missing item is NotFoundError with nothing written. The check
# reads the UpdateExpression the library rendered (every name is a placeholder, so its shape is known).

_CLAUSE = re.compile(r"(?:^| )(SET|REMOVE|ADD|DELETE) ")
_SET_TARGET = re.compile(r"(?:^|, )(#\w+) = ")
GUARD_PLACEHOLDER = "#lc_pk"


def update_effects(params: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The attributes an UpdateItem request writes whole (SET, ADD) and removes whole (REMOVE)."""
    names: Mapping[str, str] = params.get("ExpressionAttributeNames") or {}
    pieces = _CLAUSE.split(str(params.get("UpdateExpression") or ""))
    written: set[str] = set()
    removed: set[str] = set()
    for keyword, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if keyword == "SET":
            targets = _SET_TARGET.findall(body)
            written.update(names.get(t, t) for t in targets)
        elif keyword == "ADD":
            written.update(names.get(t, t) for t in (i.split(" ", 1)[0] for i in body.split(", ")))
        elif keyword == "REMOVE":
            removed.update(names.get(t, t) for t in (i.strip() for i in body.split(", ")) if "[" not in t)
    return written, removed


def guard_update(ctx: TableContext[T], params: dict[str, Any], *, upsert: bool = False) -> bool:
    """Check an UpdateItem request so that it cannot leave an item the model cannot read; returns whether
    it now carries the existence guard (see :func:`send_update`).

    * Removing a field without default is refused: the item would lose what every read needs.
    * When a missing item would be created without some field without default, ``attribute_exists(<pk>)``
      is ANDed into the condition, unless the update is versioned (its version condition already fails on
      a missing item) or ``upsert`` is set. ``upsert`` on a request returning the whole new item is refused
      up front in that case: the item it may create could not be returned.
    """
    codec = ctx.codec
    required = codec.required
    if not required:
        return False
    written, removed = update_effects(params)
    for f in required:
        if f.attribute_name in removed:
            raise ValidationError(
                f"field {f.python_name!r} has no default: removing it (None or an empty omit_empty value) "
                "would leave an item this model cannot read",
                code=ERR_INVALID_MODEL,
                field=f.attribute_name,
            )
    unset = [f for f in required if f.attribute_name not in written]
    values = params.get("ExpressionAttributeValues") or {}
    if not unset or ":lc_expected" in values:
        return False
    if upsert:
        if params.get("ReturnValues") == "ALL_NEW":
            raise ValidationError(
                "upsert=True: an item created by this update would lack "
                f"{', '.join(repr(f.python_name) for f in unset)} (fields without default), so it could not "
                "be read back; set them in the update, or create the item with put",
                code=ERR_INVALID_MODEL,
                field=unset[0].attribute_name,
            )
        return False
    names = params.setdefault("ExpressionAttributeNames", {})
    if GUARD_PLACEHOLDER in names:
        raise ValidationError(
            f"placeholder {GUARD_PLACEHOLDER!r} collides with a library placeholder", code=ERR_INVALID_MODEL
        )
    names[GUARD_PLACEHOLDER] = codec.pk.attribute_name
    condition = params.get("ConditionExpression")
    guard = f"attribute_exists({GUARD_PLACEHOLDER})"
    params["ConditionExpression"] = f"({condition}) AND ({guard})" if condition else guard
    return True


def _failed_on_a_missing_item(exc: ConditionFailedError) -> bool:
    """A guarded update asked for the old item on failure: none came back means there was no item."""
    cause = exc.__cause__
    response = cause.response if isinstance(cause, ClientError) else None
    return isinstance(response, dict) and not response.get("Item")


def send_update(
    ctx: TableContext[T],
    params: dict[str, Any],
    *,
    guarded: bool,
    op_name: str,
    key: Callable[[], Any] = lambda: None,
) -> Op[dict[str, Any]]:
    """Send an UpdateItem; a guarded one failing on a missing item is ``NotFoundError``.

    A conditional update asks for the item on a failed condition: after an attempt whose answer was lost
    that item tells whether the failure is this call's own earlier write (see ``update_recognizer``).
    """
    # An update that adds (ADD, arithmetic, list_append) is sent again after an attempt that may have
    # applied only under a version lock, which the first application makes fail: a caller's condition or
    # the existence guard may still hold, and the retry would add twice.
    retry_safe = not _adds_up(params) or ":lc_expected" in (params.get("ExpressionAttributeValues") or {})
    if "ConditionExpression" in params:
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        write = Write(key, update_recognizer(ctx, params), retry_safe=retry_safe)
    else:
        write = Write(key, retry_safe=retry_safe)
    try:
        response = yield from retried_call(
            ctx.retry, "update_item", params, op_name=op_name, table=ctx.table_name, write=write
        )
    except ConditionFailedError as exc:
        if not guarded or not _failed_on_a_missing_item(exc):
            raise  # the item exists: the caller's condition is false
        raise NotFoundError("item not found: nothing was written", aws_code=exc.aws_code) from exc.__cause__
    return response


# --- recognising this call's own write after a lost answer ----------------------------------------------
#
# When an attempt may have applied (its answer was lost) and the retry fails its condition, the item that
# came back with the failure (ALL_OLD) is compared with what this call wrote. A verdict of ``THEIRS`` is
# given only when this call's write provably did not apply; whatever cannot be decided is ``UNKNOWN``.

_SET_VALUE = re.compile(r"(?:^|, )(#\w+) = (:\w+)(?=, |$)")


def _python_key(codec: ModelCodec, pk: Any, sk: Any) -> Any:
    """A key as callers pass it to ``batch_get``: the pk alone, or ``(pk, sk)``."""
    return pk if codec.sk is None else (pk, sk)


def _sk_of(codec: ModelCodec, item: Any) -> Any:
    return getattr(item, codec.sk.python_name) if codec.sk is not None else None


def _stamped(codec: ModelCodec) -> bool:
    """Whether every write of this model carries its own timestamp (so two writers' items differ)."""
    return any(f.role == "updated_at" for f in codec.lifecycle)


def _version_is(codec: ModelCodec, item: Mapping[str, Any], expected: Mapping[str, Any], step: int) -> bool:
    version = version_field(codec)
    if version is None:
        return False
    stored = item.get(version.attribute_name)
    return isinstance(stored, dict) and av_equal(stored, {"N": str(int(expected["N"]) + step)})


def put_recognizer(
    ctx: TableContext[T], sent: Mapping[str, Any], *, claim: bool
) -> Callable[[Mapping[str, Any] | None], tuple[Verdict, dict[str, Any]]]:
    """A put is ours when the item is the one sent. Another item defeats an if-not-exists claim; after any
    other condition it may have overwritten ours, so that stays undecided."""
    codec = ctx.codec

    def recognize(current: Mapping[str, Any] | None) -> tuple[Verdict, dict[str, Any]]:
        if current is not None and item_equal(current, sent):
            return (OURS if _stamped(codec) else UNKNOWN), {}
        return (THEIRS if claim and current is not None else UNKNOWN), {}

    return recognize


def delete_recognizer(
    ctx: TableContext[T], params: Mapping[str, Any]
) -> Callable[[Mapping[str, Any] | None], tuple[Verdict, dict[str, Any]]]:
    """A delete is done when the item is gone; an item one version past the expected one was updated by
    someone else first (so ours never applied)."""
    codec = ctx.codec

    def recognize(current: Mapping[str, Any] | None) -> tuple[Verdict, dict[str, Any]]:
        expected = (params.get("ExpressionAttributeValues") or {}).get(":lc_expected")
        if current is None:
            return OURS, {}
        if expected is not None and _version_is(codec, current, expected, 1):
            return THEIRS, {}
        return UNKNOWN, {}

    return recognize


def _shows_update(params: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether ``current`` holds every plain ``SET #a = :v`` value of the request and none it REMOVEs."""
    names: Mapping[str, str] = params.get("ExpressionAttributeNames") or {}
    values: Mapping[str, Any] = params.get("ExpressionAttributeValues") or {}
    pieces = _CLAUSE.split(str(params.get("UpdateExpression") or ""))
    for keyword, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if keyword == "SET":
            for name, value in _SET_VALUE.findall(body):
                stored = current.get(names.get(name, name))
                if stored is None or value not in values or not av_equal(stored, values[value]):
                    return False
    _, removed = update_effects(params)
    return not any(attribute in current for attribute in removed)


def _adds_up(params: Mapping[str, Any]) -> bool:
    """Whether applying the update twice differs from applying it once (ADD, arithmetic, list_append)."""
    expression = str(params.get("UpdateExpression") or "")
    return "ADD " in expression or "list_append(" in expression or " + " in expression or " - " in expression


def _update_answer(params: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[Verdict, dict[str, Any]]:
    """The response this update would have had, rebuilt from the item it left."""
    wanted = params.get("ReturnValues") or "NONE"
    if wanted == "ALL_NEW":
        return OURS, {"Attributes": dict(current)}
    if wanted == "UPDATED_NEW":
        written, _ = update_effects(params)
        return OURS, {"Attributes": {a: v for a, v in current.items() if a in written}}
    if wanted == "NONE":
        return OURS, {}
    return UNKNOWN, {}  # the old values it asked for are gone


def update_recognizer(
    ctx: TableContext[T], params: Mapping[str, Any]
) -> Callable[[Mapping[str, Any] | None], tuple[Verdict, dict[str, Any]]]:
    """A versioned update is ours when the item is at ``expected + 1`` with this call's ``updated_at`` and
    values; at ``expected + 1`` with anything else, someone else's update won (ours needed ``expected``).
    Without a version only a match with this call's timestamp decides (ours); nothing proves it theirs."""
    codec = ctx.codec

    def recognize(current: Mapping[str, Any] | None) -> tuple[Verdict, dict[str, Any]]:
        values: Mapping[str, Any] = params.get("ExpressionAttributeValues") or {}
        expected = values.get(":lc_expected")
        stamped = ":lc_now" in values
        if current is None:
            return UNKNOWN, {}
        if expected is not None and not _version_is(codec, current, expected, 1):
            return UNKNOWN, {}
        if not _shows_update(params, current):
            return (THEIRS if expected is not None else UNKNOWN), {}
        if not stamped:
            return UNKNOWN, {}  # another writer could have written these very values
        return _update_answer(params, current)

    return recognize


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
    condition: FilterExpression | None = None,
) -> Op[dict[str, Any]]:
    """The UpdateItem request of ``Table.update`` without ReturnValues nor the existence guard (shared
    with transactions)."""
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
        condition=condition,
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
    *,
    upsert: bool = False,
    op_name: str = "update",
    **kwargs: Any,
) -> Op[T]:
    params = yield from update_request(ctx, pk, sk, updates, **kwargs)
    params["ReturnValues"] = "ALL_NEW"
    guarded = guard_update(ctx, params, upsert=upsert)
    codec = ctx.codec
    response = yield from send_update(
        ctx, params, guarded=guarded, op_name=op_name, key=lambda: _python_key(codec, pk, sk)
    )
    attributes = response.get("Attributes")
    if not attributes:
        raise ValidationError("update returned no attributes", code=ERR_INVALID_MODEL)
    result: T = yield from ctx.read_item(attributes, operation=op_name)
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
        check_whole_item(item, hint="pass fields= with the fields to write, or read the whole item first")
        names = [
            f.python_name
            for f in codec.fields
            if f is not codec.pk
            and f is not codec.sk
            and f.role not in ("created_at", "updated_at", "version")
        ]
    else:
        names = check_names_argument("fields", fields)
    for name in names:  # caller-named fields are checked as update() checks them: validator, then model
        resolve_field(codec, name, security=ctx.security and fields is not None)
    updates = {name: getattr(item, name) for name in names}
    pk, sk, expected_version = instance_key(ctx, item, expected_version)
    result: T = yield from update_op(
        ctx,
        pk,
        sk,
        updates,
        expected_version=expected_version,
        caller_fields=fields is not None,
        op_name="update_item",
        **kwargs,
    )
    return result
