"""1,000 single-item reads: ``Table.get`` one after another against ``AsyncTable.get`` with 50 in flight, each
next to the raw client of its kind sending the same GetItem.

The embedded server (moto) runs in a child process (``python -m dynamorm_py local --port 0``), so the CPU time
measured here (``time.process_time()``) is the client's only. The same 1,000 items are read by four
contenders, interleaved within each round (and in a rotated order from round to round, so a change of
machine load does not favour whichever runs first):

* ``Table.get``, sequential, on a botocore client;
* raw ``client.get_item``, sequential, on the same botocore client;
* ``AsyncTable.get``, at most 50 in flight (``asyncio.Semaphore(50)`` + ``gather``), on an aiobotocore client
  whose connection pool holds 50;
* raw aiobotocore ``get_item`` through the very same semaphore and client.

Prints, per contender, the median over rounds of wall milliseconds and of CPU microseconds per get, with the
spread (min-max); then ratios, each the median of the per-round ratios with their spread. Nothing is
asserted. ``--sync-only`` leaves the async contenders out (for a version of the library without
``AsyncTable``).

    .venv/bin/python bench/async_gets.py [--items 1000] [--rounds 5] [--in-flight 50] [--sync-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from _support import CREDENTIALS, Sample, embedded_server, measure
from botocore.config import Config

import dynamorm_py
from dynamorm_py import ModelDefinition, Table, dynamorm_field
from dynamorm_py.schema import ensure_table

TABLE = "bench_gets"
SYNC, RAW_SYNC = "Table.get (sequential)", "raw boto3 get_item (sequential)"
ASYNC, RAW_ASYNC = "AsyncTable.get ({n} in flight)", "raw aiobotocore get_item ({n} in flight)"


@dataclass
class Profile:
    user: str = dynamorm_field(roles=["pk"])
    kind: str = dynamorm_field(roles=["sk"])
    name: str = ""
    email: str = ""
    score: int = 0
    active: bool = False
    tags: set[str] = field(default_factory=set)


MODEL = ModelDefinition.from_dataclass(Profile, table_name=TABLE)


def make_rows(n: int) -> list[Profile]:
    return [
        Profile(
            f"user-{i:05d}",
            "profile",
            f"name {i}",
            f"u{i}@example.com",
            i * 3,
            bool(i % 2),
            {"a", f"t{i % 7}"},
        )
        for i in range(n)
    ]


# --- contenders ----------------------------------------------------------------------------------------


def sync_client(endpoint: str) -> Any:
    """One botocore client for both sync contenders; botocore's retries off, as the library's own clients."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return botocore.session.get_session().create_client(
        "dynamodb", endpoint_url=endpoint, config=config, **CREDENTIALS
    )


def sync_runs(client: Any, keys: list[tuple[str, str]]) -> dict[str, Callable[[], None]]:
    table = Table(MODEL, client=client)

    def ours() -> None:
        for user, kind in keys:
            table.get(user, kind)

    def raw() -> None:
        for user, kind in keys:
            client.get_item(
                TableName=TABLE, Key={"user": {"S": user}, "kind": {"S": kind}}, ConsistentRead=False
            )

    return {SYNC: ours, RAW_SYNC: raw}


async def gather_limited(
    call: Callable[[str, str], Awaitable[object]], keys: Iterable[tuple[str, str]], limit: int
) -> None:
    """Every key's call started at once, at most ``limit`` of them past the semaphore at a time."""
    semaphore = asyncio.Semaphore(limit)

    async def one(user: str, kind: str) -> None:
        async with semaphore:
            await call(user, kind)

    await asyncio.gather(*(one(user, kind) for user, kind in keys))


def async_runs(
    runner: asyncio.Runner, client: Any, keys: list[tuple[str, str]], limit: int
) -> dict[str, Callable[[], None]]:
    from dynamorm_py import AsyncTable

    table = AsyncTable(MODEL, client=client)

    async def raw_get(user: str, kind: str) -> object:
        return await client.get_item(
            TableName=TABLE, Key={"user": {"S": user}, "kind": {"S": kind}}, ConsistentRead=False
        )

    return {
        ASYNC.format(n=limit): lambda: runner.run(gather_limited(table.get, keys, limit)),
        RAW_ASYNC.format(n=limit): lambda: runner.run(gather_limited(raw_get, keys, limit)),
    }


async def open_async_client(endpoint: str, limit: int) -> tuple[Any, Any]:
    """An entered aiobotocore client whose pool holds ``limit`` connections (botocore's default is 10, which
    would cap the calls in flight); returns the client and its context, to exit at the end."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    config = AioConfig(max_pool_connections=limit, retries={"total_max_attempts": 1, "mode": "standard"})
    context = AioSession().create_client("dynamodb", endpoint_url=endpoint, config=config, **CREDENTIALS)
    return await context.__aenter__(), context


# --- measuring and reporting ----------------------------------------------------------------------------


def rounds(runs: dict[str, Callable[[], None]], count: int) -> dict[str, list[Sample]]:
    """``count`` rounds, every contender once per round, the order rotated from round to round."""
    for run in runs.values():  # warm-up: botocore's model loading, connections, the codec's caches
        run()
    samples: dict[str, list[Sample]] = {name: [] for name in runs}
    names = list(runs)
    for index in range(count):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(measure(runs[name]))
    return samples


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def report(samples: dict[str, list[Sample]], n: int) -> None:
    count = len(next(iter(samples.values())))
    print(f"\nembedded server in a child process, {n} gets per run, median (min-max) of {count} rounds")
    print(f"  {'contender':<40}{'wall ms':>24}{'CPU us/get':>24}")
    for name, runs in samples.items():
        walls = [s.wall * 1e3 for s in runs]
        cpus = [s.cpu / n * 1e6 for s in runs]
        print(f"  {name:<40}{spread(walls, '.0f'):>24}{spread(cpus, '.0f'):>24}")


def ratios(samples: dict[str, list[Sample]], pairs: list[tuple[str, str, str, str]]) -> None:
    """Each ratio per round (both sides from the same round), then the median and spread of those."""
    print("\n  ratio (median of per-round ratios, min-max)")
    for label, top, bottom, kind in pairs:
        if top not in samples or bottom not in samples:
            continue
        values = [
            (a.cpu / b.cpu) if kind == "cpu" else (a.wall / b.wall)
            for a, b in zip(samples[top], samples[bottom], strict=True)
        ]
        print(f"  {label:<58}{spread(values, '.3f'):>24}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--sync-only", action="store_true", help="leave out the async contenders")
    args = parser.parse_args()
    limit = args.in_flight
    print(f"dynamorm_py from {dynamorm_py.__file__}")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
    rows = make_rows(args.items)
    keys = [(row.user, row.kind) for row in rows]

    with embedded_server() as endpoint, asyncio.Runner() as runner:
        client = sync_client(endpoint)
        ensure_table(MODEL, client=client)
        Table(MODEL, client=client).batch_write(puts=rows)
        assert Table(MODEL, client=client).get(*keys[-1]) == rows[-1]
        runs = sync_runs(client, keys)
        async_context = None
        if not args.sync_only:
            async_client, async_context = runner.run(open_async_client(endpoint, limit))
            runs.update(async_runs(runner, async_client, keys, limit))
        try:
            samples = rounds(runs, args.rounds)
        finally:
            if async_context is not None:
                runner.run(async_context.__aexit__(None, None, None))

    report(samples, args.items)
    ours_async, raw_async = ASYNC.format(n=limit), RAW_ASYNC.format(n=limit)
    ratios(
        samples,
        [
            ("CPU/get: AsyncTable / Table (target <= 1.10)", ours_async, SYNC, "cpu"),
            ("CPU/get: raw aiobotocore / raw boto3", raw_async, RAW_SYNC, "cpu"),
            ("CPU/get: Table / raw boto3", SYNC, RAW_SYNC, "cpu"),
            ("CPU/get: AsyncTable / raw aiobotocore", ours_async, raw_async, "cpu"),
            ("wall: AsyncTable / Table (sequential)", ours_async, SYNC, "wall"),
            ("wall: raw aiobotocore / raw boto3 (sequential)", raw_async, RAW_SYNC, "wall"),
            ("wall: Table / raw boto3", SYNC, RAW_SYNC, "wall"),
            ("wall: AsyncTable / raw aiobotocore", ours_async, raw_async, "wall"),
        ],
    )


if __name__ == "__main__":
    main()
