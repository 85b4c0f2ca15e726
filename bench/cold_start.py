"""Cold start (g): a fresh interpreter imports the package, builds a model and a table, and does one get
against the embedded server (in a child process), as a Lambda function's first invocation would.

Each sample is a new ``python`` process (compiled bytecode, as in ``imports.py``: ``PYTHONDONTWRITEBYTECODE``
unset, ``PYTHONPYCACHEPREFIX`` at a temporary directory filled by an untimed first run); endpoint and dummy
credentials come from the environment. Contenders, interleaved over ``--runs`` processes each:

* raw boto3 client: ``boto3.client("dynamodb").get_item(...)``, the item left as raw AttributeValues;
* boto3 TypeSerializer: the same, through ``TypeDeserializer`` into the dataclass;
* hand-written: the same, through the hand-written decoder into the dataclass;
* PynamoDB 6: the model class defined, then ``Model.get``;
* ours: the dataclass, ``ModelDefinition.from_dataclass``, ``Table(model, client=boto3.client(...))``,
  ``table.get``; and ``ours, own client``: ``Table(model)`` building its own client.

Reported: wall time of the whole process (interpreter start to exit, measured by the parent) and the time
inside the child from before its first import to after the get; medians (min-max) and ratios to the raw
client. Asserts nothing. ``.venv/bin/python bench/cold_start.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import tempfile
import time

import _records
from _records import ORDERS, make_orders, pynamodb_order_model, to_pynamodb
from _support import CREDENTIALS, boto3_client, embedded_server, machine_line, spread

from dynamorm_py import Table
from dynamorm_py.schema import ensure_table

PYN_TABLE = "bench_orders_pynamodb"
PLAIN_ORDER = """
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

@dataclass
class Order:
    pk: str = ""
    sk: str = ""
    customer: str = ""
    email: str = ""
    status: str = "open"
    quantity: int = 0
    total: Decimal = Decimal(0)
    paid: bool = False
    tags: set[str] = dataclasses.field(default_factory=set)
    lines: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    shipping: dict[str, Any] = dataclasses.field(default_factory=dict)
    checksum: bytes = b""
    coupon: str | None = None
    created: datetime | None = None
"""
KEY = 'Key={"PK": {"S": PK}, "SK": {"S": SK}}'


def programs(pk: str, sk: str) -> dict[str, str]:
    head = f"import time\nT0 = time.perf_counter()\nPK, SK = {pk!r}, {sk!r}\n"
    tail = "\nprint((time.perf_counter() - T0) * 1e3)\n"
    raw = (
        'import boto3\nclient = boto3.client("dynamodb")\n'
        f'item = client.get_item(TableName="{ORDERS.table_name}", {KEY})["Item"]\n'
    )
    ours_model = inspect.getsource(_records.Order).replace("@dataclass\n", "", 1)
    ours = (
        "import dataclasses\nfrom dataclasses import dataclass\nfrom datetime import datetime\n"
        "from decimal import Decimal\nfrom typing import Any\n"
        "from dynamorm_py import ModelDefinition, Table, dynamorm_field\n"
        f"@dataclass\n{ours_model}\n"
        f"model = ModelDefinition.from_dataclass(Order, table_name='{ORDERS.table_name}')\n"
    )
    return {
        "raw boto3 client": head + raw + tail,
        "boto3 TypeSerializer": head
        + raw
        + "from boto3.dynamodb.types import TypeDeserializer\nd = TypeDeserializer().deserialize\n"
        + "values = {k: d(v) for k, v in item.items()}\n"
        + tail,
        "hand-written": head
        + PLAIN_ORDER
        + raw
        + inspect.getsource(_records.hand_decode)
        + "hand_decode(item)\n"
        + tail,
        "PynamoDB 6": head
        + f"from decimal import Decimal\nfrom typing import Any\nTABLE = {PYN_TABLE!r}\n"
        + inspect.getsource(pynamodb_order_model)
        + f"import os\nmodel = pynamodb_order_model({PYN_TABLE!r}, os.environ['AWS_ENDPOINT_URL_DYNAMODB'])\n"
        + "model.get(PK, SK)\n"
        + tail,
        "ours": head + ours + "import boto3\ntable = Table(model, client=boto3.client('dynamodb'))\n"
        "table.get(PK, SK)\n" + tail,
        "ours, own client": head + ours + "table = Table(model)\ntable.get(PK, SK)\n" + tail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"(g) cold start: fresh interpreter, import, model, table, one get; {machine_line()}")
    order = make_orders(1)[0]
    with embedded_server() as endpoint, tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        client = boto3_client(endpoint)
        ensure_table(ORDERS, client=client)
        Table(ORDERS, client=client).put(order)
        pyn = pynamodb_order_model(PYN_TABLE, host=endpoint)
        pyn.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        to_pynamodb(pyn, order).save()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            PYTHONPYCACHEPREFIX=cache,
            AWS_ENDPOINT_URL_DYNAMODB=endpoint,
            AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
            AWS_DEFAULT_REGION=CREDENTIALS["region_name"],
        )
        codes = programs(order.pk, order.sk)

        def once(code: str) -> tuple[float, float]:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            return (time.perf_counter() - started) * 1e3, float(done.stdout.split()[-1])

        for code in codes.values():  # fills the bytecode cache
            once(code)
        wall: dict[str, list[float]] = {name: [] for name in codes}
        inside: dict[str, list[float]] = {name: [] for name in codes}
        names = list(codes)
        for index in range(args.runs):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                total, child = once(codes[name])
                wall[name].append(total)
                inside[name].append(child)

    base = "raw boto3 client"
    print(
        f"\n  wall ms, median (min-max) of {args.runs} processes each; ratio = median / raw client's median"
    )
    print(f"  {'contender':<26}{'whole process':>26}{'x raw':>8}{'import..get':>26}{'x raw':>8}")
    for name in names:
        print(
            f"  {name:<26}{spread(wall[name], '.0f'):>26}"
            f"{statistics.median(wall[name]) / statistics.median(wall[base]):>8.2f}"
            f"{spread(inside[name], '.0f'):>26}"
            f"{statistics.median(inside[name]) / statistics.median(inside[base]):>8.2f}"
        )


if __name__ == "__main__":
    main()
