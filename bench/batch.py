"""batch_write of 10,000 items: dynamorm-py versus a raw boto3 ``batch_write_item`` loop on the same client.

Three settings, each run ``--repeat`` times (best run reported, variants interleaved):

* stub: a real botocore client whose HTTP send is answered in-process by a ``before-send`` handler
  (``{"UnprocessedItems": {}}``), so the numbers are the client-side cost alone: encoding, botocore
  serialization, signing and parsing;
* embedded: the embedded server (moto) in a child process (``python -m dynamorm_py local --port 0``), so
  the CPU time measured here is the client's only;
* embedded, ``max_workers=4`` versus the raw sequential loop (wall time).

The raw loop builds each item's AttributeValues by hand from the same dataclass objects and resends
``UnprocessedItems``: what a user of the bare client has to write. Prints milliseconds, CPU per item and
ratios; asserts nothing.

    .venv/bin/python bench/batch.py [--items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
from _support import CREDENTIALS, Sample, embedded_server, make_client, measure
from botocore.awsrequest import AWSResponse

from dynamorm_py import ModelDefinition, Table, dynamorm_field
from dynamorm_py.schema import ensure_table

TABLE = "bench_batch"


@dataclass
class Row:
    pk: str = dynamorm_field(roles=["pk"])
    sk: int = dynamorm_field(roles=["sk"])
    name: str = ""
    amount: int = 0
    note: str = ""


MODEL = ModelDefinition.from_dataclass(Row, table_name=TABLE)


def make_rows(n: int) -> list[Row]:
    return [Row(f"customer-{i % 97}", i, f"name-{i}", i * 7, "x" * 40) for i in range(n)]


def raw_batch_write(client: Any, rows: list[Row]) -> None:
    for start in range(0, len(rows), 25):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": row.pk},
                        "sk": {"N": str(row.sk)},
                        "name": {"S": row.name},
                        "amount": {"N": str(row.amount)},
                        "note": {"S": row.note},
                    }
                }
            }
            for row in rows[start : start + 25]
        ]
        while requests:
            response = client.batch_write_item(RequestItems={TABLE: requests})
            requests = response.get("UnprocessedItems", {}).get(TABLE, [])


# --- clients -------------------------------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def stub_client() -> Any:
    """A botocore DynamoDB client whose requests never leave the process."""
    client = botocore.session.get_session().create_client(
        "dynamodb", endpoint_url="http://127.0.0.1:9", **CREDENTIALS
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        body = b'{"UnprocessedItems": {}}'
        headers = {"Content-Type": "application/x-amz-json-1.0", "Content-Length": str(len(body))}
        return AWSResponse(request.url, 200, headers, _Body(body))

    client.meta.events.register("before-send.dynamodb", answer)
    return client


# --- measuring -----------------------------------------------------------------------------------------


def best(runs: dict[str, list[Sample]], name: str) -> Sample:
    samples = runs[name]
    return Sample(min(s.wall for s in samples), min(s.cpu for s in samples))


def report(title: str, runs: dict[str, list[Sample]], n: int, baseline: str) -> None:
    print(f"\n{title} ({n} items, best of {len(runs[baseline])})")
    base = best(runs, baseline)
    print(f"  {'variant':<34}{'wall ms':>10}{'CPU ms':>10}{'CPU us/item':>13}{'CPU x':>8}{'wall x':>8}")
    for name in runs:
        s = best(runs, name)
        print(
            f"  {name:<34}{s.wall * 1e3:>10.1f}{s.cpu * 1e3:>10.1f}{s.cpu / n * 1e6:>13.2f}"
            f"{s.cpu / base.cpu:>8.3f}{s.wall / base.wall:>8.3f}"
        )


def compare(variants: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[Sample]]:
    runs: dict[str, list[Sample]] = {name: [] for name in variants}
    for run in variants.values():  # warm-up: imports, botocore's model loading, caches
        run()
    for _ in range(repeat):
        for name, run in variants.items():
            runs[name].append(measure(run))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = make_rows(args.items)

    stub = stub_client()
    stub_table = Table(MODEL, client=stub)
    runs = compare(
        {
            "raw boto3 loop": lambda: raw_batch_write(stub, rows),
            "dynamorm batch_write": lambda: stub_table.batch_write(puts=rows),
        },
        args.repeat,
    )
    report("zero-network stub transport", runs, args.items, "raw boto3 loop")

    with embedded_server() as endpoint:
        client = make_client("dynamodb", endpoint)
        ensure_table(MODEL, client=client)
        table = Table(MODEL, client=client)
        runs = compare(
            {
                "raw boto3 loop": lambda: raw_batch_write(client, rows),
                "dynamorm batch_write": lambda: table.batch_write(puts=rows),
                "dynamorm batch_write max_workers=4": lambda: table.batch_write(puts=rows, max_workers=4),
            },
            args.repeat,
        )
        report(f"embedded server, child process ({os.cpu_count()} CPUs)", runs, args.items, "raw boto3 loop")


if __name__ == "__main__":
    main()
