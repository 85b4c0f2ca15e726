"""Field encryption end to end (wire-format.md §3, §3.5) against the embedded server's DynamoDB and KMS.

Tampering is done the way an attacker with write access to the table would do it: by writing raw items with
the low-level client. Nothing of dynamorm_py is mocked; KMS failures come from wrappers around the real
local KMS client.
"""

from __future__ import annotations

import base64
import logging
import os
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dynamorm_py import (
    AwsError,
    DynamormPyError,
    EncryptionNotConfiguredError,
    FilterCondition,
    ModelDefinition,
    NotFoundError,
    Table,
    TransactPut,
    ValidationError,
    dynamorm_field,
    ensure_table,
)
from dynamorm_py._core.context import EXPLAIN_ENVELOPE
from dynamorm_py.encryption import DataKeyCache, decrypt_attribute_value
from dynamorm_py.errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_ENCRYPTION_NOT_CONFIGURED,
    ERR_INVALID_ENCRYPTED_ENVELOPE,
)
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB

TABLE = "enc_accounts"
SSN = "SSN-plaintext-078-05-1120"
OTHER_SSN = "SSN-plaintext-219-09-9999"
BALANCE = 7_340_912_655
CODES = {"code-alpha-5531", "code-bravo-8817"}
PLAINTEXTS: tuple[str, ...] = (SSN, OTHER_SSN, str(BALANCE), *CODES)


@dataclass
class Account:
    owner: str = dynamorm_field(roles=["pk"])
    account_id: str = dynamorm_field(name="accountId", roles=["sk"])
    name: str = ""
    ssn: str | None = dynamorm_field(encrypted=True, default=None)
    balance: int = dynamorm_field(name="bal", encrypted=True, default=0)
    codes: set[str] = dynamorm_field(encrypted=True, default_factory=set)


ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name=TABLE)
ENCRYPTED = ("ssn", "bal", "codes")


def account(account_id: str = "a1", *, ssn: str | None = SSN, **changes: Any) -> Account:
    values: dict[str, Any] = {"name": "Ada", "ssn": ssn, "balance": BALANCE, "codes": set(CODES)}
    values.update(changes)
    return Account(owner="ada", account_id=account_id, **values)


# --------------------------------------------------------------------------------------------------
# KMS wrappers around the real local client


class CountingKms:
    """Counts KMS calls and keeps the data keys KMS hands out (so the leak checks can look for them)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.data_keys: list[bytes] = []

    def generate_data_key(self, **params: Any) -> Any:
        self.calls["generate_data_key"] += 1
        response = self.inner.generate_data_key(**params)
        self.data_keys.append(response["Plaintext"])
        return response

    def decrypt(self, **params: Any) -> Any:
        self.calls["decrypt"] += 1
        response = self.inner.decrypt(**params)
        self.data_keys.append(response["Plaintext"])
        return response


class ThrottledKms:
    """The real KMS client, except that the named operations answer ThrottlingException like KMS does."""

    def __init__(self, inner: Any, *operations: str) -> None:
        self.inner = inner
        self.operations = set(operations)

    def _throttle(self, operation: str) -> None:
        if operation in self.operations:
            raise ClientError(
                {
                    "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "GenerateDataKey" if operation == "generate_data_key" else "Decrypt",
            )

    def generate_data_key(self, **params: Any) -> Any:
        self._throttle("generate_data_key")
        return self.inner.generate_data_key(**params)

    def decrypt(self, **params: Any) -> Any:
        self._throttle("decrypt")
        return self.inner.decrypt(**params)


@dataclass
class Setup:
    server: Server
    key_arn: str
    kms: CountingKms
    table: Table[Account]
    client: Any

    def make_table(self, kms: Any = None, **kwargs: Any) -> Table[Account]:
        kwargs.setdefault("kms_key_arn", self.key_arn)
        return Table(ACCOUNTS, client=self.client, kms_client=kms if kms is not None else self.kms, **kwargs)

    def raw(self, account_id: str = "a1") -> dict[str, Any]:
        response = self.client.get_item(
            TableName=TABLE, Key={"owner": {"S": "ada"}, "accountId": {"S": account_id}}
        )
        item: dict[str, Any] = response["Item"]
        return item

    def put_raw(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=TABLE, Item=item)


@pytest.fixture
def setup(dynamorm_local: Server) -> Setup:
    client = dynamorm_local.client("dynamodb")
    ensure_table(ACCOUNTS, client=client)
    key_arn = dynamorm_local.create_kms_key("enc-tests")
    kms = CountingKms(dynamorm_local.client("kms"))
    table = Table(ACCOUNTS, client=client, kms_key_arn=key_arn, kms_client=kms)
    return Setup(dynamorm_local, key_arn, kms, table, client)


def envelope_entries(stored: dict[str, Any]) -> dict[str, Any]:
    assert set(stored) == {"M"}
    entries: dict[str, Any] = stored["M"]
    return entries


def open_raw(setup: Setup, stored: dict[str, Any], attribute: str) -> dict[str, Any]:
    """Decrypt a stored envelope with the public helper (independent of the table's read path)."""
    entries = envelope_entries(stored)
    return decrypt_attribute_value(
        {
            "v": int(entries["v"]["N"]),
            "edk": entries["edk"]["B"],
            "nonce": entries["nonce"]["B"],
            "ct": entries["ct"]["B"],
        },
        attr_name=attribute,
        kms_key_arn=setup.key_arn,
        kms_client=setup.server.client("kms"),
    )


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def with_entry(stored: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {"M": {**envelope_entries(stored), key: value}}


def invalid_envelope(field: str) -> Callable[[BaseException], None]:
    def check(exc: BaseException) -> None:
        assert isinstance(exc, ValidationError)
        assert exc.code == ERR_INVALID_ENCRYPTED_ENVELOPE
        assert exc.field == field
        assert exc.operation == "get"
        assert exc.table == TABLE

    return check


# --------------------------------------------------------------------------------------------------
# What is stored


def test_every_encrypted_attribute_is_stored_as_a_v1_envelope_without_plaintext(setup: Setup) -> None:
    setup.table.put(account())

    raw = setup.raw()

    assert raw["name"] == {"S": "Ada"}
    for attribute in ENCRYPTED:
        entries = envelope_entries(raw[attribute])
        assert set(entries) == {"v", "edk", "nonce", "ct"}
        assert entries["v"] == {"N": "1"}
        assert set(entries["edk"]) == {"B"} and entries["edk"]["B"]
        assert set(entries["nonce"]) == {"B"} and len(entries["nonce"]["B"]) == 12
        assert set(entries["ct"]) == {"B"} and len(entries["ct"]["B"]) >= 16
    text = repr(raw)
    for plaintext in PLAINTEXTS:
        assert plaintext not in text
        assert base64.b64encode(plaintext.encode()).decode()[:12] not in text
        assert plaintext.encode().hex() not in text


def test_stored_envelopes_hold_the_av_json_payload_of_each_type(setup: Setup) -> None:
    setup.table.put(account())

    raw = setup.raw()

    assert open_raw(setup, raw["ssn"], "ssn") == {"S": SSN}
    assert open_raw(setup, raw["bal"], "bal") == {"N": str(BALANCE)}
    codes = open_raw(setup, raw["codes"], "codes")
    assert set(codes) == {"SS"} and set(codes["SS"]) == CODES


def test_every_value_gets_its_own_data_key_and_nonce_without_a_cache(setup: Setup) -> None:
    setup.table.put(account())

    raw = setup.raw()

    assert setup.kms.calls["generate_data_key"] == 3
    assert len({envelope_entries(raw[a])["edk"]["B"] for a in ENCRYPTED}) == 3
    assert len({envelope_entries(raw[a])["nonce"]["B"] for a in ENCRYPTED}) == 3


def test_none_is_not_written_so_no_envelope_of_null_is_produced(setup: Setup) -> None:
    setup.table.put(account(ssn=None))

    raw = setup.raw()

    assert "ssn" not in raw  # a top-level None is not written (WF §5.2, §3.5)
    assert setup.table.get("ada", "a1").ssn is None


def test_an_empty_set_is_written_as_an_encrypted_null_and_reads_back_as_an_empty_set(setup: Setup) -> None:
    setup.table.put(account(codes=set()))

    raw = setup.raw()

    assert open_raw(setup, raw["codes"], "codes") == {"NULL": True}
    loaded = setup.table.get("ada", "a1")
    assert loaded.codes == set() and isinstance(loaded.codes, set)


def test_update_encrypts_set_values_including_null_and_empty_sets(setup: Setup) -> None:
    setup.table.put(account())

    setup.table.update_builder("ada", "a1").set("ssn", None).set("codes", set()).execute()

    raw = setup.raw()
    assert "ssn" not in raw  # set(None) REMOVEs, as update does
    assert open_raw(setup, raw["codes"], "codes") == {"NULL": True}
    loaded = setup.table.get("ada", "a1")
    assert (loaded.ssn, loaded.codes) == (None, set())


def test_update_with_an_empty_set_writes_an_encrypted_null(setup: Setup) -> None:
    setup.table.put(account())

    updated = setup.table.update("ada", "a1", {"codes": set()})

    assert open_raw(setup, setup.raw()["codes"], "codes") == {"NULL": True}
    assert updated.codes == set()


def test_update_with_none_removes_the_encrypted_attribute(setup: Setup) -> None:
    setup.table.put(account())

    updated = setup.table.update("ada", "a1", {"ssn": None})

    assert "ssn" not in setup.raw()
    assert updated.ssn is None


def test_an_if_not_exists_default_of_an_encrypted_field_is_written_encrypted(setup: Setup) -> None:
    setup.table.put(account())
    setup.table.update("ada", "a1", {"ssn": None})

    setup.table.update_builder("ada", "a1").set_if_not_exists("ssn", None, OTHER_SSN).execute()

    assert open_raw(setup, setup.raw()["ssn"], "ssn") == {"S": OTHER_SSN}
    assert setup.table.get("ada", "a1").ssn == OTHER_SSN


# --------------------------------------------------------------------------------------------------
# Payloads written by the Go implementation


@dataclass
class Shared:
    owner: str = dynamorm_field(roles=["pk"])
    # Non-empty defaults: an empty value read back can only come from the decrypted payload.
    history: list[str] = dynamorm_field(encrypted=True, default_factory=lambda: ["default"])
    prefs: dict[str, str] = dynamorm_field(encrypted=True, default_factory=lambda: {"k": "default"})
    labels: set[str] = dynamorm_field(encrypted=True, default_factory=lambda: {"default"})


SHARED = ModelDefinition.from_dataclass(Shared, table_name="enc_shared")


def go_envelope(setup: Setup, payload: bytes, attribute: str) -> dict[str, Any]:
    """An envelope as the Go implementation seals it, built here from the spec alone (WF §3.1-3.3)."""
    data_key = setup.server.client("kms").generate_data_key(KeyId=setup.key_arn, KeySpec="AES_256")
    nonce = os.urandom(12)
    aad = f"dynamorm:encrypted:v1|attr={attribute}".encode()
    ct = AESGCM(data_key["Plaintext"]).encrypt(nonce, payload, aad)
    return {
        "M": {
            "v": {"N": "1"},
            "edk": {"B": data_key["CiphertextBlob"]},
            "nonce": {"B": nonce},
            "ct": {"B": ct},
        }
    }


def test_go_payloads_that_omit_empty_list_map_and_set_values_read_back_empty(setup: Setup) -> None:
    ensure_table(SHARED, client=setup.client)
    table = Table(SHARED, client=setup.client, kms_key_arn=setup.key_arn, kms_client=setup.kms)
    empty = {
        "owner": {"S": "go-empty"},
        "history": go_envelope(setup, b'{"t":"L"}', "history"),
        "prefs": go_envelope(setup, b'{"t":"M"}', "prefs"),
        "labels": go_envelope(setup, b'{"t":"SS"}', "labels"),
    }
    # Go also writes members in its own order and escapes HTML characters.
    escaped = {
        "owner": {"S": "go-escaped"},
        "history": go_envelope(setup, b'{"l":[{"s":"\\u003cb\\u003e \\u0026","t":"S"}],"t":"L"}', "history"),
        "prefs": go_envelope(setup, b'{"m":{"k":{"s":"v","t":"S"},"e":{"t":"S","s":""}},"t":"M"}', "prefs"),
    }
    for item in (empty, escaped):
        setup.client.put_item(TableName="enc_shared", Item=item)

    assert table.get("go-empty") == Shared(owner="go-empty", history=[], prefs={}, labels=set())
    assert table.get("go-escaped") == Shared(
        owner="go-escaped", history=["<b> &"], prefs={"k": "v", "e": ""}, labels={"default"}
    )
    assert table.query("go-empty").items == [table.get("go-empty")]


# --------------------------------------------------------------------------------------------------
# Every read path decrypts


def test_get_decrypts(setup: Setup) -> None:
    setup.table.put(account())

    assert setup.table.get("ada", "a1") == account()
    assert setup.kms.calls["decrypt"] == 3


def test_update_returns_the_decrypted_new_item_and_stores_an_envelope(setup: Setup) -> None:
    setup.table.put(account())

    updated = setup.table.update("ada", "a1", {"ssn": OTHER_SSN, "balance": 5})

    assert updated == account(ssn=OTHER_SSN, balance=5)
    assert open_raw(setup, setup.raw()["ssn"], "ssn") == {"S": OTHER_SSN}


def test_update_item_returns_the_decrypted_item(setup: Setup) -> None:
    setup.table.put(account())

    updated = setup.table.update_item(account(ssn=OTHER_SSN), ["ssn"])

    assert updated.ssn == OTHER_SSN
    assert updated.balance == BALANCE


@pytest.mark.parametrize("return_values", ["ALL_NEW", "ALL_OLD"])
def test_update_builder_return_values_are_decrypted(setup: Setup, return_values: str) -> None:
    setup.table.put(account())

    result = (
        setup.table.update_builder("ada", "a1")
        .set("ssn", OTHER_SSN)
        .set_if_not_exists("balance", None, 1)
        .return_values(return_values)
        .execute()
    )

    assert result == (account(ssn=OTHER_SSN) if return_values == "ALL_NEW" else account())
    assert open_raw(setup, setup.raw()["ssn"], "ssn") == {"S": OTHER_SSN}


def test_query_decrypts(setup: Setup) -> None:
    setup.table.put(account("a1"))
    setup.table.put(account("a2", ssn=OTHER_SSN))

    page = setup.table.query("ada")

    assert page.items == [account("a1"), account("a2", ssn=OTHER_SSN)]


def test_query_projecting_an_encrypted_field_decrypts_it(setup: Setup) -> None:
    setup.table.put(account("a1"))

    page = setup.table.query("ada", projection=["owner", "account_id", "ssn"])

    assert page.items == [Account(owner="ada", account_id="a1", ssn=SSN)]


def test_scan_decrypts(setup: Setup) -> None:
    setup.table.put(account("a1"))
    setup.table.put(account("a2", ssn=OTHER_SSN))

    page = setup.table.scan()

    assert sorted(page.items, key=lambda a: a.account_id) == [account("a1"), account("a2", ssn=OTHER_SSN)]


def test_batch_get_decrypts(setup: Setup) -> None:
    setup.table.put(account("a1"))
    setup.table.put(account("a2", ssn=OTHER_SSN))

    items = setup.table.batch_get([("ada", "a2"), ("ada", "a1")])

    assert items == [account("a2", ssn=OTHER_SSN), account("a1")]


def test_transact_get_decrypts(setup: Setup) -> None:
    setup.table.put(account("a1"))

    items = setup.table.transact_get([("ada", "a1"), ("ada", "missing")])

    assert items == [account("a1"), None]


def test_batch_write_encrypts(setup: Setup) -> None:
    setup.table.batch_write(puts=[account("a1"), account("a2", ssn=None)])

    assert open_raw(setup, setup.raw("a1")["ssn"], "ssn") == {"S": SSN}
    assert "ssn" not in setup.raw("a2")


def test_transact_write_encrypts(setup: Setup) -> None:
    setup.table.transact_write([TransactPut(account("a1"))])

    assert open_raw(setup, setup.raw("a1")["ssn"], "ssn") == {"S": SSN}


# --------------------------------------------------------------------------------------------------
# Envelopes are bound to their attribute; tampering fails


def test_swapping_envelopes_between_two_attributes_fails(setup: Setup) -> None:
    setup.table.put(account())
    raw = setup.raw()
    setup.put_raw({**raw, "ssn": raw["codes"], "codes": raw["ssn"]})

    with pytest.raises(ValidationError) as info:
        setup.table.get("ada", "a1")

    invalid_envelope("ssn")(info.value)


def test_copying_an_envelope_into_another_attribute_of_another_item_fails(setup: Setup) -> None:
    setup.table.put(account("a1"))
    setup.table.put(account("a2", ssn=OTHER_SSN))
    first, second = setup.raw("a1"), setup.raw("a2")
    setup.put_raw({**second, "bal": first["ssn"]})

    with pytest.raises(ValidationError) as info:
        setup.table.get("ada", "a2")

    assert info.value.code == ERR_INVALID_ENCRYPTED_ENVELOPE
    assert info.value.field == "bal"


def test_moving_an_envelope_to_the_same_attribute_of_another_item_is_not_detected_by_format_v1(
    setup: Setup,
) -> None:
    # The v1 AAD is the attribute name only (wire-format.md §3.2), so the item key is not bound: a writer
    # with table access can move a value between items under the same attribute. This test pins that
    # limitation so that a future format version that binds the key shows up as a deliberate change.
    setup.table.put(account("a1"))
    setup.table.put(account("a2", ssn=OTHER_SSN))
    first, second = setup.raw("a1"), setup.raw("a2")
    setup.put_raw({**second, "ssn": first["ssn"]})

    assert setup.table.get("ada", "a2").ssn == SSN


def sample_bits(data: bytes) -> list[int]:
    """One bit of every byte (a different bit position each time), plus every bit of the first and last."""
    bits = {index * 8 + index % 8 for index in range(len(data))}
    bits |= set(range(8)) | set(range(len(data) * 8 - 8, len(data) * 8))
    return sorted(bits)


@pytest.mark.parametrize("entry", ["ct", "nonce"])
def test_flipping_single_bits_of_ct_or_nonce_fails_authentication(setup: Setup, entry: str) -> None:
    setup.table.put(account())
    raw = setup.raw()
    original: bytes = envelope_entries(raw["ssn"])[entry]["B"]

    for bit in sample_bits(original):
        setup.put_raw({**raw, "ssn": with_entry(raw["ssn"], entry, {"B": flip_bit(original, bit)})})
        with pytest.raises(ValidationError) as info:
            setup.table.get("ada", "a1")
        invalid_envelope("ssn")(info.value)


def test_flipping_single_bits_of_the_edk_is_refused_by_kms_with_its_own_error_code(setup: Setup) -> None:
    setup.table.put(account())
    raw = setup.raw()
    original: bytes = envelope_entries(raw["ssn"])["edk"]["B"]
    kms = setup.server.client("kms")
    seen: set[str] = set()

    for bit in sample_bits(original):
        flipped = flip_bit(original, bit)
        with pytest.raises(ClientError) as direct:
            kms.decrypt(CiphertextBlob=flipped, KeyId=setup.key_arn)
        kms_code = direct.value.response["Error"]["Code"]
        setup.put_raw({**raw, "ssn": with_entry(raw["ssn"], "edk", {"B": flipped})})

        with pytest.raises(AwsError) as info:
            setup.table.get("ada", "a1")

        assert info.value.code == info.value.aws_code == kms_code
        assert (info.value.operation, info.value.table, info.value.field) == ("get", TABLE, "ssn")
        assert isinstance(info.value.__cause__, ClientError)
        seen.add(kms_code)
    assert seen <= {"InvalidCiphertextException", "AccessDeniedException", "NotFoundException"}
    assert "InvalidCiphertextException" in seen


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("ct truncated to 15 bytes", lambda e: {**e, "ct": {"B": e["ct"]["B"][:15]}}),
        ("ct truncated by one byte", lambda e: {**e, "ct": {"B": e["ct"]["B"][:-1]}}),
        ("ct extended by one byte", lambda e: {**e, "ct": {"B": e["ct"]["B"] + b"\x00"}}),
        ("nonce truncated", lambda e: {**e, "nonce": {"B": e["nonce"]["B"][:11]}}),
        ("ct missing", lambda e: {k: v for k, v in e.items() if k != "ct"}),
        ("nonce missing", lambda e: {k: v for k, v in e.items() if k != "nonce"}),
        ("edk missing", lambda e: {k: v for k, v in e.items() if k != "edk"}),
        ("v missing", lambda e: {k: v for k, v in e.items() if k != "v"}),
        ("v is 2", lambda e: {**e, "v": {"N": "2"}}),
        ("v is a string", lambda e: {**e, "v": {"S": "1"}}),
        ("extra entry", lambda e: {**e, "aad": {"S": "x"}}),
        ("ct as a string", lambda e: {**e, "ct": {"S": "x"}}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_truncated_or_extended_envelopes_fail(
    setup: Setup, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    setup.table.put(account())
    raw = setup.raw()
    setup.put_raw({**raw, "ssn": {"M": change(envelope_entries(raw["ssn"]))}})

    with pytest.raises(ValidationError) as info:
        setup.table.get("ada", "a1")

    invalid_envelope("ssn")(info.value)


@pytest.mark.parametrize("stored", [{"S": SSN}, {"NULL": True}, {"L": []}], ids=["S", "NULL", "L"])
def test_a_value_that_is_not_an_envelope_is_rejected_never_returned(
    setup: Setup, stored: dict[str, Any]
) -> None:
    setup.table.put(account())
    setup.put_raw({**setup.raw(), "ssn": stored})

    with pytest.raises(ValidationError) as info:
        setup.table.get("ada", "a1")

    invalid_envelope("ssn")(info.value)


def test_an_envelope_under_another_kms_key_is_refused(setup: Setup) -> None:
    other_key = setup.server.create_kms_key("other")
    other_table = setup.make_table(kms_key_arn=other_key)
    other_table.put(account("a9"))
    setup.put_raw({**setup.raw("a9"), "accountId": {"S": "a1"}})

    with pytest.raises(AwsError) as info:
        setup.table.get("ada", "a1")

    # Real KMS refuses the blob of another key when KeyId is given (IncorrectKeyException); moto answers
    # AccessDeniedException. Either way it is KMS's own code, and the value is never returned.
    assert info.value.code in ("IncorrectKeyException", "AccessDeniedException")
    assert info.value.field == "ssn"


# --------------------------------------------------------------------------------------------------
# KMS failures


def test_kms_throttling_on_put_surfaces_as_aws_error_and_writes_nothing(setup: Setup) -> None:
    table = setup.make_table(ThrottledKms(setup.server.client("kms"), "generate_data_key"))

    with pytest.raises(AwsError) as info:
        table.put(account())

    assert info.value.code == info.value.aws_code == "ThrottlingException"
    assert (info.value.operation, info.value.table, info.value.field) == ("put", TABLE, "ssn")
    assert isinstance(info.value.__cause__, ClientError)
    with pytest.raises(NotFoundError):
        setup.table.get("ada", "a1")


def test_kms_throttling_on_get_surfaces_as_aws_error(setup: Setup) -> None:
    setup.table.put(account())
    table = setup.make_table(ThrottledKms(setup.server.client("kms"), "decrypt"))

    with pytest.raises(AwsError) as info:
        table.get("ada", "a1")

    assert info.value.code == "ThrottlingException"
    assert (info.value.operation, info.value.field) == ("get", "ssn")


def test_kms_throttling_on_update_surfaces_as_aws_error(setup: Setup) -> None:
    setup.table.put(account())
    table = setup.make_table(ThrottledKms(setup.server.client("kms"), "generate_data_key"))

    with pytest.raises(AwsError) as info:
        table.update("ada", "a1", {"ssn": OTHER_SSN})

    assert info.value.code == "ThrottlingException"
    assert info.value.operation == "update"
    assert setup.table.get("ada", "a1").ssn == SSN


# --------------------------------------------------------------------------------------------------
# Fail closed; never queryable


@pytest.mark.parametrize("key_arn", [None, "", "  "])
def test_table_without_a_kms_key_cannot_be_constructed(setup: Setup, key_arn: str | None) -> None:
    with pytest.raises(EncryptionNotConfiguredError) as info:
        Table(ACCOUNTS, client=setup.client, kms_key_arn=key_arn, kms_client=setup.kms)

    assert info.value.code == ERR_ENCRYPTION_NOT_CONFIGURED
    assert info.value.table == TABLE
    assert setup.kms.calls == Counter()


def test_kms_client_defaults_to_boto3_kms_client(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    # boto3.client("kms") picks the endpoint from AWS_ENDPOINT_URL_KMS: the default client reaches the same
    # local KMS, which proves the table built it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", setup.server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", setup.server.region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    table = Table(ACCOUNTS, client=setup.client, kms_key_arn=setup.key_arn)

    table.put(account())

    assert table.get("ada", "a1") == account()
    assert setup.kms.calls == Counter()


def test_encrypted_fields_are_rejected_in_builder_conditions_add_delete_and_list_ops(setup: Setup) -> None:
    setup.table.put(account())
    attempts: list[Callable[[], Any]] = [
        lambda: setup.table.update_builder("ada", "a1").condition("ssn", "=", SSN),
        lambda: setup.table.update_builder("ada", "a1").or_condition("balance", ">", 1),
        lambda: setup.table.update_builder("ada", "a1").add("balance", 1),
        lambda: setup.table.update_builder("ada", "a1").increment("balance"),
        lambda: setup.table.update_builder("ada", "a1").add("codes", {"x"}),
        lambda: setup.table.update_builder("ada", "a1").delete("codes", {"x"}),
        lambda: setup.table.update_builder("ada", "a1").append_to_list("codes", ["x"]),
        lambda: setup.table.update_builder("ada", "a1").remove_from_list_at("codes", 0),
    ]

    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == ERR_ENCRYPTED_FIELD_NOT_QUERYABLE
        assert SSN not in str(info.value)
    assert setup.table.get("ada", "a1") == account()


def test_encrypted_fields_are_rejected_in_filters(setup: Setup) -> None:
    with pytest.raises(ValidationError) as info:
        setup.table.scan(filter=FilterCondition.eq("ssn", SSN))

    assert info.value.code == ERR_ENCRYPTED_FIELD_NOT_QUERYABLE


def test_encrypted_fields_are_rejected_in_query_filters(setup: Setup) -> None:
    with pytest.raises(ValidationError) as info:
        setup.table.query("ada", filter=FilterCondition.eq("balance", 1))

    assert info.value.code == ERR_ENCRYPTED_FIELD_NOT_QUERYABLE


# --------------------------------------------------------------------------------------------------
# explain


def test_explain_renders_envelope_placeholders_and_lists_encrypted_attributes(setup: Setup) -> None:
    put = setup.table.explain.put(account())
    update = setup.table.explain.update("ada", "a1", {"balance": 3, "name": "Bo", "ssn": OTHER_SSN})
    builder = setup.table.update_builder("ada", "a1").set("codes", {"c"}).set("name", "x").explain()

    assert put.params["Item"]["name"] == {"S": "Ada"}
    assert [put.params["Item"][a] for a in ENCRYPTED] == [EXPLAIN_ENVELOPE] * 3
    assert put.encrypted_attributes == ENCRYPTED
    values = update.params["ExpressionAttributeValues"]
    assert sum(1 for v in values.values() if v == EXPLAIN_ENVELOPE) == 2
    assert update.encrypted_attributes == ("bal", "ssn")
    assert EXPLAIN_ENVELOPE in builder.params["ExpressionAttributeValues"].values()
    assert builder.encrypted_attributes == ("codes",)
    assert setup.kms.calls == Counter()
    for request in (put, update, builder):
        for plaintext in PLAINTEXTS:
            assert plaintext not in repr(request.params)
            assert plaintext not in request.to_cli_json()


def test_explain_of_batch_and_transaction_writes_lists_encrypted_attributes(setup: Setup) -> None:
    batch = setup.table.explain.batch_write(puts=[account("a1")])
    transaction = setup.table.explain.transact_write([TransactPut(account("a1"))])

    put_request = batch[0].params["RequestItems"][TABLE][0]["PutRequest"]["Item"]
    assert [put_request[a] for a in ENCRYPTED] == [EXPLAIN_ENVELOPE] * 3
    assert batch[0].encrypted_attributes == ENCRYPTED
    assert transaction.encrypted_attributes == ENCRYPTED
    assert setup.kms.calls == Counter()


def test_explain_envelopes_are_fresh_copies(setup: Setup) -> None:
    first = setup.table.explain.put(account())
    first.params["Item"]["ssn"]["M"]["ct"]["B"] = b"edited"

    second = setup.table.explain.put(account())

    assert second.params["Item"]["ssn"] == EXPLAIN_ENVELOPE
    assert EXPLAIN_ENVELOPE["M"]["ct"] == {"B": b""}


# --------------------------------------------------------------------------------------------------
# The opt-in data-key cache


def test_data_key_cache_cuts_kms_calls_and_keeps_the_stored_format(setup: Setup) -> None:
    uncached_kms = CountingKms(setup.server.client("kms"))
    cached_kms = CountingKms(setup.server.client("kms"))
    uncached = setup.make_table(uncached_kms)
    cached = setup.make_table(cached_kms, data_key_cache=DataKeyCache(max_keys=10, max_age_seconds=60))
    items = 5

    for index in range(items):
        uncached.put(account(f"u{index}"))
        assert uncached.get("ada", f"u{index}") == account(f"u{index}")
        cached.put(account(f"c{index}"))
        assert cached.get("ada", f"c{index}") == account(f"c{index}")

    assert uncached_kms.calls == Counter(generate_data_key=3 * items, decrypt=3 * items)
    assert cached_kms.calls == Counter(generate_data_key=1)
    raw = setup.raw("c3")
    entries = [envelope_entries(raw[a]) for a in ENCRYPTED]
    assert all(set(e) == {"v", "edk", "nonce", "ct"} for e in entries)
    assert len({e["edk"]["B"] for e in entries}) == 1  # one cached data key ...
    assert len({e["nonce"]["B"] for e in entries}) == 3  # ... but a fresh nonce per value
    # A reader without the cache opens what the cached writer stored: the format did not change.
    assert uncached.get("ada", "c3") == account("c3")


def test_data_key_cache_is_off_by_default(setup: Setup) -> None:
    for _ in range(2):
        setup.table.put(account())
        setup.table.get("ada", "a1")

    assert setup.kms.calls == Counter(generate_data_key=6, decrypt=6)


# --------------------------------------------------------------------------------------------------
# Secrecy: errors, reprs, logs and output


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    # Everything dynamorm_py logs, at every level. Other libraries at INFO and above: botocore's own DEBUG
    # output dumps request and response bodies (KMS data keys included) and is the caller's choice to enable.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="dynamorm_py")
    yield caplog


def secret_forms(secret: bytes | str) -> set[str]:
    data = secret.encode() if isinstance(secret, str) else secret
    b64 = base64.b64encode(data).decode()
    forms = {repr(data)[2:-1], data.hex(), b64, b64.rstrip("="), base64.urlsafe_b64encode(data).decode()}
    if isinstance(secret, str):
        forms.add(secret)
    return {form for form in forms if len(form) >= 8}


def exception_texts(exc: BaseException) -> list[str]:
    texts: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        texts += traceback.format_exception_only(type(current), current)
        current = current.__cause__ or current.__context__
    return texts


def test_no_error_repr_log_or_output_contains_plaintext_ciphertext_or_key_material(
    setup: Setup, captured_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = DataKeyCache()
    table = setup.make_table(data_key_cache=cache)
    table.put(account("a1"))
    table.put(account("a2", ssn=OTHER_SSN))
    first, second = setup.raw("a1"), setup.raw("a2")
    ct = envelope_entries(first["ssn"])["ct"]["B"]
    edk = envelope_entries(first["ssn"])["edk"]["B"]
    throttled = setup.make_table(ThrottledKms(setup.server.client("kms"), "decrypt", "generate_data_key"))

    def tampered(**attributes: Any) -> Callable[[], Any]:
        def run() -> Any:
            setup.put_raw({**first, **attributes})
            return setup.table.get("ada", "a1")

        return run

    failing: list[Callable[[], Any]] = [
        tampered(ssn=first["codes"]),
        tampered(bal=second["ssn"]),
        tampered(ssn=with_entry(first["ssn"], "ct", {"B": flip_bit(ct, 9)})),
        tampered(ssn=with_entry(first["ssn"], "edk", {"B": flip_bit(edk, 700)})),
        tampered(ssn=with_entry(first["ssn"], "ct", {"B": ct[:15]})),
        tampered(ssn={"M": {**envelope_entries(first["ssn"]), "x": {"S": SSN}}}),
        tampered(ssn={"S": SSN}),
        lambda: throttled.put(account("a3")),
        lambda: throttled.get("ada", "a2"),
        lambda: Table(ACCOUNTS, client=setup.client),
        lambda: setup.table.update_builder("ada", "a1").condition("ssn", "=", SSN),
        lambda: setup.table.update_builder("ada", "a1").add("balance", BALANCE),
    ]
    errors: list[BaseException] = []
    for call in failing:
        with pytest.raises(DynamormPyError) as info:
            call()
        errors.append(info.value)
        logging.getLogger("dynamorm_py").error("operation failed: %s", info.value)
        logging.getLogger("dynamorm_py").debug("detail: %r", info.value)
        print(info.value, repr(info.value))
    print(repr(table), repr(cache), repr(setup.table))

    secrets: list[bytes | str] = [*PLAINTEXTS, *setup.kms.data_keys]
    for item in (first, second):
        for attribute in ENCRYPTED:
            entries = envelope_entries(item[attribute])
            secrets += [entries["ct"]["B"], entries["edk"]["B"]]
    captured = capsys.readouterr()
    texts = [captured.out, captured.err, captured_logs.text]
    for error in errors:
        texts += exception_texts(error)
    leaked = [form for secret in secrets for form in secret_forms(secret) if any(form in t for t in texts)]
    assert leaked == []
    assert len(errors) == len(failing)
    assert captured.out.count("ErrInvalidEncryptedEnvelope") >= 6
