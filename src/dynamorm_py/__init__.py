"""dynamorm_py: a typed DynamoDB ORM, wire-compatible with the DynamORM Go and TypeScript libraries.

The errors are imported eagerly; every other public name resolves on first use (models, queries, tables...),
so importing the package costs little more than its errors and never imports an extra (a Lambda cold start
pays only for what the handler uses).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __repo_version__, __version__
from .errors import (
    AwsError,
    BatchInterruptedError,
    BatchRetryExceededError,
    CancellationReason,
    ConditionFailedError,
    CredentialsError,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ModelDefinitionError,
    NotFoundError,
    OutcomeUnknownError,
    TableNotFoundError,
    TransactionCanceledError,
    TransportError,
    UnsupportedTypeError,
    ValidationError,
)

if TYPE_CHECKING:
    from ._core.effects import PreparedRequest
    from ._drivers.sync import client
    from .aggregates import (
        AggregateResult,
        GroupByQuery,
        GroupedResult,
        aggregate_field,
        average_field,
        count_distinct,
        group_by,
        max_field,
        min_field,
        sum_field,
    )
    from .dms import (
        DmsWarning,
        assert_model_definition_equivalent_to_dms,
        dump_dms_document,
        get_dms_model,
        load_dms_file,
        models_from_dms,
        parse_dms_document,
    )
    from .model import (
        AttributeConverter,
        IndexDefinition,
        IndexSpec,
        ModelDefinition,
        Projection,
        attribute_equals,
        dynamorm_field,
        gsi,
        lsi,
        pk_prefix,
        sk_prefix,
    )
    from .multiaccount import AccountConfig, MultiAccountSessions
    from .optimizer import QueryOptimizer, QueryPlan, QueryShape, ScanShape
    from .protection import ConcurrencyLimiter, SimpleLimiter
    from .query import FilterCondition, FilterGroup, Page, SortKeyCondition
    from .retry import RetryPolicy
    from .runtime import (
        AwsCallMetric,
        create_lambda_boto3_config,
        get_lambda_boto3_client,
        get_lambda_dynamodb_client,
        get_lambda_kms_client,
        instrument_boto3_client,
        is_lambda_environment,
    )
    from .schema import build_create_table_request, create_table, delete_table, describe_table, ensure_table
    from .single_table import AsyncDynamormClient, DynamormClient
    from .streams import (
        StreamRecord,
        parse_stream_event,
        parse_stream_record,
        unmarshal_stream_image,
        unmarshal_stream_record,
    )
    from .table import AsyncTable, Table
    from .transaction import (
        TransactConditionCheck,
        TransactDelete,
        TransactPut,
        TransactUpdate,
        TransactWriteAction,
    )
    from .validation import (
        MaxExpressionLength,
        MaxFieldNameLength,
        MaxNestedDepth,
        MaxOperatorLength,
        MaxValueStringLength,
        SecurityValidationError,
        validate_expression,
        validate_field_name,
        validate_index_name,
        validate_operator,
        validate_table_name,
        validate_value,
    )

# Lazily resolved public names -> the module that defines them.
_LAZY = {
    "AttributeConverter": "model",
    "IndexDefinition": "model",
    "IndexSpec": "model",
    "ModelDefinition": "model",
    "Projection": "model",
    "dynamorm_field": "model",
    "gsi": "model",
    "lsi": "model",
    "FilterCondition": "query",
    "FilterGroup": "query",
    "Page": "query",
    "SortKeyCondition": "query",
    "TransactConditionCheck": "transaction",
    "TransactDelete": "transaction",
    "TransactPut": "transaction",
    "TransactUpdate": "transaction",
    "TransactWriteAction": "transaction",
    "Table": "table",
    "AsyncTable": "table",
    "DynamormClient": "single_table",
    "AsyncDynamormClient": "single_table",
    "PreparedRequest": "_core.effects",
    "client": "_drivers.sync",
    "QueryOptimizer": "optimizer",
    "QueryPlan": "optimizer",
    "QueryShape": "optimizer",
    "ScanShape": "optimizer",
    "build_create_table_request": "schema",
    "create_table": "schema",
    "ensure_table": "schema",
    "delete_table": "schema",
    "describe_table": "schema",
    "MaxFieldNameLength": "validation",
    "MaxOperatorLength": "validation",
    "MaxValueStringLength": "validation",
    "MaxNestedDepth": "validation",
    "MaxExpressionLength": "validation",
    "SecurityValidationError": "validation",
    "validate_field_name": "validation",
    "validate_operator": "validation",
    "validate_value": "validation",
    "validate_expression": "validation",
    "validate_table_name": "validation",
    "validate_index_name": "validation",
    "RetryPolicy": "retry",
    "DmsWarning": "dms",
    "load_dms_file": "dms",
    "models_from_dms": "dms",
    "dump_dms_document": "dms",
    "StreamRecord": "streams",
    "parse_stream_record": "streams",
    "parse_stream_event": "streams",
    "unmarshal_stream_image": "streams",
    "unmarshal_stream_record": "streams",
    "sk_prefix": "model",
    "pk_prefix": "model",
    "attribute_equals": "model",
    "parse_dms_document": "dms",
    "get_dms_model": "dms",
    "assert_model_definition_equivalent_to_dms": "dms",
    "AggregateResult": "aggregates",
    "GroupedResult": "aggregates",
    "GroupByQuery": "aggregates",
    "group_by": "aggregates",
    "sum_field": "aggregates",
    "average_field": "aggregates",
    "min_field": "aggregates",
    "max_field": "aggregates",
    "aggregate_field": "aggregates",
    "count_distinct": "aggregates",
    "AwsCallMetric": "runtime",
    "is_lambda_environment": "runtime",
    "create_lambda_boto3_config": "runtime",
    "get_lambda_boto3_client": "runtime",
    "get_lambda_dynamodb_client": "runtime",
    "get_lambda_kms_client": "runtime",
    "instrument_boto3_client": "runtime",
    "SimpleLimiter": "protection",
    "ConcurrencyLimiter": "protection",
    "AccountConfig": "multiaccount",
    "MultiAccountSessions": "multiaccount",
}

__all__ = [
    "AwsCallMetric",
    "is_lambda_environment",
    "create_lambda_boto3_config",
    "get_lambda_boto3_client",
    "get_lambda_dynamodb_client",
    "get_lambda_kms_client",
    "instrument_boto3_client",
    "SimpleLimiter",
    "ConcurrencyLimiter",
    "AccountConfig",
    "AggregateResult",
    "AttributeConverter",
    "AsyncDynamormClient",
    "AsyncTable",
    "AwsError",
    "BatchInterruptedError",
    "BatchRetryExceededError",
    "CancellationReason",
    "ConditionFailedError",
    "CredentialsError",
    "DmsWarning",
    "DynamormClient",
    "DynamormPyError",
    "EncryptionNotConfiguredError",
    "FilterCondition",
    "FilterGroup",
    "GroupByQuery",
    "GroupedResult",
    "IndexDefinition",
    "IndexSpec",
    "MaxExpressionLength",
    "MaxFieldNameLength",
    "MaxNestedDepth",
    "MaxOperatorLength",
    "MaxValueStringLength",
    "ModelDefinition",
    "ModelDefinitionError",
    "MultiAccountSessions",
    "NotFoundError",
    "OutcomeUnknownError",
    "Page",
    "PreparedRequest",
    "Projection",
    "QueryOptimizer",
    "QueryPlan",
    "QueryShape",
    "RetryPolicy",
    "ScanShape",
    "SecurityValidationError",
    "SortKeyCondition",
    "StreamRecord",
    "Table",
    "TableNotFoundError",
    "TransactConditionCheck",
    "TransactDelete",
    "TransactPut",
    "TransactUpdate",
    "TransactWriteAction",
    "TransactionCanceledError",
    "TransportError",
    "UnsupportedTypeError",
    "ValidationError",
    "__repo_version__",
    "__version__",
    "aggregate_field",
    "assert_model_definition_equivalent_to_dms",
    "attribute_equals",
    "average_field",
    "build_create_table_request",
    "count_distinct",
    "client",
    "create_table",
    "delete_table",
    "describe_table",
    "dump_dms_document",
    "dynamorm_field",
    "ensure_table",
    "get_dms_model",
    "group_by",
    "gsi",
    "load_dms_file",
    "lsi",
    "max_field",
    "min_field",
    "models_from_dms",
    "parse_dms_document",
    "parse_stream_event",
    "parse_stream_record",
    "pk_prefix",
    "sk_prefix",
    "sum_field",
    "unmarshal_stream_image",
    "unmarshal_stream_record",
    "validate_expression",
    "validate_field_name",
    "validate_index_name",
    "validate_operator",
    "validate_table_name",
    "validate_value",
]


# Public submodules, reachable as attributes (``dynamorm_py.query.Page``) as when they were imported eagerly.
_SUBMODULES = frozenset(
    {
        "aws_errors",
        "dms",
        "encryption",
        "model",
        "optimizer",
        "query",
        "retry",
        "schema",
        "single_table",
        "streams",
        "table",
        "transaction",
        "update_builder",
        "validation",
    }
)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        if name in _SUBMODULES:
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
