"""Client CPU per operation (b): put, get, a query page of 25 and a batch_write of 100, six contenders.

Two transports, both timing this process's CPU only:

* stub: real boto3/botocore clients whose HTTP session is replaced by ``_support.StubHttp`` (canned response
  bytes, no socket): botocore's parameter validation, serialization, signing, event hooks and response
  parsing run as in production;
* embedded: the embedded server (moto) in a child process.

Contenders (the record is ``_records.Order``; every boto3-side contender and "ours" share one boto3 client
with boto3's default configuration):

* raw boto3 client: ``client.put_item(**params)`` etc. with requests built once beforehand (taken from
  ``Table.explain``), results left as raw AttributeValues: the floor for any library on this client;
* boto3 TypeSerializer: ``dataclasses.asdict`` + ``TypeSerializer`` in, ``TypeDeserializer`` + the
  dataclass out;
* hand-written: the hand-written encoder/decoder for this record around the same client calls;
* PynamoDB 6: ``Model.save``, ``Model.get``, ``Model.query`` (one page, ``limit=25``),
  ``Model.batch_write``, on its own connection (``Meta.host`` at the stub or the server, dummy credentials);
* ours: ``Table(model, client=client)`` on the shared client;
* ours, own client: ``Table(model)`` building its own client (endpoint and credentials from the
  environment), as a Lambda handler would.

A batch_write of 100 is four BatchWriteItem requests of 25. Each round runs every contender ``n`` times per
operation, in a rotated order. Prints medians, spreads and ratios to the raw client and to the hand-written
codec; asserts nothing. ``.venv/bin/python bench/ops.py [--rounds 7] [--stub-only | --server-only]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any

from _records import (
    ORDERS,
    TABLE,
    BotoOrder,
    hand_decode,
    hand_encode,
    make_orders,
    pynamodb_order_model,
    to_boto,
    to_pynamodb,
    wire,
)
from _support import (
    CREDENTIALS,
    StubHttp,
    boto3_client,
    embedded_server,
    interleave,
    machine_line,
    print_table,
)
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from dynamorm_py import Table

RAW, BOTO, HAND, PYNAMO, OURS, OWN = (
    "raw boto3 client",
    "boto3 TypeSerializer",
    "hand-written",
    "PynamoDB 6",
    "ours",
    "ours, own client",
)
CUSTOMER = "CUSTOMER#1"
PYN_TABLE = "bench_orders_pynamodb"
OPERATIONS = ("put", "get", "query page of 25", "batch_write of 100")


def own_table(endpoint: str) -> Table[Any]:
    """``Table(model)`` with no client, configured from the environment as in a Lambda function."""
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION=CREDENTIALS["region_name"],
    )
    return Table(ORDERS)


def pynamodb_client(model: Any) -> Any:
    """The botocore client under a PynamoDB model's connection."""
    return model._get_connection().connection.client


def write_loop(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    """What a raw-client user writes for a batch: chunks of 25, resending UnprocessedItems."""
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])


def contenders(
    client: Any, table: Table[Any], own: Table[Any], pyn: Any
) -> dict[str, dict[str, Callable[[], object]]]:
    """``{operation: {contender: one call}}``; ``pyn`` is the PynamoDB model class."""
    orders = make_orders(100, customer=CUSTOMER)
    one = orders[0]
    boto_one, boto_orders = to_boto(one), [to_boto(o) for o in orders]
    pyn_one, pyn_orders = to_pynamodb(pyn, one), [to_pynamodb(pyn, o) for o in orders]
    serialize, deserialize = TypeSerializer().serialize, TypeDeserializer().deserialize
    put_params = table.explain.put(one).params
    get_params = table.explain.get(one.pk, one.sk).params
    query_params = table.explain.query(CUSTOMER, limit=25).params
    encoded = [ORDERS.codec.encode_item(o).item for o in orders]
    key_names = {"#pk": "PK"}

    def boto_item(values: dict[str, Any]) -> BotoOrder:
        return BotoOrder(**{k: deserialize(v) for k, v in values.items()})

    def boto_query() -> list[BotoOrder]:
        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames=key_names,
            ExpressionAttributeValues={":pk": serialize(CUSTOMER)},
            Limit=25,
        )
        return [boto_item(av) for av in response["Items"]]

    def hand_query() -> list[Any]:
        response = client.query(
            TableName=TABLE,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames=key_names,
            ExpressionAttributeValues={":pk": {"S": CUSTOMER}},
            Limit=25,
        )
        return [hand_decode(av) for av in response["Items"]]

    def pyn_batch() -> None:
        with pyn.batch_write() as batch:
            for item in pyn_orders:
                batch.save(item)

    return {
        "put": {
            RAW: lambda: client.put_item(**put_params),
            BOTO: lambda: client.put_item(
                TableName=TABLE, Item={k: serialize(v) for k, v in dataclasses.asdict(boto_one).items()}
            ),
            HAND: lambda: client.put_item(TableName=TABLE, Item=hand_encode(one)),
            PYNAMO: lambda: pyn_one.save(),
            OURS: lambda: table.put(one),
            OWN: lambda: own.put(one),
        },
        "get": {
            RAW: lambda: client.get_item(**get_params),
            BOTO: lambda: boto_item(
                client.get_item(TableName=TABLE, Key={"PK": serialize(one.pk), "SK": serialize(one.sk)})[
                    "Item"
                ]
            ),
            HAND: lambda: hand_decode(
                client.get_item(TableName=TABLE, Key={"PK": {"S": one.pk}, "SK": {"S": one.sk}})["Item"]
            ),
            PYNAMO: lambda: pyn.get(one.pk, one.sk),
            OURS: lambda: table.get(one.pk, one.sk),
            OWN: lambda: own.get(one.pk, one.sk),
        },
        "query page of 25": {
            RAW: lambda: client.query(**query_params),
            BOTO: boto_query,
            HAND: hand_query,
            PYNAMO: lambda: list(pyn.query(CUSTOMER, limit=25)),
            OURS: lambda: table.query(CUSTOMER, limit=25).items,
            OWN: lambda: own.query(CUSTOMER, limit=25).items,
        },
        "batch_write of 100": {
            RAW: lambda: write_loop(client, TABLE, encoded),
            BOTO: lambda: write_loop(
                client,
                TABLE,
                [{k: serialize(v) for k, v in dataclasses.asdict(o).items()} for o in boto_orders],
            ),
            HAND: lambda: write_loop(client, TABLE, [hand_encode(o) for o in orders]),
            PYNAMO: pyn_batch,
            OURS: lambda: table.batch_write(puts=orders),
            OWN: lambda: own.batch_write(puts=orders),
        },
    }


def repeated(run: Callable[[], object], n: int) -> Callable[[], None]:
    def many() -> None:
        for _ in range(n):
            run()

    return many


def measure_all(
    title: str, runs: dict[str, dict[str, Callable[[], object]]], counts: dict[str, int], rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    results = {}
    for operation, by_contender in runs.items():
        n = counts[operation]
        samples = interleave({name: repeated(run, n) for name, run in by_contender.items()}, rounds)
        results[operation] = print_table(
            f"{title}: {operation} ({n} per sample)", samples, per=n, baselines=[RAW, HAND]
        )
    return results


def stub_bodies(items: list[dict[str, Any]]) -> dict[str, bytes | Callable[[], bytes]]:
    page = {"Items": [wire(av) for av in items[:25]], "Count": 25, "ScannedCount": 25}
    return {
        "PutItem": b"{}",
        "GetItem": json.dumps({"Item": wire(items[0])}).encode(),
        "Query": json.dumps(page).encode(),
        "BatchWriteItem": b'{"UnprocessedItems": {}}',
    }


def bench_stub(rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    endpoint = "http://bench.invalid"
    orders = make_orders(100, customer=CUSTOMER)
    ours_stub = StubHttp(stub_bodies([ORDERS.codec.encode_item(o).item for o in orders]))
    client = ours_stub.install(boto3_client(endpoint))
    own = own_table(endpoint)
    ours_stub.install(own._client)
    pyn = pynamodb_order_model(TABLE, host=endpoint)
    pyn_items = [to_pynamodb(pyn, o).serialize() for o in orders]
    StubHttp(stub_bodies(pyn_items)).install(pynamodb_client(pyn))
    runs = contenders(client, Table(ORDERS, client=client), own, pyn)
    counts = {"put": 150, "get": 150, "query page of 25": 30, "batch_write of 100": 8}
    return measure_all("(b) stub transport", runs, counts, rounds)


def bench_server(rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    from dynamorm_py.schema import ensure_table

    with embedded_server() as endpoint:
        client = boto3_client(endpoint)
        ensure_table(ORDERS, client=client)
        table = Table(ORDERS, client=client)
        orders = make_orders(100, customer=CUSTOMER)
        table.batch_write(puts=orders)
        pyn = pynamodb_order_model(PYN_TABLE, host=endpoint)
        pyn.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        with pyn.batch_write() as batch:
            for order in orders:
                batch.save(to_pynamodb(pyn, order))
        runs = contenders(client, table, own_table(endpoint), pyn)
        counts = {"put": 40, "get": 40, "query page of 25": 10, "batch_write of 100": 3}
        return measure_all("(b) embedded server in a child process", runs, counts, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stub-only", action="store_true")
    parser.add_argument("--server-only", action="store_true")
    args = parser.parse_args()
    print(f"(b) client CPU per operation; {machine_line()}")
    if not args.server_only:
        bench_stub(args.rounds)
    if not args.stub_only:
        bench_server(max(3, args.rounds - 2))


if __name__ == "__main__":
    main()
