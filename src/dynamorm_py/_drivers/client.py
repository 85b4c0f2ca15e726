"""``DynamormClient``: the synchronous driver of the multi-model operations (single-table design)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from .sync import library_client, run_pure, run_sync
from .table import Table

if TYPE_CHECKING:
    from .._blocks.filters import FilterExpression
    from .._blocks.key_conditions import SortKeyCondition
    from .._blocks.page import Page

__all__ = ["DynamormClient", "client_settings"]

T = TypeVar("T")
R = TypeVar("R")


def client_settings(
    *,
    kms_key_arn: str | None,
    now: Callable[[], datetime] | None,
    rand_bytes: Callable[[int], bytes] | None,
    cursor_signing_keys: bytes | Sequence[bytes] | None,
    accept_unsigned_cursors: bool,
    security_validation: bool,
    data_key_cache: Any,
    retry_policy: RetryPolicy | None,
    limiter: Any = None,
) -> dict[str, Any]:
    """The settings every registered model's table shares, as ``build_context`` takes them."""
    return {
        "kms_key_arn": kms_key_arn,
        "now": now,
        "rand_bytes": rand_bytes,
        "cursor_signing_keys": cursor_signing_keys,
        "accept_unsigned_cursors": accept_unsigned_cursors,
        "security_validation": security_validation,
        "key_cache": data_key_cache,
        "retry_policy": retry_policy,
        "limiter": limiter,
    }


def table_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` as ``Table``/``AsyncTable`` keyword arguments."""
    kwargs = dict(settings)
    kwargs["data_key_cache"] = kwargs.pop("key_cache")
    return kwargs


class DynamormClient:
    """Several models, possibly in one table: transactions, batches and queries across them.

    Register the models once; ``table(Order)`` is then the ``Table[Order]`` sharing this client's clients
    and settings, and the client's own operations route each action, key and read item to its model.
    """

    def __init__(
        self,
        client: Any | None = None,
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
        """Clients built here have botocore's retries off (the library retries); KMS only with a key ARN."""
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
        if client is None:
            client = library_client()
        if kms_client is None and (kms_key_arn or "").strip():
            kms_client = library_client("kms")
        self._clients = {"dynamodb": client, "kms": kms_client}
        self._tables: dict[type, Table[Any]] = {}

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
    def table(self, model: ModelDefinition[T]) -> Table[T]: ...

    @overload
    def table(self, model: type[T]) -> Table[T]: ...

    def table(self, model: Any) -> Table[Any]:
        """The ``Table`` of a registered model (given as its ``ModelDefinition`` or its dataclass)."""
        ctx = self._registry.context(model)
        table = self._tables.get(ctx.model.model_type)
        if table is None:
            table = Table(
                ctx.model,
                client=self._clients["dynamodb"],
                kms_client=self._clients["kms"],
                **table_kwargs(self._settings),
            )
            self._tables[ctx.model.model_type] = table
        return table

    def _run(self, op: Op[R], *, sleep: Callable[[float], None] | None = time.sleep) -> R:
        if self._limiter is not None:
            op = limited(op, self._limiter)
        return run_sync(op, clients=self._clients, sleep=sleep)

    def transact_write(
        self,
        actions: Sequence[TransactWriteAction[Any]],
        *,
        client_request_token: str | None = None,
        max_conflict_retries: int = 0,
        sleep: Callable[[float], None] | None = time.sleep,
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
        self._run(op, sleep=sleep)

    def transact_get(self, keys: Sequence[tuple[Any, ...]]) -> list[Any | None]:
        """One TransactGetItems call of ``(Model, pk, sk)`` keys; results in key order, ``None`` if absent."""
        return self._run(multi_transact_get_op(self._registry, keys))

    def batch_write(
        self,
        *,
        puts: Iterable[Any] = (),
        deletes: Iterable[tuple[Any, ...]] = (),
        max_retries: int = 5,
        sleep: Callable[[float], None] | None = time.sleep,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> None:
        """Puts (routed by ``type(item)``) and deletes (``(Model, pk, sk)``) across models, each model's part
        written as its ``Table.batch_write`` would; leftovers come back as the caller's objects."""
        backoff = make_backoff(rand_uniform, self._registry.retry_policy())
        op = multi_batch_write_op(self._registry, puts, deletes, max_retries=max_retries, backoff=backoff)
        self._run(op, sleep=sleep)

    def batch_get(
        self,
        keys: Sequence[tuple[Any, ...]],
        *,
        consistent_read: bool = False,
        max_retries: int = 5,
        sleep: Callable[[float], None] | None = time.sleep,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> list[Any]:
        """Read ``(Model, pk, sk)`` keys: duplicates removed, results in first-appearance key order."""
        backoff = make_backoff(rand_uniform, self._registry.retry_policy())
        op = multi_batch_get_op(
            self._registry, keys, consistent_read=consistent_read, max_retries=max_retries, backoff=backoff
        )
        return self._run(op, sleep=sleep)

    def query(
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
        return self._run(contextualized(op, operation="query", table=table_name))

    def query_all(
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
        return list(
            self.iter_query(
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
        )

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
    ) -> Iterator[Any]:
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

    def _iterate(self, walker: MultiQueryWalker, table_name: str) -> Iterator[Any]:
        while not walker.done:
            yield from self._run(
                contextualized(walker.next_items(), operation="iter_query", table=table_name)
            )


# Users import these from dynamorm_py.single_table: tracebacks, reprs and pickles name that module.
DynamormClient.__module__ = "dynamorm_py.single_table"
