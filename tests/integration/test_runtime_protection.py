"""Lambda helpers, instrumented clients, limiters and rate-limited reads against the embedded server."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dynamorm_py import SortKeyCondition
from dynamorm_py.errors import ConditionFailedError
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.protection import ConcurrencyLimiter, SimpleLimiter
from dynamorm_py.runtime import (
    AwsCallMetric,
    _reset_lambda_clients_for_tests,
    create_lambda_boto3_config,
    get_lambda_dynamodb_client,
    instrument_boto3_client,
)
from dynamorm_py.table import Table

pytestmark = pytest.mark.integration

SECRET = "4111-1111-1111-1111"  # an item value that must never reach a metric, a log line or a span

# The tracer provider can be set once per process: every span of this module goes to this exporter.
EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(_PROVIDER)


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    n: int = dynamorm_field(roles=["sk"])
    text: str = ""


NOTES = ModelDefinition.from_dataclass(Note, table_name="runtime-notes")


def instrumented_table(server: Any, **kwargs: Any) -> tuple[Table[Note], list[AwsCallMetric]]:
    server.table(NOTES)  # creates the table
    metrics: list[AwsCallMetric] = []
    client = instrument_boto3_client(server.client(), service="dynamodb", on_call=metrics.append)
    return Table(NOTES, client=client, **kwargs), metrics


def test_an_instrumented_client_reports_puts_gets_queries_and_failed_conditions(
    dynamorm_local: Any, caplog: pytest.LogCaptureFixture
) -> None:
    table, metrics = instrumented_table(dynamorm_local)
    EXPORTER.clear()
    caplog.set_level(logging.INFO, logger="dynamorm_py.metrics")
    table.put(Note("a", 1, SECRET))
    assert table.get("a", 1).text == SECRET
    assert [n.n for n in table.query_all("a", sort=SortKeyCondition.gte(0))] == [1]
    with pytest.raises(ConditionFailedError):
        table.put(Note("a", 1, SECRET), if_not_exists=True)

    assert [(m.operation, m.ok, m.error_code) for m in metrics] == [
        ("put_item", True, None),
        ("get_item", True, None),
        ("query", True, None),
        ("put_item", False, "ConditionalCheckFailedException"),
    ]
    assert all(m.service == "dynamodb" and m.table_names == ("runtime-notes",) for m in metrics)
    assert all(m.seconds >= 0 and m.retries == 0 for m in metrics)

    records = [r for r in caplog.records if r.name == "dynamorm_py.metrics"]
    assert [r.aws_call for r in records] == metrics  # type: ignore[attr-defined]
    assert "ConditionalCheckFailedException" in records[-1].getMessage()
    assert all(SECRET not in r.getMessage() for r in records)

    spans = EXPORTER.get_finished_spans()
    assert [s.attributes["db.operation"] for s in spans] == ["PutItem", "GetItem", "Query", "PutItem"]
    for span in spans:
        assert span.kind is trace.SpanKind.CLIENT
        assert span.attributes["db.system"] == "aws.dynamodb"
        assert tuple(span.attributes["aws.dynamodb.table_names"]) == ("runtime-notes",)
        assert SECRET not in repr(dict(span.attributes))
    assert spans[-1].status.status_code is trace.StatusCode.ERROR
    assert spans[-1].attributes["error.type"] == "ConditionalCheckFailedException"


def test_consumed_capacity_is_reported_when_the_request_asks_for_it(dynamorm_local: Any) -> None:
    dynamorm_local.table(NOTES)
    metrics: list[AwsCallMetric] = []
    client = instrument_boto3_client(dynamorm_local.client(), service="dynamodb", on_call=metrics.append)
    EXPORTER.clear()
    item = {"owner": {"S": "a"}, "n": {"N": "1"}}
    client.put_item(TableName="runtime-notes", Item=item, ReturnConsumedCapacity="TOTAL")
    client.put_item(TableName="runtime-notes", Item=item)
    assert [m.consumed_capacity for m in metrics] == [1.0, None]
    consumed = EXPORTER.get_finished_spans()[0].attributes["aws.dynamodb.consumed_capacity"]
    assert [c for c in consumed] == ['{"CapacityUnits": 1.0, "TableName": "runtime-notes"}']
    assert client.get_paginator("scan") is not None
    assert len(metrics) == 2  # a helper that sends nothing is not an AWS call


def test_rate_limited_reads_ask_for_capacity_and_return_every_item(dynamorm_local: Any) -> None:
    table, metrics = instrumented_table(dynamorm_local)
    table.batch_write(puts=[Note("a", i) for i in range(9)])
    metrics.clear()
    assert sorted(n.n for n in table.scan_all(limit=4, rate_limit=1000)) == list(range(9))
    assert [n.n for n in table.query_all("a", limit=4, rate_limit=1000)] == list(range(9))
    assert [n.n for n in table.iter_query("a", limit=4, rate_limit=1000)] == list(range(9))
    segments = table.scan_all_segments(total_segments=2, limit=4, rate_limit=1000)
    assert sorted(n.n for n in segments) == list(range(9))
    assert metrics and all(m.consumed_capacity is not None and m.consumed_capacity > 0 for m in metrics)


def test_limited_tables_send_every_request_and_give_every_slot_back(dynamorm_local: Any) -> None:
    slots = ConcurrencyLimiter(1)
    table, metrics = instrumented_table(dynamorm_local, limiter=slots)
    table.batch_write(puts=[Note("b", i) for i in range(60)], max_workers=3)
    assert [m.operation for m in metrics] == ["batch_write_item"] * 3
    assert sorted(n.n for n in table.scan_all_segments(total_segments=3)) == list(range(60))
    with pytest.raises(ConditionFailedError):
        table.put(Note("b", 1), if_not_exists=True)
    assert slots.try_acquire()  # nothing kept a slot, errors included
    slots.release()

    paced = Table(NOTES, client=dynamorm_local.client(), limiter=SimpleLimiter(200, 2))
    for i in range(5):
        paced.put(Note("c", i))
    assert [n.n for n in paced.query_all("c")] == list(range(5))


def test_an_async_table_with_a_limiter_and_a_rate_limited_scan(dynamorm_local: Any) -> None:
    async def main() -> list[int]:
        slots = ConcurrencyLimiter(2)
        async with dynamorm_local.async_table(NOTES, limiter=slots) as table:
            await asyncio.gather(*(table.put(Note("d", i)) for i in range(10)))
            items = await table.scan_all(limit=3, rate_limit=1000)
        assert slots.try_acquire() and slots.try_acquire()
        return sorted(n.n for n in items)

    assert asyncio.run(main()) == list(range(10))


def test_the_lambda_client_is_cached_per_configuration(
    dynamorm_local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamorm_local.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    _reset_lambda_clients_for_tests()
    try:
        region = dynamorm_local.region
        client = get_lambda_dynamodb_client(region=region)
        assert get_lambda_dynamodb_client(region=region) is client
        config = create_lambda_boto3_config(read_timeout=5.0)
        assert get_lambda_dynamodb_client(region=region, config=config) is not client
        assert client.meta.config.retries["mode"] == "adaptive"
        metrics: list[AwsCallMetric] = []
        measured = get_lambda_dynamodb_client(region=region, metrics=metrics.append)
        assert (
            get_lambda_dynamodb_client(region=region, metrics=metrics.append) is not measured
        )  # new callable
        measured.list_tables()
        assert [(m.operation, m.ok) for m in metrics] == [("list_tables", True)]
        _reset_lambda_clients_for_tests()
        assert get_lambda_dynamodb_client(region=region) is not client
    finally:
        _reset_lambda_clients_for_tests()
