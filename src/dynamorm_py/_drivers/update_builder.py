"""``UpdateBuilder`` and ``AsyncUpdateBuilder``: the core's fluent update, sent through a table's driver.

Both take the table they update through; they read its settings and run the update with its driver (the
``_ctx`` and ``_run`` every driver in this package has), so they add no logic of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from .._core.context import TableContext
from .._core.effects import Op, PreparedRequest
from .._core.updates import UpdateActions
from .explain import explain_one

__all__ = ["AsyncUpdateBuilder", "UpdateBuilder"]

T = TypeVar("T")
R = TypeVar("R")

_OPERATION = "update_builder"


class _SyncDriver(Protocol[T]):
    _ctx: TableContext[T]

    def _run(self, op: Op[R], operation: str) -> R: ...


class _AsyncDriver(Protocol[T]):
    _ctx: TableContext[T]

    def _run(self, op: Op[R], operation: str) -> Awaitable[R]: ...


class UpdateBuilder(UpdateActions[T]):
    """Collect update actions and conditions for one item, then ``execute()`` or ``explain()``."""

    def __init__(self, table: _SyncDriver[T], pk: Any, sk: Any = None) -> None:
        super().__init__(table._ctx, pk, sk)
        self._driver = table

    def execute(self) -> T | None:
        """Send the update; returns the item ReturnValues asked for, or ``None``."""
        return self._driver._run(self._execute_op(self._ctx), _OPERATION)

    def explain(self) -> PreparedRequest:
        """The request ``execute`` would send, without sending it."""
        return explain_one(self._ctx, self._execute_op, _OPERATION)


class AsyncUpdateBuilder(UpdateActions[T]):
    """An ``AsyncTable``'s ``UpdateBuilder``: ``await builder.execute()``; ``explain()`` is not awaited."""

    def __init__(self, table: _AsyncDriver[T], pk: Any, sk: Any = None) -> None:
        super().__init__(table._ctx, pk, sk)
        self._driver = table

    async def execute(self) -> T | None:
        """Send the update; returns the item ReturnValues asked for, or ``None``."""
        return await self._driver._run(self._execute_op(self._ctx), _OPERATION)

    def explain(self) -> PreparedRequest:
        """The request ``execute`` would send, without sending it."""
        return explain_one(self._ctx, self._execute_op, _OPERATION)


# Users import these from dynamorm_py.update_builder: tracebacks, reprs and pickles name that module.
AsyncUpdateBuilder.__module__ = "dynamorm_py.update_builder"
UpdateBuilder.__module__ = "dynamorm_py.update_builder"
