"""``Table`` and ``AsyncTable`` agree (api.md §3.1): same requests, same results, same errors.

Each scenario's answers are written by hand once; the sync ``Table`` runs against them and the exchange is
recorded (every request and the answer it got). The recording is then replayed through ``Table`` and
through ``AsyncTable``; both must send the very same ``(service, operation, params)`` sequence, wait the same
waits, and return equal results or raise the same error. The arguments of both runs come from one description
(``getattr(table, method)(*args, **kwargs)``, awaited when awaitable), so they cannot drift apart.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import inspect
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_py import (
    AsyncTable,
    FilterCondition,
    ModelDefinition,
    Page,
    RetryPolicy,
    SortKeyCondition,
    Table,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
)
from dynamorm_py.errors import (
    BatchRetryExceededError,
    ConditionFailedError,
    DynamormPyError,
    TransactionCanceledError,
    ValidationError,
)
from dynamorm_py.protection import ConcurrencyLimiter, SimpleLimiter
from dynamorm_py.query import encode_cursor, sign_cursor
from dynamorm_py.update_builder import AsyncUpdateBuilder, UpdateBuilder

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NOW = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
NOW_TEXT = "2026-01-02T03:04:05.123456000Z"
SIGNING_KEY = b"\x0b" * 32
DATA_KEY = bytes(range(32))
EDK = b"encrypted-data-key"


# --- models -------------------------------------------------------------------------------------------------


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(roles=["sk"])
    note: str = ""
    status: str = "new"
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(name="updatedAt", roles=["updated_at"], default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)


@dataclass
class Card:
    id: str = dynamorm_field(roles=["pk"])
    number: str = dynamorm_field(encrypted=True, default="")
    label: str = ""


ORDERS = ModelDefinition.from_dataclass(Order, table_name="orders")
CARDS = ModelDefinition.from_dataclass(Card, table_name="cards")


# --- the recorded-replay doubles ----------------------------------------------------------------------------

Answer = dict[str, Any] | Exception | Callable[[dict[str, Any]], Any]
# A hand-written script: (operation, answer) pairs in call order, or a function of (operation, params) for
# scenarios whose calls run in no fixed order.
Script = list[tuple[str, Answer]] | Callable[[str, dict[str, Any]], Answer]
Exchange = tuple[str, str, dict[str, Any]]


def fresh(error: Exception) -> Exception:
    """A new instance of a scripted error, so no run sees another run's traceback or context."""
    if isinstance(error, ClientError):
        return ClientError(copy.deepcopy(error.response), error.operation_name)  # type: ignore[arg-type]
    return copy.copy(error)


def request_key(service: str, operation: str, params: Mapping[str, Any]) -> str:
    return json.dumps([service, operation, params], sort_keys=True, default=repr)


class Recorder:
    """Answers from a hand-written script and records the exchange (request and resolved answer)."""

    def __init__(self, script: Script) -> None:
        self.script = script if callable(script) else list(script)
        self.tape: list[tuple[str, str, dict[str, Any], Any]] = []
        self._lock = threading.Lock()

    def answer(self, service: str, operation: str, params: dict[str, Any]) -> Any:
        with self._lock:
            if callable(self.script):
                answer: Any = self.script(operation, params)
            else:
                assert self.script, f"the script has no answer left for {operation}"
                expected, answer = self.script.pop(0)
                assert expected == operation, f"the script expected {expected}, the table called {operation}"
            if callable(answer) and not isinstance(answer, Exception):
                answer = answer(params)
            self.tape.append((service, operation, copy.deepcopy(params), copy.deepcopy(answer)))
        if isinstance(answer, Exception):
            raise fresh(answer)
        return copy.deepcopy(answer)

    def check_used_up(self, outcome: Outcome) -> None:
        if not callable(self.script):
            assert self.script == [], f"the table did not make every scripted call: {outcome.error!r}"


class Replay:
    """Answers every request with the answer the same request got when recorded (in recorded order for a
    repeated request), and records the requests it is sent."""

    def __init__(self, tape: list[tuple[str, str, dict[str, Any], Any]]) -> None:
        self.answers: dict[str, deque[Any]] = {}
        for service, operation, params, answer in tape:
            self.answers.setdefault(request_key(service, operation, params), deque()).append(answer)
        self.calls: list[Exchange] = []
        self._lock = threading.Lock()

    def answer(self, service: str, operation: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((service, operation, copy.deepcopy(params)))
            queue = self.answers.get(request_key(service, operation, params))
            if not queue:
                raise AssertionError(f"{service}.{operation}: a request that was not recorded")
            answer = queue.popleft()
        if isinstance(answer, Exception):
            raise fresh(answer)
        return copy.deepcopy(answer)


class SyncClient:
    """A blocking client of one service over a Recorder or a Replay: every botocore method name works."""

    def __init__(self, source: Recorder | Replay, service: str) -> None:
        self._source = source
        self._service = service

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**params: Any) -> Any:
            return self._source.answer(self._service, operation, params)

        return call


class AsyncReplayClient:
    """The async twin of SyncClient over a Replay: every method is an ``async def`` and there is no
    ``_make_api_call``, like a hand-written async client (this is a recorded-replay double, not a fake
    DynamoDB: it only knows the answers it was recorded with)."""

    def __init__(self, source: Replay, service: str) -> None:
        self._source = source
        self._service = service

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        async def call(**params: Any) -> Any:
            await asyncio.sleep(0)  # a real suspension point, as on a network call
            return self._source.answer(self._service, operation, params)

        return call


# --- scenarios ----------------------------------------------------------------------------------------------

SLEEP = object()  # stands for the driver's recording sleep in a scenario's arguments


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    attribute: bool = False  # a property read (``table.explain``), not a call


def step(name: str, *args: Any, **kwargs: Any) -> Step:
    return Step(name, args, kwargs)


def attribute(name: str) -> Step:
    return Step(name, attribute=True)


@dataclass(frozen=True)
class Scenario:
    id: str
    model: ModelDefinition[Any]
    script: Script
    steps: tuple[Step, ...]
    ordered: bool = True  # False: calls run concurrently, compared as multisets
    limiter: Callable[[], Any] | None = None  # a fresh table limiter for each run


def scenario(
    id: str,
    script: Script,
    *steps: Step,
    model: ModelDefinition[Any] = ORDERS,
    ordered: bool = True,
    limiter: Callable[[], Any] | None = None,
) -> Scenario:
    return Scenario(id, model, script, steps, ordered, limiter)


def stored(order: Order, *, version: int = 0) -> dict[str, Any]:
    """The item a put of ``order`` at NOW writes."""
    return {
        "customer": {"S": order.customer},
        "number": {"N": str(order.number)},
        "note": {"S": order.note},
        "status": {"S": order.status},
        "createdAt": {"S": NOW_TEXT},
        "updatedAt": {"S": NOW_TEXT},
        "version": {"N": str(version)},
    }


def key_of(customer: str, number: int) -> dict[str, Any]:
    return {"customer": {"S": customer}, "number": {"N": str(number)}}


def orders(n: int, *, customer: str = "c1", start: int = 0) -> list[Order]:
    return [Order(customer, i, f"note {i}") for i in range(start, start + n)]


def client_error(code: str, operation: str, **extra: Any) -> ClientError:
    response = {"Error": {"Code": code, "Message": "scripted"}, **extra}
    return ClientError(response, operation)  # type: ignore[arg-type]


def items_page(*items: Order, last: Order | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Items": [stored(o) for o in items], "Count": len(items), "ScannedCount": 9}
    if last is not None:
        response["LastEvaluatedKey"] = key_of(last.customer, last.number)
    return response


def count_page(count: int, *, last: Order | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Count": count, "ScannedCount": count + 1}
    if last is not None:
        response["LastEvaluatedKey"] = key_of(last.customer, last.number)
    return response


def batch_found(*items: Order, unprocessed: list[Order] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Responses": {"orders": [stored(o) for o in items]}}
    if unprocessed:
        keys = [key_of(o.customer, o.number) for o in unprocessed]
        response["UnprocessedKeys"] = {"orders": {"Keys": keys}}
    return response


def leave_unprocessed(*positions: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A BatchWriteItem answer that leaves the requests at ``positions`` unprocessed."""

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        requests = params["RequestItems"]["orders"]
        return {"UnprocessedItems": {"orders": [copy.deepcopy(requests[i]) for i in positions]}}

    return answer


def signed_cursor(order: Order) -> str:
    return sign_cursor(
        encode_cursor(key_of(order.customer, order.number)), key=SIGNING_KEY, table_name="orders"
    )


def segment_script(operation: str, params: dict[str, Any]) -> Answer:
    """Three segments: segment s holds orders 10s..10s+3 over two pages."""
    assert operation == "scan"
    segment = params["Segment"]
    first, second = orders(2, start=10 * segment), orders(2, start=10 * segment + 2)
    if "ExclusiveStartKey" not in params:
        return items_page(*first, last=first[-1])
    return items_page(*second)


def chunk_script(operation: str, params: dict[str, Any]) -> Answer:
    """BatchWriteItem chunks: the first attempt of the chunk holding order 30 leaves it unprocessed."""
    assert operation == "batch_write_item"
    requests = params["RequestItems"]["orders"]
    held = [r for r in requests if r.get("PutRequest", {}).get("Item", {}).get("number") == {"N": "30"}]
    if held and len(requests) > 1:
        return {"UnprocessedItems": {"orders": copy.deepcopy(held)}}
    return {}


GENERATE = ("generate_data_key", {"CiphertextBlob": EDK, "Plaintext": DATA_KEY, "KeyId": ARN})
DECRYPT = ("decrypt", {"Plaintext": DATA_KEY, "KeyId": ARN})
CARD = Card("card-1", "4111 1111 1111 1111", "work")
O1, O2, O3, O4 = orders(4)
HALF: Callable[[float, float], float] = lambda low, high: low + (high - low) / 2  # noqa: E731
PTEE = "ProvisionedThroughputExceededException"


def sealed_card() -> dict[str, Any]:
    """The item a put of CARD writes (its number sealed with DATA_KEY), from one recorded put."""
    recorder = Recorder([GENERATE, ("put_item", {})])
    make_table(Table, CARDS, SyncClient(recorder, "dynamodb"), SyncClient(recorder, "kms")).put(CARD)
    item: dict[str, Any] = recorder.tape[1][2]["Item"]
    return item


def ticking_clock(step: float = 0.001) -> Callable[[], float]:
    """A clock that moves ``step`` seconds at each reading: the same readings in every run."""
    readings = iter(range(1_000_000))
    return lambda: next(readings) * step


def with_capacity(page: dict[str, Any], units: float) -> dict[str, Any]:
    return {**page, "ConsumedCapacity": {"TableName": "orders", "CapacityUnits": units}}


def lambda_image(item: Mapping[str, Any]) -> dict[str, Any]:
    """A GetRecords image as Lambda delivers it: binaries as base64 text."""

    def convert(av: Any) -> Any:
        if isinstance(av, dict):
            return {k: base64.b64encode(v).decode() if k == "B" else convert(v) for k, v in av.items()}
        if isinstance(av, list):
            return [convert(v) for v in av]
        return av

    return {name: convert(av) for name, av in item.items()}


def make_table(
    cls: Any, model: ModelDefinition[Any], client: Any, kms_client: Any, limiter: Any = None
) -> Any:
    return cls(
        model,
        client=client,
        kms_client=kms_client,
        kms_key_arn=ARN if model is CARDS else None,
        now=lambda: NOW,
        rand_bytes=lambda n: bytes(range(7, 7 + n)),
        cursor_signing_keys=SIGNING_KEY,
        retry_policy=RetryPolicy(rand_uniform=HALF, clock=lambda: 0.0),
        limiter=limiter,
    )


SEALED = sealed_card()
CARD_KEY = {"id": {"S": "card-1"}}
GET_RECORD = {
    "eventID": "e-1",
    "eventName": "INSERT",
    "eventSource": "aws:dynamodb",
    "dynamodb": {
        "ApproximateCreationDateTime": NOW,
        "Keys": CARD_KEY,
        "NewImage": SEALED,
        "SequenceNumber": "100",
        "SizeBytes": 120,
        "StreamViewType": "NEW_IMAGE",
    },
}
LAMBDA_RECORD = {
    "eventID": "e-2",
    "eventName": "MODIFY",
    "eventSource": "aws:dynamodb",
    "eventSourceARN": "arn:aws:dynamodb:us-east-1:111122223333:table/cards/stream/2026",
    "dynamodb": {
        "ApproximateCreationDateTime": 1767323045,
        "Keys": CARD_KEY,
        "NewImage": lambda_image(SEALED),
        "OldImage": lambda_image(SEALED),
        "SequenceNumber": "101",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    },
}

STATUS_NEW = FilterCondition.eq("status", "new")
PROJECTION = ["customer", "number", "note"]

SCENARIOS = [
    # single items
    scenario("put", [("put_item", {})], step("put", O1)),
    scenario("put_if_not_exists", [("put_item", {})], step("put", O1, if_not_exists=True)),
    scenario(
        "put_if_not_exists_taken",
        [("put_item", client_error("ConditionalCheckFailedException", "PutItem"))],
        step("put", O1, if_not_exists=True),
    ),
    scenario(
        "put_with_condition",
        [("put_item", {})],
        step(
            "put",
            O1,
            condition_expression="#s <> :closed",
            expression_attribute_names={"#s": "status"},
            expression_attribute_values={":closed": "closed"},
        ),
    ),
    scenario(
        "put_with_typed_condition",
        [("put_item", {})],
        step("put", O1, condition=STATUS_NEW & ~FilterCondition.exists("note"), if_not_exists=True),
    ),
    scenario(
        "put_with_typed_condition_failed",
        [("put_item", client_error("ConditionalCheckFailedException", "PutItem"))],
        step("put", O1, condition=~STATUS_NEW | FilterCondition.lt("number", 5)),
    ),
    scenario(
        "put_with_typed_and_raw_condition",
        [],
        step("put", O1, condition=STATUS_NEW, condition_expression="attribute_exists(note)"),
    ),
    scenario(
        "put_throttled_then_written",
        [("put_item", client_error(PTEE, "PutItem")), ("put_item", {})],
        step("put", O1),
    ),
    scenario("get_hit", [("get_item", {"Item": stored(O1)})], step("get", "c1", 0, consistent_read=True)),
    scenario("get_miss", [("get_item", {})], step("get", "c1", 0)),
    scenario("get_miss_default", [("get_item", {})], step("get", ("c1", 0), default=None)),
    scenario("exists", [("get_item", {"Item": key_of("c1", 0)})], step("exists", "c1", 0)),
    scenario("exists_not", [("get_item", {})], step("exists", ("c1", 0))),
    scenario("delete", [("delete_item", {})], step("delete", "c1", 0, expected_version=2)),
    scenario(
        "delete_item",
        [("delete_item", {})],
        step("delete_item", Order("c1", 0, version=3), condition_expression="attribute_exists(note)"),
    ),
    scenario(
        "delete_item_stale",
        [("delete_item", client_error("ConditionalCheckFailedException", "DeleteItem"))],
        step("delete_item", Order("c1", 0, version=3)),
    ),
    scenario(
        "update",
        [("update_item", {"Attributes": stored(Order("c1", 0, "changed"), version=1)})],
        step("update", "c1", 0, {"note": "changed"}, expected_version=0),
    ),
    scenario(
        "update_item",
        [("update_item", {"Attributes": stored(O2, version=4)})],
        step("update_item", Order("c1", 1, "note 1", version=3), ["note"]),
    ),
    scenario(
        "update_builder_execute",
        [("update_item", {"Attributes": stored(O1, version=2)})],
        step("update_builder", "c1", 0),
        step("set", "note", "builder"),
        step("set_if_not_exists", "status", "open", "new"),
        step("condition_exists", "note"),
        step("expect_version", 1),
        step("return_values", "ALL_NEW"),
        step("execute"),
    ),
    scenario(
        "update_builder_explain",
        [],
        step("update_builder", "c1", 0),
        step("set", "note", "builder"),
        step("remove", "status"),
        step("without_version_check"),
        step("explain"),
    ),
    scenario("explain_put", [], attribute("explain"), step("put", O1)),
    # queries and scans
    scenario(
        "query_page",
        [("query", items_page(O1, O2, last=O2))],
        step(
            "query",
            "c1",
            sort=SortKeyCondition.gte(0),
            limit=2,
            filter=STATUS_NEW,
            projection=PROJECTION,
        ),
    ),
    scenario(
        "query_page_from_cursor",
        [("query", items_page(O3, O4))],
        step("query", "c1", limit=2, cursor=signed_cursor(O2), scan_forward=False),
    ),
    scenario(
        "scan_page",
        [("scan", items_page(O1, last=O1))],
        step("scan", limit=1, filter=STATUS_NEW, projection=PROJECTION, consistent_read=True),
    ),
    scenario(
        "scan_page_from_cursor",
        [("scan", items_page(O2))],
        step("scan", limit=1, cursor=signed_cursor(O1), segment=1, total_segments=2),
    ),
    scenario(
        "query_all",
        [
            ("query", items_page(O1, last=O1)),
            ("query", items_page(O2, last=O2)),
            ("query", items_page(O3)),
        ],
        step("query_all", "c1", limit=1, filter=STATUS_NEW),
    ),
    scenario(
        "scan_all",
        [("scan", items_page(O1, O2, last=O2)), ("scan", items_page(O3))],
        step("scan_all", limit=2, projection=PROJECTION),
    ),
    scenario(
        "iter_query",
        [("query", items_page(O1, last=O1)), ("query", items_page(O2, O3))],
        step("iter_query", "c1", limit=1, sort=SortKeyCondition.between(0, 9)),
    ),
    scenario(
        "iter_scan",
        [("scan", items_page(O1, O2, last=O2)), ("scan", items_page())],
        step("iter_scan", limit=2, filter=STATUS_NEW),
    ),
    scenario(
        "query_failing",
        [("query", client_error("ResourceNotFoundException", "Query"))],
        step("query", "c1"),
    ),
    scenario(
        "count_query",
        [("query", count_page(2, last=O2)), ("query", count_page(1))],
        step("count", "c1", filter=STATUS_NEW),
    ),
    scenario("count_scan", [("scan", count_page(5))], step("count")),
    scenario(
        "query_with_retry",
        [("query", items_page()), ("query", items_page()), ("query", items_page(O1))],
        step("query_with_retry", "c1", limit=5, sleep=SLEEP, initial_delay_seconds=0.25),
    ),
    scenario(
        "scan_with_retry",
        [("scan", items_page()), ("scan", items_page(O1, O2, last=O2))],
        step("scan_with_retry", filter=STATUS_NEW, sleep=SLEEP, max_delay_seconds=0.3),
    ),
    scenario(
        "scan_with_retry_exhausted",
        [("scan", items_page()), ("scan", items_page())],
        step("scan_with_retry", max_retries=1, sleep=SLEEP),
    ),
    scenario(
        "scan_all_segments_in_order",
        segment_script,
        step("scan_all_segments", total_segments=3, max_workers=1, limit=2),
    ),
    scenario(
        "scan_all_segments_concurrent",
        segment_script,
        step("scan_all_segments", total_segments=3, max_workers=3, limit=2, filter=STATUS_NEW),
        ordered=False,
    ),
    # batches
    scenario(
        "batch_get_retried",
        [
            ("batch_get_item", batch_found(O1, unprocessed=[O2, O3])),
            ("batch_get_item", client_error(PTEE, "BatchGetItem")),
            ("batch_get_item", batch_found(O3, O2)),
        ],
        step(
            "batch_get",
            [("c1", 0), ("c1", 1), ("c1", 2), ("c1", 0)],
            sleep=SLEEP,
            rand_uniform=HALF,
            projection=PROJECTION,
        ),
    ),
    scenario(
        "batch_get_retries_run_out",
        [
            ("batch_get_item", batch_found(O1, unprocessed=[O2])),
            ("batch_get_item", batch_found(unprocessed=[O2])),
        ],
        step("batch_get", [("c1", 0), ("c1", 1)], max_retries=1, sleep=SLEEP, rand_uniform=HALF),
    ),
    scenario(
        "batch_write_retried",
        [
            ("batch_write_item", leave_unprocessed(1, 3)),
            ("batch_write_item", client_error(PTEE, "BatchWriteItem")),
            ("batch_write_item", {}),
        ],
        step("batch_write", puts=[O1, O2, O3], deletes=[("c1", 9)], sleep=SLEEP, rand_uniform=HALF),
    ),
    scenario(
        "batch_write_retries_run_out",
        [("batch_write_item", leave_unprocessed(0, 2)), ("batch_write_item", leave_unprocessed(0, 1))],
        step(
            "batch_write", puts=[O1, O2], deletes=[("c1", 9)], max_retries=1, sleep=SLEEP, rand_uniform=HALF
        ),
    ),
    scenario(
        "batch_write_in_chunks_one_at_a_time",
        [("batch_write_item", {}), ("batch_write_item", {})],
        step("batch_write", puts=orders(30), max_workers=1, sleep=SLEEP),
    ),
    scenario(
        "batch_write_in_chunks_concurrently",
        chunk_script,
        step(
            "batch_write", puts=orders(60), deletes=[("c2", 1)], max_workers=2, sleep=SLEEP, rand_uniform=HALF
        ),
        ordered=False,
    ),
    # refused before anything is sent
    scenario("bad_cursor", [], step("query", "c1", cursor="not-a-cursor")),
    scenario("bad_page_limit", [], step("scan", limit=0)),
    scenario("batch_write_duplicate_keys", [], step("batch_write", puts=[O1, O1], sleep=SLEEP)),
    scenario("batch_write_no_workers", [], step("batch_write", puts=[O1], max_workers=0, sleep=SLEEP)),
    scenario("scan_all_segments_no_workers", [], step("scan_all_segments", total_segments=2, max_workers=0)),
    scenario(
        "transact_write_long_token",
        [],
        step("transact_write", [TransactPut(O1)], client_request_token="t" * 37),
    ),
    scenario("update_key_field", [], step("update", "c1", 0, {"customer": "c2"})),
    # transactions
    scenario(
        "transact_write",
        [("transact_write_items", {})],
        step(
            "transact_write",
            [
                TransactPut(O1, if_not_exists=True),
                TransactUpdate("c1", 1, {"note": "moved"}, expected_version=2),
                TransactDelete("c1", 2),
                TransactConditionCheck("c1", 3, "attribute_exists(note)"),
            ],
            client_request_token="token-1",
        ),
    ),
    scenario(
        "transact_write_typed_conditions",
        [("transact_write_items", {})],
        step(
            "transact_write",
            [
                TransactPut(O1, condition=~STATUS_NEW),
                TransactUpdate("c1", 1, {"note": "moved"}, expected_version=2, condition=STATUS_NEW),
                TransactDelete("c1", 2, condition=FilterCondition.begins_with("note", "n")),
                TransactConditionCheck("c1", 3, condition=STATUS_NEW | FilterCondition.exists("note")),
            ],
            client_request_token="token-2",
        ),
    ),
    scenario(
        "transact_write_cancelled",
        [
            (
                "transact_write_items",
                client_error(
                    "TransactionCanceledException",
                    "TransactWriteItems",
                    CancellationReasons=[
                        {"Code": "None"},
                        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
                    ],
                ),
            )
        ],
        step(
            "transact_write",
            [TransactPut(O1), TransactDelete("c1", 2, expected_version=1)],
            client_request_token="token-2",
        ),
    ),
    scenario(
        "transact_write_conflict_retried",
        [
            (
                "transact_write_items",
                client_error(
                    "TransactionCanceledException",
                    "TransactWriteItems",
                    CancellationReasons=[{"Code": "TransactionConflict"}],
                ),
            ),
            ("transact_write_items", {}),
        ],
        step(
            "transact_write",
            [TransactPut(O1)],
            client_request_token="token-3",
            max_conflict_retries=2,
            sleep=SLEEP,
        ),
    ),
    scenario(
        "transact_get",
        [("transact_get_items", {"Responses": [{"Item": stored(O1)}, {}]})],
        step("transact_get", [("c1", 0), ("c1", 1)]),
    ),
    # encryption and streams
    scenario("encrypted_put", [GENERATE, ("put_item", {})], step("put", CARD), model=CARDS),
    scenario("encrypted_get", [("get_item", {"Item": SEALED}), DECRYPT], step("get", "card-1"), model=CARDS),
    scenario(
        "encrypted_update",
        [GENERATE, ("update_item", {"Attributes": SEALED}), DECRYPT],
        step("update", "card-1", None, {"number": "4000 0000 0000 0002"}),
        model=CARDS,
    ),
    scenario(
        "encrypted_get_kms_denied",
        [("get_item", {"Item": SEALED}), ("decrypt", client_error("AccessDeniedException", "Decrypt"))],
        step("get", "card-1"),
        model=CARDS,
    ),
    scenario("parse_stream_record", [DECRYPT], step("parse_stream_record", GET_RECORD), model=CARDS),
    # protection: a limited table and a read paced by consumed capacity
    scenario(
        "put_limited",
        [("put_item", client_error(PTEE, "PutItem")), ("put_item", {})],
        step("put", O1),
        limiter=lambda: SimpleLimiter(100, 1, now=ticking_clock()),
    ),
    scenario(
        "scan_all_rate_limited",
        [
            ("scan", with_capacity(items_page(O1, O2, last=O2), 1.0)),
            ("scan", with_capacity(items_page(O3), 0.5)),
        ],
        step("scan_all", limit=2, rate_limit=1000),
        limiter=lambda: ConcurrencyLimiter(1),
    ),
    scenario(
        "parse_stream_event",
        [DECRYPT, DECRYPT, DECRYPT],
        step("parse_stream_event", {"Records": [GET_RECORD, LAMBDA_RECORD]}),
        model=CARDS,
    ),
]


# --- running a scenario through a driver --------------------------------------------------------------------


@dataclass
class Outcome:
    calls: list[Exchange]
    sleeps: list[float]
    result: Any = None
    error: DynamormPyError | None = None


def arguments(step: Step, sleep: Any) -> tuple[list[Any], dict[str, Any]]:
    args = [sleep if a is SLEEP else a for a in step.args]
    kwargs = {k: sleep if v is SLEEP else v for k, v in step.kwargs.items()}
    return args, kwargs


def run_with_table(scenario: Scenario, source: Recorder | Replay) -> tuple[Any, list[float]]:
    sleeps: list[float] = []
    limiter = scenario.limiter() if scenario.limiter else None
    table = make_table(
        Table, scenario.model, SyncClient(source, "dynamodb"), SyncClient(source, "kms"), limiter
    )
    value: Any = table
    for s in scenario.steps:
        if s.attribute:
            value = getattr(value, s.name)
            continue
        args, kwargs = arguments(s, sleeps.append)
        value = getattr(value, s.name)(*args, **kwargs)
        if isinstance(value, Iterator):
            value = list(value)
    return value, sleeps


async def run_with_async_table(scenario: Scenario, replay: Replay) -> tuple[Any, list[float]]:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    table = make_table(
        AsyncTable,
        scenario.model,
        AsyncReplayClient(replay, "dynamodb"),
        AsyncReplayClient(replay, "kms"),
        scenario.limiter() if scenario.limiter else None,
    )
    value: Any = table
    for s in scenario.steps:
        if s.attribute:
            value = getattr(value, s.name)
            continue
        args, kwargs = arguments(s, sleep)
        value = getattr(value, s.name)(*args, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        if hasattr(value, "__aiter__"):
            value = [item async for item in value]
    return value, sleeps


def outcome(calls: list[Exchange], run: Callable[[], tuple[Any, list[float]]]) -> Outcome:
    sleeps: list[float] = []
    try:
        result, sleeps = run()
    except DynamormPyError as error:
        return Outcome(calls, sleeps, error=error)
    return Outcome(calls, sleeps, result=result)


def record(scenario: Scenario) -> tuple[Recorder, Outcome]:
    recorder = Recorder(scenario.script)
    sent: list[Exchange] = []
    recorded = outcome(sent, lambda: run_with_table(scenario, recorder))
    recorder.check_used_up(recorded)
    sent.extend((service, operation, params) for service, operation, params, _ in recorder.tape)
    return recorder, recorded


def replay_sync(scenario: Scenario, recorder: Recorder) -> Outcome:
    replay = Replay(recorder.tape)
    return outcome(replay.calls, lambda: run_with_table(scenario, replay))


def replay_async(scenario: Scenario, recorder: Recorder) -> Outcome:
    replay = Replay(recorder.tape)
    return outcome(replay.calls, lambda: asyncio.run(run_with_async_table(scenario, replay)))


def comparable(value: Any) -> Any:
    if isinstance(value, Page):
        return ("Page", value.items, value.next_cursor)
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def assert_agree(expected: Outcome, actual: Outcome, *, ordered: bool) -> None:
    if ordered:
        assert actual.calls == expected.calls
        assert actual.sleeps == expected.sleeps
    else:
        key = lambda call: request_key(*call)  # noqa: E731
        assert sorted(actual.calls, key=key) == sorted(expected.calls, key=key)
        assert sorted(actual.sleeps) == sorted(expected.sleeps)
    if expected.error is None:
        assert actual.error is None, f"unexpected {actual.error!r}"
        assert comparable(actual.result) == comparable(expected.result)
        return
    assert actual.error is not None, f"expected {expected.error!r}, got {actual.result!r}"
    assert type(actual.error) is type(expected.error)
    assert actual.error.code == expected.error.code
    assert getattr(actual.error, "field", None) == getattr(expected.error, "field", None)
    assert str(actual.error) == str(expected.error)
    if isinstance(expected.error, BatchRetryExceededError):
        assert isinstance(actual.error, BatchRetryExceededError)
        for name in ("unprocessed", "unprocessed_puts", "unprocessed_deletes", "unprocessed_keys", "results"):
            assert getattr(actual.error, name) == getattr(expected.error, name), name
        assert actual.error.unprocessed_count == expected.error.unprocessed_count
    if isinstance(expected.error, ConditionFailedError | TransactionCanceledError):
        assert isinstance(actual.error, ConditionFailedError | TransactionCanceledError)
        assert actual.error.reasons == expected.error.reasons


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_table_and_async_table_agree(scenario: Scenario) -> None:
    recorder, recorded = record(scenario)
    sync = replay_sync(scenario, recorder)
    async_ = replay_async(scenario, recorder)
    assert_agree(recorded, sync, ordered=scenario.ordered)
    assert_agree(sync, async_, ordered=scenario.ordered)


# Scenarios whose recording must show a particular path, so the agreement above covers it.
EXPECTED_PATHS: dict[str, Callable[[Outcome], bool]] = {
    "put_if_not_exists_taken": lambda o: isinstance(o.error, ConditionFailedError),
    "get_miss": lambda o: type(o.error).__name__ == "NotFoundError",
    "get_miss_default": lambda o: o.error is None and o.result is None,
    "query_with_retry": lambda o: o.sleeps == [0.25, 0.5] and len(o.result.items) == 1,
    "scan_with_retry": lambda o: o.sleeps == [0.1] and len(o.result.items) == 2,
    "batch_get_retried": lambda o: len(o.sleeps) == 2 and len(o.result) == 3,
    "batch_get_retries_run_out": lambda o: (
        isinstance(o.error, BatchRetryExceededError) and len(o.error.unprocessed) == 1
    ),
    "batch_write_retried": lambda o: len(o.sleeps) == 2 and o.error is None,
    "batch_write_retries_run_out": lambda o: (
        isinstance(o.error, BatchRetryExceededError) and o.error.unprocessed == (O1, ("c1", 9))
    ),
    "transact_write_cancelled": lambda o: (
        isinstance(o.error, ConditionFailedError)
        and o.error.reason_codes == ("None", "ConditionalCheckFailed")
    ),
    "encrypted_get": lambda o: o.result == CARD,
    "put_with_typed_condition": lambda o: (
        o.calls[0][2]["ConditionExpression"]
        == "(#wc_status = :wc1 AND NOT (attribute_exists(#wc_note))) AND (attribute_not_exists(#lc_pk))"
    ),
    "put_with_typed_condition_failed": lambda o: isinstance(o.error, ConditionFailedError),
    "transact_write_typed_conditions": lambda o: (
        [next(iter(i.values()))["ConditionExpression"] for i in o.calls[0][2]["TransactItems"]]
        == [
            "NOT (#wc_status = :wc1)",
            "(#wc_status = :wc1) AND (#lc_ver = :lc_expected)",
            "begins_with(#wc_note, :wc1)",
            "(#wc_status = :wc1 OR attribute_exists(#wc_note))",
        ]
    ),
    "parse_stream_event": lambda o: [r.new for r in o.result] == [CARD, CARD],
    "scan_all_segments_concurrent": lambda o: len(o.result) == 12,
    "put_limited": lambda o: o.error is None and [c[1] for c in o.calls] == ["put_item", "put_item"],
    "scan_all_rate_limited": lambda o: (
        len(o.result) == 3 and all(c[2]["ReturnConsumedCapacity"] == "TOTAL" for c in o.calls)
    ),
}

REFUSED = [
    "put_with_typed_and_raw_condition",
    "bad_cursor",
    "bad_page_limit",
    "batch_write_duplicate_keys",
    "batch_write_no_workers",
    "scan_all_segments_no_workers",
    "transact_write_long_token",
    "update_key_field",
]
EXPECTED_PATHS.update(
    {name: lambda o: isinstance(o.error, ValidationError) and o.calls == [] for name in REFUSED}
)
EXPECTED_PATHS["batch_write_in_chunks_concurrently"] = lambda o: len(o.calls) == 4 and len(o.sleeps) == 1


@pytest.mark.parametrize("name", sorted(EXPECTED_PATHS))
def test_the_recording_takes_the_path_the_scenario_is_about(name: str) -> None:
    scenario = next(s for s in SCENARIOS if s.id == name)
    _, recorded = record(scenario)
    assert EXPECTED_PATHS[name](recorded), recorded


def test_an_encrypted_put_sends_the_same_envelope_bytes_from_both_drivers() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "encrypted_put")
    recorder, _ = record(scenario)
    items = [
        o.calls[1][2]["Item"]["number"]
        for o in (replay_sync(scenario, recorder), replay_async(scenario, recorder))
    ]
    assert items[0] == items[1]
    assert items[0] == SEALED["number"] and isinstance(items[0]["M"]["ct"]["B"], bytes)


def test_sync_and_async_builders_explain_the_same_request() -> None:
    sync = make_table(Table, ORDERS, SyncClient(Recorder([]), "dynamodb"), None)
    replay = Replay([])
    async_ = make_table(AsyncTable, ORDERS, AsyncReplayClient(replay, "dynamodb"), None)
    builders = [
        t.update_builder("c1", 0).set("note", "x").remove("status").expect_version(2) for t in (sync, async_)
    ]
    assert isinstance(builders[0], UpdateBuilder) and isinstance(builders[1], AsyncUpdateBuilder)
    assert builders[0].explain() == builders[1].explain()
    assert replay.calls == []


# --- signatures ---------------------------------------------------------------------------------------------

# Table methods that send nothing: they stay plain (not awaited) on AsyncTable.
PURE = {"describe_query", "describe_scan", "update_builder", "iter_query", "iter_scan"}
PROPERTIES = {"explain", "model", "table_name", "client"}


def public_names(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_"))


def assert_same_parameters(sync: Callable[..., Any], async_: Callable[..., Any]) -> None:
    expected = inspect.signature(sync).parameters
    actual = inspect.signature(async_).parameters
    assert list(actual) == list(expected)
    for name, parameter in expected.items():
        twin = actual[name]
        assert twin.kind == parameter.kind, name
        default = asyncio.sleep if parameter.default is time.sleep else parameter.default
        assert twin.default is default or twin.default == default, name


@pytest.mark.parametrize("name", public_names(Table))
def test_async_table_has_every_table_method_with_the_same_parameters(name: str) -> None:
    sync = inspect.getattr_static(Table, name)
    async_ = inspect.getattr_static(AsyncTable, name)
    if name in PROPERTIES:
        assert isinstance(sync, property) and isinstance(async_, property)
        return
    assert inspect.isfunction(sync) and inspect.isfunction(async_)
    assert_same_parameters(sync, async_)
    assert not inspect.iscoroutinefunction(sync)
    assert inspect.iscoroutinefunction(async_) is (name not in PURE)


def test_the_pure_and_property_lists_name_table_members() -> None:
    assert set(public_names(Table)) >= PURE | PROPERTIES


@pytest.mark.parametrize("name", public_names(UpdateBuilder))
def test_async_update_builder_has_every_update_builder_method(name: str) -> None:
    sync = inspect.getattr_static(UpdateBuilder, name)
    async_ = inspect.getattr_static(AsyncUpdateBuilder, name)
    assert callable(sync) and callable(async_)
    assert_same_parameters(sync, async_)
    assert not inspect.iscoroutinefunction(sync)
    assert inspect.iscoroutinefunction(async_) is (name == "execute")
    if name not in vars(AsyncUpdateBuilder):
        assert async_ is sync  # shared from the core, so they cannot drift apart
