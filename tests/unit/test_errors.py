"""The error tree, its codes and context (api.md §1.6, §2.4; WF §8.5, §9) and the AWS error mapping."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
    SSLError,
)

from dynamorm_py import errors
from dynamorm_py.aws_errors import map_botocore_error, map_client_error
from dynamorm_py.errors import (
    AwsError,
    BatchRetryExceededError,
    ConditionFailedError,
    CredentialsError,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ModelDefinitionError,
    NotFoundError,
    OutcomeUnknownError,
    SecurityValidationError,
    TableNotFoundError,
    TransactionCanceledError,
    TransportError,
    UnsupportedTypeError,
    ValidationError,
)

SECRET = "s3cr3t-key-value-91c2"


def client_error(code: str | None, message: str = "the AWS message") -> ClientError:
    error: dict[str, Any] = {"Message": message}
    if code is not None:
        error["Code"] = code
    response: Any = {"Error": error}
    return ClientError(response, "PutItem")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DynamormPyError("x"), "ErrDynamorm"),
        (ConditionFailedError("x"), "ErrConditionFailed"),
        (NotFoundError("x"), "ErrItemNotFound"),
        (TableNotFoundError("x"), "ErrTableNotFound"),
        (ValidationError("x"), "ErrInvalidModel"),
        (ModelDefinitionError("x"), "ErrInvalidModel"),
        (SecurityValidationError(type="InjectionAttempt", detail="d"), "ErrSecurityValidation"),
        (UnsupportedTypeError("x"), "ErrUnsupportedType"),
        (BatchRetryExceededError(operation="batch_get", unprocessed_count=1), "ErrBatchOperationFailed"),
        (TransactionCanceledError(message="x", reason_codes=()), "ErrTransactionFailed"),
        (EncryptionNotConfiguredError("x"), "ErrEncryptionNotConfigured"),
        (AwsError(code="ThrottlingException", message="slow down"), "ThrottlingException"),
        (TransportError("x", reason="ReadTimeoutError", may_have_applied=True), "ErrTransport"),
        (CredentialsError("x", reason="NoCredentialsError"), "ErrNoCredentials"),
        (OutcomeUnknownError("x"), "ErrOutcomeUnknown"),
    ],
)
def test_every_error_is_a_dynamorm_error_with_its_stable_code(error: DynamormPyError, code: str) -> None:
    assert isinstance(error, DynamormPyError)
    assert error.code == code


def test_every_exported_error_class_derives_from_the_base() -> None:
    classes = [getattr(errors, name) for name in errors.__all__ if name != "CancellationReason"]

    assert classes
    assert all(issubclass(cls, DynamormPyError) for cls in classes)


def test_an_unknown_outcome_is_an_aws_error_carrying_the_key_and_every_attempt_error() -> None:
    attempts = [
        TransportError("t", reason="ReadTimeoutError", may_have_applied=True),
        ConditionFailedError("c"),
    ]

    error = OutcomeUnknownError(
        "put: outcome unknown", operation="put", table="t", key=("a", 1), attempt_errors=attempts
    )

    assert isinstance(error, AwsError) and error.aws_code is None
    assert (error.operation, error.table, error.key) == ("put", "t", ("a", 1))
    assert error.attempt_errors == tuple(attempts)
    assert "re-read the item before retrying" in (OutcomeUnknownError.__doc__ or "").lower()


def test_validation_error_is_also_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(ModelDefinitionError, ValueError)
    assert issubclass(SecurityValidationError, ValueError)


def test_unsupported_type_error_is_a_type_error_and_a_validation_error() -> None:
    assert issubclass(UnsupportedTypeError, TypeError)
    assert issubclass(UnsupportedTypeError, ValidationError)


def test_table_not_found_is_a_not_found_error_with_its_own_code() -> None:
    error = TableNotFoundError("table not found")

    assert isinstance(error, NotFoundError)
    assert error.code != NotFoundError("x").code


def test_a_code_given_to_a_validation_error_replaces_the_default() -> None:
    assert ValidationError("x", code="ErrMissingPrimaryKey").code == "ErrMissingPrimaryKey"


def test_repr_shows_class_code_operation_table_and_field() -> None:
    error = ValidationError(
        "missing value", code="ErrMissingPrimaryKey", operation="put", table="users", field="PK"
    )

    assert repr(error) == (
        "ValidationError(code='ErrMissingPrimaryKey', operation='put', table='users', field='PK')"
    )


def test_repr_leaves_out_context_that_is_not_set() -> None:
    assert repr(NotFoundError("item not found")) == "NotFoundError(code='ErrItemNotFound')"


def test_with_context_fills_only_missing_operation_and_table() -> None:
    error = ValidationError("x", operation="update")

    error.with_context(operation="update_item", table="users")

    assert (error.operation, error.table) == ("update", "users")


def test_security_validation_error_never_shows_its_detail() -> None:
    error = SecurityValidationError(type="InjectionAttempt", detail=SECRET)

    assert str(error) == "security validation failed: InjectionAttempt"
    assert SECRET not in repr(error)
    assert error.detail == SECRET


def test_aws_error_str_is_code_colon_message() -> None:
    error = AwsError(code="InternalServerError", message="try again", operation="get", table="t")

    assert str(error) == "InternalServerError: try again"
    assert (error.message, error.aws_code, error.operation, error.table) == (
        "try again",
        "InternalServerError",
        "get",
        "t",
    )


# --- map_client_error --------------------------------------------------------------------------------


def test_conditional_check_failed_maps_to_condition_failed() -> None:
    error = map_client_error(client_error("ConditionalCheckFailedException"), operation="put", table="users")

    assert isinstance(error, ConditionFailedError)
    assert (error.code, error.aws_code, error.operation, error.table) == (
        "ErrConditionFailed",
        "ConditionalCheckFailedException",
        "put",
        "users",
    )
    assert error.reasons == ()
    assert error.reason_codes == ()


def test_resource_not_found_maps_to_table_not_found() -> None:
    error = map_client_error(client_error("ResourceNotFoundException"), operation="get", table="users")

    assert isinstance(error, TableNotFoundError)
    assert isinstance(error, NotFoundError)
    assert (error.code, error.aws_code, error.operation, error.table) == (
        "ErrTableNotFound",
        "ResourceNotFoundException",
        "get",
        "users",
    )


def test_validation_exception_maps_to_aws_validation() -> None:
    error = map_client_error(
        client_error("ValidationException", "Invalid UpdateExpression"), operation="update", table="users"
    )

    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)
    assert (error.code, error.aws_code, error.operation, error.table) == (
        "ErrAwsValidation",
        "ValidationException",
        "update",
        "users",
    )
    assert "Invalid UpdateExpression" in str(error)


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError", "SomethingNew"],
)
def test_other_aws_codes_map_to_aws_error_with_that_code(code: str) -> None:
    error = map_client_error(client_error(code, "slow down"), operation="put", table="users")

    assert type(error) is AwsError
    assert (error.code, error.aws_code, error.message, error.operation, error.table) == (
        code,
        code,
        "slow down",
        "put",
        "users",
    )
    assert str(error) == f"{code}: slow down"


def test_an_error_without_a_code_maps_to_unknown_error() -> None:
    error = map_client_error(client_error(None, "???"))

    assert isinstance(error, AwsError)
    assert error.code == "UnknownError"


def test_transaction_cancelled_with_a_condition_reason_maps_to_condition_failed() -> None:
    response: Any = {
        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
        "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "no"}],
    }
    err = ClientError(response, "TransactWriteItems")

    error = map_client_error(err, operation="transact_write", table="users")

    assert isinstance(error, ConditionFailedError)
    assert error.reason_codes == ("None", "ConditionalCheckFailed")


def test_mapped_errors_do_not_leak_values_from_the_aws_message_of_a_condition_failure() -> None:
    error = map_client_error(client_error("ConditionalCheckFailedException", f"item {SECRET} exists"))

    assert SECRET not in str(error)
    assert SECRET not in repr(error)


# --- a response that is not an AWS error -------------------------------------------------------------------

HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body>"
    + "<p>backend exploded</p>" * 200
    + f"<pre>{SECRET}</pre></body></html>"
)


def html_client_error(status: int) -> ClientError:
    """What botocore's JSON parser builds for a non-JSON error body: the status as Code, the body as
    Message."""
    response: Any = {
        "Error": {"Code": str(status), "Message": HTML_PAGE},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {"content-type": "text/html"}},
    }
    return ClientError(response, "GetItem")


@pytest.mark.parametrize(
    ("status", "phrase"), [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")]
)
def test_a_5xx_html_page_becomes_a_short_message_with_the_status(status: int, phrase: str) -> None:
    error = map_client_error(html_client_error(status), operation="get", table="users")

    assert isinstance(error, AwsError)
    assert (error.code, error.operation, error.table) == (f"HTTP{status}", "get", "users")
    assert (
        error.message
        == f"HTTP {status} {phrase} without an AWS error in the response (response body not shown)"
    )
    assert "<" not in str(error) and SECRET not in str(error) and SECRET not in repr(error)


def test_an_html_message_under_an_aws_code_is_not_shown_either() -> None:
    response: Any = {"Error": {"Code": "InternalServerError", "Message": HTML_PAGE}}

    error = map_client_error(ClientError(response, "PutItem"))

    assert error.message == "a response without an AWS error (response body not shown)"  # type: ignore[attr-defined]
    assert SECRET not in str(error)


# --- map_botocore_error: no answer from AWS ----------------------------------------------------------------

URL = "https://dynamodb.us-east-1.amazonaws.com/"


@pytest.mark.parametrize(
    ("failure", "may_have_applied"),
    [
        (EndpointConnectionError(endpoint_url=URL, error="refused"), False),
        (ConnectTimeoutError(endpoint_url=URL, error="timed out"), False),
        (NoRegionError(), False),
        (ReadTimeoutError(endpoint_url=URL, error="timed out"), True),
        (ConnectionClosedError(endpoint_url=URL, error="reset by peer"), True),
        (ResponseStreamingError(error="reset by peer"), True),
        (HTTPClientError(error="something"), True),
        (SSLError(endpoint_url=URL, error="bad record mac"), True),
        (BotoCoreError(), True),
    ],
)
def test_transport_failures_map_to_transport_error_recording_whether_the_request_may_have_applied(
    failure: BotoCoreError, may_have_applied: bool
) -> None:
    error = map_botocore_error(failure, operation="put", table="users")

    assert type(error) is TransportError
    assert isinstance(error, AwsError)
    assert (error.code, error.operation, error.table, error.aws_code) == (
        "ErrTransport",
        "put",
        "users",
        None,
    )
    assert error.may_have_applied is may_have_applied
    assert error.reason == type(failure).__name__
    assert str(error).startswith(f"ErrTransport: {type(failure).__name__}: ")


def test_a_transport_message_names_the_endpoint_and_what_happened_to_the_request() -> None:
    refused = map_botocore_error(EndpointConnectionError(endpoint_url=URL, error="refused"))
    timed_out = map_botocore_error(ReadTimeoutError(endpoint_url=URL, error="timed out"))

    assert refused.message == f"EndpointConnectionError: could not reach {URL}; the request was not sent"
    assert timed_out.message == (
        f"ReadTimeoutError: no valid response from {URL}; the request may have been applied"
    )


@pytest.mark.parametrize(
    "failure",
    [
        NoCredentialsError(),
        PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        CredentialRetrievalError(provider="process", error_msg=f"printed {SECRET}"),
    ],
)
def test_credential_failures_map_to_credentials_error(failure: BotoCoreError) -> None:
    error = map_botocore_error(failure, operation="get", table="users")

    assert type(error) is CredentialsError
    assert not isinstance(error, TransportError)
    assert isinstance(error, AwsError)
    assert (error.code, error.operation, error.table, error.aws_code) == (
        "ErrNoCredentials",
        "get",
        "users",
        None,
    )
    assert error.may_have_applied is False
    assert error.reason == type(failure).__name__
    assert SECRET not in str(error)


def test_a_botocore_parameter_report_becomes_a_validation_error_without_the_values() -> None:
    report = f"Invalid type for parameter Key.pk.S, value: {SECRET}, type: <class 'int'>"

    error = map_botocore_error(ParamValidationError(report=report), operation="get", table="users")

    assert type(error) is ValidationError
    assert (error.code, error.operation, error.table) == ("ErrAwsValidation", "get", "users")
    assert SECRET not in str(error) and SECRET not in repr(error)
