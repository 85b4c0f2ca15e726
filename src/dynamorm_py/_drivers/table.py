"""``Table[T]``: the synchronous driver. Each method builds a core operation and runs it with botocore."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .._blocks.retry_policy import RetryPolicy
from .._core.batch import (
    batch_get_op,
    batch_write_op,
    make_backoff,
)
from .._core.context import build_context, contextualized
from .._core.effects import Op
from .._core.fanout import check_max_workers, segment_fan_out, write_fan_out
from .._core.items import (
    MISSING,
    delete_item_op,
    delete_op,
    exists_op,
    get_op,
    put_op,
    update_item_op,
    update_op,
)
from .._core.pacing import Limiter, limited
from .._core.reads import (
    PageRetryPolicy,
    PageWalker,
    QueryArgs,
    ScanArgs,
    all_items_op,
    computed,
    count_op,
    describe_query,
    describe_scan,
    page_op,
    page_with_retry_op,
    walker_op,
)
from .._core.streams import stream_event_op, stream_record_op
from .._core.transactions import transact_get_op, transact_write_op
from ..model import ModelDefinition
from ..transaction import TransactWriteAction
from .explain import Explain
from .sync import library_client, run_fan_out_in_threads, run_sync
from .update_builder import UpdateBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._core.streams import StreamRecord, StreamRecords
    from ..optimizer import QueryShape, ScanShape
    from ..query import FilterExpression, Page, SortKeyCondition

__all__ = ["Table"]

T = TypeVar("T")
R = TypeVar("R")
D = TypeVar("D")


class Table(Generic[T]):
    """A DynamoDB table holding items of one model ``T``.

    Every request is retried on throttling, HTTP 5xx and network failures per the table's ``RetryPolicy``.
    A conditional write whose earlier attempt may have applied recognises its own write and succeeds; when
    a write cannot tell whether it applied, it raises ``OutcomeUnknownError`` (re-read before retrying),
    never ``ConditionFailedError``, which stays the sign of someone else's write.

    Writes take a caller condition as ``condition=`` (the filter objects, e.g.
    ``FilterCondition.eq("status", "open") & ~FilterCondition.exists("closed_at")``: fields checked against
    the model, values encoded like the fields) or as a raw ``condition_expression`` with its placeholder
    maps, not both. It is ANDed with the library's own conditions (``if_not_exists``, the version lock).

    Queries and scans take ``rate_limit=`` (capacity units per second, as PynamoDB's): the request asks for
    ``ReturnConsumedCapacity=TOTAL`` and the walk sleeps between pages so that the capacity consumed stays
    within ``rate_limit`` per second of elapsed time (a parallel scan shares it among its segments).
    """

    def __init__(
        self,
        model: ModelDefinition[T],
        *,
        client: Any | None = None,
        table_name: str | None = None,
        kms_key_arn: str | None = None,
        kms_client: Any | None = None,
        rand_bytes: Callable[[int], bytes] | None = None,
        now: Callable[[], datetime] | None = None,
        cursor_signing_keys: bytes | Sequence[bytes] | None = None,
        accept_unsigned_cursors: bool = False,
        security_validation: bool = True,
        data_key_cache: Any = None,
        retry_policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        """``retry_policy`` sets how throttling, HTTP 5xx and network failures are retried (default
        ``RetryPolicy()``), for DynamoDB and KMS calls alike. Clients built here have botocore's retries off;
        a ``client`` or ``kms_client`` passed in keeps its own, which then stack with the library's: give it
        ``Config(retries={"total_max_attempts": 1})``.

        ``limiter`` (a ``dynamorm_py.protection.SimpleLimiter`` or ``ConcurrencyLimiter``, which several
        tables may share) admits every DynamoDB request, retries and batch chunks included; waiting for it
        is a sleep between requests."""
        self._ctx = build_context(
            model,
            table_name=table_name,
            kms_key_arn=kms_key_arn,
            rand_bytes=rand_bytes,
            now=now,
            cursor_signing_keys=cursor_signing_keys,
            accept_unsigned_cursors=accept_unsigned_cursors,
            security_validation=security_validation,
            key_cache=data_key_cache,
            retry_policy=retry_policy,
            limiter=limiter,
        )
        if client is None:
            client = library_client()
        if kms_client is None and self._ctx.kms_key_arn is not None:
            kms_client = library_client("kms")
        self._client = client
        self._kms_client = kms_client
        self._clients = {"dynamodb": client, "kms": kms_client}

    # properties ------------------------------------------------------------------------------------

    @property
    def model(self) -> ModelDefinition[T]:
        """The model definition this table reads and writes."""
        return self._ctx.model

    @property
    def table_name(self) -> str:
        """The DynamoDB table name requests go to."""
        return self._ctx.table_name

    @property
    def client(self) -> Any:
        """The DynamoDB client the table sends requests through."""
        return self._client

    @property
    def explain(self) -> Explain[T]:
        """Request previews: ``table.explain.put(item)`` returns the request without sending it."""
        return Explain(self._ctx)

    def __repr__(self) -> str:
        return f"Table({self.model.name}, table_name={self.table_name!r})"

    # driver ----------------------------------------------------------------------------------------

    def _run(self, op: Op[R], operation: str, *, sleep: Callable[[float], None] | None = time.sleep) -> R:
        op = contextualized(op, operation=operation, table=self.table_name)
        if self._ctx.limiter is not None:
            op = limited(op, self._ctx.limiter)
        return run_sync(op, clients=self._clients, sleep=sleep)

    # single-item operations ------------------------------------------------------------------------

    def put(
        self,
        item: T,
        *,
        condition: FilterExpression | None = None,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        if_not_exists: bool = False,
    ) -> T:
        """Write ``item``; returns a copy carrying the lifecycle values written."""
        return self._run(
            put_op(
                self._ctx,
                item,
                condition=condition,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                if_not_exists=if_not_exists,
            ),
            "put",
        )

    @overload
    def get(self, pk: Any, sk: Any = None, *, consistent_read: bool = False) -> T: ...

    @overload
    def get(self, pk: Any, sk: Any = None, *, consistent_read: bool = False, default: D) -> T | D: ...

    def get(self, pk: Any, sk: Any = None, *, consistent_read: bool = False, default: Any = MISSING) -> Any:
        """Read one item; a miss raises ``NotFoundError``, or returns ``default`` when one is given.

        On a model with ``matches``, an item of another entity type under this key is a miss too.

        ``pk`` may be a ``(pk, sk)`` tuple, as in ``batch_get``.
        """
        return self._run(get_op(self._ctx, pk, sk, consistent_read=consistent_read, default=default), "get")

    def exists(self, pk: Any, sk: Any = None, *, consistent_read: bool = False) -> bool:
        """Whether the item exists (a GetItem of its key attributes only; ``pk`` may be ``(pk, sk)``)."""
        return self._run(exists_op(self._ctx, pk, sk, consistent_read=consistent_read), "exists")

    def delete(
        self,
        pk: Any,
        sk: Any = None,
        *,
        condition: FilterExpression | None = None,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Delete one item (deleting a missing item is not an error); ``pk`` may be ``(pk, sk)``."""
        self._run(
            delete_op(
                self._ctx,
                pk,
                sk,
                condition=condition,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
            ),
            "delete",
        )

    def delete_item(
        self,
        item: T,
        *,
        condition: FilterExpression | None = None,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> None:
        """``delete`` with the key taken from ``item``; on a versioned model ``expected_version`` defaults to
        the item's version, so a stale instance raises ``ConditionFailedError``."""
        self._run(
            delete_item_op(
                self._ctx,
                item,
                condition=condition,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
            ),
            "delete_item",
        )

    def update(
        self,
        pk: Any,
        sk: Any,
        updates: Mapping[str, Any],
        *,
        condition: FilterExpression | None = None,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        upsert: bool = False,
    ) -> T:
        """Update fields of one item and return the whole new item.

        An update that would create a missing item without some field that has no default (an item the
        model cannot read) requires the item to exist: a missing item is ``NotFoundError`` and nothing is
        written. With ``upsert=True`` such an update is refused before sending (``ValidationError``): the
        item it could create could not be returned; set those fields too, or create the item with ``put``.
        Updates that create readable items stay upserts, as in DynamoDB.
        """
        return self._run(
            update_op(
                self._ctx,
                pk,
                sk,
                updates,
                condition=condition,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
                upsert=upsert,
            ),
            "update",
        )

    def update_item(
        self,
        item: T,
        fields: Sequence[str] | None = None,
        *,
        condition: FilterExpression | None = None,
        condition_expression: str | None = None,
        expression_attribute_names: Mapping[str, str] | None = None,
        expression_attribute_values: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        upsert: bool = False,
    ) -> T:
        """``update`` with the key and values read from ``item`` (all non-key fields by default).

        An instance read through a projection must name its ``fields``: written whole, it would overwrite
        the fields the read did not load with defaults (``ValidationError``, ErrPartialItem).
        """
        return self._run(
            update_item_op(
                self._ctx,
                item,
                fields,
                condition=condition,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
                expected_version=expected_version,
                upsert=upsert,
            ),
            "update_item",
        )

    def update_builder(self, pk: Any, sk: Any = None) -> UpdateBuilder[T]:
        """A fluent update of one item."""
        return UpdateBuilder(self, pk, sk)

    # streams ---------------------------------------------------------------------------------------

    def parse_stream_record(self, record: Mapping[str, Any]) -> StreamRecord[T]:
        """Decode one stream record (Lambda or GetRecords shape) with this table's model, KMS key, KMS
        client and data-key cache; encrypted attributes are decrypted like on a ``get``."""
        return self._run(stream_record_op(self._ctx, record), "parse_stream_record", sleep=None)

    def parse_stream_event(self, event: Mapping[str, Any]) -> StreamRecords[T]:
        """Decode every record of a Lambda stream event ``{"Records": [...]}``, in order; on a model with
        ``matches``, records of other entity types are left out and listed, raw, in the result's ``skipped``
        (``parse_stream_record`` raises ``ValidationError``, ErrUnrecognizedItem, on one)."""
        return self._run(stream_event_op(self._ctx, event), "parse_stream_event", sleep=None)

    # queries and scans -----------------------------------------------------------------------------

    def query(
        self,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        rate_limit: float | None = None,
    ) -> Page[T]:
        """One Query page; its ``next_cursor`` continues the query (``None`` on the last page).

        On a model with ``matches``, ``items`` holds the model's items and ``unrecognized`` the raw items of
        other entity types sharing the table (the ``*_all`` and ``iter_*`` reads leave those out)."""
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
            rate_limit=rate_limit,
        )
        return self._run(page_op(self._ctx, args, op_name="query"), "query")

    def query_all(
        self,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        rate_limit: float | None = None,
    ) -> list[T]:
        """Every item of the query, following cursors to the last page (``limit`` is the page size)."""
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
            rate_limit=rate_limit,
        )
        return self._run(all_items_op(self._ctx, args, op_name="query_all"), "query_all")

    def iter_query(
        self,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        rate_limit: float | None = None,
    ) -> Iterator[T]:
        """The query's items, lazily: a page is fetched only when the previous one is used up.

        The arguments are checked now; nothing is sent before the first item is asked for.
        """
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
            rate_limit=rate_limit,
        )
        walker = self._run(walker_op(self._ctx, args, op_name="iter_query"), "iter_query")
        return self._iterate(walker, "iter_query")

    def query_with_retry(
        self,
        partition: Any,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        scan_forward: bool = True,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        max_retries: int = 5,
        initial_delay_seconds: float = 0.1,
        max_delay_seconds: float = 5.0,
        backoff_factor: float = 2.0,
        retry_on_empty: bool = True,
        retry_on_error: bool = True,
        verify: Callable[[Page[T]], bool] | None = None,
        sleep: Callable[[float], None] | None = time.sleep,
    ) -> Page[T]:
        """``query`` retried until ``verify(page)`` holds (by default: until a page is not empty)."""
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
        policy = PageRetryPolicy(
            max_retries=max_retries,
            initial_delay_seconds=initial_delay_seconds,
            max_delay_seconds=max_delay_seconds,
            backoff_factor=backoff_factor,
            retry_on_empty=retry_on_empty,
            retry_on_error=retry_on_error,
            verify=verify,
        )
        op = page_with_retry_op(self._ctx, args, policy, op_name="query_with_retry")
        return self._run(op, "query_with_retry", sleep=sleep)

    def describe_query(
        self,
        partition: Any = None,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        scan_forward: bool = True,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
    ) -> QueryShape:
        """The query's shape for ``QueryOptimizer``; no I/O, and a missing partition is not an error."""
        return self._run(
            computed(
                lambda: describe_query(
                    self._ctx,
                    partition,
                    sort=sort,
                    index_name=index_name,
                    scan_forward=scan_forward,
                    consistent_read=consistent_read,
                    projection=projection,
                    filter=filter,
                )
            ),
            "describe_query",
        )

    def scan(
        self,
        *,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        rate_limit: float | None = None,
    ) -> Page[T]:
        """One Scan page (of one segment when ``segment``/``total_segments`` are given)."""
        args = ScanArgs(
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
            segment=segment,
            total_segments=total_segments,
            rate_limit=rate_limit,
        )
        return self._run(page_op(self._ctx, args, op_name="scan"), "scan")

    def scan_all(
        self,
        *,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        rate_limit: float | None = None,
    ) -> list[T]:
        """Every item of the scan, following cursors to the last page (``limit`` is the page size)."""
        args = ScanArgs(
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
            segment=segment,
            total_segments=total_segments,
            rate_limit=rate_limit,
        )
        return self._run(all_items_op(self._ctx, args, op_name="scan_all"), "scan_all")

    def iter_scan(
        self,
        *,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        rate_limit: float | None = None,
    ) -> Iterator[T]:
        """The scan's items, lazily: a page is fetched only when the previous one is used up."""
        args = ScanArgs(
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
            segment=segment,
            total_segments=total_segments,
            rate_limit=rate_limit,
        )
        walker = self._run(walker_op(self._ctx, args, op_name="iter_scan"), "iter_scan")
        return self._iterate(walker, "iter_scan")

    def scan_with_retry(
        self,
        *,
        index_name: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        max_retries: int = 5,
        initial_delay_seconds: float = 0.1,
        max_delay_seconds: float = 5.0,
        backoff_factor: float = 2.0,
        retry_on_empty: bool = True,
        retry_on_error: bool = True,
        verify: Callable[[Page[T]], bool] | None = None,
        sleep: Callable[[float], None] | None = time.sleep,
    ) -> Page[T]:
        """``scan`` retried as ``query_with_retry`` retries ``query``."""
        args = ScanArgs(
            index_name=index_name,
            limit=limit,
            cursor=cursor,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
        )
        policy = PageRetryPolicy(
            max_retries=max_retries,
            initial_delay_seconds=initial_delay_seconds,
            max_delay_seconds=max_delay_seconds,
            backoff_factor=backoff_factor,
            retry_on_empty=retry_on_empty,
            retry_on_error=retry_on_error,
            verify=verify,
        )
        op = page_with_retry_op(self._ctx, args, policy, op_name="scan_with_retry")
        return self._run(op, "scan_with_retry", sleep=sleep)

    def describe_scan(
        self,
        *,
        index_name: str | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
    ) -> ScanShape:
        """The scan's shape for ``QueryOptimizer``; no I/O."""
        return self._run(
            computed(
                lambda: describe_scan(
                    self._ctx,
                    index_name=index_name,
                    consistent_read=consistent_read,
                    projection=projection,
                    filter=filter,
                    segment=segment,
                    total_segments=total_segments,
                )
            ),
            "describe_scan",
        )

    def scan_all_segments(
        self,
        *,
        total_segments: int,
        index_name: str | None = None,
        limit: int | None = None,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        filter: FilterExpression | None = None,
        max_workers: int | None = None,
        rate_limit: float | None = None,
    ) -> list[T]:
        """A parallel scan: every segment read to its end in a thread pool, results in segment order.

        ``max_workers`` defaults to ``total_segments``. The first error in segment order propagates (the
        segments not started yet are cancelled).
        """
        args = ScanArgs(
            index_name=index_name,
            limit=limit,
            consistent_read=consistent_read,
            projection=projection,
            filter=filter,
            rate_limit=rate_limit,
        )
        fan_out = segment_fan_out(
            self._ctx,
            args,
            total_segments=total_segments,
            max_workers=max_workers,
            op_name="scan_all_segments",
        )
        return run_fan_out_in_threads(
            fan_out,
            clients=self._clients,
            sleep=time.sleep,
            thread_name_prefix="dynamorm-scan",
            limiter=self._ctx.limiter,
        )

    def count(
        self,
        partition: Any = None,
        *,
        sort: SortKeyCondition | None = None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter: FilterExpression | None = None,
    ) -> int:
        """The number of matching items (``Select=COUNT``): over a query when ``partition`` is given, else
        over a scan, summed over every page.

        This is DynamoDB's count: on a model with ``matches`` it includes the items of other entity types
        sharing the table (a predicate runs on items, and a count reads none); narrow it with ``sort``."""
        op = count_op(
            self._ctx,
            partition,
            sort=sort,
            index_name=index_name,
            consistent_read=consistent_read,
            filter=filter,
            op_name="count",
        )
        return self._run(op, "count")

    def _iterate(self, walker: PageWalker[T], operation: str) -> Iterator[T]:
        while not walker.done:
            yield from self._run(walker.next_items(), operation)

    # batches and transactions ----------------------------------------------------------------------

    def batch_get(
        self,
        keys: Sequence[Any],
        *,
        consistent_read: bool = False,
        projection: Sequence[str] | None = None,
        max_retries: int = 5,
        sleep: Callable[[float], None] | None = time.sleep,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> list[T]:
        """Read many items, 100 keys per request: duplicates removed, results in first-appearance key order,
        missing keys absent (on a model with ``matches``, keys holding another entity type's item too).

        Unprocessed keys and throttling are retried ``max_retries`` times per chunk with full-jitter
        backoff (``rand_uniform(0, bound)``, default ``random.uniform``; ``sleep=None`` does not wait).
        When the batch cannot finish, ``BatchRetryExceededError`` (or its subclass
        ``BatchInterruptedError``) carries the keys not read and the items read, so nothing is lost.
        """
        op = batch_get_op(
            self._ctx,
            keys,
            consistent_read=consistent_read,
            projection=projection,
            max_retries=max_retries,
            backoff=make_backoff(rand_uniform, self._ctx.retry),
        )
        return self._run(op, "batch_get", sleep=sleep)

    def batch_write(
        self,
        *,
        puts: Iterable[T] = (),
        deletes: Iterable[Any] = (),
        max_retries: int = 5,
        sleep: Callable[[float], None] | None = time.sleep,
        max_workers: int | None = None,
        rand_uniform: Callable[[float, float], float] | None = None,
    ) -> None:
        """Put ``puts`` then delete ``deletes``, 25 requests per BatchWriteItem, lifecycle fields set with
        one *now* for the whole call.

        Duplicate keys are rejected before anything is sent. Retries as ``batch_get``; whatever is not
        written is returned on ``BatchRetryExceededError`` / ``BatchInterruptedError`` as the very objects
        and keys passed. ``max_workers`` > 1 sends that many chunks at a time from a thread pool.
        """
        backoff = make_backoff(rand_uniform, self._ctx.retry)
        if max_workers is not None:
            check_max_workers(max_workers, operation="batch_write", table=self.table_name)
        if max_workers is None or max_workers == 1:
            op = batch_write_op(self._ctx, puts, deletes, max_retries=max_retries, backoff=backoff)
            self._run(op, "batch_write", sleep=sleep)
            return
        fan_out = write_fan_out(
            self._ctx, puts, deletes, max_retries=max_retries, backoff=backoff, max_workers=max_workers
        )
        run_fan_out_in_threads(
            fan_out,
            clients=self._clients,
            sleep=sleep,
            thread_name_prefix="dynamorm-batch",
            limiter=self._ctx.limiter,
        )

    def transact_write(
        self,
        actions: Sequence[TransactWriteAction[T]],
        *,
        client_request_token: str | None = None,
        max_conflict_retries: int = 0,
        sleep: Callable[[float], None] | None = time.sleep,
    ) -> None:
        """One TransactWriteItems call of 1-100 actions on this table (docs/wire-format.md §8.4).

        A cancellation raises ``ConditionFailedError`` (any condition failed) or ``TransactionCanceledError``,
        both with one ``CancellationReason`` per action. Pure ``TransactionConflict`` cancellations are
        retried ``max_conflict_retries`` times with the same ``ClientRequestToken`` (default: a fresh UUID4).
        """
        op = transact_write_op(
            self._ctx,
            actions,
            client_request_token=client_request_token,
            max_conflict_retries=max_conflict_retries,
        )
        self._run(op, "transact_write", sleep=sleep)

    def transact_get(self, keys: Sequence[Any], *, projection: Sequence[str] | None = None) -> list[T | None]:
        """One TransactGetItems call of 1-100 keys: results in key order, ``None`` for a missing item (and,
        on a model with ``matches``, for an item of another entity type)."""
        return self._run(transact_get_op(self._ctx, keys, projection=projection), "transact_get")

    # Upstream's private conversion helpers, kept for code and tests written against it: thin aliases of
    # the model's public conversions and of the update preview. No I/O, so they are plain methods.

    def _to_item(self, item: T) -> dict[str, Any]:
        """``self.model.to_item(item)``: the stored form of ``item``, lifecycle fields as they are."""
        return self.model.to_item(item)

    def _from_item(self, item: Mapping[str, Any]) -> T:
        """``self.model.from_item(item)``: a model instance from a stored item."""
        return self.model.from_item(item)

    def _to_key(self, pk: Any, sk: Any = None) -> dict[str, Any]:
        """``self.model.key(pk, sk)``: the primary key map."""
        return self.model.key(pk, sk)

    def _build_update_request(self, pk: Any, sk: Any, updates: Mapping[str, Any]) -> dict[str, Any]:
        """The UpdateItem kwargs ``update(pk, sk, updates)`` would send (``explain.update(...).params``)."""
        return self.explain.update(pk, sk, updates).params


# Users import these from dynamorm_py.table: tracebacks, reprs and pickles name that module.
Table.__module__ = "dynamorm_py.table"
