"""The public surface: ``dynamorm_py.__all__`` is pinned, every name resolves, extras stay unimported."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from typing import Any

import pytest

import dynamorm_py

EXPECTED_ALL = {
    # errors
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
    # models
    "AttributeConverter",
    "IndexDefinition",
    "IndexSpec",
    "ModelDefinition",
    "Projection",
    "dynamorm_field",
    "gsi",
    "lsi",
    # single-table design: telling entity types apart
    "attribute_equals",
    "pk_prefix",
    "sk_prefix",
    # query primitives and transactions
    "FilterCondition",
    "FilterGroup",
    "Page",
    "SortKeyCondition",
    "TransactConditionCheck",
    "TransactDelete",
    "TransactPut",
    "TransactUpdate",
    "TransactWriteAction",
    # table, previews, schema
    "PreparedRequest",
    "RetryPolicy",
    "client",
    "Table",
    "AsyncTable",
    "DynamormClient",
    "AsyncDynamormClient",
    "build_create_table_request",
    "create_table",
    "delete_table",
    "describe_table",
    "ensure_table",
    # optimizer
    "QueryOptimizer",
    "QueryPlan",
    "QueryShape",
    "ScanShape",
    # DMS schema documents
    "DmsWarning",
    "assert_model_definition_equivalent_to_dms",
    "get_dms_model",
    "parse_dms_document",
    "dump_dms_document",
    "load_dms_file",
    "models_from_dms",
    # streams
    "StreamRecord",
    "parse_stream_event",
    "parse_stream_record",
    "unmarshal_stream_image",
    "unmarshal_stream_record",
    # aggregates over items in memory
    "AggregateResult",
    "GroupByQuery",
    "GroupedResult",
    "aggregate_field",
    "average_field",
    "count_distinct",
    "group_by",
    "max_field",
    "min_field",
    "sum_field",
    # partner accounts
    "AccountConfig",
    "MultiAccountSessions",
    "AwsCallMetric",
    "is_lambda_environment",
    "create_lambda_boto3_config",
    "get_lambda_boto3_client",
    "get_lambda_dynamodb_client",
    "get_lambda_kms_client",
    "instrument_boto3_client",
    "SimpleLimiter",
    "ConcurrencyLimiter",
    # validation
    "MaxExpressionLength",
    "MaxFieldNameLength",
    "MaxNestedDepth",
    "MaxOperatorLength",
    "MaxValueStringLength",
    "validate_expression",
    "validate_field_name",
    "validate_index_name",
    "validate_operator",
    "validate_table_name",
    "validate_value",
    # version
    "__repo_version__",
    "__version__",
}

# api.md §1.1: names that must also import from their submodule.
SUBMODULE_NAMES = {
    "dynamorm_py.errors": [
        "DynamormPyError",
        "ConditionFailedError",
        "NotFoundError",
        "TableNotFoundError",
        "ValidationError",
        "ModelDefinitionError",
        "SecurityValidationError",
        "UnsupportedTypeError",
        "BatchRetryExceededError",
        "BatchInterruptedError",
        "TransactionCanceledError",
        "EncryptionNotConfiguredError",
        "AwsError",
        "TransportError",
        "CredentialsError",
        "OutcomeUnknownError",
        "CancellationReason",
    ],
    "dynamorm_py.model": [
        "AttributeConverter",
        "AttributeDefinition",
        "Projection",
        "IndexSpec",
        "IndexDefinition",
        "ModelDefinition",
        "ModelDefinitionError",
        "dynamorm_field",
        "gsi",
        "lsi",
        "ItemMatcher",
        "sk_prefix",
        "pk_prefix",
        "attribute_equals",
    ],
    "dynamorm_py.query": [
        "SortKeyCondition",
        "FilterCondition",
        "FilterGroup",
        "FilterExpression",
        "LogicalOp",
        "Page",
        "Cursor",
        "encode_cursor",
        "decode_cursor",
        "sign_cursor",
        "verify_cursor",
    ],
    "dynamorm_py.transaction": [
        "TransactPut",
        "TransactDelete",
        "TransactUpdate",
        "TransactConditionCheck",
        "TransactWriteAction",
    ],
    "dynamorm_py.table": ["Table", "AsyncTable"],
    "dynamorm_py.retry": ["RetryPolicy"],
    "dynamorm_py.single_table": ["DynamormClient", "AsyncDynamormClient"],
    "dynamorm_py.update_builder": ["UpdateBuilder", "AsyncUpdateBuilder"],
    "dynamorm_py.encryption": [
        "marshal_attribute_value_json",
        "unmarshal_attribute_value_json",
        "encrypt_attribute_value",
        "decrypt_attribute_value",
    ],
    "dynamorm_py.aws_errors": ["map_client_error", "map_transaction_error"],
    "dynamorm_py.schema": [
        "BillingMode",
        "build_create_table_request",
        "create_table",
        "ensure_table",
        "delete_table",
        "describe_table",
    ],
    "dynamorm_py.validation": [
        "MaxFieldNameLength",
        "MaxOperatorLength",
        "MaxValueStringLength",
        "MaxNestedDepth",
        "MaxExpressionLength",
        "SecurityValidationError",
        "validate_field_name",
        "validate_operator",
        "validate_value",
        "validate_expression",
        "validate_table_name",
        "validate_index_name",
    ],
    "dynamorm_py.streams": [
        "unmarshal_stream_image",
        "unmarshal_stream_record",
        "StreamRecord",
        "StreamRecords",
        "parse_stream_record",
        "parse_stream_event",
    ],
    "dynamorm_py.optimizer": [
        "QueryOperation",
        "IndexType",
        "QueryOptimizer",
        "QueryPlan",
        "QueryShape",
        "ScanShape",
    ],
    "dynamorm_py.local": ["LocalDynamoDB", "local_dynamodb"],
    "dynamorm_py.mocks": [
        "ANY",
        "ExpectedCall",
        "FakeDynamoDBClient",
        "FakeKmsClient",
        "AsyncFakeDynamoDBClient",
        "AsyncFakeKmsClient",
    ],
    "dynamorm_py.testkit": [
        "ANY",
        "FakeDynamoDBClient",
        "FakeKmsClient",
        "AsyncFakeDynamoDBClient",
        "AsyncFakeKmsClient",
        "fixed_rand_bytes",
        "fixed_clock",
        "no_sleep",
    ],
    "dynamorm_py.dms": [
        "parse_dms_document",
        "get_dms_model",
        "assert_model_definition_equivalent_to_dms",
        "load_dms_file",
        "models_from_dms",
        "dump_dms_document",
        "DmsWarning",
    ],
    "dynamorm_py.runtime": [
        "AwsCallMetric",
        "is_lambda_environment",
        "create_lambda_boto3_config",
        "get_lambda_boto3_client",
        "get_lambda_dynamodb_client",
        "get_lambda_kms_client",
        "instrument_boto3_client",
        "_reset_lambda_clients_for_tests",
    ],
    "dynamorm_py.protection": ["SimpleLimiter", "ConcurrencyLimiter"],
    "dynamorm_py.aggregates": [
        "AggregateFunction",
        "AggregateResult",
        "GroupedResult",
        "GroupByQuery",
        "group_by",
        "sum_field",
        "average_field",
        "min_field",
        "max_field",
        "aggregate_field",
        "count_distinct",
    ],
    "dynamorm_py.multiaccount": ["AccountConfig", "MultiAccountSessions"],
}


def test_all_is_pinned() -> None:
    assert set(dynamorm_py.__all__) == EXPECTED_ALL
    assert len(dynamorm_py.__all__) == len(set(dynamorm_py.__all__)), "duplicate names in __all__"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALL))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(dynamorm_py, name) is not None


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        dynamorm_py.NoSuchName  # noqa: B018


@pytest.mark.parametrize(("module", "names"), sorted(SUBMODULE_NAMES.items()))
def test_submodule_names_import(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing


def test_top_level_names_are_the_submodule_objects() -> None:
    from dynamorm_py import errors, model, table

    assert dynamorm_py.Table is table.Table
    assert dynamorm_py.ModelDefinition is model.ModelDefinition
    assert dynamorm_py.NotFoundError is errors.NotFoundError
    from dynamorm_py import dms

    assert dynamorm_py.models_from_dms is dms.models_from_dms
    assert dynamorm_py.DmsWarning is dms.DmsWarning


def test_importing_the_package_imports_no_extra_and_no_lazy_module() -> None:
    code = (
        "import sys, dynamorm_py\n"
        "watched = ('moto', 'aiobotocore', 'yaml', 'dynamorm_py.table', 'dynamorm_py.schema', "
        "'dynamorm_py.retry', 'dynamorm_py.dms', 'dynamorm_py.mocks', 'dynamorm_py.testkit', "
        "'dynamorm_py.runtime', 'dynamorm_py.protection', 'opentelemetry', 'dynamorm_py.aggregates', "
        "'dynamorm_py.multiaccount')\n"
        "loaded = [m for m in watched if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_versions_are_strings() -> None:
    assert isinstance(dynamorm_py.__version__, str)
    assert isinstance(dynamorm_py.__repo_version__, str)


def test_table_single_item_conveniences_have_their_documented_parameters() -> None:
    import inspect
    from collections.abc import Callable

    from dynamorm_py.table import Table

    def keyword_only(method: Callable[..., object]) -> list[str]:
        parameters = inspect.signature(method).parameters.values()
        return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]

    assert keyword_only(Table.get) == ["consistent_read", "default"]
    assert keyword_only(Table.exists) == ["consistent_read"]
    assert keyword_only(Table.delete_item) == [
        "condition",
        "condition_expression",
        "expression_attribute_names",
        "expression_attribute_values",
        "expected_version",
    ]
    assert "upsert" in keyword_only(Table.update)
    assert "upsert" in keyword_only(Table.update_item)
    for write in (Table.put, Table.delete, Table.update, Table.update_item):
        assert "condition" in keyword_only(write)


def _public_objects() -> list[tuple[str, Any]]:
    objects = [
        (name, getattr(dynamorm_py, name)) for name in dynamorm_py.__all__ if not name.startswith("__")
    ]
    for module_name, names in SUBMODULE_NAMES.items():
        module = importlib.import_module(module_name)
        objects += [(f"{module_name}.{name}", getattr(module, name)) for name in names]
    return [(name, obj) for name, obj in objects if inspect.isclass(obj) or inspect.isfunction(obj)]


@pytest.mark.parametrize(("name", "obj"), _public_objects(), ids=[name for name, _ in _public_objects()])
def test_public_classes_and_functions_report_a_module_users_import_them_from(name: str, obj: Any) -> None:
    # Tracebacks, reprs, pickles and documentation tools show __module__; a private path there sends users
    # to modules that are not part of the API.
    module_name = obj.__module__
    assert not any(part.startswith("_") for part in module_name.split(".")), (name, module_name)
    assert getattr(importlib.import_module(module_name), obj.__qualname__) is obj


def test_importing_the_package_defers_models_queries_and_tables() -> None:
    # A Lambda cold start pays for the modules its handler uses, not for the whole package.
    code = (
        "import sys, dynamorm_py\n"
        "watched = ('dynamorm_py.model', 'dynamorm_py.query', 'dynamorm_py.transaction', 'asyncio')\n"
        "print(','.join(m for m in watched if m in sys.modules))\n"
        "from dynamorm_py import Table, ModelDefinition\n"
        "print(','.join(m for m in ('asyncio', 'aiobotocore') if m in sys.modules))\n"
        "print(dynamorm_py.query.Page.__name__)\n"  # public submodules stay attributes of the package
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["", "", "Page"]
