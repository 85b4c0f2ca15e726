"""The error tree, its codes and context (api.md §1.6, §2.4; WF §8.5, §9) and the AWS error mapping."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_py import errors
from dynamorm_py.aws_errors import map_client_error
from dynamorm_py.errors import (
    AwsError,
    BatchRetryExceededError,
    ConditionFailedError,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ModelDefinitionError,
    NotFoundError,
    SecurityValidationError,
    TableNotFoundError,
    TransactionCanceledError,
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
    ],
)
def test_every_error_is_a_dynamorm_error_with_its_stable_code(error: DynamormPyError, code: str) -> None:
    assert isinstance(error, DynamormPyError)
    assert error.code == code


def test_every_exported_error_class_derives_from_the_base() -> None:
    classes = [getattr(errors, name) for name in errors.__all__ if name != "CancellationReason"]

    assert classes
    assert all(issubclass(cls, DynamormPyError) for cls in classes)


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
