"""Typed stream records (api.md §1.2 Streams, §3.3; wire-format.md §8.6): hand-built Lambda and GetRecords
records, decoded and decrypted like a normal read, and every bad shape rejected."""

from __future__ import annotations

import base64
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import dynamorm_py
from doubles import FakeKms
from dynamorm_py import (
    AwsError,
    EncryptionNotConfiguredError,
    ModelDefinition,
    StreamRecord,
    Table,
    ValidationError,
    dynamorm_field,
    parse_stream_event,
    parse_stream_record,
    unmarshal_stream_image,
    unmarshal_stream_record,
)
from dynamorm_py._blocks.typed_json import typed_json_to_av
from dynamorm_py._core.effects import AwsCall
from dynamorm_py._core.streams import stream_record_op
from dynamorm_py.encryption import DataKeyCache, aad_for, seal
from dynamorm_py.errors import (
    ERR_ENCRYPTION_NOT_CONFIGURED,
    ERR_INVALID_ENCRYPTED_ENVELOPE,
    ERR_INVALID_MODEL,
    ERR_INVALID_VALUE,
)
from dynamorm_py.mocks import FakeDynamoDBClient

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/notes/stream/2026-01-01T00:00:00.000"

DATA_KEY = bytes(range(0x40, 0x60))
EDK = b"EDK-stream-\xca\xfe-sentinel-0007"
NONCES = iter(range(1, 1_000_000))
PLAINTEXT = "stream-plaintext-sentinel-91c3"
PIN = 48213977


# --------------------------------------------------------------------------------------------------
# Models and test doubles


class Upper:
    """A converter: stored upper-case, read back lower-case (proves converters run on stream images)."""

    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return str(value).lower()


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    number: int = dynamorm_field(name="num", roles=["sk"])
    title: str = ""
    blob: bytes = b""
    files: set[bytes] = dynamorm_field(default_factory=set)
    score: float = 0.0
    label: str = dynamorm_field(default="", converter=Upper())
    secret: str | None = dynamorm_field(encrypted=True, default=None)
    pin: int | None = dynamorm_field(name="pinCode", encrypted=True, default=None)
    codes: set[str] = dynamorm_field(encrypted=True, default_factory=set)


@dataclass
class Plain:
    id: str = dynamorm_field(roles=["pk"])
    body: str = ""


@dataclass
class Required:
    id: str = dynamorm_field(roles=["pk"])
    must: str = dynamorm_field(name="mustHave")


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")
NOTES_NO_TABLE = ModelDefinition.from_dataclass(Note)
PLAIN = ModelDefinition.from_dataclass(Plain, table_name="plain")
REQUIRED = ModelDefinition.from_dataclass(Required, table_name="required")


def client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "request refused"}}, operation)


def stream_kms(keys: Mapping[bytes, bytes] | None = None, *, error: Exception | None = None) -> FakeKms:
    """A KMS that decrypts only the blobs it knows (``EDK`` by default); stream decoding never encrypts."""
    return FakeKms(
        known=keys if keys is not None else {EDK: DATA_KEY},
        errors={"decrypt": error} if error is not None else None,
        decrypt_only=True,
    )


def envelope(
    av: dict[str, Any], attribute: str, *, edk: bytes = EDK, key: bytes = DATA_KEY
) -> dict[str, Any]:
    nonce = next(NONCES).to_bytes(12, "big")
    return seal(av, attr_name=attribute, data_key=key, edk=edk, nonce=nonce)


def stored_note(**changes: Any) -> dict[str, Any]:
    """A stored Note item as low-level AVs (binaries as bytes), encrypted attributes sealed."""
    item: dict[str, Any] = {
        "owner": {"S": "ada"},
        "num": {"N": "7"},
        "title": {"S": "hello"},
        "blob": {"B": b"\x00\xffdata"},
        "files": {"BS": [b"\x01", b"\x02\x03"]},
        "score": {"N": "2.5"},
        "label": {"S": "LOUD"},
        "secret": envelope({"S": PLAINTEXT}, "secret"),
        "pinCode": envelope({"N": str(PIN)}, "pinCode"),
        "codes": envelope({"SS": ["x", "y"]}, "codes"),
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


def typed(av: Any) -> Any:
    """A low-level AV as Lambda's typed JSON: binaries as standard base64 (written here independently)."""
    ((tag, value),) = av.items()
    if tag == "B":
        return {"B": base64.b64encode(value).decode()}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in value]}
    if tag == "L":
        return {"L": [typed(v) for v in value]}
    if tag == "M":
        return {"M": {k: typed(v) for k, v in value.items()}}
    return {tag: value}


def lambda_image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: typed(av) for name, av in item.items()}


def keys_of(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ("owner", "num", "id") if name in item}


def lambda_record(
    event_name: str = "INSERT",
    *,
    new: Mapping[str, Any] | None = None,
    old: Mapping[str, Any] | None = None,
    view: str = "NEW_AND_OLD_IMAGES",
    created: Any = 1_767_225_600,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    source = new if new is not None else old
    assert source is not None
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": lambda_image(keys_of(source)),
        "SequenceNumber": "4421584500000000017450439091",
        "SizeBytes": 359,
        "StreamViewType": view,
    }
    if new is not None:
        body["NewImage"] = lambda_image(new)
    if old is not None:
        body["OldImage"] = lambda_image(old)
    record: dict[str, Any] = {
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
        "eventSourceARN": STREAM_ARN,
    }
    if identity is not None:
        record["userIdentity"] = identity
    return record


def api_record(
    event_name: str = "INSERT",
    *,
    new: Mapping[str, Any] | None = None,
    old: Mapping[str, Any] | None = None,
    view: str = "NEW_AND_OLD_IMAGES",
    created: Any = None,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A record as the dynamodbstreams GetRecords API returns it: raw bytes and a datetime."""
    source = new if new is not None else old
    assert source is not None
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": created
        if created is not None
        else datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        "Keys": keys_of(source),
        "SequenceNumber": "4421584500000000017450439091",
        "SizeBytes": 359,
        "StreamViewType": view,
    }
    if new is not None:
        body["NewImage"] = dict(new)
    if old is not None:
        body["OldImage"] = dict(old)
    record: dict[str, Any] = {
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
    }
    if identity is not None:
        record["userIdentity"] = identity
    return record


def parse(record: Any, kms: FakeKms | None = None, model: ModelDefinition[Any] = NOTES) -> StreamRecord[Any]:
    kms = kms if kms is not None else stream_kms()
    return parse_stream_record(model, record, kms_key_arn=ARN, kms_client=kms)


EXPECTED = Note(
    owner="ada",
    number=7,
    title="hello",
    blob=b"\x00\xffdata",
    files={b"\x01", b"\x02\x03"},
    score=2.5,
    label="loud",
    secret=PLAINTEXT,
    pin=PIN,
    codes={"x", "y"},
)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Both record shapes


def test_lambda_record_with_base64_binaries_and_epoch_seconds_decodes_and_decrypts() -> None:
    kms = stream_kms()

    record = parse(lambda_record(new=stored_note()), kms)

    assert record.event_name == "INSERT"
    assert record.new == EXPECTED
    assert record.old is None
    assert record.keys == {"owner": "ada", "number": 7}
    assert record.approximate_creation_time == CREATED
    assert record.approximate_creation_time.tzinfo is UTC
    assert record.event_id == "c81e728d9d4c2f636f067f89cc14862c"
    assert record.event_source_arn == STREAM_ARN
    assert record.sequence_number == "4421584500000000017450439091"
    assert record.size_bytes == 359
    assert record.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert record.user_identity is None
    assert not record.is_ttl_expiry
    assert [call["KeyId"] for call in kms.requests()] == [ARN, ARN, ARN]


def test_getrecords_record_with_raw_bytes_and_a_datetime_decodes_the_same() -> None:
    item = stored_note()

    from_api = parse(api_record(new=item))
    from_lambda = parse(lambda_record(new=item))

    assert from_api.new == from_lambda.new == EXPECTED
    assert from_api.keys == from_lambda.keys
    assert from_api.approximate_creation_time == CREATED  # 01:00 at +01:00 is midnight UTC
    assert from_api.approximate_creation_time is not None
    assert from_api.approximate_creation_time.utcoffset() == timedelta(0)
    assert from_api.event_source_arn is None


@pytest.mark.parametrize(
    "created",
    [1_767_225_600, 1_767_225_600.0, Decimal("1767225600"), datetime(2026, 1, 1), CREATED],
    ids=["int", "float", "decimal", "naive-datetime-as-utc", "aware-datetime"],
)
def test_creation_time_accepts_epoch_seconds_and_datetimes(created: Any) -> None:
    record = parse(lambda_record(new=stored_note(), created=created))

    assert record.approximate_creation_time == CREATED


def test_fractional_epoch_seconds_keep_their_fraction() -> None:
    record = parse(lambda_record(new=stored_note(), created=1_767_225_600.25))

    assert record.approximate_creation_time == CREATED + timedelta(milliseconds=250)


def test_missing_creation_time_and_metadata_read_as_none() -> None:
    record = lambda_record(new=stored_note())
    for key in ("eventID", "eventSourceARN"):
        del record[key]
    for key in ("ApproximateCreationDateTime", "SequenceNumber", "SizeBytes", "StreamViewType"):
        del record["dynamodb"][key]

    parsed = parse(record)

    assert parsed.event_id is None
    assert parsed.event_source_arn is None
    assert parsed.approximate_creation_time is None
    assert parsed.sequence_number is None
    assert parsed.size_bytes is None
    assert parsed.stream_view_type is None


def test_modify_record_decodes_both_images() -> None:
    old = stored_note(title={"S": "before"}, secret=envelope({"S": "old-secret"}, "secret"))
    new = stored_note(title={"S": "after"})

    record = parse(lambda_record("MODIFY", new=new, old=old))

    assert record.event_name == "MODIFY"
    assert record.old is not None and record.new is not None
    assert (record.old.title, record.old.secret) == ("before", "old-secret")
    assert (record.new.title, record.new.secret) == ("after", PLAINTEXT)


def test_remove_record_has_only_the_old_image() -> None:
    record = parse(lambda_record("REMOVE", old=stored_note(), view="OLD_IMAGE"))

    assert record.new is None
    assert record.old == EXPECTED
    assert record.stream_view_type == "OLD_IMAGE"


def test_keys_only_record_gives_keys_and_no_images() -> None:
    kms = stream_kms()
    record = lambda_record("MODIFY", new=stored_note(), view="KEYS_ONLY")
    del record["dynamodb"]["NewImage"]

    parsed = parse(record, kms)

    assert parsed.keys == {"owner": "ada", "number": 7}
    assert isinstance(parsed.keys["number"], int)
    assert parsed.new is None and parsed.old is None
    assert kms.calls == []


def test_keys_holds_only_the_model_key_attributes_present() -> None:
    record = lambda_record(new=stored_note())
    record["dynamodb"]["Keys"] = {"owner": {"S": "ada"}, "other": {"S": "ignored"}}

    assert parse(record).keys == {"owner": "ada"}


def test_keys_of_a_partition_only_model() -> None:
    record = parse(lambda_record(new={"id": {"S": "p1"}, "body": {"S": "text"}}), model=PLAIN)

    assert record.keys == {"id": "p1"}
    assert record.new == Plain(id="p1", body="text")


def test_record_without_keys_image_has_empty_keys() -> None:
    record = lambda_record(new=stored_note())
    del record["dynamodb"]["Keys"]

    assert parse(record).keys == {}


def test_raw_is_the_record_as_given_and_stays_out_of_repr() -> None:
    given = lambda_record(new=stored_note())

    record = parse(given)

    assert record.raw is given
    assert "raw" not in repr(record)
    assert EDK.hex() not in repr(record)


def test_images_with_lists_maps_and_nulls_decode_from_both_shapes() -> None:
    @dataclass
    class Doc:
        id: str = dynamorm_field(roles=["pk"])
        parts: list[Any] = dynamorm_field(default_factory=list)
        meta: dict[str, Any] = dynamorm_field(default_factory=dict)
        gone: str | None = None

    model = ModelDefinition.from_dataclass(Doc, table_name="docs")
    item = {
        "id": {"S": "d"},
        "parts": {"L": [{"B": b"\x00"}, {"N": "1"}, {"BOOL": True}, {"NULL": True}]},
        "meta": {"M": {"k": {"BS": [b"\xff"]}, "n": {"L": []}}},
        "gone": {"NULL": True},
    }

    for shape in (lambda_record, api_record):
        parsed = parse_stream_record(model, shape(new=item))
        assert parsed.new == Doc(id="d", parts=[b"\x00", 1, True, None], meta={"k": {b"\xff"}, "n": []})


# --------------------------------------------------------------------------------------------------
# TTL expiry


TTL_LAMBDA = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
TTL_API = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


@pytest.mark.parametrize("identity", [TTL_LAMBDA, TTL_API], ids=["lambda", "getrecords"])
def test_remove_by_the_dynamodb_service_is_a_ttl_expiry(identity: dict[str, Any]) -> None:
    record = parse(lambda_record("REMOVE", old=stored_note(), identity=identity))

    assert record.is_ttl_expiry
    assert record.user_identity == identity


@pytest.mark.parametrize(
    ("event_name", "identity"),
    [
        ("REMOVE", None),
        ("REMOVE", {"type": "Service", "principalId": "lambda.amazonaws.com"}),
        ("REMOVE", {"type": "User", "principalId": "dynamodb.amazonaws.com"}),
        ("MODIFY", TTL_LAMBDA),
        ("INSERT", TTL_API),
    ],
)
def test_other_records_are_not_ttl_expiries(event_name: str, identity: dict[str, Any] | None) -> None:
    item = stored_note()
    record = lambda_record(event_name, new=item, old=item, identity=identity)

    assert not parse(record).is_ttl_expiry


def test_user_identity_is_a_copy_of_the_given_map() -> None:
    identity = dict(TTL_LAMBDA)
    record = parse(lambda_record("REMOVE", old=stored_note(), identity=identity))

    identity["type"] = "User"

    assert record.is_ttl_expiry


# --------------------------------------------------------------------------------------------------
# Encryption: decrypt, or fail; never an envelope


def test_encrypted_attribute_without_a_key_raises_encryption_not_configured() -> None:
    kms = stream_kms()

    with pytest.raises(EncryptionNotConfiguredError) as info:
        parse_stream_record(NOTES, lambda_record(new=stored_note()), kms_client=kms)

    assert info.value.code == ERR_ENCRYPTION_NOT_CONFIGURED
    assert info.value.operation == "parse_stream_record"
    assert info.value.table == "notes"
    assert kms.calls == []


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_key_arn_counts_as_no_key(blank: str) -> None:
    with pytest.raises(EncryptionNotConfiguredError):
        parse_stream_record(
            NOTES, lambda_record(new=stored_note()), kms_key_arn=blank, kms_client=stream_kms()
        )


def test_without_a_key_an_image_without_encrypted_attributes_still_decodes() -> None:
    item = stored_note(secret=None, pinCode=None, codes=None)

    record = parse_stream_record(NOTES, lambda_record(new=item))

    assert record.new is not None
    assert (record.new.secret, record.new.pin, record.new.codes) == (None, None, set())


def test_without_a_key_unmarshal_functions_raise_too() -> None:
    record = lambda_record(new=stored_note())

    with pytest.raises(EncryptionNotConfiguredError) as image_info:
        unmarshal_stream_image(NOTES, record["dynamodb"]["NewImage"])
    with pytest.raises(EncryptionNotConfiguredError) as record_info:
        unmarshal_stream_record(NOTES, record)

    assert image_info.value.operation == "unmarshal_stream_image"
    assert record_info.value.operation == "unmarshal_stream_record"


def test_decrypted_values_are_field_values_never_envelopes() -> None:
    record = parse(api_record(new=stored_note()))

    assert record.new is not None
    assert record.new.secret == PLAINTEXT
    assert record.new.pin == PIN
    assert record.new.codes == {"x", "y"}


def test_encrypted_null_and_empty_set_payloads_read_back_as_none_and_empty_set() -> None:
    item = stored_note(
        secret=envelope({"NULL": True}, "secret"),
        pinCode=envelope({"NULL": True}, "pinCode"),
        codes=envelope({"NULL": True}, "codes"),
    )

    record = parse(lambda_record(new=item))

    assert record.new is not None
    assert (record.new.secret, record.new.pin, record.new.codes) == (None, None, set())


def test_go_payload_that_omits_an_empty_set_value_reads_back_as_an_empty_set() -> None:
    # The Go encoder writes an empty SS as {"t":"SS"} (wire-format.md §3.3).
    nonce = next(NONCES).to_bytes(12, "big")
    ct = AESGCM(DATA_KEY).encrypt(nonce, b'{"t":"SS"}', aad_for("codes"))
    codes = {"M": {"v": {"N": "1"}, "edk": {"B": EDK}, "nonce": {"B": nonce}, "ct": {"B": ct}}}
    item = stored_note(codes=codes)

    for record in (lambda_record(new=item), api_record(new=item)):
        parsed = parse(record)
        assert parsed.new is not None
        assert parsed.new.codes == set()


def test_plaintext_in_an_encrypted_attribute_is_rejected_not_returned() -> None:
    item = stored_note(secret={"S": PLAINTEXT})

    with pytest.raises(ValidationError) as info:
        parse(lambda_record(new=item))

    assert info.value.code == ERR_INVALID_ENCRYPTED_ENVELOPE
    assert info.value.field == "secret"
    assert info.value.operation == "parse_stream_record"


def test_envelope_sealed_for_another_attribute_fails_authentication() -> None:
    item = stored_note(secret=stored_note()["pinCode"])

    with pytest.raises(ValidationError) as info:
        parse(lambda_record(new=item))

    assert info.value.code == ERR_INVALID_ENCRYPTED_ENVELOPE
    assert info.value.field == "secret"


def test_tampered_ciphertext_in_a_lambda_record_fails_authentication() -> None:
    record = lambda_record(new=stored_note())
    ct = record["dynamodb"]["NewImage"]["pinCode"]["M"]["ct"]
    raw = bytearray(base64.b64decode(ct["B"]))
    raw[0] ^= 1
    ct["B"] = base64.b64encode(bytes(raw)).decode()

    with pytest.raises(ValidationError) as info:
        parse(record)

    assert info.value.code == ERR_INVALID_ENCRYPTED_ENVELOPE
    assert info.value.field == "pinCode"


def test_kms_throttling_surfaces_as_aws_error_with_the_kms_code() -> None:
    kms = stream_kms(error=client_error("ThrottlingException", "Decrypt"))

    with pytest.raises(AwsError) as info:
        parse(lambda_record(new=stored_note()), kms)

    assert info.value.code == "ThrottlingException"
    assert info.value.aws_code == "ThrottlingException"
    assert info.value.operation == "parse_stream_record"
    assert isinstance(info.value.__cause__, ClientError)


def test_unknown_edk_surfaces_as_aws_error_from_kms() -> None:
    with pytest.raises(AwsError) as info:
        parse(lambda_record(new=stored_note()), stream_kms(keys={}))

    assert info.value.code == "InvalidCiphertextException"


def test_error_texts_never_contain_plaintext_ciphertext_or_key_material(
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = stored_note()
    ct = good["secret"]["M"]["ct"]["B"]
    failing: list[Callable[[], Any]] = [
        lambda: parse_stream_record(NOTES, lambda_record(new=good)),
        lambda: parse(lambda_record(new=stored_note(secret={"S": PLAINTEXT}))),
        lambda: parse(lambda_record(new=stored_note(secret=good["pinCode"]))),
        lambda: parse(lambda_record(new=good), stream_kms(keys={})),
        lambda: parse(lambda_record(new=good), stream_kms(keys={EDK: DATA_KEY[:31]})),
        lambda: parse(lambda_record(new=good), stream_kms(keys={EDK: bytes(32)})),
        lambda: parse(lambda_record(new={**good, "title": {"S": 5}})),
        lambda: parse(lambda_record(new={**good, "num": {"N": "1.5"}})),
    ]
    texts: list[str] = []
    for call in failing:
        with pytest.raises(dynamorm_py.DynamormPyError) as info:
            call()
        print(info.value, repr(info.value))
        current: BaseException | None = info.value
        while current is not None:
            texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
            texts += traceback.format_exception_only(type(current), current)
            current = current.__cause__ or current.__context__
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    secrets = [PLAINTEXT, str(PIN), DATA_KEY.hex(), repr(DATA_KEY)[2:-1], repr(EDK)[2:-1], ct.hex()]
    secrets += [base64.b64encode(x).decode() for x in (DATA_KEY, EDK, ct)]
    assert [s for s in secrets if any(s in text for text in texts)] == []


# --------------------------------------------------------------------------------------------------
# Bad shapes


def assert_invalid(
    record: Any, code: str = ERR_INVALID_VALUE, *, operation: str = "parse_stream_record"
) -> ValidationError:
    kms = stream_kms()
    with pytest.raises(ValidationError) as info:
        parse(record, kms)
    assert info.value.code == code
    assert info.value.operation == operation
    assert info.value.table == "notes"
    return info.value


def with_body(**changes: Any) -> dict[str, Any]:
    record = lambda_record(new=stored_note())
    record["dynamodb"].update(changes)
    return record


def with_record(**changes: Any) -> dict[str, Any]:
    record = lambda_record(new=stored_note())
    record.update(changes)
    return record


@pytest.mark.parametrize("record", [None, [], "record", 3], ids=repr)
def test_record_that_is_not_an_object_is_rejected(record: Any) -> None:
    assert_invalid(record)


def test_record_without_a_dynamodb_map_is_rejected() -> None:
    record = lambda_record(new=stored_note())
    del record["dynamodb"]

    assert_invalid(record)


@pytest.mark.parametrize("body", [None, [], "map", {"NewImage"}], ids=repr)
def test_dynamodb_member_that_is_not_a_map_is_rejected(body: Any) -> None:
    assert_invalid(with_record(dynamodb=body))


@pytest.mark.parametrize("name", ["insert", "DELETE", "", None, 1, "TTL"], ids=repr)
def test_unknown_event_name_is_rejected(name: Any) -> None:
    assert_invalid(with_record(eventName=name))


def test_missing_event_name_is_rejected() -> None:
    record = lambda_record(new=stored_note())
    del record["eventName"]

    assert_invalid(record)


@pytest.mark.parametrize("image", ["NewImage", "OldImage", "Keys"])
@pytest.mark.parametrize(
    "bad",
    [
        [],
        "image",
        {"title": {"S": 5}},
        {"title": {"S": "a", "N": "1"}},
        {"title": {}},
        {"title": {"X": "1"}},
        {"blob": {"B": "!!not base64"}},
        {"blob": {"B": "AAE"}},
        {"files": {"BS": "AAE="}},
        {"files": {"BS": ["AA E="]}},
        {"num": {"N": 7}},
        {"title": {"SS": "a"}},
        {"title": {"BOOL": "true"}},
        {"title": {"L": {}}},
        {"title": {"M": []}},
        {"title": "plain"},
    ],
    ids=repr,
)
def test_bad_image_is_rejected(image: str, bad: Any) -> None:
    assert_invalid(with_body(**{image: bad}))


def test_bad_image_is_rejected_before_any_kms_call() -> None:
    kms = stream_kms()
    record = lambda_record("MODIFY", new=stored_note(), old=stored_note())
    record["dynamodb"]["OldImage"]["title"] = {"S": 5}

    with pytest.raises(ValidationError):
        parse(record, kms)

    assert kms.calls == []


def test_image_of_another_entity_fails_like_a_normal_read() -> None:
    record = lambda_record(new={"id": {"S": "x"}, "other": {"S": "y"}})

    with pytest.raises(ValidationError) as info:
        parse_stream_record(REQUIRED, record)

    assert info.value.code == ERR_INVALID_MODEL
    assert info.value.field == "mustHave"
    assert info.value.operation == "parse_stream_record"


def test_image_value_that_does_not_fit_the_annotation_is_rejected() -> None:
    error = assert_invalid(lambda_record(new=stored_note(num={"N": "7.5"})))

    assert error.field == "num"


def test_key_value_that_does_not_fit_the_annotation_is_rejected() -> None:
    record = lambda_record(new=stored_note())
    record["dynamodb"]["Keys"]["num"] = {"N": "7.5"}

    assert assert_invalid(record).field == "num"


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("record", "eventID", 5),
        ("record", "eventSourceARN", b"arn"),
        ("record", "userIdentity", ["Service"]),
        ("record", "userIdentity", "Service"),
        ("body", "SequenceNumber", 4421584500000000017450439091),
        ("body", "SizeBytes", "359"),
        ("body", "SizeBytes", True),
        ("body", "SizeBytes", 3.5),
        ("body", "StreamViewType", 1),
        ("body", "ApproximateCreationDateTime", "1767225600"),
        ("body", "ApproximateCreationDateTime", True),
        ("body", "ApproximateCreationDateTime", float("nan")),
        ("body", "ApproximateCreationDateTime", 1e300),
        ("body", "ApproximateCreationDateTime", [1767225600]),
    ],
    ids=repr,
)
def test_wrongly_typed_metadata_is_rejected(where: str, key: str, value: Any) -> None:
    record = with_record(**{key: value}) if where == "record" else with_body(**{key: value})

    assert_invalid(record)


def test_a_model_that_is_not_a_model_definition_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        parse_stream_record(Note, lambda_record(new=stored_note()))  # type: ignore[arg-type]

    assert info.value.operation == "parse_stream_record"


def test_errors_of_a_model_without_table_name_carry_no_table() -> None:
    with pytest.raises(ValidationError) as invalid:
        parse_stream_record(NOTES_NO_TABLE, with_record(eventName="NOPE"))
    with pytest.raises(EncryptionNotConfiguredError) as unconfigured:
        parse_stream_record(NOTES_NO_TABLE, lambda_record(new=stored_note()))

    assert invalid.value.table is None
    assert unconfigured.value.table is None


# --------------------------------------------------------------------------------------------------
# Events


def test_parse_stream_event_returns_every_record_in_order() -> None:
    item = stored_note()
    event = {
        "Records": [
            lambda_record("INSERT", new=item),
            api_record("MODIFY", new=item, old=item),
            lambda_record("REMOVE", old=item, identity=TTL_LAMBDA),
        ]
    }

    records = parse_stream_event(NOTES, event, kms_key_arn=ARN, kms_client=stream_kms())

    assert [r.event_name for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert [r.is_ttl_expiry for r in records] == [False, False, True]
    assert all(r.raw is given for r, given in zip(records, event["Records"], strict=True))


def test_parse_stream_event_of_no_records_is_empty() -> None:
    assert parse_stream_event(NOTES, {"Records": []}) == []


@pytest.mark.parametrize("event", [None, [], {"records": []}, {"Records": None}, {"Records": "x"}], ids=repr)
def test_bad_event_is_rejected_with_the_event_operation(event: Any) -> None:
    with pytest.raises(ValidationError) as info:
        parse_stream_event(NOTES, event)

    assert info.value.code == ERR_INVALID_VALUE
    assert info.value.operation == "parse_stream_event"


def test_bad_record_inside_an_event_is_reported_as_a_record_error() -> None:
    event = {"Records": [lambda_record(new=stored_note()), with_record(eventName="NOPE")]}

    with pytest.raises(ValidationError) as info:
        parse_stream_event(NOTES, event, kms_key_arn=ARN, kms_client=stream_kms())

    assert info.value.operation == "parse_stream_record"


# --------------------------------------------------------------------------------------------------
# unmarshal_stream_image / unmarshal_stream_record (upstream names)


def test_unmarshal_stream_image_decodes_base64_and_raw_images_alike() -> None:
    item = stored_note()

    from_lambda = unmarshal_stream_image(NOTES, lambda_image(item), kms_key_arn=ARN, kms_client=stream_kms())
    from_api = unmarshal_stream_image(NOTES, item, kms_key_arn=ARN, kms_client=stream_kms())

    assert from_lambda == from_api == EXPECTED


@pytest.mark.parametrize("bad", [None, [], {"title": {"S": 1}}], ids=repr)
def test_unmarshal_stream_image_rejects_bad_images(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        unmarshal_stream_image(NOTES, bad)

    assert info.value.operation == "unmarshal_stream_image"


def test_unmarshal_stream_record_reads_the_asked_image() -> None:
    old = stored_note(title={"S": "before"})
    record = lambda_record("MODIFY", new=stored_note(), old=old)
    kms = stream_kms()

    new_item = unmarshal_stream_record(NOTES, record, kms_key_arn=ARN, kms_client=kms)
    old_item = unmarshal_stream_record(NOTES, record, image="OldImage", kms_key_arn=ARN, kms_client=kms)
    keys = unmarshal_stream_record(PLAIN, lambda_record(new={"id": {"S": "k"}}), image="Keys")

    assert new_item == EXPECTED
    assert old_item is not None and old_item.title == "before"
    assert keys == Plain(id="k")


def test_unmarshal_stream_record_gives_none_for_an_absent_image() -> None:
    record = lambda_record("INSERT", new=stored_note())

    assert unmarshal_stream_record(NOTES, record, image="OldImage") is None


@pytest.mark.parametrize("image", ["newImage", "NEW_IMAGE", "", "dynamodb"])
def test_unmarshal_stream_record_rejects_unknown_image_names(image: str) -> None:
    with pytest.raises(ValidationError) as info:
        unmarshal_stream_record(NOTES, lambda_record(new=stored_note()), image=image)

    assert info.value.operation == "unmarshal_stream_record"


def test_unmarshal_stream_record_rejects_a_record_without_dynamodb_map() -> None:
    with pytest.raises(ValidationError) as info:
        unmarshal_stream_record(NOTES, {"eventName": "INSERT"})

    assert info.value.operation == "unmarshal_stream_record"


# --------------------------------------------------------------------------------------------------
# Table methods


def notes_table(kms: FakeKms, *, cache: DataKeyCache | None = None) -> Table[Note]:
    return Table(NOTES, client=FakeDynamoDBClient(), kms_key_arn=ARN, kms_client=kms, data_key_cache=cache)


def test_table_parse_stream_record_uses_the_table_model_key_and_kms_client() -> None:
    kms = stream_kms()

    record = notes_table(kms).parse_stream_record(lambda_record(new=stored_note()))

    assert record.new == EXPECTED
    assert {call["KeyId"] for call in kms.requests()} == {ARN}


def test_table_parse_stream_event_returns_typed_records() -> None:
    item = stored_note()
    event = {"Records": [lambda_record("INSERT", new=item), lambda_record("REMOVE", old=item)]}

    records = notes_table(stream_kms()).parse_stream_event(event)

    assert [(r.event_name, r.new, r.old) for r in records] == [
        ("INSERT", EXPECTED, None),
        ("REMOVE", None, EXPECTED),
    ]


def test_table_data_key_cache_saves_kms_calls_across_images_of_one_edk() -> None:
    item = stored_note()
    record = lambda_record("MODIFY", new=item, old=item)
    uncached, cached = stream_kms(), stream_kms()

    notes_table(uncached).parse_stream_record(record)
    notes_table(cached, cache=DataKeyCache()).parse_stream_record(record)

    assert len(uncached.calls) == 6  # three encrypted attributes in each of two images
    assert len(cached.calls) == 1  # every envelope here shares one edk


def test_table_errors_carry_table_and_operation() -> None:
    table = notes_table(stream_kms(error=client_error("ThrottlingException", "Decrypt")))

    with pytest.raises(AwsError) as record_error:
        table.parse_stream_record(lambda_record(new=stored_note()))
    with pytest.raises(ValidationError) as event_error:
        table.parse_stream_event({"Records": {}})

    assert (record_error.value.operation, record_error.value.table) == ("parse_stream_record", "notes")
    assert (event_error.value.operation, event_error.value.table) == ("parse_stream_event", "notes")


# --------------------------------------------------------------------------------------------------
# Sans-I/O: the decoding yields its KMS calls, so any driver (sync or async) can run it


def test_stream_record_op_yields_one_kms_decrypt_per_encrypted_attribute() -> None:
    from dynamorm_py._core.context import TableContext

    ctx = TableContext(
        model=NOTES,
        table_name="notes",
        now=lambda: CREATED,
        rand_bytes=lambda n: bytes(n),
        kms_key_arn=ARN,
    )
    op = stream_record_op(ctx, lambda_record(new=stored_note()))
    effects: list[AwsCall] = []
    try:
        effect = next(op)
        while True:
            assert isinstance(effect, AwsCall)
            effects.append(effect)
            effect = op.send({"Plaintext": DATA_KEY})
    except StopIteration as stop:
        result = stop.value

    assert [(e.service, e.operation) for e in effects] == [("kms", "decrypt")] * 3
    assert all(e.params == {"CiphertextBlob": EDK, "KeyId": ARN} for e in effects)
    assert result.new == EXPECTED


def test_typed_json_helper_used_above_matches_the_library_decoder() -> None:
    item = stored_note()
    for name, av in item.items():
        assert typed_json_to_av(typed(av)) == av, name
