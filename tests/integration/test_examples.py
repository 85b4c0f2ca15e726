"""The examples run as written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.integration
def test_local_crud_example_prints_the_quickstart_results(dynamorm_local: Any) -> None:
    env = dict(os.environ, DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "local_crud.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("put      -> version 0")
    assert "update   -> nickname='ada' version 1" in lines
    assert any(line.startswith("stale    -> ConditionFailedError (ErrConditionFailed)") for line in lines)
    assert lines[-1] == "delete   -> get raises NotFoundError (ErrItemNotFound)"


@pytest.mark.integration
def test_local_crud_example_starts_its_own_server_without_an_endpoint() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "local_crud.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("started the embedded local DynamoDB at http://127.0.0.1:")


@pytest.mark.integration
def test_async_service_example_serves_concurrent_handlers(dynamorm_local: Any) -> None:
    env = dict(os.environ, DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "async_service.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "placed   -> 100 orders concurrently",
        "stale    -> ConditionFailedError (ErrConditionFailed)",
        "iterate  -> [95, 96, 97, 98, 99, 100]",
        "page     -> 10 newest, more: True",
        "transact -> [('2024-001', 'merged'), ('2024-101', 'open')]",
        "explain  -> update_item",
        "builder  -> total 1002, version 1",
    ]


@pytest.mark.integration
def test_single_table_example_places_an_order_and_reads_every_entity(dynamorm_local: Any) -> None:
    env = dict(os.environ, DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "single_table.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "stock    -> apples 7",
        "conflict -> ConditionFailedError: ['None', 'ConditionalCheckFailed', 'None']",
        "query    -> ['CartLine', 'Order', 'Customer']",
        "order    -> apples x3",
    ]
