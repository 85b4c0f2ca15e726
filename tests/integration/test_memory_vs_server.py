"""The in-memory DynamoDB against the embedded server: the same sequence of calls, the same answers.

Each scenario runs once on a fresh ``MemoryDynamoDB`` and once on the reset server, and everything it
observes (responses without their metadata, error codes, what the library returns, the items stored at the
end) must be equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_py.errors import DynamormPyError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB
from dynamorm_py.memory import MemoryDynamoDB
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi, lsi
from dynamorm_py.query import SortKeyCondition
from dynamorm_py.transaction import TransactDelete, TransactPut, TransactUpdate

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB | MemoryDynamoDB


@dataclass
class Event:
    stream: str = dynamorm_field(roles=["pk"])
    seq: int = dynamorm_field(roles=["sk"])
    kind: str = ""
    score: int = 0
    tags: set[str] = dynamorm_field(omitempty=True, default_factory=set)
    version: int = dynamorm_field(roles=["version"], default=0)


EVENTS = ModelDefinition.from_dataclass(
    Event,
    table_name="memory_vs_server_events",
    indexes=[gsi("by-kind", partition="kind", sort="score"), lsi("by-score", sort="score")],
)

RAW_TABLE = "memory_vs_server_raw"


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}


def _observe(action: Callable[[], Any]) -> Any:
    """What a test could see of one call: its result, or the type and code of its error."""
    try:
        result = action()
    except ClientError as exc:
        error = exc.response["Error"]["Code"]
        return (
            "ClientError",
            error,
            sorted(k for k in exc.response if k not in ("ResponseMetadata", "Error")),
        )
    except DynamormPyError as exc:
        return (type(exc).__name__, exc.code, getattr(exc, "reasons", None) and [r.code for r in exc.reasons])
    if isinstance(result, dict):
        return _strip(result)
    return result


def library_scenario(server: Server) -> list[Any]:
    table = server.table(EVENTS)
    seen: list[Any] = []
    for seq in range(12):
        seen.append(
            _observe(lambda seq=seq: table.put(Event("s1", seq, "odd" if seq % 2 else "even", seq * 3)))
        )
    seen.append(_observe(lambda: table.put(Event("s2", 1, "even", 4, {"x"}))))
    seen.append(_observe(lambda: table.get("s1", 3)))
    seen.append(_observe(lambda: table.get("s1", 99, default=None)))
    seen.append(_observe(lambda: table.update("s1", 3, {"score": 100}, expected_version=0)))
    seen.append(_observe(lambda: table.update("s1", 3, {"score": 101}, expected_version=0)))
    seen.append(_observe(lambda: table.put(Event("s1", 3), if_not_exists=True)))
    seen.append(_observe(lambda: table.delete("s1", 5, expected_version=7)))
    seen.append(_observe(lambda: table.delete("s1", 5, expected_version=0)))

    page = table.query("s1", limit=4)
    pages = [[e.seq for e in page.items]]
    while page.next_cursor is not None:
        page = table.query("s1", limit=4, cursor=page.next_cursor)
        pages.append([e.seq for e in page.items])
    seen.append(pages)
    between = SortKeyCondition.between(2, 7)
    seen.append([e.seq for e in table.query("s1", sort=between, scan_forward=False).items])
    seen.append([(e.seq, e.score) for e in table.query("odd", index_name="by-kind").items])
    seen.append([(e.seq, e.score) for e in table.query("s1", index_name="by-score", limit=3).items])
    seen.append(sorted(e.seq for e in table.scan_all()))
    seen.append(sorted((e.stream, e.seq) for e in table.scan_all_segments(total_segments=3)))
    seen.append(table.count("s1"))

    seen.append(_observe(lambda: table.batch_write(puts=[Event("s3", n, "b", n) for n in range(30)])))
    seen.append(sorted(e.seq for e in table.batch_get([("s3", n) for n in range(0, 40, 3)])))
    seen.append(
        _observe(
            lambda: table.transact_write(
                [TransactPut(Event("s4", 1)), TransactUpdate("s1", 3, {"kind": "t"}, expected_version=0)]
            )
        )
    )
    seen.append(
        _observe(
            lambda: table.transact_write(
                [TransactPut(Event("s4", 1)), TransactDelete("s1", 4, expected_version=0)]
            )
        )
    )
    seen.append(sorted((e.stream, e.seq, e.kind, e.score, e.version) for e in table.scan_all()))
    return seen


def raw_scenario(server: Server) -> list[Any]:
    client = server.client()
    seen: list[Any] = []
    client.create_table(
        TableName=RAW_TABLE,
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "p", "AttributeType": "S"},
            {"AttributeName": "s", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for s in range(5):
        item = {
            "p": {"S": "a"},
            "s": {"N": str(s)},
            "n": {"N": str(s * 10)},
            "m": {"M": {"k": {"L": [{"S": "v"}]}}},
        }
        seen.append(_observe(lambda item=item: client.put_item(TableName=RAW_TABLE, Item=item)))
    key = {"p": {"S": "a"}, "s": {"N": "1"}}
    seen.append(
        _observe(
            lambda: client.put_item(
                TableName=RAW_TABLE, Item={**key, "n": {"N": "7"}}, ReturnValues="ALL_OLD"
            )
        )
    )
    seen.append(
        _observe(
            lambda: client.update_item(
                TableName=RAW_TABLE,
                Key=key,
                UpdateExpression="SET n = n + :d, tags = :t REMOVE m",
                ExpressionAttributeValues={":d": {"N": "5"}, ":t": {"SS": ["z"]}},
                ReturnValues="ALL_NEW",
            )
        )
    )
    seen.append(
        _observe(
            lambda: client.update_item(
                TableName=RAW_TABLE,
                Key=key,
                UpdateExpression="ADD tags :t",
                ConditionExpression="n > :big",
                ExpressionAttributeValues={":t": {"SS": ["y"]}, ":big": {"N": "100"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        )
    )
    seen.append(
        _observe(
            lambda: client.query(
                TableName=RAW_TABLE,
                KeyConditionExpression="p = :p AND s BETWEEN :lo AND :hi",
                FilterExpression="n >= :n",
                ProjectionExpression="s, m.k[0]",
                ExpressionAttributeValues={
                    ":p": {"S": "a"},
                    ":lo": {"N": "1"},
                    ":hi": {"N": "4"},
                    ":n": {"N": "12"},
                },
            )
        )
    )
    seen.append(
        _observe(
            lambda: client.query(
                TableName=RAW_TABLE,
                KeyConditionExpression="p = :p",
                ExpressionAttributeValues={":p": {"S": "a"}},
                Select="COUNT",
                Limit=2,
            )
        )
    )
    seen.append(
        _observe(
            lambda: client.get_item(
                TableName=RAW_TABLE, Key=key, ProjectionExpression="#n", ExpressionAttributeNames={"#n": "n"}
            )
        )
    )
    seen.append(_observe(lambda: client.get_item(TableName="no_such_table", Key=key)))
    seen.append(_observe(lambda: client.get_item(TableName=RAW_TABLE, Key={"p": {"S": "a"}})))
    seen.append(
        _observe(
            lambda: client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": RAW_TABLE, "Item": {"p": {"S": "b"}, "s": {"N": "1"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": RAW_TABLE,
                            "Key": key,
                            "ConditionExpression": "attribute_not_exists(p)",
                        }
                    },
                ]
            )
        )
    )
    return seen


@pytest.mark.parametrize("scenario", [library_scenario, raw_scenario])
def test_the_memory_client_answers_as_the_server_does(
    dynamorm_local: LocalDynamoDB | RemoteDynamoDB, scenario: Callable[[Server], list[Any]]
) -> None:
    from_server = scenario(dynamorm_local)
    from_memory = scenario(MemoryDynamoDB())

    assert len(from_memory) == len(from_server)
    for step, (memory_saw, server_saw) in enumerate(zip(from_memory, from_server, strict=True)):
        assert memory_saw == server_saw, f"step {step}"
