"""Scripted fakes of the DynamoDB and KMS clients, for unit tests of code using ``Table`` or ``AsyncTable``.

A :class:`FakeDynamoDBClient` is strict: the test scripts, in order, every call the code under test must make
(:meth:`~FakeDynamoDBClient.expect`), each with the request it must send and the response or error it gets.
A call that was not scripted, or whose request differs from the script, fails the test with an
``AssertionError`` that shows where the request differs; :meth:`~FakeDynamoDBClient.assert_no_pending` fails
when scripted calls were never made. Every call is kept in ``.calls`` for further assertions.

:class:`FakeKmsClient` hands out one fixed data key, so encrypted fields round-trip without a KMS. The
``Async*`` twins behave the same with every client method ``async def``, for ``AsyncTable``.

Nothing here is imported by ``import dynamorm_py``.
"""

from __future__ import annotations

import copy
import pprint
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self

from dynamorm_py.errors import ERR_INVALID_VALUE, ValidationError

__all__ = [
    "ANY",
    "AsyncFakeDynamoDBClient",
    "AsyncFakeKmsClient",
    "ExpectedCall",
    "FakeDynamoDBClient",
    "FakeKmsClient",
]

# The low-level DynamoDB client methods the library calls; the fakes offer exactly these, so a call to any
# other method is a plain AttributeError naming it, as on an object without that method.
_DYNAMODB_METHODS: Final = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_write_items",
    "transact_get_items",
    "create_table",
    "delete_table",
    "describe_table",
    "update_time_to_live",
    "describe_time_to_live",
)
_KMS_METHODS: Final = ("generate_data_key", "decrypt")


class _AnyType:
    """The type of :data:`ANY`: a single value equal to everything."""

    _instance: ClassVar[_AnyType | None] = None

    def __new__(cls) -> _AnyType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY"

    def __copy__(self) -> _AnyType:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _AnyType:
        return self

    def __reduce__(self) -> str:
        return "ANY"


ANY: Final = _AnyType()
"""Matches any value inside an expected request: ``expect("put_item", {"Item": {"id": {"S": ANY}}})``.

It also compares equal to everything, so it works in plain assertions on ``.calls`` too."""

Matcher = Mapping[str, Any] | Callable[[dict[str, Any]], object]


@dataclass(frozen=True, slots=True)
class ExpectedCall:
    """One scripted call of a :class:`FakeDynamoDBClient`: the method, what its request must contain, and
    the answer (``error`` raised if set, else a copy of ``response``, ``{}`` when ``None``).

    ``expected`` is ``None`` (any request), a mapping matched as a recursive subset of the request, or a
    callable given the request that returns a true value to accept it (or raises ``AssertionError`` itself).
    """

    method: str
    expected: Matcher | None = None
    response: Mapping[str, Any] | None = None
    error: BaseException | None = None


def _path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where ``actual`` stops matching ``expected`` (recursive subset, ``ANY`` wildcard), or ``None``."""
    where = path or "the request"
    if expected is ANY:
        return None
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"at {where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"at {_path(path, key)}: missing (expected {value!r})"
            found = _first_difference(value, actual[key], _path(path, key))
            if found is not None:
                return found
        return None
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list | tuple):
            return f"at {where}: expected a list, got {actual!r}"
        if len(expected) != len(actual):
            return f"at {where}: expected {len(expected)} item(s), got {len(actual)}: {actual!r}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = _first_difference(want, got, _path(path, index))
            if found is not None:
                return found
        return None
    if expected == actual:
        return None
    return f"at {where}: expected {expected!r}, got {actual!r}"


def _format(value: Any) -> str:
    return pprint.pformat(value, width=100, sort_dicts=False)


class _Fake:
    """What every fake shares: the record of calls and a helpful error for a method it does not fake."""

    _methods: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Tracebacks and reprs then show ``FakeDynamoDBClient.put_item``, not the factory's inner function.
        super().__init_subclass__(**kwargs)
        for name in cls._methods:
            function = cls.__dict__.get(name)
            if function is not None:
                function.__qualname__ = f"{cls.__qualname__}.{name}"

    def _record(self, method: str, params: dict[str, Any]) -> None:
        self.calls.append((method, copy.deepcopy(params)))

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # Only reached for missing attributes. Private names stay silent so that copy, pickle and client
        # probes (``_make_api_call``) see an ordinary missing attribute.
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"{type(self).__name__} has no method {name!r}; it fakes {', '.join(self._methods)}"
        )


def _sync_method(method: str) -> Callable[..., dict[str, Any]]:
    def call(self: _Fake, **params: Any) -> dict[str, Any]:
        return self._call(method, params)

    call.__name__ = method
    call.__doc__ = f"Record a ``{method}`` call and answer it."
    return call


def _async_method(method: str) -> Callable[..., Any]:
    async def call(self: _Fake, **params: Any) -> dict[str, Any]:
        return self._call(method, params)

    call.__name__ = method
    call.__doc__ = f"Record a ``{method}`` call and answer it (a coroutine, for ``AsyncTable``)."
    return call


class _ScriptedDynamoDB(_Fake):
    """The script and its checks, shared by the sync and async DynamoDB fakes."""

    _methods = _DYNAMODB_METHODS

    def __init__(self) -> None:
        super().__init__()
        self._script: deque[ExpectedCall] = deque()
        self._answered = 0

    def expect(
        self,
        method: str,
        expected: Matcher | None = None,
        *,
        response: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> Self:
        """Script the next call: ``method`` with a request matching ``expected``, answered with ``response``
        (a copy; ``{}`` when ``None``) or by raising ``error``. Returns the fake, so calls can be chained.

        ``expected`` is a mapping matched as a recursive subset of the request (keys it names must be there
        and match, lists must match in length and items, :data:`ANY` matches anything), or a callable given
        the request that returns a true value to accept it.
        """
        if method not in self._methods:
            raise _argument_error(
                f"expect: method {method!r} is not faked; use one of {', '.join(self._methods)}"
            )
        if expected is not None and not (isinstance(expected, Mapping) or callable(expected)):
            raise _argument_error(
                f"expect: expected must be a mapping or a callable, got {type(expected).__name__}"
            )
        if response is not None and error is not None:
            raise _argument_error("expect: give response or error, not both")
        with self._lock:
            self._script.append(ExpectedCall(method, expected, response, error))
        return self

    @property
    def pending(self) -> tuple[ExpectedCall, ...]:
        """The scripted calls not made yet, in order."""
        with self._lock:
            return tuple(self._script)

    def assert_no_pending(self) -> None:
        """Fail (``AssertionError``) when scripted calls were never made, naming them."""
        pending = self.pending
        if pending:
            names = ", ".join(entry.method for entry in pending)
            raise AssertionError(f"{len(pending)} expected call(s) never made: {names}")

    def _next(self, method: str, params: dict[str, Any]) -> tuple[int, ExpectedCall]:
        """Record the call and take the next scripted entry (under the lock)."""
        with self._lock:
            self._record(method, params)
            if not self._script:
                raise AssertionError(f"unexpected call: {method}\nrequest: {_format(params)}")
            self._answered += 1
            return self._answered, self._script.popleft()

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        number, entry = self._next(method, params)
        _check(entry, number, method, params)
        return _answer(entry)


def _check(entry: ExpectedCall, number: int, method: str, params: dict[str, Any]) -> None:
    if entry.method != method:
        raise AssertionError(
            f"unexpected call: {method} (expected call #{number} to be {entry.method})\n"
            f"request: {_format(params)}"
        )
    expected = entry.expected
    if expected is None:
        return
    if isinstance(expected, Mapping):
        difference = _first_difference(expected, params)
        if difference is not None:
            raise AssertionError(
                f"{method} (call #{number}) request does not match the expectation {difference}\n"
                f"expected (subset): {_format(expected)}\n"
                f"actual: {_format(params)}"
            )
    # A callable runs outside the lock: it may block or call the fake again.
    elif not expected(copy.deepcopy(params)):
        name = getattr(expected, "__qualname__", repr(expected))
        raise AssertionError(
            f"{method} (call #{number}) request rejected by the expectation {name}\nactual: {_format(params)}"
        )


def _answer(entry: ExpectedCall) -> dict[str, Any]:
    if entry.error is not None:
        raise entry.error
    return copy.deepcopy(dict(entry.response)) if entry.response is not None else {}


class FakeDynamoDBClient(_ScriptedDynamoDB):
    """A strict, scripted fake of the boto3 DynamoDB client, to pass as ``Table(..., client=...)``.

    Script every call with :meth:`expect`; each call is recorded in ``.calls`` as ``(method, params)``,
    then must match the next scripted call in order, which answers it. A call beyond the script fails with
    ``AssertionError("unexpected call: <method>")``, a request that differs from the script fails showing
    the first difference, and :meth:`assert_no_pending` fails when scripted calls were never made::

        client = FakeDynamoDBClient()
        client.expect("get_item", {"Key": {"id": {"S": "u1"}}}, response={"Item": {"id": {"S": "u1"}}})
        assert Table(USERS, client=client, table_name="users").get("u1").id == "u1"
        client.assert_no_pending()
    """

    put_item = _sync_method("put_item")
    get_item = _sync_method("get_item")
    update_item = _sync_method("update_item")
    delete_item = _sync_method("delete_item")
    query = _sync_method("query")
    scan = _sync_method("scan")
    batch_get_item = _sync_method("batch_get_item")
    batch_write_item = _sync_method("batch_write_item")
    transact_write_items = _sync_method("transact_write_items")
    transact_get_items = _sync_method("transact_get_items")
    create_table = _sync_method("create_table")
    delete_table = _sync_method("delete_table")
    describe_table = _sync_method("describe_table")
    update_time_to_live = _sync_method("update_time_to_live")
    describe_time_to_live = _sync_method("describe_time_to_live")


class AsyncFakeDynamoDBClient(_ScriptedDynamoDB):
    """:class:`FakeDynamoDBClient` whose client methods are coroutines, to pass as ``AsyncTable(client=...)``.

    Same constructor, :meth:`expect`, ``.calls`` and :meth:`assert_no_pending`.
    """

    put_item = _async_method("put_item")
    get_item = _async_method("get_item")
    update_item = _async_method("update_item")
    delete_item = _async_method("delete_item")
    query = _async_method("query")
    scan = _async_method("scan")
    batch_get_item = _async_method("batch_get_item")
    batch_write_item = _async_method("batch_write_item")
    transact_write_items = _async_method("transact_write_items")
    transact_get_items = _async_method("transact_get_items")
    create_table = _async_method("create_table")
    delete_table = _async_method("delete_table")
    describe_table = _async_method("describe_table")
    update_time_to_live = _async_method("update_time_to_live")
    describe_time_to_live = _async_method("describe_time_to_live")


class _FixedKms(_Fake):
    """The fixed data key, shared by the sync and async KMS fakes."""

    _methods = _KMS_METHODS

    def __init__(self, *, plaintext_key: bytes, ciphertext_blob: bytes) -> None:
        super().__init__()
        for name, value in (("plaintext_key", plaintext_key), ("ciphertext_blob", ciphertext_blob)):
            if not isinstance(value, bytes | bytearray):
                raise _argument_error(
                    f"{type(self).__name__}: {name} must be bytes, got {type(value).__name__}"
                )
        self.plaintext_key = bytes(plaintext_key)
        self.ciphertext_blob = bytes(ciphertext_blob)

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._record(method, params)
        response: dict[str, Any] = {"Plaintext": self.plaintext_key, "KeyId": params.get("KeyId")}
        if method == "generate_data_key":
            response["CiphertextBlob"] = self.ciphertext_blob
        else:
            response["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT"
        return response


class FakeKmsClient(_FixedKms):
    """A fake of the boto3 KMS client that always hands out one data key, to pass as ``kms_client=``.

    ``generate_data_key`` returns ``plaintext_key`` and ``ciphertext_blob``; ``decrypt`` returns
    ``plaintext_key`` whatever blob it is given. Every call is recorded in ``.calls``. The library needs a
    32-byte key; give another length to test how your code handles a broken KMS.
    """

    generate_data_key = _sync_method("generate_data_key")
    decrypt = _sync_method("decrypt")


class AsyncFakeKmsClient(_FixedKms):
    """:class:`FakeKmsClient` whose client methods are coroutines, for ``AsyncTable(kms_client=...)``."""

    generate_data_key = _async_method("generate_data_key")
    decrypt = _async_method("decrypt")


def _argument_error(message: str) -> ValidationError:
    """A test-kit argument that cannot be used (a ``ValueError``, as the test kit has always raised)."""
    return ValidationError(message, code=ERR_INVALID_VALUE)
