"""batch_get and batch_write: exact requests, chunking, order, backoff, and leftovers on every failure path.

The core is driven with ``run_sync`` (and through ``Table``) against a scripted client defined here; no code
of dynamorm_py is mocked.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from doubles import FakeKms, ScriptedClient, fixed_kms
from dynamorm_py import ModelDefinition, Table, dynamorm_field
from dynamorm_py._core.batch import Backoff, batch_get_op, batch_write_op
from dynamorm_py._core.context import EXPLAIN_ENVELOPE, TableContext
from dynamorm_py._core.effects import Op
from dynamorm_py._drivers.sync import run_sync
from dynamorm_py.encryption import encrypt_av
from dynamorm_py.errors import (
    ERR_BATCH_OPERATION_FAILED,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    AwsError,
    BatchInterruptedError,
    BatchRetryExceededError,
    TableNotFoundError,
    TransportError,
    ValidationError,
)
from dynamorm_py.mocks import FakeDynamoDBClient

R = TypeVar("R")

TABLE = "orders"
NOW = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
NOW_TEXT = "2026-01-02T03:04:05.123456000Z"
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


# --- models -------------------------------------------------------------------------------------------------


@dataclass
class Order:
    customer: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(roles=["sk"])
    note: str = ""
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(name="updatedAt", roles=["updated_at"], default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)


class Shout:
    """A converter: stored upper-case, read back lower-case."""

    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return str(value).lower()


@dataclass
class Tag:
    name: str = dynamorm_field(roles=["pk"])
    label: str = dynamorm_field(converter=Shout(), default="")


@dataclass
class Card:
    id: str = dynamorm_field(roles=["pk"])
    number: str = dynamorm_field(encrypted=True, default="")


@dataclass
class Invoice:
    id: str = dynamorm_field(roles=["pk"])
    amount: int = dynamorm_field()


@dataclass
class Other:
    customer: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(roles=["sk"])


ORDERS = ModelDefinition.from_dataclass(Order, table_name=TABLE)
TAGS = ModelDefinition.from_dataclass(Tag, table_name="tags")
CARDS = ModelDefinition.from_dataclass(Card, table_name="cards")
INVOICES = ModelDefinition.from_dataclass(Invoice, table_name="invoices")


# --- test doubles -------------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return self.now


class Jitter:
    """An injected random source: records the bounds asked for and returns ``fraction`` of the upper one."""

    def __init__(self, fraction: float = 0.5) -> None:
        self.fraction = fraction
        self.bounds: list[tuple[float, float]] = []

    def __call__(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return low + (high - low) * self.fraction


def client_error(code: str, operation: str = "BatchWriteItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "scripted"}}, operation)


def context(
    model: ModelDefinition[Any] = ORDERS, clock: Clock | None = None, **kwargs: Any
) -> TableContext[Any]:
    assert model.table_name is not None
    return TableContext(
        model=model,
        table_name=model.table_name,
        now=clock or Clock(),
        rand_bytes=lambda n: b"\x07" * n,
        **kwargs,
    )


def drive(op: Op[R], client: Any, *, sleeps: list[float] | None = None, kms: Any = None) -> R:
    return run_sync(
        op,
        clients={"dynamodb": client, "kms": kms},
        sleep=sleeps.append if sleeps is not None else None,
    )


def orders(n: int, *, start: int = 0, customer: str = "c1") -> list[Order]:
    return [Order(customer, i, f"note {i}") for i in range(start, start + n)]


def stored(order: Order) -> dict[str, Any]:
    """The item a put of ``order`` at NOW writes."""
    return {
        "customer": {"S": order.customer},
        "number": {"N": str(order.number)},
        "note": {"S": order.note},
        "createdAt": {"S": NOW_TEXT},
        "updatedAt": {"S": NOW_TEXT},
        "version": {"N": "0"},
    }


def key_of(order: Order) -> dict[str, Any]:
    return {"customer": {"S": order.customer}, "number": {"N": str(order.number)}}


def write_requests(params: dict[str, Any], table: str = TABLE) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = params["RequestItems"][table]
    return requests


def leave_unprocessed(*positions: int, table: str = TABLE) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A batch_write answer that leaves the requests at ``positions`` unprocessed."""

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        requests = write_requests(params, table)
        return {"UnprocessedItems": {table: [copy.deepcopy(requests[i]) for i in positions]}}

    return answer


def found(*items: dict[str, Any], unprocessed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Responses": {TABLE: list(items)}}
    if unprocessed:
        response["UnprocessedKeys"] = {TABLE: {"Keys": unprocessed, "ConsistentRead": False}}
    return response


def same_objects(actual: tuple[Any, ...], expected: list[Any]) -> bool:
    """The very objects, in order (not merely equal ones)."""
    return len(actual) == len(expected) and all(a is e for a, e in zip(actual, expected, strict=True))


# --- empty input and bad input ------------------------------------------------------------------------------


def test_batch_get_of_no_keys_returns_an_empty_list_without_a_call() -> None:
    client = FakeDynamoDBClient()

    assert drive(batch_get_op(context(), []), client) == []
    assert Table(ORDERS, client=client).batch_get([]) == []
    assert client.calls == []


@pytest.mark.parametrize("puts", [[], (), iter([])])
def test_batch_write_of_nothing_returns_without_a_call(puts: Any) -> None:
    client = FakeDynamoDBClient()

    assert drive(batch_write_op(context(), puts, ()), client) is None
    Table(ORDERS, client=client).batch_write()
    Table(ORDERS, client=client).batch_write(puts=iter([]), deletes=[], max_workers=4)
    assert Table(ORDERS, client=client).batch_get(iter([])) == []
    assert client.calls == []


@pytest.mark.parametrize("key", ["c1", ("c1",), ("c1", 1, 2), ["c1", 1]])
def test_a_key_of_the_wrong_shape_for_a_pk_and_sk_model_is_rejected_before_any_call(key: Any) -> None:
    client = FakeDynamoDBClient()
    keys = [("c1", 0), key]

    with pytest.raises(ValidationError) as get_error:
        drive(batch_get_op(context(), keys), client)
    with pytest.raises(ValidationError) as write_error:
        drive(batch_write_op(context(), (), keys), client)

    assert get_error.value.code == ERR_INVALID_MODEL
    assert write_error.value.code == ERR_INVALID_MODEL
    assert client.calls == []


@pytest.mark.parametrize("key", [("rock", "x"), ("rock", None, None), ("rock",)])
def test_a_key_of_the_wrong_shape_for_a_pk_only_model_is_rejected_before_any_call(key: Any) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        drive(batch_get_op(context(TAGS), ["jazz", key]), client)

    assert error.value.code == ERR_INVALID_MODEL
    assert client.calls == []


def test_a_sort_key_of_none_is_a_missing_key() -> None:
    with pytest.raises(ValidationError) as error:
        drive(batch_get_op(context(), [("c1", None)]), FakeDynamoDBClient())

    assert error.value.code == ERR_MISSING_PRIMARY_KEY


def test_a_pk_only_model_takes_a_scalar_or_a_pk_none_pair() -> None:
    client = ScriptedClient(found())

    drive(batch_get_op(context(TAGS), ["rock", ("jazz", None)]), client)

    assert client.calls[0][1]["RequestItems"]["tags"]["Keys"] == [
        {"name": {"S": "rock"}},
        {"name": {"S": "jazz"}},
    ]


def test_a_put_of_the_wrong_model_type_is_rejected_before_any_call() -> None:
    client = FakeDynamoDBClient()
    puts: list[Any] = [*orders(30), Other("c1", 99)]

    with pytest.raises(ValidationError) as error:
        drive(batch_write_op(context(), puts, ()), client)

    assert error.value.code == ERR_INVALID_MODEL
    assert "Other" in str(error.value)
    assert client.calls == []


@pytest.mark.parametrize(
    ("puts", "deletes"),
    [
        ([Order("c1", 1), Order("c2", 1), Order("c1", 1, "again")], []),
        ([], [("c1", 1), ("c1", 2), ("c1", 1)]),
        ([Order("c1", 1)], [("c1", 1)]),
    ],
    ids=["two-puts", "two-deletes", "put-and-delete"],
)
def test_two_requests_for_one_key_are_rejected_before_any_call(puts: list[Order], deletes: list[Any]) -> None:
    client = FakeDynamoDBClient()
    puts = [*orders(40, start=100), *puts]

    with pytest.raises(ValidationError) as error:
        drive(batch_write_op(context(), puts, deletes), client)

    assert error.value.code == ERR_INVALID_MODEL
    assert "c1" not in str(error.value)  # key values never appear in messages
    assert client.calls == []


@dataclass
class Reading:
    sensor: str = dynamorm_field(roles=["pk"])
    value: float = dynamorm_field(roles=["sk"])


READINGS = ModelDefinition.from_dataclass(Reading, table_name="readings")


@pytest.mark.parametrize(
    "deletes",
    [[("s1", 1), ("s1", Decimal("1.000"))], [("s1", 5), ("s1", 5.0)]],
    ids=["numeric-forms", "int-and-float"],
)
def test_two_numeric_forms_of_one_key_are_rejected_before_any_call(deletes: list[Any]) -> None:
    # A float key takes ints and Decimals too (an int key takes ints only), and they are one key.
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        drive(batch_write_op(context(READINGS), [], deletes), client)

    assert error.value.code == ERR_INVALID_MODEL
    assert client.calls == []


@pytest.mark.parametrize("key", [Decimal("1"), 1.0, True, "1"])
def test_a_key_value_of_another_type_than_the_key_annotation_is_rejected_before_any_call(key: Any) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        drive(batch_write_op(context(), [], [("c1", key)]), client)

    assert error.value.code == ERR_INVALID_VALUE
    assert error.value.field == "number"
    assert "must be int" in str(error.value)
    assert client.calls == []


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.batch_get([("c1", 1), ("c1", 2, 3)]),
        lambda t: t.batch_write(deletes=[("c1", 1), ("c1",)]),
        lambda t: t.batch_write(deletes=[("c1", 1), ("c1",)], max_workers=2),
        lambda t: t.batch_write(puts=[*orders(30), Other("c1", 99)]),
        lambda t: t.batch_write(puts=[*orders(30), Other("c1", 99)], max_workers=2),
        lambda t: t.batch_write(puts=orders(3), deletes=[("c1", 2)]),
    ],
    ids=[
        "get-arity",
        "delete-arity",
        "delete-arity-concurrent",
        "wrong-type",
        "wrong-type-concurrent",
        "dup",
    ],
)
def test_bad_batch_input_through_table_carries_code_operation_and_table(call: Any) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as caught:
        call(Table(ORDERS, client=client))

    error = caught.value
    assert type(error) is ValidationError and error.code == ERR_INVALID_MODEL
    assert error.operation in ("batch_get", "batch_write") and error.table == TABLE
    assert client.calls == []


@pytest.mark.parametrize("bad", ["abc", b"abc", {"a": 1}, 42])
def test_puts_and_deletes_must_be_iterables_of_items(bad: Any) -> None:
    with pytest.raises(ValidationError) as error:
        drive(batch_write_op(context(), bad, ()), FakeDynamoDBClient())

    assert error.value.code == ERR_INVALID_OPERATOR


@pytest.mark.parametrize("max_retries", [-1, 1.5, True])
def test_max_retries_must_be_a_non_negative_int(max_retries: Any) -> None:
    with pytest.raises(ValidationError):
        drive(batch_write_op(context(), orders(1), (), max_retries=max_retries), FakeDynamoDBClient())
    with pytest.raises(ValidationError):
        drive(batch_get_op(context(), [("c1", 1)], max_retries=max_retries), FakeDynamoDBClient())


@pytest.mark.parametrize("max_workers", [0, -2, True, 1.5])
def test_max_workers_must_be_a_positive_int(max_workers: Any) -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        Table(ORDERS, client=client).batch_write(puts=orders(3), max_workers=max_workers)
    assert error.value.code == ERR_INVALID_OPERATOR
    assert client.calls == []


# --- batch_write requests -----------------------------------------------------------------------------------


def test_batch_write_sends_puts_then_deletes_in_chunks_of_25() -> None:
    puts = orders(30)
    deletes = [("c2", i) for i in range(30)]
    client = ScriptedClient(default={})

    drive(batch_write_op(context(), puts, deletes), client)

    chunks = [write_requests(params) for params in [params for _, params in client.calls]]
    assert [len(chunk) for chunk in chunks] == [25, 25, 10]
    assert chunks[0] == [{"PutRequest": {"Item": stored(order)}} for order in puts[:25]]
    assert chunks[1] == [{"PutRequest": {"Item": stored(order)}} for order in puts[25:]] + [
        {"DeleteRequest": {"Key": {"customer": {"S": "c2"}, "number": {"N": str(i)}}}} for i in range(20)
    ]
    assert chunks[2][-1] == {"DeleteRequest": {"Key": {"customer": {"S": "c2"}, "number": {"N": "29"}}}}
    assert all(
        set(params) == {"RequestItems"} and set(params["RequestItems"]) == {TABLE}
        for params in [params for _, params in client.calls]
    )


def test_batch_write_reads_the_clock_once_for_every_item_of_the_call() -> None:
    clock = Clock()
    keep = datetime(2020, 5, 6, tzinfo=UTC)
    puts = [*orders(60), Order("c9", 1, created_at=keep, version=7)]
    client = ScriptedClient(default={})

    drive(batch_write_op(context(clock=clock), puts, ()), client)

    assert clock.calls == 1
    items = [
        r["PutRequest"]["Item"]
        for params in [params for _, params in client.calls]
        for r in write_requests(params)
    ]
    assert {item["updatedAt"]["S"] for item in items} == {NOW_TEXT}
    assert items[-1]["createdAt"] == {"S": "2020-05-06T00:00:00.000000000Z"}  # a caller's value is kept
    assert items[-1]["version"] == {"N": "7"}
    assert puts[0].created_at is None  # the caller's objects are not mutated


def test_batch_write_consumes_a_generator_chunk_by_chunk() -> None:
    pulled: list[int] = []

    def generate() -> Iterator[Order]:
        for order in orders(60):
            pulled.append(order.number)
            yield order

    seen_when_sent: list[int] = []

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        seen_when_sent.append(len(pulled))
        return {}

    drive(batch_write_op(context(), generate(), ()), ScriptedClient(answer, answer, answer))

    assert seen_when_sent == [25, 50, 60]


def test_batch_write_encrypts_through_kms_as_put_does() -> None:
    kms = fixed_kms()
    client = ScriptedClient({})

    drive(
        batch_write_op(context(CARDS, kms_key_arn=ARN), [Card("a", "4111"), Card("b", "5500")], ()),
        client,
        kms=kms,
    )

    items = [r["PutRequest"]["Item"] for r in write_requests(client.calls[0][1], "cards")]
    assert [name for name, _ in kms.calls] == ["generate_data_key", "generate_data_key"]
    assert [item["id"] for item in items] == [{"S": "a"}, {"S": "b"}]
    assert all(set(item["number"]["M"]) == {"v", "edk", "nonce", "ct"} for item in items)
    assert b"4111" not in repr(items).encode()


def test_explain_batch_write_shows_one_request_per_chunk_without_sending() -> None:
    client = FakeDynamoDBClient()
    table = Table(ORDERS, client=client, now=Clock())

    requests = table.explain.batch_write(puts=orders(30), deletes=[("c2", 1)])

    assert [r.operation for r in requests] == ["batch_write_item", "batch_write_item"]
    assert requests[0].params == {
        "RequestItems": {TABLE: [{"PutRequest": {"Item": stored(o)}} for o in orders(25)]}
    }
    assert len(write_requests(requests[1].params)) == 6
    assert client.calls == []


def test_explain_batch_write_renders_encrypted_attributes_as_the_empty_envelope() -> None:
    table = Table(CARDS, client=FakeDynamoDBClient(), kms_key_arn=ARN, kms_client=fixed_kms())

    (request,) = table.explain.batch_write(puts=[Card("a", "4111")])

    assert write_requests(request.params, "cards")[0]["PutRequest"]["Item"]["number"] == EXPLAIN_ENVELOPE
    assert request.encrypted_attributes == ("number",)


# --- batch_get requests and results -------------------------------------------------------------------------


def test_batch_get_sends_chunks_of_100_distinct_keys_in_first_appearance_order() -> None:
    keys = [("c1", i) for i in range(250)]
    keys = keys[:10] + keys[:10] + keys[10:]  # 20 duplicates, removed before sending
    client = ScriptedClient(default=found())

    assert drive(batch_get_op(context(), keys, consistent_read=True), client) == []

    sent = [params["RequestItems"][TABLE] for params in [params for _, params in client.calls]]
    assert [len(spec["Keys"]) for spec in sent] == [100, 100, 50]
    assert sent[0] == {
        "Keys": [{"customer": {"S": "c1"}, "number": {"N": str(i)}} for i in range(100)],
        "ConsistentRead": True,
    }
    assert sent[2]["Keys"][-1] == {"customer": {"S": "c1"}, "number": {"N": "249"}}


def test_batch_get_returns_items_in_key_order_with_missing_keys_absent() -> None:
    a, c = Order("c1", 1, "a"), Order("c1", 3, "c")
    # The response lists items in its own order; the number comes back in DynamoDB's form.
    response = found(stored(c), {**stored(a), "number": {"N": "1"}})
    keys = [("c1", 3), ("c1", 9), ("c1", 1)]

    items = drive(batch_get_op(context(), keys), ScriptedClient(response))

    assert [(o.number, o.note) for o in items] == [(3, "c"), (1, "a")]
    assert items[0].created_at == NOW and items[0].version == 0


def test_batch_get_projection_uses_projection_placeholders_and_always_includes_the_keys() -> None:
    client = ScriptedClient(found())

    drive(batch_get_op(context(TAGS), ["rock"], projection=["label"]), client)

    assert client.calls[0][1]["RequestItems"]["tags"] == {
        "Keys": [{"name": {"S": "rock"}}],
        "ConsistentRead": False,
        "ProjectionExpression": "#p_label, #p_name",
        "ExpressionAttributeNames": {"#p_label": "label", "#p_name": "name"},
    }


def test_batch_get_projection_must_include_every_field_without_a_default() -> None:
    client = FakeDynamoDBClient()

    with pytest.raises(ValidationError) as error:
        drive(batch_get_op(context(INVOICES), ["i1"], projection=["id"]), client)

    assert error.value.code == ERR_INVALID_MODEL
    assert client.calls == []


def test_batch_get_applies_converters_and_decrypts() -> None:
    tag_client = ScriptedClient({"Responses": {"tags": [{"name": {"S": "rock"}, "label": {"S": "LOUD"}}]}})
    assert drive(batch_get_op(context(TAGS), ["rock"]), tag_client) == [Tag("rock", "loud")]

    kms = fixed_kms()
    sealing = encrypt_av({"S": "4111"}, attr_name="number", kms_key_arn=ARN, rand_bytes=lambda n: b"\x01" * n)
    envelope = drive(sealing, None, kms=kms)
    card_client = ScriptedClient({"Responses": {"cards": [{"id": {"S": "a"}, "number": envelope}]}})
    cards = drive(batch_get_op(context(CARDS, kms_key_arn=ARN), ["a"]), card_client, kms=kms)

    assert cards == [Card("a", "4111")]
    assert [name for name, _ in kms.calls] == ["generate_data_key", "decrypt"]


def test_explain_batch_get_shows_one_request_per_chunk() -> None:
    table = Table(ORDERS, client=FakeDynamoDBClient())

    requests = table.explain.batch_get([("c1", i) for i in range(101)] + [("c1", 0)])

    assert [len(r.params["RequestItems"][TABLE]["Keys"]) for r in requests] == [100, 1]


# --- retries and backoff ------------------------------------------------------------------------------------


def test_unprocessed_items_are_resent_alone_after_full_jitter_backoff() -> None:
    puts = orders(10)
    jitter = Jitter(0.5)
    sleeps: list[float] = []
    client = ScriptedClient(leave_unprocessed(1, 4, 7), leave_unprocessed(2), {})

    drive(batch_write_op(context(), puts, (), backoff=Backoff(uniform=jitter)), client, sleeps=sleeps)

    sent = [write_requests(params) for params in [params for _, params in client.calls]]
    assert sent[1] == [{"PutRequest": {"Item": stored(puts[i])}} for i in (1, 4, 7)]
    assert sent[2] == [{"PutRequest": {"Item": stored(puts[7])}}]
    assert jitter.bounds == [(0.0, 0.05), (0.0, 0.1)]
    assert sleeps == [0.025, 0.05]


def test_the_backoff_bound_doubles_from_50_ms_and_is_capped_at_one_second() -> None:
    jitter = Jitter(1.0)
    client = ScriptedClient(*[leave_unprocessed(0)] * 8, {})

    drive(batch_write_op(context(), orders(2), (), max_retries=8, backoff=Backoff(uniform=jitter)), client)

    assert [high for _, high in jitter.bounds] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_throttling_errors_are_retried_with_the_whole_request(code: str) -> None:
    sleeps: list[float] = []
    client = ScriptedClient(client_error(code), {}, client_error(code, "BatchGetItem"), found())
    backoff = Backoff(uniform=Jitter(1.0))

    drive(batch_write_op(context(), orders(3), (), backoff=backoff), client, sleeps=sleeps)
    drive(batch_get_op(context(), [("c1", 1)], backoff=backoff), client, sleeps=sleeps)

    requests = [params for _, params in client.calls]
    assert requests[0] == requests[1]
    assert requests[2] == requests[3]
    assert requests[2]["RequestItems"][TABLE]["Keys"] == [key_of(Order("c1", 1))]
    assert sleeps == [0.05, 0.05]


def test_unprocessed_keys_are_resent_alone() -> None:
    keys = [("c1", i) for i in range(5)]
    client = ScriptedClient(
        found(stored(Order("c1", 0, "note 0")), unprocessed=[key_of(Order("c1", 3)), key_of(Order("c1", 1))]),
        found(stored(Order("c1", 3, "note 3")), stored(Order("c1", 1, "note 1"))),
    )

    items = drive(batch_get_op(context(), keys, backoff=Backoff(uniform=Jitter())), client)

    assert client.calls[1][1]["RequestItems"][TABLE]["Keys"] == [key_of(Order("c1", i)) for i in (1, 3)]
    assert [o.number for o in items] == [0, 1, 3]


def test_table_methods_take_the_sleep_and_the_random_source() -> None:
    sleeps: list[float] = []
    jitter = Jitter(0.25)
    client = ScriptedClient(leave_unprocessed(0), {}, leave_unprocessed(0), {})
    table = Table(ORDERS, client=client, now=Clock())

    table.batch_write(puts=orders(2), sleep=sleeps.append, rand_uniform=jitter)
    table.batch_write(puts=orders(2), sleep=None)

    assert sleeps == [0.0125]
    assert jitter.bounds == [(0.0, 0.05)]
    assert len(client.calls) == 4


# --- leftovers: retries exhausted ---------------------------------------------------------------------------


def test_batch_write_returns_the_very_objects_left_after_retries_including_unsent_chunks() -> None:
    puts = orders(40)
    deletes = [("c2", i) for i in range(20)]
    sleeps: list[float] = []
    client = ScriptedClient({}, leave_unprocessed(3, 14, 20), leave_unprocessed(0, 2), leave_unprocessed(1))

    with pytest.raises(BatchRetryExceededError) as caught:
        drive(
            batch_write_op(context(), puts, deletes, max_retries=2, backoff=Backoff(uniform=Jitter())),
            client,
            sleeps=sleeps,
        )

    error = caught.value
    assert type(error) is BatchRetryExceededError
    # Chunk 1 = puts[25:40] + deletes[0:10]: positions 3, 14, 20 are puts[28], puts[39], deletes[5];
    # retry 1 leaves puts[28] and deletes[5], retry 2 leaves deletes[5]. Chunk 2 (deletes[10:]) is never sent.
    assert same_objects(error.unprocessed_puts, [])
    assert same_objects(error.unprocessed_deletes, [deletes[5], *deletes[10:]])
    assert same_objects(error.unprocessed, [deletes[5], *deletes[10:]])
    assert error.unprocessed_count == 11
    assert error.unprocessed_keys == () and error.results == ()
    assert (error.code, error.operation, error.table) == (ERR_BATCH_OPERATION_FAILED, "batch_write", TABLE)
    assert len(client.calls) == 4 and len(sleeps) == 2


def test_leftover_puts_come_before_leftover_deletes() -> None:
    puts = orders(30)
    deletes = [("c2", i) for i in range(5)]
    client = ScriptedClient(leave_unprocessed(0, 24))

    with pytest.raises(BatchRetryExceededError) as caught:
        drive(batch_write_op(context(), puts, deletes, max_retries=0), client)

    error = caught.value
    assert same_objects(error.unprocessed_puts, [puts[0], puts[24], *puts[25:]])
    assert same_objects(error.unprocessed_deletes, deletes)
    assert same_objects(error.unprocessed, [puts[0], puts[24], *puts[25:], *deletes])


def test_batch_get_returns_results_read_and_keys_left_when_retries_run_out() -> None:
    keys = [("c1", i) for i in range(150)]
    first = found(*[stored(Order("c1", i, f"note {i}")) for i in range(0, 100, 2)])  # odd ones missing
    second = found(
        stored(Order("c1", 101, "note 101")),
        unprocessed=[key_of(Order("c1", i)) for i in (140, 120)],
    )
    client = ScriptedClient(first, second, found(unprocessed=[key_of(Order("c1", 120))]))

    with pytest.raises(BatchRetryExceededError) as caught:
        drive(batch_get_op(context(), keys, max_retries=1), client)

    error = caught.value
    assert type(error) is BatchRetryExceededError
    assert same_objects(error.unprocessed_keys, [keys[120]])
    assert same_objects(error.unprocessed, [keys[120]])
    assert [o.number for o in error.results] == [*range(0, 100, 2), 101]
    assert (error.unprocessed_count, error.operation) == (1, "batch_get")
    assert error.unprocessed_puts == () and error.unprocessed_deletes == ()


def test_batch_get_leftovers_include_every_chunk_never_sent() -> None:
    keys = [("c1", i) for i in range(250)]
    client = ScriptedClient(found(unprocessed=[key_of(Order("c1", 5))]))

    with pytest.raises(BatchRetryExceededError) as caught:
        drive(batch_get_op(context(), keys, max_retries=0), client)

    assert same_objects(caught.value.unprocessed_keys, [keys[5], *keys[100:]])
    assert caught.value.results == ()


# --- leftovers: interrupted by another error ----------------------------------------------------------------


def test_a_server_error_outlasting_the_retries_raises_interrupted_with_the_unwritten_objects() -> None:
    puts = orders(60)
    client = ScriptedClient({}, client_error("InternalServerError"))

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), puts, (), max_retries=0), client)

    error = caught.value
    assert isinstance(error, BatchRetryExceededError)
    assert same_objects(error.unprocessed_puts, puts[25:])
    assert isinstance(error.__cause__, AwsError) and error.__cause__.code == "InternalServerError"
    assert error.reason == "InternalServerError"
    assert str(error) == "batch_write: interrupted by InternalServerError (unprocessed=35)"
    assert (error.code, error.operation, error.table) == (ERR_BATCH_OPERATION_FAILED, "batch_write", TABLE)


def test_an_error_during_retries_keeps_only_what_is_still_pending() -> None:
    puts = orders(30)
    client = ScriptedClient(leave_unprocessed(2, 9), client_error("ResourceNotFoundException"))

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), puts, ()), client)

    assert same_objects(caught.value.unprocessed, [puts[2], puts[9], *puts[25:]])
    assert isinstance(caught.value.__cause__, TableNotFoundError)


def test_a_connection_error_is_not_lost_either() -> None:
    puts = orders(3)
    client = ScriptedClient(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), puts, (), max_retries=0), client)

    assert same_objects(caught.value.unprocessed, puts)
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError) and not cause.may_have_applied
    assert (cause.operation, cause.table) == ("batch_write", TABLE)
    assert isinstance(cause.__cause__, EndpointConnectionError)
    assert caught.value.reason == "ErrTransport"


def test_a_read_timeout_keeps_the_chunk_in_flight_as_unprocessed() -> None:
    puts = orders(30)
    client = ScriptedClient({}, ReadTimeoutError(endpoint_url="http://127.0.0.1:1"))

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), puts, (), max_retries=0), client)

    assert same_objects(caught.value.unprocessed, puts[25:])
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError) and cause.may_have_applied
    assert isinstance(cause.__cause__, ReadTimeoutError)


def test_a_chunk_whose_answer_was_lost_is_resent_whole_as_batch_writes_are_idempotent() -> None:
    puts = orders(3)
    client = ScriptedClient(
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), client_error("InternalServerError"), {}
    )
    sleeps: list[float] = []

    drive(
        batch_write_op(context(), puts, (), backoff=Backoff(uniform=lambda low, high: high)),
        client,
        sleeps=sleeps,
    )

    requests = [params for _, params in client.calls]
    assert len(requests) == 3 and requests[0] == requests[1] == requests[2]
    assert sleeps == [0.05, 0.1]


def test_batch_get_retries_a_lost_answer_and_reports_the_error_when_retries_run_out() -> None:
    client = ScriptedClient(*[ReadTimeoutError(endpoint_url="http://127.0.0.1:1")] * 3)

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_get_op(context(), [("c1", 1), ("c1", 2)], max_retries=2), client)

    assert len(client.calls) == 3
    assert caught.value.unprocessed_keys == (("c1", 1), ("c1", 2))
    assert isinstance(caught.value.__cause__, TransportError)


def test_an_item_that_cannot_be_encoded_stops_the_batch_at_its_chunk() -> None:
    @dataclass
    class Reading:
        sensor: str = dynamorm_field(roles=["pk"])
        value: float = 0.0

    model = ModelDefinition.from_dataclass(Reading, table_name="readings")
    puts = [Reading(f"s{i}", float(i)) for i in range(60)]
    puts[30].value = float("nan")
    client = ScriptedClient(default={})

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(model), puts, ()), client)

    assert len(client.calls) == 1
    assert same_objects(caught.value.unprocessed, puts[25:])
    cause = caught.value.__cause__
    assert isinstance(cause, ValidationError) and cause.code == ERR_INVALID_VALUE
    assert (cause.operation, cause.table) == ("batch_write", "readings")


def test_a_duplicate_in_a_generator_is_found_at_its_chunk_and_nothing_after_it_is_lost() -> None:
    puts = [*orders(30), Order("c1", 3, "again"), *orders(10, start=100)]
    client = ScriptedClient(default={})

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), iter(puts), ()), client)

    assert len(client.calls) == 1
    assert same_objects(caught.value.unprocessed, puts[25:])
    cause = caught.value.__cause__
    assert isinstance(cause, ValidationError) and cause.code == ERR_INVALID_MODEL


def test_a_wrong_type_in_a_generator_is_found_at_its_chunk() -> None:
    puts: list[Any] = [*orders(26), "not an order", *orders(3, start=50)]
    client = ScriptedClient(default={})

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_write_op(context(), (p for p in puts), ()), client)

    assert same_objects(caught.value.unprocessed, puts[25:])


def test_batch_get_interrupted_keeps_results_and_the_keys_not_read() -> None:
    keys = [("c1", i) for i in range(120)]
    client = ScriptedClient(
        found(stored(Order("c1", 7))), client_error("InternalServerError", "BatchGetItem")
    )

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_get_op(context(), keys), client)

    error = caught.value
    assert [o.number for o in error.results] == [7]
    assert same_objects(error.unprocessed_keys, keys[100:])
    assert error.operation == "batch_get"


def test_batch_get_interrupted_while_decoding_reports_the_undecoded_keys() -> None:
    broken = {"customer": {"S": "c1"}, "number": {"N": "2"}, "createdAt": {"S": "yesterday"}}
    client = ScriptedClient(found(stored(Order("c1", 1)), broken))

    with pytest.raises(BatchInterruptedError) as caught:
        drive(batch_get_op(context(), [("c1", 1), ("c1", 2)]), client)

    assert [o.number for o in caught.value.results] == [1]
    assert caught.value.unprocessed_keys == (("c1", 2),)


# --- concurrent chunks --------------------------------------------------------------------------------------


class PoisonClient(ScriptedClient):
    """Accepts every put except those whose number is poisoned (left unprocessed forever); thread-safe."""

    def __init__(self, poisoned: set[int]) -> None:
        super().__init__(default=self._write)
        self.poisoned = poisoned
        self.accepted: set[int] = set()
        self._accepting = threading.Lock()

    def _write(self, params: dict[str, Any]) -> dict[str, Any]:
        left = []
        with self._accepting:
            for request in write_requests(params):
                number = int(request["PutRequest"]["Item"]["number"]["N"])
                if number in self.poisoned:
                    left.append(request)
                else:
                    self.accepted.add(number)
        return {"UnprocessedItems": {TABLE: left}} if left else {}


@pytest.mark.parametrize("max_workers", [2, 4])
def test_concurrent_batch_write_writes_everything(max_workers: int) -> None:
    client = PoisonClient(set())
    Table(ORDERS, client=client).batch_write(puts=orders(500), max_workers=max_workers)

    assert client.accepted == set(range(500))
    assert len(client.calls) == 20


@pytest.mark.parametrize("max_workers", [2, 4])
def test_concurrent_batch_write_leftovers_are_exactly_the_objects_not_written(max_workers: int) -> None:
    puts = orders(1000)
    client = PoisonClient({130, 131, 499})

    with pytest.raises(BatchRetryExceededError) as caught:
        Table(ORDERS, client=client).batch_write(
            puts=puts, max_retries=1, sleep=None, max_workers=max_workers
        )

    expected = [order for order in puts if order.number not in client.accepted]
    assert same_objects(caught.value.unprocessed_puts, expected)
    assert same_objects(caught.value.unprocessed, expected)
    assert puts[130] in expected and len(expected) < 1000 - 125  # stopped early, but after in-flight chunks


def test_concurrent_batch_write_reports_an_interrupting_error_with_its_leftovers() -> None:
    puts = orders(100)

    def answer(params: dict[str, Any]) -> Any:
        numbers = {int(r["PutRequest"]["Item"]["number"]["N"]) for r in write_requests(params)}
        return client_error("InternalServerError") if 60 in numbers else {}

    client = ScriptedClient(default=answer)

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_write(puts=puts, max_workers=2)

    assert same_objects(caught.value.unprocessed, puts[50:75])
    assert caught.value.operation == "batch_write" and caught.value.table == TABLE


def test_concurrent_and_sequential_paths_reject_the_same_bad_input_before_sending() -> None:
    client = FakeDynamoDBClient()
    table = Table(ORDERS, client=client)

    for max_workers in (None, 3):
        with pytest.raises(ValidationError) as error:
            table.batch_write(puts=[Order("c1", 1), Order("c1", 1)], max_workers=max_workers)
        assert (error.value.code, error.value.operation, error.value.table) == (
            ERR_INVALID_MODEL,
            "batch_write",
            TABLE,
        )
    assert client.calls == []


def test_clock_is_read_once_per_concurrent_call() -> None:
    clock = Clock(NOW + timedelta(hours=1))
    client = PoisonClient(set())

    Table(ORDERS, client=client, now=clock).batch_write(puts=orders(200), max_workers=4)

    assert clock.calls == 1


# --- leftovers: errors from the caller's own iterator, sleep and client -------------------------------------


@pytest.mark.parametrize("max_workers", [None, 2])
def test_an_error_from_the_callers_iterator_keeps_what_it_had_yielded(max_workers: int | None) -> None:
    puts = orders(60)
    broken = RuntimeError("the caller's generator failed")

    def generate() -> Iterator[Order]:
        for order in puts:
            if order.number == 55:
                raise broken
            yield order

    client = ScriptedClient(default={})

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_write(
            puts=generate(), deletes=[("c2", 1)], max_workers=max_workers
        )

    error = caught.value
    sent = [
        r["PutRequest"]["Item"]["number"]["N"]
        for params in [params for _, params in client.calls]
        for r in write_requests(params)
    ]
    assert sent == [str(i) for i in range(50)]  # the two chunks before the error were written
    assert same_objects(error.unprocessed_puts, puts[50:55])  # pulled from the generator, never sent
    assert error.unprocessed_deletes == (("c2", 1),)
    assert error.__cause__ is broken and error.reason == "RuntimeError"
    assert (error.code, error.operation, error.table) == (ERR_BATCH_OPERATION_FAILED, "batch_write", TABLE)


def failing_sleep(seconds: float) -> None:
    raise RuntimeError("the caller's sleep failed")


@pytest.mark.parametrize("max_workers", [None, 2])
def test_a_sleep_that_raises_reports_exactly_what_is_pending(max_workers: int | None) -> None:
    puts = orders(60)
    client = PoisonClient({3, 30})  # one put of chunk 0 and one of chunk 1 are never accepted

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_write(puts=puts, sleep=failing_sleep, max_workers=max_workers)

    error = caught.value
    expected = [order for order in puts if order.number not in client.accepted]
    assert same_objects(error.unprocessed, expected)
    assert puts[3] in expected and len(expected) < 60
    assert isinstance(error.__cause__, RuntimeError) and error.reason == "RuntimeError"


def test_a_batch_get_sleep_that_raises_keeps_results_and_the_keys_not_read() -> None:
    keys = [("c1", i) for i in range(120)]
    client = ScriptedClient(found(stored(Order("c1", 0)), unprocessed=[key_of(Order("c1", 7))]))

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_get(keys, sleep=failing_sleep)

    error = caught.value
    assert [o.number for o in error.results] == [0]
    assert same_objects(error.unprocessed_keys, [keys[7], *keys[100:]])
    assert (error.operation, error.table) == ("batch_get", TABLE)


@pytest.mark.parametrize("max_workers", [None, 2])
def test_a_plain_exception_from_the_client_mid_way_loses_nothing(max_workers: int | None) -> None:
    puts = orders(100)
    deletes = [("c2", i) for i in range(10)]
    broken = RuntimeError("client bug")
    written: set[tuple[str, int]] = set()

    def answer(params: dict[str, Any]) -> Any:
        keys = [
            (key["customer"]["S"], int(key["number"]["N"]))
            for r in write_requests(params)
            for key in [r["PutRequest"]["Item"] if "PutRequest" in r else r["DeleteRequest"]["Key"]]
        ]
        if ("c1", 50) in keys:
            return broken
        written.update(keys)
        return {}

    client = ScriptedClient(default=answer)

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_write(puts=puts, deletes=deletes, max_workers=max_workers)

    error = caught.value
    assert same_objects(error.unprocessed_puts, [o for o in puts if (o.customer, o.number) not in written])
    assert same_objects(error.unprocessed_deletes, [d for d in deletes if d not in written])
    assert puts[50] in error.unprocessed_puts and puts[74] in error.unprocessed_puts
    if max_workers is None:  # sequential: nothing after the failing chunk was sent
        assert same_objects(error.unprocessed, [*puts[50:], *deletes])
    assert error.__cause__ is broken


def test_a_plain_exception_from_the_client_mid_way_in_batch_get_loses_nothing() -> None:
    keys = [("c1", i) for i in range(250)]
    broken = RuntimeError("client bug")
    client = ScriptedClient(found(stored(Order("c1", 1))), broken)

    with pytest.raises(BatchInterruptedError) as caught:
        Table(ORDERS, client=client).batch_get(keys)

    error = caught.value
    assert [o.number for o in error.results] == [1]
    assert same_objects(error.unprocessed, keys[100:])
    assert error.__cause__ is broken
    assert (error.code, error.operation, error.table) == (ERR_BATCH_OPERATION_FAILED, "batch_get", TABLE)


# --- explain matches what is sent; sleep=None never waits ---------------------------------------------------


def test_explain_batch_requests_equal_what_the_call_sends() -> None:
    puts = orders(30)
    deletes = [("c2", i) for i in range(30)]
    keys = [("c1", i) for i in range(150)] + [("c1", 3)]
    client = ScriptedClient(default={})
    table = Table(ORDERS, client=client, now=Clock())

    explained_write = table.explain.batch_write(puts=puts, deletes=deletes)
    explained_get = table.explain.batch_get(keys, consistent_read=True, projection=["note"])
    assert client.calls == []
    table.batch_write(puts=puts, deletes=deletes)
    table.batch_get(keys, consistent_read=True, projection=["note"])

    explained = [*explained_write, *explained_get]
    assert [(r.operation, r.params) for r in explained] == client.calls
    assert [r.operation for r in explained] == ["batch_write_item"] * 3 + ["batch_get_item"] * 2


@pytest.mark.timeout(120)
def test_sleep_none_never_waits() -> None:
    # Every wait is an hour: were any of them slept, the timeout would end the test as a failure.
    an_hour = Jitter(3600.0)
    table = Table(ORDERS, client=PoisonClient({7}), now=Clock())
    get_client = ScriptedClient(default=found(unprocessed=[key_of(Order("c1", 7))]))

    for max_workers in (None, 2):
        with pytest.raises(BatchRetryExceededError):
            table.batch_write(
                puts=orders(30), max_retries=8, sleep=None, rand_uniform=an_hour, max_workers=max_workers
            )
    with pytest.raises(BatchRetryExceededError):
        Table(ORDERS, client=get_client).batch_get(
            [("c1", 7)], max_retries=8, sleep=None, rand_uniform=an_hour
        )

    assert len(an_hour.bounds) == 24  # 8 waits were asked for by each call, and none was slept


class FailingKms(FakeKms):
    """Hands out data keys until ``fail_after`` of them were issued, then fails as KMS would."""

    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.fail_after = fail_after

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "generate_data_key" and len(self.keys) >= self.fail_after:
            raise client_error("KMSInternalException", "GenerateDataKey")
        return super()._call(operation, params)


@pytest.mark.parametrize("max_workers", [None, 2])
def test_a_kms_failure_mid_way_keeps_its_chunk_and_everything_after_it(max_workers: int | None) -> None:
    cards = [Card(f"c{i:02}", f"41{i:02}") for i in range(60)]
    client = ScriptedClient(default={})
    kms = FailingKms(fail_after=30)  # the 31st item (chunk 1) cannot be sealed
    table = Table(CARDS, client=client, kms_key_arn=ARN, kms_client=kms)

    with pytest.raises(BatchInterruptedError) as caught:
        table.batch_write(puts=cards, max_workers=max_workers)

    error = caught.value
    sent = {
        r["PutRequest"]["Item"]["id"]["S"]
        for p in [params for _, params in client.calls]
        for r in write_requests(p, "cards")
    }
    assert same_objects(error.unprocessed_puts, [c for c in cards if c.id not in sent])
    assert len(error.unprocessed_puts) >= 25  # the whole chunk of the item that could not be sealed
    if max_workers is None:  # sequential: that is chunk 1, and chunk 2 was never started
        assert same_objects(error.unprocessed, cards[25:])
    assert isinstance(error.__cause__, AwsError) and error.reason == "KMSInternalException"
    assert (error.operation, error.table) == ("batch_write", "cards")
