"""``explain``: run a core operation without I/O and collect the requests it would send."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from .._core.batch import batch_get_op, batch_write_op
from .._core.context import TableContext, contextualized
from .._core.effects import AwsCall, Op, PreparedRequest
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
from .._core.reads import QueryArgs, ScanArgs, page_op
from .._core.transactions import transact_get_op, transact_write_op
from ..transaction import TransactWriteAction

__all__ = ["Explain", "explain_all", "explain_one", "run_explain"]

T = TypeVar("T")


def run_explain(op: Op[Any], *, collect_all: bool = False) -> list[PreparedRequest]:
    """Collect the DynamoDB requests ``op`` would send, without sending any.

    With ``collect_all`` every call is answered with an empty response (batch operations then believe every
    chunk succeeded and go on to the next one); otherwise the first DynamoDB call ends the run.
    """
    requests: list[PreparedRequest] = []
    try:
        effect = next(op)
        while True:
            if isinstance(effect, AwsCall) and effect.service == "dynamodb":
                requests.append(PreparedRequest("dynamodb", effect.operation, effect.params))
                if not collect_all:
                    op.close()
                    return requests
            effect = op.send({} if isinstance(effect, AwsCall) else None)
    except StopIteration:
        return requests


def explain_all(
    ctx: TableContext[T], build: Callable[[TableContext[T]], Op[Any]], operation: str, *, collect_all: bool
) -> list[PreparedRequest]:
    """The requests ``build(ctx)`` sends, with the attributes it would encrypt (explain shows no envelope)."""
    log: list[str] = []
    explain_ctx = dataclasses.replace(ctx, explain_log=log)
    requests = run_explain(
        contextualized(build(explain_ctx), operation=operation, table=ctx.table_name), collect_all=collect_all
    )
    encrypted = tuple(dict.fromkeys(log))
    return [dataclasses.replace(r, encrypted_attributes=encrypted) for r in requests]


def explain_one(
    ctx: TableContext[T], build: Callable[[TableContext[T]], Op[Any]], operation: str
) -> PreparedRequest:
    """The first DynamoDB request ``build(ctx)`` sends."""
    return explain_all(ctx, build, operation, collect_all=False)[0]


class Explain(Generic[T]):
    """``table.explain``: the exact requests operations would send, without I/O (to review or for the CLI)."""

    def __init__(self, ctx: TableContext[T]) -> None:
        self._ctx = ctx

    def _one(self, build: Callable[[TableContext[T]], Op[Any]], operation: str) -> PreparedRequest:
        return explain_one(self._ctx, build, operation)

    def _all(self, build: Callable[[TableContext[T]], Op[Any]], operation: str) -> list[PreparedRequest]:
        return explain_all(self._ctx, build, operation, collect_all=True)

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
