"""Mapping of botocore exceptions to the library's typed errors (docs/wire-format.md §8.4, §8.5, §9).

``ClientError`` (AWS answered with an error) goes through :func:`map_client_error`; every other botocore
exception (no answer: connection, timeout, credentials) through :func:`map_botocore_error`.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

import botocore.exceptions as botocore_errors
from botocore.exceptions import BotoCoreError, ClientError

from .errors import (
    ERR_AWS_VALIDATION,
    AwsError,
    CancellationReason,
    ConditionFailedError,
    CredentialsError,
    DynamormPyError,
    TableNotFoundError,
    TransactionCanceledError,
    TransportError,
    ValidationError,
)

__all__ = [
    "cancellation_reasons",
    "map_aws_exception",
    "map_botocore_error",
    "map_client_error",
    "map_transaction_error",
]


def _error_fields(err: ClientError) -> tuple[str, str]:
    error = err.response.get("Error", {}) if isinstance(err.response, dict) else {}
    code = str(error.get("Code") or "UnknownError")
    message = str(error.get("Message") or "")
    if code.isdigit() or message.lstrip().startswith("<"):
        # botocore names an error by its HTTP status when the body carried no AWS error type (an HTML page
        # from a proxy or load balancer) and puts that whole body in Message: never show it.
        message = _status_message(err, int(code) if code.isdigit() else 0)
        if code.isdigit():
            code = f"HTTP{code}"  # a code that says where it came from, not a bare number
    return code, message


def _status_message(err: ClientError, fallback_status: int) -> str:
    metadata = err.response.get("ResponseMetadata", {}) if isinstance(err.response, dict) else {}
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
    if not isinstance(status, int) or not status:
        status = fallback_status
    if not status:
        return "a response without an AWS error (response body not shown)"
    try:
        phrase = f" {http.HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    return f"HTTP {status}{phrase} without an AWS error in the response (response body not shown)"


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
    """Map a ``TransactionCanceledException`` per docs/wire-format.md §8.4."""
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


def _classes(*names: str) -> tuple[type[BaseException], ...]:
    """The botocore exception classes of ``names`` that this botocore version defines."""
    found = (getattr(botocore_errors, name, None) for name in names)
    return tuple(cls for cls in found if isinstance(cls, type) and issubclass(cls, BaseException))


# Credentials that are missing, partial or whose provider failed: nothing was sent.
_CREDENTIAL_ERRORS = _classes(
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "UnknownCredentialError",
    "NoAuthTokenError",
    "TokenRetrievalError",
    "UnknownTokenProviderError",
    "RefreshWithMFAUnsupportedError",
    "SSOError",
    "LoginError",
    "InfiniteLoopConfigError",
)
# botocore checks the request against the service model before sending it.
_PARAMETER_ERRORS = _classes("ParamValidationError", "ValidationError")
# Raised before a byte of the request left: no connection (refused, unreachable, DNS, connect timeout, the
# proxy refused), or the request could not even be built (endpoint, signature or configuration). SSLError is
# not here: botocore also raises it for TLS failures in the middle of a response.
_NOT_SENT_ERRORS = _classes(
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ProxyConnectionError",
    "BaseEndpointResolverError",
    "EndpointProviderError",
    "InvalidConfigError",
    "UnknownSignatureVersionError",
    "UnsupportedSignatureVersionError",
    "ProfileNotFound",
    "ConfigNotFound",
    "ConfigParseError",
    "MissingDependencyException",
)


def map_aws_exception(
    err: ClientError | BotoCoreError, *, operation: str | None = None, table: str | None = None
) -> Exception:
    """The typed library error for anything botocore raises: an AWS error answer or no answer at all."""
    if isinstance(err, ClientError):
        return map_client_error(err, operation=operation, table=table)
    return map_botocore_error(err, operation=operation, table=table)


def map_botocore_error(
    err: BotoCoreError, *, operation: str | None = None, table: str | None = None
) -> DynamormPyError:
    """Return the typed library error for a botocore failure other than an AWS answer (the caller raises
    it ``from err``). Messages name the botocore class and endpoint only: botocore's own text can hold
    request values (a parameter report) or a credential provider's output."""
    reason = type(err).__name__
    if isinstance(err, _CREDENTIAL_ERRORS):
        return CredentialsError(
            f"{reason}: no usable AWS credentials; the request was not sent",
            reason=reason,
            operation=operation,
            table=table,
        )
    if isinstance(err, _PARAMETER_ERRORS):
        return ValidationError(
            f"{reason}: botocore rejected the request parameters before sending them",
            code=ERR_AWS_VALIDATION,
            operation=operation,
            table=table,
        )
    endpoint = err.kwargs.get("endpoint_url") if isinstance(getattr(err, "kwargs", None), dict) else None
    where = f" {endpoint}" if isinstance(endpoint, str) and endpoint else " the endpoint"
    if isinstance(err, _NOT_SENT_ERRORS):
        return TransportError(
            f"{reason}: could not reach{where}; the request was not sent",
            reason=reason,
            may_have_applied=False,
            operation=operation,
            table=table,
        )
    return TransportError(
        f"{reason}: no valid response from{where}; the request may have been applied",
        reason=reason,
        may_have_applied=True,
        operation=operation,
        table=table,
    )
