"""Client CPU per single-item write: what retry bookkeeping and the extra request parameter cost.

A real botocore client whose HTTP send is answered in-process (a ``before-send`` handler returns canned
response bytes), so botocore's serialization, signing and parsing run as in production and nothing else
does. Timed per write: a plain put, a put with ``if_not_exists``, a versioned update and a versioned delete
(the conditional ones now carry ``ReturnValuesOnConditionCheckFailure`` and go through the retry policy).
Then the same writes with a plain-Python stand-in client (no botocore), which isolates the library's own
CPU: on a shared machine the botocore figures vary by more than the 2% budget, while the library-only
difference between two checkouts is measurable and can be set against the botocore write cost.
Best of interleaved rounds; numbers are printed, never asserted. Run: ``.venv/bin/python bench/write.py``.
To compare with another checkout, run it with ``PYTHONPATH=<that checkout>/src``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

import dynamorm_py
from dynamorm_py import ModelDefinition, Table, dynamorm_field

REPEATS = 400
ROUNDS = 9
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class Account:
    owner: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field(roles=["sk"])
    balance: int = 0
    note: str = ""
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name="accounts")
STORED = {
    "owner": {"S": "ann"},
    "name": {"S": "main"},
    "balance": {"N": "7"},
    "note": {"S": "n"},
    "createdAt": {"S": "2026-01-02T03:04:05.000000000Z"},
    "updatedAt": {"S": "2026-01-02T03:04:05.000000000Z"},
    "version": {"N": "4"},
}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_: Any) -> bytes:
        return self.data

    def stream(self, **_: Any) -> Any:
        yield self.data


def stub_client() -> Any:
    client = botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url="http://bench.invalid",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}),
    )
    bodies = {
        "PutItem": b"{}",
        "DeleteItem": b"{}",
        "UpdateItem": json.dumps({"Attributes": STORED}).encode(),
    }

    def answer(request: Any, **_: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"].decode().split(".")[-1]
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
        return AWSResponse(request.url, 200, headers, _Body(bodies[target]))

    client.meta.events.register("before-send.dynamodb", answer)
    return client


class PlainClient:
    """Answers in-process without botocore: what is left is the library's own work."""

    def put_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def delete_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def update_item(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": STORED}


def best_us(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best CPU microseconds per call of each run, over interleaved rounds."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(ROUNDS):
        for name, run in runs.items():
            start = time.process_time()
            for _ in range(REPEATS):
                run()
            best[name] = min(best[name], (time.process_time() - start) / REPEATS * 1e6)
    return best


def writes(table: Table[Account]) -> dict[str, Callable[[], object]]:
    account = Account("ann", "main", 7, "n")
    return {
        "put": lambda: table.put(account),
        "put(if_not_exists)": lambda: table.put(account, if_not_exists=True),
        "update(expected_version)": lambda: table.update("ann", "main", {"balance": 7}, expected_version=3),
        "delete(expected_version)": lambda: table.delete("ann", "main", expected_version=4),
    }


def main() -> None:
    print(f"dynamorm_py from {dynamorm_py.__file__}")
    for label, client in (("botocore, stubbed send", stub_client()), ("library only", PlainClient())):
        print(label)
        for name, micros in best_us(writes(Table(ACCOUNTS, client=client, now=lambda: NOW))).items():
            print(f"  {name:26s} {micros:8.1f} us CPU per write")


if __name__ == "__main__":
    main()
