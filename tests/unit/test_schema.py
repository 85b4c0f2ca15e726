from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from doubles import RecordingClient
from dynamorm_py.errors import (
    ERR_AWS_VALIDATION,
    ERR_INVALID_MODEL,
    ERR_TIMEOUT,
    AwsError,
    TableNotFoundError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, Projection, dynamorm_field, gsi, lsi
from dynamorm_py.schema import (
    build_create_table_request,
    create_table,
    delete_table,
    describe_table,
    ensure_table,
)

THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}


@dataclass
class PkOnly:
    id: str = dynamorm_field(roles=["pk"])
    name: str = ""


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    status: str = ""
    placed: int = 0
    total: int = 0
    note: str = ""


@dataclass
class Session:
    user: str = dynamorm_field(roles=["pk"])
    started: str = dynamorm_field(roles=["sk"])
    expires: int = dynamorm_field(roles=["ttl"], default=0)


def order_model(*indexes: Any, table_name: str | None = "orders") -> ModelDefinition[Order]:
    return ModelDefinition.from_dataclass(Order, table_name=table_name, indexes=indexes)


# request shapes -----------------------------------------------------------------------------------------


def test_pk_only_model_gives_hash_key_and_on_demand_billing() -> None:
    model = ModelDefinition.from_dataclass(PkOnly, table_name="things")

    assert build_create_table_request(model) == {
        "TableName": "things",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def test_pk_and_sk_give_hash_and_range_keys() -> None:
    request = build_create_table_request(order_model())

    assert request["KeySchema"] == [
        {"AttributeName": "customer", "KeyType": "HASH"},
        {"AttributeName": "order_id", "KeyType": "RANGE"},
    ]
    assert request["AttributeDefinitions"] == [
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "order_id", "AttributeType": "S"},
    ]
    assert "GlobalSecondaryIndexes" not in request
    assert "LocalSecondaryIndexes" not in request
    assert "ProvisionedThroughput" not in request
    assert "StreamSpecification" not in request


def test_table_name_argument_overrides_the_model_table_name() -> None:
    assert build_create_table_request(order_model(), table_name="other")["TableName"] == "other"


def test_gsi_with_sort_key_defines_both_index_key_attributes() -> None:
    request = build_create_table_request(order_model(gsi("by-status", partition="status", sort="placed")))

    assert request["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "by-status",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "placed", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert request["AttributeDefinitions"] == [
        {"AttributeName": "customer", "AttributeType": "S"},
        {"AttributeName": "order_id", "AttributeType": "S"},
        {"AttributeName": "placed", "AttributeType": "N"},
        {"AttributeName": "status", "AttributeType": "S"},
    ]


def test_gsi_keys_only_projection_has_no_non_key_attributes() -> None:
    request = build_create_table_request(
        order_model(gsi("by-status", partition="status", projection=Projection.keys_only()))
    )

    (index,) = request["GlobalSecondaryIndexes"]
    assert index["KeySchema"] == [{"AttributeName": "status", "KeyType": "HASH"}]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_include_projection_lists_non_key_attributes_in_declared_order() -> None:
    request = build_create_table_request(
        order_model(gsi("by-status", partition="status", projection=Projection.include("total", "note")))
    )

    (index,) = request["GlobalSecondaryIndexes"]
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "note"]}


def test_lsi_uses_the_table_partition_key_and_its_own_sort_key() -> None:
    request = build_create_table_request(order_model(lsi("by-placed", sort="placed")))

    assert request["LocalSecondaryIndexes"] == [
        {
            "IndexName": "by-placed",
            "KeySchema": [
                {"AttributeName": "customer", "KeyType": "HASH"},
                {"AttributeName": "placed", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert "GlobalSecondaryIndexes" not in request
    assert [d["AttributeName"] for d in request["AttributeDefinitions"]] == ["customer", "order_id", "placed"]


def test_provisioned_throughput_is_copied_to_table_and_gsis_but_not_lsis() -> None:
    model = order_model(
        gsi("by-status", partition="status"),
        gsi("by-total", partition="total"),
        lsi("by-placed", sort="placed"),
    )

    request = build_create_table_request(model, billing_mode="PROVISIONED", provisioned_throughput=THROUGHPUT)

    assert request["BillingMode"] == "PROVISIONED"
    assert request["ProvisionedThroughput"] == THROUGHPUT
    assert [i["ProvisionedThroughput"] for i in request["GlobalSecondaryIndexes"]] == [THROUGHPUT, THROUGHPUT]
    assert "ProvisionedThroughput" not in request["LocalSecondaryIndexes"][0]
    # Each copy is its own dict: editing one request part cannot change another.
    assert (
        request["ProvisionedThroughput"] is not request["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    )


def test_provisioned_without_throughput_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="provisioned_throughput") as info:
        build_create_table_request(order_model(), billing_mode="PROVISIONED")

    assert info.value.code == ERR_INVALID_MODEL
    assert info.value.table == "orders"


@pytest.mark.parametrize(
    "throughput",
    [
        {"ReadCapacityUnits": 5},
        {"ReadCapacityUnits": 5, "WriteCapacityUnits": 0},
        {"ReadCapacityUnits": True, "WriteCapacityUnits": 1},
        {"ReadCapacityUnits": "5", "WriteCapacityUnits": 1},
        {"ReadCapacityUnits": 5, "WriteCapacityUnits": 1, "Extra": 1},
    ],
)
def test_incomplete_or_malformed_throughput_is_a_validation_error(throughput: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        build_create_table_request(
            order_model(), billing_mode="PROVISIONED", provisioned_throughput=throughput
        )


def test_pay_per_request_sends_no_throughput_even_when_given() -> None:
    request = build_create_table_request(
        order_model(gsi("by-status", partition="status")), provisioned_throughput=THROUGHPUT
    )

    assert "ProvisionedThroughput" not in request
    assert "ProvisionedThroughput" not in request["GlobalSecondaryIndexes"][0]


def test_unknown_billing_mode_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="billing_mode"):
        build_create_table_request(order_model(), billing_mode="ON_DEMAND")


@pytest.mark.parametrize("view_type", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_stream_view_type_adds_an_enabled_stream_specification(view_type: str) -> None:
    request = build_create_table_request(order_model(), stream_view_type=view_type)

    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view_type}


def test_unknown_stream_view_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="stream_view_type"):
        build_create_table_request(order_model(), stream_view_type="NEW")


def test_int_and_bytes_keys_are_n_and_b() -> None:
    @dataclass
    class Blob:
        shard: int = dynamorm_field(roles=["pk"])
        digest: bytes = dynamorm_field(roles=["sk"])

    request = build_create_table_request(ModelDefinition.from_dataclass(Blob, table_name="blobs"))

    assert request["AttributeDefinitions"] == [
        {"AttributeName": "digest", "AttributeType": "B"},
        {"AttributeName": "shard", "AttributeType": "N"},
    ]


def test_optional_int_index_key_is_n() -> None:
    @dataclass
    class Ranked:
        id: str = dynamorm_field(roles=["pk"])
        rank: int | None = None

    model = ModelDefinition.from_dataclass(
        Ranked, table_name="ranked", indexes=[gsi("by-rank", partition="rank")]
    )

    assert build_create_table_request(model)["AttributeDefinitions"] == [
        {"AttributeName": "id", "AttributeType": "S"},
        {"AttributeName": "rank", "AttributeType": "N"},
    ]


def test_datetime_sort_key_is_s() -> None:
    @dataclass
    class Event:
        stream: str = dynamorm_field(roles=["pk"])
        at: datetime = dynamorm_field(roles=["sk"])

    request = build_create_table_request(ModelDefinition.from_dataclass(Event, table_name="events"))

    assert {"AttributeName": "at", "AttributeType": "S"} in request["AttributeDefinitions"]


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class MoneyConverter:
    def to_dynamodb(self, value: Any) -> Any:
        return value.cents

    def from_dynamodb(self, value: Any) -> Any:
        return Money(int(value))


def test_converter_key_with_dynamodb_type_n_is_n() -> None:
    @dataclass
    class Price:
        amount: Money = dynamorm_field(roles=["pk"], converter=MoneyConverter(), dynamodb_type="N")

    request = build_create_table_request(ModelDefinition.from_dataclass(Price, table_name="prices"))

    assert request["AttributeDefinitions"] == [{"AttributeName": "amount", "AttributeType": "N"}]


def test_attribute_names_come_from_the_model_not_the_py_fields() -> None:
    @dataclass
    class Renamed:
        user_id: str = dynamorm_field(roles=["pk"], name="PK")
        kind: str = dynamorm_field(roles=["sk"], name="SK")

    request = build_create_table_request(ModelDefinition.from_dataclass(Renamed, table_name="renamed"))

    assert request["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]


def test_missing_table_name_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="table name") as info:
        build_create_table_request(order_model(table_name=None))

    assert isinstance(info.value, ValueError)
    assert info.value.operation == "build_create_table_request"


def test_attribute_definitions_are_sorted_and_deduplicated_when_an_index_reuses_a_key() -> None:
    model = order_model(
        gsi("by-order", partition="order_id", sort="customer"),
        gsi("by-status", partition="status", sort="order_id"),
        lsi("by-status-local", sort="status"),
    )

    request = build_create_table_request(model)

    assert [d["AttributeName"] for d in request["AttributeDefinitions"]] == ["customer", "order_id", "status"]


def test_non_key_attributes_are_not_defined() -> None:
    request = build_create_table_request(order_model())

    names = {d["AttributeName"] for d in request["AttributeDefinitions"]}
    assert names == {"customer", "order_id"}


# helper behaviour against a scripted client ------------------------------------------------------------


def client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


def scripted(**responses: list[Any]) -> RecordingClient:
    """A client answering each operation from its own list, in order; any other call fails the test."""
    return RecordingClient(responses, default=None)


def status(value: str) -> dict[str, Any]:
    return {"Table": {"TableStatus": value}}


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_create_table_polls_until_active_tolerating_a_missing_table() -> None:
    client = scripted(
        create_table=[{}],
        describe_table=[client_error("ResourceNotFoundException"), status("CREATING"), status("ACTIVE")],
    )
    sleep = RecordingSleep()

    create_table(order_model(), client=client, poll_interval_seconds=0.5, sleep=sleep)

    assert client.names() == ["create_table", "describe_table", "describe_table", "describe_table"]
    assert client.calls[0][1] == build_create_table_request(order_model())
    assert sleep.waits == [0.5, 0.5]


def test_create_table_ignores_resource_in_use() -> None:
    client = scripted(
        create_table=[client_error("ResourceInUseException")], describe_table=[status("ACTIVE")]
    )

    create_table(order_model(), client=client, sleep=RecordingSleep())

    assert client.names() == ["create_table", "describe_table"]


def test_create_table_without_waiting_makes_one_call() -> None:
    client = scripted(create_table=[{}])

    create_table(order_model(), client=client, wait_for_active=False)

    assert client.names() == ["create_table"]


def test_create_table_times_out_with_err_timeout() -> None:
    client = scripted(create_table=[{}], describe_table=[status("CREATING")])

    with pytest.raises(ValidationError) as info:
        create_table(order_model(), client=client, wait_timeout_seconds=0.0, sleep=RecordingSleep())

    assert info.value.code == ERR_TIMEOUT
    assert info.value.operation == "create_table"
    assert info.value.table == "orders"


def test_create_table_validation_exception_is_err_aws_validation() -> None:
    error = client_error("ValidationException", "bad key schema")
    client = scripted(create_table=[error])

    with pytest.raises(ValidationError) as info:
        create_table(order_model(), client=client)

    assert info.value.code == ERR_AWS_VALIDATION
    assert info.value.aws_code == "ValidationException"
    assert info.value.__cause__ is error


def test_create_table_other_aws_errors_are_aws_error() -> None:
    client = scripted(create_table=[client_error("LimitExceededException")])

    with pytest.raises(AwsError) as info:
        create_table(order_model(), client=client)

    assert info.value.code == "LimitExceededException"
    assert info.value.operation == "create_table"


def test_create_table_enables_ttl_on_the_ttl_attribute() -> None:
    model = ModelDefinition.from_dataclass(Session, table_name="sessions")
    client = scripted(create_table=[{}], update_time_to_live=[{}])

    create_table(model, client=client, wait_for_active=False, enable_ttl=True)

    assert client.calls[1] == (
        "update_time_to_live",
        {"TableName": "sessions", "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"}},
    )


def test_create_table_enable_ttl_makes_no_call_without_a_ttl_role() -> None:
    client = scripted(create_table=[{}])

    create_table(order_model(), client=client, wait_for_active=False, enable_ttl=True)

    assert client.names() == ["create_table"]


def test_create_table_on_an_existing_table_enables_ttl_only_when_it_is_off() -> None:
    model = ModelDefinition.from_dataclass(Session, table_name="sessions")
    enabled = {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}}
    client = scripted(
        create_table=[client_error("ResourceInUseException")],
        describe_time_to_live=[enabled],
    )

    create_table(model, client=client, wait_for_active=False, enable_ttl=True)

    assert client.names() == ["create_table", "describe_time_to_live"]


def test_ensure_table_creates_a_missing_table() -> None:
    client = scripted(
        describe_table=[client_error("ResourceNotFoundException"), status("ACTIVE")], create_table=[{}]
    )

    ensure_table(order_model(), client=client, sleep=RecordingSleep())

    assert client.names() == ["describe_table", "create_table", "describe_table"]


def test_ensure_table_waits_for_an_existing_table_and_enables_ttl_when_disabled() -> None:
    model = ModelDefinition.from_dataclass(Session, table_name="sessions")
    client = scripted(
        describe_table=[status("UPDATING"), status("UPDATING"), status("ACTIVE")],
        describe_time_to_live=[{"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}],
        update_time_to_live=[{}],
    )
    sleep = RecordingSleep()

    ensure_table(model, client=client, enable_ttl=True, sleep=sleep)

    assert client.names() == [
        "describe_table",
        "describe_table",
        "describe_table",
        "describe_time_to_live",
        "update_time_to_live",
    ]
    assert len(sleep.waits) == 2


def test_ensure_table_leaves_enabled_ttl_alone() -> None:
    model = ModelDefinition.from_dataclass(Session, table_name="sessions")
    enabled = {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}}
    client = scripted(describe_table=[status("ACTIVE")], describe_time_to_live=[enabled])

    ensure_table(model, client=client, enable_ttl=True)

    assert client.names() == ["describe_table", "describe_time_to_live"]


def test_ensure_table_errors_name_ensure_table() -> None:
    client = scripted(describe_table=[client_error("AccessDeniedException")])

    with pytest.raises(AwsError) as info:
        ensure_table(order_model(), client=client)

    assert info.value.operation == "ensure_table"


def test_delete_table_polls_until_the_table_is_gone() -> None:
    client = scripted(
        delete_table=[{}],
        describe_table=[status("DELETING"), client_error("ResourceNotFoundException")],
    )
    sleep = RecordingSleep()

    delete_table(order_model(), client=client, poll_interval_seconds=1.0, sleep=sleep)

    assert client.names() == ["delete_table", "describe_table", "describe_table"]
    assert sleep.waits == [1.0]


def test_delete_table_missing_is_table_not_found() -> None:
    client = scripted(delete_table=[client_error("ResourceNotFoundException")])

    with pytest.raises(TableNotFoundError) as info:
        delete_table(order_model(), client=client)

    assert info.value.operation == "delete_table"
    assert info.value.table == "orders"


def test_delete_table_ignore_missing_swallows_a_missing_table() -> None:
    client = scripted(delete_table=[client_error("ResourceNotFoundException")])

    delete_table(order_model(), client=client, ignore_missing=True)

    assert client.names() == ["delete_table"]


def test_delete_table_times_out_with_err_timeout() -> None:
    client = scripted(delete_table=[{}], describe_table=[status("DELETING")])

    with pytest.raises(ValidationError) as info:
        delete_table(order_model(), client=client, wait_timeout_seconds=0.0)

    assert info.value.code == ERR_TIMEOUT
    assert info.value.operation == "delete_table"


def test_describe_table_returns_the_raw_response() -> None:
    response = {"Table": {"TableName": "orders", "TableStatus": "ACTIVE"}, "ResponseMetadata": {}}
    client = scripted(describe_table=[response])

    assert describe_table(order_model(), client=client, table_name="orders") == response
    assert client.calls == [("describe_table", {"TableName": "orders"})]
