"""``Table[T]``: the synchronous driver. Each method builds a core operation and runs it with botocore."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ._attempts import DEFAULT_POLICY, RetryPolicy
from ._context import TableContext, contextualized
from ._core import Op, PreparedRequest, run_explain, run_sync
from ._crud import MISSING, delete_item_op, delete_op, exists_op, get_op, put_op, update_item_op, update_op
from ._query import (
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
    segment_plan,
    walker_op,
)
from .batch import (
    Backoff,
    ChunkResult,
    WriteChunk,
    WriteSource,
    batch_get_op,
    batch_write_op,
    check_max_retries,
    make_backoff,
    write_chunk_op,
    write_failure,
)
from .cursor import normalize_signing_keys
from .errors import (
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ValidationError,
)
from .model import ModelDefinition
from .transact import transact_get_op, transact_write_op
from .transaction import TransactWriteAction
from .validation import validate_table_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .optimizer import QueryShape, ScanShape
    from .query import FilterExpression, Page, SortKeyCondition
    from .streams import StreamRecord
    from .update_builder import UpdateBuilder

__all__ = ["Table"]

T = TypeVar("T")
R = TypeVar("R")
D = TypeVar("D")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_context(
    model: ModelDefinition[T],
    *,
    table_name: str | None,
    kms_key_arn: str | None,
    rand_bytes: Callable[[int], bytes] | None,
    now: Callable[[], datetime] | None,
    cursor_signing_keys: bytes | Sequence[bytes] | None,
    accept_unsigned_cursors: bool,
    security_validation: bool,
    key_cache: Any = None,
    retry_policy: RetryPolicy | None = None,
) -> TableContext[T]:
    """Validate the table settings shared by ``Table`` and ``AsyncTable``."""
    if not isinstance(model, ModelDefinition):
        raise ValidationError("Table needs a ModelDefinition (use ModelDefinition.from_dataclass)")
    name = table_name or model.table_name
    if not name:
        raise ValidationError("no table name: pass table_name or set it on the model")
    if security_validation:
        validate_table_name(name)
    arn = (kms_key_arn or "").strip() or None
    if model.codec.encrypted and arn is None:
        raise EncryptionNotConfiguredError(
            "the model has encrypted fields but no kms_key_arn was given", table=name
        )
    if key_cache is not None:
        from .encryption import DataKeyCache  # imported here: only encrypting tables need cryptography

        if not isinstance(key_cache, DataKeyCache):
            raise ValidationError(
                "data_key_cache must be a dynamorm_py.encryption.DataKeyCache or None",
                code=ERR_INVALID_VALUE,
                table=name,
            )
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise ValidationError(
            "retry_policy must be a dynamorm_py.RetryPolicy or None",
            code=ERR_INVALID_VALUE,
            table=name,
            field="retry_policy",
        )
    try:
        signing_keys = normalize_signing_keys(cursor_signing_keys)
    except ValidationError as exc:
        exc.with_context(table=name)
        raise
    return TableContext(
        model=model,
        table_name=name,
        now=now or _utc_now,
        rand_bytes=rand_bytes or os.urandom,
        kms_key_arn=arn,
        key_cache=key_cache,
        security=security_validation,
        signing_keys=signing_keys,
        accept_unsigned_cursors=accept_unsigned_cursors,
        retry=retry_policy or DEFAULT_POLICY,
    )


def library_client(service: Literal["dynamodb", "kms"] = "dynamodb") -> Any:
    """A boto3 client whose own retries are off: the library retries, and sees every attempt's outcome."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


class Table(Generic[T]):
    """A DynamoDB table holding items of one model ``T``.

    Every request is retried on throttling, HTTP 5xx and network failures per the table's ``RetryPolicy``.
    A conditional write whose earlier attempt may have applied recognises its own write and succeeds; when
    a write cannot tell whether it applied, it raises ``OutcomeUnknownError`` (re-read before retrying),
    never ``ConditionFailedError``, which stays the sign of someone else's write.
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
    ) -> None:
        """``retry_policy`` sets how throttling, HTTP 5xx and network failures are retried (default
        ``RetryPolicy()``), for DynamoDB and KMS calls alike. Clients built here have botocore's retries off;
        a ``client`` or ``kms_client`` passed in keeps its own, which then stack with the library's: give it
        ``Config(retries={"total_max_attempts": 1})``."""
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
        )
        if client is None:
            client = library_client()
        if kms_client is None and self._ctx.kms_key_arn is not None:
            kms_client = library_client("kms")
        self._client = client
        self._kms_client = kms_client

    # properties ------------------------------------------------------------------------------------

    @property
    def model(self) -> ModelDefinition[T]:
        return self._ctx.model

    @property
    def table_name(self) -> str:
        return self._ctx.table_name

    @property
    def client(self) -> Any:
        return self._client

    @property
    def explain(self) -> Explain[T]:
        """Request previews: ``table.explain.put(item)`` returns the request without sending it."""
        return Explain(self._ctx)

    def __repr__(self) -> str:
        return f"Table({self.model.name}, table_name={self.table_name!r})"

    # driver ----------------------------------------------------------------------------------------

    def _run(self, op: Op[R], operation: str, *, sleep: Callable[[float], None] | None = time.sleep) -> R:
        clients = {"dynamodb": self._client, "kms": self._kms_client}
        return run_sync(
            contextualized(op, operation=operation, table=self.table_name), clients=clients, sleep=sleep
        )

    # single-item operations ------------------------------------------------------------------------

    def put(
        self,
        item: T,
        *,
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
        from .update_builder import UpdateBuilder

        return UpdateBuilder(self, pk, sk)

    # streams ---------------------------------------------------------------------------------------

    def parse_stream_record(self, record: Mapping[str, Any]) -> StreamRecord[T]:
        """Decode one stream record (Lambda or GetRecords shape) with this table's model, KMS key, KMS
        client and data-key cache; encrypted attributes are decrypted like on a ``get``."""
        from .streams import stream_record_op

        return self._run(stream_record_op(self._ctx, record), "parse_stream_record", sleep=None)

    def parse_stream_event(self, event: Mapping[str, Any]) -> list[StreamRecord[T]]:
        """Decode every record of a Lambda stream event ``{"Records": [...]}``, in order."""
        from .streams import stream_event_op

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
    ) -> Page[T]:
        """One Query page; its ``next_cursor`` continues the query (``None`` on the last page)."""
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
        )
        operation = "scan_all_segments"
        plan = self._run(
            computed(
                lambda: segment_plan(self._ctx, args, total_segments=total_segments, max_workers=max_workers)
            ),
            operation,
        )
        pool = ThreadPoolExecutor(max_workers=plan.max_workers, thread_name_prefix="dynamorm-scan")
        try:
            futures = [
                pool.submit(self._run, all_items_op(self._ctx, segment, op_name=operation), operation)
                for segment in plan.segments
            ]
            return [item for future in futures for item in future.result()]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

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
        over a scan, summed over every page."""
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
        missing keys absent.

        Unprocessed keys and throttling are retried ``max_retries`` times per chunk with full-jitter
        backoff (``rand_uniform(0, bound)``, default ``random.uniform``; ``sleep=None`` does not wait).
        When the batch cannot finish, ``BatchRetryExceededError`` (or its subclass
        ``BatchInterruptedError``) carries the keys not read and the items read (api.md §2.5).
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
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise ValidationError(
                "max_workers must be an int >= 1",
                code=ERR_INVALID_OPERATOR,
                operation="batch_write",
                table=self.table_name,
            )
        if max_workers is None or max_workers == 1:
            op = batch_write_op(self._ctx, puts, deletes, max_retries=max_retries, backoff=backoff)
            self._run(op, "batch_write", sleep=sleep)
            return
        self._batch_write_concurrently(
            puts, deletes, max_retries=max_retries, sleep=sleep, max_workers=max_workers, backoff=backoff
        )

    def _batch_write_concurrently(
        self,
        puts: Iterable[T],
        deletes: Iterable[Any],
        *,
        max_retries: int,
        sleep: Callable[[float], None] | None,
        max_workers: int,
        backoff: Backoff,
    ) -> None:
        """``batch_write`` with chunks sent from a thread pool; each chunk runs the core's chunk operation.

        At most ``2 * max_workers`` chunks are built ahead, so the input is still consumed chunk by chunk;
        after the first failure no new chunk is started, the chunks in flight finish, and the leftovers of
        every failed chunk (in chunk order) plus everything never sent make the error.
        """
        ctx = self._ctx
        try:
            check_max_retries(max_retries)
            source = WriteSource(ctx, puts, deletes)
            now = ctx.read_clock()
        except DynamormPyError as exc:
            exc.with_context(operation="batch_write", table=self.table_name)
            raise
        clients = {"dynamodb": self._client, "kms": self._kms_client}

        def send(chunk: WriteChunk) -> ChunkResult:
            op = write_chunk_op(ctx, chunk, now=now, max_retries=max_retries, backoff=backoff)
            return run_sync(op, clients=clients, sleep=sleep)

        failed: list[ChunkResult] = []
        in_flight: deque[tuple[WriteChunk, Future[ChunkResult]]] = deque()
        more = True
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="dynamorm-batch") as pool:
            while True:
                while more and not failed and len(in_flight) < 2 * max_workers:
                    try:
                        chunk = source.next_chunk()
                    except Exception as exc:  # a bad item or the caller's iterator: in-flight chunks finish
                        failed.append(ChunkResult(source.chunks_handed_out, error=exc))
                        break
                    if chunk is None:
                        more = False
                    else:
                        in_flight.append((chunk, pool.submit(send, chunk)))
                if not in_flight:
                    break
                chunk, future = in_flight.popleft()
                try:
                    result = future.result()
                except Exception as exc:  # not from the core (which returns its errors): keep the chunk
                    result = ChunkResult(chunk.index, list(chunk.puts), list(chunk.deletes), exc)
                if not result.complete:
                    failed.append(result)
        if failed:
            error = write_failure(ctx, failed, source.drain())
            raise error from error.__cause__

    def transact_write(
        self,
        actions: Sequence[TransactWriteAction[T]],
        *,
        client_request_token: str | None = None,
        max_conflict_retries: int = 0,
        sleep: Callable[[float], None] | None = time.sleep,
    ) -> None:
        """One TransactWriteItems call of 1-100 actions on this table (api.md §2.7, wire-format.md §8.4).

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
        """One TransactGetItems call of 1-100 keys: results in key order, ``None`` for a missing item."""
        return self._run(transact_get_op(self._ctx, keys, projection=projection), "transact_get")


class Explain(Generic[T]):
    """``table.explain``: the exact requests operations would send, without I/O (api.md §3.7)."""

    def __init__(self, ctx: TableContext[T]) -> None:
        self._ctx = ctx

    def _one(self, build: Callable[[TableContext[T]], Op[Any]], operation: str) -> PreparedRequest:
        requests = self._all(build, operation, collect_all=False)
        return requests[0]

    def _all(
        self, build: Callable[[TableContext[T]], Op[Any]], operation: str, *, collect_all: bool = True
    ) -> list[PreparedRequest]:
        log: list[str] = []
        ctx = dataclasses.replace(self._ctx, explain_log=log)
        requests = run_explain(
            contextualized(build(ctx), operation=operation, table=ctx.table_name), collect_all=collect_all
        )
        encrypted = tuple(dict.fromkeys(log))
        return [dataclasses.replace(r, encrypted_attributes=encrypted) for r in requests]

    def put(self, item: T, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: put_op(ctx, item, **kwargs), "put")

    def get(
        self, pk: Any, sk: Any = None, *, consistent_read: bool = False, default: Any = MISSING
    ) -> PreparedRequest:
        return self._one(
            lambda ctx: get_op(ctx, pk, sk, consistent_read=consistent_read, default=default), "get"
        )

    def exists(self, pk: Any, sk: Any = None, *, consistent_read: bool = False) -> PreparedRequest:
        return self._one(lambda ctx: exists_op(ctx, pk, sk, consistent_read=consistent_read), "exists")

    def delete(self, pk: Any, sk: Any = None, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: delete_op(ctx, pk, sk, **kwargs), "delete")

    def delete_item(self, item: T, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: delete_item_op(ctx, item, **kwargs), "delete_item")

    def update(self, pk: Any, sk: Any, updates: Mapping[str, Any], **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: update_op(ctx, pk, sk, updates, **kwargs), "update")

    def update_item(self, item: T, fields: Sequence[str] | None = None, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: update_item_op(ctx, item, fields, **kwargs), "update_item")

    def query(self, partition: Any, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: page_op(ctx, QueryArgs(partition, **kwargs), op_name="query"), "query")

    def scan(self, **kwargs: Any) -> PreparedRequest:
        return self._one(lambda ctx: page_op(ctx, ScanArgs(**kwargs), op_name="scan"), "scan")

    def batch_get(
        self, keys: Sequence[Any], *, consistent_read: bool = False, projection: Sequence[str] | None = None
    ) -> list[PreparedRequest]:
        """One BatchGetItem request per chunk of 100 distinct keys (first attempt)."""
        return self._all(
            lambda ctx: batch_get_op(ctx, keys, consistent_read=consistent_read, projection=projection),
            "batch_get",
        )

    def batch_write(self, *, puts: Iterable[T] = (), deletes: Iterable[Any] = ()) -> list[PreparedRequest]:
        """One BatchWriteItem request per chunk of 25 (first attempt)."""
        return self._all(lambda ctx: batch_write_op(ctx, puts, deletes), "batch_write")

    def transact_write(
        self, actions: Sequence[TransactWriteAction[T]], *, client_request_token: str | None = None
    ) -> PreparedRequest:
        """The TransactWriteItems request (a fresh token is generated when none is given)."""
        return self._one(
            lambda ctx: transact_write_op(ctx, actions, client_request_token=client_request_token),
            "transact_write",
        )

    def transact_get(
        self, keys: Sequence[Any], *, projection: Sequence[str] | None = None
    ) -> PreparedRequest:
        """The TransactGetItems request."""
        return self._one(lambda ctx: transact_get_op(ctx, keys, projection=projection), "transact_get")
