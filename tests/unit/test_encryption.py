"""Field encryption (wire-format.md §3): AV-JSON, the envelope, KMS calls, the data-key cache, secrecy."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from doubles import FakeKms, RecordingClient
from dynamorm_py import (
    FilterCondition,
    ModelDefinition,
    Table,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
)
from dynamorm_py._core.batch import batch_get_op, batch_write_op
from dynamorm_py._core.context import TableContext
from dynamorm_py._core.effects import AwsCall, Op
from dynamorm_py._core.items import get_op, put_op, update_item_op, update_op
from dynamorm_py._core.reads import QueryArgs, ScanArgs, page_op
from dynamorm_py._core.streams import stream_record_op
from dynamorm_py._core.transactions import transact_get_op, transact_write_op
from dynamorm_py._drivers.sync import run_sync
from dynamorm_py.encryption import (
    DataKeyCache,
    aad_for,
    decrypt_attribute_value,
    decrypt_av,
    encrypt_attribute_value,
    encrypt_av,
    marshal_attribute_value_json,
    open_sealed,
    parse_envelope,
    parse_payload,
    payload_bytes,
    seal,
    unmarshal_attribute_value_json,
)
from dynamorm_py.errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_ENCRYPTION_NOT_CONFIGURED,
    ERR_INVALID_ENCRYPTED_ENVELOPE,
    ERR_INVALID_VALUE,
    ERR_UNSUPPORTED_TYPE,
    AwsError,
    BatchRetryExceededError,
    DynamormPyError,
    EncryptionNotConfiguredError,
    UnsupportedTypeError,
    ValidationError,
)
from dynamorm_py.retry import RetryPolicy

E = TypeVar("E", bound=BaseException)

ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_ARN = "arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab"

# wire-format.md §3.4 (computed vector).
VECTOR_KEY = b"\x01" * 32
VECTOR_NONCE = b"\x02" * 12
VECTOR_EDK = b"edk"
VECTOR_PAYLOAD = b'{"t":"S","s":"top-secret"}'
VECTOR_CT_HEX = "7cf4bd6b707592dfffeecfea6685b6ddd298a28a88c3e805fffa8d53c6d6fde22223e31fb92060a82fe8"
VECTOR_CT_B64 = "fPS9a3B1kt//7s/qZoW23dKYooqIw+gF//qNU8bW/eIiI+MfuSBgqC/o"
VECTOR_CT = bytes.fromhex(VECTOR_CT_HEX)

# Distinctive secrets for everything else; none of them may ever show up in an error, a log or output.
PLAINTEXT = "PLAINTEXT-sentinel-ⓟ-7d1e"
PLAINTEXT_AV: dict[str, Any] = {"S": PLAINTEXT}
DATA_KEY = bytes(range(0xA0, 0xC0))
EDK = b"EDK-blob-\xde\xad\xbe\xef-sentinel-0042"

# The vector edk is ASCII "edk", which is also the name of an envelope entry, so it cannot be a secret here.
BASE_SECRETS: tuple[bytes | str, ...] = (
    PLAINTEXT,
    DATA_KEY,
    EDK,
    "top-secret",
    VECTOR_KEY,
    VECTOR_CT,
    VECTOR_PAYLOAD,
)


# --------------------------------------------------------------------------------------------------
# Test doubles (no dynamorm_py code is mocked)


def kms_error(code: str, operation: str, message: str = "request refused") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def vector_kms() -> FakeKms:
    return FakeKms(issue=[(VECTOR_KEY, VECTOR_EDK)], known={VECTOR_EDK: VECTOR_KEY})


def fixed_bytes(value: bytes) -> Callable[[int], bytes]:
    def rand_bytes(n: int) -> bytes:
        assert n == len(value)
        return value

    return rand_bytes


def counting_bytes() -> Callable[[int], bytes]:
    """A deterministic source that never repeats."""
    state = {"n": 0}
    lock = threading.Lock()

    def rand_bytes(n: int) -> bytes:
        with lock:
            state["n"] += 1
            return state["n"].to_bytes(n, "big")

    return rand_bytes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(op: Op[Any], kms: Any) -> Any:
    return run_sync(op, clients={"kms": kms}, sleep=None)


def vector_entries(**changes: Any) -> dict[str, Any]:
    entries: dict[str, Any] = {
        "v": {"N": "1"},
        "edk": {"B": VECTOR_EDK},
        "nonce": {"B": VECTOR_NONCE},
        "ct": {"B": VECTOR_CT},
    }
    for key, value in changes.items():
        if value is DROP:
            del entries[key]
        else:
            entries[key] = value
    return entries


DROP = object()


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------------------------------
# Secrecy guard: every test's errors, logs and output are checked for secrets


def secret_forms(secret: bytes | str) -> set[str]:
    forms: set[str] = set()
    if isinstance(secret, str):
        forms |= {secret, json.dumps(secret)[1:-1]}
        data = secret.encode("utf-8")
    else:
        data = secret
    b64 = base64.b64encode(data).decode()
    forms |= {
        repr(data)[2:-1],
        data.hex(),
        data.hex().upper(),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(data).decode().rstrip("="),
    }
    return {form for form in forms if len(form) >= 8}


def exception_texts(exc: BaseException) -> list[str]:
    """str, repr, args and attributes of ``exc`` and of every exception chained to it."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        texts += traceback.format_exception_only(type(current), current)
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
    return texts


def leaked(texts: Sequence[str], secrets: Sequence[bytes | str]) -> list[str]:
    return [form for secret in secrets for form in secret_forms(secret) if any(form in t for t in texts)]


class LeakGuard:
    def __init__(self) -> None:
        self.secrets: list[bytes | str] = list(BASE_SECRETS)
        self.errors: list[BaseException] = []

    def watch(self, *secrets: bytes | str) -> None:
        self.secrets.extend(secrets)

    @contextmanager
    def raises(self, cls: type[E], code: str | None = None) -> Iterator[pytest.ExceptionInfo[E]]:
        with pytest.raises(cls) as info:
            yield info
        self.errors.append(info.value)
        if code is not None:
            assert getattr(info.value, "code", None) == code


@pytest.fixture(autouse=True)
def guard(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[LeakGuard]:
    caplog.set_level(logging.DEBUG)
    leak_guard = LeakGuard()
    yield leak_guard
    captured = capsys.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    for exc in leak_guard.errors:
        texts += exception_texts(exc)
    assert leaked(texts, leak_guard.secrets) == []


def invalid(guard: LeakGuard) -> Any:
    return guard.raises(ValidationError, ERR_INVALID_ENCRYPTED_ENVELOPE)


# --------------------------------------------------------------------------------------------------
# The computed vector (wire-format.md §3.4)


def test_payload_of_the_vector_is_the_26_byte_av_json() -> None:
    assert payload_bytes({"S": "top-secret"}) == VECTOR_PAYLOAD
    assert len(VECTOR_PAYLOAD) == 26


def test_aad_is_the_prefix_and_the_attribute_name_in_utf8() -> None:
    assert aad_for("secret") == b"dynamorm:encrypted:v1|attr=secret"
    assert aad_for("név") == "dynamorm:encrypted:v1|attr=név".encode()


def test_seal_reproduces_the_computed_vector_byte_for_byte() -> None:
    stored = seal(
        {"S": "top-secret"}, attr_name="secret", data_key=VECTOR_KEY, edk=VECTOR_EDK, nonce=VECTOR_NONCE
    )

    ct = stored["M"]["ct"]["B"]
    assert ct.hex() == VECTOR_CT_HEX
    assert base64.b64encode(ct).decode() == VECTOR_CT_B64
    assert len(ct) == 42
    assert base64.b64encode(stored["M"]["nonce"]["B"]).decode() == "AgICAgICAgICAgIC"
    assert base64.b64encode(stored["M"]["edk"]["B"]).decode() == "ZWRr"
    assert stored == {
        "M": {"v": {"N": "1"}, "edk": {"B": b"edk"}, "nonce": {"B": b"\x02" * 12}, "ct": {"B": VECTOR_CT}}
    }
    assert list(stored["M"]) == ["v", "edk", "nonce", "ct"]
    assert all(type(stored["M"][k]["B"]) is bytes for k in ("edk", "nonce", "ct"))


def test_encrypt_attribute_value_with_the_vector_key_and_nonce_reproduces_the_vector() -> None:
    kms = vector_kms()

    envelope = encrypt_attribute_value(
        {"S": "top-secret"},
        attr_name="secret",
        kms_key_arn=ARN,
        kms_client=kms,
        rand_bytes=fixed_bytes(VECTOR_NONCE),
    )

    assert envelope == {"v": 1, "edk": b"edk", "nonce": VECTOR_NONCE, "ct": VECTOR_CT}
    assert kms.calls == [("generate_data_key", {"KeyId": ARN, "KeySpec": "AES_256"})]


def test_open_sealed_returns_the_vector_value() -> None:
    assert open_sealed(attr_name="secret", data_key=VECTOR_KEY, nonce=VECTOR_NONCE, ct=VECTOR_CT) == {
        "S": "top-secret"
    }


def test_decrypt_attribute_value_opens_the_vector_envelope() -> None:
    kms = vector_kms()
    envelope = {"v": 1, "edk": b"edk", "nonce": VECTOR_NONCE, "ct": VECTOR_CT}

    assert decrypt_attribute_value(envelope, attr_name="secret", kms_key_arn=ARN, kms_client=kms) == {
        "S": "top-secret"
    }
    assert kms.calls == [("decrypt", {"CiphertextBlob": b"edk", "KeyId": ARN})]


def test_opening_the_vector_with_another_attributes_aad_fails(guard: LeakGuard) -> None:
    with invalid(guard) as info:
        open_sealed(attr_name="other", data_key=VECTOR_KEY, nonce=VECTOR_NONCE, ct=VECTOR_CT)

    assert info.value.field == "other"
    assert "'other'" in str(info.value)


# --------------------------------------------------------------------------------------------------
# AV-JSON (wire-format.md §3.3)

EVERY_TYPE: list[tuple[dict[str, Any], bytes]] = [
    ({"S": "top-secret"}, b'{"t":"S","s":"top-secret"}'),
    ({"S": ""}, b'{"t":"S","s":""}'),
    ({"N": "-12.50"}, b'{"t":"N","n":"-12.50"}'),
    ({"B": b"\x00"}, b'{"t":"B","b":"AA=="}'),
    ({"B": b"\xfb\xff"}, b'{"t":"B","b":"+/8="}'),
    ({"BOOL": True}, b'{"t":"BOOL","bool":true}'),
    ({"BOOL": False}, b'{"t":"BOOL","bool":false}'),
    ({"NULL": True}, b'{"t":"NULL","null":true}'),
    ({"SS": ["a", "b"]}, b'{"t":"SS","ss":["a","b"]}'),
    ({"NS": ["1", "2.5"]}, b'{"t":"NS","ns":["1","2.5"]}'),
    ({"BS": [b"\x00", b"\x01\x02"]}, b'{"t":"BS","bs":["AA==","AQI="]}'),
    ({"L": [{"S": "x"}, {"N": "1"}]}, b'{"t":"L","l":[{"t":"S","s":"x"},{"t":"N","n":"1"}]}'),
    ({"L": []}, b'{"t":"L","l":[]}'),
    ({"M": {"k": {"BOOL": True}}}, b'{"t":"M","m":{"k":{"t":"BOOL","bool":true}}}'),
    ({"M": {}}, b'{"t":"M","m":{}}'),
]


@pytest.mark.parametrize(("av", "expected"), EVERY_TYPE, ids=[e.decode() for _, e in EVERY_TYPE])
def test_marshal_writes_t_first_and_always_the_value_key_for_every_type(
    av: dict[str, Any], expected: bytes
) -> None:
    assert payload_bytes(av) == expected
    assert next(iter(marshal_attribute_value_json(av))) == "t"


@pytest.mark.parametrize(("av", "expected"), EVERY_TYPE, ids=[e.decode() for _, e in EVERY_TYPE])
def test_unmarshal_reads_back_every_type(av: dict[str, Any], expected: bytes) -> None:
    assert parse_payload(expected, attr_name="a") == av
    assert unmarshal_attribute_value_json(json.loads(expected)) == av


def test_marshal_writes_the_nested_example_of_the_spec_exactly() -> None:
    av = {"M": {"b": {"N": "1"}, "a": {"L": [{"NULL": True}, {"BOOL": False}, {"B": b"\x00"}]}}}
    expected = (
        b'{"t":"M","m":{"a":{"t":"L","l":[{"t":"NULL","null":true},{"t":"BOOL","bool":false},'
        b'{"t":"B","b":"AA=="}]},"b":{"t":"N","n":"1"}}}'
    )

    assert payload_bytes(av) == expected
    assert parse_payload(expected, attr_name="a") == av


def test_marshal_sorts_map_keys_by_code_point() -> None:
    # By UTF-16 code units "😀" (U+1F600, a surrogate pair D83D...) would sort before U+FFFD.
    av = {"M": {"😀": {"N": "1"}, "\ufffd": {"N": "2"}, "é": {"N": "3"}, "b": {"N": "4"}, "Z": {"N": "5"}}}

    assert list(marshal_attribute_value_json(av)["m"]) == ["Z", "b", "é", "\ufffd", "😀"]


def test_payload_is_raw_utf8_without_ascii_or_html_escaping() -> None:
    assert payload_bytes({"S": "<é&>\u2028"}) == '{"t":"S","s":"<é&>\u2028"}'.encode()


def test_marshal_accepts_every_binary_type_and_any_set_container() -> None:
    assert marshal_attribute_value_json({"B": bytearray(b"\x00")}) == {"t": "B", "b": "AA=="}
    assert marshal_attribute_value_json({"B": memoryview(b"\x00")}) == {"t": "B", "b": "AA=="}
    assert marshal_attribute_value_json({"B": Binary(b"\x00")}) == {"t": "B", "b": "AA=="}
    assert marshal_attribute_value_json({"BS": (Binary(b"\x01"), b"\x02")}) == {
        "t": "BS",
        "bs": ["AQ==", "Ag=="],
    }
    assert marshal_attribute_value_json({"SS": {"only"}}) == {"t": "SS", "ss": ["only"]}
    assert marshal_attribute_value_json({"L": ({"N": "1"},)}) == {"t": "L", "l": [{"t": "N", "n": "1"}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"t":"L"}', {"L": []}),
        ('{"t":"M"}', {"M": {}}),
        ('{"t":"SS"}', {"SS": []}),
        ('{"t":"NS"}', {"NS": []}),
        ('{"t":"BS"}', {"BS": []}),
        ('{"t":"M","m":{"a":{"t":"L"}}}', {"M": {"a": {"L": []}}}),
    ],
)
def test_unmarshal_reads_go_payloads_that_omit_empty_container_keys(
    text: str, expected: dict[str, Any]
) -> None:
    assert parse_payload(text.encode(), attr_name="a") == expected


def test_unmarshal_accepts_any_member_order_and_json_escapes() -> None:
    go_written = b'{"s":"\\u003ctop\\u003e \\u0026 \\u00e9","t":"S"}'

    assert parse_payload(go_written, attr_name="a") == {"S": "<top> & é"}
    assert parse_payload(b'{ "t" : "N" ,\n "n" : "7" }', attr_name="a") == {"N": "7"}


def test_unmarshal_ignores_unknown_extra_keys() -> None:
    assert unmarshal_attribute_value_json({"t": "S", "s": "x", "extra": [1], "b": 3}) == {"S": "x"}


@pytest.mark.parametrize(
    "enc",
    [
        {"t": "X", "s": "x"},
        {"t": "s", "s": "x"},
        {"t": "STRING", "s": "x"},
        {"s": "x"},
        {"t": None, "s": "x"},
        {"t": 1},
        {},
        "S",
        ["S", "x"],
        None,
        1,
    ],
    ids=repr,
)
def test_unmarshal_rejects_an_unknown_or_missing_type_tag(enc: Any, guard: LeakGuard) -> None:
    with invalid(guard):
        unmarshal_attribute_value_json(enc)


@pytest.mark.parametrize("tag", ["S", "N", "B", "BOOL", "NULL"])
def test_unmarshal_rejects_a_missing_value_key_for_non_container_types(tag: str, guard: LeakGuard) -> None:
    with invalid(guard):
        unmarshal_attribute_value_json({"t": tag})


@pytest.mark.parametrize(
    "enc",
    [
        {"t": "S", "s": 1},
        {"t": "S", "s": None},
        {"t": "S", "s": ["x"]},
        {"t": "N", "n": 1},
        {"t": "N", "n": 1.5},
        {"t": "B", "b": 0},
        {"t": "B", "b": "!!"},
        {"t": "B", "b": "AA"},
        {"t": "B", "b": "AA="},
        {"t": "B", "b": "A A="},
        {"t": "B", "b": "AA==AA=="},
        {"t": "B", "b": "_-8="},
        {"t": "B", "b": "AAé="},
        {"t": "BOOL", "bool": "true"},
        {"t": "BOOL", "bool": 1},
        {"t": "BOOL", "bool": None},
        {"t": "NULL", "null": "true"},
        {"t": "NULL", "null": None},
        {"t": "SS", "ss": "a"},
        {"t": "SS", "ss": [1]},
        {"t": "SS", "ss": None},
        {"t": "NS", "ns": [1]},
        {"t": "BS", "bs": "AA=="},
        {"t": "BS", "bs": ["!!"]},
        {"t": "BS", "bs": [0]},
        {"t": "L", "l": {}},
        {"t": "L", "l": None},
        {"t": "L", "l": [{"t": "X"}]},
        {"t": "L", "l": ["x"]},
        {"t": "M", "m": []},
        {"t": "M", "m": None},
        {"t": "M", "m": {"a": {"t": "S"}}},
        {"t": "M", "m": {"a": "x"}},
    ],
    ids=lambda enc: json.dumps(enc, ensure_ascii=True),
)
def test_unmarshal_rejects_wrong_json_types(enc: dict[str, Any], guard: LeakGuard) -> None:
    with invalid(guard) as info:
        parse_payload(json.dumps(enc).encode(), attr_name="secret")

    assert info.value.field == "secret"


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe", b'{"t":"S","s":"\xc3"}', b"not json", b'{"t":"S","s":"x"', b"[" * 100_000],
    ids=["empty", "not-utf8", "truncated-utf8", "not-json", "truncated-json", "too-deep"],
)
def test_parse_payload_rejects_bytes_that_are_not_utf8_json(data: bytes, guard: LeakGuard) -> None:
    with invalid(guard) as info:
        parse_payload(data, attr_name="secret")

    assert info.value.field == "secret"
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    "av",
    [
        {},
        {"S": "x", "N": "1"},
        {"X": "x"},
        {"S": 1},
        {"N": 1},
        {"N": Decimal("1")},
        {"B": "AA=="},
        {"BOOL": 1},
        {"NULL": False},
        {"SS": "ab"},
        {"SS": ["a", 1]},
        {"BS": [b"\x00", "AA=="]},
        {"L": {"S": "x"}},
        {"L": [{"X": 1}]},
        {"M": [("k", {"S": "x"})]},
        {"M": {1: {"S": "x"}}},
        {"M": {"k": "x"}},
    ],
    ids=repr,
)
def test_marshal_rejects_malformed_attribute_values_as_unsupported_type(av: Any, guard: LeakGuard) -> None:
    with guard.raises(UnsupportedTypeError, ERR_UNSUPPORTED_TYPE):
        marshal_attribute_value_json(av)


def test_payload_rejects_a_lone_surrogate_as_invalid_value(guard: LeakGuard) -> None:
    with guard.raises(ValidationError, ERR_INVALID_VALUE) as info:
        payload_bytes({"S": PLAINTEXT + "\ud800"})

    assert info.value.__context__ is None


# --------------------------------------------------------------------------------------------------
# Envelope checks (wire-format.md §3.5)


def test_parse_envelope_returns_edk_nonce_and_ct() -> None:
    assert parse_envelope({"M": vector_entries()}, attr_name="secret") == (
        VECTOR_EDK,
        VECTOR_NONCE,
        VECTOR_CT,
    )


@pytest.mark.parametrize("version", ["1", "1.0", "1e0", "10E-1", "+1", "0.1e1"])
def test_parse_envelope_accepts_a_version_that_is_numerically_one(version: str) -> None:
    assert parse_envelope({"M": vector_entries(v={"N": version})}, attr_name="secret")[0] == VECTOR_EDK


def test_parse_envelope_accepts_every_binary_type() -> None:
    entries = vector_entries(
        edk={"B": Binary(VECTOR_EDK)}, nonce={"B": bytearray(VECTOR_NONCE)}, ct={"B": memoryview(VECTOR_CT)}
    )

    assert parse_envelope({"M": entries}, attr_name="secret") == (VECTOR_EDK, VECTOR_NONCE, VECTOR_CT)


BAD_STORED: dict[str, Any] = {
    "not a map: S": {"S": "text"},
    "not a map: B": {"B": VECTOR_CT},
    "not a map: NULL": {"NULL": True},
    "not a map: a string": "text",
    "not a map: None": None,
    "M plus another type key": {"M": vector_entries(), "S": "x"},
    "M holding a list": {"M": [vector_entries()]},
    "v missing": {"M": vector_entries(v=DROP)},
    "v as S": {"M": vector_entries(v={"S": "1"})},
    "v as a raw int": {"M": vector_entries(v={"N": 1})},
    "v as N and S": {"M": vector_entries(v={"N": "1", "S": "1"})},
    "v is 2": {"M": vector_entries(v={"N": "2"})},
    "v is 0": {"M": vector_entries(v={"N": "0"})},
    "v is 1.5": {"M": vector_entries(v={"N": "1.5"})},
    "v not a number": {"M": vector_entries(v={"N": "one"})},
    "v with spaces": {"M": vector_entries(v={"N": " 1"})},
    "v Infinity": {"M": vector_entries(v={"N": "Infinity"})},
    "v NaN": {"M": vector_entries(v={"N": "NaN"})},
    "v exponent out of range": {"M": vector_entries(v={"N": "1e999999999999999999999"})},
    "edk missing": {"M": vector_entries(edk=DROP)},
    "edk as S": {"M": vector_entries(edk={"S": "edk"})},
    "edk as base64 text": {"M": vector_entries(edk={"B": "ZWRr"})},
    "edk empty": {"M": vector_entries(edk={"B": b""})},
    "nonce missing": {"M": vector_entries(nonce=DROP)},
    "nonce as S": {"M": vector_entries(nonce={"S": "AgICAgICAgICAgIC"})},
    "nonce empty": {"M": vector_entries(nonce={"B": b""})},
    "nonce 11 bytes": {"M": vector_entries(nonce={"B": VECTOR_NONCE[:11]})},
    "nonce 13 bytes": {"M": vector_entries(nonce={"B": VECTOR_NONCE + b"\x02"})},
    "ct missing": {"M": vector_entries(ct=DROP)},
    "ct as S": {"M": vector_entries(ct={"S": VECTOR_CT_B64})},
    "ct empty": {"M": vector_entries(ct={"B": b""})},
    "ct 15 bytes": {"M": vector_entries(ct={"B": VECTOR_CT[:15]})},
    "extra entry": {"M": vector_entries(extra={"S": "x"})},
    "extra entry replacing none": {"M": {**vector_entries(), "V": {"N": "1"}}},
}


@pytest.mark.parametrize("stored", list(BAD_STORED.values()), ids=list(BAD_STORED))
def test_each_malformed_envelope_is_rejected_before_any_kms_call(stored: Any, guard: LeakGuard) -> None:
    with invalid(guard) as info:
        parse_envelope(stored, attr_name="secret")
    assert info.value.field == "secret"

    kms = vector_kms()
    with invalid(guard):
        run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN), kms)
    assert kms.calls == []


BAD_PYTHON_ENVELOPES: dict[str, dict[str, Any]] = {
    "v is the string 1": {"v": "1"},
    "v is 2": {"v": 2},
    "v is Decimal 2": {"v": Decimal("2")},
    "v is True": {"v": True},
    "v is a float": {"v": 1.0},
    "v is NaN": {"v": Decimal("NaN")},
    "v missing": {"v": DROP},
    "edk as text": {"edk": "ZWRr"},
    "edk empty": {"edk": b""},
    "nonce 11 bytes": {"nonce": VECTOR_NONCE[:11]},
    "ct missing": {"ct": DROP},
    "ct truncated to 15 bytes": {"ct": VECTOR_CT[:15]},
    "extra field": {"x": b"1"},
}


@pytest.mark.parametrize("changes", list(BAD_PYTHON_ENVELOPES.values()), ids=list(BAD_PYTHON_ENVELOPES))
def test_decrypt_attribute_value_rejects_bad_python_valued_envelopes(
    changes: dict[str, Any], guard: LeakGuard
) -> None:
    envelope: dict[str, Any] = {"v": 1, "edk": VECTOR_EDK, "nonce": VECTOR_NONCE, "ct": VECTOR_CT}
    for key, value in changes.items():
        if value is DROP:
            del envelope[key]
        else:
            envelope[key] = value
    kms = vector_kms()

    with invalid(guard) as info:
        decrypt_attribute_value(envelope, attr_name="secret", kms_key_arn=ARN, kms_client=kms)

    assert info.value.field == "secret"
    assert info.value.operation == "decrypt_attribute_value"
    assert kms.calls == []


def test_decrypt_attribute_value_rejects_an_envelope_that_is_not_a_mapping(guard: LeakGuard) -> None:
    bad: Any = [("v", 1)]
    with invalid(guard):
        decrypt_attribute_value(bad, attr_name="secret", kms_key_arn=ARN, kms_client=vector_kms())


@pytest.mark.parametrize(
    "envelope",
    [
        {
            "v": Decimal("1"),
            "edk": Binary(VECTOR_EDK),
            "nonce": Binary(VECTOR_NONCE),
            "ct": Binary(VECTOR_CT),
        },
        {"v": 1, "edk": bytearray(VECTOR_EDK), "nonce": memoryview(VECTOR_NONCE), "ct": VECTOR_CT},
        {"ct": VECTOR_CT, "nonce": VECTOR_NONCE, "edk": VECTOR_EDK, "v": Decimal("1.0")},
    ],
    ids=["decimal-and-binary", "bytearray-and-memoryview", "any-order"],
)
def test_decrypt_attribute_value_accepts_int_or_decimal_version_and_any_binary_type(
    envelope: dict[str, Any],
) -> None:
    assert decrypt_attribute_value(
        envelope, attr_name="secret", kms_key_arn=ARN, kms_client=vector_kms()
    ) == {"S": "top-secret"}


def test_envelopes_swapped_between_attributes_do_not_decrypt(guard: LeakGuard) -> None:
    kms = FakeKms()
    rand = counting_bytes()
    card = encrypt_attribute_value(
        {"S": "4111-card"}, attr_name="card", kms_key_arn=ARN, kms_client=kms, rand_bytes=rand
    )
    ssn = encrypt_attribute_value(
        {"S": "078-05-ssn"}, attr_name="ssn", kms_key_arn=ARN, kms_client=kms, rand_bytes=rand
    )
    guard.watch("4111-card", "078-05-ssn", card["ct"], ssn["ct"])

    with invalid(guard) as info:
        decrypt_attribute_value(card, attr_name="ssn", kms_key_arn=ARN, kms_client=kms)
    assert info.value.field == "ssn"
    with invalid(guard):
        decrypt_attribute_value(ssn, attr_name="card", kms_key_arn=ARN, kms_client=kms)

    assert decrypt_attribute_value(card, attr_name="card", kms_key_arn=ARN, kms_client=kms) == {
        "S": "4111-card"
    }


def test_flipping_any_bit_of_ct_fails_authentication(guard: LeakGuard) -> None:
    kms = vector_kms()
    for bit in range(len(VECTOR_CT) * 8):
        stored = {"M": vector_entries(ct={"B": flip_bit(VECTOR_CT, bit)})}
        with invalid(guard):
            run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN), kms)


def test_flipping_any_bit_of_the_nonce_fails_authentication(guard: LeakGuard) -> None:
    kms = vector_kms()
    for bit in range(len(VECTOR_NONCE) * 8):
        stored = {"M": vector_entries(nonce={"B": flip_bit(VECTOR_NONCE, bit)})}
        with invalid(guard):
            run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN), kms)


def test_flipping_any_bit_of_the_edk_is_refused_by_kms_as_aws_error(guard: LeakGuard) -> None:
    kms = FakeKms(issue=[(DATA_KEY, EDK)])
    envelope = encrypt_attribute_value(
        PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=kms, rand_bytes=counting_bytes()
    )
    guard.watch(envelope["ct"])

    for bit in range(len(EDK) * 8):
        tampered = {**envelope, "edk": flip_bit(EDK, bit)}
        with guard.raises(AwsError, "InvalidCiphertextException") as info:
            decrypt_attribute_value(tampered, attr_name="secret", kms_key_arn=ARN, kms_client=kms)
        assert info.value.field == "secret"
    assert (
        decrypt_attribute_value(envelope, attr_name="secret", kms_key_arn=ARN, kms_client=kms) == PLAINTEXT_AV
    )


def test_flipping_any_bit_of_the_edk_fails_authentication_when_kms_returns_another_key(
    guard: LeakGuard,
) -> None:
    kms = FakeKms(issue=[(DATA_KEY, EDK)], unknown_blob="derive")
    envelope = encrypt_attribute_value(
        PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=kms, rand_bytes=counting_bytes()
    )
    guard.watch(envelope["ct"])

    for bit in range(len(EDK) * 8):
        tampered = {**envelope, "edk": flip_bit(EDK, bit)}
        with invalid(guard):
            decrypt_attribute_value(tampered, attr_name="secret", kms_key_arn=ARN, kms_client=kms)


@pytest.mark.parametrize("length", [41, 26, 17, 16])
def test_truncated_ct_fails_authentication(length: int, guard: LeakGuard) -> None:
    stored = {"M": vector_entries(ct={"B": VECTOR_CT[:length]})}

    with invalid(guard):
        run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN), vector_kms())


def test_a_payload_that_is_not_av_json_is_rejected_after_authentication(guard: LeakGuard) -> None:
    aead = AESGCM(DATA_KEY)
    kms = FakeKms(known={EDK: DATA_KEY})
    for payload in (
        b'{"t":"X","s":"' + PLAINTEXT.encode() + b'"}',
        b"\xff" + PLAINTEXT.encode(),
        b'{"t":"S","s":"' + PLAINTEXT.encode(),
    ):
        ct = aead.encrypt(VECTOR_NONCE, payload, aad_for("secret"))
        guard.watch(ct, payload)
        envelope = {"v": 1, "edk": EDK, "nonce": VECTOR_NONCE, "ct": ct}
        with invalid(guard) as info:
            decrypt_attribute_value(envelope, attr_name="secret", kms_key_arn=ARN, kms_client=kms)
        assert info.value.__context__ is None


# --------------------------------------------------------------------------------------------------
# Data keys and the other sealing inputs


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_seal_rejects_a_data_key_that_is_not_32_bytes(length: int, guard: LeakGuard) -> None:
    with invalid(guard) as info:
        seal(PLAINTEXT_AV, attr_name="secret", data_key=DATA_KEY[:1] * length, edk=EDK, nonce=VECTOR_NONCE)
    assert info.value.field == "secret"


def test_open_sealed_rejects_a_31_byte_data_key(guard: LeakGuard) -> None:
    with invalid(guard):
        open_sealed(attr_name="secret", data_key=VECTOR_KEY[:31], nonce=VECTOR_NONCE, ct=VECTOR_CT)


def test_seal_rejects_an_empty_edk_and_a_nonce_that_is_not_12_bytes(guard: LeakGuard) -> None:
    with invalid(guard):
        seal(PLAINTEXT_AV, attr_name="secret", data_key=DATA_KEY, edk=b"", nonce=VECTOR_NONCE)
    for nonce in (b"", VECTOR_NONCE[:11], VECTOR_NONCE + b"\x00"):
        with invalid(guard):
            seal(PLAINTEXT_AV, attr_name="secret", data_key=DATA_KEY, edk=EDK, nonce=nonce)


def test_encryption_rejects_a_31_byte_key_from_generate_data_key(guard: LeakGuard) -> None:
    kms = FakeKms(issue=[(DATA_KEY[:31], EDK)])
    guard.watch(DATA_KEY[:31])

    with invalid(guard) as info:
        encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=kms)
    assert info.value.field == "secret"


def test_encryption_rejects_an_empty_ciphertext_blob_from_kms(guard: LeakGuard) -> None:
    kms = FakeKms(issue=[(DATA_KEY, b"")])

    with invalid(guard):
        encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=kms)


def test_decryption_rejects_a_31_byte_key_from_kms_decrypt(guard: LeakGuard) -> None:
    kms = FakeKms(known={VECTOR_EDK: VECTOR_KEY[:31]})

    with invalid(guard):
        decrypt_attribute_value(
            {"v": 1, "edk": VECTOR_EDK, "nonce": VECTOR_NONCE, "ct": VECTOR_CT},
            attr_name="secret",
            kms_key_arn=ARN,
            kms_client=kms,
        )


# --------------------------------------------------------------------------------------------------
# The sans-I/O operations and KMS


def test_encrypt_av_yields_one_generate_data_key_call_without_encryption_context() -> None:
    op = encrypt_av(
        {"S": "top-secret"}, attr_name="secret", kms_key_arn=ARN, rand_bytes=fixed_bytes(VECTOR_NONCE)
    )

    assert next(op) == AwsCall("kms", "generate_data_key", {"KeyId": ARN, "KeySpec": "AES_256"})
    with pytest.raises(StopIteration) as stop:
        op.send({"Plaintext": VECTOR_KEY, "CiphertextBlob": VECTOR_EDK, "KeyId": ARN})
    assert stop.value.value == {
        "M": {"v": {"N": "1"}, "edk": {"B": b"edk"}, "nonce": {"B": VECTOR_NONCE}, "ct": {"B": VECTOR_CT}}
    }


def test_decrypt_av_yields_one_decrypt_call_with_the_edk_and_the_key_arn() -> None:
    op = decrypt_av({"M": vector_entries()}, attr_name="secret", kms_key_arn=ARN)

    assert next(op) == AwsCall("kms", "decrypt", {"CiphertextBlob": VECTOR_EDK, "KeyId": ARN})
    with pytest.raises(StopIteration) as stop:
        op.send({"Plaintext": VECTOR_KEY, "KeyId": ARN})
    assert stop.value.value == {"S": "top-secret"}


@pytest.mark.parametrize(("av", "_text"), EVERY_TYPE, ids=[e.decode() for _, e in EVERY_TYPE])
def test_encrypt_then_decrypt_round_trips_every_type_through_kms(av: dict[str, Any], _text: bytes) -> None:
    kms = FakeKms()

    stored = run(encrypt_av(av, attr_name="a", kms_key_arn=ARN, rand_bytes=counting_bytes()), kms)

    assert set(stored["M"]) == {"v", "edk", "nonce", "ct"}
    assert run(decrypt_av(stored, attr_name="a", kms_key_arn=ARN), kms) == av


def test_without_a_cache_every_value_gets_its_own_data_key_and_nonce() -> None:
    kms = FakeKms()
    rand = counting_bytes()

    first = encrypt_attribute_value(
        PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, kms_client=kms, rand_bytes=rand
    )
    second = encrypt_attribute_value(
        PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, kms_client=kms, rand_bytes=rand
    )

    assert kms.count("generate_data_key") == 2
    assert first["edk"] != second["edk"]
    assert first["nonce"] != second["nonce"]
    assert first["ct"] != second["ct"]


def test_the_default_nonce_source_gives_12_fresh_random_bytes() -> None:
    kms = FakeKms(issue=[(DATA_KEY, EDK), (DATA_KEY, EDK)])

    first = encrypt_attribute_value(PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, kms_client=kms)
    second = encrypt_attribute_value(PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, kms_client=kms)

    assert len(first["nonce"]) == 12
    assert first["nonce"] != second["nonce"]


@pytest.mark.parametrize("arn", ["", "   ", None])
def test_missing_kms_key_arn_raises_encryption_not_configured_before_any_kms_call(
    arn: Any, guard: LeakGuard
) -> None:
    kms = vector_kms()
    envelope = {"v": 1, "edk": VECTOR_EDK, "nonce": VECTOR_NONCE, "ct": VECTOR_CT}

    with guard.raises(EncryptionNotConfiguredError, ERR_ENCRYPTION_NOT_CONFIGURED) as info:
        encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn=arn, kms_client=kms)
    assert info.value.field == "secret"
    with guard.raises(EncryptionNotConfiguredError, ERR_ENCRYPTION_NOT_CONFIGURED):
        decrypt_attribute_value(envelope, attr_name="secret", kms_key_arn=arn, kms_client=kms)
    with guard.raises(EncryptionNotConfiguredError, ERR_ENCRYPTION_NOT_CONFIGURED) as info:
        run(encrypt_av(PLAINTEXT_AV, attr_name="secret", kms_key_arn=arn, rand_bytes=counting_bytes()), kms)
    assert info.value.field == "secret"
    with guard.raises(EncryptionNotConfiguredError, ERR_ENCRYPTION_NOT_CONFIGURED):
        run(decrypt_av({"M": vector_entries()}, attr_name="secret", kms_key_arn=arn), kms)
    assert kms.calls == []


def test_helpers_require_a_kms_client(guard: LeakGuard) -> None:
    with guard.raises(ValidationError, ERR_INVALID_VALUE):
        encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=None)
    with guard.raises(ValidationError, ERR_INVALID_VALUE):
        decrypt_attribute_value(
            {"v": 1, "edk": EDK, "nonce": VECTOR_NONCE, "ct": VECTOR_CT},
            attr_name="secret",
            kms_key_arn=ARN,
            kms_client=None,
        )


def test_kms_throttling_on_generate_data_key_surfaces_as_aws_error_with_the_kms_code(
    guard: LeakGuard,
) -> None:
    throttled = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GenerateDataKey"
    )
    kms = FakeKms(errors={"generate_data_key": throttled})

    with guard.raises(AwsError, "ThrottlingException") as info:
        encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn=ARN, kms_client=kms)

    assert info.value.aws_code == "ThrottlingException"
    assert info.value.message == "slow down"
    assert info.value.field == "secret"
    assert info.value.operation == "encrypt_attribute_value"
    assert info.value.__cause__ is throttled


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInvalidStateException", "AccessDeniedException"])
def test_kms_errors_on_decrypt_surface_as_aws_error_with_the_kms_code(code: str, guard: LeakGuard) -> None:
    kms = FakeKms(errors={"decrypt": kms_error(code, "Decrypt")})

    with guard.raises(AwsError, code) as info:
        run(decrypt_av({"M": vector_entries()}, attr_name="secret", kms_key_arn=ARN), kms)

    assert info.value.aws_code == code
    assert info.value.field == "secret"


def test_errors_from_the_operations_carry_operation_table_and_attribute(guard: LeakGuard) -> None:
    kms = FakeKms(errors={"generate_data_key": kms_error("DisabledException", "GenerateDataKey")})

    with guard.raises(AwsError, "DisabledException") as aws_info:
        run(
            encrypt_av(
                PLAINTEXT_AV,
                attr_name="secret",
                kms_key_arn=ARN,
                rand_bytes=counting_bytes(),
                operation="put",
                table="users",
            ),
            kms,
        )
    with invalid(guard) as envelope_info:
        run(
            decrypt_av({"S": "x"}, attr_name="secret", kms_key_arn=ARN, operation="get", table="users"),
            kms,
        )

    assert (aws_info.value.operation, aws_info.value.table, aws_info.value.field) == (
        "put",
        "users",
        "secret",
    )
    assert (envelope_info.value.operation, envelope_info.value.table, envelope_info.value.field) == (
        "get",
        "users",
        "secret",
    )


# --------------------------------------------------------------------------------------------------
# The opt-in data-key cache


def test_cache_reuses_one_data_key_for_encryption_within_max_age() -> None:
    kms = FakeKms()
    cache = DataKeyCache(clock=Clock())
    rand = counting_bytes()

    stored = [
        run(encrypt_av({"N": str(i)}, attr_name="a", kms_key_arn=ARN, rand_bytes=rand, key_source=cache), kms)
        for i in range(5)
    ]

    assert kms.count("generate_data_key") == 1
    assert len({s["M"]["edk"]["B"] for s in stored}) == 1
    assert len({s["M"]["nonce"]["B"] for s in stored}) == 5
    assert all(list(s["M"]) == ["v", "edk", "nonce", "ct"] and s["M"]["v"] == {"N": "1"} for s in stored)
    # Readers without any cache open them unchanged.
    assert [run(decrypt_av(s, attr_name="a", kms_key_arn=ARN), kms) for s in stored] == [
        {"N": str(i)} for i in range(5)
    ]


def test_cache_serves_repeated_decryption_without_calling_kms() -> None:
    kms = vector_kms()
    cache = DataKeyCache(clock=Clock())
    stored = {"M": vector_entries()}

    for _ in range(3):
        assert run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN, key_source=cache), kms) == {
            "S": "top-secret"
        }

    assert kms.count("decrypt") == 1


def test_cache_decrypts_values_it_encrypted_without_calling_kms() -> None:
    kms = FakeKms()
    cache = DataKeyCache(clock=Clock())

    stored = run(
        encrypt_av(
            PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, rand_bytes=counting_bytes(), key_source=cache
        ),
        kms,
    )

    assert run(decrypt_av(stored, attr_name="a", kms_key_arn=ARN, key_source=cache), kms) == PLAINTEXT_AV
    assert kms.count("decrypt") == 0


def test_cache_entries_expire_after_max_age() -> None:
    kms = FakeKms()
    clock = Clock()
    cache = DataKeyCache(max_age_seconds=60, clock=clock)
    rand = counting_bytes()

    def encrypt() -> dict[str, Any]:
        stored: dict[str, Any] = run(
            encrypt_av(PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, rand_bytes=rand, key_source=cache), kms
        )
        return stored

    first = encrypt()
    clock.now += 59
    encrypt()
    assert kms.count("generate_data_key") == 1
    clock.now += 1
    assert len(cache) == 0
    encrypt()
    assert kms.count("generate_data_key") == 2

    clock.now += 60
    assert run(decrypt_av(first, attr_name="a", kms_key_arn=ARN, key_source=cache), kms) == PLAINTEXT_AV
    assert kms.count("decrypt") == 1


def test_cache_evicts_the_least_recently_used_key_beyond_max_keys() -> None:
    blobs = [b"blob-a", b"blob-b", b"blob-c"]
    keys = [hashlib.sha256(blob).digest() for blob in blobs]
    kms = FakeKms(issue=list(zip(keys, blobs, strict=True)))
    envelopes = [
        run(encrypt_av({"N": str(i)}, attr_name="a", kms_key_arn=ARN, rand_bytes=counting_bytes()), kms)
        for i in range(3)
    ]
    cache = DataKeyCache(max_keys=2, clock=Clock())

    def decrypt(i: int) -> None:
        assert run(decrypt_av(envelopes[i], attr_name="a", kms_key_arn=ARN, key_source=cache), kms) == {
            "N": str(i)
        }

    decrypt(0)
    decrypt(1)
    decrypt(0)  # 0 is now the most recently used
    decrypt(2)  # evicts 1
    assert kms.count("decrypt") == 3
    assert len(cache) == 2
    decrypt(0)
    assert kms.count("decrypt") == 3
    decrypt(1)
    assert kms.count("decrypt") == 4


def test_cache_keys_are_scoped_to_the_kms_key_arn() -> None:
    kms = FakeKms()
    cache = DataKeyCache(clock=Clock())
    rand = counting_bytes()

    for arn in (ARN, OTHER_ARN, ARN, OTHER_ARN):
        run(encrypt_av(PLAINTEXT_AV, attr_name="a", kms_key_arn=arn, rand_bytes=rand, key_source=cache), kms)

    assert [params["KeyId"] for name, params in kms.calls] == [ARN, OTHER_ARN]


def test_cache_clear_forgets_every_key() -> None:
    kms = vector_kms()
    cache = DataKeyCache(clock=Clock())
    stored = {"M": vector_entries()}
    run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN, key_source=cache), kms)

    cache.clear()

    assert len(cache) == 0
    run(decrypt_av(stored, attr_name="secret", kms_key_arn=ARN, key_source=cache), kms)
    assert kms.count("decrypt") == 2


def test_cache_does_not_keep_a_key_that_kms_returned_with_the_wrong_length(guard: LeakGuard) -> None:
    kms = FakeKms(issue=[(DATA_KEY[:31], EDK)])
    cache = DataKeyCache(clock=Clock())
    guard.watch(DATA_KEY[:31])

    with invalid(guard):
        run(
            encrypt_av(
                PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, rand_bytes=counting_bytes(), key_source=cache
            ),
            kms,
        )

    assert len(cache) == 0


def test_cache_repr_shows_bounds_and_size_but_no_key_material(guard: LeakGuard) -> None:
    kms = FakeKms(issue=[(DATA_KEY, EDK)])
    cache = DataKeyCache(max_keys=7, max_age_seconds=30, clock=Clock())
    run(
        encrypt_av(
            PLAINTEXT_AV, attr_name="a", kms_key_arn=ARN, rand_bytes=counting_bytes(), key_source=cache
        ),
        kms,
    )

    assert repr(cache) == "DataKeyCache(max_keys=7, max_age_seconds=30.0, size=2)"
    assert (cache.max_keys, cache.max_age_seconds) == (7, 30.0)
    assert leaked([repr(cache), str(cache)], guard.secrets) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_keys": 0},
        {"max_keys": -1},
        {"max_keys": 1.5},
        {"max_keys": True},
        {"max_age_seconds": 0},
        {"max_age_seconds": -1},
        {"max_age_seconds": float("inf")},
        {"max_age_seconds": float("nan")},
        {"max_age_seconds": "60"},
    ],
    ids=repr,
)
def test_cache_rejects_invalid_bounds(kwargs: dict[str, Any], guard: LeakGuard) -> None:
    with guard.raises(ValidationError, ERR_INVALID_VALUE):
        DataKeyCache(**kwargs)


def test_cache_is_safe_under_concurrent_use() -> None:
    kms = FakeKms()
    cache = DataKeyCache(max_keys=3, clock=Clock())
    rand = counting_bytes()
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(40):
                av = {"S": f"{n}-{i}"}
                arn = ARN if i % 2 else OTHER_ARN
                stored = run(
                    encrypt_av(av, attr_name="a", kms_key_arn=arn, rand_bytes=rand, key_source=cache), kms
                )
                assert run(decrypt_av(stored, attr_name="a", kms_key_arn=arn, key_source=cache), kms) == av
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(cache) <= 3


# --------------------------------------------------------------------------------------------------
# Secrecy


def test_errors_logs_and_output_never_contain_plaintext_keys_ciphertext_or_edk(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    good = FakeKms(issue=[(DATA_KEY, EDK)], known={EDK: DATA_KEY})
    envelope = encrypt_attribute_value(
        PLAINTEXT_AV,
        attr_name="secret",
        kms_key_arn=ARN,
        kms_client=good,
        rand_bytes=fixed_bytes(VECTOR_NONCE),
    )
    ct = envelope["ct"]
    bad_payloads = [
        b'{"t":"X","s":"' + PLAINTEXT.encode() + b'"}',
        b"\xff" + PLAINTEXT.encode(),
        b'{"t":"S","s":"' + PLAINTEXT.encode(),
    ]
    bad_cts = [AESGCM(DATA_KEY).encrypt(VECTOR_NONCE, p, aad_for("secret")) for p in bad_payloads]
    secrets: list[bytes | str] = [*BASE_SECRETS, ct, DATA_KEY[:31], *bad_payloads, *bad_cts]

    def decrypt_with(kms: Any, **changes: Any) -> Any:
        return decrypt_attribute_value(
            {**envelope, **changes}, attr_name="secret", kms_key_arn=ARN, kms_client=kms
        )

    failing: list[Callable[[], Any]] = [
        lambda: decrypt_attribute_value(envelope, attr_name="other", kms_key_arn=ARN, kms_client=good),
        lambda: decrypt_with(good, ct=flip_bit(ct, 3)),
        lambda: decrypt_with(good, ct=ct[:20]),
        lambda: decrypt_with(good, edk=flip_bit(EDK, 0)),
        lambda: decrypt_with(FakeKms(known={EDK: DATA_KEY}, unknown_blob="derive"), edk=EDK + b"x"),
        lambda: decrypt_with(FakeKms(known={EDK: DATA_KEY[:31]})),
        lambda: decrypt_with(good, nonce=VECTOR_NONCE[:11]),
        lambda: decrypt_with(good, v="1"),
        lambda: decrypt_with(good, extra=EDK),
        lambda: decrypt_with(FakeKms(errors={"decrypt": kms_error("AccessDeniedException", "Decrypt")})),
        *[lambda c=c: decrypt_with(good, ct=c) for c in bad_cts],
        lambda: encrypt_attribute_value(
            PLAINTEXT_AV,
            attr_name="secret",
            kms_key_arn=ARN,
            kms_client=FakeKms(issue=[(DATA_KEY[:31], EDK)]),
        ),
        lambda: encrypt_attribute_value(
            PLAINTEXT_AV,
            attr_name="secret",
            kms_key_arn=ARN,
            kms_client=FakeKms(
                errors={"generate_data_key": kms_error("ThrottlingException", "GenerateDataKey")}
            ),
        ),
        lambda: encrypt_attribute_value(PLAINTEXT_AV, attr_name="secret", kms_key_arn="", kms_client=good),
        lambda: encrypt_attribute_value(
            {"SS": [PLAINTEXT, 1]}, attr_name="secret", kms_key_arn=ARN, kms_client=good
        ),
        lambda: encrypt_attribute_value(
            {"S": PLAINTEXT + "\udfff"}, attr_name="secret", kms_key_arn=ARN, kms_client=good
        ),
        lambda: seal(PLAINTEXT_AV, attr_name="secret", data_key=DATA_KEY[:31], edk=EDK, nonce=VECTOR_NONCE),
        lambda: open_sealed(attr_name="other", data_key=DATA_KEY, nonce=VECTOR_NONCE, ct=ct),
        lambda: parse_envelope(
            {"M": {"v": {"N": "1"}, "edk": {"B": EDK}, "nonce": {"B": b"1"}, "ct": {"B": ct}}},
            attr_name="secret",
        ),
    ]
    raised: list[BaseException] = []
    for call in failing:
        with pytest.raises(DynamormPyError) as info:
            call()
        raised.append(info.value)
        assert info.value.field in ("secret", "other")
        logging.getLogger("dynamorm_py").error("operation failed: %s", info.value)
        logging.getLogger("dynamorm_py").debug("detail: %r", info.value)
        print(info.value, repr(info.value))

    captured = capsys.readouterr()
    texts = [captured.out, captured.err, caplog.text]
    for exc in raised:
        texts += exception_texts(exc)
    assert len(raised) == len(failing)
    assert captured.out.count("ErrInvalidEncryptedEnvelope") > 0
    assert leaked(texts, secrets) == []


def test_the_leak_check_itself_detects_each_secret_form() -> None:
    for secret in (PLAINTEXT, DATA_KEY, EDK, VECTOR_CT):
        data = secret.encode() if isinstance(secret, str) else secret
        for text in (repr(data), data.hex(), base64.b64encode(data).decode(), f"x{secret!s}y"):
            assert leaked([text], [secret]) != []


# --------------------------------------------------------------------------------------------------
# Fail closed at every lower-level entry point; never queryable (wire-format.md §3.5)


@dataclass
class Vault:
    owner: str = dynamorm_field(roles=["pk"])
    label: str = ""
    secret: str | None = dynamorm_field(encrypted=True, default=None)
    # Named "version" without the version role: condition_version() falls back to it and must refuse it.
    version: int = dynamorm_field(encrypted=True, default=0)
    entries: list[str] = dynamorm_field(encrypted=True, default_factory=list)
    codes: set[str] = dynamorm_field(encrypted=True, default_factory=set)


VAULTS = ModelDefinition.from_dataclass(Vault, table_name="vaults")
# A stored item whose "secret" holds the §3.4 vector envelope (sealed for the attribute "secret").
STORED_VAULT: dict[str, Any] = {
    "owner": {"S": "o-1"},
    "label": {"S": "plain"},
    "secret": {"M": vector_entries()},
}


def stored_item_dynamodb(item: Mapping[str, Any] = STORED_VAULT) -> RecordingClient:
    """A DynamoDB client whose reads all answer with ``item`` and whose writes all succeed; calls recorded."""
    return RecordingClient(
        {
            "get_item": {"Item": item},
            "query": {"Items": [item], "Count": 1, "ScannedCount": 1},
            "scan": {"Items": [item], "Count": 1, "ScannedCount": 1},
            "batch_get_item": {"Responses": {"vaults": [item]}, "UnprocessedKeys": {}},
            "transact_get_items": {"Responses": [{"Item": item}]},
            "update_item": {"Attributes": item},
            "put_item": {},
            "batch_write_item": {"UnprocessedItems": {}},
            "transact_write_items": {},
        },
        default=None,
    )


def keyless_context() -> TableContext[Vault]:
    """The context a Table would build, minus the KMS key a Table refuses to be without."""
    return TableContext(
        model=VAULTS,
        table_name="vaults",
        now=lambda: datetime(2026, 1, 2, tzinfo=UTC),
        rand_bytes=counting_bytes(),
        kms_key_arn=None,
    )


def vault(secret: str | None = PLAINTEXT) -> Vault:
    return Vault(owner="o-1", label="plain", secret=secret)


def keyless_failure(
    build: Callable[[TableContext[Vault]], Op[Any]], dynamodb: Any, kms: Any, guard: LeakGuard
) -> EncryptionNotConfiguredError:
    """Run ``build`` on a keyless context; the EncryptionNotConfiguredError it raises (for a batch: the
    cause of the BatchRetryExceededError that hands back the caller's unprocessed objects, api.md §2.5)."""
    with pytest.raises(DynamormPyError) as info:
        run_sync(build(keyless_context()), clients={"dynamodb": dynamodb, "kms": kms}, sleep=None)
    error: BaseException = info.value
    if isinstance(error, BatchRetryExceededError):
        # Its attributes are the caller's own objects by design; its message and repr stay clean.
        assert leaked([str(error), repr(error)], guard.secrets) == []
        cause = error.__cause__
        assert cause is not None
        error = cause
    assert isinstance(error, EncryptionNotConfiguredError)
    assert error.code == ERR_ENCRYPTION_NOT_CONFIGURED
    guard.errors.append(error)
    return error


KEYLESS_WRITES: list[tuple[str, Callable[[TableContext[Vault]], Op[Any]]]] = [
    ("put", lambda ctx: put_op(ctx, vault())),
    ("put of None and empty values", lambda ctx: put_op(ctx, vault(None))),
    ("update", lambda ctx: update_op(ctx, "o-1", None, {"secret": PLAINTEXT})),
    ("update to an empty set", lambda ctx: update_op(ctx, "o-1", None, {"codes": set()})),
    ("update_item", lambda ctx: update_item_op(ctx, vault(), ["secret"])),
    ("batch_write", lambda ctx: batch_write_op(ctx, [vault()], ())),
    ("transact put", lambda ctx: transact_write_op(ctx, [TransactPut(vault())])),
    ("transact update", lambda ctx: transact_write_op(ctx, [TransactUpdate("o-1", None, {"secret": "x"})])),
]


@pytest.mark.parametrize(("name", "build"), KEYLESS_WRITES, ids=[name for name, _ in KEYLESS_WRITES])
def test_every_lower_level_write_without_a_key_raises_before_anything_is_sent(
    name: str, build: Callable[[TableContext[Vault]], Op[Any]], guard: LeakGuard
) -> None:
    dynamodb, kms = stored_item_dynamodb(), FakeKms()

    error = keyless_failure(build, dynamodb, kms, guard)

    assert error.table == "vaults"
    assert dynamodb.calls == []  # plaintext is never written as a fallback
    assert kms.calls == []


def api_stream_record(image: Mapping[str, Any]) -> dict[str, Any]:
    keys = {"owner": image["owner"]}
    return {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": dict(image)}}


KEYLESS_READS: list[tuple[str, Callable[[TableContext[Vault]], Op[Any]]]] = [
    ("get", lambda ctx: get_op(ctx, "o-1")),
    ("query", lambda ctx: page_op(ctx, QueryArgs("o-1"), op_name="query")),
    ("scan", lambda ctx: page_op(ctx, ScanArgs(), op_name="scan")),
    ("batch_get", lambda ctx: batch_get_op(ctx, ["o-1"])),
    ("transact_get", lambda ctx: transact_get_op(ctx, ["o-1"])),
    ("update return values", lambda ctx: update_op(ctx, "o-1", None, {"label": "renamed"})),
    ("stream record", lambda ctx: stream_record_op(ctx, api_stream_record(STORED_VAULT))),
]


@pytest.mark.parametrize(("name", "build"), KEYLESS_READS, ids=[name for name, _ in KEYLESS_READS])
def test_every_lower_level_read_of_an_envelope_without_a_key_raises_instead_of_returning_it(
    name: str, build: Callable[[TableContext[Vault]], Op[Any]], guard: LeakGuard
) -> None:
    dynamodb, kms = stored_item_dynamodb(), vector_kms()

    error = keyless_failure(build, dynamodb, kms, guard)

    assert error.table == "vaults"
    assert kms.calls == []


def test_a_keyless_context_still_reads_items_that_hold_no_encrypted_value() -> None:
    dynamodb = stored_item_dynamodb({"owner": {"S": "o-1"}, "label": {"S": "plain"}})

    loaded = run_sync(
        get_op(keyless_context(), "o-1"), clients={"dynamodb": dynamodb, "kms": None}, sleep=None
    )

    assert loaded == Vault(owner="o-1", label="plain")


def vault_table(dynamodb: Any = None, kms: Any = None, **kwargs: Any) -> Table[Vault]:
    return Table(
        VAULTS,
        client=dynamodb if dynamodb is not None else stored_item_dynamodb(),
        kms_key_arn=ARN,
        kms_client=kms if kms is not None else vector_kms(),
        **kwargs,
    )


NOT_QUERYABLE: list[tuple[str, Callable[[Table[Vault]], Any]]] = [
    ("condition", lambda t: t.update_builder("o-1").condition("secret", "=", PLAINTEXT)),
    (
        "or_condition",
        lambda t: t.update_builder("o-1").condition("label", "=", "a").or_condition("secret", "<>", "b"),
    ),
    ("condition_exists", lambda t: t.update_builder("o-1").condition_exists("secret")),
    ("condition_not_exists", lambda t: t.update_builder("o-1").condition_not_exists("secret")),
    ("condition_version (library-built)", lambda t: t.update_builder("o-1").condition_version(3)),
    ("add number", lambda t: t.update_builder("o-1").add("version", 1)),
    ("increment", lambda t: t.update_builder("o-1").increment("version")),
    ("decrement", lambda t: t.update_builder("o-1").decrement("version")),
    ("add to set", lambda t: t.update_builder("o-1").add("codes", {"x"})),
    ("delete from set", lambda t: t.update_builder("o-1").delete("codes", {"x"})),
    ("append_to_list", lambda t: t.update_builder("o-1").append_to_list("entries", ["x"])),
    ("prepend_to_list", lambda t: t.update_builder("o-1").prepend_to_list("entries", ["x"])),
    ("remove_from_list_at", lambda t: t.update_builder("o-1").remove_from_list_at("entries", 0)),
    ("set_list_element", lambda t: t.update_builder("o-1").set_list_element("entries", 0, "x")),
    ("query filter", lambda t: t.query("o-1", filter=FilterCondition.eq("secret", PLAINTEXT))),
    ("scan filter", lambda t: t.scan(filter=FilterCondition.begins_with("secret", "P"))),
    ("count filter", lambda t: t.count(filter=FilterCondition.exists("codes"))),
    ("explain filter", lambda t: t.explain.scan(filter=FilterCondition.eq("version", 1))),
]


@pytest.mark.parametrize(("name", "attempt"), NOT_QUERYABLE, ids=[name for name, _ in NOT_QUERYABLE])
def test_encrypted_fields_are_refused_in_conditions_add_delete_list_operations_and_filters(
    name: str, attempt: Callable[[Table[Vault]], Any], guard: LeakGuard
) -> None:
    dynamodb, kms = stored_item_dynamodb(), vector_kms()

    with guard.raises(ValidationError, ERR_ENCRYPTED_FIELD_NOT_QUERYABLE) as info:
        attempt(vault_table(dynamodb, kms))

    assert info.value.field in ("secret", "version", "codes", "entries")
    assert (dynamodb.calls, kms.calls) == ([], [])


def test_plain_set_and_if_not_exists_of_an_encrypted_field_are_sealed() -> None:
    request = (
        vault_table()
        .update_builder("o-1")
        .set("secret", PLAINTEXT)
        .set_if_not_exists("version", None, 5)
        .remove("entries")
        .explain()
    )

    assert request.encrypted_attributes == ("secret", "version")
    assert (
        request.params["UpdateExpression"]
        == "SET #u_secret = :u1, #u_version = if_not_exists(#u_version, :u2) REMOVE #u_entries"
    )
    values = request.params["ExpressionAttributeValues"]
    assert values[":u1"]["M"]["v"] == {"N": "1"} and values[":u2"]["M"]["v"] == {"N": "1"}


@pytest.mark.parametrize(
    "cache", [True, {}, 300, "cache", object()], ids=["True", "empty-dict", "300", "str", "object"]
)
def test_table_rejects_a_data_key_cache_that_is_not_a_data_key_cache(cache: Any, guard: LeakGuard) -> None:
    with guard.raises(ValidationError, ERR_INVALID_VALUE) as info:
        vault_table(data_key_cache=cache)

    assert info.value.table == "vaults"


def test_table_accepts_a_data_key_cache_or_none() -> None:
    assert vault_table(data_key_cache=None).put(vault()) == vault()
    assert vault_table(data_key_cache=DataKeyCache()).put(vault()) == vault()


def test_a_decrypted_number_beyond_dynamodbs_range_is_rejected_not_expanded(guard: LeakGuard) -> None:
    # A payload can hold N text DynamoDB would never accept; "1E+100000000" must not become a
    # hundred-million-digit int (the read would hang).
    stored = {
        **STORED_VAULT,
        "version": seal(
            {"N": "1E+100000000"},
            attr_name="version",
            data_key=VECTOR_KEY,
            edk=VECTOR_EDK,
            nonce=VECTOR_NONCE,
        ),
    }
    table = vault_table(stored_item_dynamodb(stored))

    with guard.raises(ValidationError, ERR_INVALID_VALUE) as info:
        table.get("o-1")

    assert (info.value.field, info.value.operation, info.value.table) == ("version", "get", "vaults")


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInternalException"])
def test_a_tables_kms_calls_follow_its_retry_policy(code: str, guard: LeakGuard) -> None:
    # Throttled or failed KMS calls are retried by the library, as DynamoDB calls are (its KMS client has
    # botocore's own retries off); neither GenerateDataKey nor Decrypt can harm anything when repeated.
    failure = ClientError(
        {"Error": {"Code": code, "Message": "later"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
        "GenerateDataKey",
    )
    waits: list[tuple[float, float]] = []
    policy = RetryPolicy(max_attempts=3, rand_uniform=lambda low, high: waits.append((low, high)) or 0.0)
    kms = FakeKms(errors={"generate_data_key": failure, "decrypt": failure}, failures=2)
    table = vault_table(stored_item_dynamodb(), kms, retry_policy=policy)

    fields = len(VAULTS.codec.encrypted)  # one data key per encrypted value, without a cache

    table.put(Vault(owner="o-1", secret=PLAINTEXT))

    assert kms.count("generate_data_key") == fields + 2 and len(waits) == 2

    kms.failures = 3  # as many as the policy's attempts: the error is the caller's
    with guard.raises(AwsError, code):
        table.put(Vault(owner="o-1", secret=PLAINTEXT))
    assert kms.count("generate_data_key") == fields + 2 + 3 and len(waits) == 4


def test_the_kms_client_a_table_builds_has_botocore_retries_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    table = Table(VAULTS, client=stored_item_dynamodb(), kms_key_arn=ARN)

    assert table._kms_client.meta.config.retries["total_max_attempts"] == 1
