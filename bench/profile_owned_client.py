"""Client CPU per operation of a Table on the client the library builds (``dynamorm_py.client``) against the
raw boto3 client with default configuration, both on bench/write.py's stub transport (botocore's real
serialization, signing and parsing; canned answers). Best of interleaved rounds; printed, never asserted.
Run: ``.venv/bin/python bench/profile_owned_client.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse

sys.path.insert(0, str(Path(__file__).parent))
from write import ACCOUNTS, STORED, Account, _Body  # type: ignore[import-not-found]

import dynamorm_py
from dynamorm_py import Table

REPEATS = 300
ROUNDS = 9
PAGE = {"Items": [STORED] * 25, "Count": 25, "ScannedCount": 25}
BODIES = {
    "PutItem": b"{}",
    "GetItem": json.dumps({"Item": STORED}).encode(),
    "Query": json.dumps(PAGE).encode(),
    "BatchWriteItem": b'{"UnprocessedItems": {}}',
}
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def stubbed(client: Any) -> Any:
    def answer(request: Any, **_: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"].decode().split(".")[-1]
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
        return AWSResponse(request.url, 200, headers, _Body(BODIES[target]))

    client.meta.events.register("before-send.dynamodb", answer)
    return client


def main() -> None:
    endpoint = "http://bench.invalid"
    raw = stubbed(
        botocore.session.get_session().create_client("dynamodb", endpoint_url=endpoint, **CREDENTIALS)
    )
    ours = stubbed(dynamorm_py.client(endpoint_url=endpoint, **CREDENTIALS))
    table = Table(ACCOUNTS, client=ours)
    account = Account("ann", "main", 7, "n")
    batch = [Account("ann", f"n{i}", i, "n") for i in range(25)]
    encoded = [{"PutRequest": {"Item": ACCOUNTS.codec.encode_item(a).item}} for a in batch]
    requests = {"accounts": encoded}
    put = table.explain.put(account)
    get = table.explain.get("ann", "main")
    query = table.explain.query("ann")
    runs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "put": (lambda: table.put(account), lambda: raw.put_item(**put.params)),
        "get": (lambda: table.get("ann", "main"), lambda: raw.get_item(**get.params)),
        "query page of 25": (lambda: table.query("ann"), lambda: raw.query(**query.params)),
        "batch_write of 25": (
            lambda: table.batch_write(puts=batch),
            lambda: raw.batch_write_item(RequestItems=requests),
        ),
    }
    best = {name: [float("inf"), float("inf")] for name in runs}
    for _ in range(ROUNDS):
        for name, pair in runs.items():
            for side, run in enumerate(pair):
                start = time.process_time()
                for _ in range(REPEATS):
                    run()
                best[name][side] = min(best[name][side], (time.process_time() - start) / REPEATS * 1e6)
    print(f"best of {ROUNDS} rounds of {REPEATS}; CPU us per call; ratio = ours / raw boto3 (default config)")
    for name, (o, r) in best.items():
        print(f"{name:<20} ours {o:8.1f}  raw {r:8.1f}  ratio {o / r:5.2f}x")


if __name__ == "__main__":
    main()
