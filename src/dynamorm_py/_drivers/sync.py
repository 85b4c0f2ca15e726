"""Running core operations with blocking clients (botocore), and the clients the library builds."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Literal, TypeVar

from .._core.effects import Op, Sleep
from .._core.fanout import FanOut
from .._core.pacing import Limiter, limited
from ..errors import ERR_INVALID_VALUE, ValidationError

__all__ = [
    "client",
    "library_client",
    "library_config_options",
    "run_fan_out_in_threads",
    "run_pure",
    "run_sync",
]

R = TypeVar("R")


def run_sync(
    op: Op[R],
    *,
    clients: Mapping[str, Any],
    sleep: Callable[[float], None] | None,
) -> R:
    """Drive ``op`` to completion with blocking clients; ``sleep=None`` skips waits (pacing waits excepted:
    they use ``time.sleep``)."""
    try:
        effect = next(op)
        while True:
            if isinstance(effect, Sleep):
                wait = sleep if sleep is not None or not effect.pacing else time.sleep
                if wait is not None and effect.seconds > 0:
                    try:
                        wait(effect.seconds)
                    except Exception as exc:  # thrown in at the Sleep: a batch reports its leftovers
                        effect = op.throw(exc)
                        continue
                effect = op.send(None)
                continue
            client = clients[effect.service]
            try:
                result = getattr(client, effect.operation)(**effect.params)
            except Exception as exc:  # the core decides what each client error means
                effect = op.throw(exc)
                continue
            effect = op.send(result)
    except StopIteration as stop:
        result_value: R = stop.value
        return result_value
    except BaseException:
        op.close()  # an interrupt mid-call: the operation's clean-up (a limiter slot) runs now
        raise


def library_config_options() -> dict[str, Any]:
    """The botocore ``Config`` options of every client the library builds (sync and async alike).

    - botocore's own retries off: the library retries (``RetryPolicy``) and sees every attempt's outcome;
    - botocore's per-call parameter validation off: the library's requests are valid by construction, and
      the check costs more CPU than the rest of the library's work on a small request. A request DynamoDB
      rejects still comes back as DynamoDB's own error (``ValidationException``), so nothing is lost.
    """
    return {"retries": {"total_max_attempts": 1, "mode": "standard"}, "parameter_validation": False}


def library_client(
    service: Literal["dynamodb", "kms"] = "dynamodb",
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
    config: Any = None,
    **client_kwargs: Any,
) -> Any:
    """A boto3 client configured as :func:`library_config_options` says (``config`` is merged over it)."""
    import boto3
    from botocore.config import Config

    merged = Config(**library_config_options())
    if config is not None:
        merged = merged.merge(config)
    return (session or boto3).client(
        service, region_name=region_name, endpoint_url=endpoint_url, config=merged, **client_kwargs
    )


def client(
    service: Literal["dynamodb", "kms"] = "dynamodb",
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    config: Any = None,
    session: Any = None,
) -> Any:
    """A boto3 client of ``service`` ("dynamodb" or "kms") built the way ``Table(model)`` builds its own.

    Its botocore retries are off (the library retries every call, as ``RetryPolicy`` says) and so is
    botocore's per-call parameter validation (the library's requests are valid by construction; a request
    DynamoDB rejects still fails with DynamoDB's own ``ValidationException``). Pass it to ``Table`` or
    ``DynamormClient`` to share one client between several tables. Credentials, region and endpoint
    resolve as boto3's do (environment, profile, instance role) unless given; ``session`` is a
    ``boto3.Session`` to build it from, ``config`` a ``botocore.config.Config`` merged over the library's.

    Used directly, it is an ordinary boto3 client, except that a malformed call reaches DynamoDB instead of
    failing in botocore first.
    """
    if service not in ("dynamodb", "kms"):
        raise ValidationError('service must be "dynamodb" or "kms"', code=ERR_INVALID_VALUE, field="service")
    return library_client(
        service,
        region_name=region_name,
        endpoint_url=endpoint_url,
        session=session,
        config=config,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
    )


client.__module__ = "dynamorm_py"


def run_fan_out_in_threads(
    fan_out: FanOut[Any, R],
    *,
    clients: Mapping[str, Any],
    sleep: Callable[[float], None] | None,
    thread_name_prefix: str,
    limiter: Limiter | None = None,
) -> R:
    """Run a fan-out's jobs on a thread pool of ``fan_out.max_in_flight`` threads (each job's requests
    admitted by ``limiter``, when given).

    A thread cannot be stopped: jobs the fan-out cancels run to their end and their outcome is ignored.
    """
    running: dict[Future[Any], int] = {}
    with ThreadPoolExecutor(max_workers=fan_out.max_in_flight, thread_name_prefix=thread_name_prefix) as pool:
        while True:
            for job in fan_out.next_jobs():
                op = job.op if limiter is None else limited(job.op, limiter)
                running[pool.submit(run_sync, op, clients=clients, sleep=sleep)] = job.index
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # the fan-out decides what a failed job means
                    fan_out.finished(index, error=exc)
                else:
                    fan_out.finished(index, result)
    return fan_out.outcome()


def run_pure(op: Op[R]) -> R:
    """Run an operation that sends nothing (argument checks, shapes, a walker's set-up)."""
    try:
        effect = next(op)
    except StopIteration as stop:
        result: R = stop.value
        return result
    op.close()
    raise RuntimeError(f"an operation that sends nothing asked for {effect!r}")  # a bug in the core
