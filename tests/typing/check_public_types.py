"""Static type checks of the public surface (run by ``make typecheck`` with mypy --strict; never executed).

``assert_type`` pins what users' type checkers see: a ``Table[T]`` returns ``T``, pages are ``Page[T]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, assert_type

from dynamorm_py import (
    AsyncDynamormClient,
    AsyncTable,
    DynamormClient,
    ModelDefinition,
    OutcomeUnknownError,
    Page,
    PreparedRequest,
    RetryPolicy,
    Table,
    TransactConditionCheck,
    attribute_equals,
    dynamorm_field,
    sk_prefix,
)
from dynamorm_py.model import ItemMatcher
from dynamorm_py.query import FilterCondition, FilterExpression, FilterGroup
from dynamorm_py.streams import StreamRecord, StreamRecords
from dynamorm_py.update_builder import AsyncUpdateBuilder, UpdateBuilder


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    title: str = dynamorm_field(roles=["sk"])
    body: str = ""


def check(table: Table[Note], note: Note) -> None:
    assert_type(ModelDefinition.from_dataclass(Note), ModelDefinition[Note])
    assert_type(ModelDefinition.from_dataclass(Note, matches=sk_prefix("A")), ModelDefinition[Note])
    assert_type(
        ModelDefinition.from_dataclass(Note, matches=lambda item: "body" in item), ModelDefinition[Note]
    )
    assert_type(sk_prefix("A") & ~attribute_equals("kind", "note"), ItemMatcher)
    assert_type(table.query("a").unrecognized, tuple[dict[str, Any], ...])
    assert_type(table.parse_stream_event({"Records": []}), StreamRecords[Note])
    assert_type(table.parse_stream_event({"Records": []})[0], StreamRecord[Note])
    assert_type(table.put(note), Note)
    assert_type(table.get("a", "b"), Note)
    assert_type(table.get(("a", "b")), Note)
    assert_type(table.get("a", "b", default=None), Note | None)
    assert_type(table.get("a", "b", default=note), Note)
    assert_type(table.get("a", "b", default=0), Note | int)
    assert_type(table.exists("a", "b"), bool)
    assert_type(table.delete_item(note), None)
    assert_type(table.update("a", "b", {"body": "x"}, upsert=True), Note)
    assert_type(table.explain.exists("a", "b"), PreparedRequest)
    assert_type(table.explain.delete_item(note), PreparedRequest)
    assert_type(table.update("a", "b", {"body": "x"}), Note)
    assert_type(table.update_item(note), Note)
    assert_type(table.delete("a", "b"), None)
    assert_type(table.update_builder("a", "b"), UpdateBuilder[Note])
    assert_type(table.update_builder("a", "b").execute(), Note | None)
    assert_type(table.query("a"), Page[Note])
    assert_type(table.query("a").items, list[Note])
    assert_type(table.query_all("a"), list[Note])
    assert_type(table.iter_query("a"), Iterator[Note])
    assert_type(table.scan(), Page[Note])
    assert_type(table.scan_all_segments(total_segments=2), list[Note])
    assert_type(table.batch_get([("a", "b")]), list[Note])
    assert_type(table.transact_get([("a", "b")]), list[Note | None])
    assert_type(table.explain.put(note), PreparedRequest)
    assert_type(table.model, ModelDefinition[Note])
    # Typed write conditions: the filter objects, combined with &, | and ~.
    condition = FilterCondition.eq("body", "x") & ~FilterCondition.exists("title")
    assert_type(condition, FilterGroup)
    assert_type(~condition, FilterExpression)
    assert_type(FilterCondition.eq("body", "x") | condition, FilterGroup)
    assert_type(table.put(note, condition=condition), Note)
    assert_type(table.update("a", "b", {"body": "y"}, condition=~condition), Note)
    assert_type(table.delete_item(note, condition=FilterCondition.exists("body")), None)
    TransactConditionCheck("a", "b", condition=condition)
    assert_type(
        Table(table.model, client=table.client, retry_policy=RetryPolicy(max_attempts=1)), Table[Note]
    )
    assert_type(RetryPolicy().delay(1), float)
    assert_type(OutcomeUnknownError("x").attempt_errors, tuple[BaseException, ...])


async def check_async(table: AsyncTable[Note], note: Note) -> None:
    assert_type(await table.put(note), Note)
    assert_type(await table.get("a", "b"), Note)
    assert_type(await table.get("a", "b", default=None), Note | None)
    assert_type(await table.update("a", "b", {"body": "x"}), Note)
    assert_type(await table.delete("a", "b"), None)
    assert_type(table.update_builder("a", "b"), AsyncUpdateBuilder[Note])
    assert_type(await table.update_builder("a", "b").set("body", "x").execute(), Note | None)
    assert_type(table.update_builder("a", "b").explain(), PreparedRequest)
    assert_type(await table.query("a"), Page[Note])
    assert_type(await table.query_all("a"), list[Note])
    assert_type(table.iter_query("a"), AsyncIterator[Note])
    assert_type([n async for n in table.iter_scan()], list[Note])
    assert_type(await table.scan_all_segments(total_segments=2), list[Note])
    assert_type(await table.batch_get([("a", "b")]), list[Note])
    assert_type(await table.transact_get([("a", "b")]), list[Note | None])
    assert_type(table.explain.put(note), PreparedRequest)
    assert_type(table.model, ModelDefinition[Note])
    async with AsyncTable.connect(table.model, region_name="us-east-1") as connected:
        assert_type(connected, AsyncTable[Note])


def check_client(client: DynamormClient, model: ModelDefinition[Note]) -> None:
    # Routing is typed: the table of a model or of its dataclass is a Table of that dataclass.
    assert_type(client.register(model), DynamormClient)
    assert_type(client.table(model), Table[Note])
    assert_type(client.table(Note), Table[Note])
    assert_type(client.query("notes", "a").items, list[Any])
    assert_type(client.transact_get([(Note, "a", "b")]), list[Any | None])


async def check_async_client(client: AsyncDynamormClient, model: ModelDefinition[Note]) -> None:
    assert_type(client.table(Note), AsyncTable[Note])
    assert_type(await client.batch_get([(Note, "a", "b")]), list[Any])
    async with AsyncDynamormClient.connect(model, region_name="us-east-1") as connected:
        assert_type(connected, AsyncDynamormClient)
