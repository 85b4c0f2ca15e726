"""The sans-I/O core: operations as generators of effects, and the drivers that run them.

Every operation is written once as a generator that yields :class:`AwsCall` or :class:`Sleep` effects and
receives their results (the response dict, or the client's exception thrown back in). The generator's
return value is the operation's result. ``Table`` runs operations with :func:`run_sync`; ``explain`` runs
the same generators with :func:`run_explain`, which answers no call and so performs no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from .aws_errors import map_aws_exception

__all__ = [
    "AwsCall",
    "Effect",
    "Op",
    "PreparedRequest",
    "Sleep",
    "aws_call",
    "run_explain",
    "run_sync",
]

R = TypeVar("R")

Service = Literal["dynamodb", "kms"]


@dataclass(frozen=True)
class AwsCall:
    """Call ``client.<operation>(**params)`` on the client of ``service``."""

    service: Service
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before going on."""

    seconds: float


Effect = AwsCall | Sleep
Op = Generator[Effect, Any, R]


@dataclass(frozen=True)
class PreparedRequest:
    """The exact request an operation would send: ``client.<operation>(**params)``."""

    service: Literal["dynamodb"]
    operation: str
    params: dict[str, Any]
    encrypted_attributes: tuple[str, ...] = field(default=())

    def to_cli_json(self) -> str:
        """``params`` as DynamoDB-JSON text, for pasting into the AWS CLI."""
        import json

        from ._typed_json import params_to_cli_json

        return json.dumps(params_to_cli_json(self.params), indent=2, ensure_ascii=False)


def aws_call(
    service: Service,
    operation: str,
    params: dict[str, Any],
    *,
    op_name: str,
    table: str | None,
) -> Op[dict[str, Any]]:
    """Yield one AWS call and map botocore's exceptions to the library's typed errors.

    Every AWS call of the library goes through here, so an AWS error answer (``ClientError``) and a failure
    to get any answer (connection, timeout, credentials: ``BotoCoreError``) are typed the same way on every
    path. Other exceptions (a caller's stand-in client, a bug) pass through unchanged.
    """
    try:
        response = yield AwsCall(service, operation, params)
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_exception(exc, operation=op_name, table=table) from exc
    return response if isinstance(response, dict) else {}


def run_sync(
    op: Op[R],
    *,
    clients: Mapping[str, Any],
    sleep: Callable[[float], None] | None,
) -> R:
    """Drive ``op`` to completion with blocking clients; ``sleep=None`` skips waits."""
    try:
        effect = next(op)
        while True:
            if isinstance(effect, Sleep):
                if sleep is not None and effect.seconds > 0:
                    try:
                        sleep(effect.seconds)
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
