"""Exact requests of put/get/delete/update/update_item/update_builder (api.md §1.3, §1.4, §1.9, §2.2, §3.7).

A ``RecordingClient`` stands in for the botocore client: it records the kwargs of every call and answers
from a script. Bad inputs must fail with a typed error carrying code, operation and table before any call.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from doubles import RecordingClient, fixed_kms
from dynamorm_py._core.effects import PreparedRequest
from dynamorm_py.errors import (
    ERR_CONDITION_FAILED,
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_ITEM_NOT_FOUND,
    ERR_MISSING_PRIMARY_KEY,
    ERR_SECURITY_VALIDATION,
    ERR_UNSUPPORTED_TYPE,
    ConditionFailedError,
    DynamormPyError,
    NotFoundError,
    OutcomeUnknownError,
    SecurityValidationError,
    TableNotFoundError,
    UnsupportedTypeError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.query import FilterCondition, FilterGroup
from dynamorm_py.retry import RetryPolicy
from dynamorm_py.table import Table

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW_TEXT = "2026-01-02T03:04:05.000000000Z"
SECRET = "s3cr3t-value-7f3a"
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def fixed_clock() -> datetime:
    return NOW


def client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


# --- models --------------------------------------------------------------------------------------------


@dataclass
class User:
    """The contract ``User`` model (tests/fixtures/dms/user.yml) as a dataclass."""

    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    email_hash: str = "h"
    nickname: str = dynamorm_field(omitempty=True, default="")
    tags: set[str] = dynamorm_field(omitempty=True, default_factory=set)
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)
    ttl: int = dynamorm_field(roles=["ttl"], omitempty=True, default=0)


USERS = ModelDefinition.from_dataclass(User, table_name="users_contract", naming="camelCase")


@dataclass
class Note:
    """Unversioned, no lifecycle fields, pk only, one field of most value kinds."""

    id: str = dynamorm_field(roles=["pk"])
    title: str = ""
    body: str | None = None
    count: int = 0
    ratio: float = 0.0
    price: Decimal = Decimal("0")
    data: bytes = b""
    labels: set[str] = field(default_factory=set)
    meta: dict[str, Any] = field(default_factory=dict)
    seen: datetime | None = None


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")


@dataclass
class Account:
    """The update-builder model: numbers, sets, a list, updated_at and version roles."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    balance: int = 0
    tags: set[str] = field(default_factory=set)
    codes: set[int] = field(default_factory=set)
    history: list[str] = field(default_factory=list)
    settings: dict[str, Any] = dynamorm_field(json=True, default_factory=dict)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name="accounts")


@dataclass
class Ledger:
    """``Account`` without lifecycle roles, so each builder action renders alone."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    balance: int = 0
    tags: set[str] = field(default_factory=set)
    codes: set[int] = field(default_factory=set)
    history: list[str] = field(default_factory=list)
    settings: dict[str, Any] = dynamorm_field(json=True, default_factory=dict)


LEDGERS = ModelDefinition.from_dataclass(Ledger, table_name="ledgers")


@dataclass
class Plain:
    """No updated_at and no version: the builder adds nothing of its own."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    score: int = 0


PLAINS = ModelDefinition.from_dataclass(Plain, table_name="plains")


def table_of(model: ModelDefinition[Any], client: RecordingClient, **kwargs: Any) -> Table[Any]:
    return Table(model, client=client, now=fixed_clock, **kwargs)


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()


@pytest.fixture
def users(client: RecordingClient) -> Table[User]:
    return table_of(USERS, client)


@pytest.fixture
def notes(client: RecordingClient) -> Table[Note]:
    return table_of(NOTES, client)


@pytest.fixture
def accounts(client: RecordingClient) -> Table[Account]:
    return table_of(ACCOUNTS, client)


@pytest.fixture
def plains(client: RecordingClient) -> Table[Plain]:
    return table_of(PLAINS, client)


USER_KEY = {"PK": {"S": "u1"}, "SK": {"S": "profile"}}


def stored_user(version: int = 1, nickname: str = "bob") -> dict[str, Any]:
    return {
        **USER_KEY,
        "emailHash": {"S": "h"},
        "nickname": {"S": nickname},
        "createdAt": {"S": NOW_TEXT},
        "updatedAt": {"S": NOW_TEXT},
        "version": {"N": str(version)},
    }


# --- put -----------------------------------------------------------------------------------------------


def test_put_sends_table_name_and_item_only(notes: Table[Note], client: RecordingClient) -> None:
    notes.put(Note(id="n1", title="t", count=3, data=b"\x00\x01", labels={"a"}, meta={"k": [1, None]}))

    assert client.calls == [
        (
            "put_item",
            {
                "TableName": "notes",
                "Item": {
                    "id": {"S": "n1"},
                    "title": {"S": "t"},
                    "count": {"N": "3"},
                    "ratio": {"N": "0"},
                    "price": {"N": "0"},
                    "data": {"B": b"\x00\x01"},
                    "labels": {"SS": ["a"]},
                    "meta": {"M": {"k": {"L": [{"N": "1"}, {"NULL": True}]}}},
                },
            },
        )
    ]


def test_put_writes_lifecycle_values_and_omits_empty_omit_empty_fields(
    users: Table[User], client: RecordingClient
) -> None:
    users.put(User(pk="u1", sk="profile"))

    assert client.last == {
        "TableName": "users_contract",
        "Item": {
            **USER_KEY,
            "emailHash": {"S": "h"},
            "createdAt": {"S": NOW_TEXT},
            "updatedAt": {"S": NOW_TEXT},
            "version": {"N": "0"},
        },
    }


def test_put_keeps_a_caller_created_at_and_version_but_always_sets_updated_at(
    users: Table[User], client: RecordingClient
) -> None:
    created = datetime(2020, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))

    written = users.put(
        User(pk="u1", sk="profile", created_at=created, updated_at=created - timedelta(days=1), version=4)
    )

    item = client.last["Item"]
    assert item["createdAt"] == {"S": "2020-05-06T05:08:09.123456000Z"}
    assert item["updatedAt"] == {"S": NOW_TEXT}
    assert item["version"] == {"N": "4"}
    assert written.created_at == created
    assert written.updated_at == NOW
    assert written.version == 4


def test_put_if_not_exists_alone_adds_attribute_not_exists_on_the_partition_key(
    users: Table[User], client: RecordingClient
) -> None:
    users.put(User(pk="u1", sk="profile"), if_not_exists=True)

    request = client.last
    assert request["ConditionExpression"] == "attribute_not_exists(#lc_pk)"
    assert request["ExpressionAttributeNames"] == {"#lc_pk": "PK"}
    assert "ExpressionAttributeValues" not in request


def test_put_ands_the_caller_condition_before_if_not_exists(
    users: Table[User], client: RecordingClient
) -> None:
    users.put(
        User(pk="u1", sk="profile"),
        condition_expression="#n <> :n",
        expression_attribute_names={"#n": "nickname"},
        expression_attribute_values={":n": "bob"},
        if_not_exists=True,
    )

    request = client.last
    assert request["ConditionExpression"] == "(#n <> :n) AND (attribute_not_exists(#lc_pk))"
    assert request["ExpressionAttributeNames"] == {"#lc_pk": "PK", "#n": "nickname"}
    assert request["ExpressionAttributeValues"] == {":n": {"S": "bob"}}


def test_put_with_only_a_caller_condition_sends_it_unchanged(
    notes: Table[Note], client: RecordingClient
) -> None:
    notes.put(
        Note(id="n1"),
        condition_expression="attribute_not_exists(#i)",
        expression_attribute_names={"#i": "id"},
    )

    assert client.last["ConditionExpression"] == "attribute_not_exists(#i)"
    assert client.last["ExpressionAttributeNames"] == {"#i": "id"}


def test_put_returns_a_copy_with_lifecycle_values_and_leaves_the_argument_alone(users: Table[User]) -> None:
    item = User(pk="u1", sk="profile", nickname="bob")

    written = users.put(item)

    assert written is not item
    assert item == User(pk="u1", sk="profile", nickname="bob")
    assert written == dataclasses.replace(item, created_at=NOW, updated_at=NOW, version=0)


def test_put_of_a_model_without_lifecycle_fields_still_returns_a_copy(notes: Table[Note]) -> None:
    item = Note(id="n1", title="t")

    written = notes.put(item)

    assert written == item
    assert written is not item


def test_put_fills_str_lifecycle_fields_with_the_timestamp_text(client: RecordingClient) -> None:
    @dataclass
    class Event:
        id: str = dynamorm_field(roles=["pk"])
        created: str = dynamorm_field(roles=["created_at"], default="")
        updated: str | None = dynamorm_field(roles=["updated_at"], default=None)

    written = table_of(ModelDefinition.from_dataclass(Event, table_name="events"), client).put(Event(id="e"))

    assert client.last["Item"]["created"] == {"S": NOW_TEXT}
    assert written.created == NOW_TEXT
    assert written.updated == NOW_TEXT


def test_put_reads_the_clock_once_so_created_and_updated_at_match(client: RecordingClient) -> None:
    ticks = iter(NOW + timedelta(seconds=n) for n in range(10))
    table = Table(USERS, client=client, now=lambda: next(ticks))

    table.put(User(pk="u1", sk="profile"))

    item = client.last["Item"]
    assert item["createdAt"] == item["updatedAt"] == {"S": NOW_TEXT}


# --- get -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("consistent", [False, True])
def test_get_sends_key_and_consistent_read(consistent: bool) -> None:
    client = RecordingClient({"get_item": {"Item": stored_user()}})

    user = table_of(USERS, client).get("u1", "profile", consistent_read=consistent)

    assert client.calls == [
        ("get_item", {"TableName": "users_contract", "Key": USER_KEY, "ConsistentRead": consistent})
    ]
    assert user == User(
        pk="u1", sk="profile", nickname="bob", created_at=NOW, updated_at=NOW, version=1, tags=set()
    )


def test_get_of_a_missing_item_raises_item_not_found(users: Table[User]) -> None:
    with pytest.raises(NotFoundError) as info:
        users.get("u1", "profile")

    error = info.value
    assert not isinstance(error, TableNotFoundError)
    assert (error.code, error.operation, error.table) == (ERR_ITEM_NOT_FOUND, "get", "users_contract")


def test_get_on_a_missing_table_raises_table_not_found() -> None:
    failure = client_error("ResourceNotFoundException", "Requested resource not found")
    client = RecordingClient({"get_item": failure})

    with pytest.raises(TableNotFoundError) as info:
        table_of(USERS, client).get("u1", "profile")

    assert info.value.code == "ErrTableNotFound"
    assert info.value.__cause__ is failure
    assert (info.value.operation, info.value.table) == ("get", "users_contract")


# --- delete --------------------------------------------------------------------------------------------


def test_delete_sends_table_name_and_key_only(users: Table[User], client: RecordingClient) -> None:
    users.delete("u1", "profile")

    assert client.calls == [("delete_item", {"TableName": "users_contract", "Key": USER_KEY})]


def test_delete_with_expected_version_adds_the_version_condition(
    users: Table[User], client: RecordingClient
) -> None:
    users.delete("u1", "profile", expected_version=3)

    assert client.last == {
        "TableName": "users_contract",
        "Key": USER_KEY,
        "ConditionExpression": "#lc_ver = :lc_expected",
        "ExpressionAttributeNames": {"#lc_ver": "version"},
        "ExpressionAttributeValues": {":lc_expected": {"N": "3"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_delete_ands_the_caller_condition_before_the_version_condition(
    users: Table[User], client: RecordingClient
) -> None:
    users.delete(
        "u1",
        "profile",
        condition_expression="#n = :n",
        expression_attribute_names={"#n": "nickname"},
        expression_attribute_values={":n": "bob"},
        expected_version=0,
    )

    assert client.last == {
        "TableName": "users_contract",
        "Key": USER_KEY,
        "ConditionExpression": "(#n = :n) AND (#lc_ver = :lc_expected)",
        "ExpressionAttributeNames": {"#lc_ver": "version", "#n": "nickname"},
        "ExpressionAttributeValues": {":lc_expected": {"N": "0"}, ":n": {"S": "bob"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_delete_with_a_caller_condition_only(notes: Table[Note], client: RecordingClient) -> None:
    notes.delete(
        "n1",
        condition_expression="#c > :c",
        expression_attribute_names={"#c": "count"},
        expression_attribute_values={":c": 2},
    )

    assert client.last == {
        "TableName": "notes",
        "Key": {"id": {"S": "n1"}},
        "ConditionExpression": "#c > :c",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":c": {"N": "2"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_failed_delete_condition_raises_condition_failed_with_the_client_error_as_cause() -> None:
    failure = client_error("ConditionalCheckFailedException", "The conditional request failed")
    client = RecordingClient({"delete_item": failure})

    with pytest.raises(ConditionFailedError) as info:
        table_of(USERS, client).delete("u1", "profile", expected_version=1)

    error = info.value
    assert (error.code, error.operation, error.table) == (ERR_CONDITION_FAILED, "delete", "users_contract")
    assert error.aws_code == "ConditionalCheckFailedException"
    assert error.__cause__ is failure


# --- update --------------------------------------------------------------------------------------------


def test_update_sends_the_documented_request_and_returns_the_new_item() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user(version=1)}})

    user = table_of(USERS, client).update("u1", "profile", {"nickname": "bob"}, expected_version=0)

    assert client.calls == [
        (
            "update_item",
            {
                "TableName": "users_contract",
                "Key": USER_KEY,
                "UpdateExpression": "SET #d_nickname = :d_nickname, #lc_upd = :lc_now ADD #lc_ver :lc_one",
                "ConditionExpression": "#lc_ver = :lc_expected",
                "ExpressionAttributeNames": {
                    "#d_nickname": "nickname",
                    "#lc_upd": "updatedAt",
                    "#lc_ver": "version",
                },
                "ExpressionAttributeValues": {
                    ":d_nickname": {"S": "bob"},
                    ":lc_now": {"S": NOW_TEXT},
                    ":lc_expected": {"N": "0"},
                    ":lc_one": {"N": "1"},
                },
                "ReturnValues": "ALL_NEW",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        )
    ]
    assert user.version == 1
    assert user.nickname == "bob"


def test_update_removes_none_and_empty_omit_empty_values() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user()}})

    table_of(USERS, client).update(
        "u1", "profile", {"nickname": "", "tags": [], "ttl": 9}, expected_version=1
    )

    request = client.last
    assert request["UpdateExpression"] == (
        "SET #d_ttl = :d_ttl, #lc_upd = :lc_now REMOVE #d_nickname, #d_tags ADD #lc_ver :lc_one"
    )
    assert request["ExpressionAttributeValues"][":d_ttl"] == {"N": "9"}


def test_update_of_an_unversioned_model_has_no_condition_and_removes_none() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "n1"}, "title": {"S": "x"}}}})

    table_of(NOTES, client).update("n1", None, {"title": "x", "body": None})

    assert client.last == {
        "TableName": "notes",
        "Key": {"id": {"S": "n1"}},
        "UpdateExpression": "SET #d_title = :d_title REMOVE #d_body",
        "ExpressionAttributeNames": {"#d_title": "title", "#d_body": "body"},
        "ExpressionAttributeValues": {":d_title": {"S": "x"}},
        "ReturnValues": "ALL_NEW",
    }


def test_update_encodes_values_with_the_field_rules() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "n1"}}}})
    seen = datetime(2026, 1, 2, 5, 4, 5, 100000, tzinfo=timezone(timedelta(hours=2)))

    table_of(NOTES, client).update(
        "n1", None, {"ratio": 1e21, "price": Decimal("1.10"), "labels": set(), "seen": seen}
    )

    values = client.last["ExpressionAttributeValues"]
    assert values == {
        ":d_ratio": {"N": "1E+21"},
        ":d_price": {"N": "1.10"},
        ":d_labels": {"NULL": True},
        ":d_seen": {"S": "2026-01-02T03:04:05.100000000Z"},
    }


def test_update_with_a_response_without_attributes_is_an_error(users: Table[User]) -> None:
    with pytest.raises(ValidationError) as info:
        users.update("u1", "profile", {"nickname": "x"}, expected_version=0)

    assert (info.value.code, info.value.operation) == (ERR_INVALID_MODEL, "update")


def test_update_item_of_all_fields_sets_every_non_key_non_lifecycle_field() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user(version=3)}})
    item = User(pk="u1", sk="profile", email_hash="e", nickname="bob", tags={"x"}, ttl=0, version=2)

    table_of(USERS, client).update_item(item)

    request = client.last
    assert request["UpdateExpression"] == (
        "SET #d_email_hash = :d_email_hash, #d_nickname = :d_nickname, #d_tags = :d_tags, "
        "#lc_upd = :lc_now REMOVE #d_ttl ADD #lc_ver :lc_one"
    )
    assert request["ConditionExpression"] == "#lc_ver = :lc_expected"
    assert request["ExpressionAttributeValues"][":lc_expected"] == {"N": "2"}
    assert request["Key"] == USER_KEY


def test_update_item_of_a_subset_and_an_explicit_expected_version() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user(version=8)}})
    item = User(pk="u1", sk="profile", nickname="bob", version=2)

    table_of(USERS, client).update_item(item, ["nickname"], expected_version=7)

    request = client.last
    assert (
        request["UpdateExpression"] == "SET #d_nickname = :d_nickname, #lc_upd = :lc_now ADD #lc_ver :lc_one"
    )
    assert request["ExpressionAttributeValues"][":lc_expected"] == {"N": "7"}


def test_update_item_of_an_item_without_version_requires_expected_version(
    users: Table[User], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        users.update_item(User(pk="u1", sk="profile", nickname="x", version=None))

    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_INVALID_MODEL,
        "update_item",
        "users_contract",
    )
    assert client.calls == []


@pytest.mark.parametrize("fields", [["nope"], ["pk"], ["version"], []])
def test_update_item_rejects_unknown_key_lifecycle_fields_and_an_empty_list(
    fields: list[str], users: Table[User], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        users.update_item(User(pk="u1", sk="profile", version=1), fields)

    assert info.value.code == ERR_INVALID_MODEL
    assert info.value.operation == "update_item"
    assert client.calls == []


def test_update_item_of_the_wrong_type_is_rejected(users: Table[User], client: RecordingClient) -> None:
    with pytest.raises(ValidationError) as info:
        users.update_item(Note(id="n"))  # type: ignore[arg-type]  # the wrong model type on purpose

    assert info.value.code == ERR_INVALID_MODEL
    assert client.calls == []


@dataclass
class Flags:
    """py-field names the field-name heuristics reject when a caller names them."""

    id: str = dynamorm_field(roles=["pk"])
    script: str = ""
    delete: bool = False


FLAGS = ModelDefinition.from_dataclass(Flags, table_name="flags")


def test_update_item_without_fields_does_not_run_model_field_names_through_the_validator() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "f"}}}})

    table_of(FLAGS, client).update_item(Flags(id="f", script="s", delete=True))

    assert client.last["UpdateExpression"] == "SET #d_script = :d_script, #d_delete = :d_delete"
    assert client.last["ExpressionAttributeNames"] == {"#d_script": "script", "#d_delete": "delete"}


@pytest.mark.parametrize(
    ("operation", "run"),
    [
        ("update", lambda t: t.update("f", None, {"delete": True})),
        ("update_item", lambda t: t.update_item(Flags(id="f"), ["delete"])),
        ("update_item", lambda t: t.update_item(Flags(id="f"), ["x; drop"])),
    ],
)
def test_field_names_a_caller_gives_go_through_the_validator(
    operation: str, run: Callable[[Table[Flags]], Any], client: RecordingClient
) -> None:
    error = _rejected(
        client, lambda: run(table_of(FLAGS, client)), SecurityValidationError, ERR_SECURITY_VALIDATION
    )

    assert (error.operation, error.table) == (operation, "flags")


Odd = dataclasses.make_dataclass(
    "Odd",
    [
        ("id", str, dynamorm_field(roles=["pk"])),
        ("plain", str, dataclasses.field(default="")),
        ("naïve", str, dataclasses.field(default="")),
    ],
)
ODDS: ModelDefinition[Any] = ModelDefinition.from_dataclass(Odd, table_name="odds")


def test_a_non_identifier_py_field_is_placeholdered_by_its_position_in_update_and_builder() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "o"}}}})
    # Only reachable with the validator off: it admits ASCII identifiers only.
    table = table_of(ODDS, client, security_validation=False)

    table.update("o", None, {"naïve": "x"})
    table.update_builder("o").set("naïve", "y").condition("naïve", "=", "x").execute()

    assert client.calls[0][1]["UpdateExpression"] == "SET #d_3 = :d_3"
    assert client.calls[0][1]["ExpressionAttributeNames"] == {"#d_3": "naïve"}
    assert client.calls[1][1]["UpdateExpression"] == "SET #u_3 = :u1"
    assert client.calls[1][1]["ConditionExpression"] == "#c_3 = :c1"
    assert client.calls[1][1]["ExpressionAttributeNames"] == {"#u_3": "naïve", "#c_3": "naïve"}


def test_update_item_of_all_fields_of_a_model_with_a_non_identifier_field_works_with_validation_on() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "o"}}}})

    table_of(ODDS, client).update_item(Odd(id="o", plain="p"))

    assert client.last["UpdateExpression"] == "SET #d_plain = :d_plain, #d_3 = :d_3"


# --- update builder ------------------------------------------------------------------------------------


def test_builder_set_renders_update_placeholders_and_appends_updated_at(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "Ann").without_version_check().execute()

    assert client.calls == [
        (
            "update_item",
            {
                "TableName": "accounts",
                "Key": {"id": {"S": "a1"}},
                "UpdateExpression": "SET #u_name = :u1, #lc_upd = :lc_now ADD #lc_ver :lc_one",
                "ExpressionAttributeNames": {
                    "#u_name": "name",
                    "#lc_ver": "version",
                    "#lc_upd": "updated_at",
                },
                "ExpressionAttributeValues": {
                    ":u1": {"S": "Ann"},
                    ":lc_one": {"N": "1"},
                    ":lc_now": {"S": NOW_TEXT},
                },
                "ReturnValues": "NONE",
            },
        )
    ]


def test_builder_does_not_append_updated_at_when_it_sets_it(
    accounts: Table[Account], client: RecordingClient
) -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)

    accounts.update_builder("a1").set("updated_at", when).expect_version(2).execute()

    assert client.last["UpdateExpression"] == "SET #u_updated_at = :u1 ADD #lc_ver :lc_one"
    assert client.last["ExpressionAttributeValues"] == {
        ":u1": {"S": "2025-01-01T00:00:00.000000000Z"},
        ":lc_expected": {"N": "2"},
        ":lc_one": {"N": "1"},
    }


def test_builder_on_a_model_without_lifecycle_adds_nothing_of_its_own(
    plains: Table[Plain], client: RecordingClient
) -> None:
    plains.update_builder("p").set("name", "x").execute()

    assert client.last == {
        "TableName": "plains",
        "Key": {"id": {"S": "p"}},
        "UpdateExpression": "SET #u_name = :u1",
        "ExpressionAttributeNames": {"#u_name": "name"},
        "ExpressionAttributeValues": {":u1": {"S": "x"}},
        "ReturnValues": "NONE",
    }


Action = Callable[[Any], Any]


@pytest.mark.parametrize(
    ("action", "expression", "values"),
    [
        (
            lambda b: b.set_if_not_exists("balance", 999, 10),
            "SET #u_balance = if_not_exists(#u_balance, :u1)",
            {":u1": {"N": "10"}},
        ),
        (lambda b: b.add("balance", 5), "ADD #u_balance :u1", {":u1": {"N": "5"}}),
        (lambda b: b.increment("balance"), "ADD #u_balance :u1", {":u1": {"N": "1"}}),
        (lambda b: b.decrement("balance"), "ADD #u_balance :u1", {":u1": {"N": "-1"}}),
        (lambda b: b.add("tags", "a"), "ADD #u_tags :u1", {":u1": {"SS": ["a"]}}),
        (lambda b: b.add("tags", ["a", "a"]), "ADD #u_tags :u1", {":u1": {"SS": ["a"]}}),
        (lambda b: b.add("codes", (3,)), "ADD #u_codes :u1", {":u1": {"NS": ["3"]}}),
        (lambda b: b.remove("name"), "REMOVE #u_name", {}),
        (lambda b: b.delete("tags", {"a"}), "DELETE #u_tags :u1", {":u1": {"SS": ["a"]}}),
        (lambda b: b.delete("codes", 4), "DELETE #u_codes :u1", {":u1": {"NS": ["4"]}}),
        (
            lambda b: b.append_to_list("history", ["x", "y"]),
            "SET #u_history = list_append(#u_history, :u1)",
            {":u1": {"L": [{"S": "x"}, {"S": "y"}]}},
        ),
        (
            lambda b: b.prepend_to_list("history", ["x"]),
            "SET #u_history = list_append(:u1, #u_history)",
            {":u1": {"L": [{"S": "x"}]}},
        ),
        (lambda b: b.remove_from_list_at("history", 2), "REMOVE #u_history[2]", {}),
        (
            lambda b: b.set_list_element("history", 0, "z"),
            "SET #u_history[0] = :u1",
            {":u1": {"S": "z"}},
        ),
        (
            lambda b: b.set("settings", {"b": 1, "a": "é"}),
            "SET #u_settings = :u1",
            {":u1": {"S": '{"a":"é","b":1}'}},
        ),
        (lambda b: b.set("tags", []), "SET #u_tags = :u1", {":u1": {"NULL": True}}),
    ],
)
def test_builder_action_renders_its_clause(
    action: Action, expression: str, values: dict[str, Any], client: RecordingClient
) -> None:
    table = table_of(LEDGERS, client)

    action(table.update_builder("a1")).execute()

    assert client.last["UpdateExpression"] == expression
    assert client.last.get("ExpressionAttributeValues", {}) == values


def test_builder_renders_clauses_set_remove_add_delete_with_values_in_call_order(
    accounts: Table[Account], client: RecordingClient
) -> None:
    (
        accounts.update_builder("a1")
        .delete("tags", "old")
        .add("balance", 3)
        .remove("name")
        .set("history", ["h"])
        .set_if_not_exists("codes", None, {1})
        .without_version_check()
        .execute()
    )

    request = client.last
    assert request["UpdateExpression"] == (
        "SET #u_history = :u3, #u_codes = if_not_exists(#u_codes, :u4), #lc_upd = :lc_now "
        "REMOVE #u_name ADD #u_balance :u2, #lc_ver :lc_one DELETE #u_tags :u1"
    )
    assert request["ExpressionAttributeValues"] == {
        ":u1": {"SS": ["old"]},
        ":u2": {"N": "3"},
        ":u3": {"L": [{"S": "h"}]},
        ":u4": {"NS": ["1"]},
        ":lc_one": {"N": "1"},
        ":lc_now": {"S": NOW_TEXT},
    }


def test_builder_conditions_join_left_to_right_without_parentheses(
    plains: Table[Plain], client: RecordingClient
) -> None:
    (
        plains.update_builder("p")
        .set("name", "x")
        .condition("score", ">", 1)
        .or_condition("name", "=", "a")
        .condition("score", "BETWEEN", [1, 9])
        .or_condition("name", "in", ("a", "b"))
        .condition("name", "begins_with", "a")
        .condition("name", "contains", "z")
        .condition("score", "<>", 0)
        .condition_exists("name")
        .condition_not_exists("score")
        .execute()
    )

    request = client.last
    assert request["ConditionExpression"] == (
        "#c_score > :c1 OR #c_name = :c2 AND #c_score BETWEEN :c3 AND :c4 OR #c_name IN (:c5, :c6)"
        " AND begins_with(#c_name, :c7) AND contains(#c_name, :c8) AND #c_score <> :c9"
        " AND attribute_exists(#c_name) AND attribute_not_exists(#c_score)"
    )
    assert request["ExpressionAttributeNames"] == {"#u_name": "name", "#c_score": "score", "#c_name": "name"}
    assert request["ExpressionAttributeValues"] == {
        ":u1": {"S": "x"},
        ":c1": {"N": "1"},
        ":c2": {"S": "a"},
        ":c3": {"N": "1"},
        ":c4": {"N": "9"},
        ":c5": {"S": "a"},
        ":c6": {"S": "b"},
        ":c7": {"S": "a"},
        ":c8": {"S": "z"},
        ":c9": {"N": "0"},
    }


def test_builder_condition_version_on_a_versioned_model_is_the_full_lock(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "x").condition_version(3).execute()

    request = client.last
    assert request["UpdateExpression"] == "SET #u_name = :u1, #lc_upd = :lc_now ADD #lc_ver :lc_one"
    assert request["ConditionExpression"] == "#lc_ver = :lc_expected"
    assert request["ExpressionAttributeNames"]["#lc_ver"] == "version"
    assert request["ExpressionAttributeValues"][":lc_expected"] == {"N": "3"}


def test_builder_condition_version_uses_a_field_named_version_without_the_role(
    client: RecordingClient,
) -> None:
    @dataclass
    class Legacy:
        id: str = dynamorm_field(roles=["pk"])
        version: int = 0
        name: str = ""

    table = table_of(ModelDefinition.from_dataclass(Legacy, table_name="legacy"), client)

    table.update_builder("l").set("name", "x").condition_version(2).execute()

    assert client.last["ConditionExpression"] == "#c_version = :c1"


def test_builder_condition_version_without_any_version_field_is_rejected(plains: Table[Plain]) -> None:
    with pytest.raises(ValidationError) as info:
        plains.update_builder("p").condition_version(1)

    assert info.value.code == ERR_INVALID_MODEL


def test_builder_expect_version_adds_the_lock_after_the_caller_conditions(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "x").condition("balance", ">=", 0).expect_version(4).execute()

    request = client.last
    assert request["UpdateExpression"] == "SET #u_name = :u1, #lc_upd = :lc_now ADD #lc_ver :lc_one"
    assert request["ConditionExpression"] == "(#c_balance >= :c1) AND (#lc_ver = :lc_expected)"
    assert request["ExpressionAttributeNames"]["#lc_ver"] == "version"
    assert request["ExpressionAttributeValues"][":lc_expected"] == {"N": "4"}
    assert request["ExpressionAttributeValues"][":lc_one"] == {"N": "1"}


def test_builder_expect_version_alone_is_a_valid_update(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").expect_version(0).execute()

    assert client.last["UpdateExpression"] == "SET #lc_upd = :lc_now ADD #lc_ver :lc_one"
    assert client.last["ConditionExpression"] == "#lc_ver = :lc_expected"


def test_builder_expect_version_needs_a_version_role(plains: Table[Plain]) -> None:
    with pytest.raises(ValidationError) as info:
        plains.update_builder("p").expect_version(1)

    assert info.value.code == ERR_INVALID_MODEL


def test_builder_return_values_is_sent_and_the_new_item_returned() -> None:
    client = RecordingClient({"update_item": {"Attributes": {"id": {"S": "p"}, "name": {"S": "x"}}}})
    table = table_of(PLAINS, client)

    result = table.update_builder("p").set("name", "x").return_values("ALL_NEW").execute()

    assert client.last["ReturnValues"] == "ALL_NEW"
    assert result == Plain(id="p", name="x")


def test_builder_execute_returns_none_without_attributes(plains: Table[Plain]) -> None:
    assert plains.update_builder("p").set("name", "x").execute() is None


def test_builder_rejects_an_unknown_return_values_option(plains: Table[Plain]) -> None:
    with pytest.raises(ValidationError) as info:
        plains.update_builder("p").return_values("EVERYTHING")

    assert info.value.code == ERR_INVALID_OPERATOR


def test_builder_without_actions_sends_nothing(plains: Table[Plain], client: RecordingClient) -> None:
    with pytest.raises(ValidationError) as info:
        plains.update_builder("p").condition("name", "=", "x").execute()

    assert str(info.value) == "no updates provided"
    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_INVALID_MODEL,
        "update_builder",
        "plains",
    )
    assert client.calls == []


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (lambda b: b.set("id", "x"), ERR_INVALID_MODEL),
        (lambda b: b.set("nope", 1), ERR_INVALID_MODEL),
        (lambda b: b.add("balance", True), ERR_INVALID_OPERATOR),
        (lambda b: b.add("balance", "1"), ERR_INVALID_OPERATOR),
        (lambda b: b.add("tags", []), ERR_INVALID_OPERATOR),
        (lambda b: b.delete("balance", 1), ERR_INVALID_OPERATOR),
        (lambda b: b.delete("tags", set()), ERR_INVALID_OPERATOR),
        (lambda b: b.append_to_list("history", "x"), ERR_INVALID_OPERATOR),
        (lambda b: b.prepend_to_list("tags", ["x"]), ERR_INVALID_OPERATOR),
        (lambda b: b.append_to_list("settings", ["x"]), ERR_INVALID_OPERATOR),
        (lambda b: b.append_to_list("name", ["x"]), ERR_INVALID_OPERATOR),
        (lambda b: b.remove_from_list_at("history", -1), ERR_INVALID_OPERATOR),
        (lambda b: b.remove_from_list_at("history", True), ERR_INVALID_OPERATOR),
        (lambda b: b.set_list_element("history", 1.0, "x"), ERR_INVALID_OPERATOR),
        (lambda b: b.condition("name", "LIKE", "x"), ERR_SECURITY_VALIDATION),
        (lambda b: b.condition("name", "BETWEEN", "ab"), ERR_INVALID_OPERATOR),
        (lambda b: b.condition("name", "BETWEEN", ["a"]), ERR_INVALID_OPERATOR),
        (lambda b: b.condition("name", "IN", list(range(101))), ERR_INVALID_OPERATOR),
        (lambda b: b.condition("name", "=", "x' or 1=1"), ERR_SECURITY_VALIDATION),
        (lambda b: b.condition("name; drop", "=", "x"), ERR_SECURITY_VALIDATION),
    ],
)
def test_builder_rejects_bad_actions_with_a_typed_error(
    action: Action, code: str, accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        action(accounts.update_builder("a1").set("balance", 1)).execute()

    assert info.value.code == code
    assert client.calls == []


def test_a_rejected_builder_call_leaves_the_builder_as_it_was(
    plains: Table[Plain], client: RecordingClient
) -> None:
    builder = plains.update_builder("p").set("name", "x")
    with pytest.raises(ValidationError):
        builder.set("score", float("nan"))
    with pytest.raises(ValidationError):
        builder.condition("score", "=", "x' or 1=1")

    builder.condition("score", ">", 1).execute()

    assert client.last == {
        "TableName": "plains",
        "Key": {"id": {"S": "p"}},
        "UpdateExpression": "SET #u_name = :u1",
        "ConditionExpression": "#c_score > :c1",
        "ExpressionAttributeNames": {"#u_name": "name", "#c_score": "score"},
        "ExpressionAttributeValues": {":u1": {"S": "x"}, ":c1": {"N": "1"}},
        "ReturnValues": "NONE",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_builder_rejects_a_missing_key_before_any_call(
    accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.update_builder("").set("name", "x").execute()

    assert info.value.code == ERR_MISSING_PRIMARY_KEY
    assert client.calls == []


def test_builder_errors_carry_operation_and_table(accounts: Table[Account]) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.update_builder("a1").set("nope", 1)

    assert (info.value.operation, info.value.table) == ("update_builder", "accounts")


def test_builder_key_errors_carry_operation_and_table(accounts: Table[Account]) -> None:
    with pytest.raises(ValidationError) as info:
        accounts.update_builder(None)

    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_MISSING_PRIMARY_KEY,
        "update_builder",
        "accounts",
    )


# --- update builder: version lock and set actions on NULL sets --------------------------------------------


TYPE_ERROR_MESSAGE = "An operand in the update expression has an incorrect data type"


def type_error() -> ClientError:
    return client_error("ValidationException", TYPE_ERROR_MESSAGE)


def sequenced(model: ModelDefinition[Any], **responses: Any) -> tuple[Table[Any], RecordingClient]:
    client = RecordingClient(responses)
    return table_of(model, client), client


@pytest.mark.parametrize("finish", [lambda b: b.execute(), lambda b: b.explain()], ids=["execute", "explain"])
def test_builder_on_a_versioned_model_needs_a_version_choice(
    finish: Action, accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        finish(accounts.update_builder("a1").set("name", "x"))

    assert (info.value.code, info.value.field, info.value.operation) == (
        ERR_INVALID_MODEL,
        "version",
        "update_builder",
    )
    assert "expect_version" in str(info.value) and "without_version_check" in str(info.value)
    assert "'version'" in str(info.value)
    assert client.calls == []


def test_builder_without_version_check_still_adds_one_to_the_version(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "x").condition(
        "balance", ">", 0
    ).without_version_check().execute()

    request = client.last
    assert request["UpdateExpression"] == "SET #u_name = :u1, #lc_upd = :lc_now ADD #lc_ver :lc_one"
    assert request["ConditionExpression"] == "#c_balance > :c1"
    assert request["ExpressionAttributeNames"]["#lc_ver"] == "version"
    assert request["ExpressionAttributeValues"][":lc_one"] == {"N": "1"}
    assert ":lc_expected" not in request["ExpressionAttributeValues"]


def test_builder_without_version_check_and_no_action_is_no_update(
    accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError, match="no updates provided"):
        accounts.update_builder("a1").without_version_check().execute()

    assert client.calls == []


@pytest.mark.parametrize("method", ["expect_version", "condition_version"])
@pytest.mark.parametrize("expected", [None, True, "3", 3.0, Decimal(3)], ids=repr)
def test_builder_expected_version_must_be_an_int(
    method: str, expected: Any, accounts: Table[Account], client: RecordingClient
) -> None:
    builder = accounts.update_builder("a1").set("name", "x")

    with pytest.raises(ValidationError) as info:
        getattr(builder, method)(expected)

    assert (info.value.code, info.value.field) == (ERR_INVALID_MODEL, "version")
    with pytest.raises(ValidationError, match="versioned"):
        builder.execute()
    assert client.calls == []


@pytest.mark.parametrize(
    "action",
    [
        lambda b: b.expect_version(1).without_version_check(),
        lambda b: b.without_version_check().expect_version(1),
        lambda b: b.without_version_check().condition_version(1),
        lambda b: b.expect_version(1).expect_version(2),
        lambda b: b.expect_version(1).condition_version(2),
    ],
)
def test_builder_contradicting_version_choices_are_rejected(
    action: Action, accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        action(accounts.update_builder("a1").set("name", "x"))

    assert (info.value.code, info.value.field) == (ERR_INVALID_MODEL, "version")
    assert client.calls == []


def test_builder_the_same_expected_version_twice_is_one_lock(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "x").expect_version(2).condition_version(2).execute()

    assert client.last["ConditionExpression"] == "#lc_ver = :lc_expected"
    assert client.last["UpdateExpression"].endswith("ADD #lc_ver :lc_one")


def test_builder_without_version_check_needs_a_version_role(plains: Table[Plain]) -> None:
    with pytest.raises(ValidationError) as info:
        plains.update_builder("p").without_version_check()

    assert info.value.code == ERR_INVALID_MODEL


@pytest.mark.parametrize(
    "action",
    [
        lambda b: b.set("version", 3),
        lambda b: b.set_if_not_exists("version", None, 0),
        lambda b: b.add("version", 1),
        lambda b: b.increment("version"),
        lambda b: b.remove("version"),
    ],
)
def test_builder_actions_on_the_managed_version_field_are_rejected(
    action: Action, accounts: Table[Account], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        action(accounts.update_builder("a1").without_version_check())

    assert (info.value.code, info.value.field) == (ERR_INVALID_MODEL, "version")
    assert client.calls == []


def test_builder_condition_on_the_version_field_is_still_allowed(
    accounts: Table[Account], client: RecordingClient
) -> None:
    accounts.update_builder("a1").set("name", "x").condition(
        "version", "<", 9
    ).without_version_check().execute()

    assert client.last["ConditionExpression"] == "#c_version < :c1"


def test_builder_add_to_a_null_set_is_rewritten_to_a_guarded_set() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), {}],
        get_item=[{"Item": {"id": {"S": "a1"}, "tags": {"NULL": True}}}],
    )

    table.update_builder("a1").set("name", "n").add("tags", {"x"}).add("balance", 2).condition(
        "balance", ">", 0
    ).execute()

    first, read, second = client.calls
    assert first[1]["UpdateExpression"] == "SET #u_name = :u1 ADD #u_tags :u2, #u_balance :u3"
    assert read == (
        "get_item",
        {
            "TableName": "ledgers",
            "Key": {"id": {"S": "a1"}},
            "ConsistentRead": True,
            "ProjectionExpression": "#u_tags",
            "ExpressionAttributeNames": {"#u_tags": "tags"},
        },
    )
    assert second == (
        "update_item",
        {
            "TableName": "ledgers",
            "Key": {"id": {"S": "a1"}},
            "UpdateExpression": "SET #u_name = :u1, #u_tags = :u2 ADD #u_balance :u3",
            "ConditionExpression": "(#c_balance > :c1) AND (attribute_type(#u_tags, :sv_null))",
            "ExpressionAttributeNames": {
                "#u_name": "name",
                "#u_tags": "tags",
                "#u_balance": "balance",
                "#c_balance": "balance",
            },
            "ExpressionAttributeValues": {
                ":u1": {"S": "n"},
                ":u2": {"SS": ["x"]},
                ":u3": {"N": "2"},
                ":c1": {"N": "0"},
                ":sv_null": {"S": "NULL"},
            },
            "ReturnValues": "NONE",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )


def test_builder_rewrite_keeps_the_version_lock_and_updated_at_last() -> None:
    table, client = sequenced(
        ACCOUNTS,
        update_item=[{}, type_error(), {}],
        get_item=[{"Item": {"tags": {"NULL": True}, "codes": {"NS": ["1"]}}}],
    )
    builder = table.update_builder("a1").add("tags", "x").add("codes", 2).expect_version(4)

    builder.execute()  # the stored sets are sets: one request, as explain() shows
    assert client.calls == [("update_item", builder.explain().params)]
    builder.execute()  # now tags is NULL

    rewritten = client.last
    assert rewritten["UpdateExpression"] == (
        "SET #u_tags = :u1, #lc_upd = :lc_now ADD #u_codes :u2, #lc_ver :lc_one"
    )
    assert rewritten["ConditionExpression"] == "#lc_ver = :lc_expected AND attribute_type(#u_tags, :sv_null)"
    assert client.calls[2][1]["ProjectionExpression"] == "#u_tags, #u_codes"
    assert len(client.calls) == 4


def test_builder_delete_from_a_null_set_drops_the_clause_under_the_guard() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), {}],
        get_item=[{"Item": {"tags": {"NULL": True}}}],
    )

    table.update_builder("a1").delete("tags", "x").increment("balance").execute()

    assert client.last["UpdateExpression"] == "ADD #u_balance :u2"
    assert client.last["ConditionExpression"] == "attribute_type(#u_tags, :sv_null)"
    assert client.last["ExpressionAttributeValues"] == {":u2": {"N": "1"}, ":sv_null": {"S": "NULL"}}


def test_builder_delete_alone_from_a_null_set_rewrites_the_null_as_itself() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), {"Attributes": {"id": {"S": "a1"}, "tags": {"NULL": True}}}],
        get_item=[{"Item": {"tags": {"NULL": True}}}],
    )

    result = table.update_builder("a1").delete("tags", "x").return_values("ALL_NEW").execute()

    assert client.last["UpdateExpression"] == "SET #u_tags = :sv_nullv"
    assert client.last["ExpressionAttributeValues"] == {
        ":sv_null": {"S": "NULL"},
        ":sv_nullv": {"NULL": True},
    }
    assert client.last["ConditionExpression"] == "attribute_type(#u_tags, :sv_null)"
    assert result == Ledger(id="a1")


def test_builder_type_error_not_caused_by_a_null_set_is_raised_after_one_read() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error()],
        get_item=[{"Item": {"tags": {"S": "not a set"}}}],
    )

    with pytest.raises(ValidationError) as info:
        table.update_builder("a1").add("tags", "x").execute()

    assert info.value.code == "ErrAwsValidation"
    assert isinstance(info.value.__cause__, ClientError)
    assert [operation for operation, _ in client.calls] == ["update_item", "get_item"]
    # A type error of an update without set actions is the caller's: no read at all.
    client.responses["update_item"] = [type_error()]
    with pytest.raises(ValidationError):
        table.update_builder("a1").add("balance", 1).execute()
    assert [operation for operation, _ in client.calls] == ["update_item", "get_item", "update_item"]


def test_builder_failed_guard_after_another_writer_filled_the_set_starts_again() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), client_error("ConditionalCheckFailedException"), {}],
        get_item=[{"Item": {"tags": {"NULL": True}}}, {"Item": {"tags": {"SS": ["y"]}}}],
    )

    table.update_builder("a1").add("tags", "x").execute()

    updates = [params["UpdateExpression"] for operation, params in client.calls if operation == "update_item"]
    assert updates == ["ADD #u_tags :u1", "SET #u_tags = :u1", "ADD #u_tags :u1"]
    assert "ConditionExpression" not in client.last


def test_builder_caller_condition_failing_on_a_null_set_is_condition_failed() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), client_error("ConditionalCheckFailedException")],
        get_item=[{"Item": {"tags": {"NULL": True}}}, {"Item": {"tags": {"NULL": True}}}],
    )

    with pytest.raises(ConditionFailedError) as info:
        table.update_builder("a1").add("tags", "x").condition("balance", ">", 5).execute()

    assert (info.value.operation, info.value.table) == ("update_builder", "ledgers")
    assert [operation for operation, _ in client.calls] == [
        "update_item",
        "get_item",
        "update_item",
        "get_item",
    ]


def test_builder_set_rewrites_are_bounded_under_contention() -> None:
    table, client = sequenced(
        LEDGERS,
        update_item=[type_error(), client_error("ConditionalCheckFailedException")] * 10,
        get_item=[{"Item": {"tags": {"NULL": True}}}, {"Item": {"tags": {"SS": ["y"]}}}] * 10,
    )

    with pytest.raises(DynamormPyError):
        table.update_builder("a1").add("tags", "x").execute()

    operations = [operation for operation, _ in client.calls]
    assert operations.count("get_item") == 3
    assert operations.count("update_item") == 4


def _explained_equals_sent(
    client: RecordingClient, explained: PreparedRequest, operation: str, run: Callable[[], Any]
) -> None:
    assert client.calls == []
    run()
    assert client.calls == [(operation, explained.params)]
    assert explained.service == "dynamodb"
    assert explained.operation == operation
    assert explained.encrypted_attributes == ()


def test_explain_put_equals_the_request_sent(users: Table[User], client: RecordingClient) -> None:
    kwargs: dict[str, Any] = {
        "condition_expression": "#n <> :n",
        "expression_attribute_names": {"#n": "nickname"},
        "expression_attribute_values": {":n": "x"},
        "if_not_exists": True,
    }
    item = User(pk="u1", sk="profile", tags={"a"}, ttl=17)

    explained = users.explain.put(item, **kwargs)

    _explained_equals_sent(client, explained, "put_item", lambda: users.put(item, **kwargs))


def test_explain_get_equals_the_request_sent() -> None:
    client = RecordingClient({"get_item": {"Item": stored_user()}})
    users = table_of(USERS, client)

    explained = users.explain.get("u1", "profile", consistent_read=True)

    _explained_equals_sent(
        client, explained, "get_item", lambda: users.get("u1", "profile", consistent_read=True)
    )


def test_explain_delete_equals_the_request_sent(users: Table[User], client: RecordingClient) -> None:
    explained = users.explain.delete("u1", "profile", expected_version=2)

    _explained_equals_sent(
        client, explained, "delete_item", lambda: users.delete("u1", "profile", expected_version=2)
    )


def test_explain_update_equals_the_request_sent() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user()}})
    users = table_of(USERS, client)
    updates = {"nickname": "n", "tags": None}

    explained = users.explain.update("u1", "profile", updates, expected_version=0)

    _explained_equals_sent(
        client, explained, "update_item", lambda: users.update("u1", "profile", updates, expected_version=0)
    )


def test_explain_update_item_equals_the_request_sent() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user()}})
    users = table_of(USERS, client)
    item = User(pk="u1", sk="profile", nickname="n", version=5)

    explained = users.explain.update_item(item, ["nickname"])

    _explained_equals_sent(client, explained, "update_item", lambda: users.update_item(item, ["nickname"]))


def test_builder_explain_equals_the_request_sent(accounts: Table[Account], client: RecordingClient) -> None:
    builder = (
        accounts.update_builder("a1")
        .set("name", "x")
        .add("tags", "t")
        .condition("balance", ">", 0)
        .expect_version(1)
    )

    explained = builder.explain()

    _explained_equals_sent(client, explained, "update_item", builder.execute)


def test_editing_an_explained_builder_request_does_not_change_what_execute_sends(
    plains: Table[Plain], client: RecordingClient
) -> None:
    builder = plains.update_builder("p").set("name", "x")
    explained = builder.explain()

    explained.params["Key"]["id"]["S"] = "other"
    explained.params["ExpressionAttributeValues"][":u1"]["S"] = "edited"
    builder.execute()

    assert client.last["Key"] == {"id": {"S": "p"}}
    assert client.last["ExpressionAttributeValues"] == {":u1": {"S": "x"}}


def test_explain_raises_the_same_validation_errors_without_sending(
    users: Table[User], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        users.explain.update("u1", "profile", {"nickname": "x"})

    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_INVALID_MODEL,
        "update",
        "users_contract",
    )
    assert client.calls == []


def test_prepared_request_to_cli_json_renders_attribute_values_as_dynamodb_json(notes: Table[Note]) -> None:
    explained = notes.explain.put(
        Note(id="n1", data=b"\x00\xff", labels={"a"}, meta={"k": 1}),
        condition_expression="#c = :c",
        expression_attribute_names={"#c": "count"},
        expression_attribute_values={":c": b"\x01"},
    )

    rendered = json.loads(explained.to_cli_json())

    assert rendered["TableName"] == "notes"
    assert rendered["ConditionExpression"] == "#c = :c"
    assert rendered["ExpressionAttributeNames"] == {"#c": "count"}
    assert rendered["ExpressionAttributeValues"] == {":c": {"B": base64.b64encode(b"\x01").decode()}}
    assert rendered["Item"]["data"] == {"B": "AP8="}
    assert rendered["Item"]["count"] == {"N": "0"}
    assert rendered["Item"]["labels"] == {"SS": ["a"]}
    assert rendered["Item"]["meta"] == {"M": {"k": {"N": "1"}}}
    assert "body" not in rendered["Item"]  # None is not written
    assert explained.params["Item"]["data"] == {"B": b"\x00\xff"}


# --- bad inputs: typed error, context, and no request sent ---------------------------------------------


def _rejected(
    client: RecordingClient, run: Callable[[], Any], error_type: type[DynamormPyError], code: str
) -> DynamormPyError:
    with pytest.raises(error_type) as info:
        run()
    assert client.calls == [], "a request was sent"
    assert info.value.code == code
    return info.value


@pytest.mark.parametrize(
    ("item", "attribute"),
    [
        (User(pk="", sk="profile"), "PK"),
        (User(pk="u1", sk=""), "SK"),
        (User(pk=None, sk="profile"), "PK"),  # type: ignore[arg-type]  # a missing key value on purpose
        (User(pk="u1", sk=None), "SK"),  # type: ignore[arg-type]  # a missing key value on purpose
    ],
)
def test_put_without_a_key_value_is_missing_primary_key(
    item: User, attribute: str, users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(client, lambda: users.put(item), ValidationError, ERR_MISSING_PRIMARY_KEY)

    assert (error.operation, error.table, error.field) == ("put", "users_contract", attribute)


@pytest.mark.parametrize(
    ("operation", "run"),
    [
        ("get", lambda t: t.get("", "profile")),
        ("get", lambda t: t.get("u1", None)),
        ("delete", lambda t: t.delete(None, "profile")),
        ("update", lambda t: t.update("u1", "", {"nickname": "x"}, expected_version=0)),
    ],
)
def test_key_operations_without_a_key_value_are_missing_primary_key(
    operation: str, run: Callable[[Table[User]], Any], users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(client, lambda: run(users), ValidationError, ERR_MISSING_PRIMARY_KEY)

    assert (error.operation, error.table) == (operation, "users_contract")


@pytest.mark.parametrize(
    ("item", "error_type", "code", "attribute"),
    [
        (Note(id="n", ratio=float("nan")), ValidationError, ERR_INVALID_VALUE, "ratio"),
        (Note(id="n", ratio=float("inf")), ValidationError, ERR_INVALID_VALUE, "ratio"),
        (Note(id="n", ratio=float("-inf")), ValidationError, ERR_INVALID_VALUE, "ratio"),
        (Note(id="n", price=Decimal("NaN")), ValidationError, ERR_INVALID_VALUE, "price"),
        (Note(id="n", count=10**38 + 1), ValidationError, ERR_INVALID_VALUE, "count"),
        (Note(id="n", count=-(10**38) - 7), ValidationError, ERR_INVALID_VALUE, "count"),
        (Note(id="n", meta={"k": 10**38 + 1}), ValidationError, ERR_INVALID_VALUE, "meta"),
        (Note(id="n", labels={"a", 1}), ValidationError, ERR_INVALID_VALUE, "labels"),  # type: ignore[arg-type]
        (Note(id="n", meta={1: "a"}), UnsupportedTypeError, ERR_UNSUPPORTED_TYPE, "meta"),  # type: ignore[dict-item]
        (Note(id="n", meta={"k": {2: "a"}}), UnsupportedTypeError, ERR_UNSUPPORTED_TYPE, "meta"),
        (Note(id="n", meta={"k": {"a", b"b"}}), UnsupportedTypeError, ERR_UNSUPPORTED_TYPE, "meta"),
        (Note(id="n", seen=datetime(2026, 1, 2)), ValidationError, ERR_INVALID_VALUE, "seen"),
        (Note(id="n", meta={"k": datetime(2026, 1, 2)}), ValidationError, ERR_INVALID_VALUE, "meta"),
    ],
)
def test_put_of_an_unstorable_value_is_a_typed_error(
    item: Note,
    error_type: type[DynamormPyError],
    code: str,
    attribute: str,
    notes: Table[Note],
    client: RecordingClient,
) -> None:
    error = _rejected(client, lambda: notes.put(item), error_type, code)

    assert (error.operation, error.table, error.field) == ("put", "notes", attribute)


def test_a_38_digit_int_and_a_39_digit_int_with_trailing_zeros_are_accepted(
    notes: Table[Note], client: RecordingClient
) -> None:
    notes.put(Note(id="n", count=10**38 - 1))
    notes.put(Note(id="n", count=10**38))

    assert client.calls[0][1]["Item"]["count"] == {"N": "9" * 38}
    assert client.calls[1][1]["Item"]["count"] == {"N": "1" + "0" * 38}


def test_put_of_an_item_over_400_kb_reports_its_size(plains: Table[Plain], client: RecordingClient) -> None:
    # id: 2 + 1, name: 4 + 410000, score: 5 + 2 (N "0") -> 410014 bytes.
    error = _rejected(
        client, lambda: plains.put(Plain(id="n", name="x" * 410_000)), ValidationError, ERR_INVALID_VALUE
    )

    assert (error.operation, error.table) == ("put", "plains")
    assert "410014 bytes" in str(error)


def test_put_of_an_item_of_exactly_400_kb_is_sent_and_one_byte_more_is_not(
    plains: Table[Plain], client: RecordingClient
) -> None:
    plains.put(Plain(id="n", name="x" * (400 * 1024 - 14)))

    with pytest.raises(ValidationError):
        plains.put(Plain(id="n", name="x" * (400 * 1024 - 13)))

    assert len(client.calls) == 1


def test_put_of_the_wrong_model_type_is_rejected(users: Table[User], client: RecordingClient) -> None:
    error = _rejected(client, lambda: users.put(Note(id="n")), ValidationError, ERR_INVALID_MODEL)  # type: ignore[arg-type]

    assert (error.operation, error.table) == ("put", "users_contract")


@pytest.mark.parametrize(
    ("updates", "field_name"),
    [
        ({"pk": "x"}, "PK"),
        ({"sk": "x"}, "SK"),
        ({"created_at": NOW}, "createdAt"),
        ({"updated_at": NOW}, "updatedAt"),
        ({"version": 2}, "version"),
        ({"missing": 1}, None),
        ({}, None),
    ],
)
def test_update_of_a_forbidden_field_or_nothing_is_invalid_model(
    updates: dict[str, Any], field_name: str | None, users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(
        client,
        lambda: users.update("u1", "profile", updates, expected_version=0),
        ValidationError,
        ERR_INVALID_MODEL,
    )

    assert (error.operation, error.table, error.field) == ("update", "users_contract", field_name)


def test_versioned_update_without_expected_version_is_invalid_model(
    users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(
        client, lambda: users.update("u1", "profile", {"nickname": "x"}), ValidationError, ERR_INVALID_MODEL
    )

    assert (error.operation, error.table) == ("update", "users_contract")
    assert "expected_version" in str(error)


@pytest.mark.parametrize(
    ("operation", "run"),
    [
        ("update", lambda t: t.update("n", None, {"title": "x"}, expected_version=1)),
        ("delete", lambda t: t.delete("n", expected_version=1)),
        ("update_item", lambda t: t.update_item(Note(id="n"), ["title"], expected_version=1)),
    ],
)
def test_expected_version_on_an_unversioned_model_is_invalid_model(
    operation: str, run: Callable[[Table[Note]], Any], notes: Table[Note], client: RecordingClient
) -> None:
    error = _rejected(client, lambda: run(notes), ValidationError, ERR_INVALID_MODEL)

    assert (error.operation, error.table) == (operation, "notes")


@pytest.mark.parametrize(
    ("operation", "run"),
    [
        (
            "put",
            lambda t: t.put(
                User(pk="u", sk="s"),
                if_not_exists=True,
                condition_expression="attribute_exists(#lc_pk)",
                expression_attribute_names={"#lc_pk": "PK"},
            ),
        ),
        (
            "delete",
            lambda t: t.delete(
                "u",
                "s",
                expected_version=1,
                condition_expression="#v > :lc_expected",
                expression_attribute_names={"#v": "version"},
                expression_attribute_values={":lc_expected": 0},
            ),
        ),
        (
            "update",
            lambda t: t.update(
                "u",
                "s",
                {"nickname": "x"},
                expected_version=1,
                condition_expression="attribute_exists(#d_nickname)",
                expression_attribute_names={"#d_nickname": "nickname"},
            ),
        ),
    ],
)
def test_caller_placeholders_colliding_with_generated_ones_are_invalid_model(
    operation: str, run: Callable[[Table[User]], Any], users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(client, lambda: run(users), ValidationError, ERR_INVALID_MODEL)

    assert (error.operation, error.table) == (operation, "users_contract")
    assert "collides" in str(error)


@pytest.mark.parametrize(
    ("names", "values"),
    [({"nick": "nickname"}, None), ({"#ni-ck": "nickname"}, None), (None, {"x": 1}), (None, {":a b": 1})],
)
def test_caller_placeholder_keys_failing_the_pattern_are_security_errors(
    names: dict[str, str] | None, values: dict[str, Any] | None, users: Table[User], client: RecordingClient
) -> None:
    error = _rejected(
        client,
        lambda: users.put(
            User(pk="u", sk="s"),
            condition_expression="attribute_exists(#n)",
            expression_attribute_names=names,
            expression_attribute_values=values,
        ),
        SecurityValidationError,
        ERR_SECURITY_VALIDATION,
    )

    assert (error.operation, error.table) == ("put", "users_contract")


@pytest.mark.parametrize("operation", ["put", "delete", "update"], ids=["put", "delete", "update"])
def test_a_caller_condition_with_an_injection_pattern_is_a_security_error(
    operation: str, users: Table[User], client: RecordingClient
) -> None:
    condition = "attribute_exists(#n); DROP TABLE users"
    runs: dict[str, Callable[[], Any]] = {
        "put": lambda: users.put(User(pk="u", sk="s"), condition_expression=condition),
        "delete": lambda: users.delete("u", "s", condition_expression=condition),
        "update": lambda: users.update(
            "u", "s", {"nickname": "x"}, expected_version=0, condition_expression=condition
        ),
    }

    error = _rejected(client, runs[operation], SecurityValidationError, ERR_SECURITY_VALIDATION)

    assert (error.operation, error.table) == (operation, "users_contract")


def test_with_security_validation_off_a_suspicious_condition_is_sent_unchanged(
    client: RecordingClient,
) -> None:
    table = table_of(USERS, client, security_validation=False)
    condition = "attribute_exists(#n) -- caller's business"

    table.put(User(pk="u", sk="s"), condition_expression=condition, expression_attribute_names={"#n": "PK"})

    assert client.last["ConditionExpression"] == condition


def test_a_clock_returning_a_naive_datetime_is_invalid_value(client: RecordingClient) -> None:
    table = Table(USERS, client=client, now=lambda: datetime(2026, 1, 2))

    for run in (
        lambda: table.put(User(pk="u", sk="s")),
        lambda: table.update("u", "s", {"nickname": "x"}, expected_version=0),
    ):
        error = _rejected(client, run, ValidationError, ERR_INVALID_VALUE)
        assert error.table == "users_contract"
        assert error.operation in ("put", "update")


def test_table_rejects_something_that_is_not_a_model_definition(client: RecordingClient) -> None:
    with pytest.raises(ValidationError) as info:
        Table(User, client=client)  # type: ignore[arg-type]  # a dataclass, not a ModelDefinition

    assert isinstance(info.value, ValueError)
    assert info.value.code == ERR_INVALID_MODEL


def test_table_without_any_table_name_is_a_validation_error(client: RecordingClient) -> None:
    unnamed = ModelDefinition.from_dataclass(Plain)

    with pytest.raises(ValidationError) as info:
        Table(unnamed, client=client)

    assert isinstance(info.value, ValueError)
    assert info.value.code == ERR_INVALID_MODEL


def test_table_name_argument_overrides_the_model_table_name(client: RecordingClient) -> None:
    table = Table(ModelDefinition.from_dataclass(Plain), client=client, table_name="other_plains")

    table.delete("p")

    assert table.table_name == "other_plains"
    assert client.last["TableName"] == "other_plains"


@pytest.mark.parametrize("name", ["ab", "bad name", "a--b", "x;y", "a" * 256])
def test_table_name_failing_validation_is_a_security_error(name: str, client: RecordingClient) -> None:
    with pytest.raises(SecurityValidationError) as info:
        Table(PLAINS, client=client, table_name=name)

    assert info.value.code == ERR_SECURITY_VALIDATION


def test_table_name_validation_is_skipped_with_security_validation_off(client: RecordingClient) -> None:
    table = Table(PLAINS, client=client, table_name="a--b", security_validation=False)

    assert table.table_name == "a--b"


# --- no item or key values in errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        Note(id=SECRET, ratio=float("nan")),
        Note(id=SECRET, count=10**40 + 1),
        Note(id="n", labels={SECRET, 1}),  # type: ignore[arg-type]
        Note(id="n", meta={1: SECRET}),  # type: ignore[dict-item]
        Note(id="n", meta={SECRET: {3: "x"}}),
        Note(id=SECRET, title=SECRET * 40_000),
        Note(id=SECRET, seen=datetime(2026, 1, 2)),
    ],
)
def test_put_errors_never_show_item_or_key_values(item: Note, notes: Table[Note]) -> None:
    with pytest.raises(DynamormPyError) as info:
        notes.put(item)

    _assert_secret_hidden(info.value)


def test_condition_failure_never_shows_key_values() -> None:
    client = RecordingClient({"put_item": client_error("ConditionalCheckFailedException")})

    with pytest.raises(ConditionFailedError) as info:
        table_of(NOTES, client).put(Note(id=SECRET, title=SECRET), if_not_exists=True)

    _assert_secret_hidden(info.value)


def test_missing_key_error_never_shows_the_other_key_value(users: Table[User]) -> None:
    with pytest.raises(ValidationError) as info:
        users.get(SECRET, "")

    _assert_secret_hidden(info.value)


def _assert_secret_hidden(error: DynamormPyError) -> None:
    shown = [str(error), repr(error), *map(str, error.args), *map(str, vars(error).values())]
    assert not any(SECRET in text for text in shown)


# --- updates that could create an item the model cannot read -------------------------------------------


@dataclass
class Profile:
    """``name`` has no default: an item holding only the key and ``bio`` cannot be decoded."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    nick: str | None = None
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)


PROFILES = ModelDefinition.from_dataclass(Profile, table_name="profiles")


@dataclass
class LockedProfile:
    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    version: int = dynamorm_field(roles=["version"], default=0)


LOCKED_PROFILES = ModelDefinition.from_dataclass(LockedProfile, table_name="locked_profiles")

STORED_PROFILE = {"id": {"S": "p1"}, "name": {"S": "Ann"}, "bio": {"S": "x"}, "updatedAt": {"S": NOW_TEXT}}


def condition_failure(old_item: dict[str, Any] | None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}
    if old_item is not None:
        response["Item"] = old_item
    return ClientError(response, "UpdateItem")  # type: ignore[arg-type]


@pytest.fixture
def profiles(client: RecordingClient) -> Table[Profile]:
    client.responses["update_item"] = {"Attributes": STORED_PROFILE}
    return table_of(PROFILES, client)


def test_an_update_leaving_a_field_without_default_unset_requires_the_item_to_exist(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    profiles.update("p1", None, {"bio": "x"})

    assert client.last == {
        "TableName": "profiles",
        "Key": {"id": {"S": "p1"}},
        "UpdateExpression": "SET #d_bio = :d_bio, #lc_upd = :lc_now",
        "ConditionExpression": "attribute_exists(#lc_pk)",
        "ExpressionAttributeNames": {"#d_bio": "bio", "#lc_upd": "updated_at", "#lc_pk": "id"},
        "ExpressionAttributeValues": {":d_bio": {"S": "x"}, ":lc_now": {"S": NOW_TEXT}},
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_the_existence_guard_is_anded_after_the_caller_condition(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    profiles.update(
        "p1",
        None,
        {"bio": "x"},
        condition_expression="#b <> :b",
        expression_attribute_names={"#b": "bio"},
        expression_attribute_values={":b": "y"},
    )

    assert client.last["ConditionExpression"] == "(#b <> :b) AND (attribute_exists(#lc_pk))"
    assert client.last["ExpressionAttributeNames"]["#lc_pk"] == "id"


def test_a_caller_placeholder_named_like_the_guard_is_a_collision(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        profiles.update(
            "p1",
            None,
            {"bio": "x"},
            condition_expression="attribute_exists(#lc_pk)",
            expression_attribute_names={"#lc_pk": "bio"},
        )

    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_INVALID_MODEL,
        "update",
        "profiles",
    )
    assert client.calls == []


def test_a_guarded_update_of_a_missing_item_is_not_found_and_a_false_condition_is_condition_failed(
    client: RecordingClient,
) -> None:
    client.responses["update_item"] = condition_failure(None)
    profiles = table_of(PROFILES, client)
    caller_condition: dict[str, Any] = {
        "condition_expression": "#b = :b",
        "expression_attribute_names": {"#b": "bio"},
        "expression_attribute_values": {":b": "nope"},
    }

    with pytest.raises(NotFoundError) as missing:
        profiles.update("p1", None, {"bio": "x"}, **caller_condition)
    client.responses["update_item"] = condition_failure(STORED_PROFILE)
    with pytest.raises(ConditionFailedError) as false:
        profiles.update("p1", None, {"bio": "x"}, **caller_condition)

    error = missing.value
    assert (error.code, error.operation, error.table) == (ERR_ITEM_NOT_FOUND, "update", "profiles")
    assert isinstance(error.__cause__, ClientError)
    assert (false.value.code, false.value.operation) == (ERR_CONDITION_FAILED, "update")


def test_only_updates_that_could_create_an_unreadable_item_are_guarded(client: RecordingClient) -> None:
    client.responses["update_item"] = {"Attributes": {**STORED_PROFILE, "version": {"N": "1"}}}
    profiles = table_of(PROFILES, client)
    locked = table_of(LOCKED_PROFILES, client)

    profiles.update("p1", None, {"bio": "x"})
    profiles.update("p1", None, {"name": "Ann", "bio": "x"})  # creates a readable item: stays an upsert
    locked.update("p1", None, {"bio": "x"}, expected_version=0)  # its version condition needs the item

    conditions = [params.get("ConditionExpression") for _, params in client.calls]
    assert conditions == ["attribute_exists(#lc_pk)", None, "#lc_ver = :lc_expected"]


def test_update_item_is_guarded_like_update(profiles: Table[Profile], client: RecordingClient) -> None:
    profiles.update_item(Profile(id="p1", name="Ann", bio="x"), fields=["bio"])

    assert client.last["ConditionExpression"] == "attribute_exists(#lc_pk)"


@pytest.mark.parametrize(
    "updates", [{"name": None}, {"name": "Ann", "nick": "z", "bio": "b"} | {"name": None}]
)
def test_removing_a_field_without_default_is_refused_before_sending(
    updates: dict[str, Any], profiles: Table[Profile], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        profiles.update("p1", None, updates)

    error = info.value
    assert (error.code, error.operation, error.table, error.field) == (
        ERR_INVALID_MODEL,
        "update",
        "profiles",
        "name",
    )
    assert client.calls == []


def test_upsert_of_an_update_that_could_create_an_unreadable_item_is_refused_before_sending(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        profiles.update("p1", None, {"bio": "x"}, upsert=True)

    assert (info.value.code, info.value.field) == (ERR_INVALID_MODEL, "name")
    assert client.calls == []


def test_upsert_of_an_update_creating_a_readable_item_is_sent_unguarded(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    profiles.update("p1", None, {"name": "Ann"}, upsert=True)

    assert "ConditionExpression" not in client.last


def test_explain_update_shows_the_guard_and_mirrors_upsert(profiles: Table[Profile]) -> None:
    guarded = profiles.explain.update("p1", None, {"bio": "x"})
    readable = profiles.explain.update("p1", None, {"name": "A"}, upsert=True)

    assert guarded.params["ConditionExpression"] == "attribute_exists(#lc_pk)"
    assert guarded.params["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert "ConditionExpression" not in readable.params


def test_a_transaction_update_that_could_create_an_unreadable_item_is_guarded(
    profiles: Table[Profile],
) -> None:
    from dynamorm_py.transaction import TransactUpdate

    request = profiles.explain.transact_write([TransactUpdate("p1", None, {"bio": "x"})])

    update = request.params["TransactItems"][0]["Update"]
    assert update["ConditionExpression"] == "attribute_exists(#lc_pk)"
    assert update["ExpressionAttributeNames"]["#lc_pk"] == "id"


# --- get(default=), exists, delete_item, (pk, sk) keys ---------------------------------------------------


def test_get_returns_the_default_on_a_miss_and_raises_without_one(
    users: Table[User], client: RecordingClient
) -> None:
    sentinel = object()

    assert users.get("u1", "profile", default=None) is None
    assert users.get("u1", "profile", default=sentinel) is sentinel
    with pytest.raises(NotFoundError):
        users.get("u1", "profile")
    assert [call for call, _ in client.calls] == ["get_item"] * 3


def test_get_with_a_default_returns_the_item_when_there_is_one(client: RecordingClient) -> None:
    client.responses["get_item"] = {"Item": stored_user()}
    users = table_of(USERS, client)

    assert users.get("u1", "profile", default=None) == User(
        pk="u1", sk="profile", nickname="bob", created_at=NOW, updated_at=NOW, version=1
    )


def test_get_delete_and_exists_accept_a_pk_sk_tuple(users: Table[User], client: RecordingClient) -> None:
    users.get(("u1", "profile"), default=None)
    users.exists(("u1", "profile"))
    users.delete(("u1", "profile"))

    assert [params["Key"] for _, params in client.calls] == [USER_KEY] * 3


def test_a_tuple_key_of_the_wrong_shape_is_invalid_model(users: Table[User], notes: Table[Note]) -> None:
    with pytest.raises(ValidationError) as info:
        users.get(("u1", "profile", "x"))
    with pytest.raises(ValidationError) as other:
        notes.exists(("n1", "sort"))

    assert (info.value.code, info.value.operation) == (ERR_INVALID_MODEL, "get")
    assert (other.value.code, other.value.operation) == (ERR_INVALID_MODEL, "exists")


def test_exists_reads_only_the_key_attributes(users: Table[User], client: RecordingClient) -> None:
    assert users.exists("u1", "profile") is False
    client.responses["get_item"] = {"Item": USER_KEY}
    assert users.exists("u1", "profile", consistent_read=True) is True

    assert client.calls[-1] == (
        "get_item",
        {
            "TableName": "users_contract",
            "Key": USER_KEY,
            "ConsistentRead": True,
            "ProjectionExpression": "#k0, #k1",
            "ExpressionAttributeNames": {"#k0": "PK", "#k1": "SK"},
        },
    )
    assert users.explain.exists("u1", "profile").params == {**client.calls[0][1]}


def test_delete_item_takes_the_key_and_version_from_the_instance(
    users: Table[User], client: RecordingClient
) -> None:
    users.delete_item(User(pk="u1", sk="profile", version=3))

    assert client.last == {
        "TableName": "users_contract",
        "Key": USER_KEY,
        "ConditionExpression": "#lc_ver = :lc_expected",
        "ExpressionAttributeNames": {"#lc_ver": "version"},
        "ExpressionAttributeValues": {":lc_expected": {"N": "3"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    assert users.explain.delete_item(User(pk="u1", sk="profile", version=3)).params == client.last


def test_delete_item_of_an_unversioned_model_sends_only_the_key(
    notes: Table[Note], client: RecordingClient
) -> None:
    notes.delete_item(Note(id="n1", title="t"))

    assert client.last == {"TableName": "notes", "Key": {"id": {"S": "n1"}}}


def test_delete_item_of_a_versioned_instance_without_version_or_of_another_type_is_invalid_model(
    users: Table[User], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as missing:
        users.delete_item(User(pk="u1", sk="profile", version=None))
    with pytest.raises(ValidationError) as wrong:
        users.delete_item(Note(id="n1"))  # type: ignore[arg-type]

    assert (missing.value.code, missing.value.operation, missing.value.field) == (
        ERR_INVALID_MODEL,
        "delete_item",
        "version",
    )
    assert (wrong.value.code, wrong.value.operation) == (ERR_INVALID_MODEL, "delete_item")
    assert client.calls == []


def test_a_stale_instance_passed_to_delete_item_is_condition_failed(client: RecordingClient) -> None:
    client.responses["delete_item"] = client_error("ConditionalCheckFailedException")
    users = table_of(USERS, client)

    with pytest.raises(ConditionFailedError) as info:
        users.delete_item(User(pk="u1", sk="profile", version=3))

    assert (info.value.operation, info.value.table) == ("delete_item", "users_contract")


# --- arguments of the wrong kind ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda t: t.update("u1", "profile", 5, expected_version=1), "updates"),
        (lambda t: t.update("u1", "profile", ["nickname"], expected_version=1), "updates"),
        (
            lambda t: t.update(
                "u1", "profile", {"nickname": "x"}, expected_version=1, expression_attribute_names=5
            ),
            "expression_attribute_names",
        ),
        (
            lambda t: t.put(
                User(pk="u1", sk="profile"),
                condition_expression="#n = :n",
                expression_attribute_names={"#n": "nickname"},
                expression_attribute_values=[("n", "x")],
            ),
            "expression_attribute_values",
        ),
        (lambda t: t.update_item(User(pk="u1", sk="profile", version=1), fields=5), "fields"),
        (lambda t: t.update_item(User(pk="u1", sk="profile", version=1), fields="nickname"), "fields"),
        (lambda t: t.batch_get([("u1", "profile")], projection=5), "projection"),
        (lambda t: t.batch_get([("u1", "profile")], projection=[1]), "projection"),
    ],
)
def test_an_argument_of_the_wrong_kind_is_a_validation_error_naming_it_before_any_call(
    call: Callable[[Table[User]], Any], argument: str, users: Table[User], client: RecordingClient
) -> None:
    with pytest.raises(ValidationError) as info:
        call(users)

    assert info.value.code == ERR_INVALID_MODEL
    assert str(info.value.message).startswith(argument)
    assert client.calls == []


# --- retries and writes whose answer was lost ------------------------------------------------------------
#
# A ReadTimeoutError is a request that reached the server and whose answer never came back (it may have
# been applied); a ConditionalCheckFailedException then carries the item as it is (ALL_OLD).

BOUNDS: list[tuple[float, float]] = []


def no_wait(low: float, high: float) -> float:
    """A jitter source that records the bounds it was given and never waits."""
    BOUNDS.append((low, high))
    return 0.0


FAST = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=0.3, rand_uniform=no_wait)


def lost() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="http://dynamodb.test")


def refused() -> EndpointConnectionError:
    return EndpointConnectionError(endpoint_url="http://dynamodb.test")


def condition_failed(item: dict[str, Any] | None) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
    }
    if item is not None:
        response["Item"] = item
    return ClientError(response, "Operation")  # type: ignore[arg-type]


def retried(
    model: ModelDefinition[Any], policy: RetryPolicy = FAST, **responses: Any
) -> tuple[Table[Any], RecordingClient]:
    client = RecordingClient(responses)
    return table_of(model, client, retry_policy=policy), client


@dataclass
class Counter:
    """Versioned, without updated_at: two writers can leave identical items."""

    id: str = dynamorm_field(roles=["pk"])
    count: int = 0
    version: int = dynamorm_field(roles=["version"], default=0)


COUNTERS = ModelDefinition.from_dataclass(Counter, table_name="counters")


def test_a_versioned_update_whose_answer_was_lost_recognises_its_own_write() -> None:
    table, client = retried(
        USERS, update_item=[lost(), condition_failed(stored_user(version=1, nickname="bob"))]
    )

    user = table.update("u1", "profile", {"nickname": "bob"}, expected_version=0)

    assert (user.version, user.nickname) == (1, "bob")
    first, second = client.calls
    assert first == second
    assert first[1]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_a_versioned_update_that_lost_to_another_writer_is_a_conflict_after_a_lost_answer() -> None:
    theirs = stored_user(version=1, nickname="eve")
    table, _ = retried(USERS, update_item=[lost(), condition_failed(theirs)])

    with pytest.raises(ConditionFailedError) as info:
        table.update("u1", "profile", {"nickname": "bob"}, expected_version=0)

    assert not isinstance(info.value, OutcomeUnknownError)
    assert isinstance(info.value.__cause__, ClientError)


def test_an_item_past_our_version_after_a_lost_answer_is_an_unknown_outcome() -> None:
    # Ours may have applied (version 1) and another writer updated on top of it (version 2).
    table, _ = retried(USERS, update_item=[lost(), condition_failed(stored_user(version=2, nickname="bob"))])

    with pytest.raises(OutcomeUnknownError) as info:
        table.update("u1", "profile", {"nickname": "bob"}, expected_version=0)

    error = info.value
    assert (error.code, error.operation, error.table) == ("ErrOutcomeUnknown", "update", "users_contract")
    assert error.key == ("u1", "profile")
    assert [type(e).__name__ for e in error.attempt_errors] == ["TransportError", "ConditionFailedError"]
    assert error.__cause__ is error.attempt_errors[-1]
    assert "bob" not in str(error) and "u1" not in str(error)


def test_without_updated_at_identical_values_cannot_be_told_apart_and_differing_ones_are_a_conflict() -> None:
    same = {"id": {"S": "c1"}, "count": {"N": "6"}, "version": {"N": "5"}}
    table, _ = retried(COUNTERS, update_item=[lost(), condition_failed(same)])
    with pytest.raises(OutcomeUnknownError):
        table.update("c1", None, {"count": 6}, expected_version=4)

    other = {"id": {"S": "c1"}, "count": {"N": "7"}, "version": {"N": "5"}}
    table, _ = retried(COUNTERS, update_item=[lost(), condition_failed(other)])
    with pytest.raises(ConditionFailedError) as info:
        table.update("c1", None, {"count": 6}, expected_version=4)
    assert not isinstance(info.value, OutcomeUnknownError)


def test_update_item_and_the_builder_recognise_their_own_write() -> None:
    mine = stored_user(version=4, nickname="bob")
    table, _ = retried(USERS, update_item=[lost(), condition_failed(mine)])
    user = table.update_item(User(pk="u1", sk="profile", nickname="bob", version=3), fields=["nickname"])
    assert user.version == 4

    table, _ = retried(USERS, update_item=[lost(), condition_failed(mine)])
    built = (
        table.update_builder("u1", "profile")
        .set("nickname", "bob")
        .expect_version(3)
        .return_values("ALL_NEW")
    ).execute()
    assert built is not None and built.version == 4


def test_a_put_if_not_exists_whose_answer_was_lost_recognises_the_item_it_sent() -> None:
    user = User(pk="u1", sk="profile", nickname="bob")
    sent = table_of(USERS, RecordingClient()).explain.put(user, if_not_exists=True).params["Item"]
    table, client = retried(USERS, put_item=[lost(), condition_failed(sent)])

    written = table.put(user, if_not_exists=True)

    assert written.created_at == NOW and len(client.calls) == 2


def test_a_claim_held_by_another_item_after_a_lost_answer_is_a_conflict() -> None:
    table, _ = retried(USERS, put_item=[lost(), condition_failed(stored_user(nickname="eve"))])

    with pytest.raises(ConditionFailedError) as info:
        table.put(User(pk="u1", sk="profile", nickname="bob"), if_not_exists=True)

    assert not isinstance(info.value, OutcomeUnknownError)


def test_a_put_of_a_model_without_updated_at_cannot_recognise_an_identical_item() -> None:
    note = Note(id="n1", title="t")
    sent = table_of(NOTES, RecordingClient()).explain.put(note, if_not_exists=True).params["Item"]
    table, _ = retried(NOTES, put_item=[lost(), condition_failed(sent)])

    with pytest.raises(OutcomeUnknownError) as info:
        table.put(note, if_not_exists=True)

    assert info.value.key == "n1"


def test_a_versioned_delete_whose_answer_was_lost_is_done_when_the_item_is_gone() -> None:
    table, client = retried(USERS, delete_item=[lost(), condition_failed(None)])
    table.delete("u1", "profile", expected_version=3)
    assert len(client.calls) == 2

    table, _ = retried(USERS, delete_item=[lost(), condition_failed(stored_user(version=4))])
    with pytest.raises(ConditionFailedError) as info:
        table.delete("u1", "profile", expected_version=3)
    assert not isinstance(info.value, OutcomeUnknownError)


def test_a_condition_failure_without_an_earlier_lost_answer_stays_a_conflict() -> None:
    # The request never left (connection refused), so ours cannot have applied.
    table, _ = retried(
        USERS, update_item=[refused(), condition_failed(stored_user(version=1, nickname="bob"))]
    )

    with pytest.raises(ConditionFailedError) as info:
        table.update("u1", "profile", {"nickname": "bob"}, expected_version=0)

    assert not isinstance(info.value, OutcomeUnknownError)


def test_a_condition_failure_after_the_client_retried_by_itself_is_checked_against_our_write() -> None:
    failure = condition_failed(stored_user(version=1, nickname="bob"))
    failure.response["ResponseMetadata"] = {"RetryAttempts": 1, "HTTPStatusCode": 400}
    table, _ = retried(USERS, update_item=[failure])

    assert table.update("u1", "profile", {"nickname": "bob"}, expected_version=0).version == 1


def test_throttling_is_retried_with_growing_full_jitter_waits() -> None:
    BOUNDS.clear()
    throttled = client_error("ProvisionedThroughputExceededException")
    table, client = retried(NOTES, put_item=[throttled, throttled, throttled, {}])

    table.put(Note(id="n1"))

    assert len(client.calls) == 4
    assert BOUNDS == [(0.0, 0.1), (0.0, 0.2), (0.0, 0.3)]


def test_retries_stop_after_max_attempts_and_a_write_never_applied_keeps_its_error() -> None:
    throttled = client_error("ThrottlingException")
    policy = RetryPolicy(max_attempts=3, rand_uniform=no_wait)
    table, client = retried(NOTES, policy, put_item=[throttled] * 3)

    with pytest.raises(DynamormPyError) as info:
        table.put(Note(id="n1"))

    assert info.value.code == "ThrottlingException" and not isinstance(info.value, OutcomeUnknownError)
    assert len(client.calls) == 3


def test_retries_stop_when_the_next_wait_would_pass_the_time_budget() -> None:
    readings = iter([0.0, 0.5, 2.0])
    policy = RetryPolicy(
        max_attempts=10,
        base_delay=0.1,
        total_budget=1.0,
        rand_uniform=lambda a, b: b,
        clock=lambda: next(readings),
    )
    throttled = client_error("ThrottlingException")
    table, client = retried(NOTES, policy, get_item=[throttled] * 10)

    with pytest.raises(DynamormPyError) as info:
        table.get("n1")

    # first failure at 0.0; at 0.5 a 0.1 s wait fits; at 2.0 the budget is spent
    assert info.value.code == "ThrottlingException"
    assert len(client.calls) == 2


def test_a_read_whose_answers_were_lost_raises_the_transport_error_never_an_unknown_outcome() -> None:
    table, client = retried(
        NOTES, RetryPolicy(max_attempts=2, rand_uniform=no_wait), get_item=[lost(), lost()]
    )

    with pytest.raises(DynamormPyError) as info:
        table.get("n1")

    assert info.value.code == "ErrTransport" and len(client.calls) == 2


def test_a_write_whose_attempts_all_failed_after_a_server_error_has_an_unknown_outcome() -> None:
    failures = [client_error("InternalServerError"), client_error("ThrottlingException")]
    table, _ = retried(NOTES, RetryPolicy(max_attempts=2, rand_uniform=no_wait), put_item=failures)

    with pytest.raises(OutcomeUnknownError) as info:
        table.put(Note(id="n1"))

    assert [e.code for e in info.value.attempt_errors] == ["InternalServerError", "ThrottlingException"]


def test_an_unconditional_increment_is_not_resent_after_an_answer_was_lost() -> None:
    table, client = retried(LEDGERS, update_item=[lost(), {}])

    with pytest.raises(OutcomeUnknownError):
        table.update_builder("a1").add("balance", 1).execute()

    assert len(client.calls) == 1  # a second ADD could count the increment twice


def test_an_unconditional_set_is_resent_after_an_answer_was_lost() -> None:
    table, client = retried(LEDGERS, update_item=[lost(), {}])

    table.update_builder("a1").set("name", "n").execute()

    assert len(client.calls) == 2


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", 1.5),
        ("base_delay", -1),
        ("max_delay", float("inf")),
        ("total_budget", "1"),
    ],
)
def test_a_bad_retry_policy_is_a_validation_error_naming_the_argument(argument: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        RetryPolicy(**{argument: value})

    assert (info.value.code, info.value.field) == (ERR_INVALID_VALUE, argument)


def test_a_table_refuses_a_retry_policy_of_another_type() -> None:
    with pytest.raises(ValidationError) as info:
        table_of(NOTES, RecordingClient(), retry_policy={"max_attempts": 1})

    assert info.value.field == "retry_policy"


def test_the_client_a_table_builds_has_botocore_retries_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    client = Table(NOTES).client

    assert client.meta.config.retries["total_max_attempts"] == 1


def test_a_guarded_increment_is_not_resent_after_an_answer_was_lost() -> None:
    # The existence guard still holds after the first ADD applied: a second one would count twice.
    table, client = retried(LEDGERS, update_item=[lost(), {}])

    with pytest.raises(OutcomeUnknownError):
        table.update_builder("a1").add("balance", 1).condition("balance", ">", 0).execute()

    assert len(client.calls) == 1


# --- typed conditions (condition=) -------------------------------------------------------------------------


@dataclass
class Vault:
    id: str = dynamorm_field(roles=["pk"])
    label: str = ""
    pin: str = dynamorm_field(encrypted=True, default="")


VAULTS = ModelDefinition.from_dataclass(Vault, table_name="vaults")
NOT_BOB = ~FilterCondition.eq("nickname", "bob")


def test_put_with_a_typed_condition_and_if_not_exists_sends_both(
    users: Table[User], client: RecordingClient
) -> None:
    users.put(
        User(pk="u1", sk="profile"),
        condition=NOT_BOB | FilterCondition.not_exists("nickname"),
        if_not_exists=True,
    )

    request = client.last
    assert request["ConditionExpression"] == (
        "(NOT (#wc_nickname = :wc1) OR attribute_not_exists(#wc_nickname)) AND (attribute_not_exists(#lc_pk))"
    )
    assert request["ExpressionAttributeNames"] == {"#lc_pk": "PK", "#wc_nickname": "nickname"}
    assert request["ExpressionAttributeValues"] == {":wc1": {"S": "bob"}}
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_put_with_only_a_typed_condition(notes: Table[Note], client: RecordingClient) -> None:
    notes.put(Note(id="n1"), condition=FilterCondition.lt("count", 3))

    assert client.last["ConditionExpression"] == "#wc_count < :wc1"
    assert client.last["ExpressionAttributeNames"] == {"#wc_count": "count"}
    assert client.last["ExpressionAttributeValues"] == {":wc1": {"N": "3"}}


def test_put_with_an_empty_typed_condition_is_unconditional(
    notes: Table[Note], client: RecordingClient
) -> None:
    notes.put(Note(id="n1"), condition=FilterGroup.and_())

    assert set(client.last) == {"TableName", "Item"}


def test_delete_and_delete_item_and_the_typed_condition_before_the_version_lock(
    users: Table[User], client: RecordingClient
) -> None:
    users.delete("u1", "profile", condition=NOT_BOB, expected_version=3)
    users.delete_item(User(pk="u1", sk="profile", version=3), condition=NOT_BOB)

    first, second = (params for _, params in client.calls)
    assert (
        first
        == second
        == {
            "TableName": "users_contract",
            "Key": USER_KEY,
            "ConditionExpression": "(NOT (#wc_nickname = :wc1)) AND (#lc_ver = :lc_expected)",
            "ExpressionAttributeNames": {"#lc_ver": "version", "#wc_nickname": "nickname"},
            "ExpressionAttributeValues": {":lc_expected": {"N": "3"}, ":wc1": {"S": "bob"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    )


def test_update_and_update_item_and_the_typed_condition_before_the_version_lock() -> None:
    client = RecordingClient({"update_item": {"Attributes": stored_user(version=4)}})
    users = table_of(USERS, client)
    condition = FilterCondition.exists("nickname") & FilterCondition.in_("email_hash", ["h", "i"])

    users.update("u1", "profile", {"nickname": "bob"}, expected_version=3, condition=condition)
    users.update_item(
        User(pk="u1", sk="profile", nickname="bob", version=3), ["nickname"], condition=condition
    )

    first, second = (params for _, params in client.calls)
    assert first == second
    assert first["ConditionExpression"] == (
        "(attribute_exists(#wc_nickname) AND #wc_email_hash IN (:wc1, :wc2)) AND (#lc_ver = :lc_expected)"
    )
    assert first["ExpressionAttributeNames"] == {
        "#d_nickname": "nickname",
        "#lc_upd": "updatedAt",
        "#lc_ver": "version",
        "#wc_nickname": "nickname",
        "#wc_email_hash": "emailHash",
    }
    assert first["ExpressionAttributeValues"] == {
        ":d_nickname": {"S": "bob"},
        ":lc_now": {"S": NOW_TEXT},
        ":lc_expected": {"N": "3"},
        ":lc_one": {"N": "1"},
        ":wc1": {"S": "h"},
        ":wc2": {"S": "i"},
    }


def test_the_existence_guard_is_anded_after_a_typed_condition(
    profiles: Table[Profile], client: RecordingClient
) -> None:
    profiles.update("p1", None, {"bio": "x"}, condition=FilterCondition.ne("bio", "y"))

    assert client.last["ConditionExpression"] == "(#wc_bio <> :wc1) AND (attribute_exists(#lc_pk))"
    assert client.last["ExpressionAttributeNames"] == {
        "#d_bio": "bio",
        "#lc_upd": "updated_at",
        "#wc_bio": "bio",
        "#lc_pk": "id",
    }


def test_a_guarded_update_with_a_false_typed_condition_is_condition_failed_and_on_no_item_not_found(
    client: RecordingClient,
) -> None:
    profiles = table_of(PROFILES, client)
    client.responses["update_item"] = condition_failure(STORED_PROFILE)
    with pytest.raises(ConditionFailedError):
        profiles.update("p1", None, {"bio": "x"}, condition=FilterCondition.eq("bio", "nope"))
    client.responses["update_item"] = condition_failure(None)
    with pytest.raises(NotFoundError):
        profiles.update("p1", None, {"bio": "x"}, condition=FilterCondition.eq("bio", "nope"))


def test_explain_shows_the_rendered_typed_condition(users: Table[User], client: RecordingClient) -> None:
    explained = users.explain.update(
        "u1", "profile", {"nickname": "bob"}, expected_version=0, condition=NOT_BOB
    )
    put = users.explain.put(User(pk="u1", sk="profile"), condition=NOT_BOB)
    delete = users.explain.delete_item(User(pk="u1", sk="profile", version=2), condition=NOT_BOB)

    assert (
        explained.params["ConditionExpression"] == "(NOT (#wc_nickname = :wc1)) AND (#lc_ver = :lc_expected)"
    )
    assert put.params["ConditionExpression"] == "NOT (#wc_nickname = :wc1)"
    assert delete.params["ConditionExpression"] == "(NOT (#wc_nickname = :wc1)) AND (#lc_ver = :lc_expected)"
    assert client.calls == []


WRITES: list[tuple[str, Callable[..., Any]]] = [
    ("put", lambda t, **kw: t.put(User(pk="u1", sk="profile"), **kw)),
    ("delete", lambda t, **kw: t.delete("u1", "profile", **kw)),
    ("delete_item", lambda t, **kw: t.delete_item(User(pk="u1", sk="profile", version=1), **kw)),
    ("update", lambda t, **kw: t.update("u1", "profile", {"nickname": "x"}, expected_version=1, **kw)),
    (
        "update_item",
        lambda t, **kw: t.update_item(User(pk="u1", sk="profile", version=1), ["nickname"], **kw),
    ),
]


@pytest.mark.parametrize(("operation", "write"), WRITES, ids=[name for name, _ in WRITES])
@pytest.mark.parametrize(
    ("raw", "argument"),
    [
        ({"condition_expression": "attribute_exists(PK)"}, "condition_expression"),
        ({"expression_attribute_values": {":n": "bob"}}, "expression_attribute_values"),
    ],
)
def test_every_write_refuses_a_typed_and_a_raw_condition_together(
    users: Table[User],
    client: RecordingClient,
    operation: str,
    write: Callable[..., Any],
    raw: dict[str, Any],
    argument: str,
) -> None:
    with pytest.raises(ValidationError) as info:
        write(users, condition=NOT_BOB, **raw)

    error = info.value
    assert (error.code, error.field, error.operation, error.table) == (
        ERR_INVALID_OPERATOR,
        argument,
        operation,
        "users_contract",
    )
    assert client.calls == []


@pytest.mark.parametrize(
    "write",
    [
        lambda t, c: t.put(Vault(id="v1"), condition=c),
        lambda t, c: t.delete("v1", condition=c),
        lambda t, c: t.update("v1", None, {"label": "x"}, condition=c),
    ],
    ids=["put", "delete", "update"],
)
def test_a_typed_condition_on_an_encrypted_field_is_refused_before_any_call(
    write: Callable[..., Any],
) -> None:
    client = RecordingClient()
    kms = fixed_kms()
    vaults = table_of(VAULTS, client, kms_key_arn=ARN, kms_client=kms)

    with pytest.raises(ValidationError) as info:
        write(vaults, FilterCondition.eq("label", "a") & FilterCondition.eq("pin", "1234"))

    assert (info.value.code, info.value.field) == (ERR_ENCRYPTED_FIELD_NOT_QUERYABLE, "pin")
    assert "1234" not in str(info.value)
    assert client.calls == [] and kms.calls == []


# A typed condition is the caller's own condition: after a lost answer the retry layer reads the item that
# came back with the failure exactly as it does for a raw condition.


def test_a_put_if_not_exists_with_a_typed_condition_is_no_claim_after_a_lost_answer() -> None:
    # Ours may have applied and been overwritten by another writer whom our condition then refused.
    table, _ = retried(USERS, put_item=[lost(), condition_failed(stored_user(nickname="eve"))])

    with pytest.raises(OutcomeUnknownError):
        table.put(User(pk="u1", sk="profile", nickname="bob"), if_not_exists=True, condition=NOT_BOB)


def test_a_put_with_a_typed_condition_recognises_the_item_it_sent_after_a_lost_answer() -> None:
    user = User(pk="u1", sk="profile", nickname="bob")
    sent = table_of(USERS, RecordingClient()).explain.put(user, condition=NOT_BOB).params["Item"]
    table, client = retried(USERS, put_item=[lost(), condition_failed(sent)])

    assert table.put(user, condition=NOT_BOB).nickname == "bob"
    first, second = client.calls
    assert first == second and first[1]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_a_versioned_update_with_a_typed_condition_recognises_its_own_write_after_a_lost_answer() -> None:
    table, _ = retried(USERS, update_item=[lost(), condition_failed(stored_user(version=1, nickname="bob"))])
    condition = FilterCondition.exists("email_hash")

    user = table.update("u1", "profile", {"nickname": "bob"}, expected_version=0, condition=condition)
    assert (user.version, user.nickname) == (1, "bob")

    table, _ = retried(USERS, update_item=[lost(), condition_failed(stored_user(version=1, nickname="eve"))])
    with pytest.raises(ConditionFailedError) as info:
        table.update("u1", "profile", {"nickname": "bob"}, expected_version=0, condition=condition)
    assert not isinstance(info.value, OutcomeUnknownError)


def test_a_delete_with_a_typed_condition_is_done_when_the_item_is_gone_after_a_lost_answer() -> None:
    table, client = retried(NOTES, delete_item=[lost(), condition_failed(None)])

    table.delete("n1", condition=FilterCondition.eq("title", "t"))

    assert len(client.calls) == 2
