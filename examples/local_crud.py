"""Quickstart: put, get, update and delete typed items.

Runs against ``DYNAMODB_ENDPOINT`` when it is set (``dynamorm local --port 8000`` prints one), otherwise
starts the embedded local DynamoDB for the length of the script.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import boto3

from dynamorm_py import (
    ConditionFailedError,
    ModelDefinition,
    NotFoundError,
    Table,
    dynamorm_field,
    ensure_table,
)


@dataclass
class User:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    email: str | None = None
    nickname: str = dynamorm_field(default="", omitempty=True)
    tags: set[str] = dynamorm_field(default_factory=set, omitempty=True)
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(name="updatedAt", roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


USERS = ModelDefinition.from_dataclass(User, table_name="quickstart_users")


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    """The endpoint to use: DYNAMODB_ENDPOINT, or an embedded server started for this script."""
    configured = os.environ.get("DYNAMODB_ENDPOINT")
    if configured:
        yield configured
        return
    from dynamorm_py.local import LocalDynamoDB

    with LocalDynamoDB() as local:
        print(f"started the embedded local DynamoDB at {local.endpoint_url}")
        yield local.endpoint_url


def main() -> None:
    with endpoint() as url:
        client = boto3.client(
            "dynamodb",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        ensure_table(USERS, client=client)
        users = Table(USERS, client=client)

        saved = users.put(User(pk="USER#1", sk="PROFILE", email="ada@example.com", tags={"admin"}))
        print(f"put      -> version {saved.version}, created {saved.created_at:%Y-%m-%d %H:%M:%S}")

        loaded = users.get("USER#1", "PROFILE")
        print(f"get      -> {loaded.email} tags={sorted(loaded.tags)}")

        updated = users.update("USER#1", "PROFILE", {"nickname": "ada"}, expected_version=loaded.version)
        print(f"update   -> nickname={updated.nickname!r} version {updated.version}")

        try:
            users.update("USER#1", "PROFILE", {"nickname": "stale"}, expected_version=loaded.version)
        except ConditionFailedError as err:
            print(f"stale    -> {type(err).__name__} ({err.code}): no lost update")

        users.delete("USER#1", "PROFILE", expected_version=updated.version)
        try:
            users.get("USER#1", "PROFILE")
        except NotFoundError as err:
            print(f"delete   -> get raises {type(err).__name__} ({err.code})")


if __name__ == "__main__":
    main()
