"""Field encryption cost: put+get of an item with two encrypted fields through the embedded server's KMS.

Three variants against the embedded server (moto, in a child process, so the CPU time measured here is the
client's only), each doing ``put`` then ``get`` of ``--items`` items, run ``--repeat`` times interleaved
(best run reported):

* plain: the same model without ``encrypted=True`` (the baseline);
* encrypted: one KMS GenerateDataKey per encrypted value written and one Decrypt per value read (the
  wire-format default);
* encrypted + cache: the opt-in ``DataKeyCache`` (data keys reused for up to its max age; the stored format
  does not change).

KMS calls are counted with a wrapper around the real KMS client over every run, the cold warm-up run
included. Prints KMS calls per item, CPU and wall time per item and the ratios to the plain variant;
asserts nothing.

    .venv/bin/python bench/encryption.py [--items 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _support import Sample, embedded_server, make_client, measure

from dynamorm_py import ModelDefinition, Table, dynamorm_field
from dynamorm_py.encryption import DataKeyCache
from dynamorm_py.schema import ensure_table


@dataclass
class Patient:
    clinic: str = dynamorm_field(roles=["pk"])
    patient_id: int = dynamorm_field(roles=["sk"])
    name: str = ""
    diagnosis: str = dynamorm_field(encrypted=True, default="")
    insurance: dict[str, str] = dynamorm_field(encrypted=True, default_factory=dict)


@dataclass
class PlainPatient:
    clinic: str = dynamorm_field(roles=["pk"])
    patient_id: int = dynamorm_field(roles=["sk"])
    name: str = ""
    diagnosis: str = ""
    insurance: dict[str, str] = dynamorm_field(default_factory=dict)


ENCRYPTED = ModelDefinition.from_dataclass(Patient, table_name="bench_encrypted")
PLAIN = ModelDefinition.from_dataclass(PlainPatient, table_name="bench_plain")


class CountingKms:
    """The real KMS client, counting calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def generate_data_key(self, **params: Any) -> Any:
        self.calls["GenerateDataKey"] += 1
        return self.inner.generate_data_key(**params)

    def decrypt(self, **params: Any) -> Any:
        self.calls["Decrypt"] += 1
        return self.inner.decrypt(**params)


def put_and_get(table: Table[Any], make: Callable[[int], Any], items: int) -> Callable[[], None]:
    def run() -> None:
        for index in range(items):
            table.put(make(index))
            table.get("clinic-7", index)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    items: int = args.items

    def patient(index: int) -> Patient:
        return Patient(
            "clinic-7", index, f"name-{index}", "J45.909 asthma", {"plan": "gold", "no": f"{index:08d}"}
        )

    def plain_patient(index: int) -> PlainPatient:
        return PlainPatient(
            "clinic-7", index, f"name-{index}", "J45.909 asthma", {"plan": "gold", "no": f"{index:08d}"}
        )

    with embedded_server() as endpoint:
        dynamodb = make_client("dynamodb", endpoint)
        kms = make_client("kms", endpoint)
        key_arn = kms.create_key(Description="bench")["KeyMetadata"]["Arn"]
        for model in (ENCRYPTED, PLAIN):
            ensure_table(model, client=dynamodb)
        counters = {"encrypted": CountingKms(kms), "encrypted + cache": CountingKms(kms)}
        tables: dict[str, tuple[Table[Any], Callable[[int], Any]]] = {
            "plain": (Table(PLAIN, client=dynamodb), plain_patient),
            "encrypted": (
                Table(ENCRYPTED, client=dynamodb, kms_key_arn=key_arn, kms_client=counters["encrypted"]),
                patient,
            ),
            "encrypted + cache": (
                Table(
                    ENCRYPTED,
                    client=dynamodb,
                    kms_key_arn=key_arn,
                    kms_client=counters["encrypted + cache"],
                    data_key_cache=DataKeyCache(max_keys=100, max_age_seconds=300),
                ),
                patient,
            ),
        }
        variants = {name: put_and_get(table, make, items) for name, (table, make) in tables.items()}
        for run in variants.values():  # warm-up (botocore model loading, connections); its KMS calls count
            run()
        runs: dict[str, list[Sample]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, run in variants.items():
                runs[name].append(measure(run))

    print(
        f"put+get of {items} items with two encrypted fields, best of {args.repeat} ({os.cpu_count()} CPUs)"
    )
    print("embedded server (moto) in a child process: CPU is this process's only\n")
    base = Sample(min(s.wall for s in runs["plain"]), min(s.cpu for s in runs["plain"]))
    header = f"  {'variant':<20}{'GenerateDataKey':>16}{'Decrypt':>9}{'CPU us/item':>13}{'CPU x':>8}"
    print(header + f"{'wall us/item':>14}{'wall x':>8}")
    print(f"  {'':<20}{'per item':>16}{'per item':>9}")
    for name, samples in runs.items():
        cpu = min(s.cpu for s in samples)
        wall = min(s.wall for s in samples)
        calls = counters[name].calls if name in counters else Counter()
        done = items * (args.repeat + 1)  # KMS calls of the warm-up run included
        print(
            f"  {name:<20}{calls['GenerateDataKey'] / done:>16.4f}{calls['Decrypt'] / done:>9.4f}"
            f"{cpu / items * 1e6:>13.1f}{cpu / base.cpu:>8.2f}"
            f"{wall / items * 1e6:>14.1f}{wall / base.wall:>8.2f}"
        )


if __name__ == "__main__":
    main()
