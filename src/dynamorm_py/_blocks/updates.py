"""Update expressions: the SET/REMOVE/ADD of ``Table.update`` with its version lock and condition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ERR_INVALID_MODEL, ValidationError
from .attributes import MANAGED_ROLES
from .codec import ModelCodec, is_empty, is_missing_index_key
from .conditions import merge_caller_expression, version_condition, version_field
from .filters import FilterExpression
from .terms import ExpressionParts, check_mapping_argument, field_suffix, resolve_field

__all__ = [
    "UpdatePlan",
    "build_update",
]


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
    condition: FilterExpression | None = None,
) -> UpdatePlan:
    """The update of ``Table.update`` (docs/wire-format.md §6, §7.3).

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
        if f.role in MANAGED_ROLES:
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
    expression = merge_caller_expression(
        parts,
        library_condition=library_condition,
        condition_expression=condition_expression,
        expression_attribute_names=expression_attribute_names,
        expression_attribute_values=expression_attribute_values,
        security=security,
        codec=codec,
        condition=condition,
    )
    return UpdatePlan(" ".join(clauses), expression, parts)
