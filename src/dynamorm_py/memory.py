"""An in-memory DynamoDB (and KMS) for fast unit tests: no server, no port, no moto.

``memory_client()`` returns an object that looks like a botocore DynamoDB client to ``Table``: the same
method names and keyword arguments, low-level AttributeValue dicts in and out, and errors raised as
``botocore.exceptions.ClientError`` with DynamoDB's error codes (ConditionalCheckFailedException,
TransactionCanceledException with CancellationReasons, ResourceNotFoundException, ValidationException), so
the library maps them to its own errors exactly as it does on AWS. ``async_memory_client()`` is its asyncio
twin for ``AsyncTable``.

Each client keeps its own tables: two clients never share state, and nothing is process-wide, so tests stay
isolated even when they run in threads. Each request runs under the client's lock, so it is atomic as in
DynamoDB. An operation the store does not implement raises ``NotImplementedError`` naming it instead of
pretending to succeed.

The store is purpose-built rather than moto driven in-process: moto keeps its state per process and its
request path costs about as much as the embedded server's minus the socket, while this store answers a call
in microseconds (see ``bench/memory_client.py``). What it does not model: capacity limits and throttling,
TTL expiry, streams, PartiQL, backups, and eventual consistency (every read is strongly consistent).
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import threading
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

from botocore.exceptions import ClientError, ParamValidationError

if TYPE_CHECKING:
    from ._drivers.async_table import AsyncTable
    from ._drivers.table import Table
    from .model import ModelDefinition

__all__ = [
    "AsyncMemoryDynamoDBClient",
    "AsyncMemoryKmsClient",
    "MemoryDynamoDB",
    "MemoryDynamoDBClient",
    "MemoryKmsClient",
    "async_memory_client",
    "memory_client",
    "memory_kms_client",
]

T = TypeVar("T")

Item = dict[str, Any]
Value = dict[str, Any]

DEFAULT_REGION = "us-east-1"
_ACCOUNT = "000000000000"
_MAX_ITEM_BYTES = 400 * 1024
_MAX_PAGE_BYTES = 1024 * 1024
_MAX_BATCH_GET = 100
_MAX_BATCH_WRITE = 25
_MAX_TRANSACT = 100
_TOKEN_WINDOW_SECONDS = 600.0
_NUMBER_CONTEXT = Context(prec=38)
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


# --- errors ------------------------------------------------------------------------------------------------


def _client_error(code: str, message: str, operation: str, *, status: int = 400, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": uuid.uuid4().hex.upper(),
            "HTTPStatusCode": status,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
    # botocore also copies the message to the top level for the errors DynamoDB's model declares.
    member = _MODELED_MESSAGE.get(code)
    if member is not None:
        response[member] = message
    response.update(extra)
    return ClientError(response, operation)  # type: ignore[arg-type]


_MODELED_MESSAGE = {
    "ConditionalCheckFailedException": "message",
    "ResourceNotFoundException": "message",
    "ResourceInUseException": "message",
    "TransactionCanceledException": "Message",
    "IdempotentParameterMismatchException": "Message",
}


class _Invalid(Exception):
    """A request DynamoDB would reject with ValidationException; turned into a ClientError at the edge."""


class _ConditionFailed(Exception):
    def __init__(self, old: Item | None) -> None:
        super().__init__("The conditional request failed")
        self.old = old


def _missing_table(name: str) -> _Invalid:
    return _NotFound(f"Requested resource not found: Table: {name} not found")


class _NotFound(_Invalid):
    pass


class _InUse(_Invalid):
    pass


# --- attribute values --------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if not isinstance(value, dict) or len(value) != 1:
        raise _Invalid(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    return str(next(iter(value)))


def _number(text: Any) -> Decimal:
    if not isinstance(text, str) or not _NUMBER.match(text):
        raise _Invalid("A value provided cannot be converted into a number")
    number = Decimal(text.strip())
    if number != 0 and not (Decimal("1E-130") <= abs(number) < Decimal("1E+126")):
        raise _Invalid(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    return number


def _number_text(number: Decimal) -> str:
    if number == 0:
        return "0"
    text = format(number.normalize(_NUMBER_CONTEXT), "f")
    return text


def _binary(raw: Any) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode()
    raise _Invalid("Invalid binary value")


def _clean(value: Any) -> Value:
    """A private, validated copy of an AttributeValue from a request (sets checked, binaries as bytes)."""
    kind = _kind(value)
    raw = value[kind]
    if kind == "S":
        if not isinstance(raw, str):
            raise _Invalid("Invalid string value")
        return {"S": raw}
    if kind == "N":
        _number(raw)
        return {"N": raw}
    if kind == "B":
        return {"B": _binary(raw)}
    if kind == "BOOL":
        return {"BOOL": bool(raw)}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "M":
        if not isinstance(raw, dict):
            raise _Invalid("Invalid map value")
        return {"M": {str(k): _clean(v) for k, v in raw.items()}}
    if kind == "L":
        if not isinstance(raw, list | tuple):
            raise _Invalid("Invalid list value")
        return {"L": [_clean(v) for v in raw]}
    if kind in ("SS", "NS", "BS"):
        members = list(raw) if isinstance(raw, list | tuple | set | frozenset) else None
        if not members:
            raise _Invalid("One or more parameter values were invalid: An number set  may not be empty")
        if kind == "SS":
            if not all(isinstance(m, str) for m in members):
                raise _Invalid("Invalid string set value")
            identities: list[Any] = list(members)
        elif kind == "NS":
            identities = [_number(m) for m in members]
        else:
            members = [_binary(m) for m in members]
            identities = list(members)
        if len(set(identities)) != len(identities):
            raise _Invalid("Input collection contains duplicates")
        return {kind: members}
    raise _Invalid(f"Unsupported AttributeValue type {kind}")


def _copy(value: Value) -> Value:
    kind, raw = next(iter(value.items()))
    if kind == "M":
        return {"M": {k: _copy(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_copy(v) for v in raw]}
    if kind in ("SS", "NS", "BS"):
        return {kind: list(raw)}
    return {kind: raw}


def _copy_item(item: Item) -> Item:
    return {name: _copy(value) for name, value in item.items()}


def _identity(value: Value) -> Any:
    """A hashable identity: equal values (numbers by value, sets in any order) have equal identities."""
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return ("N", _number(raw))
    if kind == "NS":
        return ("NS", frozenset(_number(m) for m in raw))
    if kind in ("SS", "BS"):
        return (kind, frozenset(raw))
    if kind == "M":
        return ("M", frozenset((k, _identity(v)) for k, v in raw.items()))
    if kind == "L":
        return ("L", tuple(_identity(v) for v in raw))
    return (kind, raw)


def _size(name: str, value: Value) -> int:
    return len(name.encode()) + _value_size(value)


def _value_size(value: Value) -> int:
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(raw.encode())
    if kind == "B":
        return len(raw)
    if kind == "N":
        return len(raw.strip().lstrip("+-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(m.encode()) for m in raw)
    if kind == "BS":
        return sum(len(m) for m in raw)
    if kind == "NS":
        return sum(len(str(m)) // 2 + 2 for m in raw)
    if kind == "M":
        return 3 + sum(_size(k, v) + 1 for k, v in raw.items())
    return 3 + sum(_value_size(v) + 1 for v in raw)


def _item_size(item: Item) -> int:
    return sum(_size(name, value) for name, value in item.items())


# --- expressions -------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<name>#[A-Za-z0-9_]+)|(?P<value>:[A-Za-z0-9_]+)|(?P<number>\d+)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><>|<=|>=|[=<>(),.\[\]+-]))"
)
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}
_FUNCTIONS = {
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "if_not_exists",
    "list_append",
}

Path = tuple[str | int, ...]


class _Parser:
    """Recursive descent over DynamoDB's condition, key-condition, update and projection expressions.

    Names and values are resolved while parsing, and the ones used are recorded, so unknown and unused
    placeholders are rejected as DynamoDB rejects them.
    """

    def __init__(self, text: str, names: Mapping[str, str], values: Mapping[str, Value], used: _Used) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text or ""
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip() == "":
                    break
                raise _Invalid(f"Invalid expression: Syntax error; token: {text[position : position + 10]!r}")
            position = match.end()
            kind = match.lastgroup
            assert kind is not None
            token = match.group(kind)
            if kind == "word" and token.upper() in _KEYWORDS:
                kind, token = "keyword", token.upper()
            self.tokens.append((kind, token))
        self.index = 0
        self.names = names
        self.values = values
        self.used = used

    # token helpers
    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def accept(self, token: str) -> bool:
        current = self.peek()
        if current is not None and current[1] == token and current[0] in ("op", "keyword"):
            self.index += 1
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.accept(token):
            current = self.peek()
            found = current[1] if current else "<end>"
            raise _Invalid(f"Invalid expression: Syntax error; token: {found!r}, expected {token!r}")

    def done(self) -> bool:
        return self.index >= len(self.tokens)

    def finish(self) -> None:
        if not self.done():
            raise _Invalid(f"Invalid expression: Syntax error; token: {self.tokens[self.index][1]!r}")

    # operands
    def path(self) -> Path:
        parts: list[str | int] = [self.name()]
        while True:
            if self.accept("."):
                parts.append(self.name())
            elif self.accept("["):
                token = self.peek()
                if token is None or token[0] != "number":
                    raise _Invalid("Invalid expression: list index must be a number")
                self.index += 1
                parts.append(int(token[1]))
                self.expect("]")
            else:
                return tuple(parts)

    def name(self) -> str:
        token = self.peek()
        if token is None:
            raise _Invalid("Invalid expression: unexpected end of expression")
        kind, text = token
        self.index += 1
        if kind == "name":
            if text not in self.names:
                raise _Invalid(
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {text}"
                )
            self.used.names.add(text)
            return self.names[text]
        if kind == "word":
            return text
        raise _Invalid(f"Invalid expression: Syntax error; token: {text!r}")

    def value(self) -> Value:
        token = self.peek()
        assert token is not None
        self.index += 1
        if token[1] not in self.values:
            raise _Invalid(
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {token[1]}"
            )
        self.used.values.add(token[1])
        return self.values[token[1]]

    def operand(self) -> Any:
        token = self.peek()
        if token is None:
            raise _Invalid("Invalid expression: unexpected end of expression")
        if token[0] == "value":
            return ("value", self.value())
        nxt = self.peek(1)
        if token[0] == "word" and token[1] in _FUNCTIONS and nxt is not None and nxt[1] == "(":
            self.index += 2
            args = [self.operand()]
            while self.accept(","):
                args.append(self.operand())
            self.expect(")")
            return ("call", token[1], args)
        return ("path", self.path())

    # conditions
    def condition(self) -> Any:
        left = self.conjunction()
        while self.accept("OR"):
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.accept("AND"):
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.accept("NOT"):
            return ("not", self.negation())
        return self.predicate()

    def predicate(self) -> Any:
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        left = self.operand()
        token = self.peek()
        if token is not None and token[1] in ("=", "<>", "<", "<=", ">", ">="):
            self.index += 1
            return ("cmp", token[1], left, self.operand())
        if self.accept("BETWEEN"):
            low = self.operand()
            self.expect("AND")
            return ("between", left, low, self.operand())
        if self.accept("IN"):
            self.expect("(")
            options = [self.operand()]
            while self.accept(","):
                options.append(self.operand())
            self.expect(")")
            return ("in", left, options)
        if left[0] == "call" and left[1] in (
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
        ):
            return left
        raise _Invalid("Invalid expression: Syntax error; a condition must be a comparison or a function")

    # updates
    def update(self) -> list[tuple[str, Path, Any]]:
        actions: list[tuple[str, Path, Any]] = []
        seen: set[str] = set()
        while not self.done():
            token = self.peek()
            assert token is not None
            clause = token[1]
            if token[0] != "keyword" or clause not in ("SET", "REMOVE", "ADD", "DELETE"):
                raise _Invalid(f"Invalid UpdateExpression: Syntax error; token: {clause!r}")
            if clause in seen:
                raise _Invalid(f'Invalid UpdateExpression: The "{clause}" section can only be used once')
            seen.add(clause)
            self.index += 1
            while True:
                target = self.path()
                if clause == "SET":
                    self.expect("=")
                    actions.append(("SET", target, self.set_value()))
                elif clause == "REMOVE":
                    actions.append(("REMOVE", target, None))
                else:
                    actions.append((clause, target, self.operand()))
                if not self.accept(","):
                    break
        if not actions:
            raise _Invalid("Invalid UpdateExpression: The expression can not be empty")
        return actions

    def set_value(self) -> Any:
        left = self.operand()
        if self.accept("+"):
            return ("+", left, self.operand())
        if self.accept("-"):
            return ("-", left, self.operand())
        return left

    def paths(self) -> list[Path]:
        result = [self.path()]
        while self.accept(","):
            result.append(self.path())
        self.finish()
        return result


@dataclass
class _Used:
    names: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)


class _Expressions:
    """The expressions of one request, parsed against its ExpressionAttributeNames/Values."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.names: Mapping[str, str] = params.get("ExpressionAttributeNames") or {}
        raw_values = params.get("ExpressionAttributeValues") or {}
        self.values = {key: _clean(value) for key, value in raw_values.items()}
        self.used = _Used()

    def parser(self, text: str) -> _Parser:
        return _Parser(text, self.names, self.values, self.used)

    def condition(self, text: str | None) -> Any:
        if text is None:
            return None
        parser = self.parser(text)
        tree = parser.condition()
        parser.finish()
        return tree

    def check_all_used(self) -> None:
        unused_names = set(self.names) - self.used.names
        if unused_names:
            keys = ", ".join(sorted(unused_names))
            raise _Invalid(
                f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{keys}}}"
            )
        unused_values = set(self.values) - self.used.values
        if unused_values:
            keys = ", ".join(sorted(unused_values))
            raise _Invalid(
                f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{keys}}}"
            )


def _resolve(item: Item, path: Path) -> Value | None:
    head = path[0]
    current: Value | None = item.get(head) if isinstance(head, str) else None
    for part in path[1:]:
        if current is None:
            return None
        if isinstance(part, int):
            items = current.get("L")
            current = items[part] if items is not None and part < len(items) else None
        else:
            members = current.get("M")
            current = members.get(part) if members is not None else None
    return current


def _evaluate(node: Any, item: Item) -> Value | None:
    kind = node[0]
    if kind == "value":
        return node[1]  # type: ignore[no-any-return]
    if kind == "path":
        return _resolve(item, node[1])
    if kind == "call" and node[1] == "size":
        target = _evaluate(node[2][0], item)
        if target is None:
            return None
        target_kind, raw = next(iter(target.items()))
        if target_kind == "S":
            return {"N": str(len(raw))}
        if target_kind in ("B", "SS", "NS", "BS", "L", "M"):
            return {"N": str(len(raw))}
        return None
    raise _Invalid(f"Invalid expression: the function {node[1]} is not allowed here")


def _ordered(value: Value) -> tuple[str, Any] | None:
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return "N", _number(raw)
    if kind in ("S", "B"):
        return kind, raw
    return None


def _compare(op: str, left: Value | None, right: Value | None) -> bool:
    if left is None or right is None:
        return False
    if op in ("=", "<>"):
        equal = _identity(left) == _identity(right)
        return equal if op == "=" else not equal
    a, b = _ordered(left), _ordered(right)
    if a is None or b is None or a[0] != b[0]:
        return False
    if op == "<":
        return bool(a[1] < b[1])
    if op == "<=":
        return bool(a[1] <= b[1])
    if op == ">":
        return bool(a[1] > b[1])
    return bool(a[1] >= b[1])


def _test(node: Any, item: Item) -> bool:
    kind = node[0]
    if kind == "and":
        return _test(node[1], item) and _test(node[2], item)
    if kind == "or":
        return _test(node[1], item) or _test(node[2], item)
    if kind == "not":
        return not _test(node[1], item)
    if kind == "cmp":
        return _compare(node[1], _evaluate(node[2], item), _evaluate(node[3], item))
    if kind == "between":
        value = _evaluate(node[1], item)
        low, high = _evaluate(node[2], item), _evaluate(node[3], item)
        if low is not None and high is not None and _compare(">", low, high):
            raise _Invalid(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                "greater than or equal to lower bound"
            )
        return _compare(">=", value, low) and _compare("<=", value, high)
    if kind == "in":
        value = _evaluate(node[1], item)
        return any(_compare("=", value, _evaluate(option, item)) for option in node[2])
    if kind == "call":
        return _function(node[1], node[2], item)
    raise _Invalid("Invalid expression: Syntax error")


def _function(name: str, args: list[Any], item: Item) -> bool:
    if name in ("attribute_exists", "attribute_not_exists"):
        if len(args) != 1 or args[0][0] != "path":
            raise _Invalid(f"Invalid expression: {name} takes one document path")
        exists = _resolve(item, args[0][1]) is not None
        return exists if name == "attribute_exists" else not exists
    if len(args) != 2 or args[0][0] != "path":
        raise _Invalid(f"Invalid expression: {name} takes a document path and an operand")
    target = _resolve(item, args[0][1])
    operand = _evaluate(args[1], item)
    if target is None or operand is None:
        return False
    target_kind, raw = next(iter(target.items()))
    operand_kind, wanted = next(iter(operand.items()))
    if name == "attribute_type":
        return bool(target_kind == wanted)
    if name == "begins_with":
        if target_kind != operand_kind or target_kind not in ("S", "B"):
            return False
        return bool(raw.startswith(wanted))
    if name == "contains":
        if target_kind == "S" and operand_kind == "S":
            return bool(wanted in raw)
        if target_kind == "B" and operand_kind == "B":
            return bool(wanted in raw)
        if target_kind in ("SS", "NS", "BS") and operand_kind == target_kind[0]:
            return _identity(operand) in {_identity({operand_kind: m}) for m in raw}
        if target_kind == "L":
            return any(_identity(member) == _identity(operand) for member in raw)
        return False
    raise _Invalid(f"Invalid expression: unknown function {name}")


def _project(item: Item, paths: list[Path]) -> Item:
    result: Item = {}
    for path in paths:
        value = _resolve(item, path)
        if value is None:
            continue
        _place(result, path, _copy(value))
    return result


def _place(result: Item, path: Path, value: Value) -> None:
    """Put ``value`` at ``path`` in a projection result, creating maps and (compacted) lists on the way."""
    head = path[0]
    assert isinstance(head, str)
    if len(path) == 1:
        result[head] = value
        return
    container = result.get(head)
    nxt = path[1]
    if container is None:
        container = {"L": []} if isinstance(nxt, int) else {"M": {}}
        result[head] = container
    _place_inner(container, path[1:], value)


def _place_inner(container: Value, path: Path, value: Value) -> None:
    part = path[0]
    if isinstance(part, int):
        members = container["L"]
        if len(path) == 1:
            members.append(value)
            return
        child: Value = {"L": []} if isinstance(path[1], int) else {"M": {}}
        members.append(child)
        _place_inner(child, path[1:], value)
        return
    mapping = container["M"]
    if len(path) == 1:
        mapping[part] = value
        return
    existing = mapping.get(part)
    if existing is None:
        existing = {"L": []} if isinstance(path[1], int) else {"M": {}}
        mapping[part] = existing
    _place_inner(existing, path[1:], value)


# --- updates -----------------------------------------------------------------------------------------------


def _overlap(a: Path, b: Path) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _apply_update(item: Item, actions: list[tuple[str, Path, Any]], keys: tuple[str, ...]) -> Item:
    """The item after the update; every right-hand side is read from the item as it was."""
    for index, (_, path, _) in enumerate(actions):
        if path[0] in keys:
            raise _Invalid(
                f"One or more parameter values were invalid: Cannot update attribute {path[0]}. "
                "This attribute is part of the key"
            )
        for _, other, _ in actions[index + 1 :]:
            if _overlap(path, other):
                raise _Invalid(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must "
                    "remove or rewrite one of these paths"
                )
    before = item
    after = _copy_item(item)
    removals: list[Path] = []
    for action, path, operand in actions:
        if action == "SET":
            _assign(after, path, _set_value(operand, before))
        elif action == "REMOVE":
            removals.append(path)
        elif action == "ADD":
            _add(after, path, _operand_value(operand, before))
        else:
            _delete(after, path, _operand_value(operand, before))
    # List elements are removed from the highest index down, so earlier removals do not shift later ones.
    for path in sorted(removals, key=lambda p: [(-x if isinstance(x, int) else 0) for x in p]):
        _remove(after, path)
    return after


def _operand_value(node: Any, item: Item) -> Value:
    value = _evaluate(node, item)
    if value is None:
        raise _Invalid("The provided expression refers to an attribute that does not exist in the item")
    return value


def _set_value(node: Any, item: Item) -> Value:
    kind = node[0]
    if kind in ("+", "-"):
        left, right = _set_value(node[1], item), _set_value(node[2], item)
        if "N" not in left or "N" not in right:
            raise _Invalid("An operand in the update expression has an incorrect data type")
        a, b = _number(left["N"]), _number(right["N"])
        result = _NUMBER_CONTEXT.add(a, b) if kind == "+" else _NUMBER_CONTEXT.subtract(a, b)
        return {"N": _number_text(result)}
    if kind == "call" and node[1] == "if_not_exists":
        if len(node[2]) != 2 or node[2][0][0] != "path":
            raise _Invalid("Invalid UpdateExpression: if_not_exists takes a document path and an operand")
        existing = _resolve(item, node[2][0][1])
        return _copy(existing) if existing is not None else _set_value(node[2][1], item)
    if kind == "call" and node[1] == "list_append":
        if len(node[2]) != 2:
            raise _Invalid("Invalid UpdateExpression: list_append takes two operands")
        first, second = _set_value(node[2][0], item), _set_value(node[2][1], item)
        if "L" not in first or "L" not in second:
            raise _Invalid("An operand in the update expression has an incorrect data type")
        return {"L": [_copy(v) for v in first["L"]] + [_copy(v) for v in second["L"]]}
    if kind == "call":
        raise _Invalid(f"Invalid UpdateExpression: the function {node[1]} is not allowed in an update")
    return _copy(_operand_value(node, item))


def _parent(item: Item, path: Path, *, create: bool) -> tuple[Any, str | int] | None:
    """The container holding ``path``'s last part and that part; None when an ancestor is missing."""
    head = path[0]
    assert isinstance(head, str)
    if len(path) == 1:
        return item, head
    current = item.get(head)
    for part in path[1:-1]:
        if current is None:
            break
        if isinstance(part, int):
            members = current.get("L")
            current = members[part] if members is not None and part < len(members) else None
        else:
            mapping = current.get("M")
            current = mapping.get(part) if mapping is not None else None
    last = path[-1]
    if current is None:
        if create:
            raise _Invalid("The document path provided in the update expression is invalid for update")
        return None
    if isinstance(last, int):
        if "L" not in current:
            if create:
                raise _Invalid("The document path provided in the update expression is invalid for update")
            return None
        return current["L"], last
    if "M" not in current:
        if create:
            raise _Invalid("The document path provided in the update expression is invalid for update")
        return None
    return current["M"], last


def _assign(item: Item, path: Path, value: Value) -> None:
    found = _parent(item, path, create=True)
    assert found is not None
    container, last = found
    if isinstance(last, int):
        if last < len(container):
            container[last] = value
        else:
            container.append(value)
    else:
        container[last] = value


def _remove(item: Item, path: Path) -> None:
    found = _parent(item, path, create=False)
    if found is None:
        return
    container, last = found
    if isinstance(last, int):
        if last < len(container):
            del container[last]
    else:
        container.pop(last, None)


def _add(item: Item, path: Path, value: Value) -> None:
    kind = _kind(value)
    if kind not in ("N", "SS", "NS", "BS"):
        raise _Invalid(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            f"ADD, operand type: {_TYPE_NAMES.get(kind, kind)}"
        )
    existing = _resolve(item, path)
    if existing is None:
        _assign(item, path, _copy(value))
        return
    existing_kind = _kind(existing)
    if existing_kind != kind:
        raise _Invalid("An operand in the update expression has an incorrect data type")
    if kind == "N":
        total = _NUMBER_CONTEXT.add(_number(existing["N"]), _number(value["N"]))
        _assign(item, path, {"N": _number_text(total)})
        return
    present = {_identity({kind[0]: m}) for m in existing[kind]}
    merged = list(existing[kind]) + [m for m in value[kind] if _identity({kind[0]: m}) not in present]
    _assign(item, path, {kind: merged})


def _delete(item: Item, path: Path, value: Value) -> None:
    kind = _kind(value)
    if kind not in ("SS", "NS", "BS"):
        raise _Invalid(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            f"DELETE, operand type: {_TYPE_NAMES.get(kind, kind)}"
        )
    existing = _resolve(item, path)
    if existing is None:
        return
    if _kind(existing) != kind:
        raise _Invalid("An operand in the update expression has an incorrect data type")
    gone = {_identity({kind[0]: m}) for m in value[kind]}
    kept = [m for m in existing[kind] if _identity({kind[0]: m}) not in gone]
    if kept:
        _assign(item, path, {kind: kept})
    else:
        _remove(item, path)


_TYPE_NAMES = {"S": "STRING", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP", "L": "LIST"}


# --- tables ------------------------------------------------------------------------------------------------


@dataclass
class _Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: dict[str, Any]
    local: bool
    description: dict[str, Any]

    def holds(self, item: Item) -> bool:
        return self.hash_key in item and (self.range_key is None or self.range_key in item)

    def project(self, item: Item, table: _Table) -> Item:
        kind = self.projection.get("ProjectionType", "ALL")
        if kind == "ALL":
            return item
        keep = {table.hash_key, self.hash_key}
        if table.range_key:
            keep.add(table.range_key)
        if self.range_key:
            keep.add(self.range_key)
        if kind == "INCLUDE":
            keep.update(self.projection.get("NonKeyAttributes") or ())
        return {name: value for name, value in item.items() if name in keep}


class _Table:
    def __init__(self, params: Mapping[str, Any], region: str) -> None:
        name = params["TableName"]
        definitions = {
            d["AttributeName"]: d["AttributeType"] for d in params.get("AttributeDefinitions") or ()
        }
        self.name: str = name
        self.types = definitions
        self.hash_key, self.range_key = _key_schema(params.get("KeySchema"), definitions)
        self.indexes: dict[str, _Index] = {}
        arn = f"arn:aws:dynamodb:{region}:{_ACCOUNT}:table/{name}"
        self.ttl: dict[str, Any] = {"TimeToLiveStatus": "DISABLED"}
        self.items: dict[Any, dict[Any, Item]] = {}
        # Sorted views (a partition, an index partition, a scan segment) kept until the next write, so
        # paging through a view sorts it once rather than once per page.
        self._views: dict[Any, list[tuple[tuple[Any, ...], Item]]] = {}
        description: dict[str, Any] = {
            "TableName": name,
            "TableStatus": "ACTIVE",
            "TableArn": arn,
            "TableId": str(uuid.uuid4()),
            "KeySchema": [dict(k) for k in params.get("KeySchema") or ()],
            "AttributeDefinitions": [dict(d) for d in params.get("AttributeDefinitions") or ()],
            "CreationDateTime": time.time(),
            "ItemCount": 0,
            "TableSizeBytes": 0,
        }
        billing = params.get("BillingMode", "PROVISIONED")
        description["BillingModeSummary"] = {"BillingMode": billing}
        throughput = params.get("ProvisionedThroughput") or {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        description["ProvisionedThroughput"] = {**throughput, "NumberOfDecreasesToday": 0}
        for kind, local in (("GlobalSecondaryIndexes", False), ("LocalSecondaryIndexes", True)):
            entries = []
            for spec in params.get(kind) or ():
                hash_key, range_key = _key_schema(spec.get("KeySchema"), definitions)
                if local and hash_key != self.hash_key:
                    raise _Invalid(
                        "One or more parameter values were invalid: Index KeySchema does not have the "
                        "same leading hash key as table KeySchema"
                    )
                index_description = {
                    "IndexName": spec["IndexName"],
                    "KeySchema": [dict(k) for k in spec["KeySchema"]],
                    "Projection": dict(spec.get("Projection") or {"ProjectionType": "ALL"}),
                    "IndexArn": f"{arn}/index/{spec['IndexName']}",
                    "ItemCount": 0,
                    "IndexSizeBytes": 0,
                }
                if not local:
                    index_description["IndexStatus"] = "ACTIVE"
                    if "ProvisionedThroughput" in spec:
                        index_description["ProvisionedThroughput"] = dict(spec["ProvisionedThroughput"])
                entries.append(index_description)
                self.indexes[spec["IndexName"]] = _Index(
                    spec["IndexName"],
                    hash_key,
                    range_key,
                    dict(spec.get("Projection") or {"ProjectionType": "ALL"}),
                    local,
                    index_description,
                )
            if entries:
                description[kind] = entries
        stream = params.get("StreamSpecification")
        if stream and stream.get("StreamEnabled"):
            description["StreamSpecification"] = dict(stream)
            label = time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime())
            description["LatestStreamLabel"] = label
            description["LatestStreamArn"] = f"{arn}/stream/{label}"
        if params.get("SSESpecification"):
            description["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS"}
        self.description = description

    def describe(self) -> dict[str, Any]:
        count = sum(len(partition) for partition in self.items.values())
        size = sum(_item_size(item) for partition in self.items.values() for item in partition.values())
        return {**self.description, "ItemCount": count, "TableSizeBytes": size}

    def key_of(self, key: Mapping[str, Any], *, exact: bool) -> tuple[Any, Any]:
        """(partition identity, sort identity) of a Key or an item; ``exact`` refuses extra attributes."""
        if not isinstance(key, Mapping):
            raise _Invalid("The provided key element does not match the schema")
        wanted = 2 if self.range_key else 1
        if exact and len(key) != wanted:
            raise _Invalid("The provided key element does not match the schema")
        return self._part(key, self.hash_key), (self._part(key, self.range_key) if self.range_key else None)

    def _part(self, key: Mapping[str, Any], name: str) -> Any:
        value = key.get(name)
        if value is None:
            raise _Invalid(f"One or more parameter values were invalid: Missing the key {name} in the item")
        kind = _kind(value)
        if kind != self.types.get(name):
            raise _Invalid(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {self.types.get(name)} actual: {kind}"
            )
        raw = value[kind]
        if (kind == "S" and raw == "") or (kind == "B" and len(_binary(raw)) == 0):
            raise _Invalid(
                "One or more parameter values are not valid. The AttributeValue for a key attribute "
                f"cannot contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}"
            )
        if kind == "N":
            return _number(raw)
        return _binary(raw) if kind == "B" else raw

    def get(self, identity: tuple[Any, Any]) -> Item | None:
        partition = self.items.get(identity[0])
        return partition.get(identity[1]) if partition is not None else None

    def ordered(
        self, view: Any, build: Callable[[], list[tuple[tuple[Any, ...], Item]]]
    ) -> list[tuple[tuple[Any, ...], Item]]:
        rows = self._views.get(view)
        if rows is None:
            rows = self._views[view] = build()
        return rows

    def put(self, identity: tuple[Any, Any], item: Item) -> None:
        if self._views:
            self._views.clear()
        self.items.setdefault(identity[0], {})[identity[1]] = item

    def delete(self, identity: tuple[Any, Any]) -> None:
        if self._views:
            self._views.clear()
        partition = self.items.get(identity[0])
        if partition is not None:
            partition.pop(identity[1], None)
            if not partition:
                del self.items[identity[0]]

    def check_item(self, item: Item) -> None:
        if _item_size(item) > _MAX_ITEM_BYTES:
            raise _Invalid("Item size has exceeded the maximum allowed size")
        for index in self.indexes.values():
            for name in (index.hash_key, index.range_key):
                if name is not None and name in item and _kind(item[name]) != self.types.get(name):
                    raise _Invalid(
                        "One or more parameter values were invalid: Type mismatch for Index Key "
                        f"{name} Expected: {self.types.get(name)} Actual: {_kind(item[name])} "
                        f"IndexName: {index.name}"
                    )

    def key_attributes(self) -> tuple[str, ...]:
        return (self.hash_key, self.range_key) if self.range_key else (self.hash_key,)


def _key_schema(schema: Any, definitions: Mapping[str, str]) -> tuple[str, str | None]:
    hash_key = range_key = None
    for element in schema or ():
        if element.get("KeyType") == "HASH":
            hash_key = element["AttributeName"]
        elif element.get("KeyType") == "RANGE":
            range_key = element["AttributeName"]
    if hash_key is None:
        raise _Invalid("1 validation error detected: KeySchema must have a HASH key")
    for name in (hash_key, range_key):
        if name is not None and definitions.get(name) not in ("S", "N", "B"):
            raise _Invalid(
                "One or more parameter values were invalid: Some index key attributes are not "
                "defined in AttributeDefinitions"
            )
    return hash_key, range_key


def _sort_identity(value: Value | None) -> Any:
    if value is None:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return _number(raw)
    return raw


def _row_key(row: tuple[tuple[Any, ...], Item]) -> tuple[Any, ...]:
    return row[0]


def _segment_hash(identity: Any) -> int:
    return zlib.crc32(repr(identity).encode())


# --- the clients -------------------------------------------------------------------------------------------


_PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def _params(operation: str, required: str, optional: str) -> None:
    _PARAMS[operation] = (frozenset(required.split()), frozenset(optional.split()))


_CAPACITY = "ReturnConsumedCapacity"
_params(
    "PutItem",
    "TableName Item",
    f"ConditionExpression ExpressionAttributeNames ExpressionAttributeValues "
    f"ReturnValues ReturnValuesOnConditionCheckFailure {_CAPACITY} ReturnItemCollectionMetrics",
)
_params(
    "GetItem", "TableName Key", f"ProjectionExpression ExpressionAttributeNames ConsistentRead {_CAPACITY}"
)
_params(
    "UpdateItem",
    "TableName Key",
    f"UpdateExpression ConditionExpression ExpressionAttributeNames "
    f"ExpressionAttributeValues ReturnValues ReturnValuesOnConditionCheckFailure {_CAPACITY} "
    "ReturnItemCollectionMetrics",
)
_params(
    "DeleteItem",
    "TableName Key",
    f"ConditionExpression ExpressionAttributeNames ExpressionAttributeValues "
    f"ReturnValues ReturnValuesOnConditionCheckFailure {_CAPACITY} ReturnItemCollectionMetrics",
)
_params(
    "Query",
    "TableName",
    f"IndexName KeyConditionExpression FilterExpression ProjectionExpression "
    f"ExpressionAttributeNames ExpressionAttributeValues Limit ExclusiveStartKey ScanIndexForward "
    f"Select ConsistentRead {_CAPACITY}",
)
_params(
    "Scan",
    "TableName",
    f"IndexName FilterExpression ProjectionExpression ExpressionAttributeNames "
    f"ExpressionAttributeValues Limit ExclusiveStartKey Segment TotalSegments Select ConsistentRead "
    f"{_CAPACITY}",
)
_params("BatchGetItem", "RequestItems", _CAPACITY)
_params("BatchWriteItem", "RequestItems", f"{_CAPACITY} ReturnItemCollectionMetrics")
_params("TransactWriteItems", "TransactItems", f"ClientRequestToken {_CAPACITY} ReturnItemCollectionMetrics")
_params("TransactGetItems", "TransactItems", _CAPACITY)
_params(
    "CreateTable",
    "TableName KeySchema AttributeDefinitions",
    "BillingMode ProvisionedThroughput "
    "GlobalSecondaryIndexes LocalSecondaryIndexes StreamSpecification SSESpecification Tags TableClass "
    "DeletionProtectionEnabled OnDemandThroughput ResourcePolicy WarmThroughput",
)
_params("DescribeTable", "TableName", "")
_params("DeleteTable", "TableName", "")
_params("ListTables", "", "ExclusiveStartTableName Limit")
_params("UpdateTimeToLive", "TableName TimeToLiveSpecification", "")
_params("DescribeTimeToLive", "TableName", "")

_SNAKE = {
    "put_item": "PutItem",
    "get_item": "GetItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "query": "Query",
    "scan": "Scan",
    "batch_get_item": "BatchGetItem",
    "batch_write_item": "BatchWriteItem",
    "transact_write_items": "TransactWriteItems",
    "transact_get_items": "TransactGetItems",
    "create_table": "CreateTable",
    "describe_table": "DescribeTable",
    "delete_table": "DeleteTable",
    "list_tables": "ListTables",
    "update_time_to_live": "UpdateTimeToLive",
    "describe_time_to_live": "DescribeTimeToLive",
}
_KMS_SNAKE = {
    "create_key": "CreateKey",
    "generate_data_key": "GenerateDataKey",
    "encrypt": "Encrypt",
    "decrypt": "Decrypt",
    "describe_key": "DescribeKey",
}


def _check_params(operation: str, params: Mapping[str, Any]) -> None:
    required, optional = _PARAMS[operation]
    missing = sorted(required - params.keys())
    unknown = sorted(params.keys() - required - optional)
    problems = [f'Missing required parameter in input: "{name}"' for name in missing]
    problems += [f'Unknown parameter in input: "{name}"' for name in unknown]
    if problems:
        raise ParamValidationError(report="\n".join(problems))


def _unimplemented(service: str, name: str) -> NotImplementedError:
    return NotImplementedError(
        f"the in-memory {service} client does not implement {name}; use the embedded server "
        "(dynamorm_py.local) for tests that need it"
    )


@dataclass
class _Token:
    at: float
    request: dict[str, Any]


class MemoryDynamoDBClient:
    """An in-memory DynamoDB with a botocore client's method names, arguments, responses and errors.

    ``kms`` is the in-memory KMS client of this store (for models with encrypted fields). Each instance
    keeps its own tables; ``reset()`` drops them.
    """

    def __init__(self, *, region: str = DEFAULT_REGION, kms: MemoryKmsClient | None = None) -> None:
        self.region = region
        self.kms = kms if kms is not None else MemoryKmsClient(region=region)
        self._tables: dict[str, _Table] = {}
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.RLock()
        self.clock: Callable[[], float] = time.monotonic

    def __repr__(self) -> str:
        return f"MemoryDynamoDBClient(region={self.region!r}, tables={sorted(self._tables)!r})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise _unimplemented("DynamoDB", name)

    def reset(self) -> None:
        """Drop every table and remembered transaction token."""
        with self._lock:
            self._tables.clear()
            self._tokens.clear()

    def close(self) -> None:
        """Nothing to release; present because botocore clients have it."""

    def can_paginate(self, operation_name: str) -> bool:
        return operation_name in _PAGINATED

    def get_paginator(self, operation_name: str) -> _Paginator:
        """botocore's paginators of Query, Scan and ListTables (``paginate(**params)`` yields pages)."""
        if operation_name not in _PAGINATED:
            raise _unimplemented("DynamoDB", f"get_paginator({operation_name!r})")
        return _Paginator(getattr(self, operation_name), *_PAGINATED[operation_name])

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        """botocore's generic entry point: ``_make_api_call("PutItem", {...})``."""
        for snake, pascal in _SNAKE.items():
            if pascal == operation_name:
                method: Callable[..., dict[str, Any]] = getattr(self, snake)
                return method(**api_params)
        raise _unimplemented("DynamoDB", operation_name)

    # plumbing

    def _run(
        self, operation: str, params: Mapping[str, Any], body: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        _check_params(operation, params)
        with self._lock:
            try:
                response = body()
            except _ConditionFailed as failed:
                extra: dict[str, Any] = {}
                if params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and failed.old:
                    extra["Item"] = _copy_item(failed.old)
                raise _client_error(
                    "ConditionalCheckFailedException", "The conditional request failed", operation, **extra
                ) from None
            except _NotFound as exc:
                raise _client_error("ResourceNotFoundException", str(exc), operation) from None
            except _InUse as exc:
                raise _client_error("ResourceInUseException", str(exc), operation) from None
            except _Invalid as exc:
                raise _client_error("ValidationException", str(exc), operation) from None
        response["ResponseMetadata"] = {
            "RequestId": uuid.uuid4().hex.upper(),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        return response

    def _table(self, name: Any) -> _Table:
        table = self._tables.get(name) if isinstance(name, str) else None
        if table is None:
            raise _missing_table(str(name))
        return table

    @staticmethod
    def _capacity(params: Mapping[str, Any], table: str, units: float) -> dict[str, Any]:
        mode = params.get(_CAPACITY)
        if mode not in ("TOTAL", "INDEXES"):
            return {}
        consumed: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
        if mode == "INDEXES":
            consumed["Table"] = {"CapacityUnits": units}
        return {"ConsumedCapacity": consumed}

    # tables

    def create_table(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            if params["TableName"] in self._tables:
                raise _InUse(f"Table already exists: {params['TableName']}")
            table = _Table(params, self.region)
            self._tables[table.name] = table
            return {"TableDescription": table.describe()}

        return self._run("CreateTable", params, body)

    def describe_table(self, **params: Any) -> dict[str, Any]:
        return self._run(
            "DescribeTable", params, lambda: {"Table": self._table(params["TableName"]).describe()}
        )

    def delete_table(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            del self._tables[table.name]
            return {"TableDescription": {**table.describe(), "TableStatus": "DELETING"}}

        return self._run("DeleteTable", params, body)

    def list_tables(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            names = sorted(self._tables)
            start = params.get("ExclusiveStartTableName")
            if start is not None:
                names = [name for name in names if name > start]
            limit = params.get("Limit") or 100
            response: dict[str, Any] = {"TableNames": names[:limit]}
            if len(names) > limit:
                response["LastEvaluatedTableName"] = names[limit - 1]
            return response

        return self._run("ListTables", params, body)

    def update_time_to_live(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            spec = params["TimeToLiveSpecification"]
            enabled = bool(spec.get("Enabled"))
            current = table.ttl.get("TimeToLiveStatus") == "ENABLED"
            if enabled == current:
                raise _Invalid(f"TimeToLive is already {'enabled' if enabled else 'disabled'}")
            table.ttl = (
                {"TimeToLiveStatus": "ENABLED", "AttributeName": spec["AttributeName"]}
                if enabled
                else {"TimeToLiveStatus": "DISABLED"}
            )
            return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": spec["AttributeName"]}}

        return self._run("UpdateTimeToLive", params, body)

    def describe_time_to_live(self, **params: Any) -> dict[str, Any]:
        return self._run(
            "DescribeTimeToLive",
            params,
            lambda: {"TimeToLiveDescription": dict(self._table(params["TableName"]).ttl)},
        )

    # items

    def put_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            item = self._clean_item(params["Item"])
            identity = table.key_of(item, exact=False)
            table.check_item(item)
            expressions = _Expressions(params)
            condition = expressions.condition(params.get("ConditionExpression"))
            expressions.check_all_used()
            _return_values(params, ("NONE", "ALL_OLD"))
            old = table.get(identity)
            if condition is not None and not _test(condition, old or {}):
                raise _ConditionFailed(old)
            table.put(identity, item)
            response: dict[str, Any] = {}
            if params.get("ReturnValues") == "ALL_OLD" and old is not None:
                response["Attributes"] = _copy_item(old)
            response.update(self._capacity(params, table.name, max(1.0, _item_size(item) / 1024)))
            return response

        return self._run("PutItem", params, body)

    def get_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            identity = table.key_of(params["Key"], exact=True)
            expressions = _Expressions(params)
            projection = _projection(expressions, params.get("ProjectionExpression"))
            expressions.check_all_used()
            item = table.get(identity)
            response: dict[str, Any] = {}
            if item is not None:
                response["Item"] = _project(item, projection) if projection else _copy_item(item)
            response.update(self._capacity(params, table.name, 0.5))
            return response

        return self._run("GetItem", params, body)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            identity = table.key_of(params["Key"], exact=True)
            expressions = _Expressions(params)
            condition = expressions.condition(params.get("ConditionExpression"))
            expressions.check_all_used()
            _return_values(params, ("NONE", "ALL_OLD"))
            old = table.get(identity)
            if condition is not None and not _test(condition, old or {}):
                raise _ConditionFailed(old)
            table.delete(identity)
            response: dict[str, Any] = {}
            if params.get("ReturnValues") == "ALL_OLD" and old is not None:
                response["Attributes"] = _copy_item(old)
            response.update(self._capacity(params, table.name, 1.0))
            return response

        return self._run("DeleteItem", params, body)

    def update_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            table = self._table(params["TableName"])
            key = params["Key"]
            identity = table.key_of(key, exact=True)
            expressions = _Expressions(params)
            actions = _update_actions(expressions, params.get("UpdateExpression"))
            condition = expressions.condition(params.get("ConditionExpression"))
            expressions.check_all_used()
            mode = _return_values(params, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
            old = table.get(identity)
            if condition is not None and not _test(condition, old or {}):
                raise _ConditionFailed(old)
            base = old if old is not None else {name: _clean(key[name]) for name in table.key_attributes()}
            new = _apply_update(base, actions, table.key_attributes())
            table.check_item(new)
            table.put(identity, new)
            response: dict[str, Any] = {}
            touched = {path[0] for _, path, _ in actions}
            if mode == "ALL_OLD" and old is not None:
                response["Attributes"] = _copy_item(old)
            elif mode == "ALL_NEW":
                response["Attributes"] = _copy_item(new)
            elif mode in ("UPDATED_OLD", "UPDATED_NEW"):
                source = (old or {}) if mode == "UPDATED_OLD" else new
                attributes = {name: _copy(source[name]) for name in touched if name in source}
                if attributes:
                    response["Attributes"] = attributes
            response.update(self._capacity(params, table.name, max(1.0, _item_size(new) / 1024)))
            return response

        return self._run("UpdateItem", params, body)

    @staticmethod
    def _clean_item(item: Any) -> Item:
        if not isinstance(item, Mapping):
            raise _Invalid("Item must be a map of attribute names to values")
        return {str(name): _clean(value) for name, value in item.items()}

    # reads

    def query(self, **params: Any) -> dict[str, Any]:
        return self._run("Query", params, lambda: self._read(params, query=True))

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._run("Scan", params, lambda: self._read(params, query=False))

    def _read(self, params: Mapping[str, Any], *, query: bool) -> dict[str, Any]:
        table = self._table(params["TableName"])
        index: _Index | None = None
        if params.get("IndexName") is not None:
            index = table.indexes.get(params["IndexName"])
            if index is None:
                raise _Invalid(f"The table does not have the specified index: {params['IndexName']}")
            if params.get("ConsistentRead") and not index.local:
                raise _Invalid("Consistent reads are not supported on global secondary indexes")
        hash_key = index.hash_key if index else table.hash_key
        range_key = index.range_key if index else table.range_key
        expressions = _Expressions(params)
        key_condition = None
        if query:
            text = params.get("KeyConditionExpression")
            if not text:
                raise _Invalid(
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified"
                )
            key_condition = expressions.condition(text)
        filter_condition = expressions.condition(params.get("FilterExpression"))
        projection = _projection(expressions, params.get("ProjectionExpression"))
        expressions.check_all_used()
        select = params.get("Select")
        if select == "SPECIFIC_ATTRIBUTES" and not projection:
            raise _Invalid("Select SPECIFIC_ATTRIBUTES requires a ProjectionExpression")
        if projection and select not in (None, "SPECIFIC_ATTRIBUTES"):
            raise _Invalid(f"Cannot specify the ProjectionExpression when choosing to get {select}")
        if (
            select == "ALL_ATTRIBUTES"
            and index is not None
            and index.projection.get("ProjectionType") != "ALL"
        ):
            raise _Invalid(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                "supported for global secondary index"
            )
        limit = params.get("Limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise _Invalid(
                "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member "
                "must have value greater than or equal to 1"
            )

        def order(item: Item) -> tuple[Any, ...]:
            parts: list[Any] = []
            if not query:
                identity = _sort_identity(item[hash_key])
                parts += [_segment_hash(identity), identity]
            if range_key is not None:
                parts.append(_sort_identity(item[range_key]))
            if index is not None:
                parts.append(_sort_identity(item[table.hash_key]))
                if table.range_key is not None:
                    parts.append(_sort_identity(item[table.range_key]))
            return tuple(parts)

        range_condition = None
        if query:
            assert key_condition is not None
            partition_value, range_condition = _split_key_condition(key_condition, hash_key, range_key)
            partition_identity = table._part({hash_key: partition_value}, hash_key)

            def candidates() -> list[Item]:
                if index is None:
                    return list(table.items.get(partition_identity, {}).values())
                return [
                    item
                    for partition in table.items.values()
                    for item in partition.values()
                    if index.holds(item) and _sort_identity(item[hash_key]) == partition_identity
                ]

            view: tuple[Any, ...] = (params.get("IndexName"), "query", partition_identity)
        else:
            segment, total = params.get("Segment"), params.get("TotalSegments")
            if (segment is None) != (total is None):
                raise _Invalid(
                    "The TotalSegments parameter is required but was not present in the request "
                    "when Segment parameter is present"
                )
            if (
                total is not None
                and segment is not None
                and not (1 <= total <= 1000000 and 0 <= segment < total)
            ):
                raise _Invalid(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments"
                )

            def candidates() -> list[Item]:
                found = [
                    item
                    for partition in table.items.values()
                    for item in partition.values()
                    if index is None or index.holds(item)
                ]
                if total is None:
                    return found
                return [
                    item for item in found if _segment_hash(_sort_identity(item[hash_key])) % total == segment
                ]

            view = (params.get("IndexName"), "scan", segment, total)
        rows = table.ordered(view, lambda: sorted(((order(i), i) for i in candidates()), key=_row_key))
        forward = params.get("ScanIndexForward", True) if query else True
        start = params.get("ExclusiveStartKey")
        position = None
        if start is not None:
            position = self._start_position(table, index, start, order, hash_key, range_key)
        if forward:
            begin = 0 if position is None else bisect.bisect_right(rows, position, key=_row_key)
            steps: range = range(begin, len(rows))
        else:
            end = len(rows) if position is None else bisect.bisect_left(rows, position, key=_row_key)
            steps = range(end - 1, -1, -1)
        items: list[Item] = []
        scanned = 0
        size = 0
        last: Item | None = None
        for step in steps:
            item = rows[step][1]
            if range_condition is not None and not _test(range_condition, item):
                continue
            scanned += 1
            size += _item_size(item)
            if filter_condition is None or _test(filter_condition, item):
                items.append(item)
            full = limit is not None and scanned >= limit
            if full or size >= _MAX_PAGE_BYTES:
                more = step != steps[-1]
                if full or more:
                    last = item
                break
        response: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
        if select != "COUNT":
            shaped = []
            for item in items:
                visible = index.project(item, table) if index is not None else item
                shaped.append(_project(visible, projection) if projection else _copy_item(visible))
            response["Items"] = shaped
        if last is not None:
            names = {table.hash_key, hash_key}
            for name in (table.range_key, range_key):
                if name is not None:
                    names.add(name)
            response["LastEvaluatedKey"] = {name: _copy(last[name]) for name in names}
        response.update(self._capacity(params, table.name, max(0.5, size / 8192)))
        return response

    @staticmethod
    def _start_position(
        table: _Table,
        index: _Index | None,
        start: Any,
        order: Callable[[Item], tuple[Any, ...]],
        hash_key: str,
        range_key: str | None,
    ) -> tuple[Any, ...]:
        names = {table.hash_key, hash_key}
        for name in (table.range_key, range_key):
            if name is not None:
                names.add(name)
        if not isinstance(start, Mapping) or set(start) != names:
            raise _Invalid(
                "The provided starting key is invalid: The provided key element does not match the schema"
            )
        cleaned = {name: _clean(value) for name, value in start.items()}
        for name in names:
            if _kind(cleaned[name]) != table.types.get(name):
                raise _Invalid("The provided starting key is invalid")
        return order(cleaned)

    # batches

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            request = params["RequestItems"]
            if not request:
                raise _Invalid("1 validation error detected: RequestItems must not be empty")
            total = sum(len(spec.get("Keys") or ()) for spec in request.values())
            if total > _MAX_BATCH_GET:
                raise _Invalid("Too many items requested for the BatchGetItem call")
            responses: dict[str, list[Item]] = {}
            plans = []
            for name, spec in request.items():
                table = self._table(name)
                expressions = _Expressions(spec)
                projection = _projection(expressions, spec.get("ProjectionExpression"))
                expressions.check_all_used()
                identities = [table.key_of(key, exact=True) for key in spec.get("Keys") or ()]
                if len(set(identities)) != len(identities):
                    raise _Invalid("Provided list of item keys contains duplicates")
                plans.append((table, projection, identities))
            for table, projection, identities in plans:
                found = responses.setdefault(table.name, [])
                for identity in identities:
                    item = table.get(identity)
                    if item is not None:
                        found.append(_project(item, projection) if projection else _copy_item(item))
            return {"Responses": responses, "UnprocessedKeys": {}}

        return self._run("BatchGetItem", params, body)

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            request = params["RequestItems"]
            if not request:
                raise _Invalid("1 validation error detected: RequestItems must not be empty")
            if sum(len(entries) for entries in request.values()) > _MAX_BATCH_WRITE:
                raise _Invalid("Too many items requested for the BatchWriteItem call")
            writes: list[tuple[_Table, tuple[Any, Any], Item | None]] = []
            for name, entries in request.items():
                table = self._table(name)
                seen: set[tuple[Any, Any]] = set()
                for entry in entries:
                    if "PutRequest" in entry:
                        item = self._clean_item(entry["PutRequest"]["Item"])
                        identity = table.key_of(item, exact=False)
                        table.check_item(item)
                        writes.append((table, identity, item))
                    elif "DeleteRequest" in entry:
                        identity = table.key_of(entry["DeleteRequest"]["Key"], exact=True)
                        writes.append((table, identity, None))
                    else:
                        raise _Invalid("A write request must have a PutRequest or a DeleteRequest")
                    if identity in seen:
                        raise _Invalid("Provided list of item keys contains duplicates")
                    seen.add(identity)
            for table, identity, written in writes:
                if written is None:
                    table.delete(identity)
                else:
                    table.put(identity, written)
            return {"UnprocessedItems": {}}

        return self._run("BatchWriteItem", params, body)

    # transactions

    def transact_get_items(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            actions = params["TransactItems"]
            if not actions or len(actions) > _MAX_TRANSACT:
                raise _Invalid("1 validation error detected: TransactItems must have between 1 and 100 items")
            plans = []
            for action in actions:
                if set(action) != {"Get"}:
                    raise _Invalid("TransactGetItems actions must be Get")
                spec = action["Get"]
                table = self._table(spec["TableName"])
                expressions = _Expressions(spec)
                projection = _projection(expressions, spec.get("ProjectionExpression"))
                expressions.check_all_used()
                plans.append((table, table.key_of(spec["Key"], exact=True), projection))
            responses: list[dict[str, Any]] = []
            for table, identity, projection in plans:
                item = table.get(identity)
                if item is None:
                    responses.append({})
                else:
                    responses.append({"Item": _project(item, projection) if projection else _copy_item(item)})
            return {"Responses": responses}

        return self._run("TransactGetItems", params, body)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        def body() -> dict[str, Any]:
            token = params.get("ClientRequestToken")
            request = {key: value for key, value in params.items() if key != "ClientRequestToken"}
            if token is not None:
                self._expire_tokens()
                remembered = self._tokens.get(token)
                if remembered is not None:
                    if remembered.request != request:
                        raise _TokenMismatch()
                    return {}
            actions = params["TransactItems"]
            if not actions or len(actions) > _MAX_TRANSACT:
                raise _Invalid("1 validation error detected: TransactItems must have between 1 and 100 items")
            plans = [self._plan_transact(action) for action in actions]
            identities = [(plan[1].name, plan[2]) for plan in plans]
            if len(set(identities)) != len(identities):
                raise _Invalid("Transaction request cannot include multiple operations on one item")
            reasons: list[dict[str, Any]] = []
            writes: list[tuple[_Table, tuple[Any, Any], Item | None]] = []
            for kind, table, identity, spec, condition, produce in plans:
                old = table.get(identity)
                if condition is not None and not _test(condition, old or {}):
                    reason: dict[str, Any] = {
                        "Code": "ConditionalCheckFailed",
                        "Message": "The conditional request failed",
                    }
                    if spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old is not None:
                        reason["Item"] = _copy_item(old)
                    reasons.append(reason)
                    continue
                try:
                    new = produce(old)
                except _Invalid as exc:
                    reasons.append({"Code": "ValidationError", "Message": str(exc)})
                    continue
                reasons.append({"Code": "None"})
                if kind != "ConditionCheck":
                    writes.append((table, identity, new))
            if any(reason["Code"] != "None" for reason in reasons):
                codes = ", ".join(reason["Code"] for reason in reasons)
                raise _Cancelled(reasons, codes)
            for table, identity, new in writes:
                if new is None:
                    table.delete(identity)
                else:
                    table.put(identity, new)
            if token is not None:
                self._tokens[token] = _Token(self.clock(), request)
            return {}

        try:
            return self._run("TransactWriteItems", params, body)
        except _Cancelled as cancelled:
            raise _client_error(
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{cancelled.codes}]",
                "TransactWriteItems",
                CancellationReasons=cancelled.reasons,
            ) from None
        except _TokenMismatch:
            raise _client_error(
                "IdempotentParameterMismatchException",
                "The request uses the same client request token as a previous request, but with different "
                "parameters",
                "TransactWriteItems",
            ) from None

    def _expire_tokens(self) -> None:
        horizon = self.clock() - _TOKEN_WINDOW_SECONDS
        for token in [token for token, entry in self._tokens.items() if entry.at <= horizon]:
            del self._tokens[token]

    def _plan_transact(
        self, action: Mapping[str, Any]
    ) -> tuple[str, _Table, tuple[Any, Any], Mapping[str, Any], Any, Callable[[Item | None], Item | None]]:
        if len(action) != 1 or next(iter(action)) not in ("Put", "Update", "Delete", "ConditionCheck"):
            raise _Invalid("A transaction action must be exactly one of Put, Update, Delete, ConditionCheck")
        kind, spec = next(iter(action.items()))
        table = self._table(spec.get("TableName"))
        expressions = _Expressions(spec)
        condition = expressions.condition(spec.get("ConditionExpression"))
        if kind == "ConditionCheck" and condition is None:
            raise _Invalid("The ConditionExpression is required for a ConditionCheck")
        if kind == "Put":
            item = self._clean_item(spec["Item"])
            identity = table.key_of(item, exact=False)
            table.check_item(item)
            expressions.check_all_used()
            return kind, table, identity, spec, condition, lambda old: item
        key = spec["Key"]
        identity = table.key_of(key, exact=True)
        if kind == "Update":
            actions = _update_actions(expressions, spec.get("UpdateExpression"))
            expressions.check_all_used()
            keys = table.key_attributes()

            def produce(old: Item | None) -> Item | None:
                base = old if old is not None else {name: _clean(key[name]) for name in keys}
                new = _apply_update(base, actions, keys)
                table.check_item(new)
                return new

            return kind, table, identity, spec, condition, produce
        expressions.check_all_used()
        return kind, table, identity, spec, condition, lambda old: None


# operation -> (the request's start parameter, the response's continuation member, the page size parameter)
_PAGINATED = {
    "query": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit"),
    "scan": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit"),
    "list_tables": ("ExclusiveStartTableName", "LastEvaluatedTableName", "Limit"),
}


class _Paginator:
    def __init__(self, call: Callable[..., dict[str, Any]], start: str, resume: str, size: str) -> None:
        self._call = call
        self._start = start
        self._resume = resume
        self._size = size

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        config = dict(params.pop("PaginationConfig", None) or {})
        if config.get("PageSize") is not None:
            params[self._size] = config.pop("PageSize")
        if config:
            raise _unimplemented("DynamoDB", f"PaginationConfig {sorted(config)}")
        while True:
            page = self._call(**params)
            yield page
            resume = page.get(self._resume)
            if not resume:
                return
            params[self._start] = resume


class _Cancelled(Exception):
    def __init__(self, reasons: list[dict[str, Any]], codes: str) -> None:
        super().__init__(codes)
        self.reasons = reasons
        self.codes = codes


class _TokenMismatch(Exception):
    pass


def _return_values(params: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    mode = params.get("ReturnValues", "NONE")
    if mode not in allowed:
        raise _Invalid(f"Return values set to invalid value: {mode}")
    on_failure = params.get("ReturnValuesOnConditionCheckFailure", "NONE")
    if on_failure not in ("NONE", "ALL_OLD"):
        raise _Invalid(f"ReturnValuesOnConditionCheckFailure set to invalid value: {on_failure}")
    return str(mode)


def _projection(expressions: _Expressions, text: str | None) -> list[Path]:
    if text is None:
        return []
    return expressions.parser(text).paths()


def _update_actions(expressions: _Expressions, text: str | None) -> list[tuple[str, Path, Any]]:
    if not text:
        raise _Invalid("This memory client needs an UpdateExpression: AttributeUpdates is legacy")
    parser = expressions.parser(text)
    actions = parser.update()
    parser.finish()
    return actions


def _split_key_condition(tree: Any, hash_key: str, range_key: str | None) -> tuple[Value, Any]:
    """(partition key value, the sort-key part or None) of a KeyConditionExpression."""
    parts: list[Any] = []

    def flatten(node: Any) -> None:
        if node[0] == "and":
            flatten(node[1])
            flatten(node[2])
        else:
            parts.append(node)

    flatten(tree)
    partition: Value | None = None
    rest = None
    for node in parts:
        target = _key_path(node)
        if target == hash_key and node[0] == "cmp" and node[1] == "=" and node[3][0] == "value":
            if partition is not None:
                raise _Invalid("KeyConditionExpressions must only contain one condition per key")
            partition = node[3][1]
        elif target is not None and target == range_key and rest is None and _key_operator(node):
            rest = node
        else:
            raise _Invalid("Query key condition not supported")
    if partition is None:
        raise _Invalid("Query condition missed key schema element")
    return partition, rest


def _key_path(node: Any) -> str | None:
    operand = None
    if node[0] in ("cmp", "between"):
        operand = node[2] if node[0] == "cmp" else node[1]
    elif node[0] == "call" and node[1] == "begins_with":
        operand = node[2][0]
    if operand is None or operand[0] != "path" or len(operand[1]) != 1:
        return None
    name = operand[1][0]
    return name if isinstance(name, str) else None


def _key_operator(node: Any) -> bool:
    if node[0] == "cmp":
        return bool(node[1] != "<>" and node[3][0] == "value")
    return bool(node[0] == "between" or (node[0] == "call" and node[1] == "begins_with"))


# --- KMS ---------------------------------------------------------------------------------------------------

_BLOB_PREFIX = b"dynamorm-memory-kms:"


class MemoryKmsClient:
    """An in-memory KMS with the calls envelope encryption makes: GenerateDataKey, Encrypt, Decrypt.

    Any key id is accepted (a test's model can keep its production key ARN); ``create_key()`` mints ARNs
    for tests that want distinct keys. A ciphertext is an opaque handle into this client: decrypting it
    with another encryption context, or with another client, fails as KMS does (InvalidCiphertextException).
    """

    def __init__(self, *, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self._blobs: dict[bytes, tuple[bytes, str, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    def __repr__(self) -> str:
        return f"MemoryKmsClient(region={self.region!r})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise _unimplemented("KMS", name)

    def close(self) -> None:
        """Nothing to release; present because botocore clients have it."""

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        for snake, pascal in _KMS_SNAKE.items():
            if pascal == operation_name:
                method: Callable[..., dict[str, Any]] = getattr(self, snake)
                return method(**api_params)
        raise _unimplemented("KMS", operation_name)

    def _arn(self, key_id: Any) -> str:
        if not isinstance(key_id, str) or not key_id:
            raise ParamValidationError(report='Missing required parameter in input: "KeyId"')
        if key_id.startswith("arn:"):
            return key_id
        return f"arn:aws:kms:{self.region}:{_ACCOUNT}:key/{key_id}"

    def create_key(self, **params: Any) -> dict[str, Any]:
        key_id = str(uuid.uuid4())
        arn = self._arn(key_id)
        metadata = {
            "KeyId": key_id,
            "Arn": arn,
            "Enabled": True,
            "KeyState": "Enabled",
            "Description": params.get("Description", ""),
        }
        return {"KeyMetadata": metadata}

    def describe_key(self, **params: Any) -> dict[str, Any]:
        arn = self._arn(params.get("KeyId"))
        return {
            "KeyMetadata": {
                "KeyId": arn.rsplit("/", 1)[-1],
                "Arn": arn,
                "Enabled": True,
                "KeyState": "Enabled",
            }
        }

    def _seal(self, plaintext: bytes, arn: str, context: Mapping[str, str]) -> bytes:
        with self._lock:
            # As long as a real KMS blob, so code that slices or tampers with one sees a realistic size.
            blob = _BLOB_PREFIX + next(self._counter).to_bytes(8, "big") + os.urandom(140)
            self._blobs[blob] = (plaintext, arn, dict(context))
        return blob

    def generate_data_key(self, **params: Any) -> dict[str, Any]:
        arn = self._arn(params.get("KeyId"))
        spec = params.get("KeySpec")
        length = params.get("NumberOfBytes")
        if spec is not None and length is not None:
            raise _client_error(
                "ValidationException", "Specify KeySpec or NumberOfBytes, not both", "GenerateDataKey"
            )
        if length is None:
            length = {"AES_256": 32, "AES_128": 16}.get(spec or "")
            if length is None:
                raise _client_error(
                    "ValidationException", "KeySpec or NumberOfBytes is required", "GenerateDataKey"
                )
        plaintext = os.urandom(int(length))
        blob = self._seal(plaintext, arn, params.get("EncryptionContext") or {})
        return {"Plaintext": plaintext, "CiphertextBlob": blob, "KeyId": arn}

    def encrypt(self, **params: Any) -> dict[str, Any]:
        arn = self._arn(params.get("KeyId"))
        plaintext = _binary(params.get("Plaintext", b""))
        blob = self._seal(plaintext, arn, params.get("EncryptionContext") or {})
        return {"CiphertextBlob": blob, "KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}

    def decrypt(self, **params: Any) -> dict[str, Any]:
        blob = params.get("CiphertextBlob")
        entry = self._blobs.get(bytes(blob)) if isinstance(blob, bytes | bytearray) else None
        context = params.get("EncryptionContext") or {}
        key_id = params.get("KeyId")
        if entry is None or entry[2] != dict(context):
            raise _client_error("InvalidCiphertextException", "", "Decrypt")
        if key_id is not None and self._arn(key_id) != entry[1]:
            raise _client_error(
                "IncorrectKeyException",
                "The key ID in the request does not identify a CMK that can perform this operation.",
                "Decrypt",
            )
        return {"Plaintext": entry[0], "KeyId": entry[1], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


# --- async twins -------------------------------------------------------------------------------------------


class AsyncMemoryDynamoDBClient:
    """``MemoryDynamoDBClient`` with ``async def`` methods, for ``AsyncTable``; ``sync`` is the same store
    seen synchronously (handy for seeding data), ``kms`` its async KMS twin."""

    def __init__(self, sync: MemoryDynamoDBClient | None = None, *, region: str = DEFAULT_REGION) -> None:
        self.sync = sync if sync is not None else MemoryDynamoDBClient(region=region)
        self.kms = AsyncMemoryKmsClient(self.sync.kms)

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise _unimplemented("DynamoDB", name)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def close(self) -> None:
        """Nothing to release; present because aiobotocore clients have it."""

    async def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        return self.sync._make_api_call(operation_name, api_params)

    def reset(self) -> None:
        self.sync.reset()


class AsyncMemoryKmsClient:
    """``MemoryKmsClient`` with ``async def`` methods, for ``AsyncTable(kms_client=...)``."""

    def __init__(self, sync: MemoryKmsClient | None = None, *, region: str = DEFAULT_REGION) -> None:
        self.sync = sync if sync is not None else MemoryKmsClient(region=region)

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise _unimplemented("KMS", name)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def close(self) -> None:
        """Nothing to release; present because aiobotocore clients have it."""

    async def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        return self.sync._make_api_call(operation_name, api_params)


def _async_method(name: str) -> Any:
    async def method(self: Any, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = getattr(self.sync, name)(**params)
        return result

    method.__name__ = name
    method.__qualname__ = f"AsyncMemory.{name}"
    return method


for _name in _SNAKE:
    setattr(AsyncMemoryDynamoDBClient, _name, _async_method(_name))
for _name in _KMS_SNAKE:
    setattr(AsyncMemoryKmsClient, _name, _async_method(_name))


# --- entry points ------------------------------------------------------------------------------------------


def memory_client(*, region: str = DEFAULT_REGION) -> MemoryDynamoDBClient:
    """A new, empty in-memory DynamoDB client (its KMS twin is ``.kms``); pass it as ``Table(client=...)``."""
    return MemoryDynamoDBClient(region=region)


def async_memory_client(
    *, region: str = DEFAULT_REGION, sync: MemoryDynamoDBClient | None = None
) -> AsyncMemoryDynamoDBClient:
    """A new, empty in-memory DynamoDB client for ``AsyncTable``; with ``sync``, an async view of that
    client's store instead."""
    return AsyncMemoryDynamoDBClient(sync, region=region)


def memory_kms_client(*, region: str = DEFAULT_REGION) -> MemoryKmsClient:
    """A new in-memory KMS client (``Table(kms_client=...)``) for models with encrypted fields."""
    return MemoryKmsClient(region=region)


Service = Literal["dynamodb", "kms"]


class MemoryDynamoDB:
    """The embedded server's interface (``client``, ``table``, ``async_table``, ``create_kms_key``,
    ``reset``) over one in-memory client: the ``dynamorm_memory`` fixture, and a drop-in for
    ``LocalDynamoDB`` in tests that do not need HTTP."""

    def __init__(self, *, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self.memory = MemoryDynamoDBClient(region=region)

    def __repr__(self) -> str:
        return f"MemoryDynamoDB(region={self.region!r})"

    def start(self) -> Self:
        return self

    def stop(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def reset(self) -> None:
        """Drop every table."""
        self.memory.reset()

    def client(self, service: Service = "dynamodb") -> Any:
        """This store's client of ``service`` (the same object on every call)."""
        if service == "dynamodb":
            return self.memory
        if service == "kms":
            return self.memory.kms
        raise _unimplemented(str(service), "the service")

    def async_client(self, service: Service = "dynamodb") -> AbstractAsyncContextManager[Any]:
        """``async with memory.async_client() as client``: an async view of this store."""

        @asynccontextmanager
        async def opened() -> AsyncIterator[Any]:
            if service == "dynamodb":
                yield AsyncMemoryDynamoDBClient(self.memory)
            elif service == "kms":
                yield AsyncMemoryKmsClient(self.memory.kms)
            else:
                raise _unimplemented(str(service), "the service")

        return opened()

    def create_kms_key(self, description: str = "dynamorm-memory") -> str:
        return str(self.memory.kms.create_key(Description=description)["KeyMetadata"]["Arn"])

    def table(
        self,
        model: ModelDefinition[T],
        *,
        create: bool = True,
        encrypted: bool = False,
        **table_kwargs: Any,
    ) -> Table[T]:
        """A ``Table`` on this store, its table created first unless ``create=False``; a KMS key and the
        in-memory KMS client are supplied when the model has encrypted fields (or ``encrypted``)."""
        from ._drivers.table import Table

        if self._prepare(model, create, encrypted, table_kwargs):
            table_kwargs.setdefault("kms_client", self.memory.kms)
        return Table(model, client=self.memory, **table_kwargs)

    @asynccontextmanager
    async def async_table(
        self,
        model: ModelDefinition[T],
        *,
        create: bool = True,
        encrypted: bool = False,
        **table_kwargs: Any,
    ) -> AsyncIterator[AsyncTable[T]]:
        """``async with memory.async_table(Model) as table:`` an ``AsyncTable`` on this store."""
        from ._drivers.async_table import AsyncTable

        client = AsyncMemoryDynamoDBClient(self.memory)
        if self._prepare(model, create, encrypted, table_kwargs):
            table_kwargs.setdefault("kms_client", client.kms)
        yield AsyncTable(model, client=client, **table_kwargs)

    def _prepare(
        self, model: ModelDefinition[Any], create: bool, encrypted: bool, table_kwargs: dict[str, Any]
    ) -> bool:
        from .schema import ensure_table

        if create:
            ensure_table(
                model,
                client=self.memory,
                table_name=table_kwargs.get("table_name"),
                enable_ttl=model.ttl is not None,
            )
        needs_kms = encrypted or any(attribute.encrypted for attribute in model.attributes.values())
        if needs_kms or table_kwargs.get("kms_key_arn") is not None:
            if table_kwargs.get("kms_key_arn") is None:
                table_kwargs["kms_key_arn"] = self.create_kms_key()
            return True
        return False
