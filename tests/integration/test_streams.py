"""Typed stream records from the embedded server's real stream (dynamodbstreams GetRecords), for a model
with encrypted fields, parsed as they come and after conversion to the Lambda event shape."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from dynamorm_py import (
    EncryptionNotConfiguredError,
    ModelDefinition,
    StreamRecord,
    Table,
    dynamorm_field,
    parse_stream_event,
    parse_stream_record,
    unmarshal_stream_record,
)
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB

EMAIL = "email-plaintext-sentinel@example.com"
NEW_EMAIL = "new-email-plaintext-sentinel@example.com"
SCORE = 912_337


@dataclass
class Profile:
    user: str = dynamorm_field(roles=["pk"])
    name: str = ""
    avatar: bytes = b""
    badges: set[bytes] = dynamorm_field(default_factory=set)
    email: str | None = dynamorm_field(encrypted=True, default=None)
    score: int = dynamorm_field(name="secretScore", encrypted=True, default=0)


PROFILES = ModelDefinition.from_dataclass(Profile, table_name="stream_profiles")
KEYS_ONLY_PROFILES = ModelDefinition.from_dataclass(Profile, table_name="stream_profiles_keys")

ORIGINAL = Profile(
    user="u1", name="Ada", avatar=b"\x89PNG\x00", badges={b"\x01", b"\xff"}, email=EMAIL, score=SCORE
)
UPDATED = Profile(
    user="u1", name="Ada L.", avatar=b"\x89PNG\x00", badges={b"\x01", b"\xff"}, email=NEW_EMAIL, score=SCORE
)


@dataclass
class Streamed:
    table: Table[Profile]
    key_arn: str
    kms: Any
    records: list[dict[str, Any]]
    stream_arn: str


def read_stream(server: Server, table_name: str) -> tuple[str, list[dict[str, Any]]]:
    """Every record of the table's stream so far, through the dynamodbstreams GetRecords API."""
    stream_arn = server.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    streams = server.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator)
            records += response["Records"]
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return stream_arn, records


def write_insert_modify_remove(table: Table[Profile]) -> None:
    table.put(ORIGINAL)
    table.update("u1", None, {"name": "Ada L.", "email": NEW_EMAIL})
    table.delete("u1")


@pytest.fixture
def streamed(dynamorm_local: Server) -> Streamed:
    key_arn = dynamorm_local.create_kms_key("streams")
    kms = dynamorm_local.client("kms")
    table = dynamorm_local.table(
        PROFILES, stream_view_type="NEW_AND_OLD_IMAGES", kms_key_arn=key_arn, kms_client=kms
    )
    write_insert_modify_remove(table)
    stream_arn, records = read_stream(dynamorm_local, PROFILES.table_name or "")
    return Streamed(table, key_arn, kms, records, stream_arn)


def typed(av: dict[str, Any]) -> dict[str, Any]:
    """A GetRecords AttributeValue in Lambda's typed JSON: binaries as standard base64."""
    ((tag, value),) = av.items()
    if tag == "B":
        return {"B": base64.b64encode(value).decode("ascii")}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode("ascii") for v in value]}
    if tag == "L":
        return {"L": [typed(v) for v in value]}
    if tag == "M":
        return {"M": {k: typed(v) for k, v in value.items()}}
    return {tag: value}


def to_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """What Lambda hands a handler for a GetRecords record: pure JSON, base64 binaries, epoch seconds."""
    body = dict(record["dynamodb"])
    body["ApproximateCreationDateTime"] = int(body["ApproximateCreationDateTime"].timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in body:
            body[image] = {name: typed(av) for name, av in body[image].items()}
    converted = {**record, "dynamodb": body, "eventSourceARN": stream_arn}
    result: dict[str, Any] = json.loads(json.dumps(converted))
    return result


def test_the_stream_holds_insert_modify_and_remove_with_envelopes_not_plaintext(streamed: Streamed) -> None:
    assert [r["eventName"] for r in streamed.records] == ["INSERT", "MODIFY", "REMOVE"]
    insert = streamed.records[0]["dynamodb"]["NewImage"]
    assert set(insert["email"]["M"]) == {"v", "edk", "nonce", "ct"}
    assert set(insert["secretScore"]["M"]) == {"v", "edk", "nonce", "ct"}
    assert EMAIL not in repr(streamed.records)
    assert NEW_EMAIL not in repr(streamed.records)
    assert str(SCORE) not in repr(streamed.records)


def test_table_parse_stream_record_decrypts_insert_modify_and_remove(streamed: Streamed) -> None:
    insert, modify, remove = (streamed.table.parse_stream_record(r) for r in streamed.records)

    assert (insert.event_name, insert.new, insert.old) == ("INSERT", ORIGINAL, None)
    assert (modify.event_name, modify.new, modify.old) == ("MODIFY", UPDATED, ORIGINAL)
    assert (remove.event_name, remove.new, remove.old) == ("REMOVE", None, UPDATED)
    for record in (insert, modify, remove):
        assert record.keys == {"user": "u1"}
        assert record.stream_view_type == "NEW_AND_OLD_IMAGES"
        assert record.approximate_creation_time is not None
        assert record.approximate_creation_time.tzinfo is UTC
        assert record.event_id and record.sequence_number
        assert not record.is_ttl_expiry


def test_module_parse_stream_record_with_the_key_gives_the_same_records(streamed: Streamed) -> None:
    from_table = [streamed.table.parse_stream_record(r) for r in streamed.records]

    from_module = [
        parse_stream_record(PROFILES, r, kms_key_arn=streamed.key_arn, kms_client=streamed.kms)
        for r in streamed.records
    ]

    assert from_module == from_table


def test_without_the_key_an_encrypted_image_raises_instead_of_returning_envelopes(streamed: Streamed) -> None:
    with pytest.raises(EncryptionNotConfiguredError) as info:
        parse_stream_record(PROFILES, streamed.records[0])

    assert info.value.operation == "parse_stream_record"
    assert info.value.table == "stream_profiles"


def test_module_functions_default_to_a_boto3_kms_client(
    streamed: Streamed, dynamorm_local: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # boto3.client("kms") takes its endpoint from AWS_ENDPOINT_URL_KMS: reaching the local KMS proves the
    # functions built it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", dynamorm_local.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", dynamorm_local.region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    record = parse_stream_record(PROFILES, streamed.records[0], kms_key_arn=streamed.key_arn)
    image = unmarshal_stream_record(PROFILES, streamed.records[1], kms_key_arn=streamed.key_arn)

    assert (record.new, image) == (ORIGINAL, UPDATED)


def test_unmarshal_stream_record_decrypts_each_image(streamed: Streamed) -> None:
    modify = streamed.records[1]
    kwargs: dict[str, Any] = {"kms_key_arn": streamed.key_arn, "kms_client": streamed.kms}

    assert unmarshal_stream_record(PROFILES, modify, **kwargs) == UPDATED
    assert unmarshal_stream_record(PROFILES, modify, image="OldImage", **kwargs) == ORIGINAL
    assert unmarshal_stream_record(PROFILES, modify, image="Keys", **kwargs) == Profile(user="u1")
    assert unmarshal_stream_record(PROFILES, streamed.records[0], image="OldImage", **kwargs) is None


def test_a_record_converted_to_the_lambda_shape_parses_the_same(streamed: Streamed) -> None:
    modify = streamed.records[1]
    lambda_record = to_lambda_record(modify, streamed.stream_arn)
    assert isinstance(lambda_record["dynamodb"]["NewImage"]["avatar"]["B"], str)  # base64, as Lambda sends

    from_api = streamed.table.parse_stream_record(modify)
    from_lambda = streamed.table.parse_stream_record(lambda_record)

    assert (from_lambda.new, from_lambda.old, from_lambda.keys) == (from_api.new, from_api.old, from_api.keys)
    assert from_lambda.event_source_arn == streamed.stream_arn
    assert from_api.approximate_creation_time is not None
    assert from_lambda.approximate_creation_time == datetime.fromtimestamp(
        int(from_api.approximate_creation_time.timestamp()), UTC
    )
    assert from_lambda.sequence_number == from_api.sequence_number


def test_a_lambda_event_of_every_record_parses_in_order(streamed: Streamed) -> None:
    event = {"Records": [to_lambda_record(r, streamed.stream_arn) for r in streamed.records]}

    from_table = streamed.table.parse_stream_event(event)
    from_module = parse_stream_event(PROFILES, event, kms_key_arn=streamed.key_arn, kms_client=streamed.kms)

    assert [(r.event_name, r.new, r.old) for r in from_table] == [
        ("INSERT", ORIGINAL, None),
        ("MODIFY", UPDATED, ORIGINAL),
        ("REMOVE", None, UPDATED),
    ]
    assert from_module == from_table
    assert all(isinstance(r, StreamRecord) for r in from_table)


def test_keys_only_stream_gives_keys_and_no_images(dynamorm_local: Server) -> None:
    table = dynamorm_local.table(KEYS_ONLY_PROFILES, stream_view_type="KEYS_ONLY")
    write_insert_modify_remove(table)
    _, records = read_stream(dynamorm_local, KEYS_ONLY_PROFILES.table_name or "")

    parsed = [parse_stream_record(KEYS_ONLY_PROFILES, r) for r in records]

    assert [(r.event_name, r.keys, r.new, r.old) for r in parsed] == [
        ("INSERT", {"user": "u1"}, None, None),
        ("MODIFY", {"user": "u1"}, None, None),
        ("REMOVE", {"user": "u1"}, None, None),
    ]
    assert {r.stream_view_type for r in parsed} == {"KEYS_ONLY"}
