"""Query and scan as sans-I/O operations: request builders, pages, full walks, counts, retries and shapes.

The builders are pure: they check every rule of docs/wire-format.md §8.2 and return the exact kwargs of
``client.query`` / ``client.scan`` (docs/wire-format.md §6), so a bad input fails before any call. The
operations yield one ``query``/``scan`` call per page; :class:`PageWalker` follows ``LastEvaluatedKey`` one
page at a time, so the drivers can either collect every page (``query_all``) or fetch lazily (``iter_query``).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from .._blocks.codec import AV, ModelCodec
from .._blocks.cursor import (
    issue_cursor,
    resolve_cursor,
    validate_cursor_for_request,
    validate_cursor_keys,
)
from .._blocks.filters import FilterCondition, FilterExpression, FilterGroup, build_filter
from .._blocks.key_conditions import KeyCondition, KeySchema, SortKeyCondition, build_key_condition
from .._blocks.model import ModelDefinition
from .._blocks.page import Page
from .._blocks.projections import build_projection
from .._blocks.terms import ExpressionParts, invalid_operator
from ..errors import (
    ERR_INDEX_NOT_FOUND,
    ERR_MISSING_PRIMARY_KEY,
    ERR_RETRY_EXHAUSTED,
    ValidationError,
)
from ..optimizer import QueryShape, ScanShape
from ..validation import validate_index_name
from .context import TableContext
from .effects import Op, Sleep
from .pacing import CapacityPace, check_rate_limit
from .retries import retried_call

__all__ = [
    "MAX_TOTAL_SEGMENTS",
    "KeySchema",
    "PageWalker",
    "QueryArgs",
    "ReadRequest",
    "PageRetryPolicy",
    "ScanArgs",
    "SegmentPlan",
    "all_items_op",
    "build_count_request",
    "build_query_request",
    "build_scan_request",
    "computed",
    "count_op",
    "describe_query",
    "describe_scan",
    "fetch_response",
    "next_page_cursor",
    "page_op",
    "page_with_retry_op",
    "read_request",
    "resolve_key_schema",
    "segment_plan",
    "walker_op",
]

T = TypeVar("T")
R = TypeVar("R")

ReadOperation = Literal["query", "scan"]

MAX_TOTAL_SEGMENTS = 1_000_000
# --- arguments ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryArgs:
    """The arguments of ``Table.query`` (and of every query-based operation)."""

    partition: Any
    sort: SortKeyCondition | None = None
    index_name: str | None = None
    limit: int | None = None
    cursor: str | None = None
    scan_forward: bool = True
    consistent_read: bool = False
    projection: Sequence[str] | None = None
    filter: FilterExpression | None = None
    rate_limit: float | None = None


@dataclass(frozen=True)
class ScanArgs:
    """The arguments of ``Table.scan`` (and of every scan-based operation)."""

    index_name: str | None = None
    limit: int | None = None
    cursor: str | None = None
    consistent_read: bool = False
    projection: Sequence[str] | None = None
    filter: FilterExpression | None = None
    segment: int | None = None
    total_segments: int | None = None
    rate_limit: float | None = None


@dataclass(frozen=True)
class ReadRequest:
    """A built request: the client method, its kwargs, what a cursor issued from its pages carries, and the
    capacity units per second its pages may consume (``None``: unpaced)."""

    operation: ReadOperation
    params: dict[str, Any]
    index_name: str | None
    sort: str | None
    rate_limit: float | None = None

    def continued(self, last_key: Mapping[str, Any]) -> ReadRequest:
        """The same request from after ``last_key`` (the previous page's ``LastEvaluatedKey``)."""
        return replace(self, params=dict(self.params, ExclusiveStartKey=last_key))


# --- key schema -----------------------------------------------------------------------------------------


# Key schemas per model codec and index name (None: the table), built once: the key types come from the
# model's annotations, which are too slow to resolve on every request.
_KEY_SCHEMAS: weakref.WeakKeyDictionary[ModelCodec, dict[str | None, KeySchema]] = weakref.WeakKeyDictionary()


def resolve_key_schema(ctx: TableContext[Any], index_name: str | None) -> KeySchema:
    """The table's keys (``index_name`` None or ``""``) or the named index's; unknown -> ErrIndexNotFound."""
    if index_name is not None:
        if ctx.security:
            validate_index_name(index_name)
        if index_name == "":
            index_name = None
        elif not isinstance(index_name, str):
            raise ValidationError(f"unknown index {index_name!r}", code=ERR_INDEX_NOT_FOUND)
    codec = ctx.codec
    schemas = _KEY_SCHEMAS.get(codec)
    if schemas is None:
        schemas = _KEY_SCHEMAS.setdefault(codec, {})
    schema = schemas.get(index_name)
    if schema is None:
        schema = schemas[index_name] = _build_key_schema(ctx.model, index_name)
    return schema


def _build_key_schema(model: ModelDefinition[Any], index_name: str | None) -> KeySchema:
    codec = model.codec
    table_keys = [f.attribute_name for f in (codec.pk, codec.sk) if f is not None]
    if index_name is None:
        return KeySchema(None, codec.pk, codec.sk, {a: model.attribute_type(a) for a in table_keys})
    index = model.index(index_name)
    if index is None:
        raise ValidationError(f"unknown index {index_name!r}", code=ERR_INDEX_NOT_FOUND)
    sort = codec.by_attribute[index.sort] if index.sort is not None else None
    attributes = dict.fromkeys([index.partition, *([index.sort] if index.sort else []), *table_keys])
    cursor_keys = {a: model.attribute_type(a) for a in attributes}
    return KeySchema(index, codec.by_attribute[index.partition], sort, cursor_keys)


# --- request builders -----------------------------------------------------------------------------------


def _check_read_options(schema: KeySchema, *, consistent_read: bool, limit: int | None) -> None:
    if consistent_read and schema.index_type == "GSI":
        raise invalid_operator("consistent reads are not supported on a global secondary index")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
        raise invalid_operator("limit must be a positive int")


def _start_key(
    ctx: TableContext[Any],
    cursor: str | None,
    *,
    schema: KeySchema,
    scan_forward: bool | None,
    key_condition: KeyCondition | None = None,
) -> dict[str, Any] | None:
    """The ExclusiveStartKey of a caller's cursor, checked against the request it continues (a query's
    ``key_condition``; ``None`` for a scan, where only the key attributes can be checked)."""
    if cursor is None:
        return None
    decoded = resolve_cursor(
        cursor,
        table_name=ctx.table_name,
        signing_keys=ctx.signing_keys,
        accept_unsigned=ctx.accept_unsigned_cursors,
    )
    validate_cursor_for_request(decoded, index_name=schema.index_name, scan_forward=scan_forward)
    partition = sort = None
    if key_condition is not None:
        partition = (schema.partition.attribute_name, key_condition.values[":pk"])
        if key_condition.sort_op is not None and schema.sort is not None:
            sort = (schema.sort.attribute_name, key_condition.sort_op, key_condition.sort_operands)
    validate_cursor_keys(
        decoded, key_types=schema.cursor_keys, partition=partition, sort=sort, where=schema.where
    )
    return decoded.last_key


def _add_read_options(
    ctx: TableContext[Any],
    params: dict[str, Any],
    names: dict[str, str],
    values: dict[str, AV],
    *,
    schema: KeySchema,
    limit: int | None,
    start_key: dict[str, Any] | None,
    projection: Sequence[str] | None,
    filter: FilterExpression | None,
) -> None:
    """The optional members shared by query and scan, in a fixed order (tests compare requests), if set."""
    codec = ctx.codec
    projection_expression, projection_names = (
        build_projection(codec, projection, security=ctx.security) if projection else ("", {})
    )
    filter_expression, filter_parts = (
        build_filter(codec, filter, security=ctx.security) if filter is not None else ("", ExpressionParts())
    )
    if schema.index is not None:
        params["IndexName"] = schema.index.name
    if limit is not None:
        params["Limit"] = limit
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    if projection_expression:
        if ctx.model.matches is not None:
            projection_expression = ctx.project_for_matches(projection_expression, projection_names)
        params["ProjectionExpression"] = projection_expression
        names.update(projection_names)
    if filter_expression:
        params["FilterExpression"] = filter_expression
        _merge_parts(names, values, filter_parts)


def _merge_parts(names: dict[str, str], values: dict[str, AV], parts: ExpressionParts) -> None:
    names.update(parts.names)
    values.update(parts.values)


def _query_request(ctx: TableContext[Any], args: QueryArgs) -> ReadRequest:
    schema = resolve_key_schema(ctx, args.index_name)
    consistent_read = bool(args.consistent_read)
    scan_forward = bool(args.scan_forward)
    _check_read_options(schema, consistent_read=consistent_read, limit=args.limit)
    key_condition = build_key_condition(ctx.codec, schema, args.partition, args.sort)
    names, values = key_condition.names, key_condition.values
    start_key = _start_key(
        ctx, args.cursor, schema=schema, scan_forward=scan_forward, key_condition=key_condition
    )
    params: dict[str, Any] = {
        "TableName": ctx.table_name,
        "KeyConditionExpression": key_condition.expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": scan_forward,
        "ConsistentRead": consistent_read,
    }
    _add_read_options(
        ctx,
        params,
        names,
        values,
        schema=schema,
        limit=args.limit,
        start_key=start_key,
        projection=args.projection,
        filter=args.filter,
    )
    rate_limit = _paced(params, args.rate_limit)
    return ReadRequest("query", params, schema.index_name, "ASC" if scan_forward else "DESC", rate_limit)


def _paced(params: dict[str, Any], rate_limit: Any) -> float | None:
    """A rate-limited read asks DynamoDB for the capacity each page consumed, to pace the next one."""
    if rate_limit is None:
        return None
    rate = check_rate_limit(rate_limit)
    params["ReturnConsumedCapacity"] = "TOTAL"
    return rate


def _check_segments(segment: int | None, total_segments: int | None) -> None:
    if segment is None and total_segments is None:
        return
    if segment is None or total_segments is None:
        raise invalid_operator("segment and total_segments must be given together")
    for value in (segment, total_segments):
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_operator("segment and total_segments must be ints")
    if not 1 <= total_segments <= MAX_TOTAL_SEGMENTS:
        raise invalid_operator(f"total_segments must be between 1 and {MAX_TOTAL_SEGMENTS}")
    if not 0 <= segment < total_segments:
        raise invalid_operator("segment must be between 0 and total_segments - 1")


def _scan_request(ctx: TableContext[Any], args: ScanArgs) -> ReadRequest:
    schema = resolve_key_schema(ctx, args.index_name)
    consistent_read = bool(args.consistent_read)
    _check_read_options(schema, consistent_read=consistent_read, limit=args.limit)
    _check_segments(args.segment, args.total_segments)
    # A cursor says nothing of its segment (DynamoDB hashes keys to segments privately): in a parallel
    # scan too, only its key attributes can be checked.
    start_key = _start_key(ctx, args.cursor, schema=schema, scan_forward=None)
    params: dict[str, Any] = {"TableName": ctx.table_name, "ConsistentRead": consistent_read}
    names: dict[str, str] = {}
    values: dict[str, AV] = {}
    _add_read_options(
        ctx,
        params,
        names,
        values,
        schema=schema,
        limit=args.limit,
        start_key=start_key,
        projection=args.projection,
        filter=args.filter,
    )
    if args.segment is not None and args.total_segments is not None:
        params["Segment"] = args.segment
        params["TotalSegments"] = args.total_segments
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = values
    return ReadRequest("scan", params, schema.index_name, None, _paced(params, args.rate_limit))


def read_request(ctx: TableContext[Any], args: QueryArgs | ScanArgs) -> ReadRequest:
    """Check ``args`` and build the request of its first page."""
    if isinstance(args, QueryArgs):
        return _query_request(ctx, args)
    return _scan_request(ctx, args)


def build_query_request(
    ctx: TableContext[Any],
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
) -> dict[str, Any]:
    """The exact kwargs of ``client.query`` for ``Table.query`` with these arguments."""
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
    return _query_request(ctx, args).params


def build_scan_request(
    ctx: TableContext[Any],
    *,
    index_name: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    consistent_read: bool = False,
    projection: Sequence[str] | None = None,
    filter: FilterExpression | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
) -> dict[str, Any]:
    """The exact kwargs of ``client.scan`` for ``Table.scan`` with these arguments."""
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
    return _scan_request(ctx, args).params


def build_count_request(
    ctx: TableContext[Any],
    partition: Any = None,
    *,
    sort: SortKeyCondition | None = None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter: FilterExpression | None = None,
) -> ReadRequest:
    """``Select=COUNT`` over a query when ``partition`` is given, else over a scan."""
    args: QueryArgs | ScanArgs
    if partition is not None:
        args = QueryArgs(
            partition, sort=sort, index_name=index_name, consistent_read=consistent_read, filter=filter
        )
    elif sort is not None:
        raise ValidationError("a sort condition needs a partition key value", code=ERR_MISSING_PRIMARY_KEY)
    else:
        args = ScanArgs(index_name=index_name, consistent_read=consistent_read, filter=filter)
    request = read_request(ctx, args)
    request.params["Select"] = "COUNT"
    return request


# --- operations -----------------------------------------------------------------------------------------


def computed(compute: Callable[[], R]) -> Op[R]:
    """An operation without effects: ``compute()`` runs when a driver runs it, inside its error context."""
    yield from ()
    return compute()


def fetch_response(ctx: TableContext[Any], request: ReadRequest, op_name: str) -> Op[dict[str, Any]]:
    """Send one Query/Scan request (retried per the table's policy) and return the raw response."""
    response: dict[str, Any] = yield from retried_call(
        ctx.retry, request.operation, request.params, op_name=op_name, table=ctx.table_name
    )
    return response


def next_page_cursor(ctx: TableContext[Any], request: ReadRequest, response: Mapping[str, Any]) -> str | None:
    """The cursor that continues ``request`` after ``response`` (``None`` after the last page)."""
    return issue_cursor(
        response.get("LastEvaluatedKey"),
        index=request.index_name,
        sort=request.sort,
        table_name=ctx.table_name,
        signing_keys=ctx.signing_keys,
    )


def _read_items(
    ctx: TableContext[T], response: dict[str, Any], op_name: str, request: ReadRequest
) -> Op[tuple[list[T], tuple[dict[str, AV], ...]]]:
    """Every item of a response through the read pipeline (decryption, converters, annotations); items of
    a projected read are marked so that they cannot be written back whole by accident. Items the model's
    ``matches`` predicate rejects are returned raw, apart."""
    partial = ctx.reads_partially(request.params)
    raw = response.get("Items") or ()
    unrecognized: tuple[dict[str, AV], ...] = ()
    if ctx.model.matches is not None:
        raw, unrecognized = ctx.recognize(raw)
    items: list[T] = yield from ctx.read_items(raw, operation=op_name, partial=partial)
    return items, unrecognized


def _fetch_page(ctx: TableContext[T], request: ReadRequest, op_name: str) -> Op[Page[T]]:
    response = yield from fetch_response(ctx, request, op_name)
    items, unrecognized = yield from _read_items(ctx, response, op_name, request)
    return Page(items, next_page_cursor(ctx, request, response), unrecognized)


def page_op(ctx: TableContext[T], args: QueryArgs | ScanArgs, *, op_name: str) -> Op[Page[T]]:
    """One page (``Table.query`` / ``Table.scan``).

    Rate-limited, the call returns no sooner than its consumed capacity allows when another page follows,
    so a caller's loop over cursors keeps to the rate."""
    request = read_request(ctx, args)
    if request.rate_limit is None:
        page: Page[T] = yield from _fetch_page(ctx, request, op_name)
        return page
    pace = CapacityPace(request.rate_limit, ctx.retry.now)
    pace.sending()
    response = yield from fetch_response(ctx, request, op_name)
    pace.consumed(response)
    items, unrecognized = yield from _read_items(ctx, response, op_name, request)
    paced_page = Page(items, next_page_cursor(ctx, request, response), unrecognized)
    if paced_page.next_cursor is not None:
        yield from pace.wait()
    return paced_page


class PageWalker(Generic[T]):
    """Follows ``LastEvaluatedKey`` from a first request to the last page, one page per step.

    Each step is an operation of its own, so a driver can stop between pages; only the current page is held.
    """

    def __init__(self, ctx: TableContext[T], request: ReadRequest, *, op_name: str) -> None:
        self._ctx = ctx
        self._request = request
        self._op_name = op_name
        self._done = False
        # A rate-limited walk waits before each page until the capacity consumed so far fits the rate.
        self._pace = CapacityPace(request.rate_limit, ctx.retry.now) if request.rate_limit else None

    @property
    def done(self) -> bool:
        """Whether the last page has been fetched."""
        return self._done

    def next_response(self) -> Op[dict[str, Any]]:
        """Fetch the next page's raw response and move past it."""
        pace = self._pace
        if pace is not None:
            yield from pace.wait()
            pace.sending()
        response = yield from fetch_response(self._ctx, self._request, self._op_name)
        if pace is not None:
            pace.consumed(response)
        last_key = response.get("LastEvaluatedKey")
        if last_key:
            self._request = self._request.continued(last_key)
        else:
            self._done = True
        return response

    def next_items(self) -> Op[list[T]]:
        """Fetch the next page and decode its items (those of the model only, when it has ``matches``)."""
        response = yield from self.next_response()
        items, _ = yield from _read_items(self._ctx, response, self._op_name, self._request)
        return items


def walker_op(ctx: TableContext[T], args: QueryArgs | ScanArgs, *, op_name: str) -> Op[PageWalker[T]]:
    """A walker over every page of ``args``; all checks run here, before any call."""
    walker: PageWalker[T] = yield from computed(
        lambda: PageWalker(ctx, read_request(ctx, args), op_name=op_name)
    )
    return walker


def all_items_op(ctx: TableContext[T], args: QueryArgs | ScanArgs, *, op_name: str) -> Op[list[T]]:
    """Every item of every page (``query_all`` / ``scan_all``)."""
    walker = PageWalker(ctx, read_request(ctx, args), op_name=op_name)
    items: list[T] = []
    while not walker.done:
        page_items = yield from walker.next_items()
        items.extend(page_items)
    return items


def count_op(
    ctx: TableContext[Any],
    partition: Any = None,
    *,
    sort: SortKeyCondition | None = None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter: FilterExpression | None = None,
    op_name: str = "count",
) -> Op[int]:
    """The number of matching items: ``Count`` summed over every ``Select=COUNT`` page."""
    request = build_count_request(
        ctx, partition, sort=sort, index_name=index_name, consistent_read=consistent_read, filter=filter
    )
    walker: PageWalker[Any] = PageWalker(ctx, request, op_name=op_name)
    total = 0
    while not walker.done:
        response = yield from walker.next_response()
        total += int(response.get("Count") or 0)
    return total


# --- retry ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRetryPolicy(Generic[T]):
    """The retry parameters of ``query_with_retry`` / ``scan_with_retry`` (the Python SDK's parameters)."""

    max_retries: int = 5
    initial_delay_seconds: float = 0.1
    max_delay_seconds: float = 5.0
    backoff_factor: float = 2.0
    retry_on_empty: bool = True
    retry_on_error: bool = True
    verify: Callable[[Page[T]], bool] | None = None

    def check(self) -> None:
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise invalid_operator("max_retries must be an int of at least 0")
        for name in ("initial_delay_seconds", "max_delay_seconds", "backoff_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise invalid_operator(f"{name} must be a finite number >= 0")
        if self.verify is not None and not callable(self.verify):
            raise invalid_operator("verify must be a callable or None")

    def accepts(self, page: Page[T]) -> bool:
        if self.verify is not None:
            return bool(self.verify(page))
        return not self.retry_on_empty or bool(page.items)


def page_with_retry_op(
    ctx: TableContext[T], args: QueryArgs | ScanArgs, policy: PageRetryPolicy[T], *, op_name: str
) -> Op[Page[T]]:
    """Up to ``max_retries + 1`` attempts at one page until the policy accepts it; else the last page.

    An error is raised again when ``retry_on_error`` is off or on the last attempt. The delay before retry n
    is ``initial_delay_seconds * backoff_factor ** (n - 1)``, capped at ``max_delay_seconds``.
    """
    policy.check()
    request = read_request(ctx, args)
    delay = policy.initial_delay_seconds
    last_page: Page[T] | None = None
    for attempt in range(policy.max_retries + 1):
        if attempt:
            yield Sleep(min(delay, policy.max_delay_seconds))
            delay *= policy.backoff_factor
        try:
            page: Page[T] = yield from _fetch_page(ctx, request, op_name)
        except Exception:
            if not policy.retry_on_error or attempt == policy.max_retries:
                raise
            continue
        if policy.accepts(page):
            return page
        last_page = page
    if last_page is None:  # every attempt failed, and the last one re-raised: kept for the type checker
        raise ValidationError("no page was obtained", code=ERR_RETRY_EXHAUSTED)
    return last_page


# --- parallel scan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentPlan:
    """The scans of a parallel scan, in segment order, and how many may run at once."""

    segments: tuple[ScanArgs, ...]
    max_workers: int


def segment_plan(
    ctx: TableContext[Any], args: ScanArgs, *, total_segments: int, max_workers: int | None
) -> SegmentPlan:
    """Check a parallel scan (the first segment's whole request included) and list its segments."""
    # Checked before max_workers, whose default is total_segments: the error names what the caller passed.
    if (
        isinstance(total_segments, bool)
        or not isinstance(total_segments, int)
        or not 1 <= total_segments <= MAX_TOTAL_SEGMENTS
    ):
        raise invalid_operator(
            f"total_segments must be an int between 1 and {MAX_TOTAL_SEGMENTS}", field="total_segments"
        )
    if max_workers is None:
        max_workers = total_segments
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers <= 0:
        raise invalid_operator("max_workers must be a positive int", field="max_workers")
    first = replace(args, segment=0, total_segments=total_segments)
    rate = check_rate_limit(args.rate_limit)
    if rate is not None:
        # The rate is for the whole scan: at most this many segments run at once, each paced to its share.
        first = replace(first, rate_limit=rate / min(max_workers, total_segments))
    read_request(ctx, first)
    segments = tuple(replace(first, segment=segment) for segment in range(total_segments))
    return SegmentPlan(segments, max_workers)


# --- shapes ---------------------------------------------------------------------------------------------


def _has_condition(node: FilterExpression | None) -> bool:
    if isinstance(node, FilterCondition):
        return True
    if isinstance(node, FilterGroup):
        return any(_has_condition(child) for child in node.filters)
    return False


def describe_query(
    ctx: TableContext[Any],
    partition: Any = None,
    *,
    sort: SortKeyCondition | None = None,
    index_name: str | None = None,
    scan_forward: bool = True,
    consistent_read: bool = False,
    projection: Sequence[str] | None = None,
    filter: FilterExpression | None = None,
) -> QueryShape:
    """The shape of a query for ``QueryOptimizer``; only an unknown index is an error."""
    schema = resolve_key_schema(ctx, index_name)
    return QueryShape(
        kind="query",
        model_name=ctx.model.name or ctx.model.model_type.__name__,
        table_name=ctx.table_name,
        index_name=schema.index_name,
        index_type=schema.index_type,
        has_partition_key=partition is not None,
        has_sort_key=schema.sort is not None,
        has_sort_condition=sort is not None,
        has_filter=_has_condition(filter),
        projections=tuple(projection or ()),
        consistent_read=bool(consistent_read),
        scan_forward=bool(scan_forward),
    )


def describe_scan(
    ctx: TableContext[Any],
    *,
    index_name: str | None = None,
    consistent_read: bool = False,
    projection: Sequence[str] | None = None,
    filter: FilterExpression | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
) -> ScanShape:
    """The shape of a scan for ``QueryOptimizer``; only an unknown index is an error."""
    schema = resolve_key_schema(ctx, index_name)
    return ScanShape(
        kind="scan",
        model_name=ctx.model.name or ctx.model.model_type.__name__,
        table_name=ctx.table_name,
        index_name=schema.index_name,
        index_type=schema.index_type,
        has_filter=_has_condition(filter),
        projections=tuple(projection or ()),
        consistent_read=bool(consistent_read),
        parallel_scan_configured=segment is not None or total_segments is not None,
        total_segments=total_segments,
    )
