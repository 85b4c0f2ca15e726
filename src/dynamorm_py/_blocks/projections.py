"""Projections: the ProjectionExpression of a read that loads only some fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import ERR_INVALID_MODEL, ValidationError
from .codec import ModelCodec
from .terms import field_suffix, resolve_field

__all__ = [
    "build_projection",
]


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
