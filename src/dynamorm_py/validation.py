"""Security validators for caller-supplied field names, operators, values, expressions and table/index names.

These are the heuristic checks the library runs on caller input before any AWS call (``security_validation``).
Every failure raises :class:`SecurityValidationError` whose ``type`` names the rule that failed. Neither
``str(err)`` nor ``err.detail`` ever contains the rejected input, because inputs can be secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any, Final

from dynamorm_py.errors import SecurityValidationError

__all__ = [
    "MaxExpressionLength",
    "MaxFieldNameLength",
    "MaxNestedDepth",
    "MaxOperatorLength",
    "MaxValueStringLength",
    "SecurityValidationError",
    "validate_expression",
    "validate_field_name",
    "validate_index_name",
    "validate_operator",
    "validate_placeholder_names",
    "validate_placeholder_values",
    "validate_table_name",
    "validate_value",
]

MaxFieldNameLength: Final = 255
MaxOperatorLength: Final = 20
MaxValueStringLength: Final = 400_000
MaxNestedDepth: Final = 32
MaxExpressionLength: Final = 4096

_MAX_COLLECTION_ITEMS: Final = 100
_MIN_NAME_LENGTH: Final = 3
_MAX_NAME_LENGTH: Final = 255

_INVALID_FIELD: Final = "InvalidField"
_INJECTION_ATTEMPT: Final = "InjectionAttempt"
_INVALID_OPERATOR: Final = "InvalidOperator"
_INVALID_VALUE: Final = "InvalidValue"
_INVALID_EXPRESSION: Final = "InvalidExpression"
_INVALID_TABLE_NAME: Final = "InvalidTableName"
_INVALID_INDEX_NAME: Final = "InvalidIndexName"

# List A: dangerous in any name, operator or expression.
_DANGEROUS_PATTERNS: Final = (
    "'", '"', ";", "--", "/*", "*/", "<script", "</script", "eval(", "expression(", "import(", "require(",
)  # fmt: skip
# List B: SQL and script keywords that field names may contain only inside a larger identifier.
_SQL_KEYWORDS: Final = frozenset(
    {"union", "select", "insert", "update", "delete", "drop", "alter", "exec", "execute", "script",
     "javascript", "vbscript"}
)  # fmt: skip
# List C: script injection inside string values.
_VALUE_SCRIPT_PATTERNS: Final = (
    "<script", "</script", "eval(", "expression(", "import(", "require(", "javascript:", "vbscript:",
    "onload=", "onerror=", "onclick=",
)  # fmt: skip
# List D: SQL injection inside string values.
_VALUE_SQL_PATTERNS: Final = (
    "'; drop table", "'; delete from", "'; update ", "'; insert into",
    '"; drop table', '"; delete from', '"; update ', '"; insert into',
    "' or 1=1", '" or 1=1', "' or '1'='1", '" or "1"="1',
    "/**/union/**/select", "concat(0x", "char(", "load_file(", "--",
)  # fmt: skip
_UNION_SELECT_PATTERNS: Final = ("union select", "union all select", "union/**/select")
_EXPRESSION_SQL_PATTERNS: Final = (
    "union select", "insert into", "update set", "delete from", "drop table", "alter table",
    "exec ", "execute ",
)  # fmt: skip
_ALLOWED_OPERATORS: Final = frozenset(
    {"=", "!=", "<>", "<", "<=", ">", ">=", "BETWEEN", "IN", "BEGINS_WITH", "CONTAINS", "EXISTS",
     "NOT_EXISTS", "ATTRIBUTE_EXISTS", "ATTRIBUTE_NOT_EXISTS", "EQ", "NE", "LT", "LE", "GT", "GE"}
)  # fmt: skip


def _any_substring(entries: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(entry) for entry in entries))


_DANGEROUS: Final = _any_substring(_DANGEROUS_PATTERNS)
_VALUE_INJECTION: Final = _any_substring(_VALUE_SCRIPT_PATTERNS + _VALUE_SQL_PATTERNS)
_UNION_SELECT: Final = _any_substring(_UNION_SELECT_PATTERNS)
_EXPRESSION_SQL: Final = _any_substring(_EXPRESSION_SQL_PATTERNS)
_KEYWORD_ALTERNATIVES: Final = "|".join(sorted(_SQL_KEYWORDS))
_KEYWORD_BESIDE_SEPARATOR: Final = re.compile(
    rf"[; .\-](?:{_KEYWORD_ALTERNATIVES})|(?:{_KEYWORD_ALTERNATIVES})[; .\-]"
)
# List E: names that legitimately contain a list-B keyword (case-insensitive, matched in full).
_LEGITIMATE_NAME: Final = re.compile(
    r"(?:created|updated)at"
    r"|create[dr]_?(?:at|time|date)"
    r"|update[dr]_?(?:at|time|date)"
    r"|delete[dr]_?(?:at|time|date|flag)"
    r"|insert(?:ed|er)_?(?:at|time|date)"
    r"|select(?:ed|or)_?(?:at|time|date)",
    re.IGNORECASE | re.ASCII,
)
_CONTROL_CHARACTER: Final = re.compile(r"[\x00-\x1f\x7f]")
# Every pattern below is used with fullmatch: ``$`` would also accept a trailing newline.
_FIELD_PART: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*(?:\[[0-9]+\])?")
_TABLE_OR_INDEX_NAME: Final = re.compile(r"[a-zA-Z0-9_.-]+")
_NAME_PLACEHOLDER: Final = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_PLACEHOLDER: Final = re.compile(r":[A-Za-z0-9_]+")


def validate_field_name(field: str) -> None:
    """Reject a field reference that is not a plain attribute path or that looks like an injection.

    Checks run in the spec's order: length, list A, SQL keywords, control characters, path shape
    (at most ``MaxNestedDepth`` dot-separated parts, each an identifier with an optional ``[digits]`` index).
    """
    if not isinstance(field, str):
        raise SecurityValidationError(type=_INVALID_FIELD, detail="field name must be a string")
    if not field or len(field) > MaxFieldNameLength:
        raise SecurityValidationError(type=_INVALID_FIELD, detail="field name must be 1-255 characters")
    lowered = field.lower()
    if _DANGEROUS.search(lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="field name has a dangerous pattern")
    if _uses_sql_keyword(field, lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="field name uses an SQL keyword")
    if _CONTROL_CHARACTER.search(field):
        raise SecurityValidationError(type=_INVALID_FIELD, detail="field name contains a control character")
    parts = field.split(".")
    if len(parts) > MaxNestedDepth:
        raise SecurityValidationError(type=_INVALID_FIELD, detail="field path has more than 32 parts")
    if not all(_FIELD_PART.fullmatch(part) for part in parts):
        raise SecurityValidationError(type=_INVALID_FIELD, detail="field name is not a valid attribute path")


def _uses_sql_keyword(field: str, lowered: str) -> bool:
    """True when a list-B keyword is the whole name or stands beside ``;``, space, ``.`` or ``-``.

    List-E names are exempt. (As specified they can never trigger this rule, since they hold only letters and
    ``_``; the exemption is kept so the rule reads as the spec does.)
    """
    if _LEGITIMATE_NAME.fullmatch(field):
        return False
    return lowered in _SQL_KEYWORDS or _KEYWORD_BESIDE_SEPARATOR.search(lowered) is not None


def validate_operator(op: str) -> None:
    """Reject an operator that is empty, longer than ``MaxOperatorLength`` or not in the allowlist.

    The comparison is on ``op.strip().upper()``. No allowed operator contains a list-A pattern, and stripping
    removes only whitespace, so passing the allowlist also proves the spec's "no list-A entry" rule.
    """
    if not isinstance(op, str) or not op:
        raise SecurityValidationError(type=_INVALID_OPERATOR, detail="operator must be a non-empty string")
    if len(op) > MaxOperatorLength:
        raise SecurityValidationError(type=_INVALID_OPERATOR, detail="operator exceeds 20 characters")
    if op.strip().upper() not in _ALLOWED_OPERATORS:
        raise SecurityValidationError(type=_INVALID_OPERATOR, detail="operator is not allowed")


def validate_value(value: Any) -> None:
    """Reject a filter or condition value that looks like an injection or cannot be a DynamoDB value.

    ``None`` and bytes-like values pass unread. Strings are length-checked and scanned (lists C and D, block
    comments, union-selects). Sequences, sets and mappings hold at most 100 entries and are checked
    recursively; mapping keys must be valid field names. Callables and ``complex`` are rejected; anything else
    passes. Containers nested more than ``MaxNestedDepth`` levels are rejected, which also stops cycles.
    """
    _validate_nested_value(value, depth=0)


def _validate_nested_value(value: Any, *, depth: int) -> None:
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return
    if isinstance(value, str):
        _validate_string_value(value)
    elif isinstance(value, Mapping):
        _check_container(value, depth)
        _validate_mapping_value(value, depth)
    elif isinstance(value, Sequence | Set):
        _check_container(value, depth)
        for item in value:
            _validate_nested_value(item, depth=depth + 1)
    elif callable(value) or isinstance(value, complex):
        raise SecurityValidationError(type=_INVALID_VALUE, detail="callable or complex value")


def _validate_string_value(text: str) -> None:
    if len(text) > MaxValueStringLength:
        raise SecurityValidationError(type=_INVALID_VALUE, detail="string value exceeds 400000 characters")
    lowered = text.lower()
    if _VALUE_INJECTION.search(lowered) or ("/*" in lowered and "*/" in lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="string value has an injection pattern")
    if _is_union_select(text, lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="string value contains a union select")


def _is_union_select(text: str, lowered: str) -> bool:
    if _UNION_SELECT.search(lowered) is None:
        return False
    return "from" in lowered or "*" in lowered or text.endswith(("--", ";"))


def _check_container(container: Mapping[Any, Any] | Sequence[Any] | Set[Any], depth: int) -> None:
    if depth >= MaxNestedDepth:
        raise SecurityValidationError(type=_INVALID_VALUE, detail="value nests more than 32 levels deep")
    if len(container) > _MAX_COLLECTION_ITEMS:
        raise SecurityValidationError(type=_INVALID_VALUE, detail="collection has more than 100 entries")


def _validate_mapping_value(mapping: Mapping[Any, Any], depth: int) -> None:
    for key, item in mapping.items():
        try:
            validate_field_name(str(key))
        except SecurityValidationError:
            raise SecurityValidationError(
                type=_INVALID_VALUE, detail="mapping value has a key that is not a valid field name"
            ) from None
        _validate_nested_value(item, depth=depth + 1)


def validate_expression(expression: str) -> None:
    """Reject a caller-supplied expression longer than ``MaxExpressionLength`` or holding list A or SQL."""
    if not isinstance(expression, str):
        raise SecurityValidationError(type=_INVALID_EXPRESSION, detail="expression must be a string")
    if len(expression) > MaxExpressionLength:
        raise SecurityValidationError(type=_INVALID_EXPRESSION, detail="expression exceeds 4096 characters")
    lowered = expression.lower()
    if _DANGEROUS.search(lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="expression has a dangerous pattern")
    if _EXPRESSION_SQL.search(lowered):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="expression contains an SQL statement")


def validate_table_name(name: str) -> None:
    """Reject a table name that is not 3-255 characters of ``[a-zA-Z0-9_.-]`` or that contains ``--``."""
    if not isinstance(name, str) or not _is_table_or_index_name(name):
        raise SecurityValidationError(
            type=_INVALID_TABLE_NAME, detail="table name must be 3-255 characters of [a-zA-Z0-9_.-]"
        )
    if _DANGEROUS.search(name.lower()):
        raise SecurityValidationError(type=_INJECTION_ATTEMPT, detail="table name has a dangerous pattern")


def validate_index_name(name: str) -> None:
    """Accept an empty index name (no index); otherwise require 3-255 characters of ``[a-zA-Z0-9_.-]``."""
    if not isinstance(name, str) or (name and not _is_table_or_index_name(name)):
        raise SecurityValidationError(
            type=_INVALID_INDEX_NAME, detail="index name must be empty or 3-255 characters of [a-zA-Z0-9_.-]"
        )


def _is_table_or_index_name(name: str) -> bool:
    return (
        _MIN_NAME_LENGTH <= len(name) <= _MAX_NAME_LENGTH and _TABLE_OR_INDEX_NAME.fullmatch(name) is not None
    )


def validate_placeholder_names(names: Mapping[str, Any] | None) -> None:
    """Require every key of a caller's ``ExpressionAttributeNames`` to match ``#[A-Za-z0-9_]+``."""
    _validate_placeholder_keys(names, _NAME_PLACEHOLDER, "name placeholders must match #[A-Za-z0-9_]+")


def validate_placeholder_values(values: Mapping[str, Any] | None) -> None:
    """Require every key of a caller's ``ExpressionAttributeValues`` to match ``:[A-Za-z0-9_]+``."""
    _validate_placeholder_keys(values, _VALUE_PLACEHOLDER, "value placeholders must match :[A-Za-z0-9_]+")


def _validate_placeholder_keys(
    placeholders: Mapping[str, Any] | None, pattern: re.Pattern[str], detail: str
) -> None:
    if placeholders is None:
        return
    for key in placeholders:
        if not isinstance(key, str) or pattern.fullmatch(key) is None:
            raise SecurityValidationError(type=_INVALID_EXPRESSION, detail=detail)
