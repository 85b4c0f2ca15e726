"""Stream operations: Streams records and Lambda events decoded into typed records, yielding KMS calls.

A record comes either from Lambda (typed JSON with B/BS as base64, ``ApproximateCreationDateTime`` in epoch
seconds) or from the ``dynamodbstreams`` GetRecords API (B/BS as ``bytes``, a ``datetime``); both shapes are
accepted (docs/wire-format.md §8.6). Each image goes through the read pipeline of a ``get`` (§5.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Generic, Literal, TypeVar

from .._blocks.codec import AV, FieldCodec
from .._blocks.typed_json import typed_json_map_to_av
from ..errors import ERR_INVALID_VALUE, ERR_UNRECOGNIZED_ITEM, DynamormPyError, ValidationError
from .context import TableContext
from .effects import Op

__all__ = [
    "EVENT_OPERATION",
    "OPERATION",
    "StreamRecord",
    "StreamRecords",
    "record_image_op",
    "stamped",
    "stream_event_op",
    "stream_image_op",
    "stream_record_op",
]

T = TypeVar("T")
R = TypeVar("R")

EventName = Literal["INSERT", "MODIFY", "REMOVE"]

OPERATION: Final = "parse_stream_record"
EVENT_OPERATION: Final = "parse_stream_event"
_EVENT_NAMES: Final[tuple[EventName, ...]] = ("INSERT", "MODIFY", "REMOVE")
_IMAGES: Final = ("NewImage", "OldImage", "Keys")
# Who deletes an item whose TTL expired (docs/wire-format.md §8.6).
_TTL_PRINCIPAL: Final = "dynamodb.amazonaws.com"
_TTL_IDENTITY_TYPE: Final = "Service"


@dataclass(frozen=True)
class StreamRecord(Generic[T]):
    """One decoded stream record: its keys, its new and old images as model instances, and its metadata."""

    event_name: EventName
    keys: dict[str, Any]  # py-field name -> decoded key value
    new: T | None  # NewImage decoded, None if absent
    old: T | None  # OldImage decoded, None if absent
    event_id: str | None
    event_source_arn: str | None
    approximate_creation_time: datetime | None  # aware UTC
    sequence_number: str | None
    size_bytes: int | None
    stream_view_type: str | None  # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
    user_identity: dict[str, Any] | None
    raw: Mapping[str, Any] = field(repr=False)  # the record as given; it holds envelopes, so not in repr

    @property
    def is_ttl_expiry(self) -> bool:
        """A REMOVE made by DynamoDB's TTL process (principal ``dynamodb.amazonaws.com``, type ``Service``).

        Lambda spells the identity keys ``type``/``principalId``, the GetRecords API ``Type``/``PrincipalId``.
        """
        identity = self.user_identity
        if self.event_name != "REMOVE" or identity is None:
            return False
        kind = identity.get("type", identity.get("Type"))
        principal = identity.get("principalId", identity.get("PrincipalId"))
        return kind == _TTL_IDENTITY_TYPE and principal == _TTL_PRINCIPAL


class StreamRecords(list[StreamRecord[T]], Generic[T]):
    """The decoded records of a stream event, in order; a plain list with one more attribute.

    ``skipped`` holds the raw records (as given) that the model's ``matches`` predicate rejected: records
    of other entity types sharing the table. A handler can pass them to another model's parser, or report
    them by ``eventID``. Always empty for a model without ``matches``.
    """

    skipped: tuple[Mapping[str, Any], ...]

    def __init__(self, records: list[StreamRecord[T]], skipped: tuple[Mapping[str, Any], ...] = ()) -> None:
        super().__init__(records)
        self.skipped = skipped

    def __repr__(self) -> str:
        # The skipped records hold item values (and envelopes): counted, never shown.
        return f"StreamRecords({super().__repr__()}, skipped={len(self.skipped)})"


# Shape checks


def _invalid(message: str, *, operation: str = OPERATION) -> ValidationError:
    return ValidationError(message, code=ERR_INVALID_VALUE, operation=operation)


def _image_av(image: Any, *, operation: str) -> dict[str, AV]:
    """A typed-JSON image (base64 or raw bytes for B/BS) as attribute name -> AV."""
    if not isinstance(image, Mapping):
        raise _invalid(
            "a stream image must be an object of attribute name to typed value", operation=operation
        )
    return typed_json_map_to_av(image, raw_binary=True, code=ERR_INVALID_VALUE, operation=operation)


def _stream_body(record: Any, *, operation: str) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise _invalid("a stream record must be an object", operation=operation)
    body = record.get("dynamodb")
    if not isinstance(body, Mapping):
        raise _invalid("the stream record has no 'dynamodb' map", operation=operation)
    return body


def _optional_text(source: Mapping[str, Any], key: str) -> str | None:
    value = source.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _invalid(f"the stream record's {key!r} must be a string")


def _size_bytes(body: Mapping[str, Any]) -> int | None:
    value = body.get("SizeBytes")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("the stream record's 'SizeBytes' must be an integer")
    return value


def _creation_time(body: Mapping[str, Any]) -> datetime | None:
    """Epoch seconds (Lambda) or a ``datetime`` (GetRecords; a naive one is taken as UTC), as aware UTC."""
    value = body.get("ApproximateCreationDateTime")
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _invalid(
            "the stream record's 'ApproximateCreationDateTime' must be epoch seconds or a datetime"
        )
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise _invalid("the stream record's 'ApproximateCreationDateTime' is out of range") from None


def _user_identity(record: Mapping[str, Any]) -> dict[str, Any] | None:
    value = record.get("userIdentity")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid("the stream record's 'userIdentity' must be an object")
    return dict(value)


def _event_name(record: Mapping[str, Any]) -> EventName:
    name = record.get("eventName")
    for known in _EVENT_NAMES:
        if name == known:
            return known
    raise _invalid("the stream record's 'eventName' must be INSERT, MODIFY or REMOVE")


# Sans-I/O operations


def _decode_key(key_field: FieldCodec, av: AV) -> Any:
    try:
        return key_field.decode(av)
    except ValidationError as exc:
        exc.field = key_field.attribute_name
        raise
    except (TypeError, ValueError, KeyError, AttributeError):
        raise ValidationError(
            f"key attribute {key_field.attribute_name!r} cannot be read as its annotation",
            code=ERR_INVALID_VALUE,
            field=key_field.attribute_name,
        ) from None


def _decode_keys(ctx: TableContext[T], keys: Mapping[str, AV]) -> dict[str, Any]:
    """Every key attribute of the model present in ``Keys``, by py-field name."""
    codec = ctx.codec
    decoded: dict[str, Any] = {}
    for key_field in (codec.pk, codec.sk):
        if key_field is not None and key_field.attribute_name in keys:
            decoded[key_field.python_name] = _decode_key(key_field, keys[key_field.attribute_name])
    return decoded


def stamped(op: Op[R], operation: str) -> Op[R]:
    """Stamp ``operation`` on library errors that escape ``op`` without one."""
    try:
        return (yield from op)
    except DynamormPyError as exc:
        exc.with_context(operation=operation)
        raise


def _unrecognized(ctx: TableContext[Any], *, operation: str) -> ValidationError:
    return ValidationError(
        f"the stream record holds an item that is not a {ctx.model_name}: the model's matches predicate "
        "rejected it",
        code=ERR_UNRECOGNIZED_ITEM,
        operation=operation,
    )


def _recognized(ctx: TableContext[Any], images: Mapping[str, dict[str, AV]]) -> bool:
    """Whether a record is of the model: every image it carries must match; a record without images (a
    KEYS_ONLY stream) is judged on its keys, so only a key-based predicate can accept it."""
    tested = [images[name] for name in ("NewImage", "OldImage") if name in images]
    if not tested and "Keys" in images:
        tested = [images["Keys"]]
    return all(ctx.recognizes(item) for item in tested)


def stream_image_op(ctx: TableContext[T], image: Any, *, operation: str = OPERATION) -> Op[T]:
    """Decode one typed-JSON image into a model instance: decrypt, then the codec (docs/wire-format.md §5.7).

    An image the model's ``matches`` predicate rejects is ``ValidationError`` (ErrUnrecognizedItem)."""
    item = _image_av(image, operation=operation)
    if ctx.model.matches is not None and not ctx.recognizes(item):
        raise _unrecognized(ctx, operation=operation)
    result: T = yield from stamped(ctx.read_item(item, operation=operation), operation)
    return result


def record_image_op(ctx: TableContext[T], record: Any, image: str, *, operation: str) -> Op[T | None]:
    """One image of a record decoded, or ``None`` when the record does not carry it."""
    if image not in _IMAGES:
        raise _invalid("image must be 'NewImage', 'OldImage' or 'Keys'", operation=operation)
    body = _stream_body(record, operation=operation)
    if body.get(image) is None:
        return None
    result: T = yield from stream_image_op(ctx, body[image], operation=operation)
    return result


def _record_op(ctx: TableContext[T], record: Any, *, skip: bool = False) -> Op[StreamRecord[T] | None]:
    """One record decoded; a record of another entity type is an error, or ``None`` when ``skip``."""
    body = _stream_body(record, operation=OPERATION)
    event_name = _event_name(record)
    # Every shape is checked, and the keys decoded, before the first KMS call.
    images = {
        name: _image_av(body[name], operation=OPERATION) for name in _IMAGES if body.get(name) is not None
    }
    if ctx.model.matches is not None and not _recognized(ctx, images):
        if skip:
            return None
        raise _unrecognized(ctx, operation=OPERATION)
    shell: StreamRecord[T] = StreamRecord(
        event_name=event_name,
        keys=_decode_keys(ctx, images["Keys"]) if "Keys" in images else {},
        new=None,
        old=None,
        event_id=_optional_text(record, "eventID"),
        event_source_arn=_optional_text(record, "eventSourceARN"),
        approximate_creation_time=_creation_time(body),
        sequence_number=_optional_text(body, "SequenceNumber"),
        size_bytes=_size_bytes(body),
        stream_view_type=_optional_text(body, "StreamViewType"),
        user_identity=_user_identity(record),
        raw=record,
    )
    new: T | None = None
    old: T | None = None
    if "NewImage" in images:
        new = yield from ctx.read_item(images["NewImage"], operation=OPERATION)
    if "OldImage" in images:
        old = yield from ctx.read_item(images["OldImage"], operation=OPERATION)
    return replace(shell, new=new, old=old)


def stream_record_op(ctx: TableContext[T], record: Any) -> Op[StreamRecord[T]]:
    """Decode one stream record (Lambda or GetRecords shape) into a ``StreamRecord``.

    A record the model's ``matches`` predicate rejects is ``ValidationError`` (ErrUnrecognizedItem)."""
    result = yield from stamped(_record_op(ctx, record), OPERATION)
    if result is None:  # _record_op raises instead, unless asked to skip
        raise _unrecognized(ctx, operation=OPERATION)
    return result


def _event_records(event: Any) -> list[Any]:
    if not isinstance(event, Mapping):
        raise _invalid("a stream event must be an object with a 'Records' list", operation=EVENT_OPERATION)
    records = event.get("Records")
    if not isinstance(records, list | tuple):
        raise _invalid("a stream event must have a 'Records' list", operation=EVENT_OPERATION)
    return list(records)


def stream_event_op(ctx: TableContext[T], event: Any) -> Op[StreamRecords[T]]:
    """Decode every record of a Lambda event ``{"Records": [...]}``, in order; records the model's
    ``matches`` predicate rejects are left out and listed, raw, in ``skipped``."""
    parsed: list[StreamRecord[T]] = []
    skipped: list[Mapping[str, Any]] = []
    for record in _event_records(event):
        decoded = yield from stamped(_record_op(ctx, record, skip=True), OPERATION)
        if decoded is None:
            skipped.append(record)
        else:
            parsed.append(decoded)
    return StreamRecords(parsed, tuple(skipped))


# Users import these from dynamorm_py.streams: tracebacks, reprs and pickles name that module.
StreamRecord.__module__ = "dynamorm_py.streams"
StreamRecords.__module__ = "dynamorm_py.streams"
