"""Test doubles of the AWS clients a ``Table`` talks to, shared by every test module (``import doubles``).

Each double records what it was sent and answers from what the test configured; anything else fails loudly
with the operation's name. They are deliberately close to the package's planned public test kit
(``FakeDynamoDBClient`` / ``FakeKmsClient``: ``expect``, ``calls``, ``assert_no_pending``) so tests can move
to it later. The ``Async*`` twins behave the same, with every client method ``async def``, for ``AsyncTable``.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from botocore.exceptions import ClientError

# What a double answers with: a response (returned as a copy), an exception (raised), or a function of the
# request returning either.
Answer = dict[str, Any] | Exception | Callable[[dict[str, Any]], Any]

DYNAMODB_OPERATIONS = frozenset(
    {
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
        "update_table",
        "update_time_to_live",
        "describe_time_to_live",
    }
)
KMS_OPERATIONS = frozenset({"generate_data_key", "decrypt"})
STS_OPERATIONS = frozenset({"assume_role", "get_caller_identity"})


class _AnyValue:
    """Matches any value inside an ``expected`` request of :meth:`ScriptedClient.expect`."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _AnyValue()


def _resolve(answer: Answer, params: dict[str, Any]) -> dict[str, Any]:
    value: Any = answer(params) if callable(answer) else answer
    if isinstance(value, Exception):
        raise value
    result: dict[str, Any] = copy.deepcopy(value)
    return result


def _matches(expected: Any, actual: Any) -> bool:
    """``expected`` as a recursive subset of ``actual``: dict keys must exist and match, lists match fully."""
    if expected is ANY:
        return True
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and _matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


class _Recorder:
    """Shared by the doubles: the operations a client has, and the record of every call (params deep-copied).

    Operations are looked up by name (``__getattr__``) so an async twin can wrap the very same behaviour;
    any other attribute is missing, as on a client without it.
    """

    operations: frozenset[str] = DYNAMODB_OPERATIONS

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def _answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _record(self, operation: str, params: dict[str, Any]) -> None:
        self.calls.append((operation, copy.deepcopy(params)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in type(self).operations:
            raise AttributeError(name)

        def call(**params: Any) -> dict[str, Any]:
            return self._answer(name, params)

        call.__name__ = name
        return call

    def names(self) -> list[str]:
        """The operations called, in order."""
        return [operation for operation, _ in self.calls]

    def requests(self) -> list[dict[str, Any]]:
        """The params of every call, in order."""
        return [params for _, params in self.calls]

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)

    @property
    def last(self) -> dict[str, Any]:
        """The params of the latest call."""
        assert self.calls, "no call was sent"
        return self.calls[-1][1]


_EMPTY: dict[str, Any] = {}


class RecordingClient(_Recorder):
    """A DynamoDB client double answering per operation.

    ``responses[operation]`` is an :data:`Answer` given to every call of that operation, or a list of them
    answered one per call in order (running out fails the test). An operation without an entry gets
    ``default`` (``{}``); with ``default=None`` it fails the test instead. ``responses`` stays a public dict
    that a test may change between calls. Thread-safe.
    """

    def __init__(
        self, responses: Mapping[str, Any] | None = None, *, default: Answer | None = _EMPTY
    ) -> None:
        super().__init__()
        self.responses: dict[str, Any] = dict(responses or {})
        self.default = default

    def _answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._record(operation, params)
            answer = self.responses.get(operation, self.default)
            if isinstance(answer, list):
                if not answer:
                    raise AssertionError(f"no answer left for {operation}")
                answer = answer.pop(0)
        if answer is None:
            raise AssertionError(f"unexpected call: {operation}")
        return _resolve(answer, params)


class _Expected:
    """An entry of a :class:`ScriptedClient` script that also checks the operation and the request."""

    __slots__ = ("answer", "expected", "operation")

    def __init__(self, operation: str, expected: Any, answer: Answer) -> None:
        self.operation = operation
        self.expected = expected
        self.answer = answer

    def check(self, operation: str, params: dict[str, Any]) -> Answer:
        assert operation == self.operation, f"expected a call of {self.operation}, got {operation}"
        if callable(self.expected):
            assert self.expected(params), f"{operation} request does not match"
        elif self.expected is not None:
            assert _matches(self.expected, params), f"{operation} request does not match"
        return self.answer


class ScriptedClient(_Recorder):
    """A DynamoDB client double answering every call, whatever its operation, with the next script entry.

    Entries are :data:`Answer` values (positional, or appended with :meth:`expect`, which also checks the
    operation and the request). Past the script, calls get ``default`` if set, or fail the test naming the
    operation. Thread-safe; a function entry runs outside the lock so it may block.
    """

    def __init__(self, *script: Answer, default: Answer | None = None) -> None:
        super().__init__()
        self.script: list[Answer | _Expected] = list(script)
        self.default = default

    def expect(
        self,
        operation: str,
        expected: Mapping[str, Any] | Callable[[dict[str, Any]], bool] | None = None,
        *,
        response: dict[str, Any] | None = None,
        error: Exception | None = None,
    ) -> ScriptedClient:
        """Append an entry: the next call must be ``operation`` with a request matching ``expected``."""
        if operation not in type(self).operations:
            raise AssertionError(f"{operation} is not a client operation")
        self.script.append(_Expected(operation, expected, error if error is not None else response or {}))
        return self

    def assert_no_pending(self) -> None:
        assert not self.script, f"{len(self.script)} scripted answer(s) were never asked for"

    def _answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._record(operation, params)
            if self.script:
                entry = self.script.pop(0)
            elif self.default is not None:
                entry = self.default
            else:
                raise AssertionError(f"unexpected call: {operation}")
        if isinstance(entry, _Expected):
            entry = entry.check(operation, params)
        return _resolve(entry, params)


class ScriptedSts(ScriptedClient):
    """:class:`ScriptedClient` with the STS operations (``assume_role``) instead of DynamoDB's."""

    operations = STS_OPERATIONS


class FakeKms(_Recorder):
    """A KMS client double: GenerateDataKey hands out keys, Decrypt returns the key of a blob it knows.

    ``generate_data_key`` gives the ``issue`` pairs (plaintext key, blob) in order, then fresh distinct pairs
    derived from a counter (deterministic). ``decrypt`` returns the key only for a blob it issued or was told
    about (``known``), like KMS; any other blob raises InvalidCiphertextException, or with
    ``unknown_blob="derive"`` gets some other 32-byte key (a KMS that cannot tell, so only AES-GCM
    authentication can). An operation in ``errors`` raises its exception on the first ``failures`` calls
    (``None``: every call). ``decrypt_only`` makes GenerateDataKey an unexpected call. Thread-safe.
    """

    operations = KMS_OPERATIONS

    def __init__(
        self,
        *,
        issue: Sequence[tuple[bytes, bytes]] = (),
        known: Mapping[bytes, bytes] | None = None,
        errors: Mapping[str, Exception] | None = None,
        unknown_blob: Literal["reject", "derive"] = "reject",
        failures: int | None = None,
        decrypt_only: bool = False,
    ) -> None:
        super().__init__()
        self._issue = list(issue)
        self._fresh = 0
        self.keys: dict[bytes, bytes] = dict(known or {})
        self.errors = dict(errors or {})
        self.unknown_blob = unknown_blob
        self.failures = failures
        self.decrypt_only = decrypt_only

    def _answer(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._record(operation, params)
            if operation in self.errors and (self.failures is None or self.failures > 0):
                if self.failures is not None:
                    self.failures -= 1
                raise self.errors[operation]
            if operation == "decrypt":
                return self._decrypt(params)
            if self.decrypt_only:
                raise AssertionError(f"unexpected call: {operation}")
            return self._generate_data_key(params)

    def _generate_data_key(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._issue:
            key, blob = self._issue.pop(0)
        else:
            self._fresh += 1
            key = hashlib.sha256(b"fake-kms-key-%d" % self._fresh).digest()
            blob = b"fake-kms-blob-%d" % self._fresh
        self.keys.setdefault(blob, key)
        return {"CiphertextBlob": blob, "Plaintext": key, "KeyId": params["KeyId"]}

    def _decrypt(self, params: dict[str, Any]) -> dict[str, Any]:
        blob = bytes(params["CiphertextBlob"])
        key = self.keys.get(blob)
        if key is None and self.unknown_blob == "derive":
            key = hashlib.sha256(b"derived" + blob).digest()
        if key is None:
            raise ClientError(
                {"Error": {"Code": "InvalidCiphertextException", "Message": "request refused"}}, "Decrypt"
            )
        return {"Plaintext": key, "KeyId": params["KeyId"], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


# --- async twins -------------------------------------------------------------------------------------------


class _AsyncOperations:
    """Makes every operation of a double an ``async def`` with the same behaviour."""

    def __getattr__(self, name: str) -> Any:
        sync: Callable[..., dict[str, Any]] = super().__getattr__(name)  # type: ignore[misc]

        async def call(**params: Any) -> dict[str, Any]:
            return sync(**params)

        call.__name__ = name
        return call


class AsyncRecordingClient(_AsyncOperations, RecordingClient):
    """:class:`RecordingClient` whose operations are coroutines."""


class AsyncScriptedClient(_AsyncOperations, ScriptedClient):
    """:class:`ScriptedClient` whose operations are coroutines."""


class AsyncFakeKms(_AsyncOperations, FakeKms):
    """:class:`FakeKms` whose operations are coroutines."""
