"""Tests of accounts.py, one style per section; copy whichever fits.

- ``dynamorm_memory``: a fresh in-memory DynamoDB per test. No server, fast: use it for behaviour.
- ``dynamorm_local``: the embedded DynamoDB-compatible server over real HTTP (or ``DYNAMODB_ENDPOINT``):
  use it for integration tests; set the variable to run the same tests against DynamoDB Local or AWS.
- ``dynamorm_py.testkit`` fakes: strict scripted clients, to pin the exact requests your code sends and to
  make DynamoDB answer what is hard to provoke (a concurrent write, throttling).
"""

from __future__ import annotations

from typing import Any

import pytest
from accounts import ACCOUNTS, Account, BusyAccountError, add_credit, register
from botocore.exceptions import ClientError

from dynamorm_py import NotFoundError, Table
from dynamorm_py.testkit import ANY, FakeDynamoDBClient

# --- in memory ------------------------------------------------------------------------------------------


def test_register_opens_an_account(dynamorm_memory: Any) -> None:
    accounts = dynamorm_memory.table(ACCOUNTS)  # the table is created for this test only

    assert register(accounts, "u1", "ada@example.com")

    assert accounts.get("u1") == Account(user_id="u1", email="ada@example.com", balance=0, version=0)


def test_register_refuses_a_taken_id_and_keeps_the_first_account(dynamorm_memory: Any) -> None:
    accounts = dynamorm_memory.table(ACCOUNTS)
    register(accounts, "u1", "ada@example.com")

    assert not register(accounts, "u1", "eve@example.com")

    assert accounts.get("u1").email == "ada@example.com"


def test_add_credit_adds_to_the_balance(dynamorm_memory: Any) -> None:
    accounts = dynamorm_memory.table(ACCOUNTS)
    register(accounts, "u1", "ada@example.com")

    add_credit(accounts, "u1", 5)

    assert add_credit(accounts, "u1", 7) == 12
    assert accounts.get("u1").version == 2


def test_add_credit_to_a_missing_account_raises_not_found(dynamorm_memory: Any) -> None:
    accounts = dynamorm_memory.table(ACCOUNTS)

    with pytest.raises(NotFoundError):
        add_credit(accounts, "nobody", 5)


# --- against the embedded server -------------------------------------------------------------------------


def test_credits_survive_a_round_trip_through_the_server(dynamorm_local: Any) -> None:
    accounts = dynamorm_local.table(ACCOUNTS)  # created on the server, which starts empty for each test
    register(accounts, "u1", "ada@example.com")

    for amount in (1, 2, 3):
        add_credit(accounts, "u1", amount)

    stored = dynamorm_local.client("dynamodb").get_item(TableName="accounts", Key={"user_id": {"S": "u1"}})
    assert stored["Item"]["balance"] == {"N": "6"}
    assert stored["Item"]["version"] == {"N": "3"}


# --- scripted fakes --------------------------------------------------------------------------------------


def stored_account(balance: int, version: int) -> dict[str, Any]:
    """An account item as DynamoDB returns it."""
    return {
        "user_id": {"S": "u1"},
        "email": {"S": "ada@example.com"},
        "balance": {"N": str(balance)},
        "version": {"N": str(version)},
    }


def conflict() -> ClientError:
    """What DynamoDB answers when the version condition fails."""
    return ClientError(
        {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}},
        "UpdateItem",
    )


def test_add_credit_reads_again_after_a_concurrent_write() -> None:
    read = {"TableName": "accounts", "Key": {"user_id": {"S": "u1"}}, "ConsistentRead": True}
    client = FakeDynamoDBClient()
    client.expect("get_item", read, response={"Item": stored_account(balance=10, version=3)})
    client.expect(
        "update_item",
        {
            "ConditionExpression": ANY,  # some condition is sent: the version check
            "ExpressionAttributeValues": {":d_balance": {"N": "15"}, ":lc_expected": {"N": "3"}},
        },
        error=conflict(),  # someone else wrote version 4 in between
    )
    client.expect("get_item", read, response={"Item": stored_account(balance=20, version=4)})
    client.expect(
        "update_item",
        {
            "ConditionExpression": ANY,  # some condition is sent: the version check
            "ExpressionAttributeValues": {":d_balance": {"N": "25"}, ":lc_expected": {"N": "4"}},
        },
        response={"Attributes": stored_account(balance=25, version=5)},
    )

    assert add_credit(Table(ACCOUNTS, client=client), "u1", 5) == 25
    client.assert_no_pending()


def test_add_credit_gives_up_when_the_account_keeps_changing() -> None:
    client = FakeDynamoDBClient()
    for version in range(3):
        client.expect("get_item", response={"Item": stored_account(balance=0, version=version)})
        client.expect("update_item", error=conflict())

    with pytest.raises(BusyAccountError):
        add_credit(Table(ACCOUNTS, client=client), "u1", 5)
    client.assert_no_pending()
