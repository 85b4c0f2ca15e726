"""Lenient client doubles for tests the public test kit's strict fakes do not fit (``import doubles``).

Tests that script their calls in order use ``dynamorm_py.testkit`` directly (``FakeDynamoDBClient().expect``,
``FakeKmsClient``). The doubles here are subclasses of those fakes (same methods, ``.calls``, ``expect``,
``assert_no_pending``) that also answer calls nobody scripted: per operation (``RecordingClient``), from a
queue of answers whatever the operation (``ScriptedClient``), or with a KMS that issues distinct keys and
refuses blobs it did not issue (``FakeKms``). Calls scripted with ``expect`` are still answered first.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from botocore.exceptions import ClientError

from dynamorm_py.mocks import (
    AsyncFakeDynamoDBClient,
    AsyncFakeKmsClient,
    FakeDynamoDBClient,
    FakeKmsClient,
    _sync_method,
)

# What a double answers with: a response (returned as a copy), an exception (raised), or a function of the
# request returning either.
Answer = dict[str, Any] | Exception | Callable[[dict[str, Any]], Any]


def _resolve(answer: Answer, params: dict[str, Any]) -> dict[str, Any]:
    value: Any = answer(params) if callable(answer) else answer
    if isinstance(value, Exception):
        raise value
    result: dict[str, Any] = copy.deepcopy(value)
    return result


FIXED_DATA_KEY = hashlib.sha256(b"fixed test data key").digest()
FIXED_EDK = b"fixed-test-encrypted-data-key"


def fixed_kms() -> FakeKmsClient:
    """The public fixed key KMS fake, for tests where one data key for every field is enough."""
    return FakeKmsClient(plaintext_key=FIXED_DATA_KEY, ciphertext_blob=FIXED_EDK)


def expecting(method: str, *answers: dict[str, Any] | BaseException) -> FakeDynamoDBClient:
    """The public strict fake expecting one ``method`` call per answer (a response, or an error raised)."""
    client = FakeDynamoDBClient()
    for answer in answers:
        if isinstance(answer, BaseException):
            client.expect(method, error=answer)
        else:
            client.expect(method, response=answer)
    return client


class _CallQueries:
    """Shortcuts over ``.calls`` for assertions."""

    calls: list[tuple[str, dict[str, Any]]]

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


class _Lenient(_CallQueries, FakeDynamoDBClient):
    """Scripted ``expect`` calls first (strict, as the public fake); past them, :meth:`_fallback` answers."""

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.pending:
            return super()._call(method, params)
        with self._lock:
            self._record(method, params)
            answer = self._fallback(method)
        return _resolve(answer, params)

    def _fallback(self, method: str) -> Answer:
        raise NotImplementedError


class RecordingClient(_Lenient):
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

    def _fallback(self, method: str) -> Answer:
        answer = self.responses.get(method, self.default)
        if isinstance(answer, list):
            if not answer:
                raise AssertionError(f"no answer left for {method}")
            answer = answer.pop(0)
        if answer is None:
            raise AssertionError(f"unexpected call: {method}")
        return answer


class ScriptedClient(_Lenient):
    """A DynamoDB client double answering every call, whatever its operation, with the next script entry.

    Past the script, calls get ``default`` if set, or fail the test naming the operation. Thread-safe; a
    function entry runs outside the lock so it may block.
    """

    def __init__(self, *script: Answer, default: Answer | None = None) -> None:
        super().__init__()
        self.script: list[Answer] = list(script)
        self.default = default

    def _fallback(self, method: str) -> Answer:
        if self.script:
            return self.script.pop(0)
        if self.default is not None:
            return self.default
        raise AssertionError(f"unexpected call: {method}")


class ScriptedSts(ScriptedClient):
    """:class:`ScriptedClient` with the STS operations (``assume_role``) instead of DynamoDB's."""

    _methods = ("assume_role", "get_caller_identity")
    assume_role = _sync_method("assume_role")
    get_caller_identity = _sync_method("get_caller_identity")


class FakeKms(_CallQueries, FakeKmsClient):
    """A KMS client double: GenerateDataKey hands out keys, Decrypt returns the key of a blob it knows.

    For tests where the public ``FakeKmsClient``'s one fixed key is not enough. ``generate_data_key`` gives
    the ``issue`` pairs (plaintext key, blob) in order, then fresh distinct pairs derived from a counter
    (deterministic). ``decrypt`` returns the key only for a blob it issued or was told about (``known``),
    like KMS; any other blob raises InvalidCiphertextException, or with ``unknown_blob="derive"`` gets some
    other 32-byte key (a KMS that cannot tell, so only AES-GCM authentication can). An operation in
    ``errors`` raises its exception on the first ``failures`` calls (``None``: every call).
    ``decrypt_only`` makes GenerateDataKey an unexpected call. Thread-safe.
    """

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
        super().__init__(plaintext_key=b"", ciphertext_blob=b"")
        self._issue = list(issue)
        self._fresh = 0
        self.keys: dict[bytes, bytes] = dict(known or {})
        self.errors = dict(errors or {})
        self.unknown_blob = unknown_blob
        self.failures = failures
        self.decrypt_only = decrypt_only

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._record(method, params)
            if method in self.errors and (self.failures is None or self.failures > 0):
                if self.failures is not None:
                    self.failures -= 1
                raise self.errors[method]
            if method == "decrypt":
                return self._decrypt(params)
            if self.decrypt_only:
                raise AssertionError(f"unexpected call: {method}")
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


# --- async twins: the same answers behind the public async fakes' ``async def`` methods ----------------


class AsyncRecordingClient(AsyncFakeDynamoDBClient, RecordingClient):
    """:class:`RecordingClient` whose operations are coroutines."""


class AsyncScriptedClient(AsyncFakeDynamoDBClient, ScriptedClient):
    """:class:`ScriptedClient` whose operations are coroutines."""


class AsyncFakeKms(AsyncFakeKmsClient, FakeKms):
    """:class:`FakeKms` whose operations are coroutines."""
