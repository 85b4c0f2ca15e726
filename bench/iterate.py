"""Full iteration of 10,000 items (c): CPU time and peak memory, seven contenders, stub transport.

Every contender reads the same 10,000 items as 400 pages of 25 (a ``_support.StubHttp`` answers each Query or
Scan in-process with a canned 25-item page and a LastEvaluatedKey until the last page), so botocore's
serialization, signing and parsing run for every page and nothing else does:

* raw boto3 paginator: ``client.get_paginator("query")``, items left as raw AttributeValues;
* boto3 TypeSerializer: the same paginator, each item through ``TypeDeserializer`` into the dataclass;
* hand-written: the same paginator, each item through the hand-written decoder;
* PynamoDB 6: ``Model.query(pk, page_size=25)``, iterated;
* ours ``iter_query`` and ``iter_scan`` (lazy), and ``query_all`` (a list of all 10,000).

Items are dropped as they are read, except by ``query_all``, which returns them all. CPU per full iteration
is the median of interleaved rounds; peak memory (tracemalloc, a separate pass per contender, so tracing
does not slow the timed rounds) is reported next to that of holding one page from ``Table.query``. The
embedded server is left out here: its Query costs O(partition size) per page, so 10,000 items would time
the server (``bench/query.py`` pages 2,000 items through it). Prints, asserts nothing.

    .venv/bin/python bench/iterate.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

from _records import ORDERS, BotoOrder, hand_decode, make_orders, pynamodb_order_model, to_pynamodb, wire
from _support import StubHttp, boto3_client, interleave, machine_line, print_table
from boto3.dynamodb.types import TypeDeserializer

from dynamorm_py import Table

PAGE, PAGES = 25, 400
CUSTOMER = "CUSTOMER#1"
RAW, BOTO, HAND, PYNAMO = "raw boto3 paginator", "boto3 TypeSerializer", "hand-written", "PynamoDB 6"
ITER, SCAN, ALL = "ours iter_query", "ours iter_scan", "ours query_all"


class Pages:
    """Canned Query/Scan pages, built once: ``PAGES`` of them (each with its own LastEvaluatedKey, as
    botocore's paginator refuses a repeated one; the last without), then it starts over."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        page = {"Items": [wire(av) for av in items], "Count": PAGE, "ScannedCount": PAGE}
        self.bodies = [
            json.dumps(
                {**page, "LastEvaluatedKey": {"PK": {"S": CUSTOMER}, "SK": {"S": f"ORDER#{n:08d}"}}}
            ).encode()
            for n in range(PAGES - 1)
        ]
        self.bodies.append(json.dumps(page).encode())
        self.calls = 0

    def __call__(self) -> bytes:
        body = self.bodies[self.calls % PAGES]
        self.calls += 1
        return body

    def stub(self) -> StubHttp:
        return StubHttp({"Query": self, "Scan": self})


def drain(iterable: Any) -> int:
    count = 0
    for _ in iterable:
        count += 1
    return count


def contenders() -> tuple[dict[str, Callable[[], int]], Callable[[], object]]:
    """The contenders (each returns how many items it saw), and holding one page of ours."""
    endpoint = "http://bench.invalid"
    orders = make_orders(PAGE, customer=CUSTOMER)
    items = [ORDERS.codec.encode_item(o).item for o in orders]
    ours_pages = Pages(items)
    client = ours_pages.stub().install(boto3_client(endpoint))
    table = Table(ORDERS, client=client)
    pyn = pynamodb_order_model(host=endpoint)
    pyn_pages = Pages([to_pynamodb(pyn, o).serialize() for o in orders])
    pyn_pages.stub().install(pyn._get_connection().connection.client)
    params = table.explain.query(CUSTOMER, limit=PAGE).params
    params.pop("Limit", None)
    deserialize = TypeDeserializer().deserialize

    def raw_items() -> Any:
        for page in client.get_paginator("query").paginate(**params, PaginationConfig={"PageSize": PAGE}):
            yield from page["Items"]

    def fresh(run: Callable[[], Any], pages: Pages = ours_pages) -> Callable[[], int]:
        def go() -> int:
            pages.calls = 0
            seen = drain(run())
            assert seen == PAGE * PAGES, seen
            return seen

        return go

    runs = {
        RAW: fresh(raw_items),
        BOTO: fresh(lambda: (BotoOrder(**{k: deserialize(v) for k, v in av.items()}) for av in raw_items())),
        HAND: fresh(lambda: (hand_decode(av) for av in raw_items())),
        PYNAMO: fresh(lambda: pyn.query(CUSTOMER, page_size=PAGE), pyn_pages),
        ITER: fresh(lambda: table.iter_query(CUSTOMER, limit=PAGE)),
        SCAN: fresh(lambda: table.iter_scan(limit=PAGE)),
        ALL: fresh(lambda: table.query_all(CUSTOMER, limit=PAGE)),
    }

    def one_page() -> object:
        ours_pages.calls = PAGES - 1  # the next answer is the last page
        return table.query(CUSTOMER, limit=PAGE)

    return runs, one_page


def peak_kib(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        kept = run()
        peak = tracemalloc.get_traced_memory()[1] - base
        del kept
    finally:
        tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"(c) full iteration of {PAGE * PAGES:,} items ({PAGES} pages of {PAGE}); {machine_line()}")
    runs, one_page = contenders()
    samples = interleave(runs, args.rounds, warmup=0)
    print_table(
        f"(c) stub transport: CPU per full iteration of {PAGE * PAGES:,} items",
        samples,
        unit="ms",
        baselines=[RAW, HAND],
    )
    one_page()  # warm caches outside the measurement
    page_kib = peak_kib(one_page)
    print(f"\n  peak memory (tracemalloc), KiB; one 25-item page held from Table.query: {page_kib:.1f} KiB")
    print(f"  {'contender':<34}{'peak KiB':>12}{'x one page':>12}")
    for name, run in runs.items():
        kib = peak_kib(run)
        print(f"  {name:<34}{kib:>12.1f}{kib / page_kib:>12.2f}")


if __name__ == "__main__":
    main()
