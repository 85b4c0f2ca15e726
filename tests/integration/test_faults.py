"""Workloads through real network faults (the loopback ``FaultProxy``), checked by the server's final state.

Every workload talks to the embedded server through a seeded ``FaultProxy`` that drops requests, loses
answers after the server applied them, holds answers past the client's read timeout and answers HTML 500s.
The clients have botocore's retries off and short timeouts, so every fault reaches the library's own
``RetryPolicy``. The workloads are the loops users write (re-read on a conflict, retry what was not applied,
never count an unknown outcome as a success); the final state is read with a plain client, not through the
proxy, and must agree with what the library reported:

* versioned counters: each version is produced by exactly one write; every success owns one, every version
  not owned by a success belongs to an unknown outcome, and every conflict is someone else's write;
* claims with ``if_not_exists``: a reported claim is stored and ours, a key held by someone else is never
  reported as ours, and a writer alone never sees a conflict;
* batches: every item is stored or handed back in the leftovers, never lost silently;
* transfers in transactions: money is conserved and no transfer is applied twice.

``DYNAMORM_FAULT_SEED`` changes every seed of the module (default 9), to run it under other fault sequences.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from fault_proxy import FAULTS, FaultProxy

from dynamorm_py import (
    AwsError,
    BatchRetryExceededError,
    ConditionFailedError,
    DynamormPyError,
    ModelDefinition,
    OutcomeUnknownError,
    RetryPolicy,
    Table,
    TransactionCanceledError,
    TransactUpdate,
    TransportError,
    dynamorm_field,
)
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

Server = LocalDynamoDB | RemoteDynamoDB

SEED = int(os.environ.get("DYNAMORM_FAULT_SEED", "9"))
READ_TIMEOUT_SECONDS = 0.5
# Past the read timeout: the client gives up while the server has already applied the request.
DELAY_SECONDS = 1.5
# Every fault kind at a rate that a workload of ~100 requests meets several times.
RATES = {"drop_request": 0.08, "lose_response": 0.1, "delay_response": 0.08, "server_error": 0.08}
# A user loop retries one step at most this many times: a loop that never ends is a failure too.
MAX_TRIES = 40


@dataclass
class Counter:
    id: str = dynamorm_field(roles=["pk"])
    count: int = 0
    writer: str = ""
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Claim:
    id: str = dynamorm_field(roles=["pk"])
    owner: str = ""
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)


@dataclass
class Record:
    id: str = dynamorm_field(roles=["pk"])
    n: int = 0
    payload: str = ""


@dataclass
class Account:
    id: str = dynamorm_field(roles=["pk"])
    balance: int = 0
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


COUNTERS = ModelDefinition.from_dataclass(Counter, table_name="faulty_counters")
CLAIMS = ModelDefinition.from_dataclass(Claim, table_name="faulty_claims")
RECORDS = ModelDefinition.from_dataclass(Record, table_name="faulty_records")
ACCOUNTS = ModelDefinition.from_dataclass(Account, table_name="faulty_accounts")


@pytest.fixture
def proxy(dynamorm_local: Server) -> Iterator[FaultProxy]:
    """A running proxy in front of the server, injecting every fault kind at ``RATES``."""
    if not dynamorm_local.endpoint_url.startswith("http://127.0.0.1:"):
        pytest.skip("the fault proxy forwards to 127.0.0.1 only")
    with FaultProxy(dynamorm_local.endpoint_url, seed=SEED, delay_seconds=DELAY_SECONDS, **RATES) as running:
        yield running


def proxied_table(server: Server, proxy: FaultProxy, model: ModelDefinition[Any], *, seed: int) -> Table[Any]:
    """A Table whose client goes through ``proxy``: one attempt per botocore call, short timeouts, and the
    library's retries with tiny seeded waits."""
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    client = session.create_client(
        "dynamodb",
        endpoint_url=proxy.endpoint_url,
        region_name=server.region,
        aws_access_key_id="dynamorm-local",
        aws_secret_access_key="dynamorm-local",
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=READ_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        ),
    )
    policy = RetryPolicy(
        max_attempts=4,  # few enough that some writes run out of attempts: unknown outcomes happen
        base_delay=0.001,
        max_delay=0.01,
        total_budget=None,
        rand_uniform=random.Random(seed).uniform,
    )
    return Table(model, client=client, retry_policy=policy)


@dataclass
class Writer:
    """What one writer was told: the version each of its outcomes started from."""

    name: str
    successes: list[int] = field(default_factory=list)
    unknowns: list[int] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)
    not_applied: int = 0
    errors: list[Exception] = field(default_factory=list)

    def claims(self) -> set[int]:
        """The versions this writer's writes may have produced."""
        return {v + 1 for v in (*self.successes, *self.unknowns)}


def retrying(step: Callable[[], bool], errors: list[Exception]) -> None:
    """Run ``step`` until it says it is done; AWS failures of a read are recorded and retried."""
    for _ in range(MAX_TRIES):
        try:
            if step():
                return
        except AwsError as exc:  # a read ran out of attempts: typed, never an unknown outcome; read again
            assert not isinstance(exc, OutcomeUnknownError)
            errors.append(exc)
    raise AssertionError(f"no outcome after {MAX_TRIES} tries")


def increment(table: Table[Counter], key: str, writer: Writer) -> None:
    """Re-read and write ``count + 1`` under the version lock until the write succeeds or its outcome is
    unknown (not retried: it may have applied); a conflict or a write not applied is tried again."""

    def step() -> bool:
        current = table.get(key, consistent_read=True)
        try:
            table.update(
                key,
                None,
                {"count": current.count + 1, "writer": writer.name},
                expected_version=current.version,
            )
        except ConditionFailedError as exc:
            writer.errors.append(exc)
            writer.conflicts.append(current.version)
            return False
        except OutcomeUnknownError as exc:
            writer.errors.append(exc)
            writer.unknowns.append(current.version)
            return True
        except TransportError as exc:  # from a write: not applied
            writer.errors.append(exc)
            writer.not_applied += 1
            return False
        except DynamormPyError as exc:  # e.g. a bare 5xx error: a write that may have applied is unknown
            raise AssertionError(f"unexpected {exc!r} from a write") from exc
        writer.successes.append(current.version)
        return True

    retrying(step, writer.errors)


def check_versions(final_version: int, writers: list[Writer]) -> None:
    """Each version 1..final was produced by one write: successes own distinct versions, the others belong
    to unknown outcomes, and each conflict met a version that another writer may have produced."""
    owned = [v + 1 for w in writers for v in w.successes]
    assert len(owned) == len(set(owned)), "two successes produced the same version"
    assert set(owned) <= set(range(1, final_version + 1))
    unknown = {v + 1 for w in writers for v in w.unknowns}
    assert set(range(1, final_version + 1)) - set(owned) <= unknown
    for writer in writers:
        others = set().union(*(w.claims() for w in writers if w is not writer))
        assert all(v + 1 in others for v in writer.conflicts), (
            f"{writer.name} saw its own write as a conflict"
        )


def check_typed(proxy: FaultProxy, errors: list[Exception]) -> None:
    assert all(isinstance(exc, DynamormPyError) for exc in errors), errors
    counts = proxy.counts
    assert all(counts[kind] > 0 for kind in FAULTS), counts


def run_threads(work: list[Callable[[], None]]) -> None:
    failures: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # reported below: a failing thread must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(100)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


# --- 1. versioned read-modify-write counters ----------------------------------------------------------------


def test_a_single_writer_sees_no_conflict_and_counts_each_increment_once(
    dynamorm_local: Server, proxy: FaultProxy
) -> None:
    plain = dynamorm_local.table(COUNTERS)
    plain.put(Counter("solo"))
    table = proxied_table(dynamorm_local, proxy, COUNTERS, seed=SEED)
    writer = Writer("solo")

    for _ in range(30):
        increment(table, "solo", writer)

    final = plain.get("solo", consistent_read=True)
    check_typed(proxy, writer.errors)
    assert writer.conflicts == []  # nobody else writes: a conflict would be our own write, misread
    assert len(writer.successes) + len(writer.unknowns) == 30
    assert len(writer.successes) <= final.count <= len(writer.successes) + len(writer.unknowns)
    assert final.version == final.count
    check_versions(final.version, [writer])


def test_two_writers_lose_no_increment_and_apply_none_twice(
    dynamorm_local: Server, proxy: FaultProxy
) -> None:
    plain = dynamorm_local.table(COUNTERS)
    plain.put(Counter("shared"))
    writers = [Writer("w0"), Writer("w1")]
    tables = [proxied_table(dynamorm_local, proxy, COUNTERS, seed=SEED * 10 + n) for n in range(2)]

    def work(n: int) -> Callable[[], None]:
        def job() -> None:
            for _ in range(30):
                increment(tables[n], "shared", writers[n])

        return job

    run_threads([work(0), work(1)])

    final = plain.get("shared", consistent_read=True)
    check_typed(proxy, [exc for w in writers for exc in w.errors])
    successes = sum(len(w.successes) for w in writers)
    unknowns = sum(len(w.unknowns) for w in writers)
    assert successes + unknowns == 60
    assert successes <= final.count <= successes + unknowns
    assert final.version == final.count
    assert final.writer in ("w0", "w1")
    check_versions(final.version, writers)


# --- 2. claims with if_not_exists ---------------------------------------------------------------------------


def test_claims_are_ours_when_reported_and_never_lost_to_ourselves(
    dynamorm_local: Server, proxy: FaultProxy
) -> None:
    plain = dynamorm_local.table(CLAIMS)
    taken = {f"taken-{n}": plain.put(Claim(f"taken-{n}", owner="them")) for n in range(15)}
    free = [f"free-{n}" for n in range(50)]
    table = proxied_table(dynamorm_local, proxy, CLAIMS, seed=SEED)
    outcomes: dict[str, str] = {}
    claimed: dict[str, Claim] = {}
    errors: list[Exception] = []
    keys = [*free, *taken]
    random.Random(SEED).shuffle(keys)

    for key in keys:

        def step(key: str = key) -> bool:
            try:
                claimed[key] = table.put(Claim(key, owner="me"), if_not_exists=True)
                outcomes[key] = "claimed"
            except ConditionFailedError as exc:
                errors.append(exc)
                outcomes[key] = "conflict"
            except OutcomeUnknownError as exc:
                errors.append(exc)
                outcomes[key] = "unknown"
            except TransportError as exc:  # not applied: claim again
                errors.append(exc)
                return False
            except DynamormPyError as exc:
                raise AssertionError(f"unexpected {exc!r} from a write") from exc
            return True

        retrying(step, errors)

    check_typed(proxy, errors)
    stored = {claim.id: claim for claim in plain.scan_all(consistent_read=True)}
    assert set(stored) <= {*free, *taken}
    for key in free:
        assert outcomes[key] in ("claimed", "unknown"), "we were the only writer of this key"
        if outcomes[key] == "claimed":
            assert stored[key] == claimed[key]
            assert stored[key].owner == "me"
        elif key in stored:
            assert stored[key].owner == "me"
    for key, theirs in taken.items():
        assert outcomes[key] in ("conflict", "unknown"), "someone else's claim reported as ours"
        assert stored[key] == theirs
    assert sum(outcome == "claimed" for outcome in outcomes.values()) > 0


# --- 3. batches ---------------------------------------------------------------------------------------------


def test_a_batch_through_faults_stores_or_hands_back_every_item(
    dynamorm_local: Server, proxy: FaultProxy
) -> None:
    plain = dynamorm_local.table(RECORDS)
    table = proxied_table(dynamorm_local, proxy, RECORDS, seed=SEED)
    items = [Record(f"r{n:03d}", n, f"payload-{n}") for n in range(200)]
    # Heavy faults and one retry per chunk: a chunk may well run out and leave leftovers.
    proxy.configure(drop_request=0.2, lose_response=0.2, delay_response=0.1, server_error=0.2)
    errors: list[Exception] = []

    leftovers: list[Record] = []
    try:
        table.batch_write(puts=items, max_retries=1)
    except BatchRetryExceededError as exc:
        errors.append(exc)
        leftovers = list(exc.unprocessed_puts)
        assert exc.unprocessed_deletes == ()
        assert list(exc.unprocessed) == leftovers
        assert exc.unprocessed_count == len(leftovers)

    by_identity = {id(item) for item in items}
    assert all(id(left) in by_identity for left in leftovers), "leftovers are the very items passed"
    handed_back = {left.id for left in leftovers}
    stored = {record.id: record for record in plain.scan_all(consistent_read=True)}
    for item in items:
        assert item.id in stored or item.id in handed_back, "an item was lost silently"
        if item.id in stored:
            assert stored[item.id] == item

    # Lighter faults and retries enough: the leftovers get through.
    proxy.configure(drop_request=0.05, lose_response=0.05, delay_response=0.02, server_error=0.05)
    if leftovers:
        table.batch_write(puts=leftovers, max_retries=25)

    stored = {record.id: record for record in plain.scan_all(consistent_read=True)}
    assert stored == {item.id: item for item in items}
    assert all(isinstance(exc, DynamormPyError) for exc in errors)
    assert sum(count for kind, count in proxy.counts.items() if kind != "pass") > 0


# --- 4. transactions ----------------------------------------------------------------------------------------


def transfer(table: Table[Account], source: str, target: str, amount: int, writer: Writer) -> None:
    """Move ``amount`` from ``source`` to ``target`` under both version locks, re-reading on a conflict."""

    def step() -> bool:
        accounts = table.transact_get(["A", "B"])
        a, b = accounts
        assert a is not None and b is not None
        assert a.version == b.version  # every transfer writes both: one snapshot, one version
        current = {"A": a, "B": b}
        actions = [
            TransactUpdate(
                source,
                None,
                {"balance": current[source].balance - amount},
                expected_version=current[source].version,
            ),
            TransactUpdate(
                target,
                None,
                {"balance": current[target].balance + amount},
                expected_version=current[target].version,
            ),
        ]
        try:
            table.transact_write(actions)
        except ConditionFailedError as exc:
            writer.errors.append(exc)
            writer.conflicts.append(a.version)
            return False
        except OutcomeUnknownError as exc:
            writer.errors.append(exc)
            writer.unknowns.append(a.version)
            return True
        except (TransportError, TransactionCanceledError) as exc:  # not applied: transfer again
            writer.errors.append(exc)
            writer.not_applied += 1
            return False
        except DynamormPyError as exc:
            raise AssertionError(f"unexpected {exc!r} from a write") from exc
        writer.successes.append(a.version)
        return True

    retrying(step, writer.errors)


def test_transfers_conserve_money_and_apply_each_at_most_once(
    dynamorm_local: Server, proxy: FaultProxy
) -> None:
    plain = dynamorm_local.table(ACCOUNTS)
    plain.put(Account("A", 500))
    plain.put(Account("B", 500))
    # Different amounts each way: the final balance tells how many transfers of each writer applied.
    plan = [("A", "B", 3, Writer("a-to-b")), ("B", "A", 5, Writer("b-to-a"))]
    tables = [proxied_table(dynamorm_local, proxy, ACCOUNTS, seed=SEED * 10 + n) for n in range(2)]

    def work(n: int) -> Callable[[], None]:
        source, target, amount, writer = plan[n]

        def job() -> None:
            for _ in range(25):
                transfer(tables[n], source, target, amount, writer)

        return job

    run_threads([work(0), work(1)])

    a, b = plain.get("A", consistent_read=True), plain.get("B", consistent_read=True)
    writers = [writer for *_, writer in plan]
    check_typed(proxy, [exc for w in writers for exc in w.errors])
    assert a.balance + b.balance == 1000
    assert a.version == b.version  # both sides of every transfer, or neither
    applied = a.version
    # a.balance = 500 - 3 * x + 5 * y with x + y = applied
    assert (a.balance - 500 + 3 * applied) % 8 == 0
    y = (a.balance - 500 + 3 * applied) // 8
    x = applied - y
    for count, (*_, writer) in zip((x, y), plan, strict=True):
        assert len(writer.successes) + len(writer.unknowns) == 25
        assert len(writer.successes) <= count <= len(writer.successes) + len(writer.unknowns), writer.name
    check_versions(applied, writers)
