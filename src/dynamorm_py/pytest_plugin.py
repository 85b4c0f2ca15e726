"""pytest fixtures for a DynamoDB endpoint: ``dynamorm_local_server`` (session), ``dynamorm_local`` and, for
asyncio tests, ``dynamorm_async_table``; and ``dynamorm_memory``, a fresh in-memory DynamoDB per test that
needs no server at all.

Registered through the ``pytest11`` entry point. The embedded moto server is imported only when a fixture is
used. With ``DYNAMODB_ENDPOINT`` set, the fixtures point at that endpoint instead (``reset()`` deletes every
table there). Without moto and without ``DYNAMODB_ENDPOINT``, the fixtures fail with an ``ImportError``
naming the ``local`` extra; they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .local import LocalDynamoDB, RemoteDynamoDB
    from .memory import MemoryDynamoDB
    from .table import AsyncTable

AsyncTableFactory = Callable[..., AbstractAsyncContextManager["AsyncTable[Any]"]]

__all__ = ["ENDPOINT_VARIABLE", "server_from_environment", "start_server"]

ENDPOINT_VARIABLE = "DYNAMODB_ENDPOINT"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: talks to a DynamoDB-compatible HTTP endpoint")


def server_from_environment(environ: Mapping[str, str]) -> LocalDynamoDB | RemoteDynamoDB:
    """The server the fixtures use: ``RemoteDynamoDB`` when ``DYNAMODB_ENDPOINT`` is set, else local."""
    from .local import dynamodb_from_environment

    return dynamodb_from_environment(environ)


def start_server(server: LocalDynamoDB | RemoteDynamoDB) -> LocalDynamoDB | RemoteDynamoDB:
    """``server.start()``, with a hint about ``DYNAMODB_ENDPOINT`` when moto is missing."""
    try:
        return server.start()
    except ImportError as exc:
        raise ImportError(
            f"{exc} (or set {ENDPOINT_VARIABLE} to use an external endpoint)", name=exc.name
        ) from exc


@pytest.fixture(scope="session")
def dynamorm_local_server() -> Iterator[LocalDynamoDB | RemoteDynamoDB]:
    """A started server for the whole session, stopped at its end."""
    server = start_server(server_from_environment(os.environ))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dynamorm_local(
    dynamorm_local_server: LocalDynamoDB | RemoteDynamoDB,
) -> LocalDynamoDB | RemoteDynamoDB:
    """The session server after ``reset()``, so each test starts with no tables."""
    dynamorm_local_server.reset()
    return dynamorm_local_server


@pytest.fixture
def dynamorm_async_table(dynamorm_local: LocalDynamoDB | RemoteDynamoDB) -> AsyncTableFactory:
    """``async with dynamorm_async_table(Model) as table:`` an ``AsyncTable`` on the reset server, its table
    created and its aiobotocore clients closed at the end of the block (``LocalDynamoDB.async_table``).

    The fixture itself is synchronous, so it works with any async test runner (pytest-asyncio, anyio) or
    with ``asyncio.run`` inside a plain test. Needs the ``async`` extra.
    """
    return dynamorm_local.async_table


@pytest.fixture
def dynamorm_memory() -> MemoryDynamoDB:
    """A new, empty in-memory DynamoDB for this test only: ``dynamorm_memory.table(Model)`` is a ``Table``
    with its table created, ``dynamorm_memory.client()`` the botocore-like client (``client("kms")`` its KMS),
    ``dynamorm_memory.async_table(Model)`` the asyncio twin. No server, no port, no moto."""
    from .memory import MemoryDynamoDB

    return MemoryDynamoDB()
