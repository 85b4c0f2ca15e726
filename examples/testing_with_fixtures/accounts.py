"""A tiny service: user accounts with a credit balance. The tests in this folder show three ways to test it.

The functions take the ``Table`` they work on, so tests can hand them one backed by the in-memory DynamoDB,
the embedded server or a scripted fake, while production passes ``Table(ACCOUNTS)`` (boto3's default client).
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamorm_py import ConditionFailedError, ModelDefinition, Table, dynamorm_field


@dataclass
class Account:
    user_id: str = dynamorm_field(roles=["pk"])
    email: str = ""
    balance: int = 0
    version: int = dynamorm_field(roles=["version"], default=0)


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name="accounts")

MAX_ATTEMPTS = 3


class BusyAccountError(Exception):
    """Other writers kept changing the account; the caller may try again later."""


def register(accounts: Table[Account], user_id: str, email: str) -> bool:
    """Open an account; False when the user id is already taken (the existing account is left alone)."""
    try:
        accounts.put(Account(user_id=user_id, email=email), if_not_exists=True)
    except ConditionFailedError:
        return False
    return True


def add_credit(accounts: Table[Account], user_id: str, amount: int) -> int:
    """Add ``amount`` to the balance and return the new balance.

    Read, then write with the version read: a concurrent writer makes the write fail instead of being
    overwritten, and the loop reads again. ``NotFoundError`` when there is no such account.
    """
    for _ in range(MAX_ATTEMPTS):
        account = accounts.get(user_id, consistent_read=True)
        try:
            updated = accounts.update(
                user_id, None, {"balance": account.balance + amount}, expected_version=account.version
            )
        except ConditionFailedError:
            continue
        return updated.balance
    raise BusyAccountError(f"account kept changing after {MAX_ATTEMPTS} attempts")
