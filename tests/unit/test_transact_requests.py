"""transact_write and transact_get: exact requests, tokens, conflict retries, reasons by position, bad input.

The core is driven with ``run_sync`` (and through ``Table``) against a scripted client defined here; no code
of dynamorm_py is mocked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from doubles import expecting, fixed_kms
from dynamorm_py import (
    ModelDefinition,
    Table,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
)
from dynamorm_py._core.context import EXPLAIN_ENVELOPE, TableContext
from dynamorm_py._core.effects import Op
from dynamorm_py._core.transactions import transact_get_op, transact_write_op
from dynamorm_py._drivers.sync import run_sync
from dynamorm_py.encryption import encrypt_av
from dynamorm_py.errors import (
    ERR_CONDITION_FAILED,
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_TRANSACTION_FAILED,
    AwsError,
    CancellationReason,
    ConditionFailedError,
    OutcomeUnknownError,
    TransactionCanceledError,
    ValidationError,
)
from dynamorm_py.mocks import FakeDynamoDBClient
from dynamorm_py.query import FilterCondition, FilterGroup
from dynamorm_py.retry import RetryPolicy

R = TypeVar("R")

TABLE = "accounts"
NOW = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
NOW_TEXT = "2026-01-02T03:04:05.123456000Z"
TOKEN = "order-42-payment"
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass
class Account:
    owner: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field(roles=["sk"])
    balance: int = 0
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(name="updatedAt", roles=["updated_at"], default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)


@dataclass
class Note:
    id: str = dynamorm_field(roles=["pk"])
    text: str = ""


@dataclass
class Secret:
    id: str = dynamorm_field(roles=["pk"])
    pin: str = dynamorm_field(encrypted=True, default="")


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name=TABLE)
NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")
SECRETS = ModelDefinition.from_dataclass(Secret, table_name="secrets")


# --- test doubles -------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return NOW


def cancelled(*codes: str | None, message: str = "Transaction cancelled") -> ClientError:
    """A recorded TransactionCanceledException: one reason per action; ``None`` drops the Code entry."""
    reasons: list[dict[str, Any]] = []
    for code in codes:
        if code is None:
            reasons.append({})
        elif code == "None":
            reasons.append({"Code": "None"})
        else:
            reasons.append({"Code": code, "Message": f"{code} happened"})
    response = {
        "Error": {"Code": "TransactionCanceledException", "Message": message},
        "CancellationReasons": reasons,
    }
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


def context(
    model: ModelDefinition[Any] = ACCOUNTS, clock: Clock | None = None, **kwargs: Any
) -> TableContext[Any]:
    assert model.table_name is not None
    return TableContext(
        model=model,
        table_name=model.table_name,
        now=clock or Clock(),
        rand_bytes=lambda n: b"\x05" * n,
        **kwargs,
    )


def drive(op: Op[R], client: Any, *, sleeps: list[float] | None = None, kms: Any = None) -> R:
    return run_sync(
        op,
        clients={"dynamodb": client, "kms": kms},
        sleep=sleeps.append if sleeps is not None else None,
    )


def key(owner: str, name: str) -> dict[str, Any]:
    return {"owner": {"S": owner}, "name": {"S": name}}


def four_actions() -> list[Any]:
    return [
        TransactPut(Account("ann", "savings", 100), if_not_exists=True),
        TransactUpdate("ann", "checking", {"balance": 50}, expected_version=3),
        TransactDelete("bob", "old", expected_version=1),
        TransactConditionCheck(
            "bob",
            "main",
            condition_expression="#b >= :min",
            expression_attribute_names={"#b": "balance"},
            expression_attribute_values={":min": 100},
        ),
    ]


# --- transact_write requests --------------------------------------------------------------------------------


def test_every_action_type_builds_the_request_of_its_single_item_twin() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(transact_write_op(context(), four_actions(), client_request_token=TOKEN), client)

    assert client.calls == [
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": {
                                "owner": {"S": "ann"},
                                "name": {"S": "savings"},
                                "balance": {"N": "100"},
                                "createdAt": {"S": NOW_TEXT},
                                "updatedAt": {"S": NOW_TEXT},
                                "version": {"N": "0"},
                            },
                            "ConditionExpression": "attribute_not_exists(#lc_pk)",
                            "ExpressionAttributeNames": {"#lc_pk": "owner"},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": key("ann", "checking"),
                            "UpdateExpression": (
                                "SET #d_balance = :d_balance, #lc_upd = :lc_now ADD #lc_ver :lc_one"
                            ),
                            "ConditionExpression": "#lc_ver = :lc_expected",
                            "ExpressionAttributeNames": {
                                "#d_balance": "balance",
                                "#lc_upd": "updatedAt",
                                "#lc_ver": "version",
                            },
                            "ExpressionAttributeValues": {
                                ":d_balance": {"N": "50"},
                                ":lc_now": {"S": NOW_TEXT},
                                ":lc_expected": {"N": "3"},
                                ":lc_one": {"N": "1"},
                            },
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Delete": {
                            "TableName": TABLE,
                            "Key": key("bob", "old"),
                            "ConditionExpression": "#lc_ver = :lc_expected",
                            "ExpressionAttributeNames": {"#lc_ver": "version"},
                            "ExpressionAttributeValues": {":lc_expected": {"N": "1"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": key("bob", "main"),
                            "ConditionExpression": "#b >= :min",
                            "ExpressionAttributeNames": {"#b": "balance"},
                            "ExpressionAttributeValues": {":min": {"N": "100"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ],
                "ClientRequestToken": TOKEN,
            },
        )
    ]


def test_a_caller_condition_is_anded_before_the_library_condition() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")
    put = TransactPut(
        Account("ann", "x"),
        condition_expression="#o <> :o",
        expression_attribute_names={"#o": "owner"},
        expression_attribute_values={":o": "eve"},
        if_not_exists=True,
    )

    drive(transact_write_op(context(), [put]), client)

    sent = client.calls[0][1]["TransactItems"][0]["Put"]
    assert sent["ConditionExpression"] == "(#o <> :o) AND (attribute_not_exists(#lc_pk))"
    assert sent["ExpressionAttributeNames"] == {"#lc_pk": "owner", "#o": "owner"}


def test_one_clock_reading_serves_every_action() -> None:
    clock = Clock()
    client = FakeDynamoDBClient().expect("transact_write_items")
    actions = [
        TransactPut(Account("a", "1")),
        TransactPut(Account("a", "2")),
        TransactUpdate("a", "3", {"balance": 1}, expected_version=0),
    ]

    drive(transact_write_op(context(clock=clock), actions), client)

    assert clock.calls == 1
    items = client.calls[0][1]["TransactItems"]
    assert items[1]["Put"]["Item"]["updatedAt"] == items[2]["Update"]["ExpressionAttributeValues"][":lc_now"]


def test_a_pk_only_model_takes_pk_and_sk_none_in_every_action() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(
        transact_write_op(
            context(NOTES),
            [TransactUpdate("a", None, {"text": "hi"}), TransactDelete("b"), TransactPut(Note("c", "x"))],
        ),
        client,
    )

    items = client.calls[0][1]["TransactItems"]
    assert items[0]["Update"]["Key"] == {"id": {"S": "a"}}
    assert items[0]["Update"]["UpdateExpression"] == "SET #d_text = :d_text"
    assert items[1] == {"Delete": {"TableName": "notes", "Key": {"id": {"S": "b"}}}}


def test_a_put_of_an_encrypted_model_is_sealed_through_kms() -> None:
    kms = fixed_kms()
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(
        transact_write_op(context(SECRETS, kms_key_arn=ARN), [TransactPut(Secret("s", "1234"))]),
        client,
        kms=kms,
    )

    item = client.calls[0][1]["TransactItems"][0]["Put"]["Item"]
    assert set(item["pin"]["M"]) == {"v", "edk", "nonce", "ct"}
    assert [name for name, _ in kms.calls] == ["generate_data_key"]


def test_an_update_of_an_encrypted_field_is_sealed_too() -> None:
    kms = fixed_kms()
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(
        transact_write_op(context(SECRETS, kms_key_arn=ARN), [TransactUpdate("s", None, {"pin": "9"})]),
        client,
        kms=kms,
    )

    values = client.calls[0][1]["TransactItems"][0]["Update"]["ExpressionAttributeValues"]
    assert set(values[":d_pin"]["M"]) == {"v", "edk", "nonce", "ct"}


# --- tokens -------------------------------------------------------------------------------------------------


def test_without_a_token_each_call_sends_a_fresh_uuid4() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items").expect("transact_write_items")
    table = Table(NOTES, client=client)

    table.transact_write([TransactDelete("a")])
    table.transact_write([TransactDelete("a")])

    tokens = [params["ClientRequestToken"] for params in [params for _, params in client.calls]]
    assert tokens[0] != tokens[1]
    assert all(uuid.UUID(token).version == 4 and len(token) == 36 for token in tokens)


@pytest.mark.parametrize("token", ["x", "a" * 36])
def test_a_token_of_1_to_36_characters_is_sent_as_is(token: str) -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(transact_write_op(context(NOTES), [TransactDelete("a")], client_request_token=token), client)

    assert client.calls[0][1]["ClientRequestToken"] == token


@pytest.mark.parametrize("token", ["", "a" * 37, 42])
def test_a_token_outside_1_to_36_characters_is_rejected_before_any_call(token: Any) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        Table(NOTES, client=client).transact_write([TransactDelete("a")], client_request_token=token)

    assert (error.value.code, error.value.operation) == (ERR_INVALID_VALUE, "transact_write")
    assert client.calls == []


def test_explain_transact_write_generates_a_token_the_same_way() -> None:
    client = FakeDynamoDBClient()
    table = Table(ACCOUNTS, client=client, now=Clock())

    request = table.explain.transact_write(four_actions())
    pinned = table.explain.transact_write(four_actions(), client_request_token=TOKEN)

    assert request.operation == "transact_write_items"
    assert uuid.UUID(request.params["ClientRequestToken"]).version == 4
    assert pinned.params["ClientRequestToken"] == TOKEN
    assert pinned.params["TransactItems"] == request.params["TransactItems"]
    assert client.calls == []


def test_explain_transact_write_renders_encrypted_values_as_the_empty_envelope() -> None:
    table = Table(SECRETS, client=FakeDynamoDBClient(), kms_key_arn=ARN, kms_client=fixed_kms())

    request = table.explain.transact_write([TransactPut(Secret("s", "1234"))])

    assert request.params["TransactItems"][0]["Put"]["Item"]["pin"] == EXPLAIN_ENVELOPE
    assert request.encrypted_attributes == ("pin",)


# --- cancellation and conflict retries ----------------------------------------------------------------------


def test_a_failed_third_action_reports_a_reason_for_every_position() -> None:
    client = expecting("transact_write_items", cancelled("None", "None", "ConditionalCheckFailed", "None"))

    with pytest.raises(ConditionFailedError) as caught:
        drive(transact_write_op(context(), four_actions(), max_conflict_retries=3), client)

    error = caught.value
    assert [r.index for r in error.reasons] == [0, 1, 2, 3]
    assert error.reason_codes == ("None", "None", "ConditionalCheckFailed", "None")
    assert error.reasons[2] == CancellationReason(
        2, "ConditionalCheckFailed", "ConditionalCheckFailed happened"
    )
    assert (error.code, error.operation, error.table) == (ERR_CONDITION_FAILED, "transact_write", TABLE)
    assert len(client.calls) == 1  # a failed condition is never retried


def test_an_entry_without_a_code_keeps_its_position_as_none() -> None:
    client = expecting("transact_write_items", cancelled(None, "ThrottlingError", None))

    with pytest.raises(TransactionCanceledError) as caught:
        drive(transact_write_op(context(NOTES), [TransactDelete(i) for i in "abc"]), client)

    assert caught.value.reason_codes == ("None", "ThrottlingError", "None")
    assert caught.value.code == ERR_TRANSACTION_FAILED
    assert [r.index for r in caught.value.reasons] == [0, 1, 2]


def test_a_condition_failure_wins_over_other_reasons() -> None:
    client = expecting("transact_write_items", cancelled("TransactionConflict", "ConditionalCheckFailed"))

    with pytest.raises(ConditionFailedError) as caught:
        drive(
            transact_write_op(
                context(NOTES), [TransactDelete("a"), TransactDelete("b")], max_conflict_retries=5
            ),
            client,
        )

    assert caught.value.reason_codes == ("TransactionConflict", "ConditionalCheckFailed")
    assert len(client.calls) == 1


def test_pure_conflicts_are_retried_with_the_same_token_and_the_batch_schedule() -> None:
    sleeps: list[float] = []
    conflict = cancelled("None", "TransactionConflict")
    client = expecting("transact_write_items", conflict, conflict, conflict, {})

    drive(
        transact_write_op(context(NOTES), [TransactDelete("a"), TransactDelete("b")], max_conflict_retries=3),
        client,
        sleeps=sleeps,
    )

    requests = [params for _, params in client.calls]
    assert len(requests) == 4
    assert all(params == requests[0] for params in requests)
    assert uuid.UUID(requests[0]["ClientRequestToken"]).version == 4
    assert sleeps == [0.05, 0.1, 0.2]


def test_when_conflict_retries_run_out_the_last_error_is_raised() -> None:
    sleeps: list[float] = []
    client = expecting(
        "transact_write_items", *[cancelled("TransactionConflict", message=f"attempt {n}") for n in range(8)]
    )

    with pytest.raises(TransactionCanceledError) as caught:
        drive(
            transact_write_op(context(NOTES), [TransactDelete("a")], max_conflict_retries=7),
            client,
            sleeps=sleeps,
        )

    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert len(client.calls) == 8
    assert caught.value.reason_codes == ("TransactionConflict",)
    client.assert_no_pending()


@pytest.mark.parametrize(
    "codes",
    [("TransactionConflict", "ThrottlingError"), ("None", "None"), ("ItemCollectionSizeLimitExceeded",)],
)
def test_other_cancellations_are_not_retried(codes: tuple[str, ...]) -> None:
    client = expecting("transact_write_items", cancelled(*codes))

    with pytest.raises(TransactionCanceledError):
        drive(
            transact_write_op(
                context(NOTES), [TransactDelete(str(i)) for i in range(len(codes))], max_conflict_retries=4
            ),
            client,
        )

    assert len(client.calls) == 1


def test_conflicts_are_not_retried_by_default() -> None:
    client = expecting("transact_write_items", cancelled("TransactionConflict"))

    with pytest.raises(TransactionCanceledError):
        Table(NOTES, client=client).transact_write([TransactDelete("a")], sleep=None)

    assert len(client.calls) == 1


def test_an_idempotent_parameter_mismatch_is_an_aws_error() -> None:
    error = ClientError(
        {"Error": {"Code": "IdempotentParameterMismatchException", "Message": "token reused"}},
        "TransactWriteItems",
    )
    client = expecting("transact_write_items", error)

    with pytest.raises(AwsError) as caught:
        drive(transact_write_op(context(NOTES), [TransactDelete("a")], client_request_token=TOKEN), client)

    assert caught.value.code == "IdempotentParameterMismatchException"


# --- bad input ----------------------------------------------------------------------------------------------


def reject(actions: Any, code: str, model: ModelDefinition[Any] = ACCOUNTS, **kwargs: Any) -> ValidationError:
    client = FakeDynamoDBClient()
    with pytest.raises(ValidationError) as caught:
        Table(model, client=client).transact_write(actions, **kwargs)
    assert client.calls == []
    assert caught.value.code == code
    assert caught.value.operation == "transact_write"
    return caught.value


def test_no_actions_and_101_actions_are_rejected_before_any_call() -> None:
    reject([], ERR_INVALID_OPERATOR)
    reject([TransactDelete(str(i)) for i in range(101)], ERR_INVALID_OPERATOR, NOTES)


def test_100_actions_are_accepted() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(transact_write_op(context(NOTES), [TransactDelete(str(i)) for i in range(100)]), client)

    assert len(client.calls[0][1]["TransactItems"]) == 100


@pytest.mark.parametrize(
    "second",
    [
        TransactUpdate("ann", "savings", {"balance": 1}, expected_version=0),
        TransactDelete("ann", "savings"),
        TransactConditionCheck("ann", "savings", "attribute_exists(#o)", {"#o": "owner"}),
        TransactPut(Account("ann", "savings", 5)),
    ],
    ids=["put+update", "put+delete", "put+check", "put+put"],
)
def test_two_actions_on_one_item_are_rejected_before_any_call(second: Any) -> None:
    error = reject([TransactPut(Account("ann", "savings")), second], ERR_INVALID_MODEL)

    assert "ann" not in str(error)


def test_two_actions_on_one_item_are_found_through_numeric_forms() -> None:
    @dataclass
    class Counter:
        id: Decimal = dynamorm_field(roles=["pk"])  # takes ints too
        n: int = 0

    model = ModelDefinition.from_dataclass(Counter, table_name="counters")

    reject([TransactDelete(7), TransactUpdate(Decimal("7.0"), None, {"n": 1})], ERR_INVALID_MODEL, model)


def test_actions_of_an_unknown_type_are_rejected() -> None:
    reject([TransactDelete("ann", "x"), {"Put": {}}], ERR_INVALID_MODEL)


def test_a_put_of_the_wrong_model_type_is_rejected() -> None:
    reject([TransactPut(Note("x"))], ERR_INVALID_MODEL)


def test_a_versioned_update_without_expected_version_is_rejected_as_update_does() -> None:
    reject([TransactUpdate("ann", "savings", {"balance": 1})], ERR_INVALID_MODEL)


def test_a_condition_check_needs_a_condition() -> None:
    reject([TransactConditionCheck("ann", "savings", "")], ERR_INVALID_MODEL)


def test_a_negative_conflict_retry_count_is_rejected() -> None:
    reject([TransactDelete("ann", "x")], ERR_INVALID_OPERATOR, max_conflict_retries=-1)


# --- transact_get -------------------------------------------------------------------------------------------


def stored(owner: str, name: str, balance: int) -> dict[str, Any]:
    return {
        **key(owner, name),
        "balance": {"N": str(balance)},
        "createdAt": {"S": NOW_TEXT},
        "updatedAt": {"S": NOW_TEXT},
        "version": {"N": "2"},
    }


def test_transact_get_returns_one_result_per_key_in_order_with_none_for_missing() -> None:
    client = expecting(
        "transact_get_items",
        {"Responses": [{"Item": stored("ann", "b", 2)}, {}, {"Item": stored("ann", "a", 1)}]},
    )

    results = Table(ACCOUNTS, client=client).transact_get([("ann", "b"), ("bob", "z"), ("ann", "a")])

    assert results == [
        Account("ann", "b", 2, NOW, NOW, 2),
        None,
        Account("ann", "a", 1, NOW, NOW, 2),
    ]
    assert client.calls == [
        (
            "transact_get_items",
            {
                "TransactItems": [
                    {"Get": {"TableName": TABLE, "Key": key("ann", "b")}},
                    {"Get": {"TableName": TABLE, "Key": key("bob", "z")}},
                    {"Get": {"TableName": TABLE, "Key": key("ann", "a")}},
                ]
            },
        )
    ]


def test_transact_get_projection_uses_projection_placeholders() -> None:
    client = expecting("transact_get_items", {"Responses": [{"Item": {"id": {"S": "n"}}}]})

    results = drive(transact_get_op(context(NOTES), ["n"], projection=["id"]), client)

    assert results == [Note("n")]
    assert client.calls[0][1]["TransactItems"] == [
        {
            "Get": {
                "TableName": "notes",
                "Key": {"id": {"S": "n"}},
                "ProjectionExpression": "#p_id",
                "ExpressionAttributeNames": {"#p_id": "id"},
            }
        }
    ]


def test_transact_get_decrypts() -> None:
    kms = fixed_kms()
    envelope = drive(
        encrypt_av({"S": "1234"}, attr_name="pin", kms_key_arn=ARN, rand_bytes=lambda n: b"\x02" * n),
        None,
        kms=kms,
    )
    client = expecting("transact_get_items", {"Responses": [{"Item": {"id": {"S": "s"}, "pin": envelope}}]})

    assert drive(transact_get_op(context(SECRETS, kms_key_arn=ARN), ["s"]), client, kms=kms) == [
        Secret("s", "1234")
    ]
    assert [name for name, _ in kms.calls] == ["generate_data_key", "decrypt"]


@pytest.mark.parametrize("keys", [[], [str(i) for i in range(101)]], ids=["none", "101"])
def test_transact_get_takes_1_to_100_keys(keys: list[str]) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as caught:
        Table(NOTES, client=client).transact_get(keys)

    assert (caught.value.code, caught.value.operation) == (ERR_INVALID_OPERATOR, "transact_get")
    assert client.calls == []


@pytest.mark.parametrize("keys", [["a", "b", "a"], ["a", ("a", None)]])
def test_transact_get_rejects_duplicate_keys(keys: list[Any]) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as caught:
        Table(NOTES, client=client).transact_get(keys)

    assert caught.value.code == ERR_INVALID_MODEL
    assert client.calls == []


@pytest.mark.parametrize("bad", ["ann", ("ann",), ("ann", "a", "b")])
def test_transact_get_rejects_keys_of_the_wrong_shape(bad: Any) -> None:
    with pytest.raises(ValidationError):
        Table(ACCOUNTS, client=FakeDynamoDBClient()).transact_get([("ann", "a"), bad])


def test_transact_get_cancellation_carries_reasons() -> None:
    error = cancelled("None", "TransactionConflict")
    client = expecting("transact_get_items", error)

    with pytest.raises(TransactionCanceledError) as caught:
        Table(NOTES, client=client).transact_get(["a", "b"])

    assert caught.value.reason_codes == ("None", "TransactionConflict")
    assert caught.value.operation == "transact_get"


def test_explain_transact_get_shows_the_request() -> None:
    request = Table(NOTES, client=FakeDynamoDBClient()).explain.transact_get(["a", "b"])

    assert request.operation == "transact_get_items"
    assert [item["Get"]["Key"] for item in request.params["TransactItems"]] == [
        {"id": {"S": "a"}},
        {"id": {"S": "b"}},
    ]


# --- explain matches what is sent; the Table driver's token and sleep ---------------------------------------


def test_explain_transaction_requests_equal_what_the_call_sends() -> None:
    client = (
        FakeDynamoDBClient()
        .expect("transact_write_items")
        .expect("transact_get_items", response={"Responses": [{}, {}]})
    )
    table = Table(ACCOUNTS, client=client, now=Clock())
    keys = [("ann", "a"), ("bob", "b")]

    explained = [
        table.explain.transact_write(four_actions(), client_request_token=TOKEN),
        table.explain.transact_get(keys, projection=["owner", "name", "balance"]),
    ]
    assert client.calls == []
    table.transact_write(four_actions(), client_request_token=TOKEN)
    table.transact_get(keys, projection=["owner", "name", "balance"])

    assert [(r.operation, r.params) for r in explained] == client.calls


def test_table_conflict_retries_reuse_the_generated_token_and_sleep_none_never_waits() -> None:
    conflict = cancelled("TransactionConflict", "None")
    client = expecting("transact_write_items", *[conflict] * 7, {})
    slept: list[float] = []

    Table(NOTES, client=client).transact_write(
        [TransactDelete("a"), TransactDelete("b")], max_conflict_retries=7, sleep=slept.append
    )
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]  # the schedule a sleeping caller gets

    client = expecting("transact_write_items", *[conflict] * 7, {})
    Table(NOTES, client=client).transact_write(
        [TransactDelete("a"), TransactDelete("b")], max_conflict_retries=7, sleep=None
    )
    tokens = {params["ClientRequestToken"] for params in [params for _, params in client.calls]}
    assert len(client.calls) == 8 and len(tokens) == 1
    assert uuid.UUID(tokens.pop()).version == 4


# --- the library's retries: a transaction keeps its token ------------------------------------------------


def test_a_transaction_whose_answer_was_lost_is_resent_with_the_same_token_and_trusted() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0.2, rand_uniform=lambda low, high: high)
    client = expecting("transact_write_items", ReadTimeoutError(endpoint_url="http://x"), {})

    drive(transact_write_op(context(NOTES, retry=policy), [TransactDelete("a")]), client, sleeps=sleeps)

    first, second = [params for _, params in client.calls]
    assert first == second  # the same ClientRequestToken: DynamoDB applies it at most once
    assert sleeps == [0.2]


def test_a_transaction_whose_attempts_all_timed_out_has_an_unknown_outcome() -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.0)
    client = expecting(
        "transact_write_items",
        ReadTimeoutError(endpoint_url="http://x"),
        ReadTimeoutError(endpoint_url="http://x"),
    )

    with pytest.raises(OutcomeUnknownError) as caught:
        drive(transact_write_op(context(NOTES, retry=policy), [TransactDelete("a")]), client)

    assert caught.value.key is None and len(caught.value.attempt_errors) == 2


def test_a_cancellation_after_a_lost_answer_is_trusted_thanks_to_the_token() -> None:
    policy = RetryPolicy(base_delay=0.0)
    client = expecting(
        "transact_write_items", ReadTimeoutError(endpoint_url="http://x"), cancelled("ConditionalCheckFailed")
    )

    with pytest.raises(ConditionFailedError) as caught:
        drive(transact_write_op(context(NOTES, retry=policy), [TransactDelete("a")]), client)

    assert not isinstance(caught.value, OutcomeUnknownError)


# --- typed conditions (condition=) --------------------------------------------------------------------------

RICH = FilterCondition.gte("balance", 100)
NOT_EVE = ~FilterCondition.eq("owner", "eve")


def test_every_action_takes_a_typed_condition_anded_before_the_library_one() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")
    actions = [
        TransactPut(Account("ann", "savings", 100), if_not_exists=True, condition=NOT_EVE),
        TransactUpdate("ann", "checking", {"balance": 50}, expected_version=3, condition=RICH),
        TransactDelete("bob", "old", expected_version=1, condition=RICH | NOT_EVE),
        TransactConditionCheck("bob", "main", condition=RICH & FilterCondition.exists("created_at")),
    ]

    drive(transact_write_op(context(), actions, client_request_token=TOKEN), client)

    put, update, delete, check = (next(iter(item.values())) for item in client.calls[0][1]["TransactItems"])
    assert put["ConditionExpression"] == "(NOT (#wc_owner = :wc1)) AND (attribute_not_exists(#lc_pk))"
    assert put["ExpressionAttributeNames"] == {"#lc_pk": "owner", "#wc_owner": "owner"}
    assert put["ExpressionAttributeValues"] == {":wc1": {"S": "eve"}}
    assert update["ConditionExpression"] == "(#wc_balance >= :wc1) AND (#lc_ver = :lc_expected)"
    assert update["ExpressionAttributeValues"][":wc1"] == {"N": "100"}
    assert update["ExpressionAttributeNames"]["#wc_balance"] == "balance"
    assert delete["ConditionExpression"] == (
        "(#wc_balance >= :wc1 OR NOT (#wc_owner = :wc2)) AND (#lc_ver = :lc_expected)"
    )
    assert delete["ExpressionAttributeValues"] == {
        ":lc_expected": {"N": "1"},
        ":wc1": {"N": "100"},
        ":wc2": {"S": "eve"},
    }
    assert check == {
        "TableName": TABLE,
        "Key": key("bob", "main"),
        "ConditionExpression": "(#wc_balance >= :wc1 AND attribute_exists(#wc_created_at))",
        "ExpressionAttributeNames": {"#wc_balance": "balance", "#wc_created_at": "createdAt"},
        "ExpressionAttributeValues": {":wc1": {"N": "100"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_a_condition_check_keeps_its_positional_raw_form() -> None:
    client = FakeDynamoDBClient().expect("transact_write_items")

    drive(
        transact_write_op(
            context(), [TransactConditionCheck("bob", "main", "attribute_exists(#o)", {"#o": "owner"})]
        ),
        client,
    )

    check = client.calls[0][1]["TransactItems"][0]["ConditionCheck"]
    assert check["ConditionExpression"] == "attribute_exists(#o)"


def test_explain_transact_write_shows_the_rendered_typed_condition() -> None:
    table = Table(ACCOUNTS, client=FakeDynamoDBClient())

    request = table.explain.transact_write([TransactConditionCheck("bob", "main", condition=~RICH)])

    assert (
        request.params["TransactItems"][0]["ConditionCheck"]["ConditionExpression"]
        == "NOT (#wc_balance >= :wc1)"
    )


@pytest.mark.parametrize(
    "action",
    [
        TransactPut(Account("ann", "x"), condition=RICH, condition_expression="attribute_exists(#o)"),
        TransactUpdate(
            "ann", "x", {"balance": 1}, expected_version=0, condition=RICH, condition_expression="a"
        ),
        TransactDelete("ann", "x", condition=RICH, expression_attribute_names={"#o": "owner"}),
        TransactConditionCheck("ann", "x", "attribute_exists(#o)", {"#o": "owner"}, condition=RICH),
    ],
    ids=["put", "update", "delete", "check"],
)
def test_an_action_with_a_typed_and_a_raw_condition_is_rejected_before_any_call(action: Any) -> None:
    error = reject([action], ERR_INVALID_OPERATOR)

    assert error.field in ("condition_expression", "expression_attribute_names")


def test_a_typed_condition_on_an_encrypted_field_is_rejected_in_every_action() -> None:
    for action in (
        TransactPut(Secret("s1"), condition=FilterCondition.eq("pin", "1234")),
        TransactDelete("s1", condition=FilterCondition.exists("pin")),
        TransactConditionCheck("s1", None, condition=~FilterCondition.eq("pin", "1234")),
    ):
        client = FakeDynamoDBClient()
        kms = fixed_kms()
        table = Table(SECRETS, client=client, kms_key_arn=ARN, kms_client=kms)
        with pytest.raises(ValidationError) as caught:
            table.transact_write([action])
        assert (caught.value.code, caught.value.field) == (ERR_ENCRYPTED_FIELD_NOT_QUERYABLE, "pin")
        assert "1234" not in str(caught.value)
        assert client.calls == [] and kms.calls == []


def test_a_condition_check_whose_typed_condition_renders_nothing_is_rejected() -> None:
    error = reject(
        [TransactConditionCheck("ann", "x", condition=FilterGroup.and_(FilterGroup.or_()))], ERR_INVALID_MODEL
    )

    assert error.field == "condition"
