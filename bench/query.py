"""Client CPU of ``Table.query`` against a raw boto3 ``client.query`` with the same client, and the memory of
lazy iteration.

Two setups, each timing both contenders on the same botocore client:

(a) stub: a real botocore client whose HTTP send is answered in-process (a ``before-send`` handler returns
    canned response bytes): botocore's serialization, signing and parsing run for both, nothing else does;
(b) server: the embedded server (moto) in a child process, so this process's CPU time is the client's alone.

For each: CPU per page of one 25-item page, and per page of a full iteration (400 pages of 25 = 10,000 items
with the stub; 80 pages = 2,000 items with the server, because moto's Query costs O(partition size) per page
and 10,000 items would take minutes per contender), as ms and as our/raw ratio. Then the peak memory
(tracemalloc) of ``iter_query`` over 10,000 items against that of holding one page. Numbers are printed,
never asserted. Run: ``.venv/bin/python bench/query.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from dynamorm_py import ModelDefinition, Table, dynamorm_field

PAGE_SIZE = 25
TOTAL_ITEMS = 10_000
PAGES = TOTAL_ITEMS // PAGE_SIZE
SINGLE_PAGE_REPEATS = 400
FULL_ROUNDS = 4
SERVER_ITEMS = 2_000
SERVER_PAGES = SERVER_ITEMS // PAGE_SIZE
SERVER_PAGE_REPEATS = 20


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    order_id: str = dynamorm_field(roles=["sk"])
    status: str = "new"
    total: int = 0
    placed_at: datetime | None = None
    tags: set[str] = field(default_factory=set)
    note: str | None = None
    paid: bool = False


ORDERS = ModelDefinition.from_dataclass(Order, table_name="bench_orders")
START = datetime(2024, 1, 1, tzinfo=UTC)


def order(i: int) -> Order:
    return Order(
        customer="c1",
        order_id=f"o{i:06d}",
        status=("new", "paid", "shipped")[i % 3],
        total=1000 + i,
        placed_at=START + timedelta(minutes=i),
        tags={"a", f"t{i % 7}"},
        note=f"note {i}" if i % 2 else None,
        paid=bool(i % 2),
    )


def make_client(endpoint_url: str) -> Any:
    """One botocore client configuration for both contenders."""
    session = botocore.session.Session()
    return session.create_client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


# --- (a) zero-network stub transport ---------------------------------------------------------------------


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class StubTransport:
    """Answers every Query with a canned 25-item page; all but every ``pages``-th carry a LastEvaluatedKey.

    The items hold no binaries, so their low-level AVs are also their JSON wire form.
    """

    def __init__(self, client: Any) -> None:
        items = [ORDERS.codec.encode_item(order(i)).item for i in range(PAGE_SIZE)]
        last_key = {"customer": {"S": "c1"}, "order_id": {"S": f"o{PAGE_SIZE - 1:06d}"}}
        page = {"Items": items, "Count": PAGE_SIZE, "ScannedCount": PAGE_SIZE}
        self.more = json.dumps({**page, "LastEvaluatedKey": last_key}).encode()
        self.last = json.dumps(page).encode()
        self.pages = 1
        self.calls = 0
        client.meta.events.register("before-send.dynamodb.Query", self.answer)

    def reset(self, pages: int) -> None:
        self.pages = pages
        self.calls = 0

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        self.calls += 1
        body = self.more if self.calls % self.pages else self.last
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
        return AWSResponse(request.url, 200, headers, _Body(body))


# --- measuring -------------------------------------------------------------------------------------------


def cpu_ms(
    ours: Callable[[], object], raw: Callable[[], object], repeats: int, rounds: int = 5
) -> tuple[float, float]:
    """Best CPU milliseconds per call of ``ours`` and of ``raw``, over ``rounds`` interleaved rounds of
    ``repeats`` calls each (interleaving keeps a change of machine load from favouring either)."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for slot, run in enumerate((ours, raw)):
            start = time.process_time()
            for _ in range(repeats):
                run()
            best[slot] = min(best[slot], (time.process_time() - start) * 1000 / repeats)
    return best[0], best[1]


def raw_query_all(client: Any, params: dict[str, Any], *, keep: bool = False) -> int:
    """Follow LastEvaluatedKey to the end; ``keep`` holds every raw item, as ``query_all`` holds items."""
    count = 0
    kept: list[Any] = []
    request = dict(params)
    while True:
        response = client.query(**request)
        count += len(response["Items"])
        if keep:
            kept.extend(response["Items"])
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return count
        request["ExclusiveStartKey"] = last_key


def report(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'measure':<34} {'ours ms':>9} {'raw ms':>9} {'ours/raw':>9}")
    for name, ours, raw in rows:
        print(f"  {name:<34} {ours:>9.3f} {raw:>9.3f} {ours / raw:>9.3f}")


def bench_stub() -> None:
    client = make_client("http://127.0.0.1:9")
    stub = StubTransport(client)
    table = Table(ORDERS, client=client)
    params = table.explain.query("c1", limit=PAGE_SIZE).params

    stub.reset(1)
    assert len(table.query("c1", limit=PAGE_SIZE).items) == PAGE_SIZE
    ours_page, raw_page = cpu_ms(
        lambda: table.query("c1", limit=PAGE_SIZE), lambda: client.query(**params), SINGLE_PAGE_REPEATS
    )

    def ours_all() -> None:
        stub.reset(PAGES)
        assert sum(1 for _ in table.iter_query("c1", limit=PAGE_SIZE)) == TOTAL_ITEMS

    def ours_list() -> None:
        stub.reset(PAGES)
        assert len(table.query_all("c1", limit=PAGE_SIZE)) == TOTAL_ITEMS

    def raw_all() -> None:
        stub.reset(PAGES)
        assert raw_query_all(client, params) == TOTAL_ITEMS

    def raw_kept() -> None:
        stub.reset(PAGES)
        assert raw_query_all(client, params, keep=True) == TOTAL_ITEMS

    ours_iter_ms, raw_all_ms = (ms / PAGES for ms in cpu_ms(ours_all, raw_all, 1, FULL_ROUNDS))
    ours_list_ms, raw_kept_ms = (ms / PAGES for ms in cpu_ms(ours_list, raw_kept, 1, FULL_ROUNDS))
    report(
        "(a) stub transport: botocore serialization, signing and parsing, no network",
        [
            ("query, one 25-item page", ours_page, raw_page),
            ("iter_query 10,000 items, per page", ours_iter_ms, raw_all_ms),
            ("query_all 10,000 items, per page", ours_list_ms, raw_kept_ms),
        ],
    )

    # Memory: holding one page against lazily iterating every page (items are dropped as they are used).
    stub.reset(3)
    sum(1 for _ in table.iter_query("c1", limit=PAGE_SIZE))  # warm botocore's caches outside the measurement
    stub.reset(1)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    page = table.query("c1", limit=PAGE_SIZE)
    one_page = tracemalloc.get_traced_memory()[1] - base
    del page
    stub.reset(PAGES)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    seen = 0
    for _ in table.iter_query("c1", limit=PAGE_SIZE):
        seen += 1
    iterated = tracemalloc.get_traced_memory()[1] - base
    stub.reset(PAGES)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    raw_query_all(client, params)
    raw_iterated = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert seen == TOTAL_ITEMS
    print(
        f"\n  peak memory: one 25-item page {one_page / 1024:.1f} KiB, iter_query over {TOTAL_ITEMS:,} items "
        f"{iterated / 1024:.1f} KiB, ratio {iterated / one_page:.2f} "
        f"(raw client paging over the same items: {raw_iterated / 1024:.1f} KiB)"
    )


# --- (b) embedded server --------------------------------------------------------------------------------


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamorm_py", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("DYNAMODB_ENDPOINT="):
        process.kill()
        raise RuntimeError(f"the local server did not start: {line!r}")
    return process, line.split("=", 1)[1]


def bench_server() -> None:
    process, endpoint = start_server()
    try:
        from dynamorm_py import ensure_table

        client = make_client(endpoint)
        ensure_table(ORDERS, client=client, poll_interval_seconds=0.05)
        encoded = [ORDERS.codec.encode_item(order(i)).item for i in range(SERVER_ITEMS)]
        for start in range(0, SERVER_ITEMS, 25):
            chunk = [{"PutRequest": {"Item": item}} for item in encoded[start : start + 25]]
            client.batch_write_item(RequestItems={"bench_orders": chunk})
        table = Table(ORDERS, client=client)
        params = table.explain.query("c1", limit=PAGE_SIZE).params
        ours_page, raw_page = cpu_ms(
            lambda: table.query("c1", limit=PAGE_SIZE), lambda: client.query(**params), SERVER_PAGE_REPEATS, 3
        )
        clock = time.process_time
        start = clock()
        assert sum(1 for _ in table.iter_query("c1", limit=PAGE_SIZE)) == SERVER_ITEMS
        ours_all = (clock() - start) * 1000 / SERVER_PAGES
        start = clock()
        assert raw_query_all(client, params) == SERVER_ITEMS
        raw_all = (clock() - start) * 1000 / SERVER_PAGES
        report(
            "(b) embedded server (moto in a child process): this process's CPU only",
            [
                ("query, one 25-item page", ours_page, raw_page),
                (f"iter_query {SERVER_ITEMS:,} items, per page", ours_all, raw_all),
            ],
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    started = time.perf_counter()
    bench_stub()
    bench_server()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
