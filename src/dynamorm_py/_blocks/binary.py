"""Binary values: what counts as bytes (bytes, bytearray, memoryview, boto3 ``Binary``) and its raw bytes."""

from __future__ import annotations

from typing import Any

__all__ = ["BYTES_TYPES", "binary_bytes", "is_binary_type"]

BYTES_TYPES = (bytes, bytearray, memoryview)


def binary_bytes(value: Any) -> bytes | None:
    """``value`` as ``bytes`` when it is a binary, else ``None``.

    boto3's ``Binary`` is recognised by name and its ``value``, so that reading one never imports boto3.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    inner = getattr(value, "value", None)  # boto3.dynamodb.types.Binary
    if isinstance(inner, (bytes, bytearray)) and type(value).__name__ == "Binary":
        return bytes(inner)
    return None


def is_binary_type(kind: type) -> bool:
    """Whether values of type ``kind`` are binaries."""
    return issubclass(kind, BYTES_TYPES) or kind.__name__ == "Binary"
