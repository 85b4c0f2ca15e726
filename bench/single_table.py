"""Single-table design: the cost of routing through ``DynamormClient`` against single-model ``Table``s.

Two workloads, each done both ways on the same stub client (a real botocore client whose HTTP send is
answered in-process, so the numbers are client-side CPU only: encoding, botocore serialization, signing,
parsing):

* a 100-action transaction across three models and two tables (puts, versioned updates, deletes), through
  ``DynamormClient.transact_write`` versus ``Table.transact_write`` of one model (the same 100 actions on one
  table, the most a single ``Table`` can do);
* a 1,000-item batch_write mixing four models, through ``DynamormClient.batch_write`` versus one
  ``Table.batch_write`` per model.

Variants are interleaved, each run ``--repeat`` times; the best run is reported with the ratio. Target:
routing costs at most 1.05x. Prints, asserts nothing.

    .venv/bin/python bench/single_table.py [--repeat 7]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _support import Sample, StubHttp, make_client, measure

from dynamorm_py import (
    DynamormClient,
    ModelDefinition,
    Table,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
    sk_prefix,
)

SHOP = "bench_shop"


@dataclass
class Customer:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    name: str = ""
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Order:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    product: str = ""
    quantity: int = 0
    note: str = ""


@dataclass
class CartLine:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    product: str = ""


@dataclass
class Stock:
    product: str = dynamorm_field(roles=["pk"])
    available: int = 0


CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name=SHOP, matches=sk_prefix("PROFILE"))
ORDERS = ModelDefinition.from_dataclass(Order, table_name=SHOP, matches=sk_prefix("ORDER#"))
CART = ModelDefinition.from_dataclass(CartLine, table_name=SHOP, matches=sk_prefix("CART#"))
STOCK = ModelDefinition.from_dataclass(Stock, table_name="bench_stock")


def stub_client() -> Any:
    """A botocore DynamoDB client answering every request in-process with an empty success."""
    bodies = {"TransactWriteItems": b"{}", "BatchWriteItem": b'{"UnprocessedItems": {}}'}
    return StubHttp(bodies).install(make_client("dynamodb", "http://127.0.0.1:9"))


def transaction_actions(n: int) -> tuple[list[Any], list[Any]]:
    """(mixed actions for the client, same-shaped actions on one model for a Table)."""
    mixed: list[Any] = []
    single: list[Any] = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            mixed.append(TransactPut(Order(f"CUST#{i}", f"ORDER#{i}", product="tea", quantity=i)))
            single.append(TransactPut(Order(f"CUST#{i}", f"ORDER#{i}", product="tea", quantity=i)))
        elif kind == 1:
            mixed.append(TransactUpdate(f"p{i}", None, {"available": i}, model=Stock))
            single.append(TransactUpdate(f"CUST#{i}", f"ORDER#{i}", {"quantity": i}))
        else:
            mixed.append(TransactDelete(f"CUST#{i}", f"CART#{i}", model=CartLine))
            single.append(TransactDelete(f"CUST#{i}", f"ORDER#{i}"))
    return mixed, single


def batch_items(n: int) -> list[Any]:
    items: list[Any] = []
    for i in range(n // 4):
        items += [
            Order(f"CUST#{i % 50}", f"ORDER#{i}", product="tea", quantity=i, note="x" * 30),
            CartLine(f"CUST#{i % 50}", f"CART#{i}", product="tea"),
            Stock(f"p{i}", available=i),
            Customer(f"CUST#{i}", "PROFILE", name=f"c{i}"),
        ]
    return items


def compare(variants: dict[str, Callable[[], None]], repeat: int) -> dict[str, Sample]:
    runs: dict[str, list[Sample]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, run in variants.items():
            runs[name].append(measure(run))
    return {
        name: Sample(min(s.wall for s in samples), min(s.cpu for s in samples))
        for name, samples in runs.items()
    }


def report(title: str, best: dict[str, Sample], baseline: str, repeat: int) -> None:
    print(f"\n{title} (best of {repeat})")
    print(f"  {'variant':<44}{'CPU ms':>10}{'CPU x':>8}")
    for name, sample in best.items():
        print(f"  {name:<44}{sample.cpu * 1e3:>10.2f}{sample.cpu / best[baseline].cpu:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--transactions", type=int, default=20, help="transactions per run")
    args = parser.parse_args()

    client = stub_client()
    shop = DynamormClient(client).register(CUSTOMERS, ORDERS, CART, STOCK)
    orders = Table(ORDERS, client=client)
    mixed, single = transaction_actions(100)

    def through_client() -> None:
        for n in range(args.transactions):
            shop.transact_write(mixed, client_request_token=f"t{n}")

    def through_table() -> None:
        for n in range(args.transactions):
            orders.transact_write(single, client_request_token=f"t{n}")

    best = compare(
        {"Table.transact_write (one model)": through_table, "DynamormClient.transact_write": through_client},
        args.repeat,
    )
    report(
        f"{args.transactions} transactions of 100 actions",
        best,
        "Table.transact_write (one model)",
        args.repeat,
    )

    items = batch_items(1000)
    tables = {model.model_type: Table(model, client=client) for model in (CUSTOMERS, ORDERS, CART, STOCK)}
    by_type: dict[type, list[Any]] = {}
    for item in items:
        by_type.setdefault(type(item), []).append(item)

    def per_model_tables() -> None:
        for model_type, puts in by_type.items():
            tables[model_type].batch_write(puts=puts)

    def through_client_batch() -> None:
        shop.batch_write(puts=items)

    best = compare(
        {"Table.batch_write per model": per_model_tables, "DynamormClient.batch_write": through_client_batch},
        args.repeat,
    )
    report("batch_write of 1,000 items of four models", best, "Table.batch_write per model", args.repeat)


if __name__ == "__main__":
    main()
