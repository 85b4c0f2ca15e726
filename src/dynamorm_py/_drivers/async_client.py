"""``AsyncDynamormClient``: the asyncio driver of the multi-model operations (single-table design)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

from .._blocks.model import ModelDefinition
from .._blocks.retry_policy import RetryPolicy
from .._core.batch import make_backoff
from .._core.context import contextualized
from .._core.effects import Op
from .._core.multi import (
    MultiQueryWalker,
    Registry,
    multi_batch_get_op,
    multi_batch_write_op,
    multi_query_page_op,
    multi_query_walker_op,
    multi_transact_get_op,
    multi_transact_write_op,
)
from .._core.pacing import Limiter, check_limiter, limited
from .._core.reads import QueryArgs
from ..transaction import TransactWriteAction
from .aio import check_async_client, open_library_clients, run_async
from .async_table import AsyncTable
from .client import client_settings, table_kwargs
from .sync import run_pure

if TYPE_CHECKING:
    from .._blocks.filters import FilterExpression
    from .._blocks.key_conditions import SortKeyCondition
    from .._blocks.page import Page

__all__ = ["AsyncDynamormClient"]

T = TypeVar("T")
R = TypeVar("R")


class AsyncDynamormClient:
    """``DynamormClient`` for asyncio: the same methods, awaited; ``table(Order)`` is an ``AsyncTable``.

    It never creates or closes a client it was given; ``AsyncDynamormClient.connect`` creates and closes
    its own.
    """

    def __init__(
        self,
        client: Any,
        *,
        kms_key_arn: str | None = None,
        kms_client: Any | None = None,
        now: Callable[[], datetime] | None = None,
        rand_bytes: Callable[[int], bytes] | None = None,
        cursor_signing_keys: bytes | Sequence[bytes] | None = None,
        accept_unsigned_cursors: bool = False,
        security_validation: bool = True,
        data_key_cache: Any = None,
        retry_policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        """``client`` is an entered async DynamoDB client; ``kms_client`` an async KMS client, needed as soon
        as a registered model has encrypted fields."""
        self._settings = client_settings(
            kms_key_arn=kms_key_arn,
            now=now,
            rand_bytes=rand_bytes,
            cursor_signing_keys=cursor_signing_keys,
            accept_unsigned_cursors=accept_unsigned_cursors,
            security_validation=security_validation,
            data_key_cache=data_key_cache,
            retry_policy=retry_policy,
            limiter=limiter,
        )
        self._limiter = check_limiter(limiter, table="")
        self._registry = Registry(self._settings)
        check_async_client(client, service="dynamodb", table="")
        if (kms_key_arn or "").strip():
            check_async_client(kms_client, service="kms", table="")
        self._clients = {"dynamodb": client, "kms": kms_client}
        self._tables: dict[type, AsyncTable[Any]] = {}

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        *models: ModelDefinition[Any],
        region_name: str | None = None,
        endpoint_url: str | None = None,
        session: Any = None,
        **client_kwargs: Any,
    ) -> AsyncIterator[AsyncDynamormClient]:
        """``async with AsyncDynamormClient.connect(User, Order) as client:`` creates aiobotocore clients
        (KMS only with a ``kms_key_arn``), registers ``models`` and closes the clients on exit."""
        wants_kms = bool((client_kwargs.get("kms_key_arn") or "").strip())
        async with AsyncExitStack() as stack:
            clients = await open_library_clients(
                stack,
                session=session,
                region_name=region_name,
                endpoint_url=endpoint_url,
                kms=wants_kms and client_kwargs.get("kms_client") is None,
            )
            kwargs = dict(client_kwargs)
            if kwargs.get("kms_client") is None:
                kwargs["kms_client"] = clients.get("kms")
            yield cls(clients["dynamodb"], **kwargs).register(*models)

    @property
    def models(self) -> list[ModelDefinition[Any]]:
        """The registered models, in registration order."""
        return self._registry.models

    def register(self, *models: ModelDefinition[Any]) -> Self:
        """Add models (``ModelDefinition`` objects); returns the client, so calls chain."""
        for model in models:
            self._registry.register(model)
        return self

    @overload
    def table(self, model: ModelDefinition[T]) -> AsyncTable[T]: ...

    @overload
    def table(self, model: type[T]) -> AsyncTable[T]: ...

    def table(self, model: Any) -> AsyncTable[Any]:
        """The ``AsyncTable`` of a registered model (given as its ``ModelDefinition`` or its dataclass)."""
        ctx = self._registry.context(model)
        table = self._tables.get(ctx.model.model_type)
        if table is None:
            table = AsyncTable(
                ctx.model,
                client=self._clients["dynamodb"],
                kms_client=self._clients["kms"],
                **table_kwargs(self._settings),
            )
            self._tables[ctx.model.model_type] = table
        return table

    async def _run(self, op: Op[R], *, sleep: Callable[[float], Awaitable[None]] | None = asyncio.sleep) -> R:
        if self._limiter is not None:
            op = limited(op, self._limiter)
        return await run_async(op, clients=self._clients, sleep=sleep)

    async def transact_write(
        self,
        actions: Sequence[TransactWriteAction[Any]],
        *,
        client_request_token: str | None = None,
        max_conflict_retries: int = 0,
        sleep: Callable[[float], Awaitable[None]] | None = asyncio.sleep,
    ) -> None:
        """One TransactWriteItems call of 1-100 actions on any registered models and tables.

        ``TransactPut`` goes to the model of ``type(item)``; the other actions name theirs with ``model=``.
        Cancellations carry one reason per action, as on ``Table.transact_write``.
        """
        op = multi_transact_write_op(
            self._registry,
            actions,
            client_request_token=client_request_token,
            max_conflict_retries=max_conflict_retries,
        )
        await self._run(op, sleep=sleep)

    async def transact_get(self, keys: Sequence[tuple[Any, ...]]) -> list[Any | None]:
        """One TransactGetItems call of ``(Model, pk, sk)`` keys; results in key order, ``None`` if absent."""
        return await self._run(multi_transact_get_op(self._registry, keys))

    async def batch_write(
        self,
        *,
        puts: Iterable[Any] = (),
        deletes: Iterable[tuple[Any, ...]] = (),
        max_retries: int = 5,
        sleep: Callable[[float], Awaitable[None]] | None = asyncio.sleep,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> None:
        """Puts (routed by ``type(item)``) and deletes (``(Model, pk, sk)``) across models, each model's part
        written as its ``Table.batch_write`` would; leftovers come back as the caller's objects."""
        backoff = make_backoff(rand_uniform, self._registry.retry_policy())
        op = multi_batch_write_op(self._registry, puts, deletes, max_retries=max_retries, backoff=backoff)
        await self._run(op, sleep=sleep)

    async def batch_get(
        self,
        keys: Sequence[tuple[Any, ...]],
        *,
        consistent_read: bool = False,
        max_retries: int = 5,
        sleep: Callable[[float], Awaitable[None]] | None = asyncio.sleep,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> list[Any]:
        """Read ``(Model, pk, sk)`` keys: duplicates removed, results in first-appearance key order."""
        backoff = make_backoff(rand_uniform, self._registry.retry_policy())
        op = multi_batch_get_op(
            self._registry, keys, consistent_read=consistent_read, max_retries=max_retries, backoff=backoff
        )
        return await self._run(op, sleep=sleep)

    async def query(
        self,
        table_name: str,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        filter: FilterExpression | None = None,
        projection: Sequence[str] | None = None,
        consistent_read: bool = False,
    ) -> Page[Any]:
        """One Query page of a table holding several models: each item an instance of its own model, and
        ``unrecognized`` the raw items no model's ``matches`` claimed.

        Key values, filters and projections are read with the first registered model of the table, so the
        models of one table must agree on their key attributes."""
        args = QueryArgs(
            partition,
            sort=sort,
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            scan_forward=scan_forward,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
        )
        op = multi_query_page_op(self._registry, table_name, args, op_name="query")
        return await self._run(contextualized(op, operation="query", table=table_name))

    async def query_all(
        self,
        table_name: str,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        filter: FilterExpression | None = None,
        projection: Sequence[str] | None = None,
        consistent_read: bool = False,
    ) -> list[Any]:
        """Every item of the query, each an instance of its own model (items no model claims are left out;
        use ``query`` pages to see them)."""
        return [
            item
            async for item in self.iter_query(
                table_name,
                partition,
                sort=sort,
                index_name=index_name,
                limit=limit,
                cursor=cursor,
                scan_forward=scan_forward,
                filter=filter,
                projection=projection,
                consistent_read=consistent_read,
            )
        ]

    def iter_query(
        self,
        table_name: str,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        filter: FilterExpression | None = None,
        projection: Sequence[str] | None = None,
        consistent_read: bool = False,
    ) -> AsyncIterator[Any]:
        """The query's items lazily, a page at a time; the arguments are checked now."""
        args = QueryArgs(
            partition,
            sort=sort,
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            scan_forward=scan_forward,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
        )
        walker = run_pure(
            contextualized(
                multi_query_walker_op(self._registry, table_name, args, op_name="iter_query"),
                operation="iter_query",
                table=table_name,
            )
        )
        return self._iterate(walker, table_name)

    async def _iterate(self, walker: MultiQueryWalker, table_name: str) -> AsyncIterator[Any]:
        while not walker.done:
            page = await self._run(
                contextualized(walker.next_items(), operation="iter_query", table=table_name)
            )
            for item in page:
                yield item


# Users import these from dynamorm_py.single_table: tracebacks, reprs and pickles name that module.
AsyncDynamormClient.__module__ = "dynamorm_py.single_table"
