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
