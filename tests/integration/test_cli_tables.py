"""The installed ``dynamorm`` console script against the embedded server: table admin and ``local --dms``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB
FIXTURES = Path(__file__).parent.parent / "fixtures" / "dms"
SCRIPT = Path(sys.executable).parent / "dynamorm"
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def dynamorm(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "dynamorm_py"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=ENV, timeout=120)


def table_args(server: Server, fixture: str, model: str, *extra: str) -> list[str]:
    return ["--dms", str(FIXTURES / fixture), "--model", model, "--endpoint-url", server.endpoint_url, *extra]


def test_create_describe_and_delete_a_fixture_table(dynamorm_local: Server) -> None:
    created = dynamorm("table", "create", *table_args(dynamorm_local, "order.yml", "Order", "--enable-ttl"))
    assert (created.returncode, created.stdout, created.stderr) == (0, "table orders_contract: ready\n", "")

    described = dynamorm("table", "describe", *table_args(dynamorm_local, "order.yml", "Order"))
    assert described.returncode == 0
    table = json.loads(described.stdout)
    assert table["TableName"] == "orders_contract"
    assert table["TableStatus"] == "ACTIVE"
    assert isinstance(table["CreationDateTime"], str)  # datetimes as ISO 8601
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "gsi-status"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["status", "createdAt"]
    ttl = dynamorm_local.client().describe_time_to_live(TableName="orders_contract")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ttl"

    deleted = dynamorm("table", "delete", *table_args(dynamorm_local, "order.yml", "Order"))
    assert (deleted.returncode, deleted.stdout) == (0, "table orders_contract: deleted\n")
    assert dynamorm_local.client().list_tables()["TableNames"] == []


def test_ensure_is_idempotent_and_takes_a_table_name_and_stream(dynamorm_local: Server) -> None:
    args = table_args(dynamorm_local, "user.yml", "User", "--table-name", "users_ci")
    for _ in range(2):
        done = dynamorm("table", "ensure", *args, "--stream-view-type", "NEW_IMAGE")
        assert (done.returncode, done.stdout) == (0, "table users_ci: ready\n")

    table = dynamorm_local.client().describe_table(TableName="users_ci")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def test_provisioned_capacity_is_passed_on(dynamorm_local: Server) -> None:
    args = table_args(dynamorm_local, "user.yml", "User", "--read-capacity", "2", "--write-capacity", "3")

    assert dynamorm("table", "create", *args).returncode == 0

    table = dynamorm_local.client().describe_table(TableName="users_contract")["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


def test_operation_errors_exit_one_with_their_code_and_no_traceback(dynamorm_local: Server) -> None:
    missing = dynamorm("table", "describe", *table_args(dynamorm_local, "user.yml", "User"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ErrTableNotFound: ")
    assert "Traceback" not in missing.stderr

    gone = dynamorm("table", "delete", *table_args(dynamorm_local, "user.yml", "User"))
    assert gone.returncode == 1 and gone.stderr.startswith("error: ErrTableNotFound: ")
    ignored = dynamorm("table", "delete", *table_args(dynamorm_local, "user.yml", "User", "--ignore-missing"))
    assert ignored.returncode == 0


def test_an_invalid_schema_exits_one_naming_file_model_and_attribute(
    dynamorm_local: Server, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yml"
    text = (FIXTURES / "user.yml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace('attribute: "emailHash"\n        type: "S"', 'attribute: "emailHash"\n        type: "X"')
    )

    done = dynamorm(
        "table", "create", "--dms", str(bad), "--model", "User", "--endpoint-url", dynamorm_local.endpoint_url
    )

    assert done.returncode == 1
    assert done.stderr.startswith(f"error: ErrInvalidModel: {bad}: User.emailHash: type must be one of")
    assert "Traceback" not in done.stderr
    assert dynamorm_local.client().list_tables()["TableNames"] == []


def test_an_unreachable_endpoint_is_a_transport_error() -> None:
    done = dynamorm(
        "table",
        "describe",
        "--dms",
        str(FIXTURES / "user.yml"),
        "--model",
        "User",
        "--endpoint-url",
        "http://127.0.0.1:9",
    )

    assert done.returncode == 1
    assert done.stderr.startswith("error: ErrTransport: ")


def test_dms_validate_runs_as_a_console_script() -> None:
    done = dynamorm("dms", "validate", str(FIXTURES / "user.yml"), str(FIXTURES / "order.yml"))

    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"{FIXTURES / 'user.yml'}: ok (1 model)",
        f"{FIXTURES / 'order.yml'}: ok (1 model)",
    ]


def test_local_with_dms_creates_every_table_before_printing_the_endpoint(dynamorm_local: Server) -> None:
    if not isinstance(dynamorm_local, LocalDynamoDB):
        pytest.skip("runs its own embedded server")
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "dynamorm_py"]
    process = subprocess.Popen(
        [*command, "local", "--port", "0", "--dms", str(FIXTURES / "user.yml"), str(FIXTURES / "order.yml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("DYNAMODB_ENDPOINT=http://127.0.0.1:")
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=first.strip().split("=", 1)[1],
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        assert sorted(client.list_tables()["TableNames"]) == ["orders_contract", "users_contract"]
        ttl = client.describe_time_to_live(TableName="users_contract")["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "ttl"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "table users_contract: ready" in err


def test_local_with_a_bad_schema_exits_one_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "empty.yml"
    bad.write_text("", encoding="utf-8")

    done = dynamorm("local", "--port", "0", "--dms", str(bad))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"error: ErrInvalidModel: {bad}: document is empty\n"
