"""``Table[T]``: the synchronous driver. Each method builds a core operation and runs it with botocore."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._context import TableContext, contextualized
from ._core import Op, PreparedRequest, run_explain, run_sync
from ._crud import delete_op, get_op, put_op, update_item_op, update_op
from .cursor import normalize_signing_keys
from .errors import EncryptionNotConfiguredError, ValidationError
from .model import ModelDefinition
from .validation import validate_table_name

if TYPE_CHECKING:
    from .update_builder import UpdateBuilder

__all__ = ["Table"]

T = TypeVar("T")
R = TypeVar("R")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_context(
    model: ModelDefinition[T],
    *,
    table_name: str | None,
    kms_key_arn: str | None,
    rand_bytes: Callable[[int], bytes] | None,
    now: Callable[[], datetime] | None,
    cursor_signing_keys: bytes | Sequence[bytes] | None,
    accept_unsigned_cursors: bool,
    security_validation: bool,
    key_cache: Any = None,
) -> TableContext[T]:
    """Validate the table settings shared by ``Table`` and ``AsyncTable``."""
    if not isinstance(model, ModelDefinition):
        raise ValidationError("Table needs a ModelDefinition (use ModelDefinition.from_dataclass)")
    name = table_name or model.table_name
    if not name:
        raise ValidationError("no table name: pass table_name or set it on the model")
    if security_validation:
        validate_table_name(name)
    arn = (kms_key_arn or "").strip() or None
    if model.codec.encrypted and arn is None:
        raise EncryptionNotConfiguredError(
            "the model has encrypted fields but no kms_key_arn was given", table=name
        )
    return TableContext(
        model=model,
        table_name=name,
        now=now or _utc_now,
        rand_bytes=rand_bytes or os.urandom,
        kms_key_arn=arn,
        key_cache=key_cache,
        security=security_validation,
        signing_keys=normalize_signing_keys(cursor_signing_keys),
        accept_unsigned_cursors=accept_unsigned_cursors,
    )


class Table(Generic[T]):
    """A DynamoDB table holding items of one model ``T``."""

    def __init__(
        self,
        model: ModelDefinition[T],
        *,
        client: Any | None = None,
        table_name: str | None = None,
        kms_key_arn: str | None = None,
        kms_client: Any | None = None,
        rand_bytes: Callable[[int], bytes] | None = None,
        now: Callable[[], datetime] | None = None,
        cursor_signing_keys: bytes | Sequence[bytes] | None = None,
        accept_unsigned_cursors: bool = False,
        security_validation: bool = True,
        data_key_cache: Any = None,
    ) -> None:
        self._ctx = build_context(
            model,
            table_name=table_name,
            kms_key_arn=kms_key_arn,
            rand_bytes=rand_bytes,
            now=now,
            cursor_signing_keys=cursor_signing_keys,
            accept_unsigned_cursors=accept_unsigned_cursors,
            security_validation=security_validation,
            key_cache=data_key_cache,
        )
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        if kms_client is None and self._ctx.kms_key_arn is not None:
            import boto3

            kms_client = boto3.client("kms")
        self._client = client
        self._kms_client = kms_client

    # properties ------------------------------------------------------------------------------------

    @property
    def model(self) -> ModelDefinition[T]:
        return self._ctx.model

    @property
    def table_name(self) -> str:
        return self._ctx.table_name

    @property
    def client(self) -> Any:
        return self._client

    @property
    def explain(self) -> Explain[T]:
        """Request previews: ``table.explain.put(item)`` returns the request without sending it."""
        return Explain(self._ctx)

    def __repr__(self) -> str:
        return f"Table({self.model.name}, table_name={self.table_name!r})"

    # driver ----------------------------------------------------------------------------------------

    def _run(self, op: Op[R], operation: str, *, sleep: Callable[[float], None] | None = time.sleep) -> R:
        clients = {"dynamodb": self._client, "kms": self._kms_client}
        return run_sync(
            contextualized(op, operation=operation, table=self.table_name), clients=clients, sleep=sleep
        )

    # single-item operations ------------------------------------------------------------------------

    def put(
        self,
        item: T,
        *,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        if_not_exists: bool = False,
    ) -> T:
        """Write ``item``; returns a copy carrying the lifecycle values written."""
        return self._run(
            put_op(
                self._ctx,
                item,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                if_not_exists=if_not_exists,
            ),
            "put",
        )

    def get(self, pk: Any, sk: Any = None, *, consistent_read: bool = False) -> T:
        """Read one item; a miss raises ``NotFoundError``."""
        return self._run(get_op(self._ctx, pk, sk, consistent_read=consistent_read), "get")

    def delete(
        self,
        pk: Any,
        sk: Any = None,
        *,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Delete one item (deleting a missing item is not an error)."""
        self._run(
            delete_op(
                self._ctx,
                pk,
                sk,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
            ),
            "delete",
        )

    def update(
        self,
        pk: Any,
        sk: Any,
        updates: Mapping[str, Any],
        *,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> T:
        """Update fields of one item and return the whole new item."""
        return self._run(
            update_op(
                self._ctx,
                pk,
                sk,
                updates,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
            ),
            "update",
        )

    def update_item(
        self,
        item: T,
        fields: Sequence[str] | None = None,
        *,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> T:
        """``update`` with the key and values read from ``item`` (all non-key fields by default)."""
        return self._run(
            update_item_op(
                self._ctx,
                item,
                fields,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
            ),
            "update_item",
        )

    def update_builder(self, pk: Any, sk: Any = None) -> UpdateBuilder[T]:
        """A fluent update of one item."""
        from .update_builder import UpdateBuilder

        return UpdateBuilder(self, pk, sk)


class Explain(Generic[T]):
    """``table.explain``: the exact requests operations would send, without I/O (api.md §3.7)."""

    def __init__(self, ctx: TableContext[T]) -> None:
        self._ctx = ctx

    def _one(self, build: Callable[[TableContext[T]], Op[Any]], operation: str) -> PreparedRequest:
        requests = self._all(build, operation, collect_all=False)
        return requests[0]

    def _all(
        self, build: Callable[[TableContext[T]], Op[Any]], operation: str, *, collect_all: bool = True
    ) -> list[PreparedRequest]:
        import dataclasses

        log: list[str] = []
        ctx = dataclasses.replace(self._ctx, explain_log=log)
        requests = run_explain(
            contextualized(build(ctx), operation=operation, table=ctx.table_name), collect_all=collect_all
        )
        encrypted = tuple(dict.fromkeys(log))
        return [dataclasses.replace(r, encrypted_attributes=encrypted) for r in requests]

    def put(self, item: T, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: put_op(ctx, item, **kwargs), "put")

    def get(self, pk: Any, sk: Any = None, *, consistent_read: bool = False) -> PreparedRequest:
        return self._one(lambda ctx: get_op(ctx, pk, sk, consistent_read=consistent_read), "get")

    def delete(self, pk: Any, sk: Any = None, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: delete_op(ctx, pk, sk, **kwargs), "delete")

    def update(self, pk: Any, sk: Any, updates: Mapping[str, Any], **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: update_op(ctx, pk, sk, updates, **kwargs), "update")

    def update_item(self, item: T, fields: Sequence[str] | None = None, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: update_item_op(ctx, item, fields, **kwargs), "update_item")
