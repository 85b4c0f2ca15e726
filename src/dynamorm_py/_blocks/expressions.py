"""Expression building: conditions, filters, key conditions, projections and update expressions.

Pure functions of a model and arguments that return expression strings with their
``ExpressionAttributeNames`` / ``ExpressionAttributeValues`` maps. Every attribute name goes through a
``#`` placeholder and every value through a ``:`` placeholder (wire-format.md §6); spellings follow
api.md §1.9.
"""

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
from ..query import FilterCondition, FilterExpression, FilterGroup
from ..validation import (
    validate_expression,
    validate_field_name,
    validate_operator,
    validate_placeholder_names,
    validate_placeholder_values,
    validate_value,
)
from .codec import AV, FieldCodec, ModelCodec, encode_value, is_empty, is_missing_index_key

__all__ = [
    "ExpressionParts",
    "UpdatePlan",
    "build_condition",
    "build_filter",
    "build_projection",
    "build_update",
    "check_mapping_argument",
    "check_names_argument",
    "field_suffix",
    "merge_caller_expression",
    "normalize_operator",
    "resolve_field",
]

_PLACEHOLDER_SAFE = re.compile(r"^[A-Za-z0-9_]+$")
LIFECYCLE_OWNED = ("created_at", "updated_at", "version")

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
_COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
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
        if (kind != "B" and isinstance(value, str)) or (kind != "S" and _is_bytes_like(value)):
            return encode_value(value)
        raise ValidationError(
            f"{function} on attribute {attribute!r} takes {expected}, not {type(value).__name__}",
            code=ERR_INVALID_VALUE,
        )

    return encode


def _is_bytes_like(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview)) or type(value).__name__ == "Binary"


class _Counter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f":{self.prefix}{self.n}"


def build_filter(
    codec: ModelCodec, expression: FilterExpression | None, *, security: bool, prefix: str = "f"
) -> tuple[str, ExpressionParts]:
    """Render a filter tree; ``("", parts)`` when it renders nothing."""
    parts = ExpressionParts()
    if expression is None:
        return "", parts
    counter = _Counter(prefix)

    def render(node: FilterExpression) -> str:
        if isinstance(node, FilterGroup):
            if node.op not in ("AND", "OR"):
                raise ValidationError(f"unknown group operator {node.op!r}", code=ERR_INVALID_OPERATOR)
            if not isinstance(node.filters, tuple | list):
                raise ValidationError("a filter group holds a tuple of filters", code=ERR_INVALID_OPERATOR)
            children = [text for text in (render(child) for child in node.filters) if text]
            if not children:
                return ""
            if len(children) == 1:
                return children[0]
            return "(" + f" {node.op} ".join(children) + ")"
        if isinstance(node, FilterCondition):
            if not isinstance(node.values, tuple | list):
                raise ValidationError("filter values must be a tuple", code=ERR_INVALID_OPERATOR)
            return render_term(
                codec,
                parts,
                field_name=node.field,
                op=node.op,
                values=node.values,
                name_prefix=prefix,
                next_value=counter,
                security=security,
                what="a filter",
            )
        raise ValidationError("a filter must be a FilterCondition or FilterGroup", code=ERR_INVALID_OPERATOR)

    return render(expression), parts


def build_projection(
    codec: ModelCodec, projection: Sequence[str] | None, *, security: bool
) -> tuple[str, dict[str, str]]:
    """``#p_<field>`` placeholders joined by ``", "``; every field without a default must be included."""
    if not projection:
        return "", {}
    if isinstance(projection, str | bytes) or not isinstance(projection, Iterable):
        raise ValidationError("projection must be a list of field names", code=ERR_INVALID_MODEL)
    names: dict[str, str] = {}
    placeholders: list[str] = []
    chosen: set[str] = set()
    for name in projection:
        f = resolve_field(codec, name, security=security)
        placeholder = f"#p_{field_suffix(codec, f)}"
        if placeholder not in names:
            names[placeholder] = f.attribute_name
            placeholders.append(placeholder)
            chosen.add(f.python_name)
    missing = [f.python_name for f in codec.fields if not f.has_default and f.python_name not in chosen]
    if missing:
        raise ValidationError(
            f"projection must include every field without a default (missing: {', '.join(missing)})",
            code=ERR_INVALID_MODEL,
        )
    return ", ".join(placeholders), names


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


def merge_caller_expression(
    parts: ExpressionParts,
    *,
    library_condition: str,
    condition_expression: str | None,
    expression_attribute_names: Mapping[str, str] | None,
    expression_attribute_values: Mapping[str, Any] | None,
    security: bool,
    codec: ModelCodec | None = None,
) -> str:
    """AND a caller's raw condition before the library's: ``(<caller>) AND (<library>)``.

    Caller placeholders are checked against the library's (a collision is ErrInvalidModel) and caller
    values are encoded by their Python type. They are plain Python values: with ``codec``, a value shaped
    like a low-level AttributeValue (``{"S": "x"}``) is refused unless it is compared with a map field.
    """
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


@dataclass
class UpdatePlan:
    """A rendered UpdateItem: expressions plus placeholders, some values still to encrypt."""

    update_expression: str
    condition_expression: str
    parts: ExpressionParts


def build_update(
    codec: ModelCodec,
    updates: Mapping[str, Any],
    *,
    now_text: str | None,
    expected_version: int | None,
    condition_expression: str | None = None,
    expression_attribute_names: Mapping[str, str] | None = None,
    expression_attribute_values: Mapping[str, Any] | None = None,
    security: bool = True,
    caller_fields: bool = True,
) -> UpdatePlan:
    """The update of ``Table.update`` (api.md §1.9, wire-format.md §7.3).

    ``caller_fields=False`` says the ``updates`` keys come from the model itself (``update_item`` without
    ``fields``): they are not caller-supplied references, so the field-name heuristics do not apply (§1.8).
    """
    check_mapping_argument("updates", updates)
    if not updates:
        raise ValidationError("no updates provided", code=ERR_INVALID_MODEL)
    version = version_field(codec)
    if version is None and expected_version is not None:
        raise ValidationError(
            "expected_version given, but the model has no version field", code=ERR_INVALID_MODEL
        )
    if version is not None and expected_version is None:
        raise ValidationError(
            "this model is versioned: pass expected_version (optimistic locking)",
            code=ERR_INVALID_MODEL,
            field=version.attribute_name,
        )
    parts = ExpressionParts()
    sets: list[str] = []
    removes: list[str] = []
    for name, value in updates.items():
        f = resolve_field(codec, name, security=security and caller_fields)
        if f is codec.pk or f is codec.sk:
            raise ValidationError(
                f"key field {name!r} cannot be updated", code=ERR_INVALID_MODEL, field=f.attribute_name
            )
        if f.role in LIFECYCLE_OWNED:
            raise ValidationError(
                f"lifecycle field {name!r} is managed by the library and cannot be updated",
                code=ERR_INVALID_MODEL,
                field=f.attribute_name,
            )
        suffix = field_suffix(codec, f)
        placeholder_name = f"#d_{suffix}"
        parts.names[placeholder_name] = f.attribute_name
        # None is REMOVEd, as a put leaves it out, except where a put writes NULL (json, set-typed fields).
        if (
            (value is None and not f.writes_none)
            or (f.omitempty and is_empty(value))
            or (f.sparse and is_missing_index_key(value))
        ):
            removes.append(placeholder_name)
            continue
        placeholder_value = f":d_{suffix}"
        parts.values[placeholder_value] = codec.encode_field_value(f, value)
        if f.encrypted:
            parts.encrypt[placeholder_value] = f.attribute_name
        sets.append(f"{placeholder_name} = {placeholder_value}")
    updated_at = next((f for f in codec.lifecycle if f.role == "updated_at"), None)
    if updated_at is not None and now_text is not None:
        parts.names["#lc_upd"] = updated_at.attribute_name
        parts.values[":lc_now"] = {"S": now_text}
        sets.append("#lc_upd = :lc_now")
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if removes:
        clauses.append("REMOVE " + ", ".join(removes))
    library_condition = ""
    if version is not None and expected_version is not None:
        library_condition = version_condition(codec, parts, expected_version)
        parts.values[":lc_one"] = {"N": "1"}
        clauses.append("ADD #lc_ver :lc_one")
    condition = merge_caller_expression(
        parts,
        library_condition=library_condition,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=security,
        codec=codec,
    )
    return UpdatePlan(" ".join(clauses), condition, parts)
