"""DMS schema documents: load, validate, build models, export, and compare with code-defined models.

A DMS document is the language-neutral schema the DynamORM family shares, so a Python service can run from the
same ``.yml`` a Go or TypeScript service uses. Parsing follows YAML 1.2 core-schema rules (``yes``/``on``
stay strings, ``017`` is 17) so that every implementation reads the same values, and every rule of the format
is checked on load, with errors naming the model and the attribute at fault.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import MISSING
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ..errors import ERR_INVALID_MODEL, ModelDefinitionError, ValidationError

# A compiled model (``ModelDefinition``); this module builds and reads models without importing their
# module, which imports this one for ``ModelDefinition.from_dms``/``to_dms``.
Model = Any

__all__ = [
    "DmsWarning",
    "argument_error",
    "assert_model_definition_equivalent_to_dms",
    "dump_dms_document",
    "get_dms_model",
    "load_dms_file",
    "model_from_dms",
    "model_to_dms",
    "models_from_dms",
    "parse_dms_document",
]

DMS_VERSION = "0.1"
# Far above any real schema, far below what would exhaust memory or the parser's recursion.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_NESTING = 64

_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
_KEY_TYPES = ("S", "N", "B")
_LIFECYCLE_TYPES = {"created_at": "S", "updated_at": "S", "version": "N", "ttl": "N"}
_SINGLE_ROLES = ("pk", "sk", *_LIFECYCLE_TYPES)
_INDEX_ROLE_PREFIXES = ("index_pk:", "index_sk:")
_FORMATS = {"rfc3339nano": "S", "unix_seconds": "N", "int": "N"}
_CONVENTIONS = ("camelCase", "snake_case")
_NAMING_PATTERNS = {
    "camelCase": re.compile(r"[a-z][A-Za-z0-9]*|PK|SK"),
    "snake_case": re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"),
}
_RESOURCE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_PROJECTIONS = ("ALL", "KEYS_ONLY", "INCLUDE")

_TOP_KEYS = ("dms_version", "namespace", "models")
_MODEL_KEYS = ("name", "table", "naming", "keys", "attributes", "indexes")
_ATTRIBUTE_KEYS = (
    "attribute",
    "type",
    "required",
    "optional",
    "omit_empty",
    "roles",
    "format",
    "json",
    "binary",
    "encryption",
    "tags",
)
_INDEX_KEYS = ("name", "type", "partition", "sort", "projection")
_EXPORT_FORMATS = {
    "created_at": "rfc3339nano",
    "updated_at": "rfc3339nano",
    "version": "int",
    "ttl": "unix_seconds",
}


class DmsWarning(UserWarning):
    """A DMS document carries something this version ignores: an unknown key or ``format`` value."""


# errors -----------------------------------------------------------------------------------------------------


def argument_error(
    message: str, *, field: str | None = None, operation: str = "parse_dms_document"
) -> ValidationError:
    """A DMS document or argument that cannot be used (ErrInvalidModel)."""
    return ValidationError(message, code=ERR_INVALID_MODEL, operation=operation, field=field)


class _Where:
    """Where a problem is, spelled ``<model>.<attribute>`` as the command line prints it."""

    def __init__(self, model: str, table: str | None = None) -> None:
        self.model = model
        self.table = table

    def fail(self, message: str, attribute: str | None = None) -> ValidationError:
        place = f"{self.model}.{attribute}" if attribute is not None else self.model
        exc = argument_error(f"{place}: {message}", field=attribute)
        exc.table = self.table
        return exc


def _warn(message: str) -> None:
    warnings.warn(message, DmsWarning, stacklevel=4)


def _warn_unknown(what: str, mapping: Mapping[str, Any], known: Sequence[str]) -> None:
    for key in mapping:
        if key not in known:
            _warn(f"{what}: unknown key {key!r} ignored")


# YAML 1.2 core-schema loading -------------------------------------------------------------------------------

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_NULL_RE = re.compile(r"~|null|Null|NULL|")
_BOOL_RE = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _loader_class() -> type[Any]:
    """A PyYAML ``SafeLoader`` reading the YAML 1.2 core schema and refusing what DMS forbids (built once)."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml
    from yaml.events import AliasEvent

    class CoreLoader(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, AliasEvent):
                raise _yaml_problem("aliases (*name) are not allowed", event)
            if getattr(event, "anchor", None) is not None:
                raise _yaml_problem("anchors (&name) are not allowed", event)
            tag = getattr(event, "tag", None)
            if tag not in (None, "!") and tag not in _CORE_TAGS:
                raise _yaml_problem(f"tag {tag!r} is not allowed (only the core tags)", event)
            self._depth += 1
            try:
                if self._depth > MAX_NESTING:
                    raise _yaml_problem(f"nested deeper than {MAX_NESTING} levels", event)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if (
                    key_node.tag == "tag:yaml.org,2002:str"
                    and key_node.value == "<<"
                    and key_node.style is None
                ):
                    raise _yaml_problem("merge keys (<<) are not allowed", key_node)
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    raise _yaml_problem("mapping keys must be strings", key_node)
                if key in result:
                    raise _yaml_problem(f"duplicate key {key!r}", key_node)
                result[key] = self.construct_object(value_node, deep=deep)
            return result

    # Own tables (PyYAML copies on first add, but the resolvers must start empty, not from YAML 1.1's).
    CoreLoader.yaml_implicit_resolvers = {}
    CoreLoader.yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)

    def construct_map(loader: Any, node: Any) -> Any:
        data: dict[Any, Any] = {}
        yield data
        data.update(loader.construct_mapping(node))

    def construct_int(loader: Any, node: Any) -> int:
        text = loader.construct_scalar(node)
        if not _INT_RE.fullmatch(text):
            raise _yaml_problem("not an integer", node)
        try:
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text, 10)
        except ValueError:  # more digits than Python converts
            raise _yaml_problem("integer too long", node) from None

    def construct_float(loader: Any, node: Any) -> float:
        text = loader.construct_scalar(node)
        if not (_FLOAT_RE.fullmatch(text) or _INT_RE.fullmatch(text)):
            raise _yaml_problem("not a number", node)
        if "inf" in text.lower() or "nan" in text.lower():
            raise _yaml_problem("non-finite numbers (.inf, .nan) are not allowed", node)
        value = float(int(text, 0) if text.startswith(("0o", "0x")) else text)
        if not math.isfinite(value):
            raise _yaml_problem("number out of range", node)
        return value

    def construct_bool(loader: Any, node: Any) -> bool:
        text = loader.construct_scalar(node)
        if not _BOOL_RE.fullmatch(text):
            raise _yaml_problem("not a boolean (true or false)", node)
        return bool(text.lower() == "true")

    def construct_null(loader: Any, node: Any) -> None:
        text = loader.construct_scalar(node)
        if not _NULL_RE.fullmatch(text):
            raise _yaml_problem("not null", node)
        return None

    for tag, constructor in (
        ("map", construct_map),
        ("int", construct_int),
        ("float", construct_float),
        ("bool", construct_bool),
        ("null", construct_null),
    ):
        CoreLoader.add_constructor(f"tag:yaml.org,2002:{tag}", constructor)
    # The core schema's implicit resolution, and nothing else (no timestamps, no yes/no, no sexagesimal).
    for tag, pattern, first in (
        ("bool", _BOOL_RE, "tTfF"),
        ("int", _INT_RE, "-+0123456789"),
        ("float", _FLOAT_RE, "-+0123456789."),
        ("null", _NULL_RE, ["~", "n", "N", ""]),
    ):
        anchored = re.compile(rf"^(?:{pattern.pattern})$")
        CoreLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", anchored, list(first))
    _LOADER = CoreLoader
    return CoreLoader


_LOADER: type[Any] | None = None


class _YamlProblem(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _yaml_problem(message: str, node_or_event: Any) -> _YamlProblem:
    return _YamlProblem(message, getattr(node_or_event, "start_mark", None))


def _position(mark: Any) -> str:
    if mark is None:
        return ""
    return f"line {mark.line + 1}, column {mark.column + 1}: "


def _load_yaml(raw: str) -> Any:
    import yaml

    loader = None
    try:
        loader = _loader_class()(raw)
        return loader.get_single_data()
    except _YamlProblem as exc:
        raise argument_error(f"{_position(exc.mark)}{exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if "expected a single document" in str(exc.context or ""):
            problem = "more than one YAML document in the stream; a DMS file holds exactly one"
        raise argument_error(f"not valid YAML: {_position(mark)}{problem}") from None
    except yaml.reader.ReaderError as exc:
        raise argument_error(
            f"not valid YAML: character #x{exc.character:04x} at position {exc.position} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        raise argument_error(f"not valid YAML: {type(exc).__name__}") from None
    except RecursionError:
        raise argument_error(f"not valid YAML: nested deeper than {MAX_NESTING} levels") from None
    finally:
        if loader is not None:
            loader.dispose()


# parsing and validation -------------------------------------------------------------------------------------


def parse_dms_document(raw: str, *, enforce_naming: bool = True) -> dict[str, Any]:
    """Parse a DMS document (YAML 1.2 core schema, or JSON) and validate all of it; returns the plain dict.

    Unknown keys are ignored with a :class:`DmsWarning`. Every failure is a ``ValidationError``
    (ErrInvalidModel) whose message starts with ``<model>.<attribute>:`` where it concerns one.
    """
    if not isinstance(raw, str):
        raise argument_error(f"raw must be the document text (str), not {type(raw).__name__}", field="raw")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise argument_error(f"document is larger than {MAX_DOCUMENT_BYTES} bytes")
    if not raw.strip(" \t\r\n\ufeff"):
        raise argument_error("document is empty")
    doc = _load_yaml(raw)
    if doc is None:
        raise argument_error("document is empty (no models)")
    validate_dms_document(doc, enforce_naming=enforce_naming)
    result: dict[str, Any] = doc
    return result


def load_dms_file(path: str | os.PathLike[str], *, enforce_naming: bool = True) -> dict[str, Any]:
    """Read a DMS file (UTF-8) and parse it; errors start with the file: ``<file>: <model>.<attr>: ...``."""
    name = os.fspath(path)
    with open(name, "rb") as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise argument_error(
            f"{name}: file is larger than {MAX_DOCUMENT_BYTES} bytes", operation="load_dms_file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise argument_error(
            f"{name}: not UTF-8 text (invalid byte at offset {exc.start})", operation="load_dms_file"
        ) from None
    try:
        return parse_dms_document(text, enforce_naming=enforce_naming)
    except ValidationError as exc:
        raise ValidationError(
            f"{name}: {exc.message}",
            code=exc.code,
            operation="load_dms_file",
            table=exc.table,
            field=exc.field,
        ) from None


def get_dms_model(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The model called ``name`` in a parsed document; none -> ``ValidationError`` listing the names."""
    models = doc.get("models") if isinstance(doc, Mapping) else None
    if not isinstance(models, list):
        raise argument_error("the document has no models list", field="doc", operation="get_dms_model")
    for model in models:
        if isinstance(model, Mapping) and model.get("name") == name:
            return dict(model)
    names = ", ".join(repr(m.get("name")) for m in models if isinstance(m, Mapping))
    raise argument_error(
        f"no model named {name!r} (models: {names})", field="name", operation="get_dms_model"
    )


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _expect_mapping(where: _Where, value: Any, what: str, attribute: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise where.fail(f"{what} must be a mapping, not {_kind(value)}", attribute)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if _is_list(value):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _check_tree(value: Any, path: str, depth: int = 0) -> None:
    """A document given as Python objects must hold what YAML could: string keys, finite numbers, etc."""
    if depth > MAX_NESTING:
        raise argument_error(f"{path}: nested deeper than {MAX_NESTING} levels")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise argument_error(f"{path}: mapping keys must be strings")
            _check_tree(item, f"{path}.{key}", depth + 1)
    elif _is_list(value):
        for i, item in enumerate(value):
            _check_tree(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise argument_error(f"{path}: non-finite numbers are not allowed")
    elif value is not None and not isinstance(value, (str, bool, int)):
        raise argument_error(f"{path}: {type(value).__name__} values are not allowed in a DMS document")


def validate_dms_document(doc: Any, *, enforce_naming: bool = True) -> None:
    """Check every rule of the DMS format on a parsed document (see :func:`parse_dms_document`)."""
    if not isinstance(doc, Mapping):
        raise argument_error(f"the document must be a mapping with dms_version and models, not {_kind(doc)}")
    _check_tree(doc, "document")
    _warn_unknown("document", doc, _TOP_KEYS)
    version = doc.get("dms_version", MISSING)
    if version is MISSING:
        raise argument_error('dms_version is required (dms_version: "0.1")')
    if isinstance(version, float) or (isinstance(version, int) and not isinstance(version, bool)):
        raise argument_error(
            f'dms_version must be the quoted string "0.1"; the unquoted {version} is read as a number'
        )
    if version != DMS_VERSION:
        raise argument_error(f'unsupported dms_version {version!r} (this version reads "0.1")')
    namespace = doc.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise argument_error(f"namespace must be a string, not {_kind(namespace)}")
    models = doc.get("models", MISSING)
    if models is MISSING:
        raise argument_error("models is required (a list of models)")
    if isinstance(models, Mapping):
        raise argument_error("models must be a list of models ('- name: ...' entries), not a mapping")
    if not _is_list(models):
        raise argument_error(f"models must be a list of models, not {_kind(models)}")
    if not models:
        raise argument_error("models must not be empty")
    seen: set[str] = set()
    for position, model in enumerate(models):
        name = _validate_model(model, position, enforce_naming=enforce_naming)
        if name in seen:
            raise argument_error(f"{name}: model name used twice in the document")
        seen.add(name)


def _validate_model(model: Any, position: int, *, enforce_naming: bool) -> str:
    where = _Where(f"models[{position}]")
    model = _expect_mapping(where, model, "a model")
    name = model.get("name")
    if not isinstance(name, str) or not name.strip():
        raise where.fail("name is required (a non-blank string)")
    where = _Where(name)
    _warn_unknown(f"model {name}", model, _MODEL_KEYS)

    table = _expect_mapping(where, model.get("table"), "table (with name)")
    _warn_unknown(f"model {name}: table", table, ("name",))
    table_name = table.get("name")
    if not isinstance(table_name, str) or not _RESOURCE_NAME.fullmatch(table_name):
        raise where.fail("table.name must be 3-255 characters of A-Z a-z 0-9 _ . -")
    where.table = table_name

    convention = "camelCase"
    naming = model.get("naming")
    if naming is not None:
        naming = _expect_mapping(where, naming, "naming")
        _warn_unknown(f"model {name}: naming", naming, ("convention",))
        convention = naming.get("convention", convention)
        if convention not in _CONVENTIONS:
            raise where.fail(f"naming.convention must be camelCase or snake_case, not {convention!r}")

    attributes = model.get("attributes")
    if isinstance(attributes, Mapping):
        raise where.fail("attributes must be a list ('- attribute: ...' entries), not a mapping")
    if not _is_list(attributes) or not attributes:
        raise where.fail("attributes must be a non-empty list")
    by_name: dict[str, Mapping[str, Any]] = {}
    for i, attribute in enumerate(attributes):
        attribute_name = _validate_attribute(where, attribute, i, convention if enforce_naming else None)
        if attribute_name in by_name:
            raise where.fail("two attributes have this name", attribute_name)
        by_name[attribute_name] = attribute

    keys = _expect_mapping(where, model.get("keys"), "keys (with partition)")
    _warn_unknown(f"model {name}: keys", keys, ("partition", "sort"))
    if keys.get("partition") is None:
        raise where.fail("keys.partition is required")
    partition = _key_spec(where, keys["partition"], "keys.partition", by_name)
    sort = _key_spec(where, keys["sort"], "keys.sort", by_name) if keys.get("sort") is not None else None
    if sort is not None and sort[0] == partition[0]:
        raise where.fail("keys.partition and keys.sort are the same attribute", sort[0])

    _validate_roles(where, by_name, partition[0], sort[0] if sort else None)

    indexes = model.get("indexes")
    if indexes is None:
        indexes = []
    if not _is_list(indexes):
        raise where.fail(f"indexes must be a list, not {_kind(indexes)}")
    index_names: dict[str, Mapping[str, Any]] = {}
    for i, index in enumerate(indexes):
        index_name = _validate_index(where, index, i, by_name, partition, sort)
        if index_name in index_names:
            raise where.fail(f"index name {index_name!r} is used twice")
        index_names[index_name] = index
    _validate_index_roles(where, by_name, index_names)
    return name


def _validate_attribute(where: _Where, attribute: Any, position: int, convention: str | None) -> str:
    if not isinstance(attribute, Mapping):
        raise where.fail(f"attributes[{position}] must be a mapping, not {_kind(attribute)}")
    name = attribute.get("attribute")
    if not isinstance(name, str):
        raise where.fail(f"attributes[{position}]: attribute (the attribute name, a string) is required")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise where.fail(f"attributes[{position}]: attribute name is not valid Unicode") from None
    if not 1 <= size <= 255:
        raise where.fail(f"attributes[{position}]: attribute name must be 1-255 bytes")
    _warn_unknown(f"{where.model}.{name}", attribute, _ATTRIBUTE_KEYS)
    kind = attribute.get("type")
    if kind not in _TYPES:
        raise where.fail(f"type must be one of {' '.join(_TYPES)}, not {kind!r}", name)
    for flag in ("required", "optional", "omit_empty", "json", "binary"):
        if flag in attribute and not isinstance(attribute[flag], bool):
            raise where.fail(f"{flag} must be true or false, not {_kind(attribute[flag])}", name)
    if attribute.get("required") and attribute.get("optional"):
        raise where.fail("required and optional cannot both be true", name)
    roles = attribute.get("roles", [])
    if roles is None:
        roles = []
    if not _is_list(roles) or not all(isinstance(r, str) and r.strip() for r in roles):
        raise where.fail("roles must be a list of non-empty strings", name)
    if len(set(roles)) != len(roles):
        raise where.fail("a role is listed twice", name)
    lifecycle = [r for r in roles if r in _LIFECYCLE_TYPES]
    if len(lifecycle) > 1:
        raise where.fail(f"an attribute cannot have two lifecycle roles ({', '.join(lifecycle)})", name)
    for role in roles:
        if role.startswith(_INDEX_ROLE_PREFIXES) and not role.split(":", 1)[1]:
            raise where.fail(f"role {role!r} names no index", name)
    fmt = attribute.get("format")
    if fmt is not None:
        if not isinstance(fmt, str):
            raise where.fail(f"format must be a string, not {_kind(fmt)}", name)
        required_type = _FORMATS.get(fmt)
        if required_type is None:
            _warn(f"{where.model}.{name}: unknown format {fmt!r} ignored")
        elif kind != required_type:
            raise where.fail(f"format {fmt!r} requires type {required_type}, not {kind}", name)
    if attribute.get("json") and attribute.get("binary"):
        raise where.fail("json and binary cannot both be true", name)
    if attribute.get("json") and kind != "S":
        raise where.fail(f"json requires type S (the JSON text is stored as a string), not {kind}", name)
    if attribute.get("binary") and kind != "B":
        raise where.fail(f"binary requires type B, not {kind}", name)
    encryption = attribute.get("encryption")
    if encryption is not None and not isinstance(encryption, Mapping):
        raise where.fail(
            f"encryption must be a mapping (e.g. {{v: 1}}) or null, not {_kind(encryption)}", name
        )
    tags = attribute.get("tags")
    if "tags" in attribute and not isinstance(tags, Mapping):
        raise where.fail(f"tags must be a mapping, not {_kind(tags)}", name)
    if convention is not None and not _NAMING_PATTERNS[convention].fullmatch(name):
        hint = " (or load with enforce_naming=False / --no-enforce-naming)"
        raise where.fail(f"attribute name does not follow the {convention} naming convention{hint}", name)
    return name


def _encrypted(attribute: Mapping[str, Any]) -> bool:
    return attribute.get("encryption") is not None


def _key_spec(
    where: _Where, spec: Any, what: str, by_name: Mapping[str, Mapping[str, Any]]
) -> tuple[str, str]:
    spec = _expect_mapping(where, spec, f"{what} ({{attribute, type}})")
    _warn_unknown(f"{where.model}: {what}", spec, ("attribute", "type"))
    name = spec.get("attribute")
    kind = spec.get("type")
    if not isinstance(name, str) or not name:
        raise where.fail(f"{what}.attribute is required (an attribute name)")
    if kind not in _KEY_TYPES:
        raise where.fail(f"{what}.type must be S, N or B, not {kind!r}", name)
    attribute = by_name.get(name)
    if attribute is None:
        raise where.fail(f"{what} names an attribute missing from attributes", name)
    if attribute.get("type") != kind:
        raise where.fail(f"{what} says type {kind} but the attribute has type {attribute.get('type')}", name)
    if _encrypted(attribute):
        raise where.fail(f"{what}: a key attribute cannot be encrypted", name)
    return name, kind


def _validate_roles(
    where: _Where, by_name: Mapping[str, Mapping[str, Any]], partition: str, sort: str | None
) -> None:
    holders: dict[str, str] = {}
    for name, attribute in by_name.items():
        for role in attribute.get("roles") or ():
            if role not in _SINGLE_ROLES:
                continue
            if role in holders:
                raise where.fail(f"role {role!r} is on two attributes ({holders[role]!r} and this one)", name)
            holders[role] = name
            if role == "pk" and name != partition:
                raise where.fail("role 'pk' must be on keys.partition.attribute", name)
            if role == "sk":
                if sort is None:
                    raise where.fail("role 'sk' but the model has no keys.sort", name)
                if name != sort:
                    raise where.fail("role 'sk' must be on keys.sort.attribute", name)
            expected = _LIFECYCLE_TYPES.get(role)
            if expected is None:
                continue
            if attribute.get("type") != expected:
                raise where.fail(f"role {role!r} requires type {expected}, not {attribute.get('type')}", name)
            if _encrypted(attribute):
                raise where.fail(f"lifecycle attribute ({role}) cannot be encrypted", name)
            if name in (partition, sort):
                raise where.fail(f"lifecycle attribute ({role}) cannot be a table key", name)
            if attribute.get("json"):
                raise where.fail(f"lifecycle attribute ({role}) cannot be json", name)


def _validate_index(
    where: _Where,
    index: Any,
    position: int,
    by_name: Mapping[str, Mapping[str, Any]],
    table_partition: tuple[str, str],
    table_sort: tuple[str, str] | None,
) -> str:
    index = _expect_mapping(where, index, f"indexes[{position}]")
    name = index.get("name")
    if not isinstance(name, str) or not _RESOURCE_NAME.fullmatch(name):
        raise where.fail(f"indexes[{position}]: name must be 3-255 characters of A-Z a-z 0-9 _ . -")
    what = f"index {name!r}"
    _warn_unknown(f"{where.model}: {what}", index, _INDEX_KEYS)
    kind = index.get("type")
    if kind not in ("GSI", "LSI"):
        raise where.fail(f"{what}: type must be GSI or LSI, not {kind!r}")
    if index.get("partition") is None:
        raise where.fail(f"{what}: partition is required")
    partition = _key_spec(where, index["partition"], f"{what} partition", by_name)
    sort = _key_spec(where, index["sort"], f"{what} sort", by_name) if index.get("sort") is not None else None
    if sort is not None and sort[0] == partition[0]:
        raise where.fail(f"{what}: partition and sort are the same attribute", sort[0])
    if kind == "LSI":
        if partition != table_partition:
            raise where.fail(f"{what}: an LSI's partition must be the table's keys.partition", partition[0])
        if table_sort is None:
            raise where.fail(f"{what}: an LSI needs a table with keys.sort")
        if sort is None:
            raise where.fail(f"{what}: an LSI needs a sort key")
    projection = index.get("projection")
    if projection is not None:
        projection = _expect_mapping(where, projection, f"{what} projection")
        _warn_unknown(f"{where.model}: {what} projection", projection, ("type", "fields"))
        projection_type = projection.get("type", "ALL")
        if projection_type not in _PROJECTIONS:
            raise where.fail(
                f"{what}: projection type must be ALL, KEYS_ONLY or INCLUDE, not {projection_type!r}"
            )
        if projection_type == "INCLUDE":
            fields = projection.get("fields")
            if not _is_list(fields) or not fields or not all(isinstance(f, str) and f for f in fields):
                raise where.fail(
                    f"{what}: an INCLUDE projection needs fields (a non-empty list of attribute names)"
                )
            if len(set(fields)) != len(fields):
                raise where.fail(f"{what}: projection fields name an attribute twice")
    return name


def _validate_index_roles(
    where: _Where, by_name: Mapping[str, Mapping[str, Any]], indexes: Mapping[str, Mapping[str, Any]]
) -> None:
    """``index_pk:<name>``/``index_sk:<name>`` roles must agree with the declared index they name."""
    for name, attribute in by_name.items():
        for role in attribute.get("roles") or ():
            if not role.startswith(_INDEX_ROLE_PREFIXES):
                continue
            kind, index_name = role.split(":", 1)
            index = indexes.get(index_name)
            if index is None:
                raise where.fail(f"role {role!r} names no index declared in indexes", name)
            part = index.get("partition" if kind == "index_pk" else "sort")
            if not isinstance(part, Mapping) or part.get("attribute") != name:
                side = "partition" if kind == "index_pk" else "sort"
                raise where.fail(f"role {role!r} but the index's {side} is another attribute", name)


# building models --------------------------------------------------------------------------------------------


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def python_field_name(attribute: str, convention: str, *, sanitize: bool) -> str:
    """The generated dataclass field name of an attribute (``emailHash`` -> ``email_hash``)."""
    name = _CAMEL_BOUNDARY.sub("_", attribute).lower() if convention == "camelCase" else attribute
    if sanitize:
        name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if name[:1].isdigit():
            name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def _annotation(attribute: Mapping[str, Any], is_key: bool) -> Any:
    kind = attribute["type"]
    roles = attribute.get("roles") or ()
    fmt = attribute.get("format")
    base: Any
    if attribute.get("json"):
        return Any
    if kind == "S":
        base = datetime if fmt == "rfc3339nano" or {"created_at", "updated_at"} & set(roles) else str
    elif kind == "N":
        base = int if fmt in ("int", "unix_seconds") or {"version", "ttl"} & set(roles) else Decimal
    else:
        base = {
            "B": bytes,
            "BOOL": bool,
            "NULL": type(None),
            "M": dict[str, Any],
            "L": list[Any],
            "SS": set[str],
            "NS": set[Decimal],
            "BS": set[bytes],
        }[kind]
    if is_key or attribute.get("required") or base is type(None):
        return base
    return base | None


def model_from_dms(
    model_class: Any,
    doc: Mapping[str, Any] | str,
    name: str,
    *,
    table_name: str | None = None,
    enforce_naming: bool = True,
    matches: Any = None,
) -> Model:
    """Build a dataclass and its ``ModelDefinition`` from one model of a DMS document (``from_dms``)."""
    if isinstance(doc, str):
        doc = parse_dms_document(doc, enforce_naming=enforce_naming)
    else:
        validate_dms_document(doc, enforce_naming=enforce_naming)
    return _build(
        model_class,
        get_dms_model(doc, name),
        table_name=table_name,
        enforce_naming=enforce_naming,
        matches=matches,
    )


def models_from_dms(
    model_class: Any, doc: Mapping[str, Any] | str, *, enforce_naming: bool = True
) -> dict[str, Model]:
    """Every model of a DMS document, keyed by name, in document order."""
    if isinstance(doc, str):
        doc = parse_dms_document(doc, enforce_naming=enforce_naming)
    else:
        validate_dms_document(doc, enforce_naming=enforce_naming)
    return {
        m["name"]: _build(model_class, m, table_name=None, enforce_naming=enforce_naming)
        for m in doc["models"]
    }


def _build(
    model_class: Any,
    dms: Mapping[str, Any],
    *,
    table_name: str | None,
    enforce_naming: bool,
    matches: Any = None,
) -> Model:
    from .attributes import Projection, dynamorm_field, gsi, lsi

    name: str = dms["name"]
    where = _Where(name, table_name or dms["table"]["name"])
    if not name.isidentifier() or keyword.iskeyword(name):
        raise where.fail("a model name must be a Python identifier (not a keyword) to generate a class")
    convention = (dms.get("naming") or {}).get("convention", "camelCase")
    keys = dms["keys"]
    partition = keys["partition"]["attribute"]
    sort = keys["sort"]["attribute"] if keys.get("sort") else None
    fields: list[tuple[str, Any, Any]] = []
    py_names: dict[str, str] = {}
    for attribute in dms["attributes"]:
        attribute_name = attribute["attribute"]
        py_name = python_field_name(attribute_name, convention, sanitize=not enforce_naming)
        if not py_name.isidentifier():
            raise where.fail(
                f"cannot make a Python field name from the attribute name ({py_name!r})", attribute_name
            )
        if py_name in py_names:
            raise ModelDefinitionError(
                f"{name}.{attribute_name}: attributes {py_names[py_name]!r} and {attribute_name!r} both "
                f"become the Python field {py_name!r}",
                field=attribute_name,
            )
        py_names[py_name] = attribute_name
        roles = [r for r in attribute.get("roles") or () if _known_role(r)]
        if attribute_name == partition and "pk" not in roles:
            roles.append("pk")
        if attribute_name == sort and "sk" not in roles:
            roles.append("sk")
        is_key = attribute_name in (partition, sort)
        lifecycle = any(r in _LIFECYCLE_TYPES for r in roles)
        kind = attribute["type"]
        options: dict[str, Any] = {
            "name": attribute_name,
            "roles": roles,
            "omitempty": bool(attribute.get("omit_empty")),
            "set_": kind in ("SS", "NS", "BS"),
            "json": bool(attribute.get("json")),
            "binary": bool(attribute.get("binary")),
            "encrypted": _encrypted(attribute),
            "dynamodb_type": kind,
        }
        if not (attribute.get("required") and not lifecycle):
            options["default"] = None
        fields.append((py_name, _annotation(attribute, is_key), dynamorm_field(**options)))
    field_of = {attribute: py for py, attribute in py_names.items()}
    specs = []
    for index in dms.get("indexes") or ():
        projection_spec = index.get("projection") or {}
        projection_type = projection_spec.get("type", "ALL")
        projection = (
            Projection.include(*projection_spec["fields"])
            if projection_type == "INCLUDE"
            else Projection(projection_type)
        )
        index_sort = field_of[index["sort"]["attribute"]] if index.get("sort") else None
        if index["type"] == "LSI":
            assert index_sort is not None  # validated: an LSI has a sort key
            specs.append(lsi(index["name"], sort=index_sort, projection=projection))
        else:
            specs.append(
                gsi(
                    index["name"],
                    partition=field_of[index["partition"]["attribute"]],
                    sort=index_sort,
                    projection=projection,
                )
            )
    model_type = dataclasses.make_dataclass(name, fields, kw_only=True)
    model_type.__module__ = "dynamorm_py.generated"
    model_type.__qualname__ = name
    definition: Model
    try:
        definition = model_class.from_dataclass(
            model_type,
            table_name=table_name or dms["table"]["name"],
            indexes=specs,
            naming=convention if enforce_naming else None,
            matches=matches,
        )
    except ValidationError as exc:
        exc.table = where.table
        raise
    if not enforce_naming:
        # The convention stays known (export writes it) without being enforced on the names.
        definition = dataclasses.replace(definition, naming=convention)
    return definition


def _known_role(role: str) -> bool:
    if role in _SINGLE_ROLES:
        return True
    return role.startswith(_INDEX_ROLE_PREFIXES) and bool(role.split(":", 1)[1])


# export -----------------------------------------------------------------------------------------------------


def _lifecycle_role(roles: Sequence[str]) -> str | None:
    return next((r for r in roles if r in _LIFECYCLE_TYPES), None)


def model_to_dms(model: Model) -> dict[str, Any]:
    """One DMS model mapping for ``model``, keys in the format's order (``ModelDefinition.to_dms``)."""
    defaults = {
        f.name: f.default is not MISSING or f.default_factory is not MISSING
        for f in dataclasses.fields(model.model_type)
    }
    key_names = {model.pk.attribute_name, model.sk.attribute_name if model.sk else None}
    out: dict[str, Any] = {"name": model.name}
    if model.table_name:
        out["table"] = {"name": model.table_name}
    if model.naming:
        out["naming"] = {"convention": model.naming}
    keys: dict[str, Any] = {"partition": _key_of(model, model.pk.attribute_name)}
    if model.sk is not None:
        keys["sort"] = _key_of(model, model.sk.attribute_name)
    out["keys"] = keys
    attributes = []
    for attribute in model.attributes.values():
        entry: dict[str, Any] = {
            "attribute": attribute.attribute_name,
            "type": model.attribute_type(attribute.attribute_name),
        }
        role = _lifecycle_role(attribute.roles)
        is_key = attribute.attribute_name in key_names
        has_default = defaults.get(attribute.python_name, False)
        if role is None:
            if is_key or not has_default:
                entry["required"] = True
            else:
                entry["optional"] = True
        if attribute.omitempty:
            entry["omit_empty"] = True
        if attribute.roles:
            entry["roles"] = list(attribute.roles)
        if role is not None:
            entry["format"] = _EXPORT_FORMATS[role]
        if attribute.json:
            entry["json"] = True
        if attribute.binary:
            entry["binary"] = True
        if attribute.encrypted:
            entry["encryption"] = {"v": 1}
        attributes.append(entry)
    out["attributes"] = attributes
    indexes = []
    for index in model.indexes:
        entry = {"name": index.name, "type": index.type, "partition": _key_of(model, index.partition)}
        if index.sort is not None:
            entry["sort"] = _key_of(model, index.sort)
        projection: dict[str, Any] = {"type": index.projection.type}
        if index.projection.type == "INCLUDE":
            projection["fields"] = list(index.projection.fields)
        entry["projection"] = projection
        indexes.append(entry)
    if indexes:
        out["indexes"] = indexes
    return out


def _key_of(model: Model, attribute: str) -> dict[str, str]:
    return {"attribute": attribute, "type": model.attribute_type(attribute)}


def dump_dms_document(
    models: Sequence[Model],
    *,
    namespace: str | None = None,
    format: Literal["yaml", "json"] = "yaml",
) -> str:
    """The text of one DMS document holding ``models`` (YAML with every string double-quoted, or JSON)."""
    # The public dump_dms_document has checked that ``models`` is a list of ModelDefinition.
    if namespace is not None and not isinstance(namespace, str):
        raise argument_error(
            "namespace must be a string or None", field="namespace", operation="dump_dms_document"
        )
    if format not in ("yaml", "json"):
        raise argument_error(
            f"format must be 'yaml' or 'json', not {format!r}", field="format", operation="dump_dms_document"
        )
    doc: dict[str, Any] = {"dms_version": DMS_VERSION}
    if namespace is not None:
        doc["namespace"] = namespace
    doc["models"] = [model_to_dms(model) for model in models]
    if format == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return _dump_yaml(doc)


def _dump_yaml(doc: Mapping[str, Any]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_str(dumper: Any, value: str) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')

    def represent_dict(dumper: Any, value: Mapping[str, Any]) -> Any:
        # Keys plain (they are fixed identifiers of the format), values double-quoted where strings.
        pairs = [
            (yaml.ScalarNode("tag:yaml.org,2002:str", key), dumper.represent_data(item))
            for key, item in value.items()
        ]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(dict, represent_dict)
    text: str = yaml.dump(
        doc, Dumper=Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text


# equivalence ------------------------------------------------------------------------------------------------


def _normalize_model_side(model: Model, ignore_table_name: bool) -> dict[str, Any]:
    exported = model_to_dms(model)
    defaults = {
        f.name: f.default is not MISSING or f.default_factory is not MISSING
        for f in dataclasses.fields(model.model_type)
    }
    key_names = {model.pk.attribute_name, model.sk.attribute_name if model.sk else None}
    attributes = {}
    for definition, entry in zip(model.attributes.values(), exported["attributes"], strict=True):
        is_key = definition.attribute_name in key_names
        has_default = defaults.get(definition.python_name, False)
        attributes[definition.attribute_name] = {
            "type": entry["type"],
            "omit_empty": definition.omitempty,
            "roles": sorted(r for r in definition.roles if _known_role(r)),
            "encrypted": definition.encrypted,
            "json": definition.json,
            "binary": definition.binary,
            "required": is_key or not has_default,
            "optional": not is_key and has_default,
        }
    return _normalized(exported, attributes, ignore_table_name)


def _normalize_dms_side(dms: Mapping[str, Any], ignore_table_name: bool) -> dict[str, Any]:
    keys = dms.get("keys") or {}
    key_roles = {
        (keys.get("partition") or {}).get("attribute"): "pk",
        (keys.get("sort") or {}).get("attribute"): "sk",
    }
    attributes = {}
    for attribute in dms.get("attributes") or ():
        name = attribute.get("attribute")
        roles = {r for r in attribute.get("roles") or () if _known_role(r)}
        if name in key_roles and key_roles[name] is not None:
            roles.add(key_roles[name])
        entry = {
            "type": attribute.get("type"),
            "omit_empty": bool(attribute.get("omit_empty")),
            "roles": sorted(roles),
            "encrypted": _encrypted(attribute),
            "json": bool(attribute.get("json")),
            "binary": bool(attribute.get("binary")),
        }
        for stated in ("required", "optional"):
            if stated in attribute:
                entry[stated] = bool(attribute[stated])
        attributes[name] = entry
    return _normalized(dms, attributes, ignore_table_name)


def _normalized(
    dms: Mapping[str, Any], attributes: Mapping[str, dict[str, Any]], ignore_table_name: bool
) -> dict[str, Any]:
    keys = dms.get("keys") or {}
    out: dict[str, Any] = {"name": dms.get("name")}
    if not ignore_table_name:
        out["table"] = (dms.get("table") or {}).get("name")
    out["keys"] = {part: _key_norm(keys.get(part)) for part in ("partition", "sort")}
    out["attributes"] = {name: attributes[name] for name in sorted(attributes, key=str)}
    indexes = {}
    for index in dms.get("indexes") or ():
        projection = index.get("projection") or {}
        projection_type = projection.get("type", "ALL")
        indexes[index.get("name")] = {
            "type": index.get("type"),
            "partition": _key_norm(index.get("partition")),
            "sort": _key_norm(index.get("sort")),
            "projection": {
                "type": projection_type,
                "fields": sorted(projection.get("fields") or ()) if projection_type == "INCLUDE" else [],
            },
        }
    out["indexes"] = {name: indexes[name] for name in sorted(indexes, key=str)}
    return out


def _key_norm(spec: Any) -> dict[str, Any] | None:
    if not isinstance(spec, Mapping):
        return None
    return {"attribute": spec.get("attribute"), "type": spec.get("type")}


def assert_model_definition_equivalent_to_dms(
    model: Model, dms_model: Mapping[str, Any], *, ignore_table_name: bool
) -> None:
    """Raise ``ValidationError`` (ErrInvalidModel) unless ``model`` and the DMS model describe the same table.

    ``required``/``optional`` are compared only where the DMS attribute states them; ``namespace``,
    ``naming``, ``format`` and ``tags`` are not compared.
    """
    if not isinstance(dms_model, Mapping):
        raise argument_error("dms_model must be a DMS model mapping (see get_dms_model)", field="dms_model")
    code_side = _normalize_model_side(model, ignore_table_name)
    dms_side = _normalize_dms_side(dms_model, ignore_table_name)
    for name, dms_attribute in dms_side["attributes"].items():
        code_attribute = code_side["attributes"].get(name)
        if code_attribute is None:
            continue
        for stated in ("required", "optional"):
            if stated not in dms_attribute:
                code_attribute.pop(stated, None)
    for name in set(code_side["attributes"]) - set(dms_side["attributes"]):
        for stated in ("required", "optional"):
            code_side["attributes"][name].pop(stated, None)
    if code_side == dms_side:
        return
    differing = _first_difference(code_side, dms_side)
    raise ValidationError(
        f"{model.name}: model and DMS differ{differing}\n"
        f"model: {_canonical(code_side)}\n"
        f"dms:   {_canonical(dms_side)}",
        code=ERR_INVALID_MODEL,
        operation="assert_model_definition_equivalent_to_dms",
        table=model.table_name,
    )


def _first_difference(left: Any, right: Any, path: str = "") -> str:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            if left.get(key, MISSING) != right.get(key, MISSING):
                return _first_difference(left.get(key), right.get(key), f"{path}.{key}" if path else str(key))
    return f" at {path}" if path else ""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
