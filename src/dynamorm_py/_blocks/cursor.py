"""Pagination cursors (docs/wire-format.md §2): the standard form, signed cursors, checks against a request.

A standard cursor is ``base64url(UTF-8(payload JSON))`` with padding; the payload holds ``lastKey`` (typed
JSON, keys sorted by code point), then ``index`` and ``sort`` when present, written with Go's
``encoding/json`` escaping so that Go, TypeScript and we emit the same bytes. A signed cursor is a standard
cursor, ``.``, and an HMAC-SHA256 over the cursor bound to the physical table name.

Every failure to read or verify a cursor is a ``ValidationError`` with code ErrInvalidCursor; messages never
quote the cursor or anything decoded from it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from ..errors import ERR_INVALID_CURSOR, ERR_INVALID_VALUE, ValidationError
from .codec import av_equal
from .typed_json import av_map_to_typed_json, typed_json_map_to_av

__all__ = [
    "MIN_SIGNING_KEY_BYTES",
    "Cursor",
    "decode_cursor",
    "encode_cursor",
    "issue_cursor",
    "key_value_order",
    "normalize_signing_keys",
    "resolve_cursor",
    "sign_cursor",
    "validate_cursor_for_request",
    "validate_cursor_keys",
    "verify_cursor",
]

MIN_SIGNING_KEY_BYTES = 32

_SORT_VALUES = ("ASC", "DESC")
# Characters Go's encoding/json escapes on top of what json.dumps(ensure_ascii=False) does. They can only
# occur inside JSON strings, so replacing them in the serialized text is exact.
_GO_HTML_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_dump_sorted = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_dump_string = json.JSONEncoder(ensure_ascii=False).encode


def _reject_json_constant(name: str) -> NoReturn:
    raise ValueError("NaN and Infinity are not JSON")


_json_decoder = json.JSONDecoder(parse_constant=_reject_json_constant)
# A padded base64url text (RFC 4648 §5), nothing else.
_BASE64URL_PADDED = re.compile(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?")
# HMAC-SHA256 in base64url without padding is always 43 characters.
_MAC_TEXT = re.compile(r"[A-Za-z0-9_-]{43}")
_MAC_DOMAIN = b"dynamorm-cursor-v1|"
# A DynamoDB number as text; Decimal alone would also take "NaN", " 1" or "1_000".
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_KEY_TYPES = ("S", "N", "B")


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: ``last_key`` is a low-level AV map (B as ``bytes``) to send as ExclusiveStartKey."""

    last_key: dict[str, Any]
    index: str | None = None
    sort: str | None = None


def _invalid_cursor(reason: str) -> ValidationError:
    return ValidationError(f"invalid cursor: {reason}", code=ERR_INVALID_CURSOR)


# --- standard cursors -------------------------------------------------------------------------------------


def encode_cursor(last_key: dict[str, Any], *, index: str | None = None, sort: str | None = None) -> str:
    """Encode a LastEvaluatedKey as a standard cursor (docs/wire-format.md §2.1); empty ``last_key``: ``""``.

    ``index`` is the GSI/LSI name (``None`` or ``""`` for the table); ``sort`` is ``"ASC"``/``"DESC"`` for
    queries and ``None`` for scans. A non-dict ``last_key`` or a bad ``index``/``sort`` raises
    ``ValidationError`` (ErrInvalidCursor); a malformed AV or a string that is not valid Unicode raises
    ``ValidationError`` (ErrInvalidValue).
    """
    if not isinstance(last_key, dict):
        raise _invalid_cursor("last_key must be a dict of attribute name to AttributeValue")
    if index is not None and not isinstance(index, str):
        raise _invalid_cursor("index must be a string or None")
    if sort is not None and sort not in _SORT_VALUES:
        raise _invalid_cursor('sort must be "ASC", "DESC" or None')
    if not last_key:
        return ""
    parts = ['{"lastKey":', _dump_sorted(av_map_to_typed_json(last_key))]
    if index:
        parts += [',"index":', _dump_string(index)]
    if sort is not None:
        parts += [',"sort":"', sort, '"']
    parts.append("}")
    text = "".join(parts)
    for raw, escaped in _GO_HTML_ESCAPES:
        text = text.replace(raw, escaped)
    try:
        payload = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "cannot encode cursor: the key or index contains a string that is not valid Unicode",
            code=ERR_INVALID_VALUE,
        ) from None
    return base64.urlsafe_b64encode(payload).decode("ascii")


def decode_cursor(cursor: str) -> Cursor:
    """Decode a standard cursor (docs/wire-format.md §2.2); padded and unpadded input are both accepted.

    A signed cursor is rejected: use :func:`verify_cursor` (or :func:`resolve_cursor`) first. Any failure
    raises ``ValidationError`` (ErrInvalidCursor).
    """
    text = _stripped(cursor)
    if "." in text:
        raise _invalid_cursor("signed cursor; verify its signature first")
    return _decode_standard(text)


def _stripped(cursor: Any) -> str:
    if not isinstance(cursor, str):
        raise _invalid_cursor("a cursor must be a string")
    text = cursor.strip()
    if not text:
        raise _invalid_cursor("empty cursor")
    return text


def _decode_standard(text: str) -> Cursor:
    # The causes are dropped on purpose: decoder exceptions carry the decoded bytes (key values).
    padded = text + "=" * (-len(text) % 4)
    if _BASE64URL_PADDED.fullmatch(padded) is None:
        raise _invalid_cursor("not base64url")
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):  # unreachable after the pattern check
        raise _invalid_cursor("not base64url") from None
    try:
        payload = _json_decoder.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _invalid_cursor("payload is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise _invalid_cursor("payload must be a JSON object")
    last_key_json = payload.get("lastKey")
    if not isinstance(last_key_json, dict) or not last_key_json:
        raise _invalid_cursor("lastKey must be a non-empty object")
    last_key = typed_json_map_to_av(last_key_json, code=ERR_INVALID_CURSOR)
    index = payload.get("index")
    sort = payload.get("sort")
    return Cursor(
        last_key=last_key,
        index=index if isinstance(index, str) and index else None,
        sort=sort if isinstance(sort, str) and sort in _SORT_VALUES else None,
    )


def validate_cursor_for_request(cursor: Cursor, *, index_name: str | None, scan_forward: bool | None) -> None:
    """Check a decoded cursor against the request it continues (docs/wire-format.md §2.3).

    ``scan_forward=None`` means a scan: only the index is checked. A cursor without ``index``/``sort`` passes
    this check for any request; its keys are checked by :func:`validate_cursor_keys`. A mismatch raises
    ``ValidationError`` (ErrInvalidCursor).
    """
    if cursor.index is not None and cursor.index != index_name:
        raise _invalid_cursor("the cursor was issued for a different index")
    if scan_forward is not None and cursor.sort is not None:
        expected = "ASC" if scan_forward else "DESC"
        if cursor.sort != expected:
            raise _invalid_cursor("the cursor was issued for the other sort direction")


def key_value_order(kind: str, value: Any) -> Any:
    """A key value as something Python orders the way DynamoDB orders keys of type ``kind``.

    S compares by code point (the order of its UTF-8 bytes), B as unsigned bytes, N as a number. ``None``
    when the value does not fit ``kind`` (a number that is not a finite DynamoDB number, say).
    """
    if kind == "S":
        return value if isinstance(value, str) else None
    if kind == "B":
        return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None
    if kind == "N" and isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) is not None:
        try:
            return Decimal(value)
        except InvalidOperation:  # unreachable after the pattern check
            return None
    return None


def _key_scalar(av: Any, kind: str) -> Any:
    """The orderable value of a key AV of type ``kind`` (``kind`` must be its only member), else ``None``."""
    if not isinstance(av, dict) or len(av) != 1 or kind not in av:
        return None
    return key_value_order(kind, av[kind])


def _satisfies(op: str, value: Any, operands: Sequence[Any]) -> bool:
    if op == "BETWEEN":
        return bool(operands[0] <= value <= operands[1])
    if op == "BEGINS_WITH":
        return bool(value[: len(operands[0])] == operands[0])
    operand = operands[0]
    if op == "=":
        return bool(value == operand)
    if op == "<":
        return bool(value < operand)
    if op == "<=":
        return bool(value <= operand)
    if op == ">":
        return bool(value > operand)
    return bool(value >= operand)  # ">="


def validate_cursor_keys(
    cursor: Cursor,
    *,
    key_types: Mapping[str, str],
    partition: tuple[str, dict[str, Any]] | None = None,
    sort: tuple[str, str, Sequence[dict[str, Any]]] | None = None,
    where: str = "the table",
) -> None:
    """Check a cursor's ``lastKey`` against the keys of the request it continues, before anything is sent.

    ``key_types`` maps every attribute a LastEvaluatedKey of the request holds (a table: its keys; an index:
    the index keys and the table keys) to its type (S/N/B; any other type is only checked for presence).
    ``partition`` is the query's partition attribute and value: the cursor must hold the same value, or
    DynamoDB would silently start over in the other partition. ``sort`` is the query's sort attribute,
    operator (``=``, ``<``, ``<=``, ``>``, ``>=``, ``BETWEEN``, ``BEGINS_WITH``) and operand AVs: the cursor's
    sort key was read by that condition, so it must satisfy it. A mismatch raises ``ValidationError``
    (ErrInvalidCursor) whose message names neither the cursor nor any key value; ``where`` names the table or
    index in it.
    """
    last_key = cursor.last_key
    if last_key.keys() != key_types.keys():
        raise _invalid_cursor(f"its key attributes are not the key schema of {where}")
    for attribute, kind in key_types.items():
        if kind in _KEY_TYPES and _key_scalar(last_key[attribute], kind) is None:
            raise _invalid_cursor(f"its key attribute types are not the key schema of {where}")
    if partition is not None:
        attribute, expected = partition
        if not av_equal(last_key[attribute], expected):  # numbers by value: "1.0" is the partition 1
            raise _invalid_cursor("it was issued for another partition key value")
    if sort is not None:
        attribute, op, operand_avs = sort
        kind = key_types[attribute]
        if kind not in _KEY_TYPES:
            return
        operands = [_key_scalar(av, kind) for av in operand_avs]
        if any(operand is None for operand in operands):
            return  # the key condition itself is checked elsewhere; nothing to compare against
        if op == "BEGINS_WITH" and kind == "N":
            return
        if not _satisfies(op, _key_scalar(last_key[attribute], kind), operands):
            raise _invalid_cursor("its sort key lies outside the query's sort key condition")


# --- signed cursors ---------------------------------------------------------------------------------------


def normalize_signing_keys(keys: bytes | Sequence[bytes] | None) -> tuple[bytes, ...]:
    """Turn the ``cursor_signing_keys`` option into a tuple (first key signs, all verify); ``None`` -> ``()``.

    Each key must be bytes of at least 32 bytes, and an explicit sequence must hold at least one key
    (``ValidationError``, ErrInvalidValue).
    """
    if keys is None:
        return ()
    if isinstance(keys, bytes | bytearray):
        return (_checked_key(keys),)
    return _checked_keys(keys)


def _checked_key(key: Any) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_SIGNING_KEY_BYTES:
        raise ValidationError(
            f"a cursor signing key must be bytes of at least {MIN_SIGNING_KEY_BYTES} bytes",
            code=ERR_INVALID_VALUE,
        )
    return bytes(key)


def _checked_keys(keys: Any) -> tuple[bytes, ...]:
    if isinstance(keys, bytes | bytearray | str) or not isinstance(keys, Sequence) or not keys:
        raise ValidationError(
            "cursor signing keys must be a non-empty sequence of keys", code=ERR_INVALID_VALUE
        )
    return tuple(_checked_key(key) for key in keys)


def _is_padded_base64url(cursor: str) -> bool:
    """Whether ``cursor`` has the form of a standard cursor as issued (non-empty, padded base64url)."""
    return bool(cursor) and _BASE64URL_PADDED.fullmatch(cursor) is not None


def _mac_message(table_name: str, cursor: str) -> bytes:
    """``"dynamorm-cursor-v1|" + table_name + "|" + cursor`` as UTF-8 (``cursor`` is ASCII by now)."""
    try:
        table = table_name.encode("utf-8")
    except (AttributeError, UnicodeEncodeError):
        raise ValidationError(
            "the table name must be a valid Unicode string", code=ERR_INVALID_VALUE
        ) from None
    return _MAC_DOMAIN + table + b"|" + cursor.encode("ascii")


def _mac_text(key: bytes, message: bytes) -> bytes:
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=")


def sign_cursor(cursor: str, *, key: bytes, table_name: str) -> str:
    """Sign a standard (padded) cursor for ``table_name``: ``cursor + "." + base64url_nopad(HMAC-SHA256)``.

    ``key`` must be at least 32 bytes (``ValidationError``, ErrInvalidValue); anything but a padded standard
    cursor raises ``ValidationError`` (ErrInvalidCursor).
    """
    checked = _checked_key(key)
    if not isinstance(cursor, str) or not _is_padded_base64url(cursor):
        raise _invalid_cursor("only a standard cursor can be signed")
    return cursor + "." + _mac_text(checked, _mac_message(table_name, cursor)).decode("ascii")


def verify_cursor(signed: str, *, keys: Sequence[bytes], table_name: str) -> str:
    """Verify a signed cursor issued for ``table_name`` with any of ``keys``; return the standard cursor.

    The signature is checked before anything is decoded: the text must be a padded standard cursor, ``.`` and
    43 base64url characters, and the MAC must match. A missing, malformed or wrong signature raises
    ``ValidationError`` (ErrInvalidCursor); a key shorter than 32 bytes raises ``ValidationError``
    (ErrInvalidValue).
    """
    checked = _checked_keys(keys)
    text = _stripped(signed)
    cursor, dot, given = text.rpartition(".")
    if not dot or _MAC_TEXT.fullmatch(given) is None or not _is_padded_base64url(cursor):
        raise _invalid_cursor("missing or malformed signature")
    message = _mac_message(table_name, cursor)
    given_bytes = given.encode("ascii")
    matched = False
    for key in checked:  # every key, without stopping at the first match
        matched |= hmac.compare_digest(_mac_text(key, message), given_bytes)
    if not matched:
        raise _invalid_cursor("bad signature")
    return cursor


# --- table-level rules ------------------------------------------------------------------------------------


def resolve_cursor(
    text: str, *, table_name: str, signing_keys: Sequence[bytes], accept_unsigned: bool
) -> Cursor:
    """Read a cursor handed to a table (docs/wire-format.md §2.4): verify it if signed, then decode it.

    With signing keys, a signed cursor must verify and an unsigned one is rejected unless ``accept_unsigned``;
    without keys, a signed cursor is rejected. Failures raise ``ValidationError`` (ErrInvalidCursor).
    """
    stripped = _stripped(text)
    if "." in stripped:
        if not signing_keys:
            raise _invalid_cursor("signed cursor, but this table has no cursor signing key")
        return _decode_standard(verify_cursor(stripped, keys=signing_keys, table_name=table_name))
    if signing_keys and not accept_unsigned:
        raise _invalid_cursor("unsigned cursor, but this table requires signed cursors")
    return _decode_standard(stripped)


def issue_cursor(
    last_key: dict[str, Any] | None,
    *,
    index: str | None,
    sort: str | None,
    table_name: str,
    signing_keys: Sequence[bytes],
) -> str | None:
    """The ``next_cursor`` for a page: ``None`` when there is no LastEvaluatedKey, signed with the first
    key when signing keys are given, else a standard cursor."""
    if not last_key:
        return None
    cursor = encode_cursor(last_key, index=index, sort=sort)
    if signing_keys:
        return sign_cursor(cursor, key=signing_keys[0], table_name=table_name)
    return cursor


# Users import these from dynamorm_py.query: tracebacks, reprs and pickles name that module.
Cursor.__module__ = "dynamorm_py.query"
decode_cursor.__module__ = "dynamorm_py.query"
encode_cursor.__module__ = "dynamorm_py.query"
sign_cursor.__module__ = "dynamorm_py.query"
verify_cursor.__module__ = "dynamorm_py.query"
