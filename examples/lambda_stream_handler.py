"""A Lambda handler for a DynamoDB stream whose items have encrypted fields, and a local run of it.

In Lambda, ``lambda_handler`` is the entry point: it builds the ``Table`` once per container from
``TABLE_NAME`` and ``KMS_KEY_ARN`` (boto3's default clients, so the function's role needs ``kms:Decrypt`` on
the key) and turns each stream record into a typed ``StreamRecord[Order]`` whose images are already
decrypted.

Run as a script, it plays the whole round trip locally: against ``DYNAMODB_ENDPOINT`` when it is set (the
endpoint must also serve KMS and Streams, as ``dynamorm local`` does), otherwise against an embedded server
started for the length of the script. It creates a table with a stream and a KMS key, writes, updates and
deletes an item, reads the stream with GetRecords, converts the records to the JSON shape Lambda delivers
(base64 binaries, epoch seconds) and calls the handler, which prints the decrypted typed records.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from dynamorm_py import ModelDefinition, StreamRecord, Table, delete_table, dynamorm_field, ensure_table


@dataclass
class Order:
    order_id: str = dynamorm_field(name="PK", roles=["pk"])
    customer: str = ""
    status: str = "new"
    receipt: bytes = b""
    card_last4: str | None = dynamorm_field(name="cardLast4", encrypted=True, default=None)
    address: dict[str, str] = dynamorm_field(encrypted=True, default_factory=dict)
    notes: list[str] = field(default_factory=list)


ORDERS = ModelDefinition.from_dataclass(Order)

_table: Table[Order] | None = None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point for a DynamoDB stream event source."""
    global _table
    if _table is None:
        _table = Table(ORDERS, table_name=os.environ["TABLE_NAME"], kms_key_arn=os.environ["KMS_KEY_ARN"])
    records = _table.parse_stream_event(event)
    for record in records:
        print(describe(record))
    return {"processed": len(records)}


def describe(record: StreamRecord[Order]) -> str:
    """One line per record; the images are typed ``Order`` objects with their encrypted fields decrypted."""
    order_id = record.keys["order_id"]
    if record.event_name == "INSERT" and record.new is not None:
        new = record.new
        return (
            f"INSERT {order_id}: customer={new.customer!r} status={new.status!r} "
            f"card_last4={new.card_last4!r} address={new.address!r}"
        )
    if record.event_name == "MODIFY" and record.new is not None and record.old is not None:
        old, new = record.old, record.new
        return (
            f"MODIFY {order_id}: status {old.status!r} -> {new.status!r}, "
            f"address {old.address!r} -> {new.address!r}"
        )
    expiry = " (TTL expiry)" if record.is_ttl_expiry else ""
    last = record.old.status if record.old is not None else None
    return f"{record.event_name} {order_id}{expiry}: last status {last!r}"


# --- the local run ---------------------------------------------------------------------------------------

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
REGION = "us-east-1"


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    """DYNAMODB_ENDPOINT, or an embedded server started for this script."""
    configured = os.environ.get("DYNAMODB_ENDPOINT")
    if configured:
        yield configured
        return
    from dynamorm_py.local import LocalDynamoDB

    with LocalDynamoDB() as local:
        print(f"started the embedded local DynamoDB at {local.endpoint_url}")
        yield local.endpoint_url


def client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, **LOCAL_CREDENTIALS)


def read_stream(streams: Any, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream so far (GetRecords returns raw bytes and datetimes)."""
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            records += page["Records"]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def to_typed_json(av: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue as Lambda delivers it: binaries as standard base64."""
    ((tag, value),) = av.items()
    if tag == "B":
        return {"B": base64.b64encode(value).decode("ascii")}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode("ascii") for v in value]}
    if tag == "L":
        return {"L": [to_typed_json(v) for v in value]}
    if tag == "M":
        return {"M": {k: to_typed_json(v) for k, v in value.items()}}
    return {tag: value}


def to_lambda_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """GetRecords records in the JSON shape of a Lambda event."""
    converted = []
    for record in records:
        body = dict(record["dynamodb"])
        body["ApproximateCreationDateTime"] = int(body["ApproximateCreationDateTime"].timestamp())
        for image in ("Keys", "NewImage", "OldImage"):
            if image in body:
                body[image] = {name: to_typed_json(av) for name, av in body[image].items()}
        converted.append({**record, "dynamodb": body, "eventSourceARN": stream_arn})
    event: dict[str, Any] = json.loads(json.dumps({"Records": converted}))
    return event


def main() -> None:
    table_name = f"lambda_orders_{uuid.uuid4().hex[:8]}"
    with endpoint() as url:
        dynamodb = client("dynamodb", url)
        ensure_table(ORDERS, client=dynamodb, table_name=table_name, stream_view_type="NEW_AND_OLD_IMAGES")
        try:
            key_arn = client("kms", url).create_key(Description="orders")["KeyMetadata"]["Arn"]
            orders = Table(
                ORDERS,
                client=dynamodb,
                table_name=table_name,
                kms_key_arn=key_arn,
                kms_client=client("kms", url),
            )
            orders.put(
                Order(
                    order_id="o-1",
                    customer="ada",
                    receipt=b"\x00\x01",
                    card_last4="4242",
                    address={"city": "London"},
                )
            )
            orders.update("o-1", None, {"status": "shipped", "address": {"city": "Paris"}})
            orders.delete("o-1")

            stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
            event = to_lambda_event(read_stream(client("dynamodbstreams", url), stream_arn), stream_arn)

            # What the Lambda runtime would provide: configuration in the environment, boto3's default
            # clients (pointed at the local endpoint here), and the event.
            os.environ.update(
                TABLE_NAME=table_name,
                KMS_KEY_ARN=key_arn,
                AWS_ENDPOINT_URL=url,
                AWS_ACCESS_KEY_ID=LOCAL_CREDENTIALS["aws_access_key_id"],
                AWS_SECRET_ACCESS_KEY=LOCAL_CREDENTIALS["aws_secret_access_key"],
                AWS_DEFAULT_REGION=REGION,
            )
            os.environ.pop("AWS_PROFILE", None)
            result = lambda_handler(event, None)
            print(f"handler returned {result}")
        finally:
            delete_table(ORDERS, client=dynamodb, table_name=table_name, ignore_missing=True)


if __name__ == "__main__":
    main()
