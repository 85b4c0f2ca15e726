"""Field encryption: the KMS envelope (docs/wire-format.md §3), its AV-JSON payload, the data-key cache.

An encrypted attribute is stored as ``{"M": {"v": {"N": "1"}, "edk": {"B": ...}, "nonce": {"B": ...},
"ct": {"B": ...}}}``: the attribute's AV, serialized as AV-JSON (§3.3), sealed with AES-256-GCM under a KMS
data key, with ``dynamorm:encrypted:v1|attr=<attribute>`` as associated data.

The pieces live in three places: the pure envelope functions (``payload_bytes``, ``seal``, ``parse_envelope``,
``open_sealed``) in ``_blocks.envelope``, the data-key cache in ``_blocks.key_cache``, and the sans-I/O
operations ``encrypt_av`` / ``decrypt_av``, which yield the KMS calls, in ``_core.encryption``. This module
re-exports them and defines the public sync helpers ``encrypt_attribute_value`` / ``decrypt_attribute_value``
(kept from the DynamORM Python SDK), which run those operations.

No error message, ``repr`` or log line carries plaintext, ciphertext, data keys or encrypted data keys:
errors name the attribute (``field``) and the rule that failed, nothing more. This module does not log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ._blocks.binary import binary_bytes
from ._blocks.envelope import (
    ENVELOPE_VERSION,
    aad_for,
    error_prefix,
    invalid_envelope,
    marshal_attribute_value_json,
    open_sealed,
    parse_envelope,
    parse_payload,
    payload_bytes,
    seal,
    unmarshal_attribute_value_json,
)
from ._blocks.key_cache import DataKeyCache
from ._core.encryption import (
    DEFAULT_DECRYPT_OPERATION,
    DEFAULT_ENCRYPT_OPERATION,
    decrypt_av,
    encrypt_av,
    require_key_arn,
)
from ._drivers.sync import run_sync
from .errors import ERR_INVALID_VALUE, ValidationError

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


def _require_client(kms_client: Any, *, attr_name: str, operation: str) -> None:
    if kms_client is None:
        raise ValidationError(
            f"{error_prefix(attr_name)}a KMS client is required",
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
    operation = DEFAULT_ENCRYPT_OPERATION
    key_arn = require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=None)
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
    ``Binary``) and return the inner AV; every docs/wire-format.md §3.5 check applies."""
    operation = DEFAULT_DECRYPT_OPERATION
    key_arn = require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=None)
    _require_client(kms_client, attr_name=attr_name, operation=operation)
    if not isinstance(envelope, Mapping):
        raise invalid_envelope(attr_name, "the envelope is not a map").with_context(operation=operation)
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
    raw = binary_bytes(value)
    return {"B": raw} if raw is not None else {}
