"""Running core operations with asyncio clients (aiobotocore, or any client with ``async def`` methods)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from .._core.effects import Op, Sleep
from .._core.fanout import FanOut
from .._core.pacing import Limiter, limited
from ..errors import ERR_INVALID_VALUE, ValidationError
from .sync import library_config_options

__all__ = ["check_async_client", "open_library_clients", "run_async", "run_fan_out_as_tasks"]

R = TypeVar("R")

AsyncSleep = Callable[[float], Awaitable[None]]

# A method every client of the service has; the check looks at how it is called, not at the client's type,
# so aioboto3's clients and test fakes with ``async def`` methods are accepted alike.
_PROBE_METHOD = {"dynamodb": "get_item", "kms": "decrypt"}


def check_async_client(client: Any, *, service: str, table: str) -> None:
    """Refuse, before any call, a client that cannot be awaited (a sync boto3 client, a client factory
    that was not entered with ``async with``, or nothing)."""
    argument = "client" if service == "dynamodb" else "kms_client"
    if client is None:
        problem = "is required" if service == "dynamodb" else "is required: the model has encrypted fields"
        raise _client_error(f"AsyncTable: {argument} {problem} (an async {service} client)", argument, table)
    method = getattr(client, _PROBE_METHOD[service], None)
    if method is None and hasattr(client, "__aenter__"):
        raise _client_error(
            f"AsyncTable: {argument} is a client factory that was not entered: pass the client from "
            f"`async with session.create_client({service!r}) as client`",
            argument,
            table,
        )
    # botocore-style clients (aiobotocore's included) generate plain methods around ``_make_api_call``,
    # which is a coroutine function only on async clients.
    make_api_call = getattr(client, "_make_api_call", None)
    awaitable = inspect.iscoroutinefunction(make_api_call if make_api_call is not None else method)
    if method is None or not awaitable:
        raise _client_error(
            f"AsyncTable: {argument} must be an async {service} client (aiobotocore, or methods defined "
            "with `async def`); for a boto3 client use Table",
            argument,
            table,
        )


def _client_error(message: str, argument: str, table: str) -> ValidationError:
    return ValidationError(message, code=ERR_INVALID_VALUE, table=table, field=argument)


async def open_library_clients(
    stack: AsyncExitStack,
    *,
    session: Any,
    region_name: str | None,
    endpoint_url: str | None,
    kms: bool,
) -> dict[str, Any]:
    """aiobotocore clients entered on ``stack`` (closed with it), with botocore's own retries off: the
    library retries, and sees every attempt's outcome."""
    try:
        aio_session = importlib.import_module("aiobotocore.session")
        aio_config = importlib.import_module("aiobotocore.config")
    except ImportError as exc:
        raise ImportError(
            "AsyncTable.connect needs aiobotocore: pip install 'dynamorm-py[async]'", name="aiobotocore"
        ) from exc
    if session is None:
        session = aio_session.get_session()
    config = aio_config.AioConfig(**library_config_options())
    services = ["dynamodb", "kms"] if kms else ["dynamodb"]
    clients: dict[str, Any] = {}
    for service in services:
        clients[service] = await stack.enter_async_context(
            session.create_client(service, region_name=region_name, endpoint_url=endpoint_url, config=config)
        )
    return clients


async def run_async(op: Op[R], *, clients: Mapping[str, Any], sleep: AsyncSleep | None) -> R:
    """Drive ``op`` to completion, awaiting every call and wait; ``sleep=None`` skips waits (pacing waits
    excepted: they await ``asyncio.sleep``).

    Cancelling the awaiting task closes ``op`` (its ``finally`` blocks run) and propagates ``CancelledError``.
    """
    try:
        effect = next(op)
        while True:
            if isinstance(effect, Sleep):
                wait = sleep if sleep is not None or not effect.pacing else asyncio.sleep
                if wait is not None and effect.seconds > 0:
                    try:
                        await wait(effect.seconds)
                    except Exception as exc:  # thrown in at the Sleep: a batch reports its leftovers
                        effect = op.throw(exc)
                        continue
                effect = op.send(None)
                continue
            client = clients[effect.service]
            try:
                result = await getattr(client, effect.operation)(**effect.params)
            except Exception as exc:  # the core decides what each client error means
                effect = op.throw(exc)
                continue
            effect = op.send(result)
    except StopIteration as stop:
        result_value: R = stop.value
        return result_value
    except BaseException:
        op.close()
        raise


async def run_fan_out_as_tasks(
    fan_out: FanOut[Any, R],
    *,
    clients: Mapping[str, Any],
    sleep: AsyncSleep | None,
    limiter: Limiter | None = None,
) -> R:
    """Run a fan-out's jobs as tasks, at most ``fan_out.max_in_flight`` at a time.

    Jobs the fan-out no longer needs are cancelled. When the caller is cancelled, every task is cancelled
    and awaited before ``CancelledError`` propagates, so no task outlives the call.
    """
    running: dict[asyncio.Task[Any], int] = {}
    try:
        while True:
            for job in fan_out.next_jobs():
                op = job.op if limiter is None else limited(job.op, limiter)
                task = asyncio.ensure_future(run_async(op, clients=clients, sleep=sleep))
                running[task] = job.index
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                index = running.pop(task)
                if task.cancelled():
                    fan_out.finished(index, error=asyncio.CancelledError())
                elif (error := task.exception()) is not None:
                    fan_out.finished(index, error=error)
                else:
                    fan_out.finished(index, task.result())
            cancel = set(fan_out.to_cancel())
            for task, index in running.items():
                if index in cancel:
                    task.cancel()
    except BaseException:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return fan_out.outcome()
