"""The exception tree of dynamorm_py: every error the library raises, with a stable ``code``.

::

    Exception
    └── DynamormPyError                         ErrDynamorm if raised directly (the library never does)
        ├── ConditionFailedError                ErrConditionFailed
        ├── NotFoundError                       ErrItemNotFound
        │   └── TableNotFoundError              ErrTableNotFound
        ├── ValidationError (also ValueError)   ErrInvalidModel by default; see the codes below
        │   ├── ModelDefinitionError            ErrInvalidModel
        │   ├── SecurityValidationError         ErrSecurityValidation
        │   └── UnsupportedTypeError (also TypeError)   ErrUnsupportedType
        ├── BatchRetryExceededError             ErrBatchOperationFailed
        │   └── BatchInterruptedError           ErrBatchOperationFailed
        ├── TransactionCanceledError            ErrTransactionFailed
        ├── EncryptionNotConfiguredError        ErrEncryptionNotConfigured
        └── AwsError                            .code = the AWS error code
            ├── TransportError                  ErrTransport
            ├── CredentialsError                ErrNoCredentials
            └── OutcomeUnknownError             ErrOutcomeUnknown

``ValidationError`` carries one of: ErrInvalidModel, ErrMissingPrimaryKey, ErrInvalidOperator,
ErrEncryptedFieldNotQueryable, ErrInvalidEncryptedEnvelope, ErrIndexNotFound, ErrInvalidValue,
ErrInvalidCursor, ErrAwsValidation, ErrRetryExhausted, ErrTimeout, ErrPartialItem, ErrUnrecognizedItem,
ErrAmbiguousItem, ErrUnknownAccount.

ErrUnknownAccount: ``MultiAccountSessions`` was asked for a partner id it has no ``AccountConfig`` for.
ErrNoCredentials also marks a ``ValidationError`` from ``MultiAccountSessions``: STS answered AssumeRole
without usable credentials (none, incomplete or already expired).

ErrUnrecognizedItem: a stored item (a stream record's image) is not one of the model's: the model's
``matches`` predicate rejected it. ErrAmbiguousItem: the predicates of two models of one table both accepted
one item; the message names both models.

``TransportError`` means AWS never answered: the connection failed, timed out or was cut, or botocore failed
in another way (its exception is ``__cause__``). ``may_have_applied`` says whether the request may have
reached the server: ``False`` only when the last attempt never got a connection. The library retries these
itself (``RetryPolicy``); a write that fails after an attempt that may have applied raises
``OutcomeUnknownError`` instead, so a ``TransportError`` from a write means it was not applied.
``CredentialsError`` means no usable credentials were found, so nothing was sent; it is a sibling rather
than a kind of transport failure because retrying never fixes it, and a retry loop on ``TransportError``
must not spin on it.

Every error carries ``operation`` (the public method that failed), ``table`` (physical table name),
``field`` (attribute name at fault), ``aws_code`` (when AWS raised it) and the original exception as
``__cause__``. Messages, reprs and attributes never contain item values, key values, plaintext or key
material, with one deliberate exception: ``OutcomeUnknownError.key`` holds the key the caller passed, so the
handler can re-read that item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AwsError",
    "BatchInterruptedError",
    "BatchRetryExceededError",
    "CancellationReason",
    "ConditionFailedError",
    "CredentialsError",
    "DynamormPyError",
    "EncryptionNotConfiguredError",
    "ModelDefinitionError",
    "NotFoundError",
    "OutcomeUnknownError",
    "SecurityValidationError",
    "TableNotFoundError",
    "TransactionCanceledError",
    "TransportError",
    "UnsupportedTypeError",
    "ValidationError",
]

# Stable codes (docs/wire-format.md §9).
ERR_DYNAMORM = "ErrDynamorm"
ERR_ITEM_NOT_FOUND = "ErrItemNotFound"
ERR_TABLE_NOT_FOUND = "ErrTableNotFound"
ERR_CONDITION_FAILED = "ErrConditionFailed"
ERR_INVALID_MODEL = "ErrInvalidModel"
ERR_MISSING_PRIMARY_KEY = "ErrMissingPrimaryKey"
ERR_INVALID_OPERATOR = "ErrInvalidOperator"
ERR_ENCRYPTED_FIELD_NOT_QUERYABLE = "ErrEncryptedFieldNotQueryable"
ERR_ENCRYPTION_NOT_CONFIGURED = "ErrEncryptionNotConfigured"
ERR_INVALID_ENCRYPTED_ENVELOPE = "ErrInvalidEncryptedEnvelope"
ERR_INDEX_NOT_FOUND = "ErrIndexNotFound"
ERR_UNSUPPORTED_TYPE = "ErrUnsupportedType"
ERR_TRANSACTION_FAILED = "ErrTransactionFailed"
ERR_BATCH_OPERATION_FAILED = "ErrBatchOperationFailed"
ERR_INVALID_VALUE = "ErrInvalidValue"
ERR_INVALID_CURSOR = "ErrInvalidCursor"
ERR_SECURITY_VALIDATION = "ErrSecurityValidation"
ERR_AWS_VALIDATION = "ErrAwsValidation"
ERR_RETRY_EXHAUSTED = "ErrRetryExhausted"
ERR_TIMEOUT = "ErrTimeout"
ERR_PARTIAL_ITEM = "ErrPartialItem"
ERR_TRANSPORT = "ErrTransport"
ERR_NO_CREDENTIALS = "ErrNoCredentials"
ERR_OUTCOME_UNKNOWN = "ErrOutcomeUnknown"
ERR_UNRECOGNIZED_ITEM = "ErrUnrecognizedItem"
ERR_AMBIGUOUS_ITEM = "ErrAmbiguousItem"
ERR_UNKNOWN_ACCOUNT = "ErrUnknownAccount"


@dataclass(frozen=True)
class CancellationReason:
    """Why one action of a transaction was cancelled; ``code`` is ``"None"`` when it did not fail."""

    index: int
    code: str
    message: str | None = None


class DynamormPyError(Exception):
    """Base of every library error."""

    default_code = ERR_DYNAMORM

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        operation: str | None = None,
        table: str | None = None,
        field: str | None = None,
        aws_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: str = code or self.default_code
        self.operation = operation
        self.table = table
        self.field = field
        self.aws_code = aws_code

    def with_context(self, *, operation: str | None = None, table: str | None = None) -> DynamormPyError:
        """Fill in the operation and table where they are not set yet; returns ``self``."""
        if self.operation is None:
            self.operation = operation
        if self.table is None:
            self.table = table
        return self

    def __repr__(self) -> str:
        parts = [f"code={self.code!r}"]
        for name in ("operation", "table", "field"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ConditionFailedError(DynamormPyError):
    """A conditional write failed (condition, version conflict, if-not-exists, transaction condition)."""

    default_code = ERR_CONDITION_FAILED

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        operation: str | None = None,
        table: str | None = None,
        field: str | None = None,
        aws_code: str | None = None,
        reasons: Sequence[CancellationReason] = (),
    ) -> None:
        super().__init__(message, code=code, operation=operation, table=table, field=field, aws_code=aws_code)
        self.reasons: tuple[CancellationReason, ...] = tuple(reasons)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The cancellation reason code of each transaction action, in order (``'None'`` for an action
        that did not fail); empty outside transactions.
        """
        return tuple(r.code for r in self.reasons)


class NotFoundError(DynamormPyError):
    """``get`` found no item (ErrItemNotFound); also the base of :class:`TableNotFoundError`."""

    default_code = ERR_ITEM_NOT_FOUND


class TableNotFoundError(NotFoundError):
    """The table does not exist (ErrTableNotFound)."""

    default_code = ERR_TABLE_NOT_FOUND


class ValidationError(DynamormPyError, ValueError):
    """Library validation failures and AWS ``ValidationException``."""

    default_code = ERR_INVALID_MODEL


class ModelDefinitionError(ValidationError):
    """An invalid model definition."""

    default_code = ERR_INVALID_MODEL


class UnsupportedTypeError(ValidationError, TypeError):
    """A value of a type that cannot be encoded (ErrUnsupportedType)."""

    default_code = ERR_UNSUPPORTED_TYPE


class SecurityValidationError(ValidationError):
    """Input rejected by the security validators; ``detail`` is never part of ``str()``."""

    default_code = ERR_SECURITY_VALIDATION

    def __init__(self, *, type: str, detail: str) -> None:
        super().__init__(f"security validation failed: {type}")
        self.type = type
        self.detail = detail


class EncryptionNotConfiguredError(DynamormPyError):
    """The model has encrypted fields but no KMS key ARN is configured."""

    default_code = ERR_ENCRYPTION_NOT_CONFIGURED


class BatchRetryExceededError(DynamormPyError):
    """Batch retries ran out; carries exactly what was not written or read."""

    default_code = ERR_BATCH_OPERATION_FAILED

    def __init__(
        self,
        *,
        operation: str,
        unprocessed_count: int,
        unprocessed: Sequence[Any] = (),
        unprocessed_puts: Sequence[Any] = (),
        unprocessed_deletes: Sequence[Any] = (),
        unprocessed_keys: Sequence[Any] = (),
        results: Sequence[Any] = (),
        table: str | None = None,
    ) -> None:
        super().__init__(
            f"{operation}: retry limit exceeded (unprocessed={unprocessed_count})",
            operation=operation,
            table=table,
        )
        self.unprocessed_count = unprocessed_count
        self.unprocessed: tuple[Any, ...] = tuple(unprocessed)
        self.unprocessed_puts: tuple[Any, ...] = tuple(unprocessed_puts)
        self.unprocessed_deletes: tuple[Any, ...] = tuple(unprocessed_deletes)
        self.unprocessed_keys: tuple[Any, ...] = tuple(unprocessed_keys)
        self.results: tuple[Any, ...] = tuple(results)


class BatchInterruptedError(BatchRetryExceededError):
    """A batch stopped part-way by an error other than exhausted retries (that error is ``__cause__``).

    It carries the same leftovers as its base class, so ``except BatchRetryExceededError`` never loses a
    write; ``reason`` names the interrupting error by its code (never its message).
    """

    def __init__(
        self,
        *,
        operation: str,
        reason: str,
        unprocessed_count: int,
        unprocessed: Sequence[Any] = (),
        unprocessed_puts: Sequence[Any] = (),
        unprocessed_deletes: Sequence[Any] = (),
        unprocessed_keys: Sequence[Any] = (),
        results: Sequence[Any] = (),
        table: str | None = None,
    ) -> None:
        super().__init__(
            operation=operation,
            unprocessed_count=unprocessed_count,
            unprocessed=unprocessed,
            unprocessed_puts=unprocessed_puts,
            unprocessed_deletes=unprocessed_deletes,
            unprocessed_keys=unprocessed_keys,
            results=results,
            table=table,
        )
        self.reason = reason
        self.message = f"{operation}: interrupted by {reason} (unprocessed={unprocessed_count})"
        self.args = (self.message,)


class TransactionCanceledError(DynamormPyError):
    """A transaction was cancelled for reasons other than a failed condition."""

    default_code = ERR_TRANSACTION_FAILED

    def __init__(
        self,
        *,
        message: str,
        reason_codes: tuple[str, ...],
        reasons: Sequence[CancellationReason] = (),
        table: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation, table=table, aws_code="TransactionCanceledException")
        self.reason_codes = tuple(reason_codes)
        self.reasons: tuple[CancellationReason, ...] = tuple(reasons)


class AwsError(DynamormPyError):
    """Any other AWS error; ``code`` is the AWS error code and ``message`` the AWS message."""

    def __init__(
        self,
        *,
        code: str,
        message: str,
        operation: str | None = None,
        table: str | None = None,
    ) -> None:
        super().__init__(message, code=code, operation=operation, table=table, aws_code=code)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class TransportError(AwsError):
    """AWS never answered the request: a connection that failed, timed out or was cut, or another botocore
    failure. The botocore exception is ``__cause__`` and its class name is ``reason``.

    ``may_have_applied`` is ``False`` only when the last attempt could not connect, so that attempt was not
    sent. The library retries transport failures itself (``RetryPolicy``); a caller's client may also
    retry inside botocore, where an earlier attempt of the same call may have reached the server. Writes
    whose attempts may have applied raise :class:`OutcomeUnknownError` rather than this error.
    """

    default_code = ERR_TRANSPORT

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        may_have_applied: bool,
        operation: str | None = None,
        table: str | None = None,
    ) -> None:
        super().__init__(code=self.default_code, message=message, operation=operation, table=table)
        self.aws_code = None  # AWS never answered: there is no AWS error code
        self.reason = reason
        self.may_have_applied = may_have_applied


class CredentialsError(AwsError):
    """No usable AWS credentials (missing, partial, or their provider failed); nothing was sent.

    The botocore exception is ``__cause__`` and its class name is ``reason``.
    """

    default_code = ERR_NO_CREDENTIALS
    may_have_applied = False

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        operation: str | None = None,
        table: str | None = None,
    ) -> None:
        super().__init__(code=self.default_code, message=message, operation=operation, table=table)
        self.aws_code = None
        self.reason = reason


class OutcomeUnknownError(AwsError):
    """A write whose outcome nobody knows: its last attempt failed, and an attempt of the same call may
    have been applied (its answer was lost, it timed out after sending, or the server failed part-way).

    The item may hold this call's write or not. **Re-read the item before retrying**: retrying blindly
    can apply a change twice (an increment, a claim), and treating the call as failed can lose it.
    A conflict that the library can prove is someone else's write is still ``ConditionFailedError``;
    this error is raised instead whenever that cannot be decided.

    ``key`` is the item's key as passed (python values, never part of the message; ``None`` for a
    transaction), ``attempt_errors`` the typed error of every attempt, oldest first; the last one is
    also ``__cause__``. Reads never raise it; batches report such writes as unprocessed instead.
    """

    default_code = ERR_OUTCOME_UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        table: str | None = None,
        key: Any = None,
        attempt_errors: Sequence[BaseException] = (),
    ) -> None:
        super().__init__(code=self.default_code, message=message, operation=operation, table=table)
        self.aws_code = None  # the library's verdict, not an AWS answer
        self.key = key
        self.attempt_errors: tuple[BaseException, ...] = tuple(attempt_errors)
