"""Fan-out: the policy of operations that run several core operations at once, for both drivers.

A parallel scan runs one walk per segment; a concurrent ``batch_write`` runs one operation per chunk of 25.
A :class:`FanOut` decides which job to start next, which running jobs no longer matter after a failure, and
what the whole operation returns or raises. It runs nothing itself: the sync driver runs the jobs on a
thread pool, the async driver as tasks, each feeding the outcomes back here, so both behave the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..errors import ERR_INVALID_OPERATOR, DynamormPyError, ValidationError
from .batch import Backoff, ChunkResult, WriteSource, check_max_retries, write_chunk_op, write_failure
from .context import TableContext, contextualized
from .effects import Op
from .reads import ScanArgs, all_items_op, segment_plan

__all__ = ["FanOut", "Job", "check_max_workers", "segment_fan_out", "write_fan_out"]

T = TypeVar("T")
R = TypeVar("R")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Job(Generic[R]):
    """One core operation of a fan-out; ``index`` orders the results."""

    index: int
    op: Op[R]


class FanOut(Generic[R, Out]):
    """The scheduling policy of one fan-out. Drivers call, in a loop: :meth:`next_jobs` (start these),
    :meth:`finished` (one job ended), :meth:`to_cancel` (stop these if you can), until :attr:`done`; then
    :meth:`outcome`. A job a driver cannot stop simply finishes; its outcome is then ignored."""

    def __init__(self, max_in_flight: int) -> None:
        self.max_in_flight = max_in_flight
        self._running: set[int] = set()
        self._stopped = False  # no job starts after a failure

    def _next(self) -> Job[R] | None:
        """The next job in index order, or ``None`` when there is none."""
        raise NotImplementedError

    def _record(self, index: int, result: R | None, error: BaseException | None) -> None:
        raise NotImplementedError

    def next_jobs(self) -> list[Job[R]]:
        """The jobs to start now: as many as fit in flight, unless a failure stopped the fan-out."""
        jobs: list[Job[R]] = []
        while not self._stopped and len(self._running) < self.max_in_flight:
            job = self._next()
            if job is None:
                break
            self._running.add(job.index)
            jobs.append(job)
        return jobs

    def finished(self, index: int, result: R | None = None, error: BaseException | None = None) -> None:
        """Job ``index`` ended with ``result``, or raised ``error``."""
        self._running.discard(index)
        self._record(index, result, error)

    def to_cancel(self) -> list[int]:
        """Running jobs whose outcome can no longer change the result."""
        return []

    @property
    def done(self) -> bool:
        return not self._running and (self._stopped or self._exhausted())

    def _exhausted(self) -> bool:
        raise NotImplementedError

    def outcome(self) -> Out:
        """The operation's result, or its error raised."""
        raise NotImplementedError


def check_max_workers(max_workers: Any, *, operation: str, table: str) -> None:
    """``max_workers`` of a fan-out: an int of at least 1."""
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ValidationError(
            "max_workers must be an int >= 1",
            code=ERR_INVALID_OPERATOR,
            operation=operation,
            table=table,
            field="max_workers",
        )


# --- parallel scan --------------------------------------------------------------------------------------


class SegmentFanOut(FanOut[list[T], list[T]]):
    """Every segment walked to its end; items in segment order. The first failure in segment order is
    raised: a failure cancels the segments after it, and waits for those before it (one of which may
    fail too, and then comes first)."""

    def __init__(self, jobs: list[Job[list[T]]], max_in_flight: int) -> None:
        super().__init__(max_in_flight)
        self._jobs = jobs
        self._started = 0
        self._results: dict[int, list[T]] = {}
        self._failure: tuple[int, BaseException] | None = None

    def _next(self) -> Job[list[T]] | None:
        if self._started == len(self._jobs):
            return None
        job = self._jobs[self._started]
        self._started += 1
        return job

    def _exhausted(self) -> bool:
        return self._started == len(self._jobs)

    def _record(self, index: int, result: list[T] | None, error: BaseException | None) -> None:
        if error is None:
            self._results[index] = result or []
            return
        if self._failure is None or index < self._failure[0]:
            self._failure = (index, error)
            self._stopped = True

    def to_cancel(self) -> list[int]:
        if self._failure is None:
            return []
        first = self._failure[0]
        return sorted(index for index in self._running if index > first)

    def outcome(self) -> list[T]:
        if self._failure is not None:
            raise self._failure[1]
        return [item for index in range(len(self._jobs)) for item in self._results[index]]


def segment_fan_out(
    ctx: TableContext[T], args: ScanArgs, *, total_segments: int, max_workers: int | None, op_name: str
) -> SegmentFanOut[T]:
    """A parallel scan, checked whole before anything is sent (the first segment's request included)."""
    try:
        plan = segment_plan(ctx, args, total_segments=total_segments, max_workers=max_workers)
    except DynamormPyError as exc:
        exc.with_context(operation=op_name, table=ctx.table_name)
        raise
    jobs = [
        Job(
            index,
            contextualized(
                all_items_op(ctx, segment, op_name=op_name), operation=op_name, table=ctx.table_name
            ),
        )
        for index, segment in enumerate(plan.segments)
    ]
    return SegmentFanOut(jobs, plan.max_workers)


# --- concurrent batch write -----------------------------------------------------------------------------


class WriteFanOut(FanOut[ChunkResult, None]):
    """Chunks of a ``batch_write`` sent side by side, built from the caller's input only as they start.

    After the first failure (a chunk left items, or the input raised) no chunk starts; the chunks in flight
    finish (a chunk stopped half-way could not say what it wrote), and the error carries the leftovers of
    every failed chunk in chunk order, then everything never sent."""

    def __init__(
        self,
        ctx: TableContext[Any],
        source: WriteSource,
        *,
        now: datetime,
        max_retries: int,
        backoff: Backoff,
        max_in_flight: int,
    ) -> None:
        super().__init__(max_in_flight)
        self._ctx = ctx
        self._source = source
        self._now = now
        self._max_retries = max_retries
        self._backoff = backoff
        self._input_done = False
        self._failed: list[ChunkResult] = []
        self._chunks: dict[int, tuple[list[Any], list[Any]]] = {}  # the caller's objects of running chunks

    def _next(self) -> Job[ChunkResult] | None:
        if self._input_done:
            return None
        try:
            chunk = self._source.next_chunk()
        except Exception as exc:  # a bad item or the caller's iterator: the chunks in flight finish
            self._failed.append(ChunkResult(self._source.chunks_handed_out, error=exc))
            self._stopped = True
            return None
        if chunk is None:
            self._input_done = True
            return None
        op = write_chunk_op(
            self._ctx, chunk, now=self._now, max_retries=self._max_retries, backoff=self._backoff
        )
        self._chunks[chunk.index] = chunk.puts, chunk.deletes
        return Job(chunk.index, op)

    def _exhausted(self) -> bool:
        return self._input_done

    def _record(self, index: int, result: ChunkResult | None, error: BaseException | None) -> None:
        puts, deletes = self._chunks.pop(index)
        if error is not None:  # not from the core, which returns its errors: the whole chunk is left
            cause = error if isinstance(error, Exception) else None
            result = ChunkResult(index, list(puts), list(deletes), cause)
        if result is not None and not result.complete:
            self._failed.append(result)
            self._stopped = True

    def outcome(self) -> None:
        if self._failed:
            error = write_failure(self._ctx, self._failed, self._source.drain())
            raise error from error.__cause__


def write_fan_out(
    ctx: TableContext[T],
    puts: Iterable[T],
    deletes: Iterable[Any],
    *,
    max_retries: int,
    backoff: Backoff,
    max_workers: int,
) -> WriteFanOut:
    """A ``batch_write`` whose chunks go out ``max_workers`` at a time (lifecycle: one *now* for all)."""
    try:
        check_max_retries(max_retries)
        source = WriteSource(ctx, puts, deletes)
        now = ctx.read_clock()
    except DynamormPyError as exc:
        exc.with_context(operation="batch_write", table=ctx.table_name)
        raise
    return WriteFanOut(
        ctx, source, now=now, max_retries=max_retries, backoff=backoff, max_in_flight=max_workers
    )
