"""Encryption operations: seal and open one attribute value, yielding the KMS calls they need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from .._blocks.binary import binary_bytes
from .._blocks.envelope import (
    NONCE_BYTES,
    attribute_payload,
    check_data_key,
    error_prefix,
    invalid_envelope,
    open_sealed,
    parse_envelope,
    seal_payload,
)
from .._blocks.retry_policy import RetryPolicy
from ..errors import DynamormPyError, EncryptionNotConfiguredError
from .effects import Op, aws_call
from .retries import retried_call

if TYPE_CHECKING:
    from .._blocks.key_cache import DataKeyCache

__all__ = [
    "DEFAULT_DECRYPT_OPERATION",
    "DEFAULT_ENCRYPT_OPERATION",
    "decrypt_av",
    "encrypt_av",
    "require_key_arn",
]

DEFAULT_ENCRYPT_OPERATION: Final = "encrypt_attribute_value"
DEFAULT_DECRYPT_OPERATION: Final = "decrypt_attribute_value"


def _annotate(exc: DynamormPyError, *, attr_name: str, operation: str | None, table: str | None) -> None:
    if exc.field is None:
        exc.field = attr_name
    exc.with_context(operation=operation, table=table)


def require_key_arn(
    kms_key_arn: str | None, *, attr_name: str, operation: str | None, table: str | None
) -> str:
    key_arn = kms_key_arn.strip() if isinstance(kms_key_arn, str) else ""
    if not key_arn:
        raise EncryptionNotConfiguredError(
            f"{error_prefix(attr_name)}no KMS key ARN is configured",
            operation=operation,
            table=table,
            field=attr_name,
        )
    return key_arn


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
        key_arn = require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=table)
        payload = attribute_payload(av, attr_name)
        cached = key_source._encryption_key(key_arn) if key_source is not None else None
        if cached is not None:
            data_key, edk = cached
        else:
            response = yield from _kms_call(
                "generate_data_key",
                {"KeyId": key_arn, "KeySpec": "AES_256"},
                op_name=operation or DEFAULT_ENCRYPT_OPERATION,
                table=table,
                retry_policy=retry_policy,
            )
            data_key = check_data_key(response.get("Plaintext"), attr_name)
            fresh_edk = binary_bytes(response.get("CiphertextBlob"))
            if not fresh_edk:
                raise invalid_envelope(attr_name, "KMS returned an empty encrypted data key")
            edk = fresh_edk
            if key_source is not None:
                key_source._remember_encryption_key(key_arn, data_key, edk)
        return seal_payload(
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
        key_arn = require_key_arn(kms_key_arn, attr_name=attr_name, operation=operation, table=table)
        edk, nonce, ct = parse_envelope(stored_av, attr_name=attr_name)
        data_key = key_source._decryption_key(key_arn, edk) if key_source is not None else None
        if data_key is None:
            response = yield from _kms_call(
                "decrypt",
                {"CiphertextBlob": edk, "KeyId": key_arn},
                op_name=operation or DEFAULT_DECRYPT_OPERATION,
                table=table,
                retry_policy=retry_policy,
            )
            data_key = check_data_key(response.get("Plaintext"), attr_name)
            if key_source is not None:
                key_source._remember_decryption_key(key_arn, edk, data_key)
        return open_sealed(attr_name=attr_name, data_key=data_key, nonce=nonce, ct=ct)
    except DynamormPyError as exc:
        _annotate(exc, attr_name=attr_name, operation=operation, table=table)
        raise
