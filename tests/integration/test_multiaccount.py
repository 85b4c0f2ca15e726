"""Partner-account sessions against the embedded server's STS (moto serves STS on the DynamoDB endpoint).

The partner session must really be the assumed role (STS GetCallerIdentity says so), work against the
endpoint, and be renewed, with fresh credentials, once the injected clock reaches the refresh window of the
expiry STS reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from dynamorm_py.local import DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY, LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.multiaccount import AccountConfig, MultiAccountSessions
from dynamorm_py.schema import ensure_table
from dynamorm_py.table import Table

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB
ROLE = "arn:aws:iam::111122223333:role/partner-access"


@dataclass
class Note:
    id: str = dynamorm_field(roles=["pk"])
    body: str = ""


NOTES = ModelDefinition.from_dataclass(Note, table_name="partner_notes")


def sts_client(server: Server) -> Any:
    if not isinstance(server, LocalDynamoDB):
        pytest.skip("needs the embedded server's STS; DYNAMODB_ENDPOINT serves DynamoDB only")
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
    )


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_partner_session_is_the_assumed_role_and_reaches_the_endpoint(dynamorm_local: Server) -> None:
    account = AccountConfig(ROLE, external_id="ext-42", region="us-east-1", session_duration_seconds=900)
    multi = MultiAccountSessions({"acme": account}, sts_client=sts_client(dynamorm_local), now=time.time)

    session = multi.session("acme")
    identity = session.client("sts", endpoint_url=dynamorm_local.endpoint_url).get_caller_identity()

    assert identity["Arn"] == "arn:aws:sts::111122223333:assumed-role/partner-access/dynamorm-acme"
    assert session.get_credentials().access_key.startswith("ASIA")
    dynamodb = session.client("dynamodb", endpoint_url=dynamorm_local.endpoint_url)
    # The partner's own account: a table created there is not in the account of the server's clients.
    ensure_table(NOTES, client=dynamodb)
    table = Table(NOTES, client=dynamodb)
    table.put(Note("n1", "from a partner session"))
    assert table.get("n1").body == "from a partner session"
    assert "partner_notes" not in dynamorm_local.client("dynamodb").list_tables()["TableNames"]


def test_partner_credentials_are_renewed_in_the_refresh_window(dynamorm_local: Server) -> None:
    clock = Clock(time.time())
    account = AccountConfig(
        ROLE, region="us-east-1", session_duration_seconds=900, refresh_before_seconds=300
    )
    multi = MultiAccountSessions({"acme": account}, sts_client=sts_client(dynamorm_local), now=clock)

    client = multi.client("acme", "dynamodb")
    first_key = multi.session("acme").get_credentials().access_key
    assert multi.client("acme", "dynamodb") is client

    # STS said: valid for 900 s from the request, which it received within a minute of the clock's start.
    clock.now += 900 - 300 + 60
    renewed = multi.session("acme")

    assert renewed.get_credentials().access_key != first_key
    assert multi.client("acme", "dynamodb") is not client
