"""Batches and transactions against the embedded server, through a client that drops and throttles work.

``FaultyClient`` wraps a real client of the server: for every batch it holds back a random part of the
requests (sent back as UnprocessedItems / UnprocessedKeys, never sent to the server) and, at random, raises
ProvisionedThroughputExceededException before sending anything. What reached the server is therefore
exactly what the server holds, and the tests compare the library's leftovers with a scan of the table.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynamorm_py import (
    BatchRetryExceededError,
    ConditionFailedError,
    ModelDefinition,
    Table,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
)

pytestmark = pytest.mark.integration


@dataclass
class Entry:
    account: str = dynamorm_field(roles=["pk"])
    seq: int = dynamorm_field(roles=["sk"])
    amount: int = 0
    memo: str = ""
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(name="updatedAt", roles=["updated_at"], default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)


@dataclass
class Vault:
    id: str = dynamorm_field(roles=["pk"])
    secret: str = dynamorm_field(encrypted=True, default="")


ENTRIES = ModelDefinition.from_dataclass(Entry, table_name="ledger_entries")
VAULTS = ModelDefinition.from_dataclass(Vault, table_name="vaults")

Key = tuple[str, int]


class FaultyClient:
    """A real DynamoDB client that randomly leaves part of each batch unprocessed and randomly throttles.

    Held-back requests never reach the server. Every other call passes through unchanged. Thread-safe.
    """

    def __init__(self, client: Any, *, seed: int, unprocessed_rate: float, throttle_rate: float) -> None:
        self._client = client
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.unprocessed_rate = unprocessed_rate
        self.throttle_rate = throttle_rate
        self.held_back = 0
        self.throttled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    def _maybe_throttle(self, operation: str) -> None:
        if self._draw() < self.throttle_rate:
            with self._lock:
                self.throttled += 1
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected fault"}
            raise ClientError({"Error": error}, operation)

    def _split(self, requests: list[Any]) -> tuple[list[Any], list[Any]]:
        sent: list[Any] = []
        held: list[Any] = []
        for request in requests:
            (held if self._draw() < self.unprocessed_rate else sent).append(request)
        with self._lock:
            self.held_back += len(held)
        return sent, held

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        self._maybe_throttle("BatchWriteItem")
        ((table, requests),) = params["RequestItems"].items()
        sent, held = self._split(requests)
        response: dict[str, Any] = {"UnprocessedItems": {}}
        if sent:
            response = self._client.batch_write_item(**{**params, "RequestItems": {table: sent}})
        left = [*response.get("UnprocessedItems", {}).get(table, []), *held]
        return {**response, "UnprocessedItems": {table: left} if left else {}}

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        self._maybe_throttle("BatchGetItem")
        ((table, spec),) = params["RequestItems"].items()
        sent, held = self._split(spec["Keys"])
        response: dict[str, Any] = {"Responses": {table: []}, "UnprocessedKeys": {}}
        if sent:
            response = self._client.batch_get_item(RequestItems={table: {**spec, "Keys": sent}})
        left = [*response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []), *held]
        unprocessed = {table: {**spec, "Keys": left}} if left else {}
        return {**response, "UnprocessedKeys": unprocessed}


class AtomicRequests:
    """A real client whose requests reach the server one at a time.

    DynamoDB applies each request atomically. moto does not when requests arrive concurrently: its
    TransactWriteItems deep-copies the whole table to roll back a cancelled transaction, so a concurrent
    successful write can be undone, and an update of one item can interleave with another. Serializing
    requests gives the server DynamoDB's per-request atomicity; the race under test (read, then conditional
    write, across threads) is untouched.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        return call


def stored_keys(client: Any, table_name: str) -> set[Key]:
    keys: set[Key] = set()
    for page in client.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        for item in page["Items"]:
            keys.add((item["account"]["S"], int(item["seq"]["N"])))
    return keys


def stored_entries(table: Table[Entry]) -> dict[Key, Entry]:
    entries: dict[Key, Entry] = {}
    paginator = table.client.get_paginator("scan")
    for page in paginator.paginate(TableName=table.table_name, ConsistentRead=True):
        for item in page["Items"]:
            entry = ENTRIES.codec.decode_item(item)
            entries[(entry.account, entry.seq)] = entry
    return entries


def entries(n: int, *, account_count: int = 50, start: int = 0) -> list[Entry]:
    return [
        Entry(f"acct-{i % account_count}", i, amount=i * 3, memo=f"memo {i}") for i in range(start, start + n)
    ]


def same_objects(actual: tuple[Any, ...], expected: list[Any]) -> bool:
    return len(actual) == len(expected) and all(a is e for a, e in zip(actual, expected, strict=True))


# --- batches through faults ---------------------------------------------------------------------------------


def test_ten_thousand_puts_then_gets_through_faults_lose_nothing(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(ENTRIES)
    faulty = FaultyClient(table.client, seed=20260102, unprocessed_rate=0.2, throttle_rate=0.1)
    flaky = Table(ENTRIES, client=faulty)
    puts = entries(10_000)

    flaky.batch_write(puts=puts, max_retries=40, sleep=None)

    held_back = faulty.held_back
    assert held_back > 1000 and faulty.throttled > 20  # the faults did happen
    in_table = stored_entries(table)
    assert len(in_table) == 10_000
    for entry in puts:
        got = in_table[(entry.account, entry.seq)]
        assert (got.amount, got.memo, got.version) == (entry.amount, entry.memo, 0)
        assert got.created_at is not None and got.created_at == got.updated_at
    assert len({e.created_at for e in in_table.values()}) == 1  # one *now* for the whole call

    keys = [(e.account, e.seq) for e in reversed(puts)]
    read = flaky.batch_get(keys, max_retries=40, sleep=None)

    assert faulty.held_back > held_back
    assert [(e.account, e.seq) for e in read] == keys
    assert read == [in_table[k] for k in keys]


@pytest.mark.parametrize("max_workers", [None, 4])
def test_when_retries_run_out_unprocessed_is_exactly_what_the_table_lacks(
    dynamorm_local: Any, max_workers: int | None
) -> None:
    table = dynamorm_local.table(ENTRIES)
    deletes: list[Key] = [("old", i) for i in range(80)]
    table.batch_write(puts=[Entry(account, seq) for account, seq in deletes])
    faulty = FaultyClient(table.client, seed=7, unprocessed_rate=0.15, throttle_rate=0.1)
    flaky = Table(ENTRIES, client=faulty)
    puts = entries(600)

    with pytest.raises(BatchRetryExceededError) as caught:
        flaky.batch_write(puts=puts, deletes=deletes, max_retries=1, sleep=None, max_workers=max_workers)

    error = caught.value
    in_table = stored_keys(table.client, table.table_name)
    not_written = [p for p in puts if (p.account, p.seq) not in in_table]
    not_deleted = [d for d in deletes if d in in_table]
    assert same_objects(error.unprocessed_puts, not_written)
    assert same_objects(error.unprocessed_deletes, not_deleted)
    assert same_objects(error.unprocessed, [*not_written, *not_deleted])
    assert error.unprocessed_count == len(not_written) + len(not_deleted)
    assert 0 < error.unprocessed_count < len(puts) + len(deletes)


def test_batch_get_leftovers_and_results_partition_the_keys(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(ENTRIES)
    puts = entries(500)
    table.batch_write(puts=puts)
    faulty = FaultyClient(table.client, seed=11, unprocessed_rate=0.03, throttle_rate=0.05)
    keys = [(e.account, e.seq) for e in puts] + [("nobody", i) for i in range(20)]

    with pytest.raises(BatchRetryExceededError) as caught:
        Table(ENTRIES, client=faulty).batch_get(keys, max_retries=0, sleep=None)

    error = caught.value
    read = [(e.account, e.seq) for e in error.results]
    left = list(error.unprocessed_keys)
    assert read == [k for k in keys if k in set(read)]  # key order
    assert set(read).isdisjoint(left)
    assert set(read) | set(left) | {k for k in keys if k[0] == "nobody"} == set(keys)
    assert left == [k for k in keys if k in set(left)]
    assert error.unprocessed == error.unprocessed_keys


def test_concurrent_batch_write_loses_nothing(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(ENTRIES)
    puts = entries(2000)

    table.batch_write(puts=puts, max_workers=4)

    assert stored_keys(table.client, table.table_name) == {(e.account, e.seq) for e in puts}


def test_encrypted_items_round_trip_through_batches_and_transact_get(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(VAULTS)
    vaults = [Vault(f"v{i}", f"secret {i}") for i in range(30)]

    table.batch_write(puts=vaults)
    raw = table.client.get_item(TableName="vaults", Key={"id": {"S": "v3"}})["Item"]

    assert set(raw["secret"]["M"]) == {"v", "edk", "nonce", "ct"}
    assert table.batch_get([f"v{i}" for i in range(29, -1, -1)]) == vaults[::-1]
    assert table.transact_get(["v1", "missing", "v2"]) == [vaults[1], None, vaults[2]]


# --- transactions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "third",
    [
        TransactPut(Entry("a", 1, 99), if_not_exists=True),
        TransactUpdate("a", 1, {"amount": 5}, expected_version=9),
        TransactConditionCheck("a", 1, "#m = :m", {"#m": "amount"}, {":m": 12345}),
    ],
    ids=["put-if-not-exists", "stale-version", "condition-check"],
)
def test_a_transaction_whose_third_action_fails_reports_reasons_by_position(
    dynamorm_local: Any, third: Any
) -> None:
    table = dynamorm_local.table(ENTRIES)
    table.put(Entry("a", 1, 10))
    table.put(Entry("b", 1, 20))
    actions = [
        TransactPut(Entry("new", 1, 1)),
        TransactUpdate("b", 1, {"amount": 21}, expected_version=0),
        third,
        TransactDelete("b", 2),
    ]

    with pytest.raises(ConditionFailedError) as caught:
        table.transact_write(actions)

    error = caught.value
    assert [r.index for r in error.reasons] == [0, 1, 2, 3]
    assert error.reason_codes == ("None", "None", "ConditionalCheckFailed", "None")
    assert (error.operation, error.table) == ("transact_write", "ledger_entries")
    assert table.transact_get([("new", 1), ("b", 1)]) == [None, table.get("b", 1)]
    assert table.get("b", 1).amount == 20  # nothing of the transaction was applied


def test_a_transaction_applies_every_action_with_one_now(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(ENTRIES)
    for seq in (1, 2):
        table.put(Entry("a", seq, 10))
    table.put(Entry("b", 1))

    table.transact_write(
        [
            TransactUpdate("a", 1, {"amount": 5}, expected_version=0),
            TransactPut(Entry("a", 3, 5)),
            TransactDelete("a", 2, expected_version=0),
            TransactConditionCheck("b", 1, "attribute_exists(#a)", {"#a": "account"}),
        ],
        client_request_token="transfer-0001",
    )

    updated, missing, created = table.transact_get([("a", 1), ("a", 2), ("a", 3)])
    assert missing is None
    assert updated is not None and created is not None
    assert (updated.amount, updated.version, created.amount, created.version) == (5, 1, 5, 0)
    assert updated.updated_at == created.updated_at


def test_eight_threads_of_versioned_increments_lose_no_update(dynamorm_local: Any) -> None:
    table = Table(ENTRIES, client=AtomicRequests(dynamorm_local.table(ENTRIES).client))
    table.put(Entry("counter", 0))
    successes = [0] * 8
    attempts = [0] * 8
    failures: list[BaseException] = []

    def increment(worker: int) -> None:
        jitter = random.Random(worker)
        current = table.get("counter", 0, consistent_read=True)
        try:
            for _ in range(100):
                conflicts = 0
                while True:
                    attempts[worker] += 1
                    assert current.version is not None
                    update = TransactUpdate(
                        "counter", 0, {"amount": current.amount + 1}, expected_version=current.version
                    )
                    try:
                        table.transact_write([update])
                    except ConditionFailedError:
                        conflicts += 1
                        time.sleep(jitter.uniform(0, min(0.05, 0.001 * 2**conflicts)))
                        current = table.get("counter", 0, consistent_read=True)
                        continue
                    successes[worker] += 1
                    # What this thread just wrote; re-read only after losing a race.
                    current = dataclasses.replace(
                        current, amount=current.amount + 1, version=current.version + 1
                    )
                    break
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=increment, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    final = table.get("counter", 0, consistent_read=True)
    assert sum(successes) == 800
    assert final.version == final.amount == sum(successes)
    assert sum(attempts) > 800  # the threads did race
