"""Attribute and index declarations: a model's fields and indexes as plain data, before any compilation."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from ..errors import ModelDefinitionError, ValidationError
from .annotations import (
    LIST_ORIGINS,
    MAP_ORIGINS,
    SET_ORIGINS,
    derive_dynamodb_type,
    is_set_annotation,
    unwrap_optional,
)

__all__ = [
    "LIFECYCLE_ROLES",
    "MANAGED_ROLES",
    "META_KEY",
    "SINGLE_ROLES",
    "TABLE_PK",
    "VALID_ROLES",
    "AttributeConverter",
    "AttributeDefinition",
    "IndexDefinition",
    "IndexSpec",
    "Projection",
    "attribute_from_field",
    "dynamorm_field",
    "gsi",
    "lsi",
    "model_error",
    "NAMING_PATTERNS",
]

META_KEY = "dynamorm"
TABLE_PK = "__TABLE_PK__"
# The lifecycle roles, defined here once: the codec, the update builder and the model validation use them.
LIFECYCLE_ROLES = ("created_at", "updated_at", "version", "ttl")
# The lifecycle fields the library writes itself (a ttl is the caller's value), so no update may set them.
MANAGED_ROLES = ("created_at", "updated_at", "version")
SINGLE_ROLES = ("pk", "sk", *LIFECYCLE_ROLES)
_DYNAMODB_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
_INDEX_ROLE_PREFIXES = ("index_pk:", "index_sk:")
VALID_ROLES = (*SINGLE_ROLES, "index_pk:<index>", "index_sk:<index>")
_BOOL_OPTIONS = ("omitempty", "set_", "json", "binary", "encrypted", "ignore")
# Every key dynamorm_field writes into metadata["dynamorm"], with the value meaning "not given".
_OPTION_DEFAULTS: dict[str, Any] = {
    "name": None,
    "roles": (),
    "omitempty": False,
    "set_": False,
    "json": False,
    "binary": False,
    "encrypted": False,
    "converter": None,
    "ignore": False,
    "dynamodb_type": None,
}
# Annotations whose DynamoDB type is certain, so a dynamodb_type that disagrees with it is a mistake.
_PLAIN_ANNOTATIONS: tuple[Any, ...] = (str, bool, int, float, Decimal, bytes, bytearray, datetime)
NAMING_PATTERNS = {
    "camelCase": re.compile(r"[a-z][A-Za-z0-9]*|PK|SK"),
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"),
}


@runtime_checkable
class AttributeConverter(Protocol):
    """Per-field converter: ``to_dynamodb`` before encoding, ``from_dynamodb`` after decoding."""

    def to_dynamodb(self, value: Any) -> Any:
        """The value to store, from the field's Python value; it is then encoded like any value."""

    def from_dynamodb(self, value: Any) -> Any:
        """The field's Python value, from the decoded stored value."""


@dataclass(frozen=True)
class Projection:
    """An index projection; ``include`` fields are attribute names."""

    type: str
    fields: tuple[str, ...] = ()

    @staticmethod
    def all() -> Projection:
        """Project every attribute into the index."""
        return Projection("ALL")

    @staticmethod
    def keys_only() -> Projection:
        """Project only the table's and the index's keys."""
        return Projection("KEYS_ONLY")

    @staticmethod
    def include(*fields: str) -> Projection:
        """Project the keys plus the named attributes."""
        return Projection("INCLUDE", tuple(fields))


@dataclass(frozen=True)
class IndexSpec:
    """User-side index declaration; ``partition`` and ``sort`` are py-field names."""

    name: str
    type: str
    partition: str
    sort: str | None = None
    projection: Projection = field(default_factory=Projection.all)


@dataclass(frozen=True)
class IndexDefinition:
    """A resolved index; ``partition`` and ``sort`` are attribute names."""

    name: str
    type: str
    partition: str
    sort: str | None = None
    projection: Projection = field(default_factory=Projection.all)


def gsi(
    name: str, *, partition: str, sort: str | None = None, projection: Projection | None = None
) -> IndexSpec:
    """Declare a global secondary index (py-field names); the projection defaults to ALL."""
    return IndexSpec(name, "GSI", partition, sort, projection or Projection.all())


def lsi(name: str, *, sort: str, projection: Projection | None = None) -> IndexSpec:
    """Declare a local secondary index; its partition is the table's partition key."""
    return IndexSpec(name, "LSI", TABLE_PK, sort, projection or Projection.all())


@dataclass(frozen=True)
class AttributeDefinition:
    """One stored attribute: py-field name, attribute name and options."""

    python_name: str
    attribute_name: str
    roles: tuple[str, ...]
    omitempty: bool
    set: bool
    json: bool
    binary: bool
    encrypted: bool
    converter: AttributeConverter | None = None
    dynamodb_type: str | None = None


def dynamorm_field(
    *,
    name: str | None = None,
    roles: Sequence[str] | None = None,
    omitempty: bool = False,
    set_: bool = False,
    json: bool = False,
    binary: bool = False,
    encrypted: bool = False,
    converter: AttributeConverter | None = None,
    ignore: bool = False,
    dynamodb_type: str | None = None,
    default: Any = MISSING,
    default_factory: Any = MISSING,
) -> Any:
    """A dataclass field carrying DynamoDB options in ``metadata["dynamorm"]``."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValidationError("dynamorm_field: give default or default_factory, not both")
    if isinstance(roles, str):
        raise ModelDefinitionError(f"dynamorm_field: roles must be a list of strings (roles=[{roles!r}])")
    options = {
        "name": name,
        # Anything but a list or tuple is kept as given, for from_dataclass to reject with the model's name.
        "roles": tuple(roles) if isinstance(roles, (list, tuple)) else (roles or ()),
        "omitempty": omitempty,
        "set_": set_,
        "json": json,
        "binary": binary,
        "encrypted": encrypted,
        "converter": converter,
        "ignore": ignore,
        "dynamodb_type": dynamodb_type,
    }
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata={META_KEY: options})
    return field(default=default, metadata={META_KEY: options})


def _unknown(what: str, value: str, valid: Sequence[str]) -> str:
    folded = [v for v in valid if v.lower() == value.lower()]
    close = folded or difflib.get_close_matches(value, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {value!r} (valid: {', '.join(valid)}){hint}"


def _role_problem(roles: Any) -> str | None:
    if isinstance(roles, str) or not isinstance(roles, (list, tuple)):
        return "roles must be a list of strings"
    seen: set[str] = set()
    index_roles: dict[str, str] = {}
    for role in roles:
        if not isinstance(role, str) or not role:
            return "every role must be a non-empty string (found an empty role or a non-string)"
        if role in seen:
            return f"role {role!r} is given twice"
        seen.add(role)
        if role.startswith(_INDEX_ROLE_PREFIXES):
            kind, index_name = role.split(":", 1)
            if not index_name:
                return f"role {role!r} names no index"
            if index_name in index_roles:
                return f"index_pk and index_sk of index {index_name!r} cannot be the same field"
            index_roles[index_name] = kind
        elif role not in SINGLE_ROLES:
            return _unknown("role", role, VALID_ROLES)
    if "pk" in seen and "sk" in seen:
        return "a field cannot be both the partition key and the sort key"
    lifecycle = [r for r in roles if r in LIFECYCLE_ROLES]
    if len(lifecycle) > 1:
        return f"a field cannot have two lifecycle roles ({', '.join(lifecycle)})"
    return None


def _option_problem(options: Mapping[str, Any]) -> str | None:
    """What is wrong with a field's ``metadata["dynamorm"]`` options on their own, or ``None``."""
    unknown = [key for key in options if key not in _OPTION_DEFAULTS]
    if unknown:
        return _unknown("option", str(unknown[0]), tuple(_OPTION_DEFAULTS))
    for key in _BOOL_OPTIONS:
        if type(options.get(key, False)) is not bool:
            return f"{key} must be True or False"
    name = options.get("name")
    if name is not None and not isinstance(name, str):
        return "name must be a string"
    problem = _role_problem(options.get("roles", ()))
    if problem is not None:
        return problem
    converter = options.get("converter")
    if converter is not None:
        if isinstance(converter, type):
            return f"converter must be an instance, not the class {converter.__name__}"
        if not isinstance(converter, AttributeConverter):
            return "converter lacks to_dynamodb/from_dynamodb"
    dynamodb_type = options.get("dynamodb_type")
    if dynamodb_type is not None and (
        not isinstance(dynamodb_type, str) or dynamodb_type not in _DYNAMODB_TYPES
    ):
        return _unknown("dynamodb_type", str(dynamodb_type), _DYNAMODB_TYPES)
    if options.get("ignore"):
        given = [k for k, v in options.items() if k != "ignore" and v != _OPTION_DEFAULTS[k]]
        if given:
            return f"an ignored field takes no other options ({', '.join(given)} would have no effect)"
    if options.get("json") and options.get("binary"):
        return "cannot be both json and binary"
    if options.get("set_") and (options.get("json") or options.get("binary")):
        return "set_ cannot be combined with json or binary"
    return None


def _camel_case(python_name: str) -> str:
    parts = python_name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def model_error(model_type: type, message: str, attribute: str | None = None) -> ModelDefinitionError:
    return ModelDefinitionError(f"{model_type.__name__}: {message}", field=attribute)


def _annotation_problem(options: Mapping[str, Any], annotation: Any, is_set: bool) -> str | None:
    """What is wrong with the options given this field's annotation (options the codec would ignore)."""
    if options.get("converter") is not None:
        # A converter decides the stored value; the annotation says nothing about it.
        return None
    inner, _ = unwrap_optional(annotation)
    origin = typing.get_origin(inner)
    if options.get("json") and is_set:
        return "a set-typed field cannot be json"
    if options.get("binary") and inner not in (bytes, bytearray):
        return "binary=True needs a bytes annotation or a converter (the value would not be stored as B)"
    collections = (*SET_ORIGINS, *LIST_ORIGINS)
    if options.get("set_") and inner is not Any and origin not in collections and inner not in collections:
        return "set_=True needs a set, list or tuple annotation (or a converter)"
    dynamodb_type = options.get("dynamodb_type")
    plain = (
        inner in _PLAIN_ANNOTATIONS
        or inner in (*SET_ORIGINS, *LIST_ORIGINS, *MAP_ORIGINS)
        or origin in (*SET_ORIGINS, *LIST_ORIGINS, *MAP_ORIGINS)
    )
    if dynamodb_type is not None and plain:
        try:
            derived = derive_dynamodb_type(
                annotation, set_=is_set, json=bool(options.get("json")), binary=bool(options.get("binary"))
            )
        except ValueError:
            return None  # a set of unstated elements: dynamodb_type is what names its type
        if derived != dynamodb_type:
            return (
                f"dynamodb_type {dynamodb_type!r} disagrees with the annotation, stored as {derived} "
                "(dynamodb_type declares the type of converter-typed fields)"
            )
    return None


def attribute_from_field(
    model_type: type, dc_field: Field[Any], annotation: Any, naming: str | None
) -> AttributeDefinition | None:
    raw = dc_field.metadata.get(META_KEY, {})
    if not isinstance(raw, Mapping):
        raise model_error(
            model_type, f"field {dc_field.name!r}: metadata[{META_KEY!r}] must be a mapping of options"
        )
    options = dict(raw)
    problem = _option_problem(options)
    if problem is not None:
        raise model_error(model_type, f"field {dc_field.name!r}: {problem}")
    if options.get("ignore"):
        return None
    explicit = options.get("name")
    if explicit is not None:
        attribute_name = explicit
    elif naming == "camelCase":
        attribute_name = _camel_case(dc_field.name)
    else:
        attribute_name = dc_field.name
    try:
        size = len(attribute_name.encode("utf-8"))
    except UnicodeEncodeError:
        raise model_error(model_type, f"attribute name of {dc_field.name!r} is not valid Unicode") from None
    if not 1 <= size <= 255:
        raise model_error(
            model_type, f"attribute name of {dc_field.name!r} must be 1-255 bytes", attribute_name
        )
    if naming is not None and not NAMING_PATTERNS[naming].fullmatch(attribute_name):
        raise model_error(
            model_type,
            f"attribute {attribute_name!r} does not follow the {naming} convention",
            attribute_name,
        )
    dynamodb_type = options.get("dynamodb_type")
    is_set = bool(options.get("set_")) or is_set_annotation(annotation) or dynamodb_type in ("SS", "NS", "BS")
    problem = _annotation_problem(options, annotation, is_set)
    if problem is not None:
        raise model_error(model_type, f"field {dc_field.name!r}: {problem}", attribute_name)
    return AttributeDefinition(
        python_name=dc_field.name,
        attribute_name=attribute_name,
        roles=tuple(options.get("roles", ())),
        omitempty=bool(options.get("omitempty")),
        set=is_set,
        json=bool(options.get("json")),
        binary=bool(options.get("binary")),
        encrypted=bool(options.get("encrypted")),
        converter=options.get("converter"),
        dynamodb_type=dynamodb_type,
    )


# Users import these from dynamorm_py.model: tracebacks, reprs and pickles name that module.
AttributeConverter.__module__ = "dynamorm_py.model"
AttributeDefinition.__module__ = "dynamorm_py.model"
IndexDefinition.__module__ = "dynamorm_py.model"
IndexSpec.__module__ = "dynamorm_py.model"
Projection.__module__ = "dynamorm_py.model"
dynamorm_field.__module__ = "dynamorm_py.model"
gsi.__module__ = "dynamorm_py.model"
lsi.__module__ = "dynamorm_py.model"
