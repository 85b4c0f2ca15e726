"""Writes under injected network faults against the embedded server, checked by the server's final state.

Faults are injected in the botocore client by event handlers, seeded so every run is the same:

* ``after-call``: the server has applied the request, and its answer is "lost" (a ``ReadTimeoutError``
  raised where the answer would be returned), as when a connection drops after the server answered;
* ``after-call`` too: the server applied the request but the answer is an HTTP 500 (``InternalServerError``);
* ``before-call``: the request is dropped before it is sent (``EndpointConnectionError``), or refused as
  throttled (``ProvisionedThroughputExceededException``), so it is not applied.

The checks: counters equal the increments reported successful (no double-apply, no loss; unknown outcomes
bound the difference), a single writer never sees a conflict (every conflict reported must be someone else's
write), and every failure is one of the library's typed errors.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from dynamorm_py import (
    AwsError,
    ConditionFailedError,
    ModelDefinition,
    OutcomeUnknownError,
    RetryPolicy,
    Table,
    TransportError,
    dynamorm_field,
)
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Server = LocalDynamoDB | RemoteDynamoDB


@dataclass
class Counter:
    id: str = dynamorm_field(roles=["pk"])
    count: int = 0
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


@dataclass
class Claim:
    id: str = dynamorm_field(roles=["pk"])
    owner: str = ""
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)


COUNTERS = ModelDefinition.from_dataclass(Counter, table_name="fault_counters")
CLAIMS = ModelDefinition.from_dataclass(Claim, table_name="fault_claims")


class Faults:
    """Seeded faults on one botocore client, at the given rates: ``lose`` answers and answer ``fail`` with a
    500 after the server applied the request; ``drop`` and ``throttle`` requests before sending them."""

    def __init__(
        self, client: Any, *, seed: int, lose: float, drop: float, fail: float = 0.0, throttle: float = 0.0
    ) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.lose, self.drop, self.fail, self.throttle = lose, drop, fail, throttle
        self.lost = self.dropped = self.failed = self.throttled = 0
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def off(self) -> None:
        self.lose = self.drop = self.fail = self.throttle = 0.0

    def _roll(self) -> float:
        with self._lock:
            return self._random.random()

    def _before(self, model: Any, **_: Any) -> None:
        roll = self._roll()
        if roll < self.drop:
            self.dropped += 1
            raise EndpointConnectionError(endpoint_url="http://fault.injected")
        if roll < self.drop + self.throttle:
            self.throttled += 1
            raise _answer("ProvisionedThroughputExceededException", 400, model.name)

    def _after(self, model: Any, **_: Any) -> None:
        roll = self._roll()
        if roll < self.lose:
            self.lost += 1
            raise ReadTimeoutError(endpoint_url="http://fault.injected")
        if roll < self.lose + self.fail:
            self.failed += 1
            raise _answer("InternalServerError", 500, model.name)


def _answer(code: str, status: int, operation: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def faulty_table(
    server: Server, model: ModelDefinition[Any], *, seed: int, **rates: float
) -> tuple[Table[Any], Faults]:
    policy = RetryPolicy(
        max_attempts=6, base_delay=0.001, max_delay=0.01, rand_uniform=random.Random(seed).uniform
    )
    table = server.table(model, retry_policy=policy)
    return table, Faults(table.client, seed=seed, **rates)


@dataclass
class Tally:
    successes: int = 0
    conflicts: int = 0
    unknown: int = 0
    not_applied: int = 0


def increment(table: Table[Counter], key: str, tally: Tally) -> None:
    """The loop a user writes: re-read, increment, retry on a conflict or on a failure that was not
    applied; an unknown outcome is not retried blindly (here it is only counted)."""
    while True:
        try:
            current = table.get(key, consistent_read=True)
        except AwsError:  # typed: the read failed on every attempt; reads never have unknown outcomes
            continue
        try:
            table.update(key, None, {"count": current.count + 1}, expected_version=current.version)
        except ConditionFailedError:
            tally.conflicts += 1
            continue
        except OutcomeUnknownError:
            tally.unknown += 1
            return
        except AwsError as exc:  # every attempt failed without being applied
            assert exc.code == "ProvisionedThroughputExceededException" or (
                isinstance(exc, TransportError) and not exc.may_have_applied
            )
            tally.not_applied += 1
            continue
        tally.successes += 1
        return


def test_a_single_writer_counts_every_increment_once_under_lost_answers(dynamorm_local: Server) -> None:
    setup, _ = faulty_table(dynamorm_local, COUNTERS, seed=1, lose=0.0, drop=0.0)
    setup.put(Counter("c1"))
    table, faults = faulty_table(
        dynamorm_local, COUNTERS, seed=11, lose=0.2, drop=0.1, fail=0.1, throttle=0.1
    )
    tally = Tally()

    for _ in range(60):
        increment(table, "c1", tally)

    faults.off()
    final = table.get("c1", consistent_read=True)
    # the faults did happen
    assert faults.lost > 10 and faults.dropped > 3 and faults.failed > 3 and faults.throttled > 3
    assert tally.conflicts == 0  # nobody else writes: a conflict would be our own write, misread
    assert tally.successes + tally.unknown == 60
    assert tally.successes <= final.count <= tally.successes + tally.unknown
    assert final.version == final.count


def test_two_writers_lose_no_increment_and_apply_none_twice(dynamorm_local: Server) -> None:
    setup, _ = faulty_table(dynamorm_local, COUNTERS, seed=1, lose=0.0, drop=0.0)
    setup.put(Counter("shared"))
    tallies = [Tally(), Tally()]
    tables = [faulty_table(dynamorm_local, COUNTERS, seed=20 + n, lose=0.25, drop=0.05)[0] for n in range(2)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(25):
                increment(tables[n], "shared", tallies[n])
        except BaseException as exc:  # reported below: every failure must have been typed and handled
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)

    assert errors == []
    final = setup.get("shared", consistent_read=True)
    successes = sum(t.successes for t in tallies)
    unknown = sum(t.unknown for t in tallies)
    assert successes + unknown == 50
    assert successes <= final.count <= successes + unknown


def test_claims_with_if_not_exists_are_never_reported_as_lost_to_ourselves(dynamorm_local: Server) -> None:
    table, faults = faulty_table(dynamorm_local, CLAIMS, seed=5, lose=0.4, drop=0.1)
    outcomes: dict[str, str] = {}

    for n in range(30):
        try:
            table.put(Claim(f"k{n}", owner="me"), if_not_exists=True)
            outcomes[f"k{n}"] = "claimed"
        except OutcomeUnknownError:
            outcomes[f"k{n}"] = "unknown"

    faults.off()
    assert faults.lost > 5
    for key, outcome in outcomes.items():
        stored = table.get(key, consistent_read=True, default=None)
        if outcome == "claimed":
            assert stored is not None and stored.owner == "me"


def lose_the_first_answer(table: Table[Any], operation: str) -> list[int]:
    """The server applies (or rejects) the first ``operation`` request; its answer is lost. Returns a list
    that counts the calls seen."""
    seen: list[int] = []

    def lose(**_: Any) -> None:
        seen.append(1)
        if len(seen) == 1:
            raise ReadTimeoutError(endpoint_url="http://fault.injected")

    table.client.meta.events.register_first(f"after-call.dynamodb.{operation}", lose)
    return seen


def test_a_claim_held_by_someone_else_is_a_conflict_even_after_a_lost_answer(dynamorm_local: Server) -> None:
    table, _ = faulty_table(dynamorm_local, CLAIMS, seed=3, lose=0.0, drop=0.0)
    table.put(Claim("taken", owner="them"))
    seen = lose_the_first_answer(table, "PutItem")

    with pytest.raises(ConditionFailedError) as caught:
        table.put(Claim("taken", owner="me"), if_not_exists=True)

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(seen) == 2
    assert table.get("taken", consistent_read=True).owner == "them"


def test_a_versioned_update_whose_answer_was_lost_returns_its_own_write(dynamorm_local: Server) -> None:
    table, _ = faulty_table(dynamorm_local, COUNTERS, seed=4, lose=0.0, drop=0.0)
    stored = table.put(Counter("once", count=1))
    seen = lose_the_first_answer(table, "UpdateItem")

    updated = table.update("once", None, {"count": 2}, expected_version=stored.version)

    assert len(seen) == 2  # sent twice, applied once
    assert (updated.count, updated.version) == (2, stored.version + 1)
    assert table.get("once", consistent_read=True) == updated


def test_a_versioned_delete_whose_answer_was_lost_succeeds(dynamorm_local: Server) -> None:
    table, _ = faulty_table(dynamorm_local, COUNTERS, seed=9, lose=0.0, drop=0.0)
    stored = table.put(Counter("gone"))
    seen = lose_the_first_answer(table, "DeleteItem")

    table.delete_item(stored)

    assert len(seen) == 2
    assert table.get("gone", consistent_read=True, default=None) is None
