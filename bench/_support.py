"""Helpers shared by the benchmarks: the embedded server in a child process, clients, and CPU/wall samples.

The server runs in its own process so that the CPU time measured in the benchmark is the client's only.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.session

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}


@contextmanager
def embedded_server() -> Iterator[str]:
    """The embedded server in a child process; yields its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamorm_py", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("DYNAMODB_ENDPOINT="):
            raise RuntimeError(f"the embedded server did not start: {line!r}")
        yield line.split("=", 1)[1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def make_client(service: str, endpoint: str) -> Any:
    """A botocore client of ``service`` at ``endpoint`` with fixed dummy credentials."""
    return botocore.session.get_session().create_client(service, endpoint_url=endpoint, **CREDENTIALS)


@dataclass
class Sample:
    wall: float
    cpu: float


def measure(run: Callable[[], None]) -> Sample:
    """Wall and process CPU seconds of one call of ``run``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu)


# --- zero-network stub transport ------------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_: Any) -> bytes:
        return self.data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class StubHttp:
    """Stands in for a botocore client's HTTP session: answers each request in-process with canned bytes.

    Installed with ``install(client)`` (boto3, botocore and PynamoDB's client alike), it replaces only the
    socket: botocore's parameter validation, serialization, signing, event hooks and response parsing run
    as in production. ``bodies`` maps an operation name (``"GetItem"``) to the response body, or to a
    callable returning it (for paging). ``calls`` counts requests per operation.
    """

    def __init__(self, bodies: dict[str, bytes | Callable[[], bytes]] | None = None) -> None:
        self.bodies: dict[str, bytes | Callable[[], bytes]] = dict(bodies or {})
        self.calls: dict[str, int] = {}

    def install(self, client: Any) -> Any:
        client._endpoint.http_session = self
        return client

    def send(self, request: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        target = request.headers["X-Amz-Target"]
        operation = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
        self.calls[operation] = self.calls.get(operation, 0) + 1
        body = self.bodies[operation]
        data = body() if callable(body) else body
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "Content-Length": str(len(data)),
            "x-amzn-RequestId": "bench",
        }
        return AWSResponse(request.url, 200, headers, _Body(data))

    def close(self) -> None:
        pass


def boto3_client(endpoint: str, service: str = "dynamodb") -> Any:
    """A boto3 client with boto3's default configuration (retries and all), dummy credentials."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, **CREDENTIALS)


# --- interleaved rounds, medians, spreads, ratios ----------------------------------------------------------


def interleave(
    contenders: dict[str, Callable[[], object]], rounds: int, *, warmup: int = 1, gc_off: bool = False
) -> dict[str, list[Sample]]:
    """``rounds`` rounds, every contender once per round, the order rotated from round to round so that a
    change of machine load does not favour whichever runs first. Warm-up runs (imports, botocore's model
    loading, caches) are not recorded. A full collection runs before each sample; ``gc_off`` also pauses
    the collector inside samples (as timeit does), for pure-CPU loops that allocate many objects."""
    import gc

    for _ in range(warmup):
        for run in contenders.values():
            run()
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    names = list(contenders)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            if gc_off:
                gc.disable()
            try:
                samples[name].append(measure(contenders[name]))
            finally:
                gc.enable()
    return samples


def spread(values: list[float], fmt: str = ".1f") -> str:
    """``median (min-max)``."""
    import statistics

    med, low, high = statistics.median(values), min(values), max(values)
    return f"{format(med, fmt)} ({format(low, fmt)}-{format(high, fmt)})"


def print_table(
    title: str,
    samples: dict[str, list[Sample]],
    *,
    per: int = 1,
    unit: str = "us",
    baselines: list[str],
    clock: str = "cpu",
    fmt: str = ".1f",
) -> dict[str, dict[str, float]]:
    """One row per contender: the median (min-max) over rounds of ``clock`` time per operation (each sample
    covers ``per`` operations), and for each baseline the median of the per-round ratios (min-max).

    A ratio is this contender's time over the baseline's (lower is better; 0.50 = twice as fast). Returns
    the median ratios, ``{contender: {baseline: ratio}}``."""
    import statistics

    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit] / per

    def pick(sample: Sample) -> float:
        return sample.cpu if clock == "cpu" else sample.wall

    rounds = len(next(iter(samples.values())))
    print(f"\n{title}")
    print(
        f"  {clock} {unit}/op, median (min-max) of {rounds} interleaved rounds; ratio = time / baseline time"
    )
    header = f"  {'contender':<34}{clock + ' ' + unit + '/op':>24}"
    for base in baselines:
        header += f"{'x ' + base:>26}"
    print(header)
    result: dict[str, dict[str, float]] = {}
    for name, runs in samples.items():
        line = f"  {name:<34}{spread([pick(s) * scale for s in runs], fmt):>24}"
        result[name] = {}
        for base in baselines:
            per_round = [pick(a) / pick(b) for a, b in zip(runs, samples[base], strict=True)]
            result[name][base] = statistics.median(per_round)
            line += f"{spread(per_round, '.2f'):>26}"
        print(line)
    return result


def machine_line() -> str:
    import os
    import platform

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), {os.cpu_count()} CPUs, "
        f"load average {load:.1f}, {platform.platform()}"
    )
