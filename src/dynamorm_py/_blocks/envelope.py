"""The encryption envelope (docs/wire-format.md §3): AV-JSON payload, AES-256-GCM seal and open, shape checks.

Pure functions given the key material; no error message carries plaintext, ciphertext or key material.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import ERR_INVALID_ENCRYPTED_ENVELOPE, ERR_INVALID_VALUE, UnsupportedTypeError, ValidationError
from .binary import binary_bytes

__all__ = [
    "DATA_KEY_BYTES",
    "ENVELOPE_VERSION",
    "NONCE_BYTES",
    "TAG_BYTES",
    "aad_for",
    "attribute_payload",
    "check_data_key",
    "error_prefix",
    "invalid_envelope",
    "marshal_attribute_value_json",
    "open_sealed",
    "parse_envelope",
    "parse_payload",
    "payload_bytes",
    "seal",
    "seal_payload",
    "unmarshal_attribute_value_json",
]

ENVELOPE_VERSION: Final = 1
DATA_KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16

_AAD_PREFIX: Final = "dynamorm:encrypted:v1|attr="
_ENVELOPE_KEYS: Final = frozenset({"v", "edk", "nonce", "ct"})

# AV type -> AV-JSON value key (docs/wire-format.md §3.3).
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


def error_prefix(attr_name: str | None) -> str:
    return f"encrypted attribute {attr_name!r}: " if attr_name is not None else ""


def invalid_envelope(attr_name: str | None, reason: str) -> ValidationError:
    return ValidationError(
        error_prefix(attr_name) + reason, code=ERR_INVALID_ENCRYPTED_ENVELOPE, field=attr_name
    )


def _unencodable(attr_name: str | None, reason: str) -> UnsupportedTypeError:
    return UnsupportedTypeError(error_prefix(attr_name) + reason, field=attr_name)


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


def marshal_attribute_value_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """AV -> AV-JSON object: ``t`` first, the value key always written, map keys sorted by code point."""
    return _to_av_json(av, None)


def _to_av_json(av: Any, attr_name: str | None) -> dict[str, Any]:
    if not isinstance(av, Mapping) or len(av) != 1:
        raise _unencodable(attr_name, "an attribute value must be a map with exactly one type key")
    ((tag, value),) = av.items()
    if tag in ("S", "N") and isinstance(value, str):
        return {"t": tag, _VALUE_KEYS[tag]: value}
    if tag == "B" and (raw := binary_bytes(value)) is not None:
        return {"t": "B", "b": _b64encode(raw)}
    if tag == "BOOL" and isinstance(value, bool):
        return {"t": "BOOL", "bool": value}
    if tag == "NULL" and value is True:
        return {"t": "NULL", "null": True}
    if tag in ("SS", "NS") and _is_set(value) and all(isinstance(item, str) for item in value):
        return {"t": tag, _VALUE_KEYS[tag]: list(value)}
    if tag == "BS" and _is_set(value):
        raws = [binary_bytes(item) for item in value]
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
        raise invalid_envelope(attr_name, "payload is not an AV-JSON object")
    tag = enc.get("t")
    if not isinstance(tag, str) or tag not in _VALUE_KEYS:
        raise invalid_envelope(attr_name, "payload has a missing or unknown type tag 't'")
    key = _VALUE_KEYS[tag]
    if key not in enc:
        if tag in _EMPTY_WHEN_MISSING:
            return {tag: {} if tag == "M" else []}
        raise invalid_envelope(attr_name, f"payload of type {tag} has no {key!r} value")
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
    raise invalid_envelope(attr_name, f"payload of type {tag} has a wrongly typed {key!r} value")


def payload_bytes(av: Mapping[str, Any]) -> bytes:
    """The plaintext that gets sealed: compact AV-JSON, raw UTF-8 (no ASCII or HTML escaping)."""
    return attribute_payload(av, None)


def attribute_payload(av: Mapping[str, Any], attr_name: str | None) -> bytes:
    text = json.dumps(_to_av_json(av, attr_name), ensure_ascii=False, separators=(",", ":"))
    data = _utf8_encode(text)
    if data is None:
        raise ValidationError(
            error_prefix(attr_name) + "the value contains invalid Unicode (a lone surrogate)",
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
        raise invalid_envelope(attr_name, "payload is not valid UTF-8")
    document = _json_loads(text)
    if document is _NOT_JSON:
        raise invalid_envelope(attr_name, "payload is not valid JSON")
    return _from_av_json(document, attr_name)


def aad_for(attr_name: str) -> bytes:
    """The AES-GCM associated data binding a value to its attribute: ``dynamorm:encrypted:v1|attr=<name>``."""
    return (_AAD_PREFIX + attr_name).encode("utf-8")


def check_data_key(value: Any, attr_name: str) -> bytes:
    key = binary_bytes(value)
    if key is None or len(key) != DATA_KEY_BYTES:
        raise invalid_envelope(attr_name, f"the data key must be {DATA_KEY_BYTES} bytes")
    return key


def seal(
    av: Mapping[str, Any], *, attr_name: str, data_key: bytes, edk: bytes, nonce: bytes
) -> dict[str, Any]:
    """Encrypt ``av`` into the stored envelope AV with the given key material (no I/O)."""
    return seal_payload(
        attribute_payload(av, attr_name), attr_name=attr_name, data_key=data_key, edk=edk, nonce=nonce
    )


def seal_payload(payload: bytes, *, attr_name: str, data_key: Any, edk: Any, nonce: Any) -> dict[str, Any]:
    key = check_data_key(data_key, attr_name)
    edk_bytes = binary_bytes(edk)
    if not edk_bytes:
        raise invalid_envelope(attr_name, "the encrypted data key must be non-empty bytes")
    nonce_bytes = binary_bytes(nonce)
    if nonce_bytes is None or len(nonce_bytes) != NONCE_BYTES:
        raise invalid_envelope(attr_name, f"the nonce must be {NONCE_BYTES} bytes")
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
    """``(edk, nonce, ct)`` of a stored envelope after every shape check of docs/wire-format.md §3.5."""
    entries = stored_av.get("M") if isinstance(stored_av, Mapping) and len(stored_av) == 1 else None
    if not isinstance(entries, Mapping):
        raise invalid_envelope(attr_name, "the stored value is not an encryption envelope (not a map)")
    _check_version(entries, attr_name)
    edk = _envelope_binary(entries, "edk", attr_name)
    if not edk:
        raise invalid_envelope(attr_name, "envelope entry 'edk' is empty")
    nonce = _envelope_binary(entries, "nonce", attr_name)
    if len(nonce) != NONCE_BYTES:
        raise invalid_envelope(attr_name, f"envelope entry 'nonce' is not {NONCE_BYTES} bytes")
    ct = _envelope_binary(entries, "ct", attr_name)
    if len(ct) < TAG_BYTES:
        raise invalid_envelope(attr_name, f"envelope entry 'ct' is shorter than {TAG_BYTES} bytes")
    if len(entries) != len(_ENVELOPE_KEYS):
        raise invalid_envelope(attr_name, "the envelope has entries other than v, edk, nonce and ct")
    return edk, nonce, ct


def _check_version(entries: Mapping[str, Any], attr_name: str) -> None:
    if "v" not in entries:
        raise invalid_envelope(attr_name, "envelope entry 'v' is missing")
    version = entries["v"]
    text = version.get("N") if isinstance(version, Mapping) and len(version) == 1 else None
    if not isinstance(text, str) or not _NUMBER_TEXT.fullmatch(text):
        raise invalid_envelope(attr_name, "envelope entry 'v' is not a number")
    if not _equals_version(text):
        raise invalid_envelope(attr_name, f"unsupported envelope version (expected {ENVELOPE_VERSION})")


def _equals_version(text: str) -> bool:
    try:
        return Decimal(text) == ENVELOPE_VERSION
    except ArithmeticError:  # an exponent beyond Decimal's range
        return False


def _envelope_binary(entries: Mapping[str, Any], key: str, attr_name: str) -> bytes:
    if key not in entries:
        raise invalid_envelope(attr_name, f"envelope entry {key!r} is missing")
    value = entries[key]
    raw = binary_bytes(value.get("B")) if isinstance(value, Mapping) and len(value) == 1 else None
    if raw is None:
        raise invalid_envelope(attr_name, f"envelope entry {key!r} is not binary")
    return raw


def open_sealed(*, attr_name: str, data_key: bytes, nonce: bytes, ct: bytes) -> dict[str, Any]:
    """Authenticate and decrypt ``ct`` under the attribute's AAD and return the inner AV (no I/O)."""
    key = check_data_key(data_key, attr_name)
    nonce_bytes = binary_bytes(nonce)
    ct_bytes = binary_bytes(ct)
    if nonce_bytes is None or len(nonce_bytes) != NONCE_BYTES:
        raise invalid_envelope(attr_name, f"the nonce must be {NONCE_BYTES} bytes")
    if ct_bytes is None or len(ct_bytes) < TAG_BYTES:
        raise invalid_envelope(attr_name, f"the ciphertext must be at least {TAG_BYTES} bytes")
    try:
        payload = AESGCM(key).decrypt(nonce_bytes, ct_bytes, aad_for(attr_name))
    except InvalidTag:
        payload = None
    if payload is None:
        raise invalid_envelope(
            attr_name, "authentication failed (wrong key, wrong attribute or tampered envelope)"
        )
    return parse_payload(payload, attr_name=attr_name)


# Users import these from dynamorm_py.encryption: tracebacks, reprs and pickles name that module.
marshal_attribute_value_json.__module__ = "dynamorm_py.encryption"
unmarshal_attribute_value_json.__module__ = "dynamorm_py.encryption"
