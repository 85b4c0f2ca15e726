"""Mapping of botocore ``ClientError`` to the library's typed errors (wire-format.md §8.4, §8.5, §9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from .errors import (
    ERR_AWS_VALIDATION,
    AwsError,
    CancellationReason,
    ConditionFailedError,
    TableNotFoundError,
    TransactionCanceledError,
    ValidationError,
)

__all__ = ["map_client_error", "map_transaction_error", "cancellation_reasons"]


def _error_fields(err: ClientError) -> tuple[str, str]:
    error = err.response.get("Error", {}) if isinstance(err.response, dict) else {}
    return str(error.get("Code") or "UnknownError"), str(error.get("Message") or "")


def map_client_error(
    err: ClientError, *, operation: str | None = None, table: str | None = None
) -> Exception:
    """Return the typed library error for ``err`` (the caller raises it ``from err``)."""
    code, message = _error_fields(err)
    if code == "ConditionalCheckFailedException":
        return ConditionFailedError(
            "conditional check failed", operation=operation, table=table, aws_code=code
        )
    if code == "ResourceNotFoundException":
        return TableNotFoundError("table not found", operation=operation, table=table, aws_code=code)
    if code == "ValidationException":
        return ValidationError(
            f"DynamoDB rejected the request: {message}",
            code=ERR_AWS_VALIDATION,
            operation=operation,
            table=table,
            aws_code=code,
        )
    if code == "TransactionCanceledException":
        return map_transaction_error(err, operation=operation, table=table)
    return AwsError(code=code, message=message, operation=operation, table=table)


def cancellation_reasons(response: Mapping[str, Any]) -> tuple[CancellationReason, ...]:
    """One reason per action, by position; an entry without a Code is recorded as ``"None"``."""
    raw = response.get("CancellationReasons") or []
    reasons = []
    for index, entry in enumerate(raw):
        entry = entry if isinstance(entry, dict) else {}
        code = entry.get("Code") or "None"
        message = entry.get("Message")
        reasons.append(CancellationReason(index=index, code=str(code), message=message))
    return tuple(reasons)


def map_transaction_error(
    err: ClientError, *, operation: str | None = None, table: str | None = None
) -> Exception:
    """Map a ``TransactionCanceledException`` per wire-format.md §8.4."""
    code, message = _error_fields(err)
    if code != "TransactionCanceledException":
        return map_client_error(err, operation=operation, table=table)
    reasons = cancellation_reasons(err.response if isinstance(err.response, dict) else {})
    condition_failed = any(r.code == "ConditionalCheckFailed" for r in reasons) or (
        not reasons and "ConditionalCheckFailed" in message
    )
    if condition_failed:
        return ConditionFailedError(
            "transaction cancelled: conditional check failed",
            operation=operation,
            table=table,
            aws_code=code,
            reasons=reasons,
        )
    codes = tuple(r.code for r in reasons)
    return TransactionCanceledError(
        message=f"transaction cancelled: [{', '.join(codes)}]",
        reason_codes=codes,
        reasons=reasons,
        table=table,
        operation=operation,
    )
