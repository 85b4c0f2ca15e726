"""Models that share a table tell their items apart: ``matches=`` on the model, the ``sk_prefix`` /
``pk_prefix`` / ``attribute_equals`` helpers, and every read of a single-model ``Table`` keeping only the
model's items (api.md §4.2). A scripted client stands in for DynamoDB; items are raw AttributeValues."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from doubles import RecordingClient, ScriptedClient, expecting
from dynamorm_py import (
    AsyncTable,
    ModelDefinition,
    ModelDefinitionError,
    NotFoundError,
    Table,
    ValidationError,
    attribute_equals,
    dynamorm_field,
    parse_stream_event,
    parse_stream_record,
    pk_prefix,
    sk_prefix,
    unmarshal_stream_image,
)
from dynamorm_py.errors import ERR_INVALID_VALUE, ERR_ITEM_NOT_FOUND, ERR_UNRECOGNIZED_ITEM
from dynamorm_py.mocks import AsyncFakeDynamoDBClient
from dynamorm_py.model import ItemMatcher
from dynamorm_py.query import Page, decode_cursor
from dynamorm_py.streams import StreamRecords

ARN = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"


@dataclass
class Customer:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: str = dynamorm_field(roles=["sk"], name="SK")
    name: str = ""
    kind: str = dynamorm_field(name="type", default="customer")


@dataclass
class Counter:
    pk: int = dynamorm_field(roles=["pk"])
    sk: int = dynamorm_field(roles=["sk"])


@dataclass
class NoSort:
    pk: str = dynamorm_field(roles=["pk"])


@dataclass
class Secretive:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: str = dynamorm_field(roles=["sk"], name="SK")
    secret: str = dynamorm_field(encrypted=True, default="")
    entity_type: str = dynamorm_field(name="entityType", default="x")


CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name="shop", matches=sk_prefix("PROFILE"))
EVERYTHING = ModelDefinition.from_dataclass(Customer, table_name="shop")

PROFILE = {"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}, "name": {"S": "Ada"}, "type": {"S": "customer"}}
ORDER_7 = {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#7"}, "total": {"N": "12"}, "type": {"S": "order"}}
ORDER_8 = {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#8"}, "total": {"N": "30"}, "type": {"S": "order"}}
ADA = Customer(pk="CUST#1", sk="PROFILE", name="Ada")


def customers(client: Any, model: ModelDefinition[Customer] = CUSTOMERS) -> Table[Customer]:
    return Table(model, client=client)


# --- the model ------------------------------------------------------------------------------------------


def test_a_model_without_matches_has_none() -> None:
    assert EVERYTHING.matches is None


def test_sk_prefix_is_bound_to_the_model_sort_key_attribute() -> None:
    assert CUSTOMERS.matches is not None
    assert CUSTOMERS.matches(PROFILE) is True
    assert CUSTOMERS.matches(ORDER_7) is False
    assert CUSTOMERS.matches({"PK": {"S": "CUST#1"}}) is False  # no sort key at all
    assert CUSTOMERS.matches({"PK": {"S": "CUST#1"}, "SK": {"N": "1"}}) is False


def test_pk_prefix_is_bound_to_the_model_partition_key_attribute() -> None:
    model = ModelDefinition.from_dataclass(Customer, matches=pk_prefix("CUST#"))
    assert model.matches is not None
    assert model.matches(PROFILE) is True
    assert model.matches({"PK": {"S": "ORDER#1"}, "SK": {"S": "PROFILE"}}) is False


def test_the_same_helper_binds_to_each_model_own_key_names() -> None:
    @dataclass
    class Other:
        owner: str = dynamorm_field(roles=["pk"], name="ownerId")
        sort: str = dynamorm_field(roles=["sk"], name="sortKey")

    matcher = sk_prefix("ORDER#")
    other = ModelDefinition.from_dataclass(Other, matches=matcher)
    mine = ModelDefinition.from_dataclass(Customer, matches=matcher)
    assert other.matches is not None and mine.matches is not None
    assert other.matches({"ownerId": {"S": "u"}, "sortKey": {"S": "ORDER#1"}}) is True
    assert other.matches(ORDER_7) is False
    assert mine.matches(ORDER_7) is True


@pytest.mark.parametrize(
    ("value", "stored", "expected"),
    [
        ("order", {"S": "order"}, True),
        ("order", {"S": "orders"}, False),
        (1, {"N": "1.0"}, True),  # numbers compare by value
        (Decimal("2.50"), {"N": "2.5"}, True),
        (1, {"S": "1"}, False),  # a string is not a number
        (True, {"BOOL": True}, True),
        (True, {"N": "1"}, False),  # a bool is not a number
        (b"\x00\x01", {"B": b"\x00\x01"}, True),
        (bytearray(b"\x02"), {"B": b"\x02"}, True),
    ],
)
def test_attribute_equals_compares_the_stored_scalar(
    value: Any, stored: dict[str, Any], expected: bool
) -> None:
    model = ModelDefinition.from_dataclass(Customer, matches=attribute_equals("type", value))
    assert model.matches is not None
    assert model.matches({"PK": {"S": "p"}, "SK": {"S": "s"}, "type": stored}) is expected
    assert model.matches({"PK": {"S": "p"}, "SK": {"S": "s"}}) is False  # absent attribute


def test_matchers_combine_with_and_or_not_and_plain_predicates() -> None:
    both = ModelDefinition.from_dataclass(
        Customer, matches=sk_prefix("ORDER#") & ~attribute_equals("total", 30)
    )
    either = ModelDefinition.from_dataclass(
        Customer, matches=sk_prefix("PROFILE") | attribute_equals("total", 30)
    )
    mixed = ModelDefinition.from_dataclass(
        Customer, matches=sk_prefix("ORDER#") & (lambda item: item["total"]["N"] == "12")
    )
    assert both.matches is not None and either.matches is not None and mixed.matches is not None
    assert [both.matches(i) for i in (PROFILE, ORDER_7, ORDER_8)] == [False, True, False]
    assert [either.matches(i) for i in (PROFILE, ORDER_7, ORDER_8)] == [True, False, True]
    assert [mixed.matches(i) for i in (ORDER_7, ORDER_8)] == [True, False]


def test_a_plain_predicate_is_used_as_it_is_and_receives_the_raw_item() -> None:
    seen: list[Any] = []

    def is_order(item: Any) -> bool:
        seen.append(item)
        return item["type"] == {"S": "order"}

    model = ModelDefinition.from_dataclass(Customer, matches=is_order)
    assert model.matches is is_order
    assert model.matches(ORDER_7) is True
    assert seen == [ORDER_7]


def test_a_model_built_directly_binds_a_matcher_too() -> None:
    direct = ModelDefinition(
        model_type=Customer,
        table_name="shop",
        pk=EVERYTHING.pk,
        sk=EVERYTHING.sk,
        attributes=EVERYTHING.attributes,
        indexes=(),
        matches=sk_prefix("PROFILE"),  # type: ignore[arg-type]
    )
    assert direct.matches is not None and direct.matches(PROFILE) is True
    assert direct.matches == CUSTOMERS.matches


def test_helpers_return_matchers_with_readable_reprs() -> None:
    assert isinstance(sk_prefix("A"), ItemMatcher)
    assert repr(sk_prefix("ORDER#")) == "sk_prefix('ORDER#')"
    assert repr(CUSTOMERS.matches) == "sk_prefix('PROFILE') on 'SK'"


@pytest.mark.parametrize(
    ("matches", "field"),
    [
        ("PROFILE", "matches"),
        (42, "matches"),
        (sk_prefix("A") & sk_prefix("B"), None),  # valid: checked below as accepted
    ],
)
def test_matches_must_be_a_callable_a_matcher_or_none(matches: Any, field: str | None) -> None:
    if field is None:
        assert ModelDefinition.from_dataclass(Customer, matches=matches).matches is not None
        return
    with pytest.raises(ModelDefinitionError) as caught:
        ModelDefinition.from_dataclass(Customer, matches=matches)
    assert caught.value.field == field
    assert "matches" in str(caught.value)


@pytest.mark.parametrize("build", [lambda: sk_prefix(""), lambda: pk_prefix(3), lambda: sk_prefix(None)])
def test_a_prefix_must_be_a_non_empty_string(build: Any) -> None:
    with pytest.raises(ModelDefinitionError) as caught:
        build()
    assert caught.value.field == "prefix"


@pytest.mark.parametrize(
    ("attribute", "value", "field"),
    [
        ("", "x", "attribute"),
        (3, "x", "attribute"),
        ("type", None, "value"),
        ("type", ["a"], "value"),
        ("type", float("nan"), "value"),
        ("type", Decimal("1E+200"), "value"),
    ],
)
def test_attribute_equals_rejects_bad_arguments(attribute: Any, value: Any, field: str) -> None:
    with pytest.raises(ModelDefinitionError) as caught:
        attribute_equals(attribute, value)
    assert caught.value.field == field


def test_key_prefixes_need_string_keys_and_a_sort_key() -> None:
    with pytest.raises(ModelDefinitionError, match="string key"):
        ModelDefinition.from_dataclass(Counter, matches=sk_prefix("A"))
    with pytest.raises(ModelDefinitionError, match="string key"):
        ModelDefinition.from_dataclass(Counter, matches=pk_prefix("A"))
    with pytest.raises(ModelDefinitionError, match="sort key"):
        ModelDefinition.from_dataclass(NoSort, matches=sk_prefix("A"))
    with pytest.raises(ModelDefinitionError, match="string key"):
        ModelDefinition.from_dataclass(Counter, matches=~(sk_prefix("A") | attribute_equals("x", 1)))


def test_attribute_equals_refuses_encrypted_fields_and_field_names_stored_under_another_name() -> None:
    with pytest.raises(ModelDefinitionError, match="encrypted"):
        ModelDefinition.from_dataclass(Secretive, matches=attribute_equals("secret", "x"))
    with pytest.raises(ModelDefinitionError, match="entityType"):
        ModelDefinition.from_dataclass(Secretive, matches=attribute_equals("entity_type", "x"))
    ok = ModelDefinition.from_dataclass(Secretive, matches=attribute_equals("entityType", "x"))
    assert ok.matches is not None


def test_a_matcher_combines_only_with_matchers_and_predicates() -> None:
    with pytest.raises(ModelDefinitionError):
        sk_prefix("A") & "B"  # type: ignore[operator]


# --- reads through Table --------------------------------------------------------------------------------


def test_query_returns_only_the_model_items_and_the_others_raw_in_unrecognized() -> None:
    client = expecting("query", {"Items": [PROFILE, ORDER_7, ORDER_8], "Count": 3})
    page = customers(client).query("CUST#1")
    assert page.items == [ADA]
    assert page.unrecognized == (ORDER_7, ORDER_8)
    assert page.next_cursor is None


def test_without_matches_every_item_is_decoded_and_unrecognized_is_empty() -> None:
    client = expecting("query", {"Items": [PROFILE, ORDER_7]})
    page = customers(client, EVERYTHING).query("CUST#1")
    assert len(page.items) == 2
    assert page.unrecognized == ()
    assert Page([], None).unrecognized == ()


def test_the_request_is_unchanged_by_matches() -> None:
    plain, matching = expecting("query", {"Items": []}), expecting("query", {"Items": []})
    customers(plain, EVERYTHING).query("CUST#1")
    customers(matching).query("CUST#1")
    assert plain.calls == matching.calls


def test_the_cursor_continues_past_a_page_of_other_entities() -> None:
    last_key = {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#8"}}
    client = expecting(
        "query", {"Items": [ORDER_7, ORDER_8], "LastEvaluatedKey": last_key}, {"Items": [PROFILE]}
    )
    table = customers(client)
    first = table.query("CUST#1", limit=2)
    assert first.items == [] and len(first.unrecognized) == 2
    assert first.next_cursor is not None
    assert decode_cursor(first.next_cursor).last_key == {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#8"}}
    second = table.query("CUST#1", cursor=first.next_cursor)
    assert client.calls[-1][1]["ExclusiveStartKey"] == last_key
    assert second.items == [ADA] and second.unrecognized == ()


def test_query_all_scan_all_and_iterators_keep_only_the_model_items_across_pages() -> None:
    last_key = {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#7"}}
    pages = [{"Items": [ORDER_7], "LastEvaluatedKey": last_key}, {"Items": [ORDER_8, PROFILE]}]
    for read in (
        lambda t: t.query_all("CUST#1"),
        lambda t: t.scan_all(),
        lambda t: list(t.iter_query("CUST#1")),
        lambda t: list(t.iter_scan()),
        lambda t: t.scan_all_segments(total_segments=1),
    ):
        client = ScriptedClient(*pages)
        assert read(customers(client)) == [ADA]
        assert client.count("query") + client.count("scan") == 2


def test_scan_page_reports_unrecognized_items() -> None:
    page = customers(expecting("scan", {"Items": [ORDER_8, PROFILE]})).scan()
    assert page.items == [ADA] and page.unrecognized == (ORDER_8,)


def test_a_projected_query_also_reads_what_the_matcher_needs() -> None:
    model = ModelDefinition.from_dataclass(
        Customer, table_name="shop", matches=attribute_equals("type", "customer")
    )
    client = expecting(
        "query", {"Items": [{"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}, "type": {"S": "customer"}}]}
    )
    page = customers(client, model).query("CUST#1", projection=["pk", "sk"])
    request = client.calls[-1][1]
    assert request["ProjectionExpression"].endswith(", #match0")
    assert request["ExpressionAttributeNames"]["#match0"] == "type"
    assert len(page.items) == 1


def test_a_projection_that_already_loads_the_matcher_attribute_is_unchanged() -> None:
    plain, matching = expecting("query", {"Items": []}), expecting("query", {"Items": []})
    customers(plain, EVERYTHING).query("CUST#1", projection=["pk", "sk"])
    customers(matching).query("CUST#1", projection=["pk", "sk"])
    assert plain.calls == matching.calls


def test_a_predicate_that_raises_is_a_typed_error_with_the_cause_kept() -> None:
    def broken(item: Any) -> bool:
        return bool(item["missing"])

    model = ModelDefinition.from_dataclass(Customer, table_name="shop", matches=broken)
    with pytest.raises(ValidationError) as caught:
        customers(expecting("query", {"Items": [PROFILE]}), model).query("CUST#1")
    error = caught.value
    assert (error.code, error.operation, error.table) == (ERR_INVALID_VALUE, "query", "shop")
    assert isinstance(error.__cause__, KeyError)
    assert "Customer" in str(error) and "KeyError" in str(error)
    assert "CUST#1" not in str(error) and "Ada" not in str(error)


def test_count_counts_what_dynamodb_counts() -> None:
    client = expecting("query", {"Count": 3})
    assert customers(client).count("CUST#1") == 3
    assert client.calls[-1][1]["Select"] == "COUNT"


# --- single-item reads ----------------------------------------------------------------------------------


def test_get_of_another_entity_is_not_found_without_values_in_the_message() -> None:
    client = RecordingClient({"get_item": {"Item": ORDER_7}})
    table = customers(client)
    with pytest.raises(NotFoundError) as caught:
        table.get("CUST#1", "ORDER#7")
    error = caught.value
    assert (error.code, error.operation, error.table) == (ERR_ITEM_NOT_FOUND, "get", "shop")
    assert "not a Customer" in str(error)
    assert "ORDER#7" not in str(error) and "CUST#1" not in str(error)
    assert table.get("CUST#1", "ORDER#7", default=None) is None
    client.responses["get_item"] = {"Item": PROFILE}
    assert table.get("CUST#1", "PROFILE") == ADA


def test_exists_is_false_for_another_entity_and_projects_what_the_matcher_reads() -> None:
    client = RecordingClient({"get_item": {"Item": {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#7"}}}})
    table = customers(client)
    assert table.exists("CUST#1", "ORDER#7") is False
    assert client.last["ProjectionExpression"] == "#k0, #k1"
    client.responses["get_item"] = {"Item": {"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}}}
    assert table.exists("CUST#1", "PROFILE") is True

    model = ModelDefinition.from_dataclass(
        Customer, table_name="shop", matches=attribute_equals("type", "customer")
    )
    client = RecordingClient({"get_item": {"Item": ORDER_7}})
    assert customers(client, model).exists("CUST#1", "ORDER#7") is False
    assert client.last["ProjectionExpression"] == "#k0, #k1, #match0"
    assert client.last["ExpressionAttributeNames"]["#match0"] == "type"


def test_exists_with_a_plain_predicate_reads_the_whole_item() -> None:
    model = ModelDefinition.from_dataclass(
        Customer, table_name="shop", matches=lambda item: item.get("type") == {"S": "customer"}
    )
    client = RecordingClient({"get_item": {"Item": PROFILE}})
    assert customers(client, model).exists("CUST#1", "PROFILE") is True
    assert "ProjectionExpression" not in client.last


def test_batch_get_leaves_other_entities_absent() -> None:
    client = RecordingClient({"batch_get_item": {"Responses": {"shop": [ORDER_7, PROFILE]}}})
    found = customers(client).batch_get([("CUST#1", "ORDER#7"), ("CUST#1", "PROFILE")])
    assert found == [ADA]


def test_batch_get_projection_includes_the_matcher_attributes() -> None:
    model = ModelDefinition.from_dataclass(
        Customer, table_name="shop", matches=attribute_equals("type", "customer")
    )
    client = RecordingClient({"batch_get_item": {"Responses": {"shop": []}}})
    customers(client, model).batch_get([("CUST#1", "PROFILE")], projection=["name"])
    spec = client.last["RequestItems"]["shop"]
    assert "type" in spec["ExpressionAttributeNames"].values()


def test_transact_get_gives_none_for_other_entities() -> None:
    client = RecordingClient(
        {"transact_get_items": {"Responses": [{"Item": ORDER_7}, {"Item": PROFILE}, {}]}}
    )
    found = customers(client).transact_get([("CUST#1", "ORDER#7"), ("CUST#1", "PROFILE"), ("CUST#1", "X")])
    assert found == [None, ADA, None]


def test_transact_get_projection_includes_the_matcher_attributes() -> None:
    model = ModelDefinition.from_dataclass(
        Customer, table_name="shop", matches=attribute_equals("type", "customer")
    )
    client = RecordingClient({"transact_get_items": {"Responses": [{}, {}]}})
    customers(client, model).transact_get([("CUST#1", "A"), ("CUST#1", "B")], projection=["pk", "sk", "name"])
    for action in client.last["TransactItems"]:
        get = action["Get"]
        assert get["ProjectionExpression"].endswith("#match0")
        assert get["ExpressionAttributeNames"]["#match0"] == "type"


# --- AsyncTable -----------------------------------------------------------------------------------------


def test_async_table_reads_apply_matches_too() -> None:
    async def run() -> tuple[Page[Customer], list[Customer], Customer | None]:
        client = AsyncFakeDynamoDBClient()
        client.expect("query", response={"Items": [PROFILE, ORDER_7]})
        client.expect("query", response={"Items": [ORDER_8, PROFILE]})
        client.expect("get_item", response={"Item": ORDER_7})
        table = AsyncTable(CUSTOMERS, client=client)
        page = await table.query("CUST#1")
        everything = await table.query_all("CUST#1")
        missing = await table.get("CUST#1", "ORDER#7", default=None)
        return page, everything, missing

    page, everything, missing = asyncio.run(run())
    assert page.items == [ADA] and page.unrecognized == (ORDER_7,)
    assert everything == [ADA]
    assert missing is None


# --- streams --------------------------------------------------------------------------------------------


def stream_record(
    new: dict[str, Any] | None, old: dict[str, Any] | None = None, event_id: str = "e1"
) -> dict[str, Any]:
    source = new if new is not None else old
    assert source is not None
    body: dict[str, Any] = {
        "Keys": {"PK": source["PK"], "SK": source["SK"]},
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    return {"eventID": event_id, "eventName": "INSERT" if old is None else "MODIFY", "dynamodb": body}


def keys_only_record(item: dict[str, Any]) -> dict[str, Any]:
    return {"eventID": "k", "eventName": "REMOVE", "dynamodb": {"Keys": {"PK": item["PK"], "SK": item["SK"]}}}


def test_parse_stream_record_of_another_entity_is_a_typed_error() -> None:
    table = customers(RecordingClient())
    with pytest.raises(ValidationError) as caught:
        table.parse_stream_record(stream_record(ORDER_7))
    error = caught.value
    assert (error.code, error.operation, error.table) == (
        ERR_UNRECOGNIZED_ITEM,
        "parse_stream_record",
        "shop",
    )
    assert "not a Customer" in str(error) and "ORDER#7" not in str(error)
    with pytest.raises(ValidationError) as module_level:
        parse_stream_record(CUSTOMERS, stream_record(ORDER_7))
    assert module_level.value.code == ERR_UNRECOGNIZED_ITEM
    assert table.parse_stream_record(stream_record(PROFILE)).new == ADA


def test_every_image_of_a_record_must_match_and_keys_alone_are_judged_by_key() -> None:
    table = customers(RecordingClient())
    changed = dict(PROFILE, SK={"S": "ORDER#9"})
    with pytest.raises(ValidationError):
        table.parse_stream_record(stream_record(PROFILE, old=changed))
    assert table.parse_stream_record(keys_only_record(PROFILE)).keys == {"pk": "CUST#1", "sk": "PROFILE"}
    with pytest.raises(ValidationError):
        table.parse_stream_record(keys_only_record(ORDER_7))


def test_parse_stream_event_skips_other_entities_and_reports_them() -> None:
    order_record, profile_record = stream_record(ORDER_7, event_id="o"), stream_record(PROFILE, event_id="p")
    event = {"Records": [order_record, profile_record]}
    for parsed in (
        customers(RecordingClient()).parse_stream_event(event),
        parse_stream_event(CUSTOMERS, event),
    ):
        assert isinstance(parsed, StreamRecords) and isinstance(parsed, list)
        assert [r.new for r in parsed] == [ADA]
        assert parsed.skipped == (order_record,)
        assert "ORDER#7" not in repr(parsed) and "skipped=1" in repr(parsed)
    everything = parse_stream_event(EVERYTHING, event)
    assert len(everything) == 2 and everything.skipped == ()


def test_async_parse_stream_event_skips_other_entities() -> None:
    async def run() -> StreamRecords[Customer]:
        table = AsyncTable(CUSTOMERS, client=AsyncFakeDynamoDBClient())
        return await table.parse_stream_event({"Records": [stream_record(ORDER_7), stream_record(PROFILE)]})

    parsed = asyncio.run(run())
    assert [r.new for r in parsed] == [ADA] and len(parsed.skipped) == 1


def test_unmarshal_stream_image_of_another_entity_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        unmarshal_stream_image(CUSTOMERS, ORDER_7)
    assert caught.value.code == ERR_UNRECOGNIZED_ITEM
    assert unmarshal_stream_image(CUSTOMERS, PROFILE) == ADA


def test_nothing_extra_is_written_by_a_model_with_matches() -> None:
    plain, matching = RecordingClient(), RecordingClient()
    customers(plain, EVERYTHING).put(ADA)
    customers(matching).put(ADA)
    assert plain.last == matching.last
    assert set(matching.last["Item"]) == {"PK", "SK", "name", "type"}


def test_a_table_with_encryption_and_matches_tests_the_item_before_decrypting() -> None:
    model = ModelDefinition.from_dataclass(Secretive, table_name="shop", matches=sk_prefix("SECRET#"))
    envelope = {"M": {"v": {"N": "1"}, "edk": {"B": b"x"}, "nonce": {"B": b"n"}, "ct": {"B": b"c"}}}
    other = {"PK": {"S": "P"}, "SK": {"S": "ORDER#1"}, "secret": envelope}
    # A KMS client that fails the test if called: the other entity's item is never opened.
    page = Table(
        model, client=expecting("query", {"Items": [other]}), kms_key_arn=ARN, kms_client=object()
    ).query("P")
    assert page.items == [] and page.unrecognized == (other,)
