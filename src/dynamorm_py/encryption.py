"""Field encryption: the KMS envelope of wire-format.md §3, its AV-JSON payload and the opt-in data-key cache.

An encrypted attribute is stored as ``{"M": {"v": {"N": "1"}, "edk": {"B": ...}, "nonce": {"B": ...},
"ct": {"B": ...}}}``: the attribute's AV, serialized as AV-JSON (§3.3), sealed with AES-256-GCM under a KMS
data key, with ``dynamorm:encrypted:v1|attr=<attribute>`` as associated data.

The module has three layers:

- pure functions (``payload_bytes``, ``seal``, ``parse_envelope``, ``open_sealed``) that do the crypto and
  every shape check, given the key material;
- the sans-I/O operations ``encrypt_av`` / ``decrypt_av``, which yield the KMS calls (see ``_core``);
- the public sync helpers ``encrypt_attribute_value`` / ``decrypt_attribute_value`` (api.md §1.5).

No error message, ``repr`` or log line carries plaintext, ciphertext, data keys or encrypted data keys:
errors name the attribute (``field``) and the rule that failed, nothing more. This module does not log.
"""

from __future__ import annotations

import binascii
import json
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, cast

from boto3.dynamodb.types import Binary
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._core.effects import Op, aws_call
from ._core.retries import RetryPolicy, retried_call
from ._drivers.sync import run_sync
from .errors import (
    ERR_INVALID_ENCRYPTED_ENVELOPE,
    ERR_INVALID_VALUE,
    DynamormPyError,
    EncryptionNotConfiguredError,
    UnsupportedTypeError,
    ValidationError,
)

__all__ = [
    "DataKeyCache",
    "aad_for",
    "decrypt_attribute_value",
    "decrypt_av",
    "encrypt_attribute_value",
    "encrypt_av",
    "marshal_attribute_value_json",
    "open_sealed",
    "parse_envelope",
    "parse_payload",
    "payload_bytes",
    "seal",
    "unmarshal_attribute_value_json",
]

ENVELOPE_VERSION: Final = 1
DATA_KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16

_AAD_PREFIX: Final = "dynamorm:encrypted:v1|attr="
_ENVELOPE_KEYS: Final = frozenset({"v", "edk", "nonce", "ct"})

# AV type -> AV-JSON value key (wire-format.md §3.3).
_VALUE_KEYS: Final[Mapping[str, str]] = {
    "S": "s",
    "N": "n",
    "B": "b",
    "BOOL": "bool",
    "NULL": "null",
    "SS": "ss",
    "NS": "ns",
    "BS": "bs",
    "L": "l",
    "M": "m",
}
# Go omits these value keys when the container is empty, so a reader takes a missing key as empty.
_EMPTY_WHEN_MISSING: Final = frozenset({"SS", "NS", "BS", "L", "M"})

# The number grammar DynamoDB accepts; Decimal alone would also take " 1", "1_0" or "Infinity".
_NUMBER_TEXT: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# NIST SP 800-38D caps AES-GCM with random 96-bit nonces at 2**32 messages per key.
_MAX_MESSAGES_PER_KEY: Final = 2**32

_DEFAULT_ENCRYPT_OPERATION: Final = "encrypt_attribute_value"
_DEFAULT_DECRYPT_OPERATION: Final = "decrypt_attribute_value"


# --------------------------------------------------------------------------------------------------
# Errors


def _prefix(attr_name: str | None) -> str:
    return f"encrypted attribute {attr_name!r}: " if attr_name is not None else ""


def _invalid(attr_name: str | None, reason: str) -> ValidationError:
    return ValidationError(_prefix(attr_name) + reason, code=ERR_INVALID_ENCRYPTED_ENVELOPE, field=attr_name)


def _unencodable(attr_name: str | None, reason: str) -> UnsupportedTypeError:
    return UnsupportedTypeError(_prefix(attr_name) + reason, field=attr_name)


def _annotate(exc: DynamormPyError, *, attr_name: str, operation: str | None, table: str | None) -> None:
    if exc.field is None:
        exc.field = attr_name
    exc.with_context(operation=operation, table=table)


def _require_key_arn(
    kms_key_arn: str | None, *, attr_name: str, operation: str | None, table: str | None
) -> str:
    key_arn = kms_key_arn.strip() if isinstance(kms_key_arn, str) else ""
    if not key_arn:
        raise EncryptionNotConfiguredError(
            f"{_prefix(attr_name)}no KMS key ARN is configured",
            operation=operation,
            table=table,
            field=attr_name,
        )
    return key_arn


# --------------------------------------------------------------------------------------------------
# Binaries


def _as_bytes(value: Any) -> bytes | None:
    """``value`` as ``bytes`` when it is a binary (bytes, bytearray, memoryview, boto3 ``Binary``)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, Binary):
        inner = cast(Any, value).value  # the boto3 stubs do not declare ``Binary.value``
        return bytes(inner) if isinstance(inner, bytes | bytearray) else None
    return None


def _b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _b64decode_strict(text: str) -> bytes | None:
    """Standard alphabet, padding required, no whitespace; ``None`` when ``text`` is not such base64."""
    if not text.isascii():
        return None
    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except binascii.Error:
        return None


# --------------------------------------------------------------------------------------------------
# AV-JSON (wire-format.md §3.3)


def marshal_attribute_value_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """AV -> AV-JSON object: ``t`` first, the value key always written, map keys sorted by code point."""
    return _to_av_json(av, None)


def _to_av_json(av: Any, attr_name: str | None) -> dict[str, Any]:
    if not isinstance(av, Mapping) or len(av) != 1:
        raise _unencodable(attr_name, "an attribute value must be a map with exactly one type key")
    ((tag, value),) = av.items()
    if tag in ("S", "N") and isinstance(value, str):
        return {"t": tag, _VALUE_KEYS[tag]: value}
    if tag == "B" and (raw := _as_bytes(value)) is not None:
        return {"t": "B", "b": _b64encode(raw)}
    if tag == "BOOL" and isinstance(value, bool):
        return {"t": "BOOL", "bool": value}
    if tag == "NULL" and value is True:
        return {"t": "NULL", "null": True}
    if tag in ("SS", "NS") and _is_set(value) and all(isinstance(item, str) for item in value):
        return {"t": tag, _VALUE_KEYS[tag]: list(value)}
    if tag == "BS" and _is_set(value):
        raws = [_as_bytes(item) for item in value]
        if all(raw is not None for raw in raws):
            return {"t": "BS", "bs": [_b64encode(raw) for raw in raws if raw is not None]}
    if tag == "L" and isinstance(value, list | tuple):
        return {"t": "L", "l": [_to_av_json(item, attr_name) for item in value]}
    if tag == "M" and isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {"t": "M", "m": {key: _to_av_json(value[key], attr_name) for key in sorted(value)}}
    if tag in _VALUE_KEYS:
        raise _unencodable(attr_name, f"the {tag} attribute value holds a value of the wrong type")
    raise _unencodable(attr_name, "the attribute value has an unknown type key")


def _is_set(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def unmarshal_attribute_value_json(enc: Any) -> dict[str, Any]:
    """AV-JSON object -> AV; missing ``l``/``m``/``ss``/``ns``/``bs`` read as empty, extra keys ignored."""
    return _from_av_json(enc, None)


def _from_av_json(enc: Any, attr_name: str | None) -> dict[str, Any]:
    if not isinstance(enc, Mapping):
        raise _invalid(attr_name, "payload is not an AV-JSON object")
    tag = enc.get("t")
    if not isinstance(tag, str) or tag not in _VALUE_KEYS:
        raise _invalid(attr_name, "payload has a missing or unknown type tag 't'")
    key = _VALUE_KEYS[tag]
    if key not in enc:
        if tag in _EMPTY_WHEN_MISSING:
            return {tag: {} if tag == "M" else []}
        raise _invalid(attr_name, f"payload of type {tag} has no {key!r} value")
    value = enc[key]
    if tag in ("S", "N") and isinstance(value, str):
        return {tag: value}
    if tag == "B" and isinstance(value, str) and (raw := _b64decode_strict(value)) is not None:
        return {"B": raw}
    if tag in ("BOOL", "NULL") and isinstance(value, bool):
        return {"BOOL": value} if tag == "BOOL" else {"NULL": True}
    if tag in ("SS", "NS") and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {tag: list(value)}
    if tag == "BS" and isinstance(value, list) and all(isinstance(item, str) for item in value):
        raws = [_b64decode_strict(item) for item in value]
        if all(raw is not None for raw in raws):
            return {"BS": [raw for raw in raws if raw is not None]}
    if tag == "L" and isinstance(value, list):
        return {"L": [_from_av_json(item, attr_name) for item in value]}
    if tag == "M" and isinstance(value, Mapping):
        return {"M": {str(k): _from_av_json(item, attr_name) for k, item in value.items()}}
    raise _invalid(attr_name, f"payload of type {tag} has a wrongly typed {key!r} value")


def payload_bytes(av: Mapping[str, Any]) -> bytes:
    """The plaintext that gets sealed: compact AV-JSON, raw UTF-8 (no ASCII or HTML escaping)."""
    return _payload_bytes(av, None)


def _payload_bytes(av: Mapping[str, Any], attr_name: str | None) -> bytes:
    text = json.dumps(_to_av_json(av, attr_name), ensure_ascii=False, separators=(",", ":"))
    data = _utf8_encode(text)
    if data is None:
        raise ValidationError(
            _prefix(attr_name) + "the value contains invalid Unicode (a lone surrogate)",
            code=ERR_INVALID_VALUE,
            field=attr_name,
        )
    return data


def _utf8_encode(text: str) -> bytes | None:
    # The error is not chained anywhere: a UnicodeError keeps the whole text in ``.object``.
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _utf8_decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_NOT_JSON: Final = object()


def _json_loads(text: str) -> Any:
    # JSONDecodeError keeps the document in ``.doc``; return a sentinel instead of chaining it.
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def parse_payload(data: bytes, *, attr_name: str) -> dict[str, Any]:
    """The AV inside an opened payload; anything but valid UTF-8 AV-JSON -> ErrInvalidEncryptedEnvelope."""
    text = _utf8_decode(bytes(data))
    if text is None:
        raise _invalid(attr_name, "payload is not valid UTF-8")
    document = _json_loads(text)
    if document is _NOT_JSON:
        raise _invalid(attr_name, "payload is not valid JSON")
    return _from_av_json(document, attr_name)


# --------------------------------------------------------------------------------------------------
# Pure crypto (wire-format.md §3.1, §3.2, §3.5)


def aad_for(attr_name: str) -> bytes:
    """The AES-GCM associated data binding a value to its attribute: ``dynamorm:encrypted:v1|attr=<name>``."""
    return (_AAD_PREFIX + attr_name).encode("utf-8")


def _data_key(value: Any, attr_name: str) -> bytes:
    key = _as_bytes(value)
    if key is None or len(key) != DATA_KEY_BYTES:
        raise _invalid(attr_name, f"the data key must be {DATA_KEY_BYTES} bytes")
    return key


def seal(
    av: Mapping[str, Any], *, attr_name: str, data_key: bytes, edk: bytes, nonce: bytes
) -> dict[str, Any]:
    """Encrypt ``av`` into the stored envelope AV with the given key material (no I/O)."""
    return _seal_payload(
        _payload_bytes(av, attr_name), attr_name=attr_name, data_key=data_key, edk=edk, nonce=nonce
    )


def _seal_payload(payload: bytes, *, attr_name: str, data_key: Any, edk: Any, nonce: Any) -> dict[str, Any]:
    key = _data_key(data_key, attr_name)
    edk_bytes = _as_bytes(edk)
    if not edk_bytes:
        raise _invalid(attr_name, "the encrypted data key must be non-empty bytes")
    nonce_bytes = _as_bytes(nonce)
    if nonce_bytes is None or len(nonce_bytes) != NONCE_BYTES:
        raise _invalid(attr_name, f"the nonce must be {NONCE_BYTES} bytes")
    ct = AESGCM(key).encrypt(nonce_bytes, payload, aad_for(attr_name))
    return {
        "M": {
            "v": {"N": str(ENVELOPE_VERSION)},
            "edk": {"B": edk_bytes},
            "nonce": {"B": nonce_bytes},
            "ct": {"B": ct},
        }
    }


def parse_envelope(stored_av: Mapping[str, Any], *, attr_name: str) -> tuple[bytes, bytes, bytes]:
    """``(edk, nonce, ct)`` of a stored envelope after every shape check of wire-format.md §3.5."""
    entries = stored_av.get("M") if isinstance(stored_av, Mapping) and len(stored_av) == 1 else None
    if not isinstance(entries, Mapping):
        raise _invalid(attr_name, "the stored value is not an encryption envelope (not a map)")
    _check_version(entries, attr_name)
    edk = _envelope_binary(entries, "edk", attr_name)
    if not edk:
        raise _invalid(attr_name, "envelope entry 'edk' is empty")
    nonce = _envelope_binary(entries, "nonce", attr_name)
    if len(nonce) != NONCE_BYTES:
        raise _invalid(attr_name, f"envelope entry 'nonce' is not {NONCE_BYTES} bytes")
    ct = _envelope_binary(entries, "ct", attr_name)
    if len(ct) < TAG_BYTES:
        raise _invalid(attr_name, f"envelope entry 'ct' is shorter than {TAG_BYTES} bytes")
    if len(entries) != len(_ENVELOPE_KEYS):
        raise _invalid(attr_name, "the envelope has entries other than v, edk, nonce and ct")
    return edk, nonce, ct


def _check_version(entries: Mapping[str, Any], attr_name: str) -> None:
    if "v" not in entries:
        raise _invalid(attr_name, "envelope entry 'v' is missing")
    version = entries["v"]
    text = version.get("N") if isinstance(version, Mapping) and len(version) == 1 else None
    if not isinstance(text, str) or not _NUMBER_TEXT.fullmatch(text):
        raise _invalid(attr_name, "envelope entry 'v' is not a number")
    if not _equals_version(text):
        raise _invalid(attr_name, f"unsupported envelope version (expected {ENVELOPE_VERSION})")


def _equals_version(text: str) -> bool:
    try:
        return Decimal(text) == ENVELOPE_VERSION
    except ArithmeticError:  # an exponent beyond Decimal's range
        return False


def _envelope_binary(entries: Mapping[str, Any], key: str, attr_name: str) -> bytes:
    if key not in entries:
        raise _invalid(attr_name, f"envelope entry {key!r} is missing")
    value = entries[key]
    raw = _as_bytes(value.get("B")) if isinstance(value, Mapping) and len(value) == 1 else None
    if raw is None:
        raise _invalid(attr_name, f"envelope entry {key!r} is not binary")
    return raw


def open_sealed(*, attr_name: str, data_key: bytes, nonce: bytes, ct: bytes) -> dict[str, Any]:
    """Authenticate and decrypt ``ct`` under the attribute's AAD and return the inner AV (no I/O)."""
    key = _data_key(data_key, attr_name)
    nonce_bytes = _as_bytes(nonce)
    ct_bytes = _as_bytes(ct)
    if nonce_bytes is None or len(nonce_bytes) != NONCE_BYTES:
        raise _invalid(attr_name, f"the nonce must be {NONCE_BYTES} bytes")
    if ct_bytes is None or len(ct_bytes) < TAG_BYTES:
        raise _invalid(attr_name, f"the ciphertext must be at least {TAG_BYTES} bytes")
    try:
        payload = AESGCM(key).decrypt(nonce_bytes, ct_bytes, aad_for(attr_name))
    except InvalidTag:
        payload = None
    if payload is None:
        raise _invalid(attr_name, "authentication failed (wrong key, wrong attribute or tampered envelope)")
    return parse_payload(payload, attr_name=attr_name)


# --------------------------------------------------------------------------------------------------
# Data-key cache (opt-in)


@dataclass(repr=False)
class _CachedKey:
    data_key: bytes
    edk: bytes
    created: float
    uses: int = 0


_Slot = tuple[str, str, bytes]  # ("encrypt", key ARN, b"") or ("decrypt", key ARN, edk)


class DataKeyCache:
    """An opt-in, in-memory cache of KMS data keys, bounded by count (LRU) and by age; thread-safe.

    Off by default: wire-format.md §3.2 calls for one GenerateDataKey per value, and that stays the default.
    Passed as ``key_source``, the cache lets encryption reuse one (data key, edk) pair per KMS key ARN for
    up to ``max_age_seconds`` (every value still gets a fresh nonce, so the stored format is unchanged), and
    lets decryption reuse the data key KMS returned for an edk. Keys live only in this process's memory;
    ``repr`` shows the bounds and the size, never key material. Two threads that miss at the same time may
    both call KMS; both results are valid.
    """

    def __init__(
        self,
        max_keys: int = 100,
        max_age_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValidationError("DataKeyCache: max_keys must be an int >= 1", code=ERR_INVALID_VALUE)
        if (
            isinstance(max_age_seconds, bool)
            or not isinstance(max_age_seconds, int | float)
            or not math.isfinite(max_age_seconds)
            or max_age_seconds <= 0
        ):
            raise ValidationError(
                "DataKeyCache: max_age_seconds must be a finite number > 0", code=ERR_INVALID_VALUE
            )
        self._max_keys = max_keys
        self._max_age = float(max_age_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[_Slot, _CachedKey] = OrderedDict()

    @property
    def max_keys(self) -> int:
        return self._max_keys

    @property
    def max_age_seconds(self) -> float:
        return self._max_age

    def clear(self) -> None:
        """Forget every cached key."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """The number of live entries (expired ones are dropped first)."""
        with self._lock:
            now = self._clock()
            for slot in [slot for slot, entry in self._entries.items() if self._expired(entry, now)]:
                del self._entries[slot]
            return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"DataKeyCache(max_keys={self._max_keys}, max_age_seconds={self._max_age}, "
            f"size={len(self._entries)})"
        )

    def _expired(self, entry: _CachedKey, now: float) -> bool:
        age = now - entry.created
        return not 0 <= age < self._max_age

    def _live(self, slot: _Slot) -> _CachedKey | None:
        """The entry in ``slot`` unless it has expired; marks it most recently used. Hold the lock."""
        entry = self._entries.get(slot)
        if entry is None:
            return None
        if self._expired(entry, self._clock()):
            del self._entries[slot]
            return None
        self._entries.move_to_end(slot)
        return entry

    def _store(self, slot: _Slot, entry: _CachedKey) -> None:
        """Insert ``entry`` as most recently used and evict the least recently used. Hold the lock."""
        self._entries[slot] = entry
        self._entries.move_to_end(slot)
        while len(self._entries) > self._max_keys:
            self._entries.popitem(last=False)

    def _encryption_key(self, key_arn: str) -> tuple[bytes, bytes] | None:
        """A cached (data key, edk) for ``key_arn``, counted as one more use, or ``None``."""
        slot: _Slot = ("encrypt", key_arn, b"")
        with self._lock:
            entry = self._live(slot)
            if entry is None:
                return None
            if entry.uses >= _MAX_MESSAGES_PER_KEY:
                del self._entries[slot]
                return None
            entry.uses += 1
            return entry.data_key, entry.edk

    def _remember_encryption_key(self, key_arn: str, data_key: bytes, edk: bytes) -> None:
        """Cache a fresh pair from GenerateDataKey (already used once), for encryption and decryption."""
        now = self._clock()
        with self._lock:
            self._store(("decrypt", key_arn, edk), _CachedKey(data_key, edk, now))
            self._store(("encrypt", key_arn, b""), _CachedKey(data_key, edk, now, uses=1))

    def _decryption_key(self, key_arn: str, edk: bytes) -> bytes | None:
        with self._lock:
            entry = self._live(("decrypt", key_arn, edk))
            return entry.data_key if entry is not None else None

    def _remember_decryption_key(self, key_arn: str, edk: bytes, data_key: bytes) -> None:
        now = self._clock()
        with self._lock:
            self._store(("decrypt", key_arn, edk), _CachedKey(data_key, edk, now))


# --------------------------------------------------------------------------------------------------
# Sans-I/O operations


def _kms_call(
    operation: str,
    params: dict[str, Any],
    *,
    op_name: str,
    table: str | None,
    retry_policy: RetryPolicy | None,
) -> Op[dict[str, Any]]:
    """One KMS call; a table's calls follow its retry policy (its KMS client has botocore's retries off).

    GenerateDataKey and Decrypt change nothing that a repeat could harm, so every retryable failure is
    retried and none is ever an unknown outcome.
    """
    if retry_policy is None:
        response: dict[str, Any] = yield from aws_call("kms", operation, params, op_name=op_name, table=table)
        return response
    response = yield from retried_call(
        retry_policy, operation, params, op_name=op_name, table=table or "", service="kms"
    )
    return response


def encrypt_av(
    av: Mapping[str, Any],
    *,
    attr_name: str,
    kms_key_arn: str,
    rand_bytes: Callable[[int], bytes],
    key_source: DataKeyCache | None = None,
    operation: str | None = None,
    table: str | None = None,
    retry_policy: RetryPolicy | None = None,
) -> Op[dict[str, Any]]:
    """Encrypt ``av`` for ``attr_name``: one KMS GenerateDataKey (unless cached), then seal; returns the
    stored envelope AV."""
    try:
        key_arn = _require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=table)
        payload = _payload_bytes(av, attr_name)
        cached = key_source._encryption_key(key_arn) if key_source is not None else None
        if cached is not None:
            data_key, edk = cached
        else:
            response = yield from _kms_call(
                "generate_data_key",
                {"KeyId": key_arn, "KeySpec": "AES_256"},
                op_name=operation or _DEFAULT_ENCRYPT_OPERATION,
                table=table,
                retry_policy=retry_policy,
            )
            data_key = _data_key(response.get("Plaintext"), attr_name)
            fresh_edk = _as_bytes(response.get("CiphertextBlob"))
            if not fresh_edk:
                raise _invalid(attr_name, "KMS returned an empty encrypted data key")
            edk = fresh_edk
            if key_source is not None:
                key_source._remember_encryption_key(key_arn, data_key, edk)
        return _seal_payload(
            payload, attr_name=attr_name, data_key=data_key, edk=edk, nonce=rand_bytes(NONCE_BYTES)
        )
    except DynamormPyError as exc:
        _annotate(exc, attr_name=attr_name, operation=operation, table=table)
        raise


def decrypt_av(
    stored_av: Mapping[str, Any],
    *,
    attr_name: str,
    kms_key_arn: str,
    key_source: DataKeyCache | None = None,
    operation: str | None = None,
    table: str | None = None,
    retry_policy: RetryPolicy | None = None,
) -> Op[dict[str, Any]]:
    """Decrypt a stored envelope AV of ``attr_name``: check it, KMS Decrypt the edk (unless cached), open
    it; returns the inner AV."""
    try:
        key_arn = _require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=table)
        edk, nonce, ct = parse_envelope(stored_av, attr_name=attr_name)
        data_key = key_source._decryption_key(key_arn, edk) if key_source is not None else None
        if data_key is None:
            response = yield from _kms_call(
                "decrypt",
                {"CiphertextBlob": edk, "KeyId": key_arn},
                op_name=operation or _DEFAULT_DECRYPT_OPERATION,
                table=table,
                retry_policy=retry_policy,
            )
            data_key = _data_key(response.get("Plaintext"), attr_name)
            if key_source is not None:
                key_source._remember_decryption_key(key_arn, edk, data_key)
        return open_sealed(attr_name=attr_name, data_key=data_key, nonce=nonce, ct=ct)
    except DynamormPyError as exc:
        _annotate(exc, attr_name=attr_name, operation=operation, table=table)
        raise


# --------------------------------------------------------------------------------------------------
# Public sync helpers (api.md §1.5)


def _require_client(kms_client: Any, *, attr_name: str, operation: str) -> None:
    if kms_client is None:
        raise ValidationError(
            f"{_prefix(attr_name)}a KMS client is required",
            code=ERR_INVALID_VALUE,
            operation=operation,
            field=attr_name,
        )


def encrypt_attribute_value(
    av: Mapping[str, Any],
    *,
    attr_name: str,
    kms_key_arn: str,
    kms_client: Any,
    rand_bytes: Callable[[int], bytes] = os.urandom,
) -> dict[str, Any]:
    """Encrypt ``av`` for ``attr_name``; returns ``{"v": 1, "edk": bytes, "nonce": bytes, "ct": bytes}``."""
    operation = _DEFAULT_ENCRYPT_OPERATION
    key_arn = _require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=None)
    _require_client(kms_client, attr_name=attr_name, operation=operation)
    stored = run_sync(
        encrypt_av(av, attr_name=attr_name, kms_key_arn=key_arn, rand_bytes=rand_bytes, operation=operation),
        clients={"kms": kms_client},
        sleep=None,
    )
    entries = stored["M"]
    return {
        "v": ENVELOPE_VERSION,
        "edk": entries["edk"]["B"],
        "nonce": entries["nonce"]["B"],
        "ct": entries["ct"]["B"],
    }


def decrypt_attribute_value(
    envelope: Mapping[str, Any],
    *,
    attr_name: str,
    kms_key_arn: str,
    kms_client: Any,
) -> dict[str, Any]:
    """Decrypt an envelope given as Python values (``v`` int or Decimal; binaries as bytes or boto3
    ``Binary``) and return the inner AV; every wire-format.md §3.5 check applies."""
    operation = _DEFAULT_DECRYPT_OPERATION
    key_arn = _require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=None)
    _require_client(kms_client, attr_name=attr_name, operation=operation)
    if not isinstance(envelope, Mapping):
        raise _invalid(attr_name, "the envelope is not a map").with_context(operation=operation)
    stored = {"M": {key: _python_to_av(value) for key, value in envelope.items()}}
    return run_sync(
        decrypt_av(stored, attr_name=attr_name, kms_key_arn=key_arn, operation=operation),
        clients={"kms": kms_client},
        sleep=None,
    )


def _python_to_av(value: Any) -> dict[str, Any]:
    """An envelope entry as the AV ``parse_envelope`` checks; other types become a typeless ``{}``, which
    it rejects with the message for that entry."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return {"N": str(value)}
    raw = _as_bytes(value)
    return {"B": raw} if raw is not None else {}
