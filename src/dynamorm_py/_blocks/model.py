"""The compiled model: a dataclass read once into keys, attributes, indexes and its codec."""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..errors import (
    ERR_INVALID_MODEL,
    ERR_INVALID_VALUE,
    ERR_UNRECOGNIZED_ITEM,
    DynamormPyError,
    EncryptionNotConfiguredError,
    ModelDefinitionError,
    ValidationError,
)
from . import partial_reads
from .annotations import derive_dynamodb_type, unwrap_optional
from .attributes import (
    LIFECYCLE_ROLES,
    NAMING_PATTERNS,
    SINGLE_ROLES,
    TABLE_PK,
    AttributeDefinition,
    IndexDefinition,
    IndexSpec,
    Projection,
    attribute_from_field,
    model_error,
)
from .codec import AV, FieldCodec, ModelCodec, check_item_size
from .matching import ItemMatcher, ItemPredicate, bind_matches, item_matches

__all__ = ["ModelDefinition"]

T = TypeVar("T")

# Used with fullmatch: "$" would also accept a trailing newline.
_INDEX_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,255}")


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
    # Which stored items are this model's, in a table shared with other models (None: every item).
    matches: ItemPredicate | None = None
    codec: ModelCodec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name is None:
            object.__setattr__(self, "name", self.model_type.__name__)
        if self.matches is not None:
            bound = bind_matches(
                self.model_type,
                self.matches,
                pk=self.pk,
                sk=self.sk,
                attributes=self.attributes,
                key_type=lambda key: _derived_type(self.model_type, key),
            )
            object.__setattr__(self, "matches", bound)
        object.__setattr__(self, "codec", _compile_codec(self))

    @classmethod
    def from_dataclass(
        cls,
        model_type: type[T],
        *,
        table_name: str | None = None,
        indexes: Sequence[IndexSpec] = (),
        naming: str | None = None,
        matches: ItemPredicate | ItemMatcher | None = None,
    ) -> ModelDefinition[T]:
        """Read and validate a dataclass model (its rules: ErrInvalidModel in docs/errors.md).

        ``matches`` tells this model's items apart in a table shared with other models: a predicate over the
        raw stored item (low-level AttributeValues, before decryption), or ``sk_prefix(...)``,
        ``pk_prefix(...)``, ``attribute_equals(...)`` (bound here to this model's key attribute names). Reads
        through a ``Table`` of this model then return only the items it accepts.
        """
        return _build_model(
            cls, model_type, table_name=table_name, indexes=indexes, naming=naming, matches=matches
        )

    @classmethod
    def from_dms(
        cls,
        doc: Mapping[str, Any] | str,
        name: str,
        *,
        table_name: str | None = None,
        enforce_naming: bool = True,
        matches: ItemPredicate | ItemMatcher | None = None,
    ) -> ModelDefinition[Any]:
        """A generated dataclass and its model for the DMS model ``name`` (a ``str`` is parsed first);
        ``matches`` as for ``from_dataclass``."""
        from .dms import model_from_dms

        model: ModelDefinition[Any] = model_from_dms(
            cls, doc, name, table_name=table_name, enforce_naming=enforce_naming, matches=matches
        )
        return model

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
        """The attribute with the ``created_at`` role, or ``None`` when the model has none."""
        return self._role("created_at")

    @property
    def updated_at(self) -> AttributeDefinition | None:
        """The attribute with the ``updated_at`` role, or ``None`` when the model has none."""
        return self._role("updated_at")

    @property
    def version(self) -> AttributeDefinition | None:
        """The attribute with the ``version`` role, or ``None`` when the model has none."""
        return self._role("version")

    @property
    def ttl(self) -> AttributeDefinition | None:
        """The attribute with the ``ttl`` role, or ``None`` when the model has none."""
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

    # conversions -------------------------------------------------------------------------------------

    def to_item(self, obj: T) -> dict[str, AV]:
        """``obj`` as the item a write would store (low-level AttributeValues), for raw client calls,
        exports and tests.

        Every field is encoded as it is: lifecycle fields are *not* stamped (``put`` fills ``created_at``,
        ``updated_at`` and ``version``; here an empty one stays empty). The item's size is checked against
        DynamoDB's 400 KB limit. A model with encrypted fields is refused with
        ``EncryptionNotConfiguredError``: sealing a value needs KMS, and an item with the plaintext in an
        encrypted field must never reach a table by accident. Write those through a ``Table``.
        """
        try:
            self._refuse_encrypted("to_item")
            if not isinstance(obj, self.model_type):
                raise ValidationError(
                    f"expected a {self.model_type.__name__} instance, got {type(obj).__name__}",
                    code=ERR_INVALID_MODEL,
                )
            if partial_reads.any_marked():
                partial_reads.check_whole_item(obj, hint="read the whole item before converting it")
            item: dict[str, AV] = self.codec.encode_item(obj).item
            check_item_size(item)
        except DynamormPyError as exc:
            exc.with_context(operation="to_item", table=self.table_name)
            raise
        return item

    def from_item(self, item: Mapping[str, AV]) -> T:
        """A model instance from a stored item (low-level AttributeValues, as a raw ``get_item`` returns).

        Converters, annotations and datetimes apply as on every read; attributes the model does not know
        are ignored. An item of another entity type (the model's ``matches`` predicate rejects it) is
        ``ValidationError`` (ErrUnrecognizedItem). A model with encrypted fields is refused with
        ``EncryptionNotConfiguredError``, since decrypting needs KMS: read those through a ``Table``.
        """
        try:
            self._refuse_encrypted("from_item")
            if not isinstance(item, Mapping):
                raise ValidationError(
                    f"item must be a mapping of attribute names to values, not {type(item).__name__}",
                    code=ERR_INVALID_VALUE,
                )
            if self.matches is not None and not item_matches(self.matches, item, self.name or ""):
                raise ValidationError(
                    f"the item is not a {self.name}: the model's matches predicate rejected it",
                    code=ERR_UNRECOGNIZED_ITEM,
                )
            obj: T = self.codec.decode_item(item)
        except DynamormPyError as exc:
            exc.with_context(operation="from_item", table=self.table_name)
            raise
        return obj

    def key(self, pk: Any, sk: Any = None) -> dict[str, AV]:
        """The primary key map for ``(pk, sk)`` (low-level AttributeValues), with the key fields' full
        encoding (converters, datetimes), as ``get`` and ``delete`` send it.

        A missing or empty key value is ``ValidationError`` (ErrMissingPrimaryKey); a sort key value for a
        model without a sort key is ``ValidationError``. Keys are never encrypted, so every model has keys.
        """
        try:
            return self.codec.encode_key(pk, sk)
        except DynamormPyError as exc:
            exc.with_context(operation="key", table=self.table_name)
            raise

    def _refuse_encrypted(self, operation: str) -> None:
        if self.codec.encrypted:
            raise EncryptionNotConfiguredError(
                f"{operation} cannot encrypt or decrypt without KMS, and {self.name} has encrypted fields; "
                "use a Table configured with a KMS key",
                field=self.codec.encrypted[0],
            )


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
        raise model_error(
            model_type, f"lifecycle field {attribute.python_name!r} cannot be a key", attribute.attribute_name
        )
    if attribute.encrypted:
        raise model_error(
            model_type,
            f"lifecycle field {attribute.python_name!r} cannot be encrypted",
            attribute.attribute_name,
        )
    inner, _ = unwrap_optional(annotation)
    allowed = _LIFECYCLE_ANNOTATIONS[role]
    if inner not in allowed or inner is bool:
        names = " or ".join(t.__name__ for t in allowed)
        raise model_error(
            model_type,
            f"{role} field {attribute.python_name!r} must be annotated {names}",
            attribute.attribute_name,
        )


def _single_role(
    model_type: type, attributes: Sequence[AttributeDefinition], role: str
) -> AttributeDefinition | None:
    found = [a for a in attributes if role in a.roles]
    if len(found) > 1:
        names = ", ".join(a.python_name for a in found)
        raise model_error(model_type, f"more than one field has role {role!r} ({names})")
    return found[0] if found else None


def _check_key_type(model: type, attribute: AttributeDefinition, what: str) -> None:
    if attribute.encrypted:
        raise model_error(
            model, f"{what} {attribute.python_name!r} cannot be encrypted", attribute.attribute_name
        )
    if any(r in LIFECYCLE_ROLES for r in attribute.roles) and what != "index key":
        raise model_error(
            model, f"{what} {attribute.python_name!r} cannot carry a lifecycle role", attribute.attribute_name
        )
    kind = _derived_type(model, attribute)
    if kind not in ("S", "N", "B"):
        raise model_error(
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
            raise model_error(model_type, "indexes must be IndexSpec values (use gsi() or lsi())")
        if not isinstance(spec.name, str) or not _INDEX_NAME_RE.fullmatch(spec.name):
            raise model_error(
                model_type, f"index name {spec.name!r} must be 3-255 characters of [A-Za-z0-9_.-]"
            )
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
                raise model_error(model_type, f"index {index_name!r}: roles disagree with its declaration")
            continue
        if "index_pk" not in parts:
            raise model_error(model_type, f"index {index_name!r} has an index_sk role but no index_pk role")
        all_specs.append(IndexSpec(index_name, "GSI", parts["index_pk"], parts.get("index_sk")))

    resolved: list[IndexDefinition] = []
    seen: set[str] = set()
    for spec in all_specs:
        if not isinstance(spec.name, str) or not _INDEX_NAME_RE.fullmatch(spec.name):
            raise model_error(
                model_type, f"index name {spec.name!r} must be 3-255 characters of [A-Za-z0-9_.-]"
            )
        if spec.name in seen:
            raise model_error(model_type, f"index name {spec.name!r} is used twice")
        seen.add(spec.name)
        if spec.type not in ("GSI", "LSI"):
            raise model_error(model_type, f"index {spec.name!r}: type must be GSI or LSI")
        if not isinstance(spec.partition, str) or not (spec.sort is None or isinstance(spec.sort, str)):
            raise model_error(model_type, f"index {spec.name!r}: partition and sort must be field names")
        if not isinstance(spec.projection, Projection):
            raise model_error(
                model_type,
                f"index {spec.name!r}: projection must be Projection.all(), .keys_only() or .include(...)",
            )
        partition_name = pk.python_name if spec.partition == TABLE_PK else spec.partition
        partition = attributes.get(partition_name)
        if partition is None:
            raise model_error(model_type, f"index {spec.name!r} names unknown field {spec.partition!r}")
        sort = None
        if spec.sort is not None:
            sort = attributes.get(spec.sort)
            if sort is None:
                raise model_error(model_type, f"index {spec.name!r} names unknown field {spec.sort!r}")
        if spec.type == "LSI":
            if partition.python_name != pk.python_name:
                raise model_error(model_type, f"LSI {spec.name!r} must use the table's partition key")
            if sk is None:
                raise model_error(model_type, f"LSI {spec.name!r} needs a table with a sort key")
            if sort is None:
                raise model_error(model_type, f"LSI {spec.name!r} needs a sort key")
        if sort is not None and sort is partition:
            raise model_error(model_type, f"index {spec.name!r}: partition and sort are the same field")
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
        raise model_error(model_type, f"index {index!r}: projection must be ALL, KEYS_ONLY or INCLUDE")
    fields = projection.fields
    if not isinstance(fields, tuple) or not all(isinstance(f, str) and f for f in fields):
        raise model_error(model_type, f"index {index!r}: projection fields must be attribute names")
    if projection.type != "INCLUDE":
        if fields:
            raise model_error(model_type, f"index {index!r}: only an INCLUDE projection takes fields")
        return
    if not fields:
        raise model_error(model_type, f"index {index!r}: an INCLUDE projection needs fields")
    if len(set(fields)) != len(fields):
        raise model_error(model_type, f"index {index!r}: an INCLUDE projection names a field twice")
    names = {a.attribute_name for a in attributes.values()}
    for name in fields:
        attribute = attributes.get(name)
        if name not in names and attribute is not None:
            # A py-field name whose attribute is stored under another name: the index would miss it.
            raise model_error(
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
    matches: ItemPredicate | ItemMatcher | None = None,
) -> ModelDefinition[T]:
    if not isinstance(model_type, type) or not dataclasses.is_dataclass(model_type):
        # Named by type only: the repr of an instance would carry its values into the message.
        what = (
            model_type.__name__
            if isinstance(model_type, type)
            else f"an instance of {type(model_type).__name__}"
        )
        raise ModelDefinitionError(f"{what} is not a dataclass type")
    if naming is not None and (not isinstance(naming, str) or naming not in NAMING_PATTERNS):
        raise model_error(model_type, f"naming must be None, 'camelCase' or 'snake_case', not {naming!r}")
    if table_name is not None and (not isinstance(table_name, str) or not table_name):
        raise model_error(model_type, "table_name must be a non-empty string or None")
    if isinstance(indexes, (str, bytes, IndexSpec)) or not isinstance(indexes, Sequence):
        raise model_error(model_type, "indexes must be a list of gsi()/lsi() declarations")
    hints = _hints(model_type)
    attributes: dict[str, AttributeDefinition] = {}
    by_attribute: dict[str, str] = {}
    for dc_field in dataclasses.fields(model_type):
        annotation = hints.get(dc_field.name, Any)
        attribute = attribute_from_field(model_type, dc_field, annotation, naming)
        if attribute is None:
            continue
        if attribute.attribute_name in by_attribute:
            raise model_error(
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
        raise model_error(model_type, "no field has role 'pk' (exactly one partition key is required)")
    sk = _single_role(model_type, values, "sk")
    _check_key_type(model_type, pk, "partition key")
    if sk is not None:
        _check_key_type(model_type, sk, "sort key")
    resolved = _resolve_indexes(model_type, indexes, attributes, pk, sk)
    predicate = bind_matches(
        model_type,
        matches,
        pk=pk,
        sk=sk,
        attributes=attributes,
        key_type=lambda key: _derived_type(model_type, key),
    )
    return cls(
        model_type=model_type,
        table_name=table_name,
        pk=pk,
        sk=sk,
        attributes=attributes,
        indexes=resolved,
        naming=naming,
        matches=predicate,
    )


# Users import these from dynamorm_py.model: tracebacks, reprs and pickles name that module.
ModelDefinition.__module__ = "dynamorm_py.model"
