"""Batch reads and writes (BatchGetItem, BatchWriteItem) as sans-I/O generators that never drop a key.

Chunking and order
    ``batch_get`` sends at most 100 keys per request and ``batch_write`` at most 25 requests (puts first, then
    deletes; one chunk may hold both). Batch get removes duplicate keys before sending and returns items in
    the order their keys first appear; missing keys are absent. Keys are matched by their *encoded* primary
    key (numbers compare as numbers), so a response in any order, or a key echoed back in DynamoDB's number
    form, finds its caller's key.

Retries
    ``UnprocessedKeys`` / ``UnprocessedItems`` and the throttling errors of :data:`RETRYABLE_CODES` are
    retried, at most ``max_retries`` times per chunk, with exponential backoff and full jitter: before
    retry *n* the operation yields ``Sleep(uniform(0, min(cap, base * 2**(n-1))))`` (:class:`Backoff`,
    base 0.05 s, cap 1 s, the random source injectable). A throttling error counts as a retry of the whole
    pending request. (docs/wire-format.md §8.3 leaves the policy to each language; this is ours.)

Leftovers: nothing is dropped silently
    * Retries run out -> :class:`~dynamorm_py.errors.BatchRetryExceededError`.
    * Any other error once the batch has started (an AWS error other than throttling, a network error, an
      item that fails to encode or encrypt, a KMS error, a decryption failure, the caller's ``puts`` /
      ``deletes`` iterator or ``sleep`` raising) ->
      :class:`~dynamorm_py.errors.BatchInterruptedError`, a subclass carrying the same leftovers, raised
      ``from`` the original error. The mapped error cannot carry leftovers itself (its class has no such
      attributes, and non-library errors such as botocore's connection errors are not ours to extend), and
      a subclass means a caller who handles ``BatchRetryExceededError`` handles every way a batch can stop
      half-way, with the cause one ``__cause__`` away.
    Both carry ``unprocessed``: the very objects and keys the caller passed that were not written (or read),
    in input order, including the pending part of the failing chunk and every chunk never sent; for batch
    write split into ``unprocessed_puts`` / ``unprocessed_deletes``, for batch get also ``unprocessed_keys``
    and ``results`` (the items read so far, in key order). An interrupted request is reported whole: a write
    whose fate the error leaves unknown is listed as unprocessed, and writing it again is harmless.
    Errors found before the batch starts (bad arguments, duplicate keys, wrong key shapes or model types)
    are plain ``ValidationError`` and nothing has been sent. Only ``Exception`` is intercepted:
    ``KeyboardInterrupt`` and the like end the batch without a report.

Iterables
    ``puts`` and ``deletes`` may be any iterables; items are encoded one chunk at a time, and duplicate
    detection keeps only encoded keys. When both are collections (``list``, ``tuple``, ``set`` ...) every
    key and model type is checked before the first request, as the spec requires. A one-shot iterator
    (e.g. a generator) cannot be read twice, so its items are checked as their chunk is built: a duplicate
    or a bad item found part-way raises ``BatchInterruptedError`` (cause: the ``ValidationError``) with the
    earlier chunks written and everything else, the rest of the iterator drained, in ``unprocessed``.

Concurrency
    :func:`write_chunk_op` holds the whole life of one chunk (encode, encrypt, send, retry) and returns a
    :class:`ChunkResult` instead of raising, so the sequential :func:`batch_write_op` and a driver sending
    chunks from a thread pool share it, and :func:`write_failure` builds the same error for both.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from .._blocks.codec import AV, ModelCodec
from .._blocks.keys import KeyIdentity, item_key_reader, key_identity, split_key
from .._blocks.projections import build_projection
from .._blocks.retry_policy import RetryPolicy
from .._blocks.terms import check_names_argument
from ..errors import (
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    AwsError,
    BatchInterruptedError,
    BatchRetryExceededError,
    DynamormPyError,
    ValidationError,
)
from .context import TableContext
from .effects import Op, Sleep, aws_call
from .items import check_model_instance, encode_put_item, seal_put_item
from .retries import classify

__all__ = [
    "BATCH_GET_LIMIT",
    "BATCH_WRITE_LIMIT",
    "RETRYABLE_CODES",
    "Backoff",
    "ChunkResult",
    "WriteChunk",
    "WriteSource",
    "batch_get_op",
    "batch_write_op",
    "check_max_retries",
    "item_key_reader",
    "make_backoff",
    "write_chunk_op",
    "write_failure",
]

T = TypeVar("T")

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
RETRYABLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: retry ``n`` waits ``uniform(0, min(cap, base * 2**(n-1)))``."""

    base: float = 0.05
    cap: float = 1.0
    uniform: Callable[[float, float], float] = random.uniform

    def delay(self, retry: int) -> float:
        return self.uniform(0.0, min(self.cap, self.base * 2.0 ** (retry - 1)))


def check_max_retries(max_retries: int) -> None:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValidationError("max_retries must be an int >= 0", code=ERR_INVALID_OPERATOR)


def _check_container(value: Any, name: str) -> None:
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be an iterable of items or keys", code=ERR_INVALID_OPERATOR)


def _duplicate_key() -> ValidationError:
    # DynamoDB would reject the whole request; key values are never part of a message.
    return ValidationError(
        "batch_write: two requests for the same primary key in one call", code=ERR_INVALID_MODEL
    )


def _retryable(exc: Exception) -> bool:
    """Throttling, and the failures the table's retry policy retries (HTTP 5xx, network): batch puts,
    deletes and gets can be sent again without harm, so a request whose fate is unknown is resent."""
    if isinstance(exc, AwsError) and exc.code in RETRYABLE_CODES:
        return True
    return classify(exc, exc.__cause__)[0]


def _failure(exc: Exception) -> Exception | None:
    """The error to report if retries run out after ``exc`` (throttling is reported as exhausted retries)."""
    return None if isinstance(exc, AwsError) and exc.code in RETRYABLE_CODES else exc


def _reason(exc: BaseException, *, operation: str, table: str) -> str:
    """How an interruption names its cause; a library error also gets the operation's context."""
    if isinstance(exc, DynamormPyError):
        exc.with_context(operation=operation, table=table)
        return exc.code
    return type(exc).__name__


# --- batch get -------------------------------------------------------------------------------------------


def batch_get_op(
    ctx: TableContext[T],
    keys: Iterable[Any],
    *,
    consistent_read: bool = False,
    projection: Sequence[str] | None = None,
    max_retries: int = 5,
    backoff: Backoff = Backoff(),
) -> Op[list[T]]:
    """Read ``keys`` with BatchGetItem: de-duplicated, in first-appearance order, missing keys absent."""
    check_max_retries(max_retries)
    _check_container(keys, "keys")
    codec = ctx.codec
    originals: dict[KeyIdentity, Any] = {}
    encoded: dict[KeyIdentity, dict[str, AV]] = {}
    for key in keys:
        pk, sk = split_key(codec, key)
        key_map = codec.encode_key(pk, sk)
        identity = key_identity(codec, key_map)
        if identity not in originals:
            originals[identity] = key
            encoded[identity] = key_map
    if not originals:
        return []
    spec: dict[str, Any] = {"ConsistentRead": bool(consistent_read)}
    if projection:
        # Results are matched to keys by their key attributes, so those are always projected.
        fields = check_names_argument("projection", projection)
        fields += [
            f.python_name for f in (codec.pk, codec.sk) if f is not None and f.python_name not in fields
        ]
        expression, names = build_projection(codec, fields, security=ctx.security)
        if ctx.model.matches is not None:
            expression = ctx.project_for_matches(expression, names)
        spec["ProjectionExpression"] = expression
        spec["ExpressionAttributeNames"] = names
    # Instances of a projected read are marked: written back whole they would erase what was not loaded.
    partial = "ProjectionExpression" in spec and ctx.projects(spec["ExpressionAttributeNames"].values())
    order = list(originals)
    matches = ctx.model.matches
    found: dict[KeyIdentity, T] = {}
    start = 0
    pending: list[KeyIdentity] = []
    exhausted = False
    try:
        for start in range(0, len(order), BATCH_GET_LIMIT):
            pending = order[start : start + BATCH_GET_LIMIT]
            retry = 0
            last_error: Exception | None = None
            while pending:
                params = {"RequestItems": {ctx.table_name: {"Keys": [encoded[i] for i in pending], **spec}}}
                try:
                    response = yield from aws_call(
                        "dynamodb", "batch_get_item", params, op_name="batch_get", table=ctx.table_name
                    )
                except Exception as exc:
                    if not _retryable(exc):
                        raise
                    last_error = _failure(exc)
                else:
                    last_error = None
                    returned = (response.get("Responses") or {}).get(ctx.table_name) or ()
                    if matches is not None:
                        # Another entity type under a requested key is not a T: left absent.
                        returned, _ = ctx.recognize(returned)
                    for item in returned:
                        identity = key_identity(codec, item)
                        if identity in originals and identity not in found:
                            found[identity] = yield from ctx.read_item(
                                item, operation="batch_get", partial=partial
                            )
                    left = ((response.get("UnprocessedKeys") or {}).get(ctx.table_name) or {}).get("Keys")
                    still = {key_identity(codec, k) for k in left or ()}
                    pending = [i for i in pending if i in still]
                    if not pending:
                        break
                retry += 1
                if retry > max_retries:
                    if last_error is not None:
                        raise last_error  # reported with every key not read
                    exhausted = True
                    break
                yield Sleep(backoff.delay(retry))
            if exhausted:
                break
    except Exception as exc:
        raise _get_failure(ctx, order, originals, found, pending, start, exc) from exc
    if exhausted:
        raise _get_failure(ctx, order, originals, found, pending, start, None)
    return [found[i] for i in order if i in found]


def _get_failure(
    ctx: TableContext[T],
    order: list[KeyIdentity],
    originals: Mapping[KeyIdentity, Any],
    found: Mapping[KeyIdentity, T],
    pending: Sequence[KeyIdentity],
    start: int,
    cause: BaseException | None,
) -> BatchRetryExceededError:
    left = [i for i in pending if i not in found] + order[start + BATCH_GET_LIMIT :]
    unprocessed = [originals[i] for i in left]
    results = [found[i] for i in order if i in found]
    if cause is None:
        return BatchRetryExceededError(
            operation="batch_get",
            table=ctx.table_name,
            unprocessed_count=len(unprocessed),
            unprocessed=unprocessed,
            unprocessed_keys=unprocessed,
            results=results,
        )
    return BatchInterruptedError(
        operation="batch_get",
        reason=_reason(cause, operation="batch_get", table=ctx.table_name),
        table=ctx.table_name,
        unprocessed_count=len(unprocessed),
        unprocessed=unprocessed,
        unprocessed_keys=unprocessed,
        results=results,
    )


# --- batch write -----------------------------------------------------------------------------------------


@dataclass
class WriteChunk:
    """At most 25 caller objects: put items, then delete keys, as passed."""

    index: int
    puts: list[Any]
    deletes: list[Any]


@dataclass
class ChunkResult:
    """What one chunk left unwritten, and the error that stopped it (``None``: retries ran out)."""

    index: int
    puts: list[Any] = field(default_factory=list)
    deletes: list[Any] = field(default_factory=list)
    error: Exception | None = None

    @property
    def complete(self) -> bool:
        return not self.puts and not self.deletes and self.error is None


class WriteSource:
    """The caller's puts and deletes, cut into chunks of 25 as they are consumed.

    When both are collections, every model type and key is checked (duplicates included) when the source
    is created, before anything is sent. Otherwise each item is checked as its chunk is built;
    ``next_chunk`` then raises ``ValidationError`` and :meth:`drain` still returns the offending chunk.
    An error raised by the caller's own iterator also leaves the objects it had yielded to :meth:`drain`.
    """

    def __init__(self, ctx: TableContext[Any], puts: Iterable[Any], deletes: Iterable[Any]) -> None:
        _check_container(puts, "puts")
        _check_container(deletes, "deletes")
        self._ctx = ctx
        self._model_type = ctx.model.model_type
        self._identity = item_key_reader(ctx.codec)
        self._seen: set[KeyIdentity] = set()
        self._checked = isinstance(puts, Collection) and isinstance(deletes, Collection)
        if self._checked:
            for item in puts:
                self._admit_put(item)
            for key in deletes:
                self._admit_delete(key)
            self._seen = set()  # every key is known good: keep no more than needed
        self._puts: Iterator[Any] = iter(puts)
        self._deletes: Iterator[Any] = iter(deletes)
        self._puts_done = False
        self._partial: tuple[list[Any], list[Any]] = ([], [])
        self._count = 0

    def _admit_put(self, item: Any) -> None:
        if type(item) is not self._model_type:
            check_model_instance(self._ctx, item)
        identity = self._identity(item)
        if identity in self._seen:
            raise _duplicate_key()
        self._seen.add(identity)

    def _admit_delete(self, key: Any) -> None:
        codec = self._ctx.codec
        pk, sk = split_key(codec, key)
        identity = key_identity(codec, codec.encode_key(pk, sk))
        if identity in self._seen:
            raise _duplicate_key()
        self._seen.add(identity)

    def next_chunk(self) -> WriteChunk | None:
        """The next chunk, or ``None`` when everything has been handed out."""
        puts: list[Any] = []
        deletes: list[Any] = []
        self._partial = (puts, deletes)
        if not self._puts_done:
            puts.extend(islice(self._puts, BATCH_WRITE_LIMIT))
            self._puts_done = len(puts) < BATCH_WRITE_LIMIT
        if len(puts) < BATCH_WRITE_LIMIT:
            deletes.extend(islice(self._deletes, BATCH_WRITE_LIMIT - len(puts)))
        if not self._checked:
            for item in puts:
                self._admit_put(item)
            for key in deletes:
                self._admit_delete(key)
        self._partial = ([], [])
        if not puts and not deletes:
            return None
        self._count += 1
        return WriteChunk(self._count - 1, puts, deletes)

    @property
    def chunks_handed_out(self) -> int:
        return self._count

    def drain(self) -> tuple[list[Any], list[Any]]:
        """Every object not handed out in a chunk yet (a chunk that failed its checks included).

        An iterator that raises while drained ends there: what it yielded before is kept, the error is not
        raised again (the batch is already being reported)."""
        puts = [*self._partial[0], *_rest(self._puts)]
        deletes = [*self._partial[1], *_rest(self._deletes)]
        self._partial = ([], [])
        self._puts_done = True
        return puts, deletes


def _rest(iterator: Iterator[Any]) -> list[Any]:
    """What ``iterator`` still yields, up to an error it raises."""
    rest: list[Any] = []
    with suppress(Exception):
        rest.extend(iterator)  # a list keeps what was appended before the error
    return rest


def write_chunk_op(
    ctx: TableContext[T],
    chunk: WriteChunk,
    *,
    now: datetime,
    max_retries: int,
    backoff: Backoff,
) -> Op[ChunkResult]:
    """Encode, encrypt and send one chunk, retrying what DynamoDB leaves unprocessed; never raises."""
    codec = ctx.codec
    requests: list[dict[str, Any]] = []
    try:
        for item in chunk.puts:
            # The item steps of put_request (type, lifecycle, encryption, size), without its condition.
            encoded = encode_put_item(ctx, item, now=now)
            if encoded.encrypted:
                yield from seal_put_item(ctx, encoded, operation="batch_write")
            requests.append({"PutRequest": {"Item": encoded.item}})
        for key in chunk.deletes:
            pk, sk = split_key(codec, key)
            requests.append({"DeleteRequest": {"Key": codec.encode_key(pk, sk)}})
    except Exception as exc:
        return ChunkResult(chunk.index, list(chunk.puts), list(chunk.deletes), exc)
    identities: list[KeyIdentity] = []  # computed only once something comes back unprocessed
    pending = requests
    retry = 0
    last_error: Exception | None = None
    while True:
        params = {"RequestItems": {ctx.table_name: pending}}
        try:
            response = yield from aws_call(
                "dynamodb", "batch_write_item", params, op_name="batch_write", table=ctx.table_name
            )
        except Exception as exc:
            if not _retryable(exc):
                return _chunk_leftovers(ctx, chunk, requests, identities, pending, exc)
            last_error = _failure(exc)  # a chunk whose fate is unknown stays pending: resending is harmless
        else:
            last_error = None
            left = (response.get("UnprocessedItems") or {}).get(ctx.table_name)
            if not left:
                return ChunkResult(chunk.index)
            if not identities:
                identities.extend(_request_identity(codec, r) for r in requests)
            still = {_request_identity(codec, r) for r in left}
            # Resend our own entries (not the echo), so a retry is byte-for-byte the first request's part.
            pending = [r for r, i in zip(requests, identities, strict=True) if i in still]
            if not pending:
                return ChunkResult(chunk.index)
        retry += 1
        if retry > max_retries:
            return _chunk_leftovers(ctx, chunk, requests, identities, pending, last_error)
        try:
            yield Sleep(backoff.delay(retry))
        except Exception as exc:  # the caller's sleep (or random source) failed: report, do not drop
            return _chunk_leftovers(ctx, chunk, requests, identities, pending, exc)


def _request_identity(codec: ModelCodec, request: Mapping[str, Any]) -> KeyIdentity:
    put = request.get("PutRequest")
    if put is not None:
        return key_identity(codec, put.get("Item") or {})
    return key_identity(codec, (request.get("DeleteRequest") or {}).get("Key") or {})


def _chunk_leftovers(
    ctx: TableContext[Any],
    chunk: WriteChunk,
    requests: list[dict[str, Any]],
    identities: list[KeyIdentity],
    pending: list[dict[str, Any]],
    error: Exception | None,
) -> ChunkResult:
    if pending is requests:
        return ChunkResult(chunk.index, list(chunk.puts), list(chunk.deletes), error)
    waiting = {id(r) for r in pending}
    n_puts = len(chunk.puts)
    puts = [obj for obj, r in zip(chunk.puts, requests[:n_puts], strict=True) if id(r) in waiting]
    deletes = [obj for obj, r in zip(chunk.deletes, requests[n_puts:], strict=True) if id(r) in waiting]
    return ChunkResult(chunk.index, puts, deletes, error)


def write_failure(
    ctx: TableContext[Any],
    failed: Iterable[ChunkResult],
    rest: tuple[list[Any], list[Any]],
    cause: Exception | None = None,
) -> BatchRetryExceededError:
    """The error of a batch write that stopped: leftovers of the failed chunks (in chunk order), then
    ``rest`` (never sent). The first error in chunk order (or ``cause``) makes it an interruption."""
    puts: list[Any] = []
    deletes: list[Any] = []
    for result in sorted(failed, key=lambda r: r.index):
        puts += result.puts
        deletes += result.deletes
        if cause is None and result.error is not None:
            cause = result.error
    puts += rest[0]
    deletes += rest[1]
    unprocessed = [*puts, *deletes]
    if cause is None:
        return BatchRetryExceededError(
            operation="batch_write",
            table=ctx.table_name,
            unprocessed_count=len(unprocessed),
            unprocessed=unprocessed,
            unprocessed_puts=puts,
            unprocessed_deletes=deletes,
        )
    error = BatchInterruptedError(
        operation="batch_write",
        reason=_reason(cause, operation="batch_write", table=ctx.table_name),
        table=ctx.table_name,
        unprocessed_count=len(unprocessed),
        unprocessed=unprocessed,
        unprocessed_puts=puts,
        unprocessed_deletes=deletes,
    )
    error.__cause__ = cause
    return error


def batch_write_op(
    ctx: TableContext[T],
    puts: Iterable[T] = (),
    deletes: Iterable[Any] = (),
    *,
    max_retries: int = 5,
    backoff: Backoff = Backoff(),
) -> Op[None]:
    """Write ``puts`` then delete ``deletes`` with BatchWriteItem, chunk by chunk (lifecycle: one *now*)."""
    check_max_retries(max_retries)
    source = WriteSource(ctx, puts, deletes)
    now = ctx.read_clock()
    while True:
        try:
            chunk = source.next_chunk()
        except Exception as exc:  # a bad item, or the caller's iterator raised: earlier chunks are written
            raise write_failure(ctx, (), source.drain(), exc) from exc
        if chunk is None:
            return
        result = yield from write_chunk_op(ctx, chunk, now=now, max_retries=max_retries, backoff=backoff)
        if not result.complete:
            error = write_failure(ctx, (result,), source.drain())
            raise error from error.__cause__


def make_backoff(
    uniform: Callable[[float, float], float] | None = None, policy: RetryPolicy | None = None
) -> Backoff:
    """The backoff of ``policy`` (the table's retry policy; default: the default one), drawing its jitter
    from ``uniform`` when given, else from the policy's source."""
    if policy is None:
        return Backoff() if uniform is None else Backoff(uniform=uniform)
    return Backoff(base=policy.base_delay, cap=policy.max_delay, uniform=uniform or policy.uniform)
