"""Effects: what a core operation asks its driver to do, and the one place AWS errors get their types.

Every operation is written once as a generator that yields :class:`AwsCall` or :class:`Sleep` effects and
receives their results (the response dict, or the client's exception thrown back in). The generator's
return value is the operation's result. The drivers (``dynamorm_py._drivers``) run these generators: the
sync one with blocking botocore calls, the async one with awaited calls, ``explain`` with no calls at all.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..aws_errors import map_aws_exception

__all__ = [
    "AwsCall",
    "Effect",
    "Op",
    "PreparedRequest",
    "Sleep",
    "aws_call",
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
    """Wait ``seconds`` before going on.

    A ``pacing`` wait (a limiter's, or a rate-limited read's) is never skipped: a driver told not to wait
    between retries (``sleep=None``) still performs it with its own sleep, or the pace would not hold.
    """

    seconds: float
    pacing: bool = False


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

        from .._blocks.typed_json import params_to_cli_json

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


# Users import these from dynamorm_py: tracebacks, reprs and pickles name that module.
PreparedRequest.__module__ = "dynamorm_py"
