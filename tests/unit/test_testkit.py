"""The public test kit (``dynamorm_py.mocks`` / ``dynamorm_py.testkit``): strict scripted fakes whose failures
say what differs, fixed key KMS fakes, async twins accepted by ``AsyncTable``, deterministic helpers."""

from __future__ import annotations

import asyncio
import copy
import inspect
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from dynamorm_py import mocks, testkit
from dynamorm_py.errors import ConditionFailedError, ValidationError
from dynamorm_py.mocks import (
    ANY,
    AsyncFakeDynamoDBClient,
    AsyncFakeKmsClient,
    ExpectedCall,
    FakeDynamoDBClient,
    FakeKmsClient,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.table import AsyncTable, Table
from dynamorm_py.testkit import fixed_clock, fixed_rand_bytes, no_sleep

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = bytes(range(32))
BLOB = b"fixed-encrypted-data-key"
START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class Profile:
    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    tags: set[str] = field(default_factory=set)
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)


PROFILES = ModelDefinition.from_dataclass(Profile, table_name="profiles")


@dataclass
class Card:
    id: str = dynamorm_field(roles=["pk"])
    number: str = dynamorm_field(encrypted=True, default="")


CARDS = ModelDefinition.from_dataclass(Card, table_name="cards")


# --- the surface ---------------------------------------------------------------------------------------


def test_testkit_exports_exactly_the_documented_names_as_the_mocks_objects() -> None:
    assert sorted(testkit.__all__) == sorted(
        [
            "ANY",
            "FakeDynamoDBClient",
            "FakeKmsClient",
            "AsyncFakeDynamoDBClient",
            "AsyncFakeKmsClient",
            "fixed_rand_bytes",
            "fixed_clock",
            "no_sleep",
        ]
    )
    for name in (
        "ANY",
        "FakeDynamoDBClient",
        "FakeKmsClient",
        "AsyncFakeDynamoDBClient",
        "AsyncFakeKmsClient",
    ):
        assert getattr(testkit, name) is getattr(mocks, name)


def test_the_fakes_offer_every_method_the_library_calls() -> None:
    dynamodb = [
        "put_item",
        "get_item",
        "update_item",
        "delete_item",
        "query",
        "scan",
        "batch_get_item",
        "batch_write_item",
        "transact_write_items",
        "transact_get_items",
        "create_table",
        "delete_table",
        "describe_table",
        "update_time_to_live",
        "describe_time_to_live",
    ]
    for name in dynamodb:
        assert callable(getattr(FakeDynamoDBClient, name))
        assert inspect.iscoroutinefunction(getattr(AsyncFakeDynamoDBClient, name))
        assert getattr(FakeDynamoDBClient, name).__qualname__ == f"FakeDynamoDBClient.{name}"
    for name in ("generate_data_key", "decrypt"):
        assert callable(getattr(FakeKmsClient, name))
        assert inspect.iscoroutinefunction(getattr(AsyncFakeKmsClient, name))


def test_an_unknown_method_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="FakeDynamoDBClient has no method 'list_backups'"):
        FakeDynamoDBClient().list_backups  # noqa: B018
    with pytest.raises(AttributeError, match="AsyncFakeKmsClient has no method 'encrypt'"):
        AsyncFakeKmsClient(plaintext_key=KEY, ciphertext_blob=BLOB).encrypt  # noqa: B018
    with pytest.raises(ValueError, match="method 'list_backups' is not faked"):
        FakeDynamoDBClient().expect("list_backups")


def test_expect_refuses_a_response_and_an_error_together_and_a_non_matcher() -> None:
    with pytest.raises(ValueError, match="response or error, not both"):
        FakeDynamoDBClient().expect("get_item", response={}, error=RuntimeError("x"))
    with pytest.raises(ValidationError, match="mapping or a callable"):
        FakeDynamoDBClient().expect("get_item", ["TableName"])  # type: ignore[arg-type]


# --- matching --------------------------------------------------------------------------------------------


def test_expected_is_a_recursive_subset_with_any_matching_anything() -> None:
    client = FakeDynamoDBClient()
    client.expect("put_item", {"Item": {"id": {"S": "a"}, "tags": ANY}})
    client.expect("query", {"ExpressionAttributeValues": {":pk": {"S": ANY}}, "Limit": 2})
    client.expect("batch_write_item", {"RequestItems": {"t": [{"PutRequest": ANY}, ANY]}})
    client.put_item(TableName="t", Item={"id": {"S": "a"}, "tags": {"SS": ["x"]}, "n": {"N": "1"}})
    client.query(TableName="t", ExpressionAttributeValues={":pk": {"S": "u1"}}, Limit=2)
    client.batch_write_item(RequestItems={"t": [{"PutRequest": {}}, {"DeleteRequest": {}}]})
    client.assert_no_pending()


def test_a_differing_value_fails_showing_the_path_expected_and_actual() -> None:
    client = FakeDynamoDBClient().expect("put_item", {"Item": {"id": {"S": "a"}}})
    with pytest.raises(AssertionError) as failure:
        client.put_item(TableName="t", Item={"id": {"S": "b"}})
    message = str(failure.value)
    assert (
        "put_item (call #1) request does not match the expectation at Item.id.S: expected 'a', got 'b'"
        in message
    )
    assert "expected (subset): {'Item': {'id': {'S': 'a'}}}" in message
    assert "actual: {'TableName': 't', 'Item': {'id': {'S': 'b'}}}" in message


def test_a_missing_key_and_a_list_of_another_length_fail_naming_where() -> None:
    client = FakeDynamoDBClient()
    client.expect("get_item", {"Key": {"id": {"S": "a"}}, "ConsistentRead": True})
    client.expect("transact_write_items", {"TransactItems": [ANY, ANY]})
    client.expect("transact_write_items", {"TransactItems": [{"Put": {"TableName": "t"}}]})
    with pytest.raises(AssertionError, match=r"at ConsistentRead: missing \(expected True\)"):
        client.get_item(TableName="t", Key={"id": {"S": "a"}})
    with pytest.raises(AssertionError, match=r"at TransactItems: expected 2 item\(s\), got 1"):
        client.transact_write_items(TransactItems=[{"Put": {}}])
    with pytest.raises(AssertionError, match=r"at TransactItems\[0\]\.Put\.TableName: expected 't', got 'u'"):
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "u"}}])


def test_a_mapping_where_a_value_is_sent_fails_saying_so() -> None:
    client = FakeDynamoDBClient().expect("get_item", {"Key": {"id": {"S": "a"}}})
    with pytest.raises(AssertionError, match=r"at Key: expected a mapping, got 'a'"):
        client.get_item(Key="a")


def test_a_callable_expectation_gets_the_request_and_can_refuse_it() -> None:
    seen: list[dict[str, object]] = []

    def small_page(request: dict[str, object]) -> bool:
        seen.append(request)
        return request.get("Limit") == 10

    client = FakeDynamoDBClient().expect("scan", small_page, response={"Items": []})
    assert client.scan(TableName="t", Limit=10) == {"Items": []}
    assert seen == [{"TableName": "t", "Limit": 10}]
    client.expect("scan", small_page)
    with pytest.raises(
        AssertionError, match=r"scan \(call #2\) request rejected by the expectation .*small_page"
    ):
        client.scan(TableName="t", Limit=11)


def test_a_call_of_another_method_or_past_the_script_is_an_unexpected_call() -> None:
    client = FakeDynamoDBClient().expect("get_item")
    with pytest.raises(
        AssertionError, match=r"^unexpected call: put_item \(expected call #1 to be get_item\)"
    ):
        client.put_item(TableName="t", Item={})
    with pytest.raises(AssertionError, match=r"^unexpected call: delete_item\nrequest: \{'TableName': 't'\}"):
        client.delete_item(TableName="t")
    assert client.calls == [("put_item", {"TableName": "t", "Item": {}}), ("delete_item", {"TableName": "t"})]


def test_calls_are_recorded_as_copies_and_responses_answered_as_copies() -> None:
    response = {"Item": {"id": {"S": "a"}}}
    client = FakeDynamoDBClient().expect("get_item", response=response).expect("get_item", response=response)
    key = {"id": {"S": "a"}}
    first = client.get_item(TableName="t", Key=key)
    first["Item"]["id"]["S"] = "changed"
    key["id"]["S"] = "changed"
    assert client.get_item(TableName="t", Key={"id": {"S": "a"}}) == {"Item": {"id": {"S": "a"}}}
    assert client.calls[0] == ("get_item", {"TableName": "t", "Key": {"id": {"S": "a"}}})
    assert FakeDynamoDBClient().expect("delete_table").delete_table(TableName="t") == {}


def test_an_error_is_raised_in_its_turn_and_assert_no_pending_names_what_is_left() -> None:
    refused = ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")
    client = FakeDynamoDBClient().expect("put_item", error=refused).expect("get_item").expect("query")
    with pytest.raises(ClientError):
        client.put_item(TableName="t")
    assert client.pending == (ExpectedCall("get_item"), ExpectedCall("query"))
    with pytest.raises(AssertionError, match=r"^2 expected call\(s\) never made: get_item, query$"):
        client.assert_no_pending()


def test_any_equals_everything_and_survives_copies_and_pickles() -> None:
    assert ANY == {"S": "x"} and ANY == 3 and ANY == None  # noqa: E711
    assert not ANY != 3  # noqa: SIM202
    assert copy.deepcopy({"a": ANY})["a"] is ANY and pickle.loads(pickle.dumps(ANY)) is ANY
    assert repr(ANY) == "ANY"
    client = FakeDynamoDBClient().expect("get_item")
    client.get_item(TableName="t", Key={"id": {"S": "a"}})
    assert client.calls == [("get_item", {"TableName": "t", "Key": ANY})]


# --- KMS ---------------------------------------------------------------------------------------------------


def test_the_kms_fake_hands_out_its_fixed_key_for_any_blob() -> None:
    kms = FakeKmsClient(plaintext_key=KEY, ciphertext_blob=BLOB)
    issued = kms.generate_data_key(KeyId=ARN, KeySpec="AES_256")
    assert (issued["Plaintext"], issued["CiphertextBlob"], issued["KeyId"]) == (KEY, BLOB, ARN)
    assert kms.decrypt(CiphertextBlob=b"some other blob", KeyId=ARN)["Plaintext"] == KEY
    assert [name for name, _ in kms.calls] == ["generate_data_key", "decrypt"]
    with pytest.raises(ValidationError, match="plaintext_key must be bytes"):
        FakeKmsClient(plaintext_key="key", ciphertext_blob=BLOB)  # type: ignore[arg-type]


def test_encrypted_fields_round_trip_through_the_kms_fake() -> None:
    kms = FakeKmsClient(plaintext_key=KEY, ciphertext_blob=BLOB)
    client = FakeDynamoDBClient().expect("put_item")
    cards = Table(CARDS, client=client, kms_key_arn=ARN, kms_client=kms, rand_bytes=fixed_rand_bytes(b"n"))
    cards.put(Card("c1", "4111"))
    stored = client.calls[0][1]["Item"]
    assert "4111" not in repr(stored)
    client.expect("get_item", {"Key": {"id": {"S": "c1"}}}, response={"Item": stored})
    assert cards.get("c1") == Card("c1", "4111")
    assert [
        (name, params["CiphertextBlob"] if name == "decrypt" else None) for name, params in kms.calls
    ] == [
        ("generate_data_key", None),
        ("decrypt", BLOB),
    ]
    client.assert_no_pending()


# --- a user's round trip -----------------------------------------------------------------------------------


def test_a_table_round_trip_written_the_way_a_user_would() -> None:
    client = FakeDynamoDBClient()
    client.expect(
        "put_item",
        {
            "TableName": "profiles",
            "Item": {"id": {"S": "u1"}, "name": {"S": "Ann"}, "created_at": {"S": ANY}},
        },
    )
    client.expect(
        "get_item",
        {"TableName": "profiles", "Key": {"id": {"S": "u1"}}},
        response={
            "Item": {
                "id": {"S": "u1"},
                "name": {"S": "Ann"},
                "tags": {"SS": ["admin"]},
                "created_at": {"S": "2026-01-02T03:04:05.000000000Z"},
            }
        },
    )
    profiles = Table(PROFILES, client=client, now=fixed_clock(START))
    profiles.put(Profile("u1", "Ann"))
    assert profiles.get("u1") == Profile("u1", "Ann", {"admin"}, START)
    client.assert_no_pending()
    assert client.calls[0][1]["Item"]["created_at"] == {"S": "2026-01-02T03:04:05.000000000Z"}


def test_a_scripted_error_reaches_the_user_as_the_library_error() -> None:
    refused = ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")
    client = FakeDynamoDBClient().expect("put_item", {"ConditionExpression": ANY}, error=refused)
    with pytest.raises(ConditionFailedError):
        Table(PROFILES, client=client).put(Profile("u1"), if_not_exists=True)
    client.assert_no_pending()


def test_a_table_with_an_unscripted_call_fails_the_test_instead_of_passing() -> None:
    with pytest.raises(AssertionError, match="unexpected call: get_item"):
        Table(PROFILES, client=FakeDynamoDBClient()).get("u1")


# --- async twins -------------------------------------------------------------------------------------------


def test_async_twins_are_accepted_by_async_table_and_behave_the_same() -> None:
    async def run() -> None:
        client = AsyncFakeDynamoDBClient()
        client.expect("put_item", {"Item": {"id": {"S": "c1"}, "number": ANY}})
        kms = AsyncFakeKmsClient(plaintext_key=KEY, ciphertext_blob=BLOB)
        cards = AsyncTable(CARDS, client=client, kms_key_arn=ARN, kms_client=kms)
        await cards.put(Card("c1", "4111"))
        stored = client.calls[0][1]["Item"]
        client.expect("get_item", {"Key": {"id": {"S": "c1"}}}, response={"Item": stored})
        assert await cards.get("c1") == Card("c1", "4111")
        client.assert_no_pending()
        with pytest.raises(AssertionError, match="unexpected call: get_item"):
            await cards.get("c1")
        assert [name for name, _ in kms.calls] == ["generate_data_key", "decrypt"]

    asyncio.run(run())


def test_async_table_refuses_the_sync_fakes() -> None:
    with pytest.raises(ValidationError, match="must be an async dynamodb client"):
        AsyncTable(PROFILES, client=FakeDynamoDBClient())
    with pytest.raises(ValidationError, match="must be an async kms client"):
        AsyncTable(
            CARDS,
            client=AsyncFakeDynamoDBClient(),
            kms_key_arn=ARN,
            kms_client=FakeKmsClient(plaintext_key=KEY, ciphertext_blob=BLOB),
        )


# --- deterministic helpers ---------------------------------------------------------------------------------


def test_fixed_rand_bytes_repeats_the_seed_cut_to_n() -> None:
    rand_bytes = fixed_rand_bytes(b"abc")
    assert [rand_bytes(n) for n in (0, 1, 3, 7)] == [b"", b"a", b"abc", b"abcabca"]
    assert fixed_rand_bytes(bytearray(b"\x01"))(12) == b"\x01" * 12


def test_fixed_rand_bytes_refuses_an_empty_seed_and_a_negative_n() -> None:
    with pytest.raises(ValueError, match="seed must not be empty"):
        fixed_rand_bytes(b"")
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        fixed_rand_bytes(b"x")(-1)


def test_fixed_clock_ticks_by_step_from_an_aware_start() -> None:
    frozen = fixed_clock(START)
    assert [frozen(), frozen()] == [START, START]
    ticking = fixed_clock(START, step=timedelta(seconds=2))
    assert [ticking() for _ in range(3)] == [
        START,
        START + timedelta(seconds=2),
        START + timedelta(seconds=4),
    ]
    paris = timezone(timedelta(hours=1))
    assert fixed_clock(datetime(2026, 1, 1, tzinfo=paris))().utcoffset() == timedelta(hours=1)


def test_fixed_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        fixed_clock(datetime(2026, 1, 2, 3, 4, 5))


def test_a_fixed_clock_stamps_the_item_and_no_sleep_skips_back_offs() -> None:
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "BatchWriteItem"
    )
    client = FakeDynamoDBClient().expect("batch_write_item", error=throttled).expect("batch_write_item")
    profiles = Table(PROFILES, client=client, now=fixed_clock(START, step=timedelta(seconds=1)))
    profiles.batch_write(puts=[Profile("u1")], sleep=no_sleep)
    client.assert_no_pending()
    stamps = [
        request["RequestItems"]["profiles"][0]["PutRequest"]["Item"]["created_at"]
        for _, request in client.calls
    ]
    assert stamps == [{"S": "2026-01-02T03:04:05.000000000Z"}] * 2
    assert no_sleep(5.0) is None
