"""Single-item operations against a real endpoint (api.md §1.3, §1.4, §2.1-§2.4; WF §5, §7, §8).

Raw items are read back with the low-level client, so what is stored is checked, not only what the library
decodes. ``User`` is the dataclass equivalent of the contract fixture ``tests/fixtures/dms/user.yml``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_py.errors import (
    ERR_CONDITION_FAILED,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_ITEM_NOT_FOUND,
    ERR_PARTIAL_ITEM,
    ERR_TABLE_NOT_FOUND,
    BatchInterruptedError,
    ConditionFailedError,
    NotFoundError,
    TableNotFoundError,
    ValidationError,
)
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.model import ModelDefinition, Projection, dynamorm_field, gsi
from dynamorm_py.table import Table
from dynamorm_py.transaction import TransactPut, TransactUpdate

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")


# --- models --------------------------------------------------------------------------------------------


@dataclass
class User:
    """tests/fixtures/dms/user.yml as a dataclass (camelCase names, PK/SK, gsi-email)."""

    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    email_hash: str | None = None
    nickname: str = dynamorm_field(omitempty=True, default="")
    tags: set[str] = dynamorm_field(omitempty=True, default_factory=set)
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)
    ttl: int = dynamorm_field(roles=["ttl"], omitempty=True, default=0)


USERS = ModelDefinition.from_dataclass(
    User,
    table_name="users_contract",
    naming="camelCase",
    indexes=[gsi("gsi-email", partition="email_hash")],
)
USER_KEY = {"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}}


@dataclass
class Address:
    street: str
    zip_code: str | None = None


@dataclass
class Kitchen:
    """One field of every value kind of WF §5.2, plus json and omit_empty fields."""

    id: str = dynamorm_field(roles=["pk"])
    sort: int = dynamorm_field(roles=["sk"])
    text: str = ""
    unicode: str = ""
    count: int = 0
    big: int = 0
    ratio: float = 0.0
    price: Decimal = Decimal("0")
    flag: bool = False
    blob: bytes = b""
    names: set[str] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    blobs: set[bytes] = field(default_factory=set)
    frozen: frozenset[str] = frozenset()
    empty: set[str] = field(default_factory=set)
    items: list[Any] = field(default_factory=list)
    pair: tuple[int, str] = (0, "")
    mapping: dict[str, Any] = field(default_factory=dict)
    address: Address | None = None
    optional: str | None = None
    when: datetime | None = None
    settings: dict[str, Any] = dynamorm_field(json=True, default_factory=dict)
    nick: str = dynamorm_field(omitempty=True, default="")


KITCHENS = ModelDefinition.from_dataclass(Kitchen, table_name="kitchens")


def full_kitchen() -> Kitchen:
    return Kitchen(
        id="k1",
        sort=7,
        text="plain",
        unicode="é ü 日本 🎉",
        count=-42,
        big=10**37 + 1,
        ratio=0.1,
        price=Decimal("19.990"),
        flag=True,
        blob=b"\x00\xff\x10",
        names={"a", "b"},
        numbers={1, 2, 3},
        blobs={b"\x01", b"\x02"},
        frozen=frozenset({"x"}),
        empty=set(),
        items=[1, "two", None, True, {"k": "v"}, ["n"]],
        pair=(5, "five"),
        mapping={"a": 1, "b": [1, 2], "c": {"d": None}, "s": {"x"}},
        address=Address(street="Main St", zip_code=None),
        optional=None,
        when=datetime(2026, 1, 2, 5, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2))),
        settings={"theme": "dark", "sizes": [1, 2.5]},
        nick="",
    )


@dataclass
class Account:
    """The update-builder model: numbers, sets, a list, a map, updated_at and version roles."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    balance: int = 0
    tags: set[str] = field(default_factory=set)
    history: list[str] = field(default_factory=list)
    note: str | None = None
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name="accounts")


@pytest.fixture
def users(dynamorm_local: Server) -> Table[User]:
    return dynamorm_local.table(USERS)


@pytest.fixture
def kitchens(dynamorm_local: Server) -> Table[Kitchen]:
    return dynamorm_local.table(KITCHENS)


@pytest.fixture
def accounts(dynamorm_local: Server) -> Table[Account]:
    return dynamorm_local.table(ACCOUNTS)


def raw_item(server: Server, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    response = server.client().get_item(TableName=table, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def new_user(**overrides: Any) -> User:
    values: dict[str, Any] = {"pk": "USER#1", "sk": "PROFILE", "email_hash": "hash-1"}
    values.update(overrides)
    return User(**values)


# --- round trips ---------------------------------------------------------------------------------------


def test_put_then_get_round_trips_every_value_kind(kitchens: Table[Kitchen]) -> None:
    item = full_kitchen()

    kitchens.put(item)
    read = kitchens.get("k1", 7)

    assert read == dataclasses.replace(item, when=item.when.astimezone(UTC) if item.when else None)
    assert read.when is not None and read.when.tzinfo is not None
    assert isinstance(read.ratio, float)
    assert isinstance(read.price, Decimal)
    assert isinstance(read.blob, bytes)
    assert isinstance(read.frozen, frozenset)
    assert isinstance(read.pair, tuple)
    assert isinstance(read.address, Address)


def test_stored_item_uses_the_wire_format_of_each_value_kind(
    kitchens: Table[Kitchen], dynamorm_local: Server
) -> None:
    kitchens.put(full_kitchen())

    item = raw_item(dynamorm_local, "kitchens", {"id": {"S": "k1"}, "sort": {"N": "7"}})

    assert item is not None
    assert item["count"] == {"N": "-42"}
    assert item["big"] == {"N": str(10**37 + 1)}
    assert item["ratio"] == {"N": "0.1"}
    assert item["price"] == {"N": "19.990"}
    assert item["flag"] == {"BOOL": True}
    assert item["blob"] == {"B": b"\x00\xff\x10"}
    assert sorted(item["names"]["SS"]) == ["a", "b"]
    assert sorted(item["numbers"]["NS"]) == ["1", "2", "3"]
    assert item["empty"] == {"NULL": True}
    assert "optional" not in item  # a top-level None is not written
    assert item["when"] == {"S": "2026-01-02T03:04:05.123456000Z"}
    assert item["settings"] == {"S": '{"sizes":[1,2.5],"theme":"dark"}'}
    assert item["address"] == {"M": {"street": {"S": "Main St"}, "zip_code": {"NULL": True}}}
    assert "nick" not in item


def test_get_with_consistent_read_returns_the_item(kitchens: Table[Kitchen]) -> None:
    kitchens.put(Kitchen(id="k1", sort=1, text="t"))

    assert kitchens.get("k1", 1, consistent_read=True).text == "t"


def test_get_of_a_missing_item_raises_item_not_found_not_table_not_found(kitchens: Table[Kitchen]) -> None:
    with pytest.raises(NotFoundError) as info:
        kitchens.get("nobody", 1)

    assert not isinstance(info.value, TableNotFoundError)
    assert (info.value.code, info.value.operation, info.value.table) == (
        ERR_ITEM_NOT_FOUND,
        "get",
        "kitchens",
    )


@pytest.mark.parametrize("operation", ["get", "put", "update", "delete"])
def test_any_operation_on_a_missing_table_raises_table_not_found(
    operation: str, dynamorm_local: Server
) -> None:
    table = dynamorm_local.table(KITCHENS, create=False, table_name="no_such_table")
    runs: dict[str, Callable[[], Any]] = {
        "get": lambda: table.get("k", 1),
        "put": lambda: table.put(Kitchen(id="k", sort=1)),
        "update": lambda: table.update("k", 1, {"text": "x"}),
        "delete": lambda: table.delete("k", 1),
    }

    with pytest.raises(TableNotFoundError) as info:
        runs[operation]()

    error = info.value
    assert isinstance(error, NotFoundError)
    assert (error.code, error.operation, error.table) == (ERR_TABLE_NOT_FOUND, operation, "no_such_table")
    assert error.aws_code == "ResourceNotFoundException"
    assert isinstance(error.__cause__, ClientError)


def test_update_returns_the_whole_new_item(kitchens: Table[Kitchen]) -> None:
    kitchens.put(full_kitchen())

    updated = kitchens.update("k1", 7, {"text": "changed", "count": 1, "names": {"z"}, "optional": "now"})

    assert updated == dataclasses.replace(
        kitchens.get("k1", 7), text="changed", count=1, names={"z"}, optional="now"
    )
    assert updated.unicode == "é ü 日本 🎉"
    assert updated == kitchens.get("k1", 7)


def test_update_removes_none_and_empty_omit_empty_values(
    kitchens: Table[Kitchen], dynamorm_local: Server
) -> None:
    kitchens.put(dataclasses.replace(full_kitchen(), optional="set", nick="nick"))

    updated = kitchens.update("k1", 7, {"optional": None, "nick": "", "empty": []})

    item = raw_item(dynamorm_local, "kitchens", {"id": {"S": "k1"}, "sort": {"N": "7"}})
    assert item is not None
    assert "optional" not in item
    assert "nick" not in item
    assert item["empty"] == {"NULL": True}
    assert (updated.optional, updated.nick, updated.empty) == (None, "", set())


def test_update_of_an_unversioned_model_creates_a_missing_item(kitchens: Table[Kitchen]) -> None:
    created = kitchens.update("fresh", 1, {"text": "upserted"})

    assert created == Kitchen(id="fresh", sort=1, text="upserted")


def test_delete_removes_the_item_and_deleting_a_missing_item_is_fine(kitchens: Table[Kitchen]) -> None:
    kitchens.put(Kitchen(id="k1", sort=1))

    kitchens.delete("k1", 1)
    kitchens.delete("k1", 1)

    with pytest.raises(NotFoundError):
        kitchens.get("k1", 1)


def test_put_returns_a_copy_with_lifecycle_values_and_does_not_mutate_the_argument(
    users: Table[User],
) -> None:
    item = new_user(nickname="bob")

    written = users.put(item)

    assert item == new_user(nickname="bob")
    assert written is not item
    assert written.created_at is not None
    assert written.updated_at == written.created_at
    assert written.version == 0
    assert users.get("USER#1", "PROFILE") == written


# --- conditions ----------------------------------------------------------------------------------------


def test_conditional_put_with_a_caller_condition(kitchens: Table[Kitchen]) -> None:
    kitchens.put(Kitchen(id="k1", sort=1, count=1))
    condition: dict[str, Any] = {
        "condition_expression": "#c < :limit",
        "expression_attribute_names": {"#c": "count"},
        "expression_attribute_values": {":limit": 2},
    }

    kitchens.put(Kitchen(id="k1", sort=1, count=5), **condition)
    with pytest.raises(ConditionFailedError) as info:
        kitchens.put(Kitchen(id="k1", sort=1, count=9), **condition)

    assert info.value.code == ERR_CONDITION_FAILED
    assert kitchens.get("k1", 1).count == 5


def test_put_if_not_exists_with_a_caller_condition_needs_both(kitchens: Table[Kitchen]) -> None:
    kitchens.put(
        Kitchen(id="k1", sort=1),
        condition_expression="attribute_not_exists(#t)",
        expression_attribute_names={"#t": "text"},
        if_not_exists=True,
    )

    with pytest.raises(ConditionFailedError):
        kitchens.put(
            Kitchen(id="k1", sort=1),
            condition_expression="attribute_not_exists(#t)",
            expression_attribute_names={"#t": "text"},
            if_not_exists=True,
        )


def test_conditional_delete_with_a_caller_condition(kitchens: Table[Kitchen]) -> None:
    kitchens.put(Kitchen(id="k1", sort=1, text="keep"))

    with pytest.raises(ConditionFailedError):
        kitchens.delete(
            "k1",
            1,
            condition_expression="#t = :t",
            expression_attribute_names={"#t": "text"},
            expression_attribute_values={":t": "drop"},
        )
    assert kitchens.get("k1", 1).text == "keep"

    kitchens.delete(
        "k1",
        1,
        condition_expression="#t = :t",
        expression_attribute_names={"#t": "text"},
        expression_attribute_values={":t": "keep"},
    )
    with pytest.raises(NotFoundError):
        kitchens.get("k1", 1)


def test_delete_with_expected_version_checks_the_stored_version(users: Table[User]) -> None:
    users.put(new_user(version=3))

    with pytest.raises(ConditionFailedError):
        users.delete("USER#1", "PROFILE", expected_version=2)
    users.delete("USER#1", "PROFILE", expected_version=3)

    with pytest.raises(NotFoundError):
        users.get("USER#1", "PROFILE")


def test_update_with_a_stale_version_is_condition_failed(users: Table[User]) -> None:
    users.put(new_user())
    users.update("USER#1", "PROFILE", {"nickname": "one"}, expected_version=0)

    with pytest.raises(ConditionFailedError) as info:
        users.update("USER#1", "PROFILE", {"nickname": "two"}, expected_version=0)

    error = info.value
    assert (error.code, error.operation, error.table) == (ERR_CONDITION_FAILED, "update", "users_contract")
    assert error.aws_code == "ConditionalCheckFailedException"
    assert isinstance(error.__cause__, ClientError)


def test_versioned_update_of_a_missing_item_is_condition_failed_not_an_upsert(
    users: Table[User], dynamorm_local: Server
) -> None:
    with pytest.raises(ConditionFailedError):
        users.update("USER#1", "PROFILE", {"nickname": "ghost"}, expected_version=0)

    assert raw_item(dynamorm_local, "users_contract", USER_KEY) is None


def test_update_with_a_caller_condition_and_version(users: Table[User]) -> None:
    users.put(new_user(nickname="bob"))
    condition: dict[str, Any] = {
        "condition_expression": "#n = :n",
        "expression_attribute_names": {"#n": "nickname"},
        "expression_attribute_values": {":n": "alice"},
    }

    with pytest.raises(ConditionFailedError):
        users.update("USER#1", "PROFILE", {"nickname": "carol"}, expected_version=0, **condition)
    condition["expression_attribute_values"] = {":n": "bob"}
    updated = users.update("USER#1", "PROFILE", {"nickname": "carol"}, expected_version=0, **condition)

    assert (updated.nickname, updated.version) == ("carol", 1)


# --- update_item ---------------------------------------------------------------------------------------


def test_update_item_writes_every_non_key_field_with_the_items_version(users: Table[User]) -> None:
    written = users.put(new_user(nickname="bob", tags={"a"}))

    updated = users.update_item(dataclasses.replace(written, nickname="", tags={"b", "c"}, email_hash="h2"))

    assert (updated.nickname, updated.tags, updated.email_hash, updated.version) == ("", {"b", "c"}, "h2", 1)
    assert updated.created_at == written.created_at
    assert users.get("USER#1", "PROFILE") == updated


def test_update_item_of_a_subset_leaves_other_fields_alone(users: Table[User]) -> None:
    written = users.put(new_user(nickname="bob", tags={"a"}))

    updated = users.update_item(dataclasses.replace(written, nickname="ann", tags={"zzz"}), ["nickname"])

    assert (updated.nickname, updated.tags, updated.version) == ("ann", {"a"}, 1)


def test_update_item_with_a_stale_item_version_is_condition_failed(users: Table[User]) -> None:
    written = users.put(new_user())
    users.update_item(dataclasses.replace(written, nickname="first"))

    with pytest.raises(ConditionFailedError):
        users.update_item(dataclasses.replace(written, nickname="second"))
    fresh = users.get("USER#1", "PROFILE")
    assert users.update_item(dataclasses.replace(fresh, nickname="third")).version == 2


# --- update builder ------------------------------------------------------------------------------------


def test_builder_set_remove_and_return_values(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", name="old", note="n"))

    result = (
        accounts.update_builder("a")
        .without_version_check()
        .set("name", "new")
        .remove("note")
        .return_values("ALL_NEW")
        .execute()
    )

    assert result is not None
    assert (result.name, result.note, result.version) == ("new", None, 1)
    assert result.updated_at is not None


def test_builder_without_return_values_returns_none(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a"))

    assert accounts.update_builder("a").without_version_check().set("name", "x").execute() is None
    assert accounts.get("a").name == "x"


def test_builder_updated_old_and_all_old_return_the_previous_values(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", name="old"))

    old = (
        accounts.update_builder("a")
        .without_version_check()
        .set("name", "mid")
        .return_values("ALL_OLD")
        .execute()
    )

    assert old is not None and old.name == "old"


def test_builder_set_if_not_exists_keeps_an_existing_value(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", name="kept"))
    # None is stored as NULL, and a NULL attribute exists: remove it so that "note" is really absent.
    accounts.update_builder("a").without_version_check().remove("note").execute()

    result = (
        accounts.update_builder("a")
        .without_version_check()
        .set_if_not_exists("name", None, "default")
        .set_if_not_exists("note", None, "filled")
        .return_values("ALL_NEW")
        .execute()
    )

    assert result is not None
    assert (result.name, result.note) == ("kept", "filled")


def test_builder_numeric_add_increment_and_decrement(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", balance=10))

    accounts.update_builder("a").without_version_check().add("balance", 5).execute()
    accounts.update_builder("a").without_version_check().increment("balance").execute()
    accounts.update_builder("a").without_version_check().decrement("balance").execute()
    accounts.update_builder("a").without_version_check().decrement("balance").execute()

    assert accounts.get("a").balance == 14


def test_builder_add_and_delete_on_a_set(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", tags={"x"}))

    accounts.update_builder("a").without_version_check().add("tags", ["y", "z"]).execute()
    accounts.update_builder("a").without_version_check().delete("tags", "x").execute()

    assert accounts.get("a").tags == {"y", "z"}


def test_builder_list_operations(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", history=["b"]))

    accounts.update_builder("a").without_version_check().append_to_list("history", ["c", "d"]).execute()
    accounts.update_builder("a").without_version_check().prepend_to_list("history", ["a"]).execute()
    accounts.update_builder("a").without_version_check().set_list_element("history", 1, "B").execute()
    accounts.update_builder("a").without_version_check().remove_from_list_at("history", 3).execute()

    assert accounts.get("a").history == ["a", "B", "c"]


def test_builder_conditions_guard_the_update(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", balance=5, name="n"))
    accounts.update_builder("a").without_version_check().remove("note").execute()

    with pytest.raises(ConditionFailedError) as info:
        accounts.update_builder("a").without_version_check().add("balance", -10).condition(
            "balance", ">=", 10
        ).execute()
    accounts.update_builder("a").without_version_check().add("balance", -1).condition(
        "balance", ">=", 10
    ).or_condition("name", "=", "n").execute()
    accounts.update_builder("a").without_version_check().set("note", "x").condition_exists(
        "name"
    ).condition_not_exists("note").execute()
    accounts.update_builder("a").without_version_check().increment("balance").condition(
        "balance", "BETWEEN", [0, 5]
    ).condition("name", "IN", ["m", "n"]).condition("name", "begins_with", "n").execute()

    assert (info.value.code, info.value.operation) == (ERR_CONDITION_FAILED, "update_builder")
    account = accounts.get("a")
    assert (account.balance, account.note) == (5, "x")


def test_builder_condition_version_is_the_full_lock_on_a_versioned_model(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a", version=2))

    with pytest.raises(ConditionFailedError):
        accounts.update_builder("a").set("name", "x").condition_version(1).execute()
    accounts.update_builder("a").set("name", "y").condition_version(2).execute()

    account = accounts.get("a")
    assert (account.name, account.version) == ("y", 3)


def test_builder_expect_version_locks_and_increments(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a"))

    result = (
        accounts.update_builder("a").set("name", "x").expect_version(0).return_values("ALL_NEW").execute()
    )
    with pytest.raises(ConditionFailedError):
        accounts.update_builder("a").set("name", "y").expect_version(0).execute()

    assert result is not None
    assert (result.name, result.version) == ("x", 1)
    assert accounts.get("a").name == "x"


def test_builder_appends_updated_at(accounts: Table[Account]) -> None:
    before = accounts.put(Account(id="a"))
    time.sleep(0.002)

    after = (
        accounts.update_builder("a")
        .without_version_check()
        .set("name", "x")
        .return_values("ALL_NEW")
        .execute()
    )

    assert after is not None and before.updated_at is not None and after.updated_at is not None
    assert after.updated_at > before.updated_at


# --- lifecycle and the contract scenarios of WF §7.5 ---------------------------------------------------


def test_lifecycle_timestamps_are_stored_as_utc_with_nine_fractional_digits(
    dynamorm_local: Server,
) -> None:
    clock = datetime(2026, 1, 2, 5, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    table = dynamorm_local.table(USERS, now=lambda: clock)

    table.put(new_user())
    item = raw_item(dynamorm_local, "users_contract", USER_KEY)

    assert item is not None
    assert item["createdAt"] == {"S": "2026-01-02T03:04:05.123456000Z"}
    assert item["updatedAt"] == item["createdAt"]
    assert TIMESTAMP.match(item["createdAt"]["S"])


def test_contract_1_conditional_create_lifecycle_update_and_delete(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user(), if_not_exists=True)
    with pytest.raises(ConditionFailedError) as info:
        users.put(new_user(), if_not_exists=True)
    assert info.value.code == ERR_CONDITION_FAILED

    item = raw_item(dynamorm_local, "users_contract", USER_KEY)
    assert item is not None
    assert TIMESTAMP.match(item["createdAt"]["S"])
    assert TIMESTAMP.match(item["updatedAt"]["S"])
    assert item["version"] == {"N": "0"}
    stored = users.get("USER#1", "PROFILE")
    assert stored.created_at is not None and stored.updated_at is not None and stored.version == 0

    users.update("USER#1", "PROFILE", {"nickname": "neo"}, expected_version=0)
    assert users.get("USER#1", "PROFILE").version == 1

    users.delete("USER#1", "PROFILE")
    with pytest.raises(NotFoundError) as missing:
        users.get("USER#1", "PROFILE")
    assert missing.value.code == ERR_ITEM_NOT_FOUND


def test_contract_2_empty_omit_empty_fields_are_not_stored(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user(nickname="", tags=set(), ttl=0))
    users.put(new_user(sk="LIST", nickname="", tags=[], ttl=0))

    for sk in ("PROFILE", "LIST"):
        item = raw_item(dynamorm_local, "users_contract", {"PK": {"S": "USER#1"}, "SK": {"S": sk}})
        assert item is not None
        assert not {"nickname", "tags", "ttl"} & item.keys()
        assert {"createdAt", "updatedAt", "version"} <= item.keys()


def test_contract_3_update_keeps_created_at_and_moves_updated_at(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user())
    before = raw_item(dynamorm_local, "users_contract", USER_KEY)
    time.sleep(0.025)

    users.update("USER#1", "PROFILE", {"nickname": "later"}, expected_version=0)

    after = raw_item(dynamorm_local, "users_contract", USER_KEY)
    assert before is not None and after is not None
    assert after["createdAt"] == before["createdAt"]
    assert after["updatedAt"] != before["updatedAt"]
    assert after["updatedAt"]["S"] > before["updatedAt"]["S"]
    assert after["version"] == {"N": "1"}


def test_contract_4_second_update_with_the_same_expected_version_fails(users: Table[User]) -> None:
    users.put(new_user())

    users.update("USER#1", "PROFILE", {"nickname": "first"}, expected_version=0)
    with pytest.raises(ConditionFailedError) as info:
        users.update("USER#1", "PROFILE", {"nickname": "second"}, expected_version=0)

    assert info.value.code == ERR_CONDITION_FAILED
    stored = users.get("USER#1", "PROFILE")
    assert (stored.nickname, stored.version) == ("first", 1)


def test_contract_5_ttl_is_stored_as_a_number_and_reads_back(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user(ttl=1700000000))

    item = raw_item(dynamorm_local, "users_contract", USER_KEY)

    assert item is not None
    assert item["ttl"] == {"N": "1700000000"}
    assert users.get("USER#1", "PROFILE").ttl == 1700000000


def test_gsi_key_attribute_is_written_under_its_camel_case_name(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user(email_hash="abc"))

    response = dynamorm_local.client().query(
        TableName="users_contract",
        IndexName="gsi-email",
        KeyConditionExpression="#e = :e",
        ExpressionAttributeNames={"#e": "emailHash"},
        ExpressionAttributeValues={":e": {"S": "abc"}},
    )

    assert [item["PK"] for item in response["Items"]] == [{"S": "USER#1"}]


def test_a_missing_index_key_is_left_out_so_the_item_stays_out_of_the_index(
    users: Table[User], dynamorm_local: Server
) -> None:
    users.put(new_user(email_hash=None))
    users.put(new_user(sk="OTHER", email_hash=""))
    assert (
        raw_item(dynamorm_local, "users_contract", {"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}})
        is not None
    )
    stored = raw_item(dynamorm_local, "users_contract", {"PK": {"S": "USER#1"}, "SK": {"S": "OTHER"}})
    assert stored is not None and "emailHash" not in stored
    assert users.get("USER#1", "PROFILE").email_hash is None


def test_updating_an_index_key_to_empty_removes_it(users: Table[User], dynamorm_local: Server) -> None:
    written = users.put(new_user(email_hash="abc"))
    users.update("USER#1", "PROFILE", {"email_hash": ""}, expected_version=written.version)
    stored = raw_item(dynamorm_local, "users_contract", {"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}})
    assert stored is not None and "emailHash" not in stored


# --- writes that cannot fail after writing, projected instances, conveniences ---------------------------


@dataclass
class Member:
    """``name`` has no default, so an item created from a key and ``bio`` alone could not be read."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    score: int = 0


@dataclass(frozen=True)
class FrozenMember:
    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    score: int = 0


@dataclass(slots=True)
class SlotsMember:
    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    score: int = 0


@dataclass(slots=True, weakref_slot=True)
class WeakSlotsMember:
    id: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field()
    bio: str = ""
    score: int = 0


def member_model(model_type: type[Any]) -> ModelDefinition[Any]:
    return ModelDefinition.from_dataclass(
        model_type,
        table_name=f"members_{model_type.__name__.lower()}",
        indexes=[gsi("gsi-name", partition="name", projection=Projection.keys_only())],
    )


MEMBERS = member_model(Member)
MEMBER_TYPES = [Member, FrozenMember, SlotsMember, WeakSlotsMember]


@pytest.fixture
def members(dynamorm_local: Server) -> Table[Member]:
    return dynamorm_local.table(MEMBERS)


def test_a_guarded_update_writes_nothing_on_a_missing_item_and_tells_it_from_a_false_condition(
    members: Table[Member], dynamorm_local: Server
) -> None:
    condition: dict[str, Any] = {
        "condition_expression": "#b = :b",
        "expression_attribute_names": {"#b": "bio"},
        "expression_attribute_values": {":b": "not-the-bio"},
    }
    with pytest.raises(NotFoundError) as info:
        members.update("m1", None, {"bio": "hello"}, **condition)
    assert (info.value.code, info.value.operation) == (ERR_ITEM_NOT_FOUND, "update")
    assert raw_item(dynamorm_local, "members_member", {"id": {"S": "m1"}}) is None

    members.put(Member(id="m1", name="Ann", bio="old"))
    with pytest.raises(ConditionFailedError):
        members.update("m1", None, {"bio": "new"}, **condition)
    updated = members.update_item(Member(id="m1", name="ignored", bio="new"), fields=["bio"])

    assert updated == Member(id="m1", name="Ann", bio="new")


def test_a_builder_update_of_a_missing_item_writes_nothing_unless_it_may_upsert(
    members: Table[Member], dynamorm_local: Server
) -> None:
    with pytest.raises(NotFoundError) as info:
        members.update_builder("m1").set("bio", "hello").execute()
    assert (info.value.code, info.value.operation) == (ERR_ITEM_NOT_FOUND, "update_builder")
    assert raw_item(dynamorm_local, "members_member", {"id": {"S": "m1"}}) is None

    assert members.update_builder("m1").set("bio", "hello").upsert().execute() is None
    assert raw_item(dynamorm_local, "members_member", {"id": {"S": "m1"}}) == {
        "id": {"S": "m1"},
        "bio": {"S": "hello"},
    }


def test_a_builder_returning_updated_attributes_returns_a_partial_instance_or_refuses_before_writing(
    members: Table[Member], dynamorm_local: Server
) -> None:
    members.put(Member(id="m1", name="Ann", bio="old", score=3))
    with pytest.raises(ValidationError) as info:
        members.update_builder("m1").set("bio", "new").return_values("UPDATED_NEW").execute()
    assert info.value.code == ERR_INVALID_OPERATOR
    assert members.get("m1").bio == "old"  # refused before anything was written

    returned = members.update_builder("m1").set("name", "Bo").return_values("UPDATED_OLD").execute()
    assert returned == Member(id="m1", name="Ann")  # the old value of what changed, defaults elsewhere
    with pytest.raises(ValidationError) as partial:
        members.put(returned)  # writing it back whole would wipe bio and score
    assert partial.value.code == ERR_PARTIAL_ITEM
    assert members.get("m1") == Member(id="m1", name="Bo", bio="old", score=3)


def test_a_guarded_transaction_update_of_a_missing_item_cancels_and_writes_nothing(
    members: Table[Member], dynamorm_local: Server
) -> None:
    with pytest.raises(ConditionFailedError) as info:
        members.transact_write([TransactUpdate("m1", None, {"bio": "x"})])

    assert [reason.code for reason in info.value.reasons] == ["ConditionalCheckFailed"]
    assert raw_item(dynamorm_local, "members_member", {"id": {"S": "m1"}}) is None


@pytest.mark.parametrize("model_type", MEMBER_TYPES, ids=lambda t: t.__name__)
def test_an_instance_read_through_a_projection_cannot_be_written_back_whole(
    model_type: type[Any], dynamorm_local: Server
) -> None:
    table = dynamorm_local.table(member_model(model_type))
    table.put(model_type(id="m1", name="Ann", bio="keep me", score=7))
    partial = table.query("m1", projection=["id", "name"]).items[0]
    assert partial == model_type(id="m1", name="Ann")

    whole_writes: list[Callable[[], object]] = [
        lambda: table.put(partial),
        lambda: table.update_item(partial),
        lambda: table.transact_write([TransactPut(partial)]),
    ]
    for write in whole_writes:
        with pytest.raises(ValidationError) as info:
            write()
        assert info.value.code == ERR_PARTIAL_ITEM
    with pytest.raises(BatchInterruptedError) as batch:  # a batch reports a bad item with its leftovers
        table.batch_write(puts=[partial])
    assert isinstance(batch.value.__cause__, ValidationError)
    assert (batch.value.__cause__.code, batch.value.unprocessed_puts) == (ERR_PARTIAL_ITEM, (partial,))

    kept = model_type(id="m1", name="Ann", bio="keep me", score=7)
    assert table.update_item(partial, fields=["name"]) == kept
    table.put(dataclasses.replace(partial, bio="rewritten"))  # a replace is a new, whole instance
    assert table.get("m1") == model_type(id="m1", name="Ann", bio="rewritten")


def test_scan_batch_get_and_keys_only_index_reads_are_marked_and_full_reads_are_not(
    members: Table[Member],
) -> None:
    members.put(Member(id="m1", name="Ann", bio="keep me"))

    projected = [
        members.scan(projection=["id", "name"]).items[0],
        members.batch_get(["m1"], projection=["name"])[0],
        members.query("Ann", index_name="gsi-name").items[0],
    ]
    full = [members.get("m1"), members.scan().items[0], members.batch_get(["m1"])[0]]

    for instance in projected:
        with pytest.raises(ValidationError) as info:
            members.put(instance)
        assert info.value.code == ERR_PARTIAL_ITEM
    for instance in full:
        members.put(instance)
    assert members.get("m1").bio == "keep me"


def test_get_default_exists_delete_item_and_tuple_keys(kitchens: Table[Kitchen], users: Table[User]) -> None:
    assert kitchens.get("k1", 1, default=None) is None
    assert kitchens.exists(("k1", 1)) is False
    kitchen = kitchens.put(Kitchen(id="k1", sort=1, text="t"))
    assert kitchens.exists("k1", 1) is True
    assert kitchens.get(("k1", 1)) == kitchen
    kitchens.delete(("k1", 1))
    assert kitchens.exists("k1", 1) is False

    written = users.put(new_user())
    stale = dataclasses.replace(written, version=written.version + 5)
    with pytest.raises(ConditionFailedError):
        users.delete_item(stale)
    users.delete_item(written)
    assert users.get("USER#1", "PROFILE", default="gone") == "gone"


# --- update builder: version lock and sets stored as NULL ---------------------------------------------


@dataclass
class Bag:
    """Unversioned, two set fields; an empty set is stored as NULL (WF §5.2)."""

    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    tags: set[str] = field(default_factory=set)
    codes: set[int] = field(default_factory=set)


BAGS = ModelDefinition.from_dataclass(Bag, table_name="bags")
BAG_KEY = {"id": {"S": "a"}}


@pytest.fixture
def bags(dynamorm_local: Server) -> Table[Bag]:
    return dynamorm_local.table(BAGS)


def stored_bag(server: Server) -> dict[str, Any]:
    item = raw_item(server, "bags", BAG_KEY)
    assert item is not None
    return item


def test_builder_add_to_a_set_stored_as_null(bags: Table[Bag], dynamorm_local: Server) -> None:
    bags.put(Bag(id="a"))
    assert stored_bag(dynamorm_local)["tags"] == {"NULL": True}

    result = (
        bags.update_builder("a").set("name", "n").add("tags", {"x", "y"}).return_values("ALL_NEW").execute()
    )

    assert result == Bag(id="a", name="n", tags={"x", "y"})
    assert sorted(stored_bag(dynamorm_local)["tags"]["SS"]) == ["x", "y"]


def test_builder_delete_from_a_set_stored_as_null_keeps_the_other_actions(
    bags: Table[Bag], dynamorm_local: Server
) -> None:
    bags.put(Bag(id="a"))

    result = bags.update_builder("a").delete("tags", "x").set("name", "n").return_values("ALL_NEW").execute()

    assert result == Bag(id="a", name="n")
    assert stored_bag(dynamorm_local)["tags"] == {"NULL": True}


def test_builder_delete_alone_from_a_set_stored_as_null_is_a_no_op(
    bags: Table[Bag], dynamorm_local: Server
) -> None:
    bags.put(Bag(id="a", name="n"))

    assert bags.update_builder("a").delete("tags", "x").execute() is None

    assert bags.get("a") == Bag(id="a", name="n")


def put_bags_with_absent_null_and_stored_tags(bags: Table[Bag], server: Server) -> None:
    """``absent`` has no tags attribute, ``null`` stores NULL, ``stored`` stores SS ["x", "y"]."""
    server.client().put_item(TableName="bags", Item={"id": {"S": "absent"}})
    bags.put(Bag(id="null"))
    bags.put(Bag(id="stored", tags={"x", "y"}))


def test_builder_add_works_whether_the_set_is_absent_null_or_stored(
    bags: Table[Bag], dynamorm_local: Server
) -> None:
    put_bags_with_absent_null_and_stored_tags(bags, dynamorm_local)

    for key in ("absent", "null", "stored", "missing"):
        bags.update_builder(key).add("tags", "z").execute()

    assert [bags.get(key).tags for key in ("absent", "null", "stored", "missing")] == [
        {"z"},
        {"z"},
        {"x", "y", "z"},
        {"z"},
    ]


def test_builder_delete_works_whether_the_set_is_absent_null_or_stored_and_may_empty_it(
    bags: Table[Bag], dynamorm_local: Server
) -> None:
    put_bags_with_absent_null_and_stored_tags(bags, dynamorm_local)

    for key in ("absent", "null", "stored"):
        bags.update_builder(key).delete("tags", {"x", "y"}).execute()

    assert [bags.get(key).tags for key in ("absent", "null", "stored")] == [set(), set(), set()]
    # DynamoDB removes a set emptied by DELETE; it reads back as an empty set.
    emptied = raw_item(dynamorm_local, "bags", {"id": {"S": "stored"}})
    assert emptied is not None and "tags" not in emptied


def test_builder_set_actions_on_a_null_and_a_stored_set_in_one_update(bags: Table[Bag]) -> None:
    bags.put(Bag(id="a", codes={1, 2}))

    bags.update_builder("a").add("tags", "x").delete("codes", 1).execute()

    assert bags.get("a") == Bag(id="a", tags={"x"}, codes={2})


def test_builder_caller_condition_still_guards_an_add_to_a_null_set(
    bags: Table[Bag], dynamorm_local: Server
) -> None:
    bags.put(Bag(id="a", name="n"))

    with pytest.raises(ConditionFailedError) as info:
        bags.update_builder("a").add("tags", "x").condition("name", "=", "other").execute()
    bags.update_builder("a").add("tags", "y").condition("name", "=", "n").execute()

    assert (info.value.code, info.value.operation) == (ERR_CONDITION_FAILED, "update_builder")
    assert bags.get("a").tags == {"y"}


def test_builder_add_to_a_null_set_of_a_versioned_model_keeps_the_lock(accounts: Table[Account]) -> None:
    accounts.put(Account(id="a"))

    result = (
        accounts.update_builder("a").add("tags", "x").expect_version(0).return_values("ALL_NEW").execute()
    )
    with pytest.raises(ConditionFailedError):
        accounts.update_builder("a").add("tags", "y").expect_version(0).execute()

    assert result is not None and (result.tags, result.version) == ({"x"}, 1)
    stored = accounts.get("a")
    assert (stored.tags, stored.version) == ({"x"}, 1)


def test_builder_increment_before_an_add_to_a_null_set_applies_once(accounts: Table[Account]) -> None:
    # The first request fails on the NULL set after the increment in its ADD clause: nothing of it may stay.
    accounts.put(Account(id="a", balance=10))

    accounts.update_builder("a").increment("balance").add("tags", "x").expect_version(0).execute()

    stored = accounts.get("a")
    assert (stored.balance, stored.tags, stored.version) == (11, {"x"}, 1)


def test_builder_on_a_versioned_model_needs_a_version_choice_and_always_increments(
    accounts: Table[Account],
) -> None:
    accounts.put(Account(id="a", version=5))

    with pytest.raises(ValidationError) as info:
        accounts.update_builder("a").set("name", "x").execute()
    accounts.update_builder("a").set("name", "y").without_version_check().execute()

    assert (info.value.code, info.value.field) == (ERR_INVALID_MODEL, "version")
    account = accounts.get("a")
    assert (account.name, account.version) == ("y", 6)
