"""Client CPU per single-item write, against the raw boto3 client, and what write safety costs.

A real botocore client whose HTTP send is answered in-process (a ``before-send`` handler returns canned
response bytes), so botocore's serialization, signing and parsing run as in production and nothing else
does. Timed per write, interleaved with the raw client sending the very same request (from ``explain``): a
plain put, a put with ``if_not_exists``, a versioned update and a versioned delete. The cost of recognising
a write's own earlier attempt is priced in its two parts, each on its own because whole-write timings vary
by more than they are on a shared machine: serializing ``ReturnValuesOnConditionCheckFailure``, and the retry
layer's bookkeeping on a successful request (``retried_call`` against a bare call). The library-only rows use
a plain-Python stand-in client (no botocore). Best of interleaved rounds; numbers are printed, never asserted.
Run: ``.venv/bin/python bench/write.py`` (``make bench`` runs every benchmark).
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


def raw_writes(client: Any, table: Table[Account]) -> dict[str, Callable[[], object]]:
    """The raw boto3 client sending exactly the requests ``writes`` sends (taken from ``explain``)."""
    account = Account("ann", "main", 7, "n")
    requests = {
        "put": table.explain.put(account),
        "put(if_not_exists)": table.explain.put(account, if_not_exists=True),
        "update(expected_version)": table.explain.update("ann", "main", {"balance": 7}, expected_version=3),
        "delete(expected_version)": table.explain.delete("ann", "main", expected_version=4),
    }
    return {name: _call(getattr(client, r.operation), r.params) for name, r in requests.items()}


def _call(method: Callable[..., object], params: dict[str, Any]) -> Callable[[], object]:
    return lambda: method(**params)


def main() -> None:
    print(f"dynamorm_py from {dynamorm_py.__file__}")
    client = stub_client()
    table = Table(ACCOUNTS, client=client, now=lambda: NOW)
    ours_runs = writes(table)
    raw_runs = raw_writes(client, table)
    runs = {**{f"ours {k}": v for k, v in ours_runs.items()}, **{f"raw {k}": v for k, v in raw_runs.items()}}
    best = best_us(runs)
    print("botocore, stubbed send (same requests; ratio = ours / raw boto3 client)")
    for name in ours_runs:
        ours, raw = best[f"ours {name}"], best[f"raw {name}"]
        print(f"  {name:26s} ours {ours:7.1f} us  raw {raw:7.1f} us  ratio {ours / raw:5.2f}x")
    parameter = parameter_us(client, table)
    print(
        f"  ReturnValuesOnConditionCheckFailure=ALL_OLD costs {parameter:+.2f} us to serialize, "
        f"{parameter / best['raw put(if_not_exists)']:+.2%} of a raw conditional put"
    )
    print("library only (a plain stand-in client, no botocore)")
    for name, micros in best_us(writes(Table(ACCOUNTS, client=PlainClient(), now=lambda: NOW))).items():
        print(f"  {name:26s} {micros:8.1f} us CPU per write")
    bookkeeping = retry_bookkeeping_us()
    print(
        f"  retry bookkeeping per request (retried_call over a bare call): {bookkeeping:+.2f} us, "
        f"{bookkeeping / best['raw put(if_not_exists)']:+.2%} of a raw conditional put"
    )


def parameter_us(client: Any, table: Table[Account]) -> float:
    """What serializing the parameter a conditional write adds costs botocore (the whole-write timings
    above vary by more than it between rounds on a shared machine, so it is priced on its own)."""
    with_parameter = table.explain.put(Account("ann", "main", 7, "n"), if_not_exists=True).params
    without = dict(with_parameter)
    without.pop("ReturnValuesOnConditionCheckFailure", None)
    model = client.meta.service_model.operation_model("PutItem")
    serialize = client._serializer.serialize_to_request
    best = best_us(
        {
            "with": lambda: serialize(with_parameter, model),
            "without": lambda: serialize(without, model),
        }
    )
    return best["with"] - best["without"]


def retry_bookkeeping_us() -> float:
    """CPU the retry layer adds to one successful request: ``retried_call`` against the bare ``aws_call``."""
    from dynamorm_py._blocks.retry_policy import DEFAULT_POLICY
    from dynamorm_py._core.effects import aws_call
    from dynamorm_py._core.retries import Write, retried_call
    from dynamorm_py._drivers.sync import run_sync

    clients = {"dynamodb": PlainClient()}
    params: dict[str, Any] = {"TableName": "accounts", "Item": STORED}
    write = Write(key=lambda: ("ann", "main"))
    best = best_us(
        {
            "bare": lambda: run_sync(
                aws_call("dynamodb", "put_item", params, op_name="put", table="accounts"),
                clients=clients,
                sleep=None,
            ),
            "retried": lambda: run_sync(
                retried_call(
                    DEFAULT_POLICY, "put_item", params, op_name="put", table="accounts", write=write
                ),
                clients=clients,
                sleep=None,
            ),
        }
    )
    return best["retried"] - best["bare"]


if __name__ == "__main__":
    main()
