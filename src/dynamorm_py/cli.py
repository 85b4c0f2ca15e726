"""The ``dynamorm`` command line (also ``python -m dynamorm_py``): argument parsing and the commands.

Exit status: 0 success, 1 operation error (``error: <code>: <message>`` on stderr), 2 usage error.
Each top-level command lives in ``COMMANDS``: a function that adds its sub-parser and sets ``handler``.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

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
    except _UsageError as exc:
        print(f"dynamorm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: Interrupted: stopped by the user", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        described = _describe_error(exc)
        if described is None:
            raise
        code, message = described
        print(f"error: {code}: {message}", file=sys.stderr)
        return EXIT_ERROR


class _UsageError(Exception):
    """Arguments argparse accepts one by one but that do not go together (exit 2)."""


class _CliError(Exception):
    """An operation error of the command line itself: ``error: <code>: <message>``, exit 1."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
    parser.add_argument(
        "--dms",
        nargs="+",
        metavar="FILE",
        default=[],
        help="DMS schema files: every model's table is created (TTL enabled) before the endpoint is printed",
    )
    parser.add_argument(
        "--no-enforce-naming",
        action="store_true",
        help="accept attribute names outside the naming convention",
    )
    parser.set_defaults(handler=_run_local)


def _register_dms(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "dms", help="validate DMS schema files and export models as DMS", description="DMS schema documents."
    )
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
    validate = actions.add_parser(
        "validate",
        help="check DMS files and build their models",
        description="Validate each file and build its models; prints 'FILE: ok (N models)' per good file and "
        "'error: <code>: FILE: <model>.<attribute>: <message>' on stderr per bad one (exit 1).",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument(
        "--no-enforce-naming",
        action="store_true",
        help="accept attribute names outside the naming convention",
    )
    validate.set_defaults(handler=_run_dms_validate)
    export = actions.add_parser(
        "export",
        help="write code-defined models as one DMS document",
        description="TARGET is package.module:NAME (one ModelDefinition) or package.module (every "
        "module-level ModelDefinition, in definition order).",
    )
    export.add_argument("targets", nargs="+", metavar="TARGET")
    export.add_argument("--namespace", help="the document's namespace")
    export.add_argument("--format", choices=("yaml", "json"), default="yaml", help="(default: %(default)s)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(handler=_run_dms_export)


def _register_table(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "table",
        help="create, ensure, delete or describe a DMS model's table",
        description="Table administration for one model of a DMS file.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
    helps = {
        "create": "create the table (an existing one is left alone)",
        "ensure": "create the table when it is missing",
        "delete": "delete the table",
        "describe": "print DescribeTable's Table as JSON",
    }
    for action, help_text in helps.items():
        sub = actions.add_parser(
            action, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
        )
        sub.add_argument("--dms", required=True, metavar="FILE", help="the DMS schema file")
        sub.add_argument("--model", required=True, metavar="NAME", help="the model's name in the file")
        sub.add_argument("--table-name", metavar="NAME", help="use this table name instead of the model's")
        sub.add_argument(
            "--no-enforce-naming",
            action="store_true",
            help="accept attribute names outside the naming convention",
        )
        _add_aws_options(sub)
        if action in ("create", "ensure"):
            sub.add_argument(
                "--billing-mode",
                choices=("PAY_PER_REQUEST", "PROVISIONED"),
                help="(default: PAY_PER_REQUEST, or PROVISIONED when capacities are given)",
            )
            sub.add_argument("--read-capacity", type=_positive_int, metavar="N")
            sub.add_argument("--write-capacity", type=_positive_int, metavar="N")
            sub.add_argument(
                "--stream-view-type",
                choices=("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"),
                help="enable a DynamoDB stream with this view",
            )
            sub.add_argument(
                "--enable-ttl", action="store_true", help="enable TTL on the model's ttl attribute"
            )
        if action == "delete":
            sub.add_argument("--ignore-missing", action="store_true", help="a missing table is not an error")
        if action != "describe":
            sub.add_argument("--no-wait", action="store_true", help="return without waiting for the table")
        sub.set_defaults(handler=_run_table)


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--endpoint-url", metavar="URL", help="DynamoDB endpoint (e.g. a local server)")
    group.add_argument(
        "--region", metavar="REGION", help="AWS region (default: from the environment/profile)"
    )
    group.add_argument("--profile", metavar="NAME", help="AWS shared-config profile")


# The top-level commands, in help order.
COMMANDS: tuple[Callable[[Subcommands], None], ...] = (_register_local, _register_dms, _register_table)


def _run_local(args: argparse.Namespace) -> int:
    from .local import LocalDynamoDB

    # Files are checked before the server starts: a bad schema fails fast, with nothing to clean up.
    models = [model for path in args.dms for model in _models_of(path, args.no_enforce_naming).values()]
    with _StopSignals() as stop:
        server = LocalDynamoDB(host=args.host, port=args.port, region=args.region).start()
        try:
            if models:
                from .schema import ensure_table

                client = server.client()
                for model in models:
                    ensure_table(model, client=client, enable_ttl=model.ttl is not None)
                    print(f"table {model.table_name}: ready", file=sys.stderr, flush=True)
            print(f"DYNAMODB_ENDPOINT={server.endpoint_url}", flush=True)
            if args.kms_key:
                print(f"DYNAMORM_KMS_KEY_ARN={server.create_kms_key()}", flush=True)
            stop.wait()
        finally:
            server.stop()
    return EXIT_OK


def _models_of(path: str, no_enforce_naming: bool) -> dict[str, Any]:
    from .dms import load_dms_file, models_from_dms

    enforce = not no_enforce_naming
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        doc = load_dms_file(path, enforce_naming=enforce)
        try:
            models = models_from_dms(doc, enforce_naming=enforce)
        except Exception as exc:
            from .errors import DynamormPyError

            if isinstance(exc, DynamormPyError):
                exc.message = f"{path}: {exc.message}"
                exc.args = (exc.message,)
            raise
    # Building the models validates the document again: each warning is shown once.
    for message in dict.fromkeys(str(warning.message) for warning in caught):
        print(f"warning: {path}: {message}", file=sys.stderr)
    return models


def _run_dms_validate(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            models = _models_of(path, args.no_enforce_naming)
        except Exception as exc:
            described = _describe_error(exc)
            if described is None:
                raise
            code, message = described
            if isinstance(exc, OSError):
                message = f"{path}: {exc.strerror or message}"
            print(f"error: {code}: {message}", file=sys.stderr)
            failed = True
            continue
        print(f"{path}: ok ({len(models)} model{'' if len(models) == 1 else 's'})", flush=True)
    return EXIT_ERROR if failed else EXIT_OK


def _run_dms_export(args: argparse.Namespace) -> int:
    from .dms import dump_dms_document

    models: list[Any] = []
    for target in args.targets:
        for model in _export_targets(target):
            if not any(model is seen for seen in models):
                models.append(model)
    text = dump_dms_document(models, namespace=args.namespace, format=args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _export_targets(target: str) -> list[Any]:
    from .model import ModelDefinition

    module_name, _, attribute = target.partition(":")
    if not module_name or (":" in target and not attribute):
        raise _UsageError(f"TARGET must be package.module or package.module:NAME, not {target!r}")
    # As `python -m` does: modules of the current directory are importable.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise
    except Exception as exc:  # the module itself fails: report it, never a traceback
        raise ImportError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from exc
    if attribute:
        value = getattr(module, attribute, None)
        if not isinstance(value, ModelDefinition):
            what = "not found" if value is None else f"a {type(value).__name__}, not a ModelDefinition"
            raise _CliError("ErrInvalidModel", f"{target}: {what}")
        return [value]
    found = [value for value in vars(module).values() if isinstance(value, ModelDefinition)]
    if not found:
        raise _CliError("ErrInvalidModel", f"{target}: the module defines no ModelDefinition")
    return found


def _run_table(args: argparse.Namespace) -> int:
    from . import schema

    models = _models_of(args.dms, args.no_enforce_naming)
    model = models.get(args.model)
    if model is None:
        names = ", ".join(models)
        raise _CliError("ErrInvalidModel", f"{args.dms}: no model named {args.model!r} (models: {names})")
    client = _dynamodb_client(args)
    name = args.table_name or model.table_name
    if args.action == "describe":
        response = schema.describe_table(model, client=client, table_name=args.table_name)
        print(json.dumps(response.get("Table", {}), indent=2, default=_json_default, ensure_ascii=False))
        return EXIT_OK
    wait = not args.no_wait
    if args.action == "delete":
        with _Progress(f"waiting for table {name} to be deleted") as progress:
            schema.delete_table(
                model,
                client=client,
                table_name=args.table_name,
                wait_for_delete=wait,
                ignore_missing=args.ignore_missing,
                sleep=progress.sleep,
            )
        print(f"table {name}: {'deleted' if wait else 'deletion requested'}")
        return EXIT_OK
    billing_mode = args.billing_mode
    capacities = (args.read_capacity, args.write_capacity)
    throughput = None
    if any(c is not None for c in capacities):
        if None in capacities:
            raise _UsageError("--read-capacity and --write-capacity go together")
        if billing_mode == "PAY_PER_REQUEST":
            raise _UsageError("--read-capacity/--write-capacity need --billing-mode PROVISIONED")
        billing_mode = "PROVISIONED"
        throughput = {"ReadCapacityUnits": args.read_capacity, "WriteCapacityUnits": args.write_capacity}
    create = schema.create_table if args.action == "create" else schema.ensure_table
    with _Progress(f"waiting for table {name} to become ACTIVE") as progress:
        create(
            model,
            client=client,
            table_name=args.table_name,
            billing_mode=billing_mode or "PAY_PER_REQUEST",
            provisioned_throughput=throughput,
            stream_view_type=args.stream_view_type,
            enable_ttl=args.enable_ttl,
            wait_for_active=wait,
            sleep=progress.sleep,
        )
    print(f"table {name}: {'ready' if wait else 'creation requested'}")
    return EXIT_OK


def _dynamodb_client(args: argparse.Namespace) -> Any:
    import boto3
    from botocore.exceptions import NoRegionError, ProfileNotFound

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        return session.client("dynamodb", endpoint_url=args.endpoint_url)
    except ProfileNotFound:
        raise _CliError("ErrNoCredentials", f"AWS profile {args.profile!r} not found") from None
    except NoRegionError:
        raise _CliError("NoRegionError", "no AWS region: pass --region or set AWS_DEFAULT_REGION") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


class _Progress:
    """Shows that a wait is still going once it passes a second: a spinner on a terminal, else plain lines.

    Used as the ``sleep`` of the schema helpers, which call it between polls.
    """

    _FRAMES = "|/-\\"
    _FIRST_AFTER = 1.0
    _LINE_EVERY = 10.0

    def __init__(self, message: str, stream: TextIO | None = None) -> None:
        self._message = message
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._start = time.monotonic()
        self._next_line = self._FIRST_AFTER
        self._frame = 0
        self._shown = False

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._shown and self._tty:
            self._stream.write("\r\033[K")
            self._stream.flush()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        elapsed = time.monotonic() - self._start
        if elapsed < self._FIRST_AFTER:
            return
        if self._tty:
            frame = self._FRAMES[self._frame % len(self._FRAMES)]
            self._frame += 1
            self._stream.write(f"\r{self._message} {frame} {int(elapsed)}s")
        elif elapsed >= self._next_line:
            self._next_line = elapsed + self._LINE_EVERY
            self._stream.write(f"{self._message} ({int(elapsed)}s)\n")
        else:
            return
        self._shown = True
        self._stream.flush()


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return EXIT_OK
    return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def _describe_error(exc: Exception) -> tuple[str, str] | None:
    """``(code, message)`` for an operation error; ``None`` for anything else (a bug: let it raise)."""
    from .errors import DynamormPyError

    if isinstance(exc, _CliError):
        return exc.code, exc.message
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
