"""DynamoDB Streams records: typed stream records whose images decode and decrypt like a normal read.

A record comes either from Lambda (typed JSON with B/BS as base64, ``ApproximateCreationDateTime`` in epoch
seconds) or from the ``dynamodbstreams`` GetRecords API (B/BS as ``bytes``, a ``datetime``); both shapes are
accepted (docs/wire-format.md §8.6). Each image goes through the read pipeline of a ``get`` (§5.7): encrypted
attributes are opened with KMS, then the model's codec decodes the item. An encrypted attribute present in an
image without a KMS key configured raises ``EncryptionNotConfiguredError``: an envelope is never returned as a
field value (docs/wire-format.md §3.5).

For a model with ``matches`` (several entity types in one table), a record of another entity type is never
decoded as this model: ``parse_stream_record`` and ``unmarshal_stream_*`` raise ``ValidationError``
(ErrUnrecognizedItem), ``parse_stream_event`` leaves it out and lists it in the result's ``skipped``.

Decoding is a sans-I/O operation in ``dynamorm_py._core.streams`` (``stream_record_op`` / ``stream_event_op``
yield the KMS Decrypt calls), so the sync functions here, ``Table`` and ``AsyncTable`` share it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from ._blocks.model import ModelDefinition
from ._core.context import TableContext, utc_now
from ._core.effects import Op
from ._core.streams import (
    EVENT_OPERATION,
    OPERATION,
    StreamRecord,
    StreamRecords,
    record_image_op,
    stamped,
    stream_event_op,
    stream_image_op,
    stream_record_op,
)
from ._drivers.sync import run_sync
from .errors import DynamormPyError, ValidationError

__all__ = [
    "StreamRecord",
    "StreamRecords",
    "parse_stream_event",
    "parse_stream_record",
    "unmarshal_stream_image",
    "unmarshal_stream_record",
]

T = TypeVar("T")
R = TypeVar("R")


class _KmsClients(Mapping[str, Any]):
    """The clients ``run_sync`` needs: KMS only, created with ``boto3.client("kms")`` on first use."""

    def __init__(self, kms_client: Any) -> None:
        self._kms = kms_client

    def __getitem__(self, service: str) -> Any:
        if service != "kms":
            raise KeyError(service)
        if self._kms is None:
            import boto3

            self._kms = boto3.client("kms")
        return self._kms

    def __iter__(self) -> Iterator[str]:
        return iter(("kms",))

    def __len__(self) -> int:
        return 1


def _stream_context(model: ModelDefinition[T], kms_key_arn: str | None, *, operation: str) -> TableContext[T]:
    """The read settings of a model outside a ``Table``.

    Unlike a ``Table``, a model with encrypted fields and no key is accepted here: only an image that holds an
    encrypted attribute needs the key, and it raises ``EncryptionNotConfiguredError`` without one.
    """
    if not isinstance(model, ModelDefinition):
        raise ValidationError(
            "stream decoding needs a ModelDefinition (use ModelDefinition.from_dataclass)",
            operation=operation,
        )
    return TableContext(
        model=model,
        table_name=model.table_name or "",
        now=utc_now,
        rand_bytes=os.urandom,
        kms_key_arn=(kms_key_arn or "").strip() or None,
    )


def _run(op: Op[R], ctx: TableContext[Any], kms_client: Any, operation: str) -> R:
    try:
        return run_sync(stamped(op, operation), clients=_KmsClients(kms_client), sleep=None)
    except DynamormPyError as exc:
        if exc.table == "":
            exc.table = None  # the model names no table: report none rather than the empty placeholder
        exc.with_context(table=ctx.table_name or None)
        raise


def unmarshal_stream_image(
    model: ModelDefinition[T],
    stream_image: Mapping[str, Any],
    *,
    kms_key_arn: str | None = None,
    kms_client: Any | None = None,
) -> T:
    """Decode one typed-JSON image (base64 or raw bytes for B/BS) into ``T``, decrypting encrypted fields."""
    operation = "unmarshal_stream_image"
    ctx = _stream_context(model, kms_key_arn, operation=operation)
    return _run(stream_image_op(ctx, stream_image, operation=operation), ctx, kms_client, operation)


def unmarshal_stream_record(
    model: ModelDefinition[T],
    record: Mapping[str, Any],
    *,
    image: str = "NewImage",
    kms_key_arn: str | None = None,
    kms_client: Any | None = None,
) -> T | None:
    """Decode ``record["dynamodb"][image]`` into ``T``; ``None`` when the record has no such image.

    ``image`` is ``NewImage``, ``OldImage`` or ``Keys``.
    """
    operation = "unmarshal_stream_record"
    ctx = _stream_context(model, kms_key_arn, operation=operation)
    op = record_image_op(ctx, record, image, operation=operation)
    return _run(op, ctx, kms_client, operation)


def parse_stream_record(
    model: ModelDefinition[T],
    record: Mapping[str, Any],
    *,
    kms_key_arn: str | None = None,
    kms_client: Any | None = None,
) -> StreamRecord[T]:
    """Decode one stream record (Lambda or GetRecords shape) into a typed ``StreamRecord[T]``.

    With ``kms_key_arn``, encrypted attributes are decrypted (``kms_client`` defaults to
    ``boto3.client("kms")``, created on the first Decrypt); without one, an encrypted attribute present in an
    image raises ``EncryptionNotConfiguredError``.
    """
    ctx = _stream_context(model, kms_key_arn, operation=OPERATION)
    return _run(stream_record_op(ctx, record), ctx, kms_client, OPERATION)


def parse_stream_event(
    model: ModelDefinition[T],
    event: Mapping[str, Any],
    *,
    kms_key_arn: str | None = None,
    kms_client: Any | None = None,
) -> StreamRecords[T]:
    """Decode every record of a Lambda stream event ``{"Records": [...]}``, in order.

    For a model with ``matches``, records of other entity types sharing the table are not errors: they are
    left out of the list and reported, raw, in its ``skipped`` attribute (``parse_stream_record`` raises
    ``ValidationError`` with code ErrUnrecognizedItem on such a record).
    """
    ctx = _stream_context(model, kms_key_arn, operation=EVENT_OPERATION)
    return _run(stream_event_op(ctx, event), ctx, kms_client, EVENT_OPERATION)
