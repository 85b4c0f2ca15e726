"""The ``dynamorm`` command line (also ``python -m dynamorm_py``): argument parsing and the commands.

Exit status: 0 success, 1 operation error (``error: <code>: <message>`` on stderr), 2 usage error.
Each top-level command lives in ``COMMANDS``: a function that adds its sub-parser and sets ``handler``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]

# How often a foreground command checks whether SIGINT or SIGTERM arrived.
_SIGNAL_POLL_SECONDS = 0.1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return _exit_status(exc)
    handler: Handler = args.handler
    try:
        return handler(args)
    except Exception as exc:
        described = _describe_error(exc)
        if described is None:
            raise
        code, message = described
        print(f"error: {code}: {message}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dynamorm", description="dynamorm-py: typed DynamoDB ORM tools.")
    parser.add_argument("--version", action="version", version=f"dynamorm-py {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(commands)
    return parser


def _register_local(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "local",
        help="run the embedded DynamoDB (DynamoDB, KMS and DynamoDB Streams) in the foreground",
        description="Run the embedded DynamoDB in the foreground until SIGINT or SIGTERM. The first line "
        "on stdout is DYNAMODB_ENDPOINT=<url>.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to bind, 0 for any free port (default: %(default)s)"
    )
    parser.add_argument("--region", default="us-east-1", help="region of the clients (default: %(default)s)")
    parser.add_argument(
        "--kms-key", action="store_true", help="create a KMS key and print DYNAMORM_KMS_KEY_ARN=<arn>"
    )
    parser.set_defaults(handler=_run_local)


# The top-level commands, in help order. `dms` and `table` register here when they are added.
COMMANDS: tuple[Callable[[Subcommands], None], ...] = (_register_local,)


def _run_local(args: argparse.Namespace) -> int:
    from .local import LocalDynamoDB

    with _StopSignals() as stop:
        server = LocalDynamoDB(host=args.host, port=args.port, region=args.region).start()
        try:
            print(f"DYNAMODB_ENDPOINT={server.endpoint_url}", flush=True)
            if args.kms_key:
                print(f"DYNAMORM_KMS_KEY_ARN={server.create_kms_key()}", flush=True)
            stop.wait()
        finally:
            server.stop()
    return EXIT_OK


class _StopSignals:
    """Turns SIGINT and SIGTERM into a flag while entered; the previous handlers come back on exit."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._received: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        for signum in self._SIGNALS:
            self._previous[signum] = signal.signal(signum, self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def wait(self) -> None:
        # Polling keeps the signal handler trivial: taking locks (Event.set) inside a handler can deadlock.
        while not self._received:
            time.sleep(_SIGNAL_POLL_SECONDS)

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._received.append(signum)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return EXIT_OK
    return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def _describe_error(exc: Exception) -> tuple[str, str] | None:
    """``(code, message)`` for an operation error; ``None`` for anything else (a bug: let it raise)."""
    from .errors import DynamormPyError

    if isinstance(exc, DynamormPyError):
        return exc.code, exc.message
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, (ClientError, BotoCoreError)):
        # Typed as the library types them, so a command reports the same code a Table call would raise.
        from .aws_errors import map_aws_exception

        mapped = map_aws_exception(exc)
        if isinstance(mapped, DynamormPyError):
            return mapped.code, mapped.message
    if isinstance(exc, (ImportError, OSError)):
        return type(exc).__name__, str(exc)
    return None
