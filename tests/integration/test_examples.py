"""The examples run as written: every ``examples/*.py`` script, and the copyable pytest suite beside them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py"))

# The last line each script prints when it got to its end. A new example needs an entry here.
LAST_LINES = {
    "async_service.py": "builder  -> total 1002, version 1",
    "dms_first.py": "export   -> 95 lines of YAML; re-loaded ['Customer', 'Order'] match the originals",
    "encryption.py": "reader   -> a table without the cache reads what the cached table wrote",
    "lambda_stream_handler.py": "handler returned {'processed': 3}",
    "local_crud.py": "delete   -> get raises NotFoundError (ErrItemNotFound)",
    "single_table.py": "order    -> apples x3",
}

# Whole outputs, where every line shows a behaviour worth pinning (a compiled pattern matches a line that
# carries a timestamp). lambda_stream_handler.py has its own module.
FULL_OUTPUTS: dict[str, list[str | re.Pattern[str]]] = {
    "async_service.py": [
        "placed   -> 100 orders concurrently",
        "stale    -> ConditionFailedError (ErrConditionFailed)",
        "iterate  -> [95, 96, 97, 98, 99, 100]",
        "page     -> 10 newest, more: True",
        "transact -> [('2024-001', 'merged'), ('2024-101', 'open')]",
        "explain  -> update_item",
        "builder  -> total 1002, version 1",
    ],
    "dms_first.py": [
        "validate -> dms_first.yml: ok (2 models)",
        "models   -> ['Customer', 'Order']: generated dataclasses ['Customer', 'Order']",
        "tables   -> ['example_customers', 'example_orders']",
        "customer -> 'Ada L.' tags=['vip'] version 1",
        "orders   -> 3 for CUST#1, paid: [1299, 4250]",
        "stored   -> ['PK', 'SK', 'createdAt', 'status', 'totalCents']",
        "handmade -> Customer('ada@example.com', version 1) matches the schema",
        "export   -> 95 lines of YAML; re-loaded ['Customer', 'Order'] match the originals",
    ],
    "encryption.py": [
        "no key   -> EncryptionNotConfiguredError (ErrEncryptionNotConfigured)",
        "get      -> diagnosis='J45.909' allergies=['latex']",
        "stored   -> diagnosis is an M of ['ct', 'edk', 'nonce', 'v']: v=1, nonce 12 bytes, ct 39 bytes",
        "plain    -> 'J45.909' in the stored item: False",
        "moved    -> ValidationError (ErrInvalidEncryptedEnvelope)",
        "query    -> ValidationError (ErrEncryptedFieldNotQueryable)",
        "no cache -> 10 GenerateDataKey, 10 Decrypt for 5 puts and 5 gets",
        "cache    -> 1 GenerateDataKey, 0 Decrypt for 5 puts and 5 gets",
        "reader   -> a table without the cache reads what the cached table wrote",
    ],
    "local_crud.py": [
        re.compile(r"put      -> version 0, created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
        "get      -> ada@example.com tags=['admin']",
        "update   -> nickname='ada' version 1",
        "stale    -> ConditionFailedError (ErrConditionFailed): no lost update",
        "delete   -> get raises NotFoundError (ErrItemNotFound)",
    ],
    "single_table.py": [
        "stock    -> apples 7",
        "conflict -> ConditionFailedError: ['None', 'ConditionalCheckFailed', 'None']",
        "query    -> ['CartLine', 'Order', 'Customer']",
        "order    -> apples x3",
    ],
}


def run_example(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def line_matches(expected: str | re.Pattern[str], line: str) -> bool:
    if isinstance(expected, re.Pattern):
        return expected.fullmatch(line) is not None
    return line == expected


@pytest.mark.integration
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_script_runs_to_its_last_line(script: str, dynamorm_local: Any) -> None:
    assert script in LAST_LINES, f"examples/{script} has no expected last line in LAST_LINES"

    done = run_example(script, dict(os.environ, DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and lines[-1] == LAST_LINES[script]
    expected = FULL_OUTPUTS.get(script)
    if expected is not None:
        assert len(lines) == len(expected), done.stdout
        pairs = zip(expected, lines, strict=True)
        assert [(want, got) for want, got in pairs if not line_matches(want, got)] == []


def test_every_example_script_is_run() -> None:
    assert set(SCRIPTS) == set(LAST_LINES)
    assert {"encryption.py", "dms_first.py", "local_crud.py"} <= set(SCRIPTS)


@pytest.mark.integration
def test_local_crud_example_starts_its_own_server_without_an_endpoint() -> None:
    done = run_example("local_crud.py", {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("started the embedded local DynamoDB at http://127.0.0.1:")


@pytest.mark.integration
def test_testing_with_fixtures_suite_passes_under_pytest(dynamorm_local: Any) -> None:
    suite = EXAMPLES / "testing_with_fixtures"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DYNAMODB_ENDPOINT"] = dynamorm_local.endpoint_url

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("7 passed") and "skipped" not in summary, summary
