"""What every table operation needs: the model, names, clock, randomness, KMS settings, and helpers that
seal and open encrypted attributes inside an operation."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from .._blocks.codec import AV, ModelCodec
from .._blocks.cursor import normalize_signing_keys
from .._blocks.key_cache import DataKeyCache
from .._blocks.matching import item_matches, matched_attributes, split_matching
from .._blocks.model import ModelDefinition
from .._blocks.partial_reads import mark_partial
from .._blocks.retry_policy import DEFAULT_POLICY, RetryPolicy
from ..errors import (
    ERR_INVALID_VALUE,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ValidationError,
)
from ..validation import validate_table_name
from .effects import Op
from .pacing import Limiter, check_limiter

__all__ = [
    "EXPLAIN_ENVELOPE",
    "TableContext",
    "build_context",
    "contextualized",
    "utc_now",
]

T = TypeVar("T")
R = TypeVar("R")

# What explain() shows in place of an envelope: producing a real one needs KMS, and explain does no I/O.
EXPLAIN_ENVELOPE: AV = {"M": {"v": {"N": "1"}, "edk": {"B": b""}, "nonce": {"B": b""}, "ct": {"B": b""}}}


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
    # Admits each DynamoDB request (dynamorm_py.protection); the drivers wrap operations with it.
    limiter: Limiter | None = None
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
        """Encrypt one attribute value (an envelope in, docs/wire-format.md §3)."""
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

    # entity matching (models sharing a table) ------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.model.name or self.model.model_type.__name__

    def recognizes(self, item: Mapping[str, AV]) -> bool:
        """Whether a stored item is one of the model's (always, for a model without ``matches``)."""
        matches = self.model.matches
        return matches is None or item_matches(matches, item, self.model_name)

    def recognize(
        self, items: Sequence[Mapping[str, AV]]
    ) -> tuple[list[Mapping[str, AV]], tuple[dict[str, AV], ...]]:
        """The model's items of a page, and the raw items of other entity types."""
        matches = self.model.matches
        if matches is None:
            return list(items), ()
        return split_matching(matches, items, self.model_name)

    def not_this_model(self) -> str:
        """Why an item read by key is refused (no values)."""
        return f"the stored item is not a {self.model_name}: the model's matches predicate rejected it"

    def project_for_matches(self, expression: str, names: dict[str, str]) -> str:
        """A projection extended with the attributes the model's matcher reads, so that a projected read
        still tells the model's items apart. A plain predicate's needs are unknown: it sees what is projected.
        ``names`` is extended in place."""
        needed = matched_attributes(self.model.matches) or ()
        projected = set(names.values())
        extra = [attribute for attribute in needed if attribute not in projected]
        for index, attribute in enumerate(extra):
            placeholder = f"#match{index}"
            names[placeholder] = attribute
            expression += f", {placeholder}"
        return expression

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


def contextualized(op: Op[R], *, operation: str, table: str | None) -> Op[R]:
    """Run ``op``, stamping the operation and table on any library error that escapes it (``table`` is
    ``None`` for an operation spanning several tables)."""
    try:
        return (yield from op)
    except DynamormPyError as exc:
        exc.with_context(operation=operation, table=table)
        raise


def utc_now() -> datetime:
    """The default clock of every table: aware UTC."""
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
    retry_policy: RetryPolicy | None = None,
    limiter: Any = None,
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
    if key_cache is not None and not isinstance(key_cache, DataKeyCache):
        raise ValidationError(
            "data_key_cache must be a dynamorm_py.encryption.DataKeyCache or None",
            code=ERR_INVALID_VALUE,
            table=name,
        )
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise ValidationError(
            "retry_policy must be a dynamorm_py.RetryPolicy or None",
            code=ERR_INVALID_VALUE,
            table=name,
            field="retry_policy",
        )
    checked_limiter = check_limiter(limiter, table=name)
    try:
        signing_keys = normalize_signing_keys(cursor_signing_keys)
    except ValidationError as exc:
        exc.with_context(table=name)
        raise
    return TableContext(
        model=model,
        table_name=name,
        now=now or utc_now,
        rand_bytes=rand_bytes or os.urandom,
        kms_key_arn=arn,
        key_cache=key_cache,
        security=security_validation,
        signing_keys=signing_keys,
        accept_unsigned_cursors=accept_unsigned_cursors,
        retry=retry_policy or DEFAULT_POLICY,
        limiter=checked_limiter,
    )
