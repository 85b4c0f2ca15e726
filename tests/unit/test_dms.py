"""DMS documents: YAML 1.2 parsing, every validation rule, generated models, export and equivalence."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dynamorm_py import DmsWarning, ModelDefinition, dump_dms_document, load_dms_file, models_from_dms
from dynamorm_py._blocks.dms import python_field_name
from dynamorm_py.dms import (
    assert_model_definition_equivalent_to_dms,
    get_dms_model,
    parse_dms_document,
)
from dynamorm_py.errors import ModelDefinitionError, ValidationError
from dynamorm_py.model import Projection, dynamorm_field, gsi, lsi

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dms"


def base_doc() -> dict[str, Any]:
    """A small valid document; tests mutate a copy and feed it as JSON (JSON is YAML)."""
    return {
        "dms_version": "0.1",
        "models": [
            {
                "name": "User",
                "table": {"name": "users"},
                "keys": {
                    "partition": {"attribute": "PK", "type": "S"},
                    "sort": {"attribute": "SK", "type": "S"},
                },
                "attributes": [
                    {"attribute": "PK", "type": "S", "required": True, "roles": ["pk"]},
                    {"attribute": "SK", "type": "S", "required": True, "roles": ["sk"]},
                    {"attribute": "emailHash", "type": "S", "optional": True},
                    {"attribute": "score", "type": "N", "optional": True},
                    {"attribute": "createdAt", "type": "S", "roles": ["created_at"]},
                ],
                "indexes": [
                    {"name": "gsi-email", "type": "GSI", "partition": {"attribute": "emailHash", "type": "S"}}
                ],
            }
        ],
    }


def parse(doc: Any, **kwargs: Any) -> dict[str, Any]:
    return parse_dms_document(json.dumps(doc), **kwargs)


def model_of(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["models"][0]
    return result


def attribute_of(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in model_of(doc)["attributes"] if a["attribute"] == name)


def invalid(raw: str, *parts: str, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_dms_document(raw, **kwargs)
    assert info.value.code == "ErrInvalidModel"
    for part in parts:
        assert part in info.value.message
    return info.value


# syntax: YAML 1.2 core schema -------------------------------------------------------------------------------

TAGS_DOC = """dms_version: "0.1"
models:
  - name: User
    table: {name: users}
    keys: {partition: {attribute: PK, type: S}}
    attributes:
      - attribute: PK
        type: S
        tags: {value: VALUE}
"""


def tag_value(scalar: str) -> Any:
    doc = parse_dms_document(TAGS_DOC.replace("VALUE", scalar))
    return attribute_of(doc, "PK")["tags"]["value"]


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("n", "n"),
        ("1:30", "1:30"),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("017", 17),
        ("0o17", 15),
        ("0x1F", 31),
        ("-5", -5),
        ("1e3", 1000.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("~", None),
        ("null", None),
        ("NULL", None),
        ("''", ""),
        ('"017"', "017"),
        ("!!str 5", "5"),
        ("!!int 5", 5),
        ("!!float 5", 5.0),
    ],
)
def test_scalars_resolve_as_yaml_1_2_core_schema(scalar: str, expected: Any) -> None:
    value = tag_value(scalar)

    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("scalar", "problem"),
    [
        (".nan", "non-finite"),
        (".inf", "non-finite"),
        ("-.Inf", "non-finite"),
        ("1e999", "out of range"),
        ("!!timestamp 2024-01-01", "tag"),
        ("!!binary aGVsbG8=", "tag"),
        ("!custom x", "tag"),
        ("!!python/object:os.system x", "tag"),
        ("!!bool yes", "not a boolean"),
        ("!!int 1.5", "not an integer"),
        ("!!null x", "not null"),
        ("&anchor x", "anchors"),
    ],
)
def test_forbidden_scalars_are_rejected(scalar: str, problem: str) -> None:
    invalid(TAGS_DOC.replace("VALUE", scalar), problem)


def test_aliases_are_rejected() -> None:
    raw = TAGS_DOC.replace("tags: {value: VALUE}", "tags: {value: *a}")
    invalid(raw, "aliases")


def test_anchor_on_a_mapping_is_rejected_with_its_position() -> None:
    raw = TAGS_DOC.replace("table: {name: users}", "table: &t {name: users}")
    invalid(raw, "anchors", "line 4")


def test_merge_keys_are_rejected() -> None:
    raw = TAGS_DOC.replace("tags: {value: VALUE}", "tags: {<<: {a: b}}")
    invalid(raw, "merge keys")


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    raw = TAGS_DOC.replace("tags: {value: VALUE}", 'tags: {"<<": x}')
    assert attribute_of(parse_dms_document(raw), "PK")["tags"] == {"<<": "x"}


@pytest.mark.parametrize("key", ["1", "true", "~", "[a, b]", "{a: b}"])
def test_non_string_keys_are_rejected(key: str) -> None:
    raw = TAGS_DOC.replace("tags: {value: VALUE}", f"tags: {{{key}: x}}")
    invalid(raw, "keys must be strings")


def test_duplicate_keys_are_rejected() -> None:
    raw = TAGS_DOC.replace(
        "    table: {name: users}\n", "    table: {name: users}\n    table: {name: other}\n"
    )
    invalid(raw, "duplicate key 'table'", "line 5")


def test_more_than_one_document_is_rejected() -> None:
    invalid(TAGS_DOC.replace("VALUE", "x") + "---\n" + TAGS_DOC.replace("VALUE", "x"), "more than one")


@pytest.mark.parametrize("raw", ["", "   \n\n", "\ufeff", "# only a comment\n", "---\n", "~\n"])
def test_empty_documents_are_rejected(raw: str) -> None:
    invalid(raw, "empty")


@pytest.mark.parametrize(
    "raw",
    [
        "this is: not: yaml: at all",
        "{unclosed",
        "models: [1, 2",
        "\x00\x01binary",
        "key: value\n  bad indentation: here\n other: x",
    ],
)
def test_text_that_is_not_yaml_is_a_typed_error(raw: str) -> None:
    invalid(raw, "YAML")


@pytest.mark.parametrize("raw", ["just a sentence", "[1, 2, 3]", "42", '"0.1"'])
def test_a_document_that_is_not_a_mapping_is_rejected(raw: str) -> None:
    invalid(raw, "must be a mapping")


def test_tabs_used_for_indentation_are_reported_with_their_line() -> None:
    raw = TAGS_DOC.replace("      - attribute: PK", "\t- attribute: PK")
    invalid(raw, "line 7, column 1", "'\\t'")


def test_bom_and_crlf_line_ends_are_accepted() -> None:
    raw = "\ufeff" + TAGS_DOC.replace("VALUE", "x").replace("\n", "\r\n")
    assert parse_dms_document(raw)["dms_version"] == "0.1"


def test_deeply_nested_junk_is_rejected_without_recursion_error() -> None:
    deep = "[" * 5000 + "]" * 5000
    invalid(TAGS_DOC.replace("VALUE", deep), "nested deeper")


def test_a_deep_mapping_given_as_python_objects_is_rejected() -> None:
    doc = base_doc()
    tags: dict[str, Any] = {}
    node = tags
    for _ in range(200):
        node["a"] = {}
        node = node["a"]
    attribute_of(doc, "PK")["tags"] = tags
    with pytest.raises(ValidationError, match="nested deeper"):
        models_from_dms(doc)


def test_huge_documents_are_rejected_before_parsing() -> None:
    invalid("#" * (16 * 1024 * 1024 + 1), "larger than")


def test_raw_must_be_text() -> None:
    with pytest.raises(ValidationError, match="raw must be") as info:
        parse_dms_document(b'dms_version: "0.1"')  # type: ignore[arg-type]
    assert info.value.field == "raw"


def test_a_huge_integer_is_a_typed_error() -> None:
    invalid(TAGS_DOC.replace("VALUE", "9" * 5000), "integer too long")


# top level ------------------------------------------------------------------------------------------------


def test_unquoted_version_is_rejected_with_a_hint() -> None:
    raw = TAGS_DOC.replace('dms_version: "0.1"', "dms_version: 0.1").replace("VALUE", "x")
    invalid(raw, 'quoted string "0.1"', "read as a number")


@pytest.mark.parametrize("version", ["0.2", "", "v0.1", " 0.1"])
def test_other_versions_are_rejected(version: str) -> None:
    doc = base_doc()
    doc["dms_version"] = version
    with pytest.raises(ValidationError, match="dms_version"):
        parse(doc)


def test_missing_version_is_rejected() -> None:
    doc = base_doc()
    del doc["dms_version"]
    with pytest.raises(ValidationError, match="dms_version is required"):
        parse(doc)


def test_models_as_a_mapping_is_rejected_with_a_hint() -> None:
    invalid('dms_version: "0.1"\nmodels: {}\n', "models must be a list", "not a mapping")


@pytest.mark.parametrize(("models", "problem"), [([], "must not be empty"), ("User", "must be a list")])
def test_models_must_be_a_non_empty_list(models: Any, problem: str) -> None:
    doc = base_doc()
    doc["models"] = models
    with pytest.raises(ValidationError, match=problem):
        parse(doc)


def test_model_names_are_unique() -> None:
    doc = base_doc()
    doc["models"].append(copy.deepcopy(model_of(doc)))
    with pytest.raises(ValidationError, match="User: model name used twice"):
        parse(doc)


def test_unknown_keys_warn_at_every_level() -> None:
    doc = base_doc()
    doc["owner"] = "team"
    model_of(doc)["comment"] = "x"
    attribute_of(doc, "emailHash")["pii"] = True
    model_of(doc)["indexes"][0]["note"] = 1
    with pytest.warns(DmsWarning) as record:
        parse(doc)
    messages = [str(w.message) for w in record]
    assert any("'owner'" in m for m in messages)
    assert any("'comment'" in m for m in messages)
    assert any("User.emailHash" in m and "'pii'" in m for m in messages)
    assert any("'note'" in m for m in messages)


def test_unknown_format_warns_and_is_ignored() -> None:
    doc = base_doc()
    attribute_of(doc, "emailHash")["format"] = "sha256"
    with pytest.warns(DmsWarning, match="User.emailHash: unknown format 'sha256'"):
        parse(doc)


def test_tags_and_encryption_contents_do_not_warn() -> None:
    doc = base_doc()
    attribute_of(doc, "emailHash")["tags"] = {"anything": 1}
    attribute_of(doc, "score")["encryption"] = {"v": 1, "extra": "x"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse(doc)


# validation: each failure names the model and the attribute ------------------------------------------------


def mutate(change: Any) -> dict[str, Any]:
    doc = base_doc()
    change(doc)
    return doc


BAD_DOCUMENTS = {
    "unknown type": (
        lambda d: attribute_of(d, "score").update(type="NUMBER"),
        "User.score: type must be one of",
    ),
    "key attribute missing": (
        lambda d: model_of(d)["keys"]["sort"].update(attribute="missing"),
        "User.missing: keys.sort names an attribute missing from attributes",
    ),
    "key type mismatch": (
        lambda d: model_of(d)["keys"]["partition"].update(type="N"),
        "User.PK: keys.partition says type N but the attribute has type S",
    ),
    "key type not scalar": (
        lambda d: model_of(d)["keys"]["partition"].update(type="SS"),
        "User.PK: keys.partition.type must be S, N or B",
    ),
    "encrypted key": (
        lambda d: attribute_of(d, "SK").update(encryption={"v": 1}),
        "User.SK: keys.sort: a key attribute cannot be encrypted",
    ),
    "encrypted index key": (
        lambda d: attribute_of(d, "emailHash").update(encryption={"v": 1}),
        "User.emailHash: index 'gsi-email' partition: a key attribute cannot be encrypted",
    ),
    "json on non-S": (
        lambda d: attribute_of(d, "score").update(json=True),
        "User.score: json requires type S",
    ),
    "binary on non-B": (
        lambda d: attribute_of(d, "score").update(binary=True),
        "User.score: binary requires type B",
    ),
    "json and binary": (
        lambda d: attribute_of(d, "emailHash").update(json=True, binary=True),
        "User.emailHash: json and binary cannot both be true",
    ),
    "duplicate attribute": (
        lambda d: model_of(d)["attributes"].append({"attribute": "score", "type": "S"}),
        "User.score: two attributes have this name",
    ),
    "LSI partition differs": (
        lambda d: model_of(d)["indexes"].append(
            {
                "name": "lsi-score",
                "type": "LSI",
                "partition": {"attribute": "emailHash", "type": "S"},
                "sort": {"attribute": "score", "type": "N"},
            }
        ),
        "User.emailHash: index 'lsi-score': an LSI's partition must be the table's keys.partition",
    ),
    "LSI without sort": (
        lambda d: model_of(d)["indexes"].append(
            {"name": "lsi-x", "type": "LSI", "partition": {"attribute": "PK", "type": "S"}}
        ),
        "User: index 'lsi-x': an LSI needs a sort key",
    ),
    "LSI without table sort": (
        lambda d: (
            model_of(d)["keys"].pop("sort"),
            attribute_of(d, "SK").update(roles=[]),
            model_of(d)["indexes"].append(
                {
                    "name": "lsi-x",
                    "type": "LSI",
                    "partition": {"attribute": "PK", "type": "S"},
                    "sort": {"attribute": "score", "type": "N"},
                }
            ),
        ),
        "User: index 'lsi-x': an LSI needs a table with keys.sort",
    ),
    "camelCase violation": (
        lambda d: attribute_of(d, "emailHash").update(attribute="email_hash"),
        "User.email_hash: attribute name does not follow the camelCase naming convention",
    ),
    "snake_case violation": (
        lambda d: model_of(d).update(naming={"convention": "snake_case"}),
        "User.PK: attribute name does not follow the snake_case naming convention",
    ),
    "unknown convention": (
        lambda d: model_of(d).update(naming={"convention": "kebab-case"}),
        "User: naming.convention must be camelCase or snake_case",
    ),
    "required and optional": (
        lambda d: attribute_of(d, "score").update(required=True, optional=True),
        "User.score: required and optional cannot both be true",
    ),
    "flag as yes": (
        lambda d: attribute_of(d, "score").update(optional="yes"),
        "User.score: optional must be true or false, not a string",
    ),
    "roles not a list": (
        lambda d: attribute_of(d, "score").update(roles="pk"),
        "User.score: roles must be a list of non-empty strings",
    ),
    "empty role": (
        lambda d: attribute_of(d, "score").update(roles=[""]),
        "User.score: roles must be a list of non-empty strings",
    ),
    "role twice on one attribute": (
        lambda d: attribute_of(d, "score").update(roles=["x", "x"]),
        "User.score: a role is listed twice",
    ),
    "role on two attributes": (
        lambda d: attribute_of(d, "score").update(type="S", roles=["created_at"]),
        "role 'created_at' is on two attributes",
    ),
    "pk role off the partition": (
        lambda d: attribute_of(d, "emailHash").update(roles=["pk"]),
        "role 'pk' is on two attributes",
    ),
    "sk role without sort key": (
        lambda d: (model_of(d)["keys"].pop("sort"),),
        "User.SK: role 'sk' but the model has no keys.sort",
    ),
    "lifecycle type": (
        lambda d: attribute_of(d, "createdAt").update(type="N"),
        "User.createdAt: role 'created_at' requires type S, not N",
    ),
    "version type": (
        lambda d: attribute_of(d, "emailHash").update(roles=["version"]),
        "User.emailHash: role 'version' requires type N",
    ),
    "lifecycle encrypted": (
        lambda d: attribute_of(d, "createdAt").update(encryption={"v": 1}),
        "User.createdAt: lifecycle attribute (created_at) cannot be encrypted",
    ),
    "lifecycle key": (
        lambda d: attribute_of(d, "SK").update(roles=["sk", "updated_at"]),
        "User.SK: lifecycle attribute (updated_at) cannot be a table key",
    ),
    "two lifecycle roles": (
        lambda d: attribute_of(d, "score").update(roles=["version", "ttl"]),
        "User.score: an attribute cannot have two lifecycle roles",
    ),
    "format type": (
        lambda d: attribute_of(d, "emailHash").update(format="unix_seconds"),
        "User.emailHash: format 'unix_seconds' requires type N, not S",
    ),
    "encryption not a mapping": (
        lambda d: attribute_of(d, "score").update(encryption=True),
        "User.score: encryption must be a mapping",
    ),
    "tags not a mapping": (
        lambda d: attribute_of(d, "score").update(tags=["a"]),
        "User.score: tags must be a mapping",
    ),
    "attribute name missing": (
        lambda d: model_of(d)["attributes"].append({"type": "S"}),
        "User: attributes[5]: attribute (the attribute name, a string) is required",
    ),
    "attribute name too long": (
        lambda d: attribute_of(d, "score").update(attribute="a" * 256),
        "User: attributes[3]: attribute name must be 1-255 bytes",
    ),
    "attribute not a mapping": (
        lambda d: model_of(d)["attributes"].append("score"),
        "User: attributes[5] must be a mapping",
    ),
    "attributes as a mapping": (
        lambda d: model_of(d).update(attributes={"PK": {"type": "S"}}),
        "User: attributes must be a list",
    ),
    "no attributes": (
        lambda d: model_of(d).update(attributes=[]),
        "User: attributes must be a non-empty list",
    ),
    "no keys": (lambda d: model_of(d).pop("keys"), "User: keys (with partition) must be a mapping"),
    "no partition": (lambda d: model_of(d)["keys"].pop("partition"), "User: keys.partition is required"),
    "same partition and sort": (
        lambda d: model_of(d)["keys"]["sort"].update(attribute="PK"),
        "User.PK: keys.partition and keys.sort are the same attribute",
    ),
    "no table": (lambda d: model_of(d).pop("table"), "User: table (with name) must be a mapping"),
    "bad table name": (lambda d: model_of(d)["table"].update(name="a b"), "User: table.name must be 3-255"),
    "short table name": (lambda d: model_of(d)["table"].update(name="ab"), "User: table.name must be 3-255"),
    "blank model name": (lambda d: model_of(d).update(name="  "), "models[0]: name is required"),
    "model not a mapping": (lambda d: d["models"].append("Order"), "models[1]: a model must be a mapping"),
    "bad index name": (
        lambda d: model_of(d)["indexes"][0].update(name="ix"),
        "indexes[0]: name must be 3-255",
    ),
    "duplicate index": (
        lambda d: model_of(d)["indexes"].append(copy.deepcopy(model_of(d)["indexes"][0])),
        "User: index name 'gsi-email' is used twice",
    ),
    "index type": (
        lambda d: model_of(d)["indexes"][0].update(type="global"),
        "User: index 'gsi-email': type must be GSI or LSI",
    ),
    "index key missing": (
        lambda d: model_of(d)["indexes"][0]["partition"].update(attribute="nope"),
        "User.nope: index 'gsi-email' partition names an attribute missing from attributes",
    ),
    "index partition equals sort": (
        lambda d: model_of(d)["indexes"][0].update(sort={"attribute": "emailHash", "type": "S"}),
        "User.emailHash: index 'gsi-email': partition and sort are the same attribute",
    ),
    "INCLUDE without fields": (
        lambda d: model_of(d)["indexes"][0].update(projection={"type": "INCLUDE"}),
        "User: index 'gsi-email': an INCLUDE projection needs fields",
    ),
    "bad projection": (
        lambda d: model_of(d)["indexes"][0].update(projection={"type": "SOME"}),
        "User: index 'gsi-email': projection type must be ALL, KEYS_ONLY or INCLUDE",
    ),
    "index role without index": (
        lambda d: attribute_of(d, "score").update(roles=["index_pk:gsi-score"]),
        "User.score: role 'index_pk:gsi-score' names no index declared in indexes",
    ),
    "index role on another attribute": (
        lambda d: attribute_of(d, "score").update(roles=["index_pk:gsi-email"]),
        "User.score: role 'index_pk:gsi-email' but the index's partition is another attribute",
    ),
    "namespace not a string": (lambda d: d.update(namespace=3), "namespace must be a string"),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_invalid_documents_name_the_model_and_attribute(case: str) -> None:
    change, message = BAD_DOCUMENTS[case]
    doc = mutate(change)

    with pytest.raises(ValidationError) as info:
        parse(doc)

    assert info.value.code == "ErrInvalidModel"
    assert message in info.value.message


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_invalid_documents_given_as_mappings_are_rejected_by_models_from_dms(case: str) -> None:
    change, message = BAD_DOCUMENTS[case]

    with pytest.raises(ValidationError, match=re.escape(message)):
        models_from_dms(mutate(change))


def test_the_failing_attribute_is_the_error_field() -> None:
    doc = mutate(lambda d: attribute_of(d, "score").update(type="X"))
    with pytest.raises(ValidationError) as info:
        parse(doc)
    assert info.value.field == "score"
    assert info.value.table == "users"


def test_naming_can_be_opted_out() -> None:
    doc = mutate(lambda d: attribute_of(d, "emailHash").update(attribute="email_hash"))
    model_of(doc)["indexes"][0]["partition"]["attribute"] = "email_hash"

    parse(doc, enforce_naming=False)
    model = models_from_dms(doc, enforce_naming=False)["User"]

    assert model.naming == "camelCase"
    assert model.attributes["email_hash"].attribute_name == "email_hash"


def test_key_attributes_need_not_carry_the_roles() -> None:
    doc = base_doc()
    attribute_of(doc, "PK")["roles"] = []
    attribute_of(doc, "SK").pop("roles")

    model = models_from_dms(doc)["User"]

    assert model.pk.attribute_name == "PK"
    assert model.sk is not None and model.sk.attribute_name == "SK"


def test_unknown_roles_are_kept_in_the_document_and_have_no_effect() -> None:
    doc = mutate(lambda d: attribute_of(d, "score").update(roles=["audit"]))

    assert attribute_of(parse(doc), "score")["roles"] == ["audit"]
    assert models_from_dms(doc)["User"].attributes["score"].roles == ()


# files ----------------------------------------------------------------------------------------------------


def test_load_dms_file_reads_the_contract_fixtures() -> None:
    user = load_dms_file(FIXTURES / "user.yml")
    order = load_dms_file(str(FIXTURES / "order.yml"))

    assert [m["name"] for m in user["models"]] == ["User"]
    assert [m["name"] for m in order["models"]] == ["Order"]


def test_file_errors_name_the_file_model_and_attribute(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(json.dumps(mutate(lambda d: attribute_of(d, "score").update(type="X"))), encoding="utf-8")

    with pytest.raises(ValidationError) as info:
        load_dms_file(path)

    assert info.value.message.startswith(f"{path}: User.score: type must be one of")
    assert info.value.operation == "load_dms_file"


def test_a_file_that_is_not_utf8_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes('dms_version: "0.1"\n# café\n'.encode("latin-1"))

    with pytest.raises(ValidationError, match=r"latin1.yml: not UTF-8 text \(invalid byte at offset 24\)"):
        load_dms_file(path)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_empty_and_binary_files_are_typed_errors(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=r"x\.yml: "):
        load_dms_file(path)


def test_a_file_with_bom_and_crlf_loads(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yml"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "user.yml").read_bytes().replace(b"\n", b"\r\n"))

    assert load_dms_file(path)["models"][0]["name"] == "User"


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_dms_file(tmp_path / "nope.yml")


def test_get_dms_model_lists_the_names_when_missing() -> None:
    doc = parse(base_doc())
    assert get_dms_model(doc, "User")["name"] == "User"
    with pytest.raises(ValidationError, match="no model named 'Order' \\(models: 'User'\\)"):
        get_dms_model(doc, "Order")


# generated models -----------------------------------------------------------------------------------------


def test_the_user_fixture_builds_the_contract_model() -> None:
    model = ModelDefinition.from_dms(load_dms_file(FIXTURES / "user.yml"), "User")
    fields = {f.name: f for f in dataclasses.fields(model.model_type)}

    assert model.model_type.__name__ == "User"
    assert model.model_type.__module__ == "dynamorm_py.generated"
    assert model.table_name == "users_contract"
    assert model.naming == "camelCase"
    assert list(fields) == [
        "pk",
        "sk",
        "email_hash",
        "nickname",
        "tags",
        "created_at",
        "updated_at",
        "version",
        "ttl",
    ]
    assert {name: f.type for name, f in fields.items()} == {
        "pk": str,
        "sk": str,
        "email_hash": str | None,
        "nickname": str | None,
        "tags": set[str] | None,
        "created_at": datetime | None,
        "updated_at": datetime | None,
        "version": int | None,
        "ttl": int | None,
    }
    assert fields["pk"].default is dataclasses.MISSING
    assert all(f.default is None for name, f in fields.items() if name not in ("pk", "sk"))
    assert all(f.kw_only for f in fields.values())
    assert model.attributes["email_hash"].attribute_name == "emailHash"
    assert model.attributes["tags"].set and model.attributes["tags"].omitempty
    assert model.created_at is model.attributes["created_at"]
    assert model.ttl is model.attributes["ttl"]
    assert model.index("gsi-email") is not None


def test_the_order_fixture_builds_its_gsi_on_created_at() -> None:
    model = ModelDefinition.from_dms((FIXTURES / "order.yml").read_text(encoding="utf-8"), "Order")

    index = model.index("gsi-status")
    assert index is not None
    assert (index.partition, index.sort) == ("status", "createdAt")
    assert dataclasses.fields(model.model_type)[3].type == Decimal | None


ANNOTATION_DOC = {
    "dms_version": "0.1",
    "models": [
        {
            "name": "Everything",
            "table": {"name": "everything"},
            "naming": {"convention": "snake_case"},
            "keys": {"partition": {"attribute": "id", "type": "N"}},
            "attributes": [
                {"attribute": "id", "type": "N"},
                {"attribute": "blob", "type": "B", "binary": True, "required": True},
                {"attribute": "flag", "type": "BOOL"},
                {"attribute": "nothing", "type": "NULL"},
                {"attribute": "meta", "type": "M"},
                {"attribute": "items", "type": "L"},
                {"attribute": "numbers", "type": "NS"},
                {"attribute": "blobs", "type": "BS"},
                {"attribute": "doc", "type": "S", "json": True},
                {"attribute": "secret", "type": "S", "encryption": {"v": 1}},
                {"attribute": "when", "type": "S", "format": "rfc3339nano"},
                {"attribute": "count", "type": "N", "format": "int"},
                {"attribute": "class", "type": "S"},
            ],
        }
    ],
}


def test_annotations_and_options_follow_the_dms_types() -> None:
    model = models_from_dms(ANNOTATION_DOC)["Everything"]
    types = {f.name: f.type for f in dataclasses.fields(model.model_type)}

    assert types == {
        "id": Decimal,
        "blob": bytes,
        "flag": bool | None,
        "nothing": type(None),
        "meta": dict[str, Any] | None,
        "items": list[Any] | None,
        "numbers": set[Decimal] | None,
        "blobs": set[bytes] | None,
        "doc": Any,
        "secret": str | None,
        "when": datetime | None,
        "count": int | None,
        "class_": str | None,
    }
    assert model.attributes["class_"].attribute_name == "class"
    assert model.attributes["secret"].encrypted
    assert model.attributes["doc"].json
    assert model.attributes["blob"].binary
    assert model.attributes["numbers"].set
    assert model.naming == "snake_case"
    assert model.attribute_type("id") == "N"


def test_required_attributes_have_no_default_and_keys_are_not_optional() -> None:
    model = models_from_dms(ANNOTATION_DOC)["Everything"]
    fields = {f.name: f for f in dataclasses.fields(model.model_type)}

    assert fields["blob"].default is dataclasses.MISSING
    assert fields["id"].default is None  # a key that does not state required
    with pytest.raises(TypeError):
        model.model_type(id=Decimal(1))


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("emailHash", "email_hash"),
        ("PK", "pk"),
        ("userID", "user_id"),
        ("URLValue", "url_value"),
        ("a1B", "a1b"),
        ("version2Count", "version2count"),
        ("class", "class_"),
        ("lambda", "lambda_"),
        ("type", "type"),
    ],
)
def test_camel_case_attribute_names_become_snake_case_fields(attribute: str, expected: str) -> None:
    assert python_field_name(attribute, "camelCase", sanitize=False) == expected


@pytest.mark.parametrize(
    ("attribute", "expected"), [("user-name", "user_name"), ("9lives", "_9lives"), ("a.b", "a_b")]
)
def test_without_naming_enforcement_names_are_made_identifiers(attribute: str, expected: str) -> None:
    assert python_field_name(attribute, "snake_case", sanitize=True) == expected


def test_two_attributes_with_one_field_name_are_a_model_definition_error() -> None:
    doc = base_doc()
    model_of(doc)["attributes"].append({"attribute": "email_hash", "type": "S"})

    with pytest.raises(ModelDefinitionError, match="'emailHash' and 'email_hash' both become"):
        models_from_dms(doc, enforce_naming=False)


@pytest.mark.parametrize("name", ["my-model", "class", "9Lives"])
def test_a_model_name_that_is_no_class_name_is_rejected_when_building(name: str) -> None:
    doc = mutate(lambda d: model_of(d).update(name=name))
    parse(doc)
    with pytest.raises(ValidationError, match="must be a Python identifier"):
        models_from_dms(doc)


def test_table_name_overrides_the_document() -> None:
    model = ModelDefinition.from_dms(base_doc(), "User", table_name="users_test")
    assert model.table_name == "users_test"


def test_models_from_dms_keeps_document_order() -> None:
    doc = base_doc()
    second = copy.deepcopy(model_of(doc))
    second["name"] = "Admin"
    doc["models"].insert(0, second)
    assert list(models_from_dms(json.dumps(doc))) == ["Admin", "User"]


def test_indexes_become_index_definitions() -> None:
    doc = base_doc()
    model_of(doc)["indexes"] += [
        {
            "name": "lsi-score",
            "type": "LSI",
            "partition": {"attribute": "PK", "type": "S"},
            "sort": {"attribute": "score", "type": "N"},
            "projection": {"type": "INCLUDE", "fields": ["emailHash"]},
        },
        {
            "name": "gsi-keys",
            "type": "GSI",
            "partition": {"attribute": "score", "type": "N"},
            "projection": {"type": "KEYS_ONLY", "fields": ["ignored"]},
        },
    ]

    model = models_from_dms(doc)["User"]

    lsi_index = model.index("lsi-score")
    assert lsi_index is not None
    assert (lsi_index.type, lsi_index.partition, lsi_index.sort) == ("LSI", "PK", "score")
    assert lsi_index.projection == Projection.include("emailHash")
    keys_index = model.index("gsi-keys")
    assert keys_index is not None and keys_index.projection == Projection.keys_only()


def test_a_required_attribute_is_encoded_and_decoded() -> None:
    model = models_from_dms(ANNOTATION_DOC)["Everything"]
    item = model.model_type(id=Decimal(7), blob=b"\x00", doc={"b": [1, None]}, count=3)

    encoded = model.codec.encode_item(item).item

    assert encoded["blob"] == {"B": b"\x00"}
    assert encoded["doc"] == {"S": '{"b":[1,null]}'}
    assert encoded["count"] == {"N": "3"}
    # None in a set-typed field is stored as NULL and reads back as the empty set.
    assert model.codec.decode_item(encoded) == dataclasses.replace(item, numbers=set(), blobs=set())


# export ---------------------------------------------------------------------------------------------------


@dataclass
class Account:
    account_id: str = dynamorm_field(roles=["pk"])
    created: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    rev: int = dynamorm_field(roles=["version"], default=0)
    email_address: str = ""
    owner_name: str = dynamorm_field(encrypted=True, default="")
    labels: set[str] = dynamorm_field(default_factory=set, omitempty=True)
    payload: Any = dynamorm_field(json=True, default=None)
    plan: str = "free"
    region: str = dynamorm_field(name="homeRegion", default="eu")
    score: int = 0
    required_note: str = dynamorm_field(name="requiredNote", default=None)


ACCOUNTS = ModelDefinition.from_dataclass(
    Account,
    table_name="accounts",
    naming="camelCase",
    indexes=[
        gsi("gsi-plan", partition="plan", sort="score", projection=Projection.include("emailAddress")),
    ],
)


def test_export_writes_keys_in_the_format_order() -> None:
    exported = ACCOUNTS.to_dms()

    assert list(exported) == ["name", "table", "naming", "keys", "attributes", "indexes"]
    assert exported["keys"] == {"partition": {"attribute": "accountId", "type": "S"}}
    attributes = {a["attribute"]: a for a in exported["attributes"]}
    assert list(attributes) == [
        "accountId",
        "created",
        "rev",
        "emailAddress",
        "ownerName",
        "labels",
        "payload",
        "plan",
        "homeRegion",
        "score",
        "requiredNote",
    ]
    assert attributes["accountId"] == {
        "attribute": "accountId",
        "type": "S",
        "required": True,
        "roles": ["pk"],
    }
    assert attributes["created"] == {
        "attribute": "created",
        "type": "S",
        "roles": ["created_at"],
        "format": "rfc3339nano",
    }
    assert attributes["rev"] == {"attribute": "rev", "type": "N", "roles": ["version"], "format": "int"}
    assert attributes["ownerName"] == {
        "attribute": "ownerName",
        "type": "S",
        "optional": True,
        "encryption": {"v": 1},
    }
    assert attributes["labels"] == {"attribute": "labels", "type": "SS", "optional": True, "omit_empty": True}
    assert attributes["payload"] == {"attribute": "payload", "type": "S", "optional": True, "json": True}
    assert exported["indexes"] == [
        {
            "name": "gsi-plan",
            "type": "GSI",
            "partition": {"attribute": "plan", "type": "S"},
            "sort": {"attribute": "score", "type": "N"},
            "projection": {"type": "INCLUDE", "fields": ["emailAddress"]},
        }
    ]


@dataclass
class Plain:
    pk: str = dynamorm_field(roles=["pk"])
    sk: int = dynamorm_field(roles=["sk"])
    note: str = "x"
    data: bytes = b""


PLAIN = ModelDefinition.from_dataclass(Plain, table_name="plain", indexes=[lsi("lsi-note", sort="note")])


def test_export_omits_what_the_model_does_not_declare() -> None:
    assert list(ModelDefinition.from_dataclass(Plain).to_dms()) == ["name", "keys", "attributes"]
    exported = PLAIN.to_dms()

    assert list(exported) == ["name", "table", "keys", "attributes", "indexes"]
    assert exported["attributes"][1] == {"attribute": "sk", "type": "N", "required": True, "roles": ["sk"]}
    assert exported["attributes"][3] == {"attribute": "data", "type": "B", "optional": True}
    assert exported["indexes"][0]["partition"] == {"attribute": "pk", "type": "S"}


def test_yaml_export_double_quotes_every_string_value() -> None:
    text = dump_dms_document([ACCOUNTS, PLAIN], namespace="billing")

    assert text.startswith('dms_version: "0.1"\nnamespace: "billing"\nmodels:\n')
    for line in text.splitlines():
        value = line.split(": ", 1)[1] if ": " in line else line.lstrip(" -")
        if value and not line.endswith(":"):
            assert value.startswith('"') or value in ("true", "1"), line
    assert "{" not in text and "[" not in text  # block style


def test_json_export_is_two_space_indented_in_format_order() -> None:
    text = dump_dms_document([PLAIN], format="json")

    assert text.startswith('{\n  "dms_version": "0.1",\n  "models": [\n    {\n      "name": "Plain",')
    assert list(json.loads(text)["models"][0]["attributes"][0]) == ["attribute", "type", "required", "roles"]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_load_gives_an_equivalent_model(fmt: Any) -> None:
    text = dump_dms_document([ACCOUNTS], format=fmt)
    doc = parse_dms_document(text)

    assert_model_definition_equivalent_to_dms(
        ACCOUNTS, get_dms_model(doc, "Account"), ignore_table_name=False
    )
    reloaded = ModelDefinition.from_dms(doc, "Account")
    assert_model_definition_equivalent_to_dms(
        reloaded, get_dms_model(doc, "Account"), ignore_table_name=False
    )
    assert reloaded.to_dms() == ACCOUNTS.to_dms()


def test_a_model_without_convention_reloads_with_naming_opted_out() -> None:
    doc = parse_dms_document(dump_dms_document([PLAIN]), enforce_naming=False)

    assert_model_definition_equivalent_to_dms(PLAIN, get_dms_model(doc, "Plain"), ignore_table_name=True)


@pytest.mark.parametrize("fixture", ["user.yml", "order.yml"])
def test_fixtures_round_trip_through_export(fixture: str) -> None:
    doc = load_dms_file(FIXTURES / fixture)
    (model,) = models_from_dms(doc).values()

    assert_model_definition_equivalent_to_dms(model, model_of(doc), ignore_table_name=False)
    again = parse_dms_document(dump_dms_document([model], namespace="dynamorm.contract"))
    assert_model_definition_equivalent_to_dms(model, model_of(again), ignore_table_name=False)
    (rebuilt,) = models_from_dms(again).values()
    assert rebuilt.to_dms() == model.to_dms()


@pytest.mark.parametrize(
    ("models", "kwargs", "problem"),
    [
        (PLAIN, {}, "models must be a list"),
        ([Plain], {}, "ModelDefinition values"),
        ([PLAIN], {"format": "toml"}, "format must be"),
        ([PLAIN], {"namespace": 3}, "namespace must be"),
    ],
)
def test_dump_rejects_bad_arguments(models: Any, kwargs: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        dump_dms_document(models, **kwargs)


# equivalence ----------------------------------------------------------------------------------------------


def user_fixture() -> tuple[ModelDefinition[Any], dict[str, Any]]:
    doc = load_dms_file(FIXTURES / "user.yml")
    return ModelDefinition.from_dms(doc, "User"), get_dms_model(doc, "User")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda m: m["attributes"][2].update(type="N"), "attributes.emailHash.type"),
        (lambda m: m["attributes"][3].pop("omit_empty"), "attributes.nickname.omit_empty"),
        (lambda m: m["attributes"][2].update(encryption={"v": 1}), "attributes.emailHash.encrypted"),
        (lambda m: m["attributes"][2].update(required=True, optional=False), "attributes.emailHash.optional"),
        (lambda m: m["attributes"].pop(2), "attributes.emailHash"),
        (lambda m: m["keys"].pop("sort"), "keys.sort"),
        (lambda m: m["indexes"][0].update(projection={"type": "KEYS_ONLY"}), "indexes.gsi-email.projection"),
        (lambda m: m["table"].update(name="other"), "table"),
        (lambda m: m.update(name="Person"), "name"),
        (lambda m: m["attributes"][7].update(roles=[]), "attributes.version.roles"),
    ],
)
def test_a_difference_is_reported_with_both_canonical_forms(change: Any, where: str) -> None:
    model, dms = user_fixture()
    change(dms)

    with pytest.raises(ValidationError) as info:
        assert_model_definition_equivalent_to_dms(model, dms, ignore_table_name=False)

    assert info.value.code == "ErrInvalidModel"
    assert f"differ at {where}" in info.value.message
    assert "\nmodel: {" in info.value.message and "\ndms:   {" in info.value.message


def test_not_compared_table_name_namespace_naming_format_and_tags() -> None:
    model, dms = user_fixture()
    dms["table"]["name"] = "elsewhere"
    dms["naming"] = {"convention": "snake_case"}
    dms["attributes"][5]["format"] = "other"
    dms["attributes"][2]["tags"] = {"pii": True}

    assert_model_definition_equivalent_to_dms(model, dms, ignore_table_name=True)


def test_required_and_optional_are_compared_only_where_stated() -> None:
    # A dataclass whose lifecycle fields have no default against a DMS that states nothing about them.
    @dataclass
    class User:
        pk: str = dynamorm_field(name="PK", roles=["pk"])
        sk: str = dynamorm_field(name="SK", roles=["sk"])
        created_at: datetime = dynamorm_field(name="createdAt", roles=["created_at"])
        updated_at: datetime = dynamorm_field(name="updatedAt", roles=["updated_at"])
        version: int = dynamorm_field(roles=["version"])
        email_hash: str | None = dynamorm_field(name="emailHash", default=None)
        nickname: str = dynamorm_field(omitempty=True, default="")
        tags: set[str] = dynamorm_field(omitempty=True, default_factory=set)
        ttl: int = dynamorm_field(roles=["ttl"], omitempty=True, default=0)

    model = ModelDefinition.from_dataclass(
        User, table_name="users_contract", indexes=[gsi("gsi-email", partition="email_hash")]
    )
    _, dms = user_fixture()

    assert_model_definition_equivalent_to_dms(model, dms, ignore_table_name=False)


def test_equivalence_needs_a_mapping() -> None:
    model, _ = user_fixture()
    with pytest.raises(ValidationError, match="dms_model must be"):
        assert_model_definition_equivalent_to_dms(model, "User", ignore_table_name=True)  # type: ignore[arg-type]


def test_from_dms_takes_a_matches_predicate_bound_to_the_models_keys() -> None:
    from dynamorm_py import sk_prefix

    order = ModelDefinition.from_dms(
        load_dms_file(FIXTURES / "order.yml"), "Order", matches=sk_prefix("ORDER#")
    )
    assert order.matches is not None
    assert order.matches({"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#1"}})
    assert not order.matches({"PK": {"S": "CUST#1"}, "SK": {"S": "PROFILE"}})
