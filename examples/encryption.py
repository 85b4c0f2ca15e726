"""Encrypted fields: KMS envelopes written and read for you, what is stored, and the opt-in data-key cache.

A field declared with ``dynamorm_field(encrypted=True)`` is stored as an envelope (an ``M`` of ``v``, ``edk``,
``nonce`` and ``ct``) that the Go and TypeScript implementations read and write too. The table holds no
plaintext; reading it back needs ``kms:Decrypt`` on the key.

Runs against ``DYNAMODB_ENDPOINT`` when it is set (the endpoint must also serve KMS, as ``dynamorm local``
does), otherwise starts the embedded local DynamoDB, which serves KMS too, for the length of the script.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from dynamorm_py import (
    EncryptionNotConfiguredError,
    ModelDefinition,
    Table,
    ValidationError,
    delete_table,
    dynamorm_field,
    ensure_table,
)
from dynamorm_py.encryption import DataKeyCache
from dynamorm_py.local import LocalDynamoDB, dynamodb_from_environment


@dataclass
class Patient:
    clinic: str = dynamorm_field(roles=["pk"])
    patient_id: int = dynamorm_field(roles=["sk"])
    name: str = ""  # not secret: stays plaintext, so it can be filtered and indexed
    diagnosis: str | None = dynamorm_field(encrypted=True, default=None)
    allergies: set[str] = dynamorm_field(encrypted=True, default_factory=set)


PATIENTS = ModelDefinition.from_dataclass(Patient, table_name="example_patients")


def count_kms_calls(kms: Any) -> Counter[str]:
    """Count the KMS operations a client sends (a botocore event hook; the client itself is untouched)."""
    calls: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    kms.meta.events.register("before-call.kms", record)
    return calls


def main() -> None:
    with dynamodb_from_environment() as server:
        if isinstance(server, LocalDynamoDB):
            print(f"started the embedded local DynamoDB at {server.endpoint_url}")
        dynamodb = server.client("dynamodb")
        ensure_table(PATIENTS, client=dynamodb)
        try:
            run(server, dynamodb)
        finally:
            delete_table(PATIENTS, client=dynamodb, ignore_missing=True)


def run(server: Any, dynamodb: Any) -> None:
    # In AWS this is your key's ARN; the function's role needs kms:GenerateDataKey to write and
    # kms:Decrypt to read.
    key_arn = server.create_kms_key("patients")

    # Fail closed: a model with encrypted fields and no key is refused before anything is written.
    try:
        Table(PATIENTS, client=dynamodb)
    except EncryptionNotConfiguredError as err:
        print(f"no key   -> {type(err).__name__} ({err.code})")

    kms = server.client("kms")
    plain_calls = count_kms_calls(kms)
    patients = Table(PATIENTS, client=dynamodb, kms_key_arn=key_arn, kms_client=kms)
    patients.put(Patient(clinic="c1", patient_id=7, name="Ada", diagnosis="J45.909", allergies={"latex"}))
    loaded = patients.get("c1", 7)
    print(f"get      -> diagnosis={loaded.diagnosis!r} allergies={sorted(loaded.allergies)}")

    # What the table holds: an envelope per encrypted field, no plaintext anywhere in the item.
    key = {"clinic": {"S": "c1"}, "patient_id": {"N": "7"}}
    stored = dynamodb.get_item(TableName=PATIENTS.table_name, Key=key)["Item"]
    envelope = stored["diagnosis"]["M"]
    print(
        f"stored   -> diagnosis is an M of {sorted(envelope)}: v={envelope['v']['N']}, "
        f"nonce {len(envelope['nonce']['B'])} bytes, ct {len(envelope['ct']['B'])} bytes"
    )
    print(f"plain    -> 'J45.909' in the stored item: {'J45.909' in repr(stored)}")

    # The envelope is bound to its attribute: copied into another encrypted attribute, it does not open.
    moved = {**stored, "allergies": stored["diagnosis"]}
    dynamodb.put_item(TableName=PATIENTS.table_name, Item=moved)
    try:
        patients.get("c1", 7)
    except ValidationError as err:
        print(f"moved    -> {type(err).__name__} ({err.code})")

    # Encrypted fields cannot be compared by DynamoDB, so conditions and filters on them are refused.
    try:
        patients.update_builder("c1", 7).condition("diagnosis", "=", "J45.909")
    except ValidationError as err:
        print(f"query    -> {type(err).__name__} ({err.code})")

    # Without a cache, every value written costs a GenerateDataKey and every value read a Decrypt.
    plain_calls.clear()
    write_and_read(patients, first_id=100)
    print(f"no cache -> {describe(plain_calls)} for 5 puts and 5 gets")

    # The opt-in cache reuses one data key per KMS key for up to max_age_seconds (a fresh nonce per value).
    cached_kms = server.client("kms")
    cached_calls = count_kms_calls(cached_kms)
    cached = Table(
        PATIENTS,
        client=dynamodb,
        kms_key_arn=key_arn,
        kms_client=cached_kms,
        data_key_cache=DataKeyCache(max_keys=100, max_age_seconds=300),
    )
    write_and_read(cached, first_id=200)
    print(f"cache    -> {describe(cached_calls)} for 5 puts and 5 gets")

    # The stored format is the same, so a reader without the cache (in any language) reads it.
    assert patients.get("c1", 204).diagnosis == "code-204"
    print("reader   -> a table without the cache reads what the cached table wrote")


def write_and_read(table: Table[Patient], *, first_id: int) -> None:
    for patient_id in range(first_id, first_id + 5):
        table.put(Patient(clinic="c1", patient_id=patient_id, diagnosis=f"code-{patient_id}"))
        assert table.get("c1", patient_id).diagnosis == f"code-{patient_id}"


def describe(calls: Counter[str]) -> str:
    return f"{calls['GenerateDataKey']} GenerateDataKey, {calls['Decrypt']} Decrypt"


if __name__ == "__main__":
    main()
