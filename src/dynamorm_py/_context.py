"""What every table operation needs: the model, names, clock, randomness, KMS settings, and helpers that
seal and open encrypted attributes inside an operation."""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ._attempts import DEFAULT_POLICY, RetryPolicy
from ._core import Op
from .codec import AV, ModelCodec
from .errors import (
    ERR_INVALID_VALUE,
    ERR_PARTIAL_ITEM,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ValidationError,
)
from .model import ModelDefinition

__all__ = [
    "EXPLAIN_ENVELOPE",
    "TableContext",
    "check_whole_item",
    "contextualized",
    "is_partial",
    "mark_partial",
]

T = TypeVar("T")
R = TypeVar("R")

# What explain() shows in place of an envelope: producing a real one needs KMS (api.md §3.7).
EXPLAIN_ENVELOPE: AV = {"M": {"v": {"N": "1"}, "edk": {"B": b""}, "nonce": {"B": b""}, "ct": {"B": b""}}}


# --- instances read through a projection ---------------------------------------------------------------
#
# Such an instance holds defaults where the read did not load the real values, so writing it back whole
# would erase them. Its mark lives where it survives the instance's own life and costs nothing elsewhere:
# in the instance ``__dict__`` (frozen dataclasses too; copies keep it, ``dataclasses.replace`` makes a new,
# unmarked instance), else, for ``slots=True`` classes, in a registry keyed by ``id`` that holds a weak
# reference, or, when the class has no ``__weakref__`` slot either, the instance itself for the most recent
# ``_MAX_STRONG_MARKS`` marks (an ``id`` is only trusted while its object is alive).

_PARTIAL_ATTRIBUTE = "_dynamorm_partial_read"
_MAX_STRONG_MARKS = 4096
_marks_lock = threading.Lock()
_weak_marks: dict[int, weakref.ref[Any]] = {}
_strong_marks: OrderedDict[int, Any] = OrderedDict()
_any_marked = False  # lets every put skip the lookup until a projected read has happened


def _forgetter(key: int) -> Callable[[weakref.ref[Any]], None]:
    def forget(ref: weakref.ref[Any]) -> None:
        with _marks_lock:
            if _weak_marks.get(key) is ref:
                del _weak_marks[key]

    return forget


def mark_partial(instances: Iterable[Any]) -> None:
    """Mark instances decoded from items that lack attributes of the model (projected reads)."""
    global _any_marked
    _any_marked = True
    for instance in instances:
        state = getattr(instance, "__dict__", None)
        if isinstance(state, dict):
            state[_PARTIAL_ATTRIBUTE] = True
            continue
        key = id(instance)
        try:
            ref = weakref.ref(instance, _forgetter(key))
        except TypeError:  # slots without __weakref__
            with _marks_lock:
                _strong_marks[key] = instance
                _strong_marks.move_to_end(key)
                while len(_strong_marks) > _MAX_STRONG_MARKS:
                    _strong_marks.popitem(last=False)
            continue
        with _marks_lock:
            _weak_marks[key] = ref


def is_partial(instance: Any) -> bool:
    """Whether ``instance`` came from a projected read (and so may hold defaults instead of values)."""
    if not _any_marked:
        return False
    state = getattr(instance, "__dict__", None)
    if isinstance(state, dict):
        return _PARTIAL_ATTRIBUTE in state
    key = id(instance)
    ref = _weak_marks.get(key)
    if ref is not None:
        return ref() is instance
    return _strong_marks.get(key) is instance


def check_whole_item(instance: Any, *, hint: str) -> None:
    """Refuse a whole-item write of an instance read through a projection (it would erase real values)."""
    if _any_marked and is_partial(instance):
        raise ValidationError(
            f"this instance was read through a projection and lacks real values for the fields not "
            f"loaded; writing it whole would overwrite them: {hint}",
            code=ERR_PARTIAL_ITEM,
        )


@dataclass(frozen=True)
class TableContext(Generic[T]):
    """Settings of one table, shared by every operation of its sync and async drivers."""

    model: ModelDefinition[T]
    table_name: str
    now: Callable[[], datetime]
    rand_bytes: Callable[[int], bytes]
    kms_key_arn: str | None = None
    key_cache: Any = None
    security: bool = True
    signing_keys: tuple[bytes, ...] = ()
    accept_unsigned_cursors: bool = False
    retry: RetryPolicy = DEFAULT_POLICY
    # Set by explain(): encryption is rendered as EXPLAIN_ENVELOPE and the attribute recorded here.
    explain_log: list[str] | None = field(default=None, compare=False)

    @property
    def codec(self) -> ModelCodec:
        return self.model.codec

    def read_clock(self) -> datetime:
        """The operation's single *now*; a naive clock result is rejected."""
        now = self.now()
        if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
            raise ValidationError("the table clock returned a naive datetime", code=ERR_INVALID_VALUE)
        return now

    def require_key(self, operation: str) -> str:
        if not self.kms_key_arn:
            raise EncryptionNotConfiguredError(
                "the model has encrypted fields but no KMS key ARN is configured",
                operation=operation,
                table=self.table_name,
            )
        return self.kms_key_arn

    def seal(self, av: AV, attribute: str, *, operation: str) -> Op[AV]:
        """Encrypt one attribute value (an envelope in, wire-format.md §3)."""
        if self.explain_log is not None:
            self.explain_log.append(attribute)
            return copy.deepcopy(EXPLAIN_ENVELOPE)  # a fresh copy: callers may edit the request they got
        from .encryption import encrypt_av

        sealed: AV = yield from encrypt_av(
            av,
            attr_name=attribute,
            kms_key_arn=self.require_key(operation),
            rand_bytes=self.rand_bytes,
            key_source=self.key_cache,
            operation=operation,
            table=self.table_name,
            retry_policy=self.retry,
        )
        return sealed

    def seal_item(self, item: dict[str, AV], attributes: Sequence[str], *, operation: str) -> Op[None]:
        for attribute in attributes:
            item[attribute] = yield from self.seal(item[attribute], attribute, operation=operation)

    def seal_values(self, values: dict[str, AV], pending: Mapping[str, str], *, operation: str) -> Op[None]:
        """Encrypt expression values (placeholder -> attribute) in place."""
        for placeholder, attribute in pending.items():
            values[placeholder] = yield from self.seal(values[placeholder], attribute, operation=operation)

    def open_item(self, item: Mapping[str, AV], *, operation: str) -> Op[dict[str, AV]]:
        """Decrypt every encrypted attribute of a stored item (a copy is returned)."""
        encrypted = self.codec.encrypted
        if not encrypted or not any(name in item for name in encrypted):
            return dict(item)
        from .encryption import decrypt_av

        opened = dict(item)
        for attribute in encrypted:
            stored = opened.get(attribute)
            if stored is None:
                continue
            opened[attribute] = yield from decrypt_av(
                stored,
                attr_name=attribute,
                kms_key_arn=self.require_key(operation),
                key_source=self.key_cache,
                operation=operation,
                table=self.table_name,
                retry_policy=self.retry,
            )
        return opened

    def read_item(self, item: Mapping[str, AV], *, operation: str, partial: bool = False) -> Op[T]:
        """Decrypt and decode a stored item into a model instance; ``partial`` marks it as projected."""
        opened = yield from self.open_item(item, operation=operation)
        decoded: T = self.codec.decode_item(opened)
        if partial:
            mark_partial((decoded,))
        return decoded

    def read_items(
        self, items: Sequence[Mapping[str, AV]], *, operation: str, partial: bool = False
    ) -> Op[list[T]]:
        """``read_item`` over the items of a page; a model without encrypted fields decodes in one pass."""
        codec = self.codec
        if not codec.encrypted:
            decoded: list[T] = codec.decode_items(items)
        else:
            decoded = []
            for item in items:
                decoded.append((yield from self.read_item(item, operation=operation)))
        if partial:
            mark_partial(decoded)
        return decoded

    def projects(self, attributes: Iterable[str]) -> bool:
        """Whether a read returning only ``attributes`` can leave fields of the model unloaded."""
        loaded = set(attributes)
        return any(f.attribute_name not in loaded for f in self.codec.fields)

    def reads_partially(self, params: Mapping[str, Any]) -> bool:
        """Whether a Query/Scan/Get request can return items lacking attributes of the model: it has a
        ProjectionExpression, or reads an index that does not project every attribute."""
        expression = params.get("ProjectionExpression")
        if expression:
            names = params.get("ExpressionAttributeNames") or {}
            return self.projects(names.get(p.strip(), p.strip()) for p in str(expression).split(","))
        index_name = params.get("IndexName")
        if not index_name:
            return False
        index = next((i for i in self.model.indexes if i.name == index_name), None)
        if index is None or index.projection.type == "ALL":
            return False
        codec = self.codec
        keys = [f.attribute_name for f in (codec.pk, codec.sk) if f is not None]
        keys += [index.partition] + ([index.sort] if index.sort else [])
        if index.projection.type == "INCLUDE":
            keys += list(index.projection.fields)
        return self.projects(keys)


def contextualized(op: Op[R], *, operation: str, table: str) -> Op[R]:
    """Run ``op``, stamping the operation and table on any library error that escapes it."""
    try:
        return (yield from op)
    except DynamormPyError as exc:
        exc.with_context(operation=operation, table=table)
        raise
