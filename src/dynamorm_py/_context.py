"""What every table operation needs: the model, names, clock, randomness, KMS settings, and helpers that
seal and open encrypted attributes inside an operation."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ._core import Op
from .codec import AV, ModelCodec
from .errors import ERR_INVALID_VALUE, DynamormPyError, EncryptionNotConfiguredError, ValidationError
from .model import ModelDefinition

__all__ = ["EXPLAIN_ENVELOPE", "TableContext", "contextualized"]

T = TypeVar("T")
R = TypeVar("R")

# What explain() shows in place of an envelope: producing a real one needs KMS (api.md §3.7).
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
            )
        return opened

    def read_item(self, item: Mapping[str, AV], *, operation: str) -> Op[T]:
        """Decrypt and decode a stored item into a model instance."""
        opened = yield from self.open_item(item, operation=operation)
        decoded: T = self.codec.decode_item(opened)
        return decoded

    def read_items(self, items: Sequence[Mapping[str, AV]], *, operation: str) -> Op[list[T]]:
        """``read_item`` over the items of a page; a model without encrypted fields decodes in one pass."""
        codec = self.codec
        if not codec.encrypted:
            decoded: list[T] = codec.decode_items(items)
            return decoded
        decoded = []
        for item in items:
            decoded.append((yield from self.read_item(item, operation=operation)))
        return decoded


def contextualized(op: Op[R], *, operation: str, table: str) -> Op[R]:
    """Run ``op``, stamping the operation and table on any library error that escapes it."""
    try:
        return (yield from op)
    except DynamormPyError as exc:
        exc.with_context(operation=operation, table=table)
        raise
