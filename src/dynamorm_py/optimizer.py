"""Advisory query planning: the shape of a query or scan, and a deterministic plan with hints (no I/O).

``Table.describe_query`` / ``Table.describe_scan`` produce a :class:`QueryShape` / :class:`ScanShape`;
:meth:`QueryOptimizer.explain` turns a shape into a :class:`QueryPlan` whose ``id`` identifies the shape and
whose hints say what the request will cost and how to narrow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import ERR_INVALID_VALUE, ValidationError

__all__ = ["IndexType", "QueryOperation", "QueryOptimizer", "QueryPlan", "QueryShape", "ScanShape"]

QueryOperation = Literal["Query", "Scan"]
IndexType = Literal["TABLE", "GSI", "LSI"]

# A suggested parallel scan never uses more segments than this, whatever ``max_parallelism`` says.
MAX_SUGGESTED_SEGMENTS = 16

HINT_GSI_CONSISTENT_READ = "ERROR: consistent reads are not supported on a global secondary index"
HINT_NO_PARTITION_KEY = "ERROR: a query needs a partition key value"
HINT_NO_SORT_CONDITION = "TIP: add a sort key condition to read fewer items"
HINT_FILTER = "INFO: the filter applies after items are read; filtered items still consume read capacity"
HINT_NO_PROJECTION = "TIP: project only the fields you need to read less data"
HINT_SCAN = "WARNING: a scan reads every item of the table or index"


@dataclass(frozen=True)
class QueryShape:
    """What a query asks for, without its values (from ``Table.describe_query``)."""

    kind: Literal["query"]
    model_name: str
    table_name: str
    index_name: str | None
    index_type: IndexType
    has_partition_key: bool
    has_sort_key: bool
    has_sort_condition: bool
    has_filter: bool
    projections: tuple[str, ...]
    consistent_read: bool
    scan_forward: bool


@dataclass(frozen=True)
class ScanShape:
    """What a scan asks for (from ``Table.describe_scan``)."""

    kind: Literal["scan"]
    model_name: str
    table_name: str
    index_name: str | None
    index_type: IndexType
    has_filter: bool
    projections: tuple[str, ...]
    consistent_read: bool
    parallel_scan_configured: bool
    total_segments: int | None


@dataclass(frozen=True)
class QueryPlan:
    """The optimizer's reading of a shape; ``projections`` are sorted."""

    id: str
    operation: QueryOperation
    index_name: str | None = None
    projections: tuple[str, ...] = ()
    parallel_segments: int | None = None
    optimization_hints: tuple[str, ...] = ()


def _flag(value: bool) -> str:
    return "1" if value else "0"


class QueryOptimizer:
    """Deterministic advice on query and scan shapes; ``max_parallelism`` bounds suggested scan segments."""

    def __init__(self, *, enable_parallel: bool = True, max_parallelism: int = 4) -> None:
        if isinstance(max_parallelism, bool) or not isinstance(max_parallelism, int) or max_parallelism < 1:
            raise ValidationError("max_parallelism must be an int of at least 1", code=ERR_INVALID_VALUE)
        self.enable_parallel = enable_parallel
        self.max_parallelism = max_parallelism

    def explain(self, shape: QueryShape | ScanShape) -> QueryPlan:
        """The plan of ``shape``: its id, sorted projections, hints and a suggested segment count."""
        projections = tuple(sorted(shape.projections))
        common = [
            shape.kind,
            shape.model_name,
            shape.table_name,
            f"idx={shape.index_name or ''}",
            f"it={shape.index_type}",
            f"proj={','.join(projections)}",
            f"filter={_flag(shape.has_filter)}",
            f"cr={_flag(shape.consistent_read)}",
        ]
        hints: list[str] = []
        if shape.index_type == "GSI" and shape.consistent_read:
            hints.append(HINT_GSI_CONSISTENT_READ)
        if isinstance(shape, QueryShape):
            common += [
                f"pk={_flag(shape.has_partition_key)}",
                f"sk={_flag(shape.has_sort_key)}",
                f"skc={_flag(shape.has_sort_condition)}",
                f"sf={_flag(shape.scan_forward)}",
            ]
            if not shape.has_partition_key:
                hints.append(HINT_NO_PARTITION_KEY)
            if shape.has_sort_key and not shape.has_sort_condition:
                hints.append(HINT_NO_SORT_CONDITION)
            if shape.has_filter:
                hints.append(HINT_FILTER)
            if not projections:
                hints.append(HINT_NO_PROJECTION)
            return QueryPlan(
                id="|".join(common),
                operation="Query",
                index_name=shape.index_name,
                projections=projections,
                optimization_hints=tuple(hints),
            )
        common += [
            f"psc={_flag(shape.parallel_scan_configured)}",
            f"ts={'' if shape.total_segments is None else shape.total_segments}",
        ]
        hints.append(HINT_SCAN)
        if shape.has_filter:
            hints.append(HINT_FILTER)
        if not projections:
            hints.append(HINT_NO_PROJECTION)
        segments = min(self.max_parallelism, MAX_SUGGESTED_SEGMENTS)
        parallel_segments: int | None = None
        if self.enable_parallel and not shape.parallel_scan_configured and segments > 1:
            parallel_segments = segments
            hints.append(f"TIP: use a parallel scan with {segments} segments")
        return QueryPlan(
            id="|".join(common),
            operation="Scan",
            index_name=shape.index_name,
            projections=projections,
            parallel_segments=parallel_segments,
            optimization_hints=tuple(hints),
        )
