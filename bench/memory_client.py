"""Wall time of one table-level workload through the in-memory client, moto in-process, and the server.

The workload is what the repository's table-level tests do, through ``Table``: create the table, 300 puts,
300 gets, 150 versioned updates (a third of them failing their condition), 20 queries paged by 10 on the
table and on an index, a full scan and a 4-segment parallel scan, a batch write and a batch get of 100, and
20 transactions (half cancelled). Three contenders:

- memory: ``dynamorm_py.memory`` (no botocore request path at all);
- moto in-process: a real botocore client under ``moto.mock_aws`` (botocore serializes, moto answers in this
  process; the option the in-memory client was measured against: moto patches botocore process-wide);
- server: the embedded server in a child process (``bench/_support.py``), as the integration tests use it.

Best of ROUNDS runs each; wall seconds and the server/memory ratio are printed, never asserted.
Run: ``.venv/bin/python bench/memory_client.py``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _support import embedded_server, make_client

from dynamorm_py import ModelDefinition, Table, dynamorm_field
from dynamorm_py.errors import DynamormPyError
from dynamorm_py.memory import MemoryDynamoDB
from dynamorm_py.model import gsi
from dynamorm_py.schema import ensure_table
from dynamorm_py.transaction import TransactPut, TransactUpdate

ROUNDS = 3
ITEMS = 300


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(roles=["sk"])
    status: str = "new"
    total: int = 0
    version: int = dynamorm_field(roles=["version"], default=0)


def workload(client: Any, table_name: str) -> None:
    model = ModelDefinition.from_dataclass(
        Order, table_name=table_name, indexes=[gsi("by-status", partition="status", sort="number")]
    )
    ensure_table(model, client=client, poll_interval_seconds=0.01)
    table = Table(model, client=client)
    for n in range(ITEMS):
        table.put(Order(f"c{n % 10}", n, "new" if n % 3 else "paid", n))
    for n in range(ITEMS):
        table.get(f"c{n % 10}", n)
    for n in range(150):
        with contextlib.suppress(DynamormPyError):
            table.update(f"c{n % 10}", n, {"status": "shipped"}, expected_version=0 if n % 3 else 5)
    for n in range(10):
        for index in (None, "by-status"):
            partition = f"c{n}" if index is None else "paid"
            page = table.query(partition, index_name=index, limit=10)
            while page.next_cursor is not None:
                page = table.query(partition, index_name=index, limit=10, cursor=page.next_cursor)
    table.scan_all()
    table.scan_all_segments(total_segments=4)
    table.batch_write(puts=[Order("batch", n) for n in range(100)])
    table.batch_get([("batch", n) for n in range(100)])
    for n in range(20):
        with contextlib.suppress(DynamormPyError):
            table.transact_write(
                [
                    TransactPut(Order("tx", n)),
                    TransactUpdate("c1", 1, {"total": n}, expected_version=1 if n % 2 else 99),
                ]
            )


def best(run: Callable[[int], None]) -> float:
    times = []
    for round_number in range(ROUNDS):
        start = time.perf_counter()
        run(round_number)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    memory = best(lambda r: workload(MemoryDynamoDB().client(), "orders"))
    print(f"memory          {memory:8.3f} s")

    moto_time: float | None = None
    try:
        from moto import mock_aws
    except ImportError:
        print("moto in-process  skipped (moto is not installed)")
    else:
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

        def with_moto(r: int) -> None:
            with mock_aws():
                workload(make_client("dynamodb", "https://dynamodb.us-east-1.amazonaws.com"), f"orders{r}")

        moto_time = best(with_moto)
        print(f"moto in-process {moto_time:8.3f} s   {moto_time / memory:6.1f}x the memory client")

    with embedded_server() as endpoint:
        client = make_client("dynamodb", endpoint)
        server = best(lambda r: workload(client, f"orders{r}"))
    print(f"server          {server:8.3f} s   {server / memory:6.1f}x the memory client")


if __name__ == "__main__":
    main()
