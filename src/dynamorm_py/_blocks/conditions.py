"""Conditions: a put's or delete's ConditionExpression, the version lock, and a caller's condition.

A caller's condition is either typed (``condition=``, the filter trees, placeholders ``#wc_<field>`` and
``:wc<n>`` that no library placeholder shares) or raw (``condition_expression`` with its placeholder maps,
kept for compatibility). Either is ANDed before the library's own conditions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ERR_INVALID_MODEL, ERR_INVALID_OPERATOR, ERR_INVALID_VALUE, ValidationError
from ..validation import validate_expression, validate_placeholder_names, validate_placeholder_values
from .codec import FieldCodec, ModelCodec, encode_value
from .filters import FilterCondition, FilterExpression, FilterGroup, build_filter
from .terms import ExpressionParts, check_mapping_argument

__all__ = [
    "CONDITION_PREFIX",
    "build_condition",
    "merge_caller_expression",
    "render_condition",
    "version_condition",
    "version_field",
]


# Typed conditions: ``#wc_<field>`` / ``:wc<n>``, a prefix no library placeholder (``#lc_``, ``#d_``, ``#u_``,
# ``#c_``, ``#f_``, ``#p_``, ``#k``) starts with, so a caller's fields can never take one of them over.
CONDITION_PREFIX = "wc"

_RAW_ARGUMENTS = ("condition_expression", "expression_attribute_names", "expression_attribute_values")


def render_condition(
    codec: ModelCodec, parts: ExpressionParts, condition: FilterExpression, *, security: bool
) -> str:
    """Render a typed condition into ``parts``, as filters are rendered (fields resolved and validated,
    values encoded by the field's codec, encrypted fields refused); ``""`` for an empty group."""
    if not isinstance(condition, FilterCondition | FilterGroup):
        hint = "; a raw expression string goes in condition_expression" if isinstance(condition, str) else ""
        raise ValidationError(
            "condition must be a FilterCondition or FilterGroup (combine them with &, |, ~)" + hint,
            code=ERR_INVALID_OPERATOR,
            field="condition",
        )
    text, own = build_filter(codec, condition, security=security, prefix=CONDITION_PREFIX, what="a condition")
    parts.names.update(own.names)
    parts.values.update(own.values)
    return text


def _check_one_condition(raw: Mapping[str, Any]) -> None:
    """A typed condition and the raw one (or its placeholder maps) are exclusive: the maps would be unused
    by the typed expression, and two conditions on one call would hide which one the caller meant."""
    for argument in _RAW_ARGUMENTS:
        if raw[argument] is not None:
            raise ValidationError(
                f"pass either condition or {argument}, not both", code=ERR_INVALID_OPERATOR, field=argument
            )


def merge_caller_expression(
    parts: ExpressionParts,
    *,
    library_condition: str,
    condition_expression: str | None,
    expression_attribute_names: Mapping[str, str] | None,
    expression_attribute_values: Mapping[str, Any] | None,
    security: bool,
    codec: ModelCodec | None = None,
    condition: FilterExpression | None = None,
) -> str:
    """AND a caller's condition before the library's: ``(<caller>) AND (<library>)``.

    A typed ``condition`` (needs ``codec``) is rendered with its own placeholders. For a raw one, caller
    placeholders are checked against the library's (a collision is ErrInvalidModel) and caller values are
    encoded by their Python type. They are plain Python values: with ``codec``, a value shaped like a
    low-level AttributeValue (``{"S": "x"}``) is refused unless it is compared with a map field.
    """
    if condition is not None:
        if codec is None:
            raise ValidationError("a typed condition is resolved against a model", code=ERR_INVALID_MODEL)
        _check_one_condition(
            {
                "condition_expression": condition_expression,
                "expression_attribute_names": expression_attribute_names,
                "expression_attribute_values": expression_attribute_values,
            }
        )
        typed = render_condition(codec, parts, condition, security=security)
        if typed and library_condition:
            # A rendered group is already enclosed in its own parentheses; a term or a NOT is not.
            caller = typed if typed.startswith("(") else f"({typed})"
            return f"{caller} AND ({library_condition})"
        return typed or library_condition
    check_mapping_argument("expression_attribute_names", expression_attribute_names)
    check_mapping_argument("expression_attribute_values", expression_attribute_values)
    if condition_expression is not None and security:
        validate_expression(condition_expression)
    if security:
        validate_placeholder_names(expression_attribute_names)
        validate_placeholder_values(expression_attribute_values)
    for key, name in (expression_attribute_names or {}).items():
        if key in parts.names:
            raise ValidationError(
                f"placeholder {key!r} collides with a library placeholder", code=ERR_INVALID_MODEL
            )
        parts.names[key] = name
    for key, value in (expression_attribute_values or {}).items():
        if key in parts.values:
            raise ValidationError(
                f"placeholder {key!r} collides with a library placeholder", code=ERR_INVALID_MODEL
            )
        if codec is not None and _looks_like_attribute_value(value):
            _check_plain_value(codec, key, condition_expression or "", expression_attribute_names or {})
        parts.values[key] = encode_value(value)
    if condition_expression and library_condition:
        return f"({condition_expression}) AND ({library_condition})"
    return condition_expression or library_condition


_AV_KEYS = frozenset(("S", "N", "B", "SS", "NS", "BS", "BOOL", "NULL", "L", "M"))
_OPERAND = r"(#?[A-Za-z0-9_]+(?:\.#?[A-Za-z0-9_]+|\[\d+\])*)"
_COMPARATOR = r"(?:=|<>|<=|>=|<|>)"


def _looks_like_attribute_value(value: Any) -> bool:
    """A dict of exactly one key among the AttributeValue type tags, e.g. ``{"S": "x"}``."""
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in _AV_KEYS


def _compared_operand(expression: str, placeholder: str) -> str | None:
    """The operand a value placeholder is compared with in a condition (``None``: cannot tell)."""
    p = re.escape(placeholder) + r"(?![A-Za-z0-9_])"
    patterns = (
        rf"{_OPERAND}\s*{_COMPARATOR}\s*{p}",
        rf"{p}\s*{_COMPARATOR}\s*{_OPERAND}",
        rf"(?:begins_with|contains)\s*\(\s*{_OPERAND}\s*,\s*{p}\s*\)",
        rf"{_OPERAND}\s+BETWEEN\s+{p}\s+AND",
        rf"{_OPERAND}\s+BETWEEN\s+:[A-Za-z0-9_]+\s+AND\s+{p}",
        rf"{_OPERAND}\s+IN\s*\([^)]*{p}",
    )
    for pattern in patterns:
        match = re.search(pattern, expression, re.IGNORECASE)
        if match is not None and not match.group(1).startswith(":"):
            return match.group(1)
    return None


def _is_map_field(f: FieldCodec) -> bool:
    return f.stores_map


def _check_plain_value(
    codec: ModelCodec, placeholder: str, expression: str, names: Mapping[str, str]
) -> None:
    """Refuse an AttributeValue-shaped caller value unless what it is compared with may be a map."""
    operand = _compared_operand(expression, placeholder)
    f = None
    if operand is not None and "." not in operand and "[" not in operand:
        attribute = names.get(operand) if operand.startswith("#") else operand
        f = codec.by_attribute.get(attribute) if attribute is not None else None
    if f is not None:
        if _is_map_field(f):
            return
    elif any(_is_map_field(g) for g in codec.fields):
        return  # compared with something unknown, and the model has maps it might be
    raise ValidationError(
        f"expression_attribute_values[{placeholder!r}] looks like a low-level AttributeValue; values here "
        'are plain Python values (write "x", not {"S": "x"}), encoded by their type',
        code=ERR_INVALID_VALUE,
        field=f.attribute_name if f is not None else None,
    )


def build_condition(
    codec: ModelCodec,
    *,
    if_not_exists: bool = False,
    expected_version: int | None = None,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    security: bool = True,
    parts: ExpressionParts | None = None,
    condition: FilterExpression | None = None,
) -> tuple[str, ExpressionParts]:
    """The ConditionExpression of a put or delete (caller condition, if-not-exists, version)."""
    parts = parts if parts is not None else ExpressionParts()
    library: list[str] = []
    if if_not_exists:
        parts.names["#lc_pk"] = codec.pk.attribute_name
        library.append("attribute_not_exists(#lc_pk)")
    if expected_version is not None:
        library.append(version_condition(codec, parts, expected_version))
    expression = merge_caller_expression(
        parts,
        library_condition=" AND ".join(library),
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=security,
        codec=codec,
        condition=condition,
    )
    return expression, parts


def version_field(codec: ModelCodec) -> FieldCodec | None:
    return next((f for f in codec.lifecycle if f.role == "version"), None)


def version_condition(codec: ModelCodec, parts: ExpressionParts, expected_version: int) -> str:
    """``#lc_ver = :lc_expected``; the model must have a version role."""
    version = version_field(codec)
    if version is None:
        raise ValidationError(
            "expected_version given, but the model has no version field", code=ERR_INVALID_MODEL
        )
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError("expected_version must be an int", code=ERR_INVALID_MODEL)
    parts.names["#lc_ver"] = version.attribute_name
    parts.values[":lc_expected"] = {"N": str(expected_version)}
    return "#lc_ver = :lc_expected"
