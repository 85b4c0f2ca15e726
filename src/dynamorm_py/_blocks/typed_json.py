"""Typed AttributeValue JSON (docs/wire-format.md §1): strict AV <-> typed JSON, CLI rendering of requests.

An AV inside the library is a botocore low-level dict with binaries as ``bytes``. Its typed-JSON form is the
same dict with B/BS written as standard base64 (padded) and NULL always ``true``, so it can go through
``json.dumps``. Cursors, Lambda stream records and ``PreparedRequest.to_cli_json`` use it.

Nesting: an L or M may sit inside at most 31 other L/M values (``MAX_DEPTH`` = 32 container levels, DynamoDB's
limit); deeper input is rejected rather than recursed into, so hostile input cannot exhaust the stack.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ERR_INVALID_VALUE, ValidationError
from .binary import binary_bytes

__all__ = [
    "MAX_DEPTH",
    "av_map_to_typed_json",
    "av_to_typed_json",
    "params_to_cli_json",
    "typed_json_map_to_av",
    "typed_json_to_av",
]

MAX_DEPTH = 32

# Standard alphabet, padding required whenever the length needs it, nothing else (no whitespace).
_STD_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Request members holding a map attribute name (or placeholder) -> AV, and the one holding a list of them.
_AV_MAP_MEMBERS = frozenset({"Item", "Key", "ExclusiveStartKey", "ExpressionAttributeValues"})
_AV_MAP_LIST_MEMBER = "Keys"
# Maps keyed by table name: the keys are user data and must never be read as member names.
_TABLE_MAP_MEMBER = "RequestItems"


class _Rejected(Exception):
    """Internal: why a typed-JSON value was rejected (a fixed text that never quotes the value)."""


# --- AV -> typed JSON -------------------------------------------------------------------------------------


def av_to_typed_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one AV to typed JSON: B/BS as padded standard base64, NULL as ``true``, the rest as is.

    Binaries may be ``bytes``, ``bytearray``, ``memoryview`` or boto3 ``Binary``. A malformed AV raises
    ``ValidationError`` (ErrInvalidValue).
    """
    return _encode(av, 0)


def av_map_to_typed_json(item: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a map attribute name -> AV (an item, a key) to attribute name -> typed JSON."""
    if not isinstance(item, Mapping):
        raise _invalid_av("an item must be a map of attribute name to AttributeValue")
    out: dict[str, Any] = {}
    for name, av in item.items():
        if not isinstance(name, str):
            raise _invalid_av("attribute names must be strings")
        out[name] = _encode(av, 0)
    return out


def _invalid_av(reason: str) -> ValidationError:
    return ValidationError(f"invalid AttributeValue: {reason}", code=ERR_INVALID_VALUE)


def _encode(av: Any, depth: int) -> dict[str, Any]:
    if not isinstance(av, Mapping) or len(av) != 1:
        raise _invalid_av("expected a dict with exactly one type key")
    ((type_key, value),) = av.items()
    encoder = _ENCODERS.get(type_key)
    if encoder is None:
        raise _invalid_av("unknown type key")
    return {type_key: encoder(value, depth)}


def _binary_to_base64(value: Any) -> str:
    raw = binary_bytes(value)
    if raw is not None:
        return base64.b64encode(raw).decode("ascii")
    raise _invalid_av("a B value must be bytes")


def _encode_string(value: Any, depth: int) -> str:
    if not isinstance(value, str):
        raise _invalid_av("an S or N value must be a string")
    return value


def _encode_binary(value: Any, depth: int) -> str:
    return _binary_to_base64(value)


def _encode_bool(value: Any, depth: int) -> bool:
    if not isinstance(value, bool):
        raise _invalid_av("a BOOL value must be a bool")
    return value


def _encode_null(value: Any, depth: int) -> bool:
    return True


def _encode_string_set(value: Any, depth: int) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _invalid_av("an SS or NS value must be a list of strings")
    return list(value)


def _encode_binary_set(value: Any, depth: int) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _invalid_av("a BS value must be a list of bytes")
    return [_binary_to_base64(v) for v in value]


def _encode_list(value: Any, depth: int) -> list[Any]:
    if depth >= MAX_DEPTH:
        raise _invalid_av("nested deeper than 32 levels")
    if not isinstance(value, list | tuple):
        raise _invalid_av("an L value must be a list")
    return [_encode(v, depth + 1) for v in value]


def _encode_map(value: Any, depth: int) -> dict[str, Any]:
    if depth >= MAX_DEPTH:
        raise _invalid_av("nested deeper than 32 levels")
    if not isinstance(value, Mapping):
        raise _invalid_av("an M value must be a dict")
    out: dict[str, Any] = {}
    for name, av in value.items():
        if not isinstance(name, str):
            raise _invalid_av("map keys must be strings")
        out[name] = _encode(av, depth + 1)
    return out


_ENCODERS: dict[Any, Callable[[Any, int], Any]] = {
    "S": _encode_string,
    "N": _encode_string,
    "B": _encode_binary,
    "BOOL": _encode_bool,
    "NULL": _encode_null,
    "SS": _encode_string_set,
    "NS": _encode_string_set,
    "BS": _encode_binary_set,
    "L": _encode_list,
    "M": _encode_map,
}


# --- typed JSON -> AV -------------------------------------------------------------------------------------


def typed_json_to_av(
    obj: Any,
    *,
    raw_binary: bool = False,
    code: str = ERR_INVALID_VALUE,
    operation: str | None = None,
) -> dict[str, Any]:
    """Decode one typed-JSON value strictly into an AV (B/BS as ``bytes``, NULL as ``True``).

    Rejects a non-object, zero or several keys, an unknown type key, a wrongly typed inner value, strings that
    are not valid Unicode (lone surrogates), non-strict base64 and nesting deeper than ``MAX_DEPTH``. NULL
    accepts any value. ``raw_binary`` also accepts ``bytes``/``bytearray`` for B/BS (``dynamodbstreams``
    records). Failures raise ``ValidationError(code=code, operation=operation)``; the message never quotes
    the input.
    """
    try:
        return _decode(obj, 0, raw_binary)
    except _Rejected as exc:
        raise ValidationError(f"invalid typed JSON: {exc}", code=code, operation=operation) from None


def typed_json_map_to_av(
    obj: Any,
    *,
    raw_binary: bool = False,
    code: str = ERR_INVALID_VALUE,
    operation: str | None = None,
) -> dict[str, Any]:
    """Decode an object attribute name -> typed JSON (a key, an image) into attribute name -> AV.

    Same rules and errors as :func:`typed_json_to_av`; the object itself must be a JSON object.
    """
    try:
        if not isinstance(obj, Mapping):
            raise _Rejected("expected an object of attribute name to typed value")
        out: dict[str, Any] = {}
        for name, value in obj.items():
            out[_checked_text(name, "attribute names must be valid Unicode strings")] = _decode(
                value, 0, raw_binary
            )
        return out
    except _Rejected as exc:
        raise ValidationError(f"invalid typed JSON: {exc}", code=code, operation=operation) from None


def _checked_text(value: Any, reason: str) -> str:
    if not isinstance(value, str) or (not value.isascii() and _LONE_SURROGATE.search(value) is not None):
        raise _Rejected(reason)
    return value


def _strict_base64(value: Any, raw_binary: bool) -> bytes:
    if raw_binary and isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str) or _STD_BASE64.fullmatch(value) is None:
        raise _Rejected("B and BS values must be standard base64 with padding")
    try:
        return binascii.a2b_base64(value)
    except binascii.Error:  # unreachable after the pattern check; kept so nothing but _Rejected escapes
        raise _Rejected("B and BS values must be standard base64 with padding") from None


def _decode(obj: Any, depth: int, raw_binary: bool) -> dict[str, Any]:
    if not isinstance(obj, Mapping) or len(obj) != 1:
        raise _Rejected("expected an object with exactly one type key")
    ((type_key, value),) = obj.items()
    decoder = _DECODERS.get(type_key)
    if decoder is None:
        raise _Rejected("unknown type key")
    return {type_key: decoder(value, depth, raw_binary)}


def _decode_s(value: Any, depth: int, raw_binary: bool) -> str:
    return _checked_text(value, "an S value must be a valid Unicode string")


def _decode_n(value: Any, depth: int, raw_binary: bool) -> str:
    return _checked_text(value, "an N value must be a string")


def _decode_b(value: Any, depth: int, raw_binary: bool) -> bytes:
    return _strict_base64(value, raw_binary)


def _decode_bool(value: Any, depth: int, raw_binary: bool) -> bool:
    if not isinstance(value, bool):
        raise _Rejected("a BOOL value must be true or false")
    return value


def _decode_null(value: Any, depth: int, raw_binary: bool) -> bool:
    return True


def _decode_ss(value: Any, depth: int, raw_binary: bool) -> list[str]:
    if not isinstance(value, list):
        raise _Rejected("an SS value must be an array of strings")
    return [_checked_text(v, "an SS value must be an array of valid Unicode strings") for v in value]


def _decode_ns(value: Any, depth: int, raw_binary: bool) -> list[str]:
    if not isinstance(value, list):
        raise _Rejected("an NS value must be an array of strings")
    return [_checked_text(v, "an NS value must be an array of strings") for v in value]


def _decode_bs(value: Any, depth: int, raw_binary: bool) -> list[bytes]:
    if not isinstance(value, list):
        raise _Rejected("a BS value must be an array of base64 strings")
    return [_strict_base64(v, raw_binary) for v in value]


def _decode_l(value: Any, depth: int, raw_binary: bool) -> list[dict[str, Any]]:
    if depth >= MAX_DEPTH:
        raise _Rejected("nested deeper than 32 levels")
    if not isinstance(value, list):
        raise _Rejected("an L value must be an array")
    return [_decode(v, depth + 1, raw_binary) for v in value]


def _decode_m(value: Any, depth: int, raw_binary: bool) -> dict[str, Any]:
    if depth >= MAX_DEPTH:
        raise _Rejected("nested deeper than 32 levels")
    if not isinstance(value, Mapping):
        raise _Rejected("an M value must be an object")
    out: dict[str, Any] = {}
    for name, v in value.items():
        out[_checked_text(name, "map keys must be valid Unicode strings")] = _decode(v, depth + 1, raw_binary)
    return out


_DECODERS: dict[Any, Callable[[Any, int, bool], Any]] = {
    "S": _decode_s,
    "N": _decode_n,
    "B": _decode_b,
    "BOOL": _decode_bool,
    "NULL": _decode_null,
    "SS": _decode_ss,
    "NS": _decode_ns,
    "BS": _decode_bs,
    "L": _decode_l,
    "M": _decode_m,
}


# --- requests for the AWS CLI -----------------------------------------------------------------------------


def params_to_cli_json(params: dict[str, Any]) -> dict[str, Any]:
    """Render a botocore request dict for the AWS CLI: every AV it contains becomes typed JSON.

    AVs are found under ``Item``, ``Key``, ``ExclusiveStartKey``, ``ExpressionAttributeValues`` and ``Keys``,
    at the top level and inside ``RequestItems`` / ``TransactItems`` entries. Everything else is copied as
    is (containers copied, so the result shares nothing mutable with ``params``).
    """
    return _render_request(params)


def _render_request(request: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for member, value in request.items():
        if member in _AV_MAP_MEMBERS and isinstance(value, Mapping):
            out[member] = av_map_to_typed_json(value)
        elif member == _AV_MAP_LIST_MEMBER and isinstance(value, list | tuple):
            out[member] = [av_map_to_typed_json(k) if isinstance(k, Mapping) else k for k in value]
        elif member == _TABLE_MAP_MEMBER and isinstance(value, Mapping):
            out[member] = {table: _render_value(requests) for table, requests in value.items()}
        else:
            out[member] = _render_value(value)
    return out


def _render_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _render_request(value)
    if isinstance(value, list | tuple):
        return [_render_value(v) for v in value]
    return value
