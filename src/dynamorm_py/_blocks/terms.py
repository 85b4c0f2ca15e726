"""Expression terms: placeholders, field and operator resolution, one rendered term and its operands."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ValidationError,
)
from ..validation import validate_field_name, validate_operator, validate_value
from .binary import binary_bytes
from .codec import AV, FieldCodec, ModelCodec, encode_value

__all__ = [
    "MAX_IN_VALUES",
    "ExpressionParts",
    "check_mapping_argument",
    "check_names_argument",
    "encode_operand",
    "field_suffix",
    "invalid_operator",
    "normalize_operator",
    "render_term",
    "resolve_field",
]

_PLACEHOLDER_SAFE = re.compile(r"^[A-Za-z0-9_]+$")
# Operator spellings (case-insensitive) -> canonical form.
_OPERATORS = {
    "=": "=",
    "EQ": "=",
    "<>": "<>",
    "!=": "<>",
    "NE": "<>",
    "<": "<",
    "LT": "<",
    "<=": "<=",
    "LE": "<=",
    ">": ">",
    "GT": ">",
    ">=": ">=",
    "GE": ">=",
    "BETWEEN": "BETWEEN",
    "IN": "IN",
    "BEGINS_WITH": "BEGINS_WITH",
    "CONTAINS": "CONTAINS",
    "EXISTS": "EXISTS",
    "ATTRIBUTE_EXISTS": "EXISTS",
    "NOT_EXISTS": "NOT_EXISTS",
    "ATTRIBUTE_NOT_EXISTS": "NOT_EXISTS",
}
MAX_IN_VALUES = 100


@dataclass
class ExpressionParts:
    """An expression being assembled: its text parts and placeholder maps."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, AV] = field(default_factory=dict)
    # Value placeholders whose AV must still be encrypted (placeholder -> attribute name).
    encrypt: dict[str, str] = field(default_factory=dict)


def field_suffix(codec: ModelCodec, f: FieldCodec) -> str:
    """The placeholder suffix of a field: its py-field name, or its 1-based position when unsafe."""
    if _PLACEHOLDER_SAFE.match(f.python_name):
        return f.python_name
    return str(codec.fields.index(f) + 1)


def resolve_field(codec: ModelCodec, name: str, *, security: bool) -> FieldCodec:
    """The field called ``name`` (a py-field name); unknown -> ErrInvalidModel."""
    if security:
        validate_field_name(name)
    f = codec.by_name.get(name)
    if f is None:
        raise ValidationError(f"unknown field {name!r}", code=ERR_INVALID_MODEL)
    return f


def normalize_operator(op: str, *, security: bool) -> str:
    if security:
        validate_operator(op)
    canonical: str | None = _OPERATORS.get(op.strip().upper()) if isinstance(op, str) else None
    if canonical is None:
        raise ValidationError(f"unknown operator {op!r}", code=ERR_INVALID_OPERATOR)
    return canonical


def _not_queryable(f: FieldCodec, what: str) -> ValidationError:
    return ValidationError(
        f"encrypted field {f.python_name!r} cannot be used in {what}",
        code=ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
        field=f.attribute_name,
    )


def _operand_count_error(op: str, expected: str) -> ValidationError:
    return ValidationError(f"operator {op} takes {expected}", code=ERR_INVALID_OPERATOR)


def invalid_operator(message: str, *, field: str | None = None) -> ValidationError:
    """An argument error about an operator or a read option (ErrInvalidOperator)."""
    return ValidationError(message, code=ERR_INVALID_OPERATOR, field=field)


def render_term(
    codec: ModelCodec,
    parts: ExpressionParts,
    *,
    field_name: str,
    op: str,
    values: Sequence[Any],
    name_prefix: str,
    next_value: Callable[[], str],
    security: bool,
    what: str,
) -> str:
    """Render one ``field op values`` term; ``next_value`` yields fresh value placeholders."""
    f = resolve_field(codec, field_name, security=security)
    if f.encrypted:
        raise _not_queryable(f, what)
    canonical = normalize_operator(op, security=security)
    name = f"#{name_prefix}_{field_suffix(codec, f)}"
    parts.names[name] = f.attribute_name

    def value_placeholder(value: Any) -> str:
        if security:
            validate_value(value)
        placeholder = next_value()
        parts.values[placeholder] = encode_operand(codec, f, canonical, value)
        return placeholder

    if canonical in ("EXISTS", "NOT_EXISTS"):
        if values:
            raise _operand_count_error(canonical, "no value")
        function = "attribute_exists" if canonical == "EXISTS" else "attribute_not_exists"
        return f"{function}({name})"
    if canonical == "BETWEEN":
        if len(values) != 2:
            raise _operand_count_error(canonical, "exactly two values")
        low, high = (value_placeholder(v) for v in values)
        return f"{name} BETWEEN {low} AND {high}"
    if canonical == "IN":
        if not 1 <= len(values) <= MAX_IN_VALUES:
            raise _operand_count_error(canonical, f"1 to {MAX_IN_VALUES} values")
        return f"{name} IN ({', '.join(value_placeholder(v) for v in values)})"
    if len(values) != 1:
        raise _operand_count_error(canonical, "exactly one value")
    placeholder = value_placeholder(values[0])
    if canonical == "BEGINS_WITH":
        return f"begins_with({name}, {placeholder})"
    if canonical == "CONTAINS":
        return f"contains({name}, {placeholder})"
    return f"{name} {canonical} {placeholder}"


def encode_operand(codec: ModelCodec, f: FieldCodec, op: str, value: Any) -> AV:
    """The operand of ``f op value``, checked against what the operator compares it with.

    Comparisons, ``BETWEEN`` and ``IN`` compare with the field's own value, so the operand is a value of the
    field's annotation. ``begins_with`` takes a prefix: a ``str`` (or bytes, on a binary field).
    ``contains`` on a set or list field takes one element (a whole set on a set field is kept as the field's
    value); on a string or binary field, a substring (or byte string); on a field of no known kind, anything.
    """
    if op == "CONTAINS" and f.definition.set and isinstance(value, (set, frozenset)):
        return codec.encode_field_value(f, value)
    if op == "CONTAINS" and f.element_encode is not None:
        return codec.encode_field_value(f, value, f.element_encode)
    if op == "BEGINS_WITH" or (op == "CONTAINS" and f.text_kind is not None):
        return codec.encode_field_value(f, value, _text_operand(op, f.text_kind, f.attribute_name))
    if op == "CONTAINS":
        return encode_value(value)  # a field of no known kind (Any, a converter's): any operand
    return codec.encode_field_value(f, value)


def _text_operand(op: str, kind: str | None, attribute: str) -> Callable[[Any], AV]:
    expected = {"S": "a str", "B": "bytes"}.get(kind or "", "a str or bytes")
    function = op.lower()

    def encode(value: Any) -> AV:
        if (kind != "B" and isinstance(value, str)) or (kind != "S" and binary_bytes(value) is not None):
            return encode_value(value)
        raise ValidationError(
            f"{function} on attribute {attribute!r} takes {expected}, not {type(value).__name__}",
            code=ERR_INVALID_VALUE,
        )

    return encode


def check_mapping_argument(argument: str, value: Any) -> None:
    """A caller's mapping argument (``None`` allowed) is a mapping: anything else would fail deep inside."""
    if value is not None and not isinstance(value, Mapping):
        raise ValidationError(
            f"{argument} must be a mapping, not {type(value).__name__}", code=ERR_INVALID_MODEL
        )


def check_names_argument(argument: str, value: Any) -> list[str]:
    """A caller's list of field names: a list, tuple or other iterable of str, never one bare str."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(f"{argument} must be a list of field names", code=ERR_INVALID_MODEL)
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise ValidationError(f"{argument} must be a list of field names", code=ERR_INVALID_MODEL)
    return names
