"""Model definitions: dataclass fields with DynamoDB options, indexes, and the compiled model.

``ModelDefinition.from_dataclass`` reads a dataclass once: it resolves annotations, validates keys, roles,
indexes and attribute names, and compiles the model's codec. Nothing is rediscovered per call.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ._blocks.annotations import (
    LIST_ORIGINS,
    MAP_ORIGINS,
    SET_ORIGINS,
    derive_dynamodb_type,
    is_set_annotation,
    unwrap_optional,
)
from ._blocks.codec import FieldCodec, ModelCodec
from .errors import ModelDefinitionError, ValidationError

__all__ = [
    "AttributeConverter",
    "AttributeDefinition",
    "IndexDefinition",
    "IndexSpec",
    "ModelDefinition",
    "ModelDefinitionError",
    "Projection",
    "dynamorm_field",
    "gsi",
    "lsi",
]

T = TypeVar("T")

META_KEY = "dynamorm"
TABLE_PK = "__TABLE_PK__"
LIFECYCLE_ROLES = ("created_at", "updated_at", "version", "ttl")
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
# Used with fullmatch: "$" would also accept a trailing newline.
_INDEX_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_NAMING_PATTERNS = {
    "camelCase": re.compile(r"[a-z][A-Za-z0-9]*|PK|SK"),
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"),
}


@runtime_checkable
class AttributeConverter(Protocol):
    """Per-field converter: ``to_dynamodb`` before encoding, ``from_dynamodb`` after decoding."""

    def to_dynamodb(self, value: Any) -> Any: ...

    def from_dynamodb(self, value: Any) -> Any: ...


@dataclass(frozen=True)
class Projection:
    """An index projection; ``include`` fields are attribute names."""

    type: str
    fields: tuple[str, ...] = ()

    @staticmethod
    def all() -> Projection:
        return Projection("ALL")

    @staticmethod
    def keys_only() -> Projection:
        return Projection("KEYS_ONLY")

    @staticmethod
    def include(*fields: str) -> Projection:
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


@dataclass(frozen=True)
class ModelDefinition(Generic[T]):
    """A compiled model: keys, attributes in field order, indexes, and the codec."""

    model_type: type[T]
    table_name: str | None
    pk: AttributeDefinition
    sk: AttributeDefinition | None
    attributes: Mapping[str, AttributeDefinition]
    indexes: tuple[IndexDefinition, ...]
    naming: str | None = None
    name: str | None = None
    codec: ModelCodec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name is None:
            object.__setattr__(self, "name", self.model_type.__name__)
        object.__setattr__(self, "codec", _compile_codec(self))

    @classmethod
    def from_dataclass(
        cls,
        model_type: type[T],
        *,
        table_name: str | None = None,
        indexes: Sequence[IndexSpec] = (),
        naming: str | None = None,
    ) -> ModelDefinition[T]:
        """Read and validate a dataclass model (see api.md §1.2 for every rule)."""
        return _build_model(cls, model_type, table_name=table_name, indexes=indexes, naming=naming)

    @classmethod
    def from_dms(
        cls,
        doc: Mapping[str, Any] | str,
        name: str,
        *,
        table_name: str | None = None,
        enforce_naming: bool = True,
    ) -> ModelDefinition[Any]:
        """A generated dataclass and its model for the DMS model ``name`` (a ``str`` is parsed first)."""
        from .dms import model_from_dms

        return model_from_dms(doc, name, table_name=table_name, enforce_naming=enforce_naming)

    def to_dms(self) -> dict[str, Any]:
        """This model as one DMS model mapping (see ``dump_dms_document`` for a whole document)."""
        from .dms import model_to_dms

        return model_to_dms(self)

    # lifecycle roles -------------------------------------------------------------------------------

    def _role(self, role: str) -> AttributeDefinition | None:
        for attribute in self.attributes.values():
            if role in attribute.roles:
                return attribute
        return None

    @property
    def created_at(self) -> AttributeDefinition | None:
        return self._role("created_at")

    @property
    def updated_at(self) -> AttributeDefinition | None:
        return self._role("updated_at")

    @property
    def version(self) -> AttributeDefinition | None:
        return self._role("version")

    @property
    def ttl(self) -> AttributeDefinition | None:
        return self._role("ttl")

    def index(self, name: str) -> IndexDefinition | None:
        """The index called ``name``, or ``None``."""
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    def attribute_type(self, attribute_name: str) -> str:
        """The DynamoDB type of an attribute (used for key schemas)."""
        for attribute in self.attributes.values():
            if attribute.attribute_name == attribute_name:
                return _derived_type(self.model_type, attribute)
        raise ModelDefinitionError(f"unknown attribute {attribute_name!r}", field=attribute_name)


def _hints(model_type: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(model_type)
    except Exception as exc:
        raise ModelDefinitionError(
            f"{model_type.__name__}: cannot resolve annotations ({type(exc).__name__}: {exc})"
        ) from exc


def _derived_type(model_type: type, attribute: AttributeDefinition) -> str:
    annotation = _hints(model_type).get(attribute.python_name, Any)
    try:
        return derive_dynamodb_type(
            annotation,
            set_=attribute.set,
            json=attribute.json,
            binary=attribute.binary,
            dynamodb_type=attribute.dynamodb_type,
        )
    except ValueError as exc:
        raise ModelDefinitionError(
            f"{attribute.python_name}: {exc}", field=attribute.attribute_name
        ) from None


def _compile_codec(model: ModelDefinition[Any]) -> ModelCodec:
    hints = _hints(model.model_type)
    dataclass_fields = {f.name: f for f in dataclasses.fields(model.model_type)}
    index_keys = {name for index in model.indexes for name in (index.partition, index.sort) if name}
    codecs = []
    for attribute in model.attributes.values():
        dc_field = dataclass_fields[attribute.python_name]
        has_default = dc_field.default is not MISSING or dc_field.default_factory is not MISSING
        codecs.append(
            FieldCodec(
                attribute,
                hints.get(attribute.python_name, Any),
                has_default=has_default,
                init=dc_field.init,
                index_key=attribute.attribute_name in index_keys,
            )
        )
    return ModelCodec(
        model.model_type,
        codecs,
        pk=model.pk.python_name,
        sk=model.sk.python_name if model.sk else None,
    )


def _fail(model_type: type, message: str, attribute: str | None = None) -> ModelDefinitionError:
    return ModelDefinitionError(f"{model_type.__name__}: {message}", field=attribute)


_LIFECYCLE_ANNOTATIONS: dict[str, tuple[type, ...]] = {
    "created_at": (datetime, str),
    "updated_at": (datetime, str),
    "version": (int,),
    "ttl": (int, datetime),
}


def _check_roles(model_type: type, attribute: AttributeDefinition, annotation: Any) -> None:
    lifecycle = [r for r in attribute.roles if r in LIFECYCLE_ROLES]
    if not lifecycle:
        return
    role = lifecycle[0]
    if "pk" in attribute.roles or "sk" in attribute.roles:
        raise _fail(
            model_type, f"lifecycle field {attribute.python_name!r} cannot be a key", attribute.attribute_name
        )
    if attribute.encrypted:
        raise _fail(
            model_type,
            f"lifecycle field {attribute.python_name!r} cannot be encrypted",
            attribute.attribute_name,
        )
    inner, _ = unwrap_optional(annotation)
    allowed = _LIFECYCLE_ANNOTATIONS[role]
    if inner not in allowed or inner is bool:
        names = " or ".join(t.__name__ for t in allowed)
        raise _fail(
            model_type,
            f"{role} field {attribute.python_name!r} must be annotated {names}",
            attribute.attribute_name,
        )


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


def _attribute_from_field(
    model_type: type, dc_field: dataclasses.Field[Any], annotation: Any, naming: str | None
) -> AttributeDefinition | None:
    raw = dc_field.metadata.get(META_KEY, {})
    if not isinstance(raw, Mapping):
        raise _fail(
            model_type, f"field {dc_field.name!r}: metadata[{META_KEY!r}] must be a mapping of options"
        )
    options = dict(raw)
    problem = _option_problem(options)
    if problem is not None:
        raise _fail(model_type, f"field {dc_field.name!r}: {problem}")
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
        raise _fail(model_type, f"attribute name of {dc_field.name!r} is not valid Unicode") from None
    if not 1 <= size <= 255:
        raise _fail(model_type, f"attribute name of {dc_field.name!r} must be 1-255 bytes", attribute_name)
    if naming is not None and not _NAMING_PATTERNS[naming].fullmatch(attribute_name):
        raise _fail(
            model_type,
            f"attribute {attribute_name!r} does not follow the {naming} convention",
            attribute_name,
        )
    dynamodb_type = options.get("dynamodb_type")
    is_set = bool(options.get("set_")) or is_set_annotation(annotation) or dynamodb_type in ("SS", "NS", "BS")
    problem = _annotation_problem(options, annotation, is_set)
    if problem is not None:
        raise _fail(model_type, f"field {dc_field.name!r}: {problem}", attribute_name)
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


def _single_role(
    model_type: type, attributes: Sequence[AttributeDefinition], role: str
) -> AttributeDefinition | None:
    found = [a for a in attributes if role in a.roles]
    if len(found) > 1:
        names = ", ".join(a.python_name for a in found)
        raise _fail(model_type, f"more than one field has role {role!r} ({names})")
    return found[0] if found else None


def _check_key_type(model: type, attribute: AttributeDefinition, what: str) -> None:
    if attribute.encrypted:
        raise _fail(model, f"{what} {attribute.python_name!r} cannot be encrypted", attribute.attribute_name)
    if any(r in LIFECYCLE_ROLES for r in attribute.roles) and what != "index key":
        raise _fail(
            model, f"{what} {attribute.python_name!r} cannot carry a lifecycle role", attribute.attribute_name
        )
    kind = _derived_type(model, attribute)
    if kind not in ("S", "N", "B"):
        raise _fail(
            model,
            f"{what} {attribute.python_name!r} must be a string, number or binary (is {kind})",
            attribute.attribute_name,
        )


def _resolve_indexes(
    model_type: type,
    specs: Sequence[IndexSpec],
    attributes: Mapping[str, AttributeDefinition],
    pk: AttributeDefinition,
    sk: AttributeDefinition | None,
) -> tuple[IndexDefinition, ...]:
    all_specs = list(specs)
    for spec in all_specs:
        if not isinstance(spec, IndexSpec):
            raise _fail(model_type, "indexes must be IndexSpec values (use gsi() or lsi())")
        if not isinstance(spec.name, str) or not _INDEX_NAME_RE.fullmatch(spec.name):
            raise _fail(model_type, f"index name {spec.name!r} must be 3-255 characters of [A-Za-z0-9_.-]")
    declared = {s.name for s in all_specs}
    # Indexes may also be declared through index_pk:/index_sk: roles (as GSIs).
    role_parts: dict[str, dict[str, str]] = {}
    for attribute in attributes.values():
        for role in attribute.roles:
            if role.startswith(("index_pk:", "index_sk:")):
                kind, index_name = role.split(":", 1)
                role_parts.setdefault(index_name, {})[kind] = attribute.python_name
    for index_name, parts in role_parts.items():
        if index_name in declared:
            spec = next(s for s in all_specs if s.name == index_name)
            spec_partition = pk.python_name if spec.partition == TABLE_PK else spec.partition
            if (
                parts.get("index_pk", spec_partition) != spec_partition
                or parts.get("index_sk", spec.sort) != spec.sort
            ):
                raise _fail(model_type, f"index {index_name!r}: roles disagree with its declaration")
            continue
        if "index_pk" not in parts:
            raise _fail(model_type, f"index {index_name!r} has an index_sk role but no index_pk role")
        all_specs.append(IndexSpec(index_name, "GSI", parts["index_pk"], parts.get("index_sk")))

    resolved: list[IndexDefinition] = []
    seen: set[str] = set()
    for spec in all_specs:
        if not isinstance(spec.name, str) or not _INDEX_NAME_RE.fullmatch(spec.name):
            raise _fail(model_type, f"index name {spec.name!r} must be 3-255 characters of [A-Za-z0-9_.-]")
        if spec.name in seen:
            raise _fail(model_type, f"index name {spec.name!r} is used twice")
        seen.add(spec.name)
        if spec.type not in ("GSI", "LSI"):
            raise _fail(model_type, f"index {spec.name!r}: type must be GSI or LSI")
        if not isinstance(spec.partition, str) or not (spec.sort is None or isinstance(spec.sort, str)):
            raise _fail(model_type, f"index {spec.name!r}: partition and sort must be field names")
        if not isinstance(spec.projection, Projection):
            raise _fail(
                model_type,
                f"index {spec.name!r}: projection must be Projection.all(), .keys_only() or .include(...)",
            )
        partition_name = pk.python_name if spec.partition == TABLE_PK else spec.partition
        partition = attributes.get(partition_name)
        if partition is None:
            raise _fail(model_type, f"index {spec.name!r} names unknown field {spec.partition!r}")
        sort = None
        if spec.sort is not None:
            sort = attributes.get(spec.sort)
            if sort is None:
                raise _fail(model_type, f"index {spec.name!r} names unknown field {spec.sort!r}")
        if spec.type == "LSI":
            if partition.python_name != pk.python_name:
                raise _fail(model_type, f"LSI {spec.name!r} must use the table's partition key")
            if sk is None:
                raise _fail(model_type, f"LSI {spec.name!r} needs a table with a sort key")
            if sort is None:
                raise _fail(model_type, f"LSI {spec.name!r} needs a sort key")
        if sort is not None and sort is partition:
            raise _fail(model_type, f"index {spec.name!r}: partition and sort are the same field")
        for key in (partition, sort):
            if key is not None:
                _check_key_type(model_type, key, "index key")
        _check_projection(model_type, spec.name, spec.projection, attributes)
        resolved.append(
            IndexDefinition(
                spec.name,
                spec.type,
                partition.attribute_name,
                sort.attribute_name if sort else None,
                spec.projection,
            )
        )
    return tuple(resolved)


def _check_projection(
    model_type: type, index: str, projection: Projection, attributes: Mapping[str, AttributeDefinition]
) -> None:
    if projection.type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise _fail(model_type, f"index {index!r}: projection must be ALL, KEYS_ONLY or INCLUDE")
    fields = projection.fields
    if not isinstance(fields, tuple) or not all(isinstance(f, str) and f for f in fields):
        raise _fail(model_type, f"index {index!r}: projection fields must be attribute names")
    if projection.type != "INCLUDE":
        if fields:
            raise _fail(model_type, f"index {index!r}: only an INCLUDE projection takes fields")
        return
    if not fields:
        raise _fail(model_type, f"index {index!r}: an INCLUDE projection needs fields")
    if len(set(fields)) != len(fields):
        raise _fail(model_type, f"index {index!r}: an INCLUDE projection names a field twice")
    names = {a.attribute_name for a in attributes.values()}
    for name in fields:
        attribute = attributes.get(name)
        if name not in names and attribute is not None:
            # A py-field name whose attribute is stored under another name: the index would miss it.
            raise _fail(
                model_type,
                f"index {index!r}: INCLUDE takes attribute names; field {name!r} is stored as "
                f"{attribute.attribute_name!r}",
            )


def _build_model(
    cls: type[ModelDefinition[T]],
    model_type: type[T],
    *,
    table_name: str | None,
    indexes: Sequence[IndexSpec],
    naming: str | None,
) -> ModelDefinition[T]:
    if not isinstance(model_type, type) or not dataclasses.is_dataclass(model_type):
        # Named by type only: the repr of an instance would carry its values into the message.
        what = (
            model_type.__name__
            if isinstance(model_type, type)
            else f"an instance of {type(model_type).__name__}"
        )
        raise ModelDefinitionError(f"{what} is not a dataclass type")
    if naming is not None and (not isinstance(naming, str) or naming not in _NAMING_PATTERNS):
        raise _fail(model_type, f"naming must be None, 'camelCase' or 'snake_case', not {naming!r}")
    if table_name is not None and (not isinstance(table_name, str) or not table_name):
        raise _fail(model_type, "table_name must be a non-empty string or None")
    if isinstance(indexes, (str, bytes, IndexSpec)) or not isinstance(indexes, Sequence):
        raise _fail(model_type, "indexes must be a list of gsi()/lsi() declarations")
    hints = _hints(model_type)
    attributes: dict[str, AttributeDefinition] = {}
    by_attribute: dict[str, str] = {}
    for dc_field in dataclasses.fields(model_type):
        annotation = hints.get(dc_field.name, Any)
        attribute = _attribute_from_field(model_type, dc_field, annotation, naming)
        if attribute is None:
            continue
        if attribute.attribute_name in by_attribute:
            raise _fail(
                model_type,
                f"fields {by_attribute[attribute.attribute_name]!r} and {dc_field.name!r} map to the same "
                f"attribute {attribute.attribute_name!r}",
                attribute.attribute_name,
            )
        by_attribute[attribute.attribute_name] = dc_field.name
        _check_roles(model_type, attribute, annotation)
        attributes[dc_field.name] = attribute
    values = list(attributes.values())
    for role in SINGLE_ROLES:
        _single_role(model_type, values, role)
    pk = _single_role(model_type, values, "pk")
    if pk is None:
        raise _fail(model_type, "no field has role 'pk' (exactly one partition key is required)")
    sk = _single_role(model_type, values, "sk")
    _check_key_type(model_type, pk, "partition key")
    if sk is not None:
        _check_key_type(model_type, sk, "sort key")
    resolved = _resolve_indexes(model_type, indexes, attributes, pk, sk)
    return cls(
        model_type=model_type,
        table_name=table_name,
        pk=pk,
        sk=sk,
        attributes=attributes,
        indexes=resolved,
        naming=naming,
    )
