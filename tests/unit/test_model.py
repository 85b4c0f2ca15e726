"""Model definitions (api.md §1.2, §2.1, §2.8; WF §4.8): every from_dataclass rule and its error.

This module uses ``from __future__ import annotations`` on purpose: every annotation below is a string that
``from_dataclass`` must resolve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableSet, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Optional

import pytest

from dynamorm_py.errors import ERR_INVALID_MODEL, ModelDefinitionError, ValidationError
from dynamorm_py.model import (
    AttributeDefinition,
    IndexDefinition,
    IndexSpec,
    ModelDefinition,
    Projection,
    dynamorm_field,
    gsi,
    lsi,
)


def _definition_error(model_type: Any, **kwargs: Any) -> ModelDefinitionError:
    with pytest.raises(ModelDefinitionError) as info:
        ModelDefinition.from_dataclass(model_type, **kwargs)
    error = info.value
    assert error.code == ERR_INVALID_MODEL
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)
    return error


# --- models used by several tests (module level so string annotations resolve) ---------------------------


@dataclass
class Address:
    street: str
    zip_code: str | None = None


@dataclass
class Keyed:
    pk: str = dynamorm_field(roles=["pk"])
    sk: str = dynamorm_field(roles=["sk"])
    status: str = ""
    secret: str = dynamorm_field(encrypted=True, default="")


@dataclass
class Everything:
    """Resolves string annotations of every supported shape."""

    pk: str = dynamorm_field(roles=["pk"])
    sk: int = dynamorm_field(roles=["sk"])
    optional_pipe: int | None = None
    optional_typing: Optional[Decimal] = None  # noqa: UP045 - the typing spelling is what is being tested
    tags: set[str] = dataclasses.field(default_factory=set)
    scores: frozenset[int] = frozenset()
    nested: dict[str, list[tuple[int, ...]]] = dataclasses.field(default_factory=dict)
    mapping: Mapping[str, Sequence[float]] | None = None
    address: Address | None = None
    when: datetime | None = None
    blob: bytes = b""


# --- keys --------------------------------------------------------------------------------------------


def test_model_without_partition_key_is_rejected() -> None:
    @dataclass
    class NoKey:
        name: str

    error = _definition_error(NoKey)
    assert "NoKey" in str(error)
    assert "'pk'" in str(error)


def test_two_partition_keys_are_rejected_naming_both_fields() -> None:
    @dataclass
    class TwoPk:
        a: str = dynamorm_field(roles=["pk"])
        b: str = dynamorm_field(roles=["pk"])

    error = _definition_error(TwoPk)
    assert "more than one field has role 'pk'" in str(error)
    assert "a, b" in str(error)


def test_two_sort_keys_are_rejected() -> None:
    @dataclass
    class TwoSk:
        pk: str = dynamorm_field(roles=["pk"])
        a: str = dynamorm_field(roles=["sk"])
        b: str = dynamorm_field(roles=["sk"])

    assert "role 'sk'" in str(_definition_error(TwoSk))


def test_encrypted_partition_key_is_rejected() -> None:
    @dataclass
    class EncryptedPk:
        pk: str = dynamorm_field(roles=["pk"], encrypted=True)

    error = _definition_error(EncryptedPk)
    assert "partition key 'pk' cannot be encrypted" in str(error)
    assert error.field == "pk"


def test_encrypted_sort_key_is_rejected() -> None:
    @dataclass
    class EncryptedSk:
        pk: str = dynamorm_field(roles=["pk"])
        sk: str = dynamorm_field(roles=["sk"], encrypted=True, name="SK")

    error = _definition_error(EncryptedSk)
    assert "sort key 'sk' cannot be encrypted" in str(error)
    assert error.field == "SK"


def test_encrypted_index_key_declared_by_gsi_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[gsi("by-secret", partition="secret")])
    assert "index key 'secret' cannot be encrypted" in str(error)


def test_encrypted_index_key_declared_by_role_is_rejected() -> None:
    @dataclass
    class EncryptedIndexRole:
        pk: str = dynamorm_field(roles=["pk"])
        secret: str = dynamorm_field(roles=["index_pk:by-secret"], encrypted=True, default="")

    assert "cannot be encrypted" in str(_definition_error(EncryptedIndexRole))


def test_encrypted_lsi_sort_key_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[lsi("by-secret", sort="secret")])
    assert "index key 'secret' cannot be encrypted" in str(error)


@pytest.mark.parametrize("role", ["created_at", "updated_at", "version", "ttl"])
def test_a_key_with_a_lifecycle_role_is_rejected(role: str) -> None:
    annotation = {"created_at": "str", "updated_at": "str", "version": "int", "ttl": "int"}[role]
    model = dataclasses.make_dataclass(
        "LifecycleKey", [("pk", annotation, dynamorm_field(roles=["pk", role]))], namespace={}
    )
    error = _definition_error(model)
    assert "cannot be a key" in str(error)


@pytest.mark.parametrize("annotation", [bool, list[str], dict[str, int], set[str]])
def test_key_fields_must_derive_to_string_number_or_binary(annotation: Any) -> None:
    model = dataclasses.make_dataclass("BadKey", [("pk", annotation, dynamorm_field(roles=["pk"]))])
    error = _definition_error(model)
    assert "must be a string, number or binary" in str(error)
    assert error.field == "pk"


def test_sort_key_of_type_bool_is_rejected() -> None:
    @dataclass
    class BoolSk:
        pk: str = dynamorm_field(roles=["pk"])
        flag: bool = dynamorm_field(roles=["sk"])

    assert "sort key 'flag' must be a string, number or binary (is BOOL)" in str(_definition_error(BoolSk))


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "S"),
        (int, "N"),
        (float, "N"),
        (Decimal, "N"),
        (bytes, "B"),
        (datetime, "S"),
        (int | None, "N"),
        (Optional[bytes], "B"),  # noqa: UP045
    ],
)
def test_key_fields_of_scalar_types_are_accepted(annotation: Any, expected: str) -> None:
    model = dataclasses.make_dataclass("GoodKey", [("pk", annotation, dynamorm_field(roles=["pk"]))])
    definition: ModelDefinition[Any] = ModelDefinition.from_dataclass(model)
    assert definition.pk.python_name == "pk"
    assert definition.attribute_type("pk") == expected


def test_dynamodb_type_overrides_a_converter_typed_key() -> None:
    class Upper:
        def to_dynamodb(self, value: Any) -> Any:
            return str(value).upper()

        def from_dynamodb(self, value: Any) -> Any:
            return value

    model = dataclasses.make_dataclass(
        "ConvertedKey", [("pk", list, dynamorm_field(roles=["pk"], converter=Upper(), dynamodb_type="S"))]
    )
    assert ModelDefinition.from_dataclass(model).attribute_type("pk") == "S"


# --- lifecycle roles ---------------------------------------------------------------------------------------


def test_encrypted_lifecycle_field_is_rejected() -> None:
    @dataclass
    class EncryptedVersion:
        pk: str = dynamorm_field(roles=["pk"])
        version: int = dynamorm_field(roles=["version"], encrypted=True, default=0)

    error = _definition_error(EncryptedVersion)
    assert "lifecycle field 'version' cannot be encrypted" in str(error)
    assert error.field == "version"


@pytest.mark.parametrize(
    ("role", "annotation", "allowed"),
    [
        ("version", "str", "int"),
        ("version", "bool", "int"),
        ("version", "float", "int"),
        ("created_at", "int", "datetime or str"),
        ("updated_at", "bytes", "datetime or str"),
        ("ttl", "str", "int or datetime"),
        ("ttl", "Decimal", "int or datetime"),
        ("created_at", "str | int", "datetime or str"),
    ],
)
def test_lifecycle_roles_reject_other_annotations(role: str, annotation: str, allowed: str) -> None:
    model = dataclasses.make_dataclass(
        "WrongLifecycle",
        [("pk", "str", dynamorm_field(roles=["pk"])), ("value", annotation, dynamorm_field(roles=[role]))],
        namespace={"__module__": __name__},
    )
    error = _definition_error(model)
    assert f"{role} field 'value' must be annotated {allowed}" in str(error)


@pytest.mark.parametrize(
    ("role", "annotation"),
    [
        ("created_at", "datetime"),
        ("created_at", "datetime | None"),
        ("created_at", "str"),
        ("created_at", "Optional[str]"),
        ("updated_at", "datetime | None"),
        ("updated_at", "str | None"),
        ("version", "int"),
        ("version", "int | None"),
        ("ttl", "int"),
        ("ttl", "int | None"),
        ("ttl", "datetime"),
        ("ttl", "datetime | None"),
    ],
)
def test_lifecycle_roles_accept_their_annotations(role: str, annotation: str) -> None:
    model = dataclasses.make_dataclass(
        "GoodLifecycle",
        [("pk", "str", dynamorm_field(roles=["pk"])), ("value", annotation, dynamorm_field(roles=[role]))],
        namespace={"__module__": __name__},
    )
    definition: ModelDefinition[Any] = ModelDefinition.from_dataclass(model)
    assert getattr(definition, role) is definition.attributes["value"]


def test_a_field_with_two_lifecycle_roles_is_rejected() -> None:
    @dataclass
    class TwoRoles:
        pk: str = dynamorm_field(roles=["pk"])
        stamp: str = dynamorm_field(roles=["created_at", "updated_at"], default="")

    assert "two lifecycle roles" in str(_definition_error(TwoRoles))


def test_two_fields_with_the_same_lifecycle_role_are_rejected() -> None:
    @dataclass
    class TwoVersions:
        pk: str = dynamorm_field(roles=["pk"])
        a: int = dynamorm_field(roles=["version"], default=0)
        b: int = dynamorm_field(roles=["version"], default=0)

    assert "more than one field has role 'version'" in str(_definition_error(TwoVersions))


def test_lifecycle_properties_return_the_role_attributes() -> None:
    @dataclass
    class Lifecycle:
        pk: str = dynamorm_field(roles=["pk"])
        created: datetime | None = dynamorm_field(roles=["created_at"], name="createdAt", default=None)
        updated: str | None = dynamorm_field(roles=["updated_at"], name="updatedAt", default=None)
        version: int = dynamorm_field(roles=["version"], default=0)
        expires: datetime | None = dynamorm_field(roles=["ttl"], name="ttl", omitempty=True, default=None)

    definition = ModelDefinition.from_dataclass(Lifecycle)
    assert definition.created_at is not None and definition.created_at.attribute_name == "createdAt"
    assert definition.updated_at is not None and definition.updated_at.attribute_name == "updatedAt"
    assert definition.version is not None and definition.version.python_name == "version"
    assert definition.ttl is not None and definition.ttl.attribute_name == "ttl"
    assert definition.ttl.omitempty


def test_a_model_without_lifecycle_roles_has_none_of_the_properties() -> None:
    definition = ModelDefinition.from_dataclass(Keyed)
    assert (definition.created_at, definition.updated_at, definition.version, definition.ttl) == (None,) * 4


def test_an_empty_role_is_rejected() -> None:
    @dataclass
    class EmptyRole:
        pk: str = dynamorm_field(roles=["pk", ""])

    assert "empty role" in str(_definition_error(EmptyRole))


def test_roles_given_as_a_plain_string_are_rejected_by_dynamorm_field() -> None:
    with pytest.raises(ValidationError, match="roles must be a list of strings"):
        dynamorm_field(roles="pk")


# --- options the library would otherwise ignore -----------------------------------------------------------


def _field_model(annotation: Any, spec: Any, name: str = "Opts") -> type:
    return dataclasses.make_dataclass(
        name, [("pk", str, dynamorm_field(roles=["pk"])), ("x", annotation, spec)], namespace={}
    )


@pytest.mark.parametrize(
    ("role", "hint"),
    [
        ("verison", "version"),
        ("created-at", "created_at"),
        ("PK", None),
        ("audit", None),
        ("index:gsi-a", None),
    ],
)
def test_an_unknown_role_is_rejected_listing_the_valid_roles(role: str, hint: str | None) -> None:
    error = _definition_error(_field_model(str, dynamorm_field(roles=[role], default="")))
    message = str(error)
    assert f"unknown role {role!r}" in message
    assert "pk, sk, created_at, updated_at, version, ttl, index_pk:<index>, index_sk:<index>" in message
    if hint is not None:
        assert f"did you mean {hint!r}" in message


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["version", "version"], "role 'version' is given twice"),
        (["index_pk:gsi-a", "index_pk:gsi-a"], "role 'index_pk:gsi-a' is given twice"),
        (
            ["index_pk:gsi-a", "index_sk:gsi-a"],
            "index_pk and index_sk of index 'gsi-a' cannot be the same field",
        ),
        (["ttl", None], "every role must be a non-empty string"),
        (["ttl", 1], "every role must be a non-empty string"),
    ],
)
def test_roles_given_twice_or_combined_impossibly_are_rejected(roles: list[Any], expected: str) -> None:
    assert expected in str(_definition_error(_field_model(int, dynamorm_field(roles=roles, default=0))))


def test_a_field_that_is_both_partition_and_sort_key_is_rejected() -> None:
    model = dataclasses.make_dataclass(
        "Both", [("pk", str, dynamorm_field(roles=["pk", "sk"]))], namespace={}
    )
    assert "both the partition key and the sort key" in str(_definition_error(model))


@pytest.mark.parametrize("roles", [{"pk"}, "pk", frozenset({"ttl"})], ids=repr)
def test_roles_that_are_not_a_list_are_rejected_in_hand_built_metadata(roles: Any) -> None:
    spec = dataclasses.field(default=0, metadata={"dynamorm": {"roles": roles}})
    assert "roles must be a list of strings" in str(_definition_error(_field_model(int, spec)))


@pytest.mark.parametrize("option", ["omitempty", "set_", "json", "binary", "encrypted", "ignore"])
@pytest.mark.parametrize("value", [1, "yes", None, 0], ids=repr)
def test_bool_options_must_be_bools(option: str, value: Any) -> None:
    error = _definition_error(_field_model(bytes, dynamorm_field(default=b"", **{option: value})))
    assert f"{option} must be True or False" in str(error)


def test_an_unknown_option_in_hand_built_metadata_is_rejected() -> None:
    spec = dataclasses.field(default_factory=list, metadata={"dynamorm": {"set": True}})
    message = str(_definition_error(_field_model(list[str], spec)))
    assert "unknown option 'set'" in message and "did you mean 'set_'" in message


def test_metadata_that_is_not_a_mapping_is_rejected() -> None:
    spec = dataclasses.field(default="", metadata={"dynamorm": ["pk"]})
    assert "must be a mapping of options" in str(_definition_error(_field_model(str, spec)))


class UpperConverter:
    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return value


def test_a_converter_class_instead_of_an_instance_is_rejected() -> None:
    spec = dynamorm_field(converter=UpperConverter, default="")  # type: ignore[arg-type]  # on purpose
    error = _definition_error(_field_model(str, spec))
    assert "converter must be an instance, not the class UpperConverter" in str(error)


@pytest.mark.parametrize(
    ("annotation", "dynamodb_type", "expected"),
    [
        (str, 1, "unknown dynamodb_type '1'"),
        (
            str,
            "s",
            "unknown dynamodb_type 's' (valid: S, N, B, BOOL, NULL, M, L, SS, NS, BS); did you mean 'S'?",
        ),
        (str, "N", "dynamodb_type 'N' disagrees with the annotation, stored as S"),
        (int, "S", "dynamodb_type 'S' disagrees with the annotation, stored as N"),
        (list[str], "M", "dynamodb_type 'M' disagrees with the annotation, stored as L"),
        (set[str], "NS", "dynamodb_type 'NS' disagrees with the annotation, stored as SS"),
    ],
)
def test_a_dynamodb_type_the_codec_would_not_follow_is_rejected(
    annotation: Any, dynamodb_type: Any, expected: str
) -> None:
    error = _definition_error(
        _field_model(annotation, dynamorm_field(dynamodb_type=dynamodb_type, default=None))
    )
    assert expected in str(error)


def _attribute_type(annotation: Any, **options: Any) -> str:
    definition: ModelDefinition[Any] = ModelDefinition.from_dataclass(
        _field_model(annotation, dynamorm_field(default=None, **options))
    )
    return definition.attribute_type("x")


def test_dynamodb_type_must_agree_with_a_plain_annotation_unless_a_converter_decides() -> None:
    assert "disagrees" in str(
        _definition_error(_field_model(str, dynamorm_field(dynamodb_type="N", default="")))
    )
    assert _attribute_type(str, dynamodb_type="S") == "S"
    assert _attribute_type(list[str], dynamodb_type="SS") == "SS"
    assert _attribute_type(Any, dynamodb_type="N") == "N"
    assert _attribute_type(list, converter=UpperConverter(), dynamodb_type="N") == "N"


def test_binary_needs_a_bytes_annotation_or_a_converter() -> None:
    assert "binary=True needs" in str(
        _definition_error(_field_model(str, dynamorm_field(binary=True, default="")))
    )
    assert _attribute_type(bytes, binary=True) == "B"
    assert _attribute_type(Optional[bytearray], binary=True) == "B"  # noqa: UP045
    assert _attribute_type(str, binary=True, converter=UpperConverter()) == "B"


def test_set_flag_needs_a_collection_annotation() -> None:
    assert "set_=True needs" in str(
        _definition_error(_field_model(int, dynamorm_field(set_=True, default=0)))
    )
    assert _attribute_type(tuple[int, ...], set_=True) == "NS"


@pytest.mark.parametrize(
    ("annotation", "options", "expected"),
    [
        (str, {"binary": True}, "binary=True needs a bytes annotation or a converter"),
        (int, {"binary": True}, "binary=True needs a bytes annotation or a converter"),
        (str, {"set_": True}, "set_=True needs a set, list or tuple annotation"),
        (dict[str, str], {"set_": True}, "set_=True needs a set, list or tuple annotation"),
        (set[str], {"json": True}, "a set-typed field cannot be json"),
        (list[str], {"set_": True, "json": True}, "set_ cannot be combined with json or binary"),
        (list[bytes], {"set_": True, "binary": True}, "set_ cannot be combined with json or binary"),
    ],
)
def test_options_the_codec_would_ignore_are_rejected(
    annotation: Any, options: dict[str, Any], expected: str
) -> None:
    assert expected in str(
        _definition_error(_field_model(annotation, dynamorm_field(default=None, **options)))
    )


@pytest.mark.parametrize(
    "options",
    [{"name": "cache"}, {"roles": ["ttl"]}, {"omitempty": True}, {"encrypted": True}, {"json": True}],
    ids=repr,
)
def test_an_ignored_field_with_other_options_is_rejected(options: dict[str, Any]) -> None:
    error = _definition_error(_field_model(Any, dynamorm_field(ignore=True, default=None, **options)))
    assert "an ignored field takes no other options" in str(error)
    assert next(iter(options)) in str(error)


# --- from_dataclass arguments and index declarations -------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"table_name": ""}, "table_name must be a non-empty string or None"),
        ({"table_name": 7}, "table_name must be a non-empty string or None"),
        (
            {"indexes": gsi("by-status", partition="status")},
            "indexes must be a list of gsi()/lsi() declarations",
        ),
        ({"indexes": "by-status"}, "indexes must be a list of gsi()/lsi() declarations"),
        ({"indexes": {"by-status": "status"}}, "indexes must be a list of gsi()/lsi() declarations"),
        ({"naming": ["camelCase"]}, "naming must be None, 'camelCase' or 'snake_case'"),
    ],
    ids=repr,
)
def test_from_dataclass_arguments_are_checked(kwargs: dict[str, Any], expected: str) -> None:
    assert expected in str(_definition_error(Keyed, **kwargs))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (IndexSpec(["by-status"], "GSI", "status"), "must be 3-255 characters"),  # type: ignore[arg-type]
        (IndexSpec("by-status", "GSI", ["status"]), "partition and sort must be field names"),  # type: ignore[arg-type]
        (IndexSpec("by-status", "GSI", "status", 1), "partition and sort must be field names"),  # type: ignore[arg-type]
        (gsi("by-status", partition="status", projection="ALL"), "projection must be Projection.all()"),  # type: ignore[arg-type]
        (gsi("by-status", partition="status", sort="status"), "partition and sort are the same field"),
        (
            gsi("by-status", partition="status", projection=Projection("ALL", ("secret",))),
            "only an INCLUDE projection takes fields",
        ),
        (
            gsi("by-status", partition="status", projection=Projection("KEYS_ONLY", ("secret",))),
            "only an INCLUDE projection takes fields",
        ),
        (
            gsi("by-status", partition="status", projection=Projection.include("secret", "secret")),
            "an INCLUDE projection names a field twice",
        ),
        (
            gsi("by-status", partition="status", projection=Projection("INCLUDE", ["secret"])),  # type: ignore[arg-type]
            "projection fields must be attribute names",
        ),
        (
            gsi("by-status", partition="status", projection=Projection.include("")),
            "projection fields must be attribute names",
        ),
    ],
)
def test_index_declarations_the_library_would_misread_are_rejected(spec: IndexSpec, expected: str) -> None:
    assert expected in str(_definition_error(Keyed, indexes=[spec]))


def test_an_include_projection_naming_a_renamed_field_by_its_python_name_is_rejected() -> None:
    @dataclass
    class Renamed:
        pk: str = dynamorm_field(roles=["pk"])
        status: str = ""
        email_hash: str = dynamorm_field(name="emailHash", default="")

    spec = gsi("by-status", partition="status", projection=Projection.include("email_hash"))
    error = _definition_error(Renamed, indexes=[spec])
    assert "INCLUDE takes attribute names; field 'email_hash' is stored as 'emailHash'" in str(error)
    accepted = gsi(
        "by-status", partition="status", projection=Projection.include("emailHash", "other-model-attr")
    )
    assert ModelDefinition.from_dataclass(Renamed, indexes=[accepted]).indexes[0].projection.fields == (
        "emailHash",
        "other-model-attr",
    )


# --- indexes -----------------------------------------------------------------------------------------------


def test_gsi_and_lsi_resolve_to_attribute_names() -> None:
    @dataclass
    class Indexed:
        pk: str = dynamorm_field(roles=["pk"], name="PK")
        sk: str = dynamorm_field(roles=["sk"], name="SK")
        email_hash: str = dynamorm_field(name="emailHash", default="")
        rank: int = 0

    definition = ModelDefinition.from_dataclass(
        Indexed,
        indexes=[
            gsi("gsi-email", partition="email_hash", projection=Projection.keys_only()),
            lsi("lsi-rank", sort="rank", projection=Projection.include("emailHash")),
        ],
    )
    assert definition.indexes == (
        IndexDefinition("gsi-email", "GSI", "emailHash", None, Projection("KEYS_ONLY")),
        IndexDefinition("lsi-rank", "LSI", "PK", "rank", Projection("INCLUDE", ("emailHash",))),
    )
    assert definition.index("lsi-rank") is definition.indexes[1]
    assert definition.index("missing") is None


def test_index_naming_an_unknown_partition_field_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[gsi("by-nothing", partition="nothing")])
    assert "index 'by-nothing' names unknown field 'nothing'" in str(error)


def test_index_naming_an_unknown_sort_field_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[gsi("by-status", partition="status", sort="nothing")])
    assert "names unknown field 'nothing'" in str(error)


def test_lsi_on_a_table_without_sort_key_is_rejected() -> None:
    @dataclass
    class NoSk:
        pk: str = dynamorm_field(roles=["pk"])
        rank: int = 0

    error = _definition_error(NoSk, indexes=[lsi("lsi-rank", sort="rank")])
    assert "LSI 'lsi-rank' needs a table with a sort key" in str(error)


def test_lsi_whose_partition_differs_from_the_tables_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[IndexSpec("lsi-status", "LSI", partition="status", sort="sk")])
    assert "LSI 'lsi-status' must use the table's partition key" in str(error)


def test_lsi_without_sort_key_is_rejected() -> None:
    error = _definition_error(Keyed, indexes=[IndexSpec("lsi-none", "LSI", partition="pk")])
    assert "LSI 'lsi-none' needs a sort key" in str(error)


def test_duplicate_index_names_are_rejected() -> None:
    error = _definition_error(
        Keyed, indexes=[gsi("by-status", partition="status"), gsi("by-status", partition="sk")]
    )
    assert "index name 'by-status' is used twice" in str(error)


@pytest.mark.parametrize("name", ["ab", "has space", "x" * 256, "bad/name", "abc\n", ""])
def test_bad_index_names_are_rejected(name: str) -> None:
    error = _definition_error(Keyed, indexes=[gsi(name, partition="status")])
    assert "must be 3-255 characters of [A-Za-z0-9_.-]" in str(error)


@pytest.mark.parametrize("name", ["abc", "gsi-email.v2_x", "x" * 255])
def test_index_names_of_the_allowed_alphabet_are_accepted(name: str) -> None:
    definition = ModelDefinition.from_dataclass(Keyed, indexes=[gsi(name, partition="status")])
    assert definition.indexes[0].name == name


def test_index_type_must_be_gsi_or_lsi() -> None:
    error = _definition_error(Keyed, indexes=[IndexSpec("by-status", "LOCAL", partition="status")])
    assert "type must be GSI or LSI" in str(error)


def test_index_projection_type_and_include_fields_are_checked() -> None:
    bad_type = _definition_error(
        Keyed, indexes=[gsi("by-status", partition="status", projection=Projection("X"))]
    )
    assert "projection must be ALL, KEYS_ONLY or INCLUDE" in str(bad_type)
    empty = _definition_error(
        Keyed, indexes=[gsi("by-status", partition="status", projection=Projection.include())]
    )
    assert "an INCLUDE projection needs fields" in str(empty)


def test_index_declarations_must_be_index_specs() -> None:
    error = _definition_error(Keyed, indexes=[("by-status", "GSI", "status")])
    assert "indexes must be IndexSpec values" in str(error)


def test_index_key_of_type_list_is_rejected() -> None:
    @dataclass
    class ListIndex:
        pk: str = dynamorm_field(roles=["pk"])
        items: list[str] = dataclasses.field(default_factory=list)

    error = _definition_error(ListIndex, indexes=[gsi("by-items", partition="items")])
    assert "index key 'items' must be a string, number or binary (is L)" in str(error)


def test_index_roles_create_a_gsi() -> None:
    @dataclass
    class RoleIndexed:
        pk: str = dynamorm_field(roles=["pk"], name="PK")
        status: str = dynamorm_field(roles=["index_pk:gsi-status"], default="")
        created: datetime | None = dynamorm_field(
            roles=["created_at", "index_sk:gsi-status"], name="createdAt", default=None
        )

    definition = ModelDefinition.from_dataclass(RoleIndexed)
    assert definition.indexes == (
        IndexDefinition("gsi-status", "GSI", "status", "createdAt", Projection.all()),
    )
    assert definition.attribute_type("createdAt") == "S"


def test_index_roles_agreeing_with_a_declaration_merge_into_it() -> None:
    @dataclass
    class Declared:
        pk: str = dynamorm_field(roles=["pk"])
        status: str = dynamorm_field(roles=["index_pk:gsi-status"], default="")

    definition = ModelDefinition.from_dataclass(
        Declared, indexes=[gsi("gsi-status", partition="status", projection=Projection.keys_only())]
    )
    assert definition.indexes == (
        IndexDefinition("gsi-status", "GSI", "status", None, Projection("KEYS_ONLY")),
    )


def test_index_roles_disagreeing_with_a_declaration_are_rejected() -> None:
    @dataclass
    class Disagree:
        pk: str = dynamorm_field(roles=["pk"])
        status: str = dynamorm_field(roles=["index_pk:gsi-status"], default="")
        other: str = ""

    error = _definition_error(Disagree, indexes=[gsi("gsi-status", partition="other")])
    assert "roles disagree with its declaration" in str(error)


def test_an_index_sk_role_without_index_pk_is_rejected() -> None:
    @dataclass
    class HalfIndex:
        pk: str = dynamorm_field(roles=["pk"])
        rank: int = dynamorm_field(roles=["index_sk:by-rank"], default=0)

    assert "has an index_sk role but no index_pk role" in str(_definition_error(HalfIndex))


def test_an_index_role_without_a_name_is_rejected() -> None:
    @dataclass
    class Nameless:
        pk: str = dynamorm_field(roles=["pk"])
        status: str = dynamorm_field(roles=["index_pk:"], default="")

    assert "names no index" in str(_definition_error(Nameless))


# --- attribute names and naming conventions ----------------------------------------------------------------


def test_two_fields_mapping_to_one_attribute_name_are_rejected() -> None:
    @dataclass
    class Clash:
        pk: str = dynamorm_field(roles=["pk"])
        a: str = dynamorm_field(name="same", default="")
        b: str = dynamorm_field(name="same", default="")

    error = _definition_error(Clash)
    assert "fields 'a' and 'b' map to the same attribute 'same'" in str(error)
    assert error.field == "same"


def test_a_rename_colliding_with_another_fields_name_is_rejected() -> None:
    @dataclass
    class Clash:
        pk: str = dynamorm_field(roles=["pk"])
        status: str = ""
        state: str = dynamorm_field(name="status", default="")

    assert "map to the same attribute 'status'" in str(_definition_error(Clash))


def test_an_empty_attribute_name_is_rejected() -> None:
    @dataclass
    class Empty:
        pk: str = dynamorm_field(roles=["pk"])
        x: str = dynamorm_field(name="", default="")

    assert "attribute name of 'x' must be 1-255 bytes" in str(_definition_error(Empty))


def test_an_attribute_name_of_256_bytes_is_rejected_and_255_accepted() -> None:
    too_long = dataclasses.make_dataclass(
        "TooLong", [("pk", str, dynamorm_field(roles=["pk"])), ("x", str, dynamorm_field(name="é" * 128))]
    )
    assert "must be 1-255 bytes" in str(_definition_error(too_long))
    longest = dataclasses.make_dataclass(
        "Longest",
        [("pk", str, dynamorm_field(roles=["pk"])), ("x", str, dynamorm_field(name="a" + "é" * 127))],
    )
    assert ModelDefinition.from_dataclass(longest).attributes["x"].attribute_name == "a" + "é" * 127


def test_an_attribute_name_with_a_lone_surrogate_is_rejected() -> None:
    model = dataclasses.make_dataclass(
        "Surrogate", [("pk", str, dynamorm_field(roles=["pk"])), ("x", str, dynamorm_field(name="a\ud800"))]
    )
    assert "not valid Unicode" in str(_definition_error(model))


def test_camel_case_naming_converts_field_names() -> None:
    @dataclass
    class Camel:
        pk: str = dynamorm_field(roles=["pk"], name="PK")
        sk: str = dynamorm_field(roles=["sk"], name="SK")
        email_hash: str = ""
        created_at_utc: str = ""
        nickname: str = ""
        explicit: str = dynamorm_field(name="customName", default="")

    definition = ModelDefinition.from_dataclass(Camel, naming="camelCase")
    names = {name: a.attribute_name for name, a in definition.attributes.items()}
    assert names == {
        "pk": "PK",
        "sk": "SK",
        "email_hash": "emailHash",
        "created_at_utc": "createdAtUtc",
        "nickname": "nickname",
        "explicit": "customName",
    }
    assert definition.naming == "camelCase"


def test_camel_case_naming_rejects_a_name_outside_its_pattern() -> None:
    @dataclass
    class BadCamel:
        pk: str = dynamorm_field(roles=["pk"], name="PK")
        x: str = dynamorm_field(name="Bad-Name", default="")

    error = _definition_error(BadCamel, naming="camelCase")
    assert "attribute 'Bad-Name' does not follow the camelCase convention" in str(error)


def test_camel_case_conversion_of_a_leading_underscore_is_rejected() -> None:
    @dataclass
    class Leading:
        pk: str = dynamorm_field(roles=["pk"], name="PK")
        _hidden: str = ""

    assert "does not follow the camelCase convention" in str(_definition_error(Leading, naming="camelCase"))


def test_snake_case_naming_keeps_field_names_and_rejects_a_bad_explicit_name() -> None:
    @dataclass
    class Snake:
        pk: str = dynamorm_field(roles=["pk"])
        email_hash: str = ""

    definition = ModelDefinition.from_dataclass(Snake, naming="snake_case")
    assert definition.attributes["email_hash"].attribute_name == "email_hash"

    @dataclass
    class BadSnake:
        pk: str = dynamorm_field(roles=["pk"])
        email_hash: str = dynamorm_field(name="emailHash", default="")

    error = _definition_error(BadSnake, naming="snake_case")
    assert "attribute 'emailHash' does not follow the snake_case convention" in str(error)
    assert error.field == "emailHash"


def test_snake_case_rejects_the_pk_exception_of_camel_case() -> None:
    @dataclass
    class UpperPk:
        pk: str = dynamorm_field(roles=["pk"], name="PK")

    assert "snake_case" in str(_definition_error(UpperPk, naming="snake_case"))


def test_naming_convention_patterns_reject_a_trailing_newline() -> None:
    @dataclass
    class Newline:
        pk: str = dynamorm_field(roles=["pk"], name="pk\n")

    assert "does not follow the camelCase convention" in str(_definition_error(Newline, naming="camelCase"))


def test_an_unknown_naming_convention_is_rejected() -> None:
    assert "naming must be None" in str(_definition_error(Keyed, naming="kebab-case"))


def test_without_a_convention_names_are_not_checked() -> None:
    @dataclass
    class Free:
        pk: str = dynamorm_field(roles=["pk"], name="Weird Name#1")

    assert ModelDefinition.from_dataclass(Free).pk.attribute_name == "Weird Name#1"


# --- dataclass checks and field options --------------------------------------------------------------------


def test_a_plain_class_is_rejected() -> None:
    class NotADataclass:
        pk: str

    error = _definition_error(NotADataclass)
    assert "NotADataclass is not a dataclass type" in str(error)


def test_a_dataclass_instance_is_rejected_without_its_values_in_the_message() -> None:
    instance = Keyed(pk="secret-partition", sk="secret-sort")
    error = _definition_error(instance)
    assert "an instance of Keyed is not a dataclass type" in str(error)
    assert "secret-partition" not in str(error)


def test_dynamorm_field_rejects_default_and_default_factory_together() -> None:
    with pytest.raises(ValidationError) as info:
        dynamorm_field(default="", default_factory=str)
    assert isinstance(info.value, ValueError)
    assert info.value.code == ERR_INVALID_MODEL
    assert "not both" in str(info.value)


def test_dynamorm_field_stores_its_options_in_metadata() -> None:
    f = dynamorm_field(name="n", roles=["pk"], omitempty=True, default="x")
    assert isinstance(f, dataclasses.Field)
    assert f.default == "x"
    assert f.metadata["dynamorm"]["name"] == "n"
    assert f.metadata["dynamorm"]["roles"] == ("pk",)
    factory_field = dynamorm_field(default_factory=list)
    assert factory_field.default_factory is list


def test_ignored_fields_are_not_attributes() -> None:
    @dataclass
    class WithIgnored:
        pk: str = dynamorm_field(roles=["pk"])
        cache: dict[str, int] = dynamorm_field(ignore=True, default_factory=dict)
        kept: int = 0

    definition = ModelDefinition.from_dataclass(WithIgnored)
    assert list(definition.attributes) == ["pk", "kept"]
    encoded = definition.codec.encode_item(WithIgnored(pk="a", cache={"x": 1}, kept=2))
    assert encoded.item == {"pk": {"S": "a"}, "kept": {"N": "2"}}
    assert definition.codec.decode_item(encoded.item) == WithIgnored(pk="a", kept=2)


def test_fields_without_dynamorm_field_are_attributes_named_after_the_field() -> None:
    definition = ModelDefinition.from_dataclass(Keyed)
    plain = definition.attributes["status"]
    assert plain == AttributeDefinition(
        python_name="status",
        attribute_name="status",
        roles=(),
        omitempty=False,
        set=False,
        json=False,
        binary=False,
        encrypted=False,
    )


def test_json_and_binary_together_are_rejected() -> None:
    @dataclass
    class Both:
        pk: str = dynamorm_field(roles=["pk"])
        x: bytes = dynamorm_field(json=True, binary=True, default=b"")

    assert "cannot be both json and binary" in str(_definition_error(Both))


def test_an_unknown_dynamodb_type_is_rejected() -> None:
    @dataclass
    class BadType:
        pk: str = dynamorm_field(roles=["pk"])
        x: str = dynamorm_field(dynamodb_type="STRING", default="")

    assert "unknown dynamodb_type 'STRING'" in str(_definition_error(BadType))


def test_a_converter_without_both_methods_is_rejected() -> None:
    class HalfConverter:
        def to_dynamodb(self, value: Any) -> Any:
            return value

    @dataclass
    class BadConverter:
        pk: str = dynamorm_field(roles=["pk"])
        x: str = dynamorm_field(converter=HalfConverter(), default="")  # type: ignore[arg-type]  # on purpose

    assert "converter lacks to_dynamodb/from_dynamodb" in str(_definition_error(BadConverter))


def test_unresolvable_annotations_are_a_definition_error() -> None:
    @dataclass
    class Unresolvable:
        pk: str = dynamorm_field(roles=["pk"])
        x: NoSuchType = None  # type: ignore[name-defined]  # noqa: F821 - unresolvable on purpose

    assert "cannot resolve annotations" in str(_definition_error(Unresolvable))


# --- annotations --------------------------------------------------------------------------------------------


def test_string_annotations_resolve_for_every_supported_shape() -> None:
    definition = ModelDefinition.from_dataclass(Everything)
    types = {
        a.attribute_name: definition.attribute_type(a.attribute_name) for a in definition.attributes.values()
    }
    assert types == {
        "pk": "S",
        "sk": "N",
        "optional_pipe": "N",
        "optional_typing": "N",
        "tags": "SS",
        "scores": "NS",
        "nested": "M",
        "mapping": "M",
        "address": "M",
        "when": "S",
        "blob": "B",
    }
    assert definition.attributes["tags"].set and definition.attributes["scores"].set
    assert not definition.attributes["nested"].set


def test_string_annotations_drive_decoding_through_optional_and_containers() -> None:
    definition = ModelDefinition.from_dataclass(Everything)
    item = Everything(
        pk="p",
        sk=7,
        optional_pipe=5,
        optional_typing=Decimal("1.10"),
        tags={"a", "b"},
        scores=frozenset({1, 2}),
        nested={"k": [(1, 2), (3,)]},
        mapping={"m": [0.5, 1.0]},
        address=Address("Main St", None),
        when=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        blob=b"\x00\xff",
    )
    encoded = definition.codec.encode_item(item)
    decoded = definition.codec.decode_item(encoded.item)
    assert decoded == item
    assert type(decoded.sk) is int
    assert type(decoded.optional_typing) is Decimal
    assert type(decoded.scores) is frozenset
    assert type(decoded.nested["k"][0]) is tuple
    assert type(decoded.address) is Address


def test_bare_set_annotations_are_set_typed() -> None:
    @dataclass
    class Bare:
        pk: str = dynamorm_field(roles=["pk"])
        plain: set = dataclasses.field(default_factory=set)  # type: ignore[type-arg]  # bare on purpose
        abstract: AbstractSet[str] = frozenset()
        mutable: MutableSet[int] = dataclasses.field(default_factory=set)

    definition = ModelDefinition.from_dataclass(Bare)
    assert all(definition.attributes[name].set for name in ("plain", "abstract", "mutable"))
    decoded = definition.codec.decode_item(
        {"pk": {"S": "a"}, "plain": {"NULL": True}, "abstract": {"SS": ["x"]}}
    )
    assert decoded.plain == set()
    assert decoded.abstract == {"x"}


def test_set_flag_makes_a_list_annotated_field_set_typed() -> None:
    @dataclass
    class Flagged:
        pk: str = dynamorm_field(roles=["pk"])
        tags: list[str] = dynamorm_field(set_=True, default_factory=list)

    definition = ModelDefinition.from_dataclass(Flagged)
    assert definition.attributes["tags"].set
    assert definition.attribute_type("tags") == "SS"


def test_model_name_defaults_to_the_class_name_and_table_name_is_kept() -> None:
    definition = ModelDefinition.from_dataclass(Keyed, table_name="things")
    assert definition.name == "Keyed"
    assert definition.table_name == "things"
    assert definition.model_type is Keyed
    assert definition.sk is not None and definition.sk.python_name == "sk"


def test_attribute_type_of_an_unknown_attribute_is_a_definition_error() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        ModelDefinition.from_dataclass(Keyed).attribute_type("nope")
    assert info.value.field == "nope"
