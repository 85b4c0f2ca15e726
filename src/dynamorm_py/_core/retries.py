"""The library's own retries, and how a write tells its own earlier attempt from someone else's write.

Every single-item operation, query, scan and transaction sends its request through :func:`retried_call`:

* Throttling, HTTP 5xx and transport failures are retried up to ``RetryPolicy.max_attempts`` attempts with
  exponential backoff and full jitter, as ``Sleep`` effects, while the waits fit in ``total_budget``.
  Clients the library builds have botocore's own retries off, so every attempt is seen here.
* Each failed attempt is classified: throttling and 4xx answers were not applied; a 5xx answer, a read
  timeout or a connection cut after sending may have been.
* A conditional write that fails its condition after an attempt that may have applied asked for the item
  as it is (``ReturnValuesOnConditionCheckFailure=ALL_OLD``): its :class:`Write` recognizer compares that
  item with what this call wrote. Ours: the call succeeds. Provably someone else's: the conflict is raised.
  Undecidable: :class:`~dynamorm_py.errors.OutcomeUnknownError`.
* A write whose attempts ran out (or met another error) after one that may have applied raises
  ``OutcomeUnknownError`` too. Reads never do: they raise the last attempt's error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from .._blocks.retry_policy import RetryPolicy
from ..aws_errors import map_aws_exception
from ..errors import (
    AwsError,
    ConditionFailedError,
    CredentialsError,
    OutcomeUnknownError,
    TransportError,
)
from .effects import AwsCall, Op, Service, Sleep

# RetryPolicy is defined with the other building blocks; it is re-exported here for the drivers.
__all__ = [
    "OURS",
    "THEIRS",
    "UNKNOWN",
    "Verdict",
    "Write",
    "classify",
    "retried_call",
]

Verdict = Literal["ours", "theirs", "unknown"]
OURS: Verdict = "ours"
THEIRS: Verdict = "theirs"
UNKNOWN: Verdict = "unknown"

# Answers that say "not now": nothing was applied, the same request may be sent again.
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
# Server failures: the request may or may not have been applied.
SERVER_ERROR_CODES = frozenset(
    {"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException"}
)


Recognizer = Callable[[Mapping[str, Any] | None], tuple[Verdict, dict[str, Any]]]


class Write(NamedTuple):
    """What :func:`retried_call` needs to know about a write (a tuple: one is made per write, cheaply).

    * ``key()`` gives the item's key for :class:`OutcomeUnknownError` (called only on that path).
    * ``recognize(item)`` gets the item as it is when the condition failed (``None``: no item) and returns
      the verdict and, for ``OURS``, the response the call returns.
    * ``idempotent``: the server itself answers a retry of an applied request with success (a transaction
      with its token), so its answers are trusted as they are.
    * ``retry_safe``: sending the request again after an attempt that may have applied cannot apply it
      twice unnoticed (false for an adding update without a version lock: a retry would add twice).
    """

    key: Callable[[], Any]
    recognize: Recognizer | None = None
    idempotent: bool = False
    retry_safe: bool = True


def classify(error: Exception, cause: BaseException | None = None) -> tuple[bool, bool]:
    """``(retry, may_have_applied)`` for one failed attempt."""
    if isinstance(error, TransportError):
        return True, error.may_have_applied
    if isinstance(error, CredentialsError) or not isinstance(error, AwsError):
        return False, False
    code = error.code
    if code in THROTTLING_CODES:
        return True, False
    if code in SERVER_ERROR_CODES or code.startswith("HTTP5"):
        return True, True
    status = _metadata(cause).get("HTTPStatusCode")
    if isinstance(status, int) and status >= 500:
        return True, True
    return False, False


def _metadata(cause: BaseException | None) -> dict[str, Any]:
    response: Any = cause.response if isinstance(cause, ClientError) else None
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _retried_by_the_client(cause: BaseException) -> bool:
    """A caller's client may retry by itself: a hidden earlier attempt may have applied."""
    attempts = _metadata(cause).get("RetryAttempts")
    return isinstance(attempts, int) and attempts > 0


def _current_item(cause: BaseException) -> Mapping[str, Any] | None:
    response = cause.response if isinstance(cause, ClientError) else None
    item = response.get("Item") if isinstance(response, dict) else None
    return item if isinstance(item, dict) and item else None


def _unknown(
    op_name: str, table: str, write: Write, errors: list[Exception], why: str
) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{op_name}: outcome unknown after {len(errors)} attempt(s): {why}; re-read the item before retrying",
        operation=op_name,
        table=table,
        key=write.key(),
        attempt_errors=errors,
    )


def retried_call(
    policy: RetryPolicy,
    operation: str,
    params: dict[str, Any],
    *,
    op_name: str,
    table: str,
    write: Write | None = None,
    service: Service = "dynamodb",
) -> Op[dict[str, Any]]:
    """One request (DynamoDB unless ``service`` says KMS), retried per ``policy``; ``write`` is ``None`` for
    a read."""
    attempt = 0
    maybe_applied = False
    errors: list[Exception] = []
    started = 0.0
    while True:
        try:
            response = yield AwsCall(service, operation, params)
            return response if isinstance(response, dict) else {}
        except (ClientError, BotoCoreError) as exc:
            cause: BaseException = exc
            error = map_aws_exception(exc, operation=op_name, table=table)
        # Only failures get here: the happy path above is one yield and one isinstance.
        error.__cause__ = cause  # as when raised from it: kept in attempt_errors too
        attempt += 1
        errors.append(error)
        if attempt == 1:
            started = policy.now()
        if write is not None and isinstance(error, ConditionFailedError) and not write.idempotent:
            if maybe_applied or _retried_by_the_client(cause):
                if write.recognize is None:
                    raise _unknown(op_name, table, write, errors, "a condition failed") from error
                verdict, answer = write.recognize(_current_item(cause))
                if verdict == OURS:
                    return answer
                if verdict == UNKNOWN:
                    raise _unknown(
                        op_name, table, write, errors, "cannot tell this call's write from another"
                    ) from error
            raise error from cause
        retry, applied = classify(error, cause)
        maybe_applied = maybe_applied or applied
        if retry and maybe_applied and write is not None and not write.retry_safe:
            why = "an attempt may have been applied and a retry could apply it twice"
            raise _unknown(op_name, table, write, errors, why) from error
        if retry and attempt < policy.max_attempts:
            delay = policy.delay(attempt)
            budget = policy.total_budget
            if budget is None or policy.now() - started + delay <= budget:
                yield Sleep(delay)
                continue
        if write is not None and maybe_applied and not (write.idempotent and not retry):
            raise _unknown(op_name, table, write, errors, "an attempt may have been applied") from error
        raise error from cause
