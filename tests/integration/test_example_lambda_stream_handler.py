"""examples/lambda_stream_handler.py runs as written and prints the decrypted typed stream records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lambda_stream_handler.py"

EXPECTED_RECORDS = [
    "INSERT o-1: customer='ada' status='new' card_last4='4242' address={'city': 'London'}",
    "MODIFY o-1: status 'new' -> 'shipped', address {'city': 'London'} -> {'city': 'Paris'}",
    "REMOVE o-1: last status 'shipped'",
    "handler returned {'processed': 3}",
]


def run_example(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.integration
def test_lambda_stream_handler_example_prints_decrypted_records(dynamorm_local: Any) -> None:
    done = run_example(dict(os.environ, DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == EXPECTED_RECORDS
    assert dynamorm_local.client("dynamodb").list_tables()["TableNames"] == []  # it cleans up


@pytest.mark.integration
def test_lambda_stream_handler_example_starts_its_own_server_without_an_endpoint() -> None:
    done = run_example({k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"})

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("started the embedded local DynamoDB at http://127.0.0.1:")
    assert lines[1:] == EXPECTED_RECORDS
