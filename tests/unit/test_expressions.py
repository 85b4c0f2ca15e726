"""Condition and update expressions of the single-item operations (api.md §1.9, WF §6, §7.3, §7.4).

``build_condition`` and ``build_update`` are pure functions of a model codec and arguments; these tests pin
the exact expression strings and placeholder maps they return.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest

from dynamorm_py._blocks.codec import AV
from dynamorm_py._blocks.conditions import build_condition, merge_caller_expression
from dynamorm_py._blocks.filters import build_filter
from dynamorm_py._blocks.terms import ExpressionParts, field_suffix
from dynamorm_py._blocks.updates import build_update
from dynamorm_py.errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    ERR_SECURITY_VALIDATION,
    SecurityValidationError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field
from dynamorm_py.query import FilterCondition, FilterGroup

NOW_TEXT = "2026-01-02T03:04:05.000000000Z"


@dataclass
class User:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    email_hash: str | None = None
    nickname: str = dynamorm_field(omitempty=True, default="")
    tags: set[str] = dynamorm_field(omitempty=True, default_factory=set)
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)
    ttl: int = dynamorm_field(roles=["ttl"], omitempty=True, default=0)


USERS = ModelDefinition.from_dataclass(User, table_name="users_contract", naming="camelCase")


@dataclass
class Note:
    id: str = dynamorm_field(roles=["pk"])
    title: str = ""
    body: str | None = None
    labels: set[str] = field(default_factory=set)
    score: int = 0


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes")

# A py-field name outside [A-Za-z0-9_] is a valid Python identifier, so a plain dataclass can have one.
Odd = dataclasses.make_dataclass(
    "Odd",
    [
        ("id", str, dynamorm_field(roles=["pk"])),
        ("plain", str, dataclasses.field(default="")),
        ("naïve", str, dataclasses.field(default="")),
    ],
)
ODDS: ModelDefinition[Any] = ModelDefinition.from_dataclass(Odd, table_name="odds")


# --- build_condition ---------------------------------------------------------------------------------


def test_condition_if_not_exists_alone_names_the_partition_key_attribute() -> None:
    condition, parts = build_condition(USERS.codec, if_not_exists=True)

    assert condition == "attribute_not_exists(#lc_pk)"
    assert parts.names == {"#lc_pk": "PK"}
    assert parts.values == {}


def test_condition_if_not_exists_is_anded_after_the_caller_condition_in_parentheses() -> None:
    condition, parts = build_condition(
        USERS.codec,
        if_not_exists=True,
        condition_expression="#n <> :n",
        expression_attribute_names={"#n": "nickname"},
        expression_attribute_values={":n": "bob"},
    )

    assert condition == "(#n <> :n) AND (attribute_not_exists(#lc_pk))"
    assert parts.names == {"#lc_pk": "PK", "#n": "nickname"}
    assert parts.values == {":n": {"S": "bob"}}


def test_condition_expected_version_compares_the_version_attribute() -> None:
    condition, parts = build_condition(USERS.codec, expected_version=7)

    assert condition == "#lc_ver = :lc_expected"
    assert parts.names == {"#lc_ver": "version"}
    assert parts.values == {":lc_expected": {"N": "7"}}


def test_condition_without_anything_is_empty() -> None:
    condition, parts = build_condition(USERS.codec)

    assert condition == ""
    assert parts == ExpressionParts()


def test_caller_condition_alone_is_passed_through_unchanged() -> None:
    condition, parts = build_condition(
        NOTES.codec,
        condition_expression="attribute_exists(#t)",
        expression_attribute_names={"#t": "title"},
    )

    assert condition == "attribute_exists(#t)"
    assert parts.names == {"#t": "title"}


def test_caller_values_are_encoded_by_their_python_type() -> None:
    _, parts = build_condition(
        NOTES.codec,
        condition_expression=":a = :a AND :b = :b AND :c = :c AND :d = :d",
        expression_attribute_values={":a": 5, ":b": True, ":c": None, ":d": {"x", "y"}},
    )

    assert parts.values[":a"] == {"N": "5"}
    assert parts.values[":b"] == {"BOOL": True}
    assert parts.values[":c"] == {"NULL": True}
    assert sorted(parts.values[":d"]["SS"]) == ["x", "y"]


@pytest.mark.parametrize(
    ("kwargs", "names", "values"),
    [
        ({"if_not_exists": True}, {"#lc_pk": "x"}, None),
        ({"expected_version": 1}, {"#lc_ver": "x"}, None),
        ({"expected_version": 1}, None, {":lc_expected": 1}),
    ],
)
def test_caller_placeholder_colliding_with_a_library_one_is_rejected(
    kwargs: dict[str, Any], names: dict[str, str] | None, values: dict[str, Any] | None
) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(
            USERS.codec,
            condition_expression="attribute_exists(#x)",
            expression_attribute_names=names,
            expression_attribute_values=values,
            **kwargs,
        )

    assert info.value.code == ERR_INVALID_MODEL
    assert "collides" in str(info.value)


def test_expected_version_on_a_model_without_version_role_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(NOTES.codec, expected_version=1)

    assert info.value.code == ERR_INVALID_MODEL


@pytest.mark.parametrize("bad", [True, "1", 1.0, None])
def test_expected_version_must_be_an_int(bad: Any) -> None:
    parts = ExpressionParts()
    from dynamorm_py._blocks.conditions import version_condition

    with pytest.raises(ValidationError) as info:
        version_condition(USERS.codec, parts, bad)

    assert info.value.code == ERR_INVALID_MODEL


@pytest.mark.parametrize(
    ("names", "values"),
    [
        ({"n": "nickname"}, None),
        ({"#a-b": "nickname"}, None),
        ({"#": "nickname"}, None),
        (None, {"v": 1}),
        (None, {":a.b": 1}),
        (None, {":": 1}),
    ],
)
def test_caller_placeholder_keys_must_match_the_placeholder_pattern(
    names: dict[str, str] | None, values: dict[str, Any] | None
) -> None:
    with pytest.raises(SecurityValidationError) as info:
        build_condition(
            NOTES.codec,
            condition_expression="attribute_exists(#t)",
            expression_attribute_names=names,
            expression_attribute_values=values,
        )

    assert info.value.code == ERR_SECURITY_VALIDATION


@pytest.mark.parametrize(
    "expression",
    ["#a = :a; DROP TABLE x", "#a = :a -- comment", "#a = :a /* x */", "x UNION SELECT y", "eval(1)"],
)
def test_caller_condition_with_an_injection_pattern_is_rejected(expression: str) -> None:
    with pytest.raises(SecurityValidationError) as info:
        build_condition(NOTES.codec, condition_expression=expression)

    assert info.value.code == ERR_SECURITY_VALIDATION
    assert info.value.type == "InjectionAttempt"


def test_security_off_passes_a_suspicious_caller_condition_through_unchanged() -> None:
    condition, _ = build_condition(
        NOTES.codec, condition_expression="#a = :a -- not checked", security=False, if_not_exists=True
    )

    assert condition == "(#a = :a -- not checked) AND (attribute_not_exists(#lc_pk))"


def test_merge_caller_expression_keeps_library_condition_when_caller_gives_none() -> None:
    parts = ExpressionParts()

    merged = merge_caller_expression(
        parts,
        library_condition="#lc_ver = :lc_expected",
        condition_expression=None,
        expression_attribute_names=None,
        expression_attribute_values=None,
        security=True,
    )

    assert merged == "#lc_ver = :lc_expected"


# --- field_suffix ------------------------------------------------------------------------------------


def test_field_suffix_is_the_py_field_name_when_it_is_placeholder_safe() -> None:
    codec = ODDS.codec

    assert field_suffix(codec, codec.by_name["plain"]) == "plain"


def test_field_suffix_is_the_one_based_position_when_the_name_is_not_placeholder_safe() -> None:
    codec = ODDS.codec

    assert field_suffix(codec, codec.by_name["naïve"]) == "3"


# --- build_update ------------------------------------------------------------------------------------


def test_update_of_a_versioned_model_sets_fields_then_updated_at_and_adds_one_to_version() -> None:
    plan = build_update(USERS.codec, {"nickname": "bob"}, now_text=NOW_TEXT, expected_version=0)

    assert plan.update_expression == "SET #d_nickname = :d_nickname, #lc_upd = :lc_now ADD #lc_ver :lc_one"
    assert plan.condition_expression == "#lc_ver = :lc_expected"
    assert plan.parts.names == {"#d_nickname": "nickname", "#lc_upd": "updatedAt", "#lc_ver": "version"}
    assert plan.parts.values == {
        ":d_nickname": {"S": "bob"},
        ":lc_now": {"S": NOW_TEXT},
        ":lc_expected": {"N": "0"},
        ":lc_one": {"N": "1"},
    }


def test_update_removes_none_and_empty_omit_empty_values_with_clauses_in_set_remove_add_order() -> None:
    plan = build_update(
        USERS.codec,
        {"email_hash": None, "nickname": "", "tags": set(), "ttl": 5},
        now_text=NOW_TEXT,
        expected_version=3,
    )

    assert plan.update_expression == (
        "SET #d_ttl = :d_ttl, #lc_upd = :lc_now"
        " REMOVE #d_email_hash, #d_nickname, #d_tags ADD #lc_ver :lc_one"
    )
    assert plan.parts.names["#d_email_hash"] == "emailHash"
    assert ":d_email_hash" not in plan.parts.values
    assert ":d_nickname" not in plan.parts.values
    assert plan.parts.values[":d_ttl"] == {"N": "5"}


def test_update_of_an_unversioned_model_without_updated_at_has_no_condition() -> None:
    plan = build_update(NOTES.codec, {"title": "t", "score": 2}, now_text=NOW_TEXT, expected_version=None)

    assert plan.update_expression == "SET #d_title = :d_title, #d_score = :d_score"
    assert plan.condition_expression == ""
    assert plan.parts.names == {"#d_title": "title", "#d_score": "score"}
    assert plan.parts.values == {":d_title": {"S": "t"}, ":d_score": {"N": "2"}}


def test_update_that_only_removes_renders_only_remove() -> None:
    plan = build_update(NOTES.codec, {"body": None}, now_text=NOW_TEXT, expected_version=None)

    assert plan.update_expression == "REMOVE #d_body"
    assert plan.parts.values == {}


def test_update_of_an_empty_set_without_omit_empty_sets_null() -> None:
    plan = build_update(NOTES.codec, {"labels": []}, now_text=NOW_TEXT, expected_version=None)

    assert plan.update_expression == "SET #d_labels = :d_labels"
    assert plan.parts.values == {":d_labels": {"NULL": True}}


def test_update_placeholders_of_a_non_identifier_field_use_its_position() -> None:
    # The field-name validator only admits ASCII identifiers, so such a field is reachable with it off.
    plan = build_update(
        ODDS.codec, {"naïve": "x", "plain": "y"}, now_text=NOW_TEXT, expected_version=None, security=False
    )

    assert plan.update_expression == "SET #d_3 = :d_3, #d_plain = :d_plain"
    assert plan.parts.names == {"#d_3": "naïve", "#d_plain": "plain"}
    assert plan.parts.values == {":d_3": {"S": "x"}, ":d_plain": {"S": "y"}}


def test_update_ands_the_version_condition_after_the_caller_condition() -> None:
    plan = build_update(
        USERS.codec,
        {"nickname": "bob"},
        now_text=NOW_TEXT,
        expected_version=2,
        condition_expression="attribute_exists(#e)",
        expression_attribute_names={"#e": "emailHash"},
    )

    assert plan.condition_expression == "(attribute_exists(#e)) AND (#lc_ver = :lc_expected)"
    assert plan.parts.names["#e"] == "emailHash"


@pytest.mark.parametrize(
    ("updates", "expected_version", "message"),
    [
        ({}, 0, "no updates provided"),
        ({"pk": "x"}, 0, "key field"),
        ({"sk": "x"}, 0, "key field"),
        ({"missing": 1}, 0, "unknown field"),
        ({"created_at": None}, 0, "lifecycle field"),
        ({"updated_at": None}, 0, "lifecycle field"),
        ({"version": 3}, 0, "lifecycle field"),
        ({"nickname": "x"}, None, "expected_version"),
    ],
)
def test_update_rejects_bad_updates_with_invalid_model(
    updates: dict[str, Any], expected_version: int | None, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build_update(USERS.codec, updates, now_text=NOW_TEXT, expected_version=expected_version)

    assert info.value.code == ERR_INVALID_MODEL
    assert message in str(info.value)


def test_update_with_expected_version_on_an_unversioned_model_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        build_update(NOTES.codec, {"title": "t"}, now_text=NOW_TEXT, expected_version=1)

    assert info.value.code == ERR_INVALID_MODEL


@pytest.mark.parametrize(
    ("names", "values"),
    [
        ({"#d_nickname": "x"}, None),
        ({"#lc_upd": "x"}, None),
        ({"#lc_ver": "x"}, None),
        (None, {":d_nickname": 1}),
        (None, {":lc_now": 1}),
        (None, {":lc_expected": 1}),
        (None, {":lc_one": 1}),
    ],
)
def test_update_rejects_caller_placeholders_colliding_with_generated_ones(
    names: dict[str, str] | None, values: dict[str, Any] | None
) -> None:
    with pytest.raises(ValidationError) as info:
        build_update(
            USERS.codec,
            {"nickname": "bob"},
            now_text=NOW_TEXT,
            expected_version=0,
            condition_expression="attribute_exists(#x)",
            expression_attribute_names=names,
            expression_attribute_values=values,
        )

    assert info.value.code == ERR_INVALID_MODEL


def test_update_field_names_go_through_the_security_validator() -> None:
    with pytest.raises(SecurityValidationError):
        build_update(NOTES.codec, {"title; drop": "x"}, now_text=NOW_TEXT, expected_version=None)


def test_update_with_security_off_still_rejects_an_unknown_field() -> None:
    with pytest.raises(ValidationError) as info:
        build_update(
            NOTES.codec, {"title; drop": "x"}, now_text=NOW_TEXT, expected_version=None, security=False
        )

    assert info.value.code == ERR_INVALID_MODEL


# --- caller values are plain Python values ----------------------------------------------------------------


@dataclass
class Profile:
    id: str = dynamorm_field(roles=["pk"])
    name: str = ""
    score: int = 0
    prefs: dict[str, Any] = field(default_factory=dict)


PROFILES = ModelDefinition.from_dataclass(Profile, table_name="profiles")


@pytest.mark.parametrize(
    ("model", "expression", "names"),
    [
        (NOTES, "#t = :v", {"#t": "title"}),
        (NOTES, ":v = #t", {"#t": "title"}),
        (NOTES, "title <> :v", None),
        (NOTES, "begins_with(#t, :v)", {"#t": "title"}),
        (NOTES, "#s BETWEEN :lo AND :v", {"#s": "score"}),
        (NOTES, "#s IN (:lo, :v)", {"#s": "score"}),
        (NOTES, "size(#t) > :v", {"#t": "title"}),  # not a plain field: no map field in the model
        (NOTES, "#m.#k = :v", {"#m": "meta", "#k": "x"}),
        (PROFILES, "#n = :v", {"#n": "name"}),  # a known non-map field, though the model has a map
    ],
)
def test_an_attribute_value_shaped_caller_value_compared_with_a_non_map_is_rejected(
    model: ModelDefinition[Any], expression: str, names: dict[str, str] | None
) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(
            model.codec,
            condition_expression=expression,
            expression_attribute_names=names,
            expression_attribute_values={":v": {"S": "secret"}, ":lo": 1},
        )

    assert info.value.code == ERR_INVALID_VALUE
    assert "plain Python values" in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("expression", "names"),
    [("#p = :v", {"#p": "prefs"}), ("prefs = :v", None), ("#p.#k = :v", {"#p": "prefs", "#k": "S"})],
)
def test_an_attribute_value_shaped_dict_is_a_plain_map_only_where_a_map_may_be_compared(
    expression: str, names: dict[str, str] | None
) -> None:
    _, parts = build_condition(
        PROFILES.codec,
        condition_expression=expression,
        expression_attribute_names=names,
        expression_attribute_values={":v": {"S": "x"}, ":w": {"S": "x", "N": "1"}},
    )

    assert parts.values[":v"] == {"M": {"S": {"S": "x"}}}
    assert parts.values[":w"] == {"M": {"S": {"S": "x"}, "N": {"S": "1"}}}  # two keys: not AV-shaped
    with pytest.raises(ValidationError):
        build_condition(
            PROFILES.codec,
            condition_expression=f"{expression} AND #n = :u",
            expression_attribute_names={**(names or {}), "#n": "name"},
            expression_attribute_values={":v": {"S": "x"}, ":u": {"S": "x"}},
        )


def test_update_rejects_attribute_value_shaped_caller_values_too() -> None:
    with pytest.raises(ValidationError) as info:
        build_update(
            NOTES.codec,
            {"title": "t"},
            now_text=NOW_TEXT,
            expected_version=None,
            condition_expression="#s = :v",
            expression_attribute_names={"#s": "score"},
            expression_attribute_values={":v": {"N": "1"}},
        )

    assert info.value.code == ERR_INVALID_VALUE
    assert info.value.field == "score"


# --- update values are checked, None is REMOVEd except where a put writes NULL ------------------------------


@dataclass
class Doc:
    id: str = dynamorm_field(roles=["pk"])
    title: str | None = None
    count: int | None = None
    tags: set[str] = field(default_factory=set)
    data: Any = dynamorm_field(json=True, default=None)


DOCS = ModelDefinition.from_dataclass(Doc, table_name="docs")


def test_update_of_none_removes_plain_fields_and_sets_null_on_json_and_set_fields() -> None:
    plan = build_update(
        DOCS.codec,
        {"title": None, "count": None, "tags": None, "data": None},
        now_text=NOW_TEXT,
        expected_version=None,
    )

    assert plan.update_expression == "SET #d_tags = :d_tags, #d_data = :d_data REMOVE #d_title, #d_count"
    assert plan.parts.values == {":d_tags": {"NULL": True}, ":d_data": {"NULL": True}}


@pytest.mark.parametrize(
    ("updates", "attribute", "expected"),
    [
        ({"count": "five"}, "count", "int"),
        ({"count": True}, "count", "int"),
        ({"title": 5}, "title", "str"),
        ({"tags": ["a", 1]}, "tags", "str"),
    ],
)
def test_update_values_must_match_their_annotation(
    updates: dict[str, Any], attribute: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build_update(DOCS.codec, updates, now_text=NOW_TEXT, expected_version=None)

    assert info.value.code == ERR_INVALID_VALUE
    assert info.value.field == attribute
    assert f"must be {expected}" in str(info.value)
    assert "five" not in str(info.value)


# --- filter and condition operands ------------------------------------------------------------------------


@dataclass
class Event:
    id: str = dynamorm_field(roles=["pk"])
    kind: str = ""
    level: int = 0
    ratio: float = 0.0
    at: datetime | None = None
    blob: bytes = b""
    tags: set[str] = field(default_factory=set)
    codes: set[int] = field(default_factory=set)
    steps: list[int] = field(default_factory=list)
    extra: Any = None


EVENTS = ModelDefinition.from_dataclass(Event, table_name="events")


@pytest.mark.parametrize(
    ("good", "value", "bad", "expected"),
    [
        (FilterCondition.gt("ratio", 1), {"N": "1"}, FilterCondition.gt("ratio", "1"), "must be float"),
        (FilterCondition.contains("tags", "a"), {"S": "a"}, FilterCondition.contains("tags", 1), "element"),
        (FilterCondition.contains("steps", 2), {"N": "2"}, FilterCondition.contains("steps", [2]), "element"),
        (
            FilterCondition.contains("kind", "ab"),
            {"S": "ab"},
            FilterCondition.contains("kind", 5),
            "takes a str",
        ),
        (
            FilterCondition.begins_with("at", "2026-01"),
            {"S": "2026-01"},
            FilterCondition.eq("at", "2026-01"),
            "must be datetime",
        ),
        (
            FilterCondition.begins_with("blob", b"\x00"),
            {"B": b"\x00"},
            FilterCondition.begins_with("blob", "x"),
            "takes bytes",
        ),
    ],
)
def test_filter_operands_take_the_type_their_operator_compares(
    good: Any, value: AV, bad: Any, expected: str
) -> None:
    _, parts = build_filter(EVENTS.codec, good, security=True)
    assert next(iter(parts.values.values())) == value
    with pytest.raises(ValidationError) as info:
        build_filter(EVENTS.codec, bad, security=True)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("condition", "attribute", "expected"),
    [
        (FilterCondition.eq("level", "3"), "level", "must be int"),
        (FilterCondition.eq("level", True), "level", "must be int"),
        (FilterCondition.between("level", 1, 2.5), "level", "must be int"),
        (FilterCondition.in_("kind", ["a", 1]), "kind", "must be str"),
        (FilterCondition.eq("at", "2026-01-01"), "at", "must be datetime"),
        (FilterCondition.contains("tags", 1), "tags", "element must be str"),
        (FilterCondition.contains("codes", "7"), "codes", "element must be int"),
        (FilterCondition.contains("steps", "2"), "steps", "element must be int"),
        (FilterCondition.contains("kind", 5), "kind", "takes a str"),
        (FilterCondition.begins_with("level", 1), "level", "takes a str or bytes"),
        (FilterCondition.begins_with("at", datetime(2026, 1, 1)), "at", "takes a str"),
        (FilterCondition.begins_with("blob", "x"), "blob", "takes bytes"),
    ],
)
def test_filter_operands_of_another_type_are_rejected_naming_the_field(
    condition: Any, attribute: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build_filter(EVENTS.codec, condition, security=True)

    assert info.value.code == ERR_INVALID_VALUE
    assert info.value.field == attribute
    assert expected in str(info.value)


# --- typed write conditions (condition=) ------------------------------------------------------------------


class Stage(StrEnum):
    OPEN = "open"
    SHIPPED = "shipped"


class Upper:
    """A converter: stored upper-case."""

    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return str(value).lower()


@dataclass
class Parcel:
    id: str = dynamorm_field(roles=["pk"])
    stage: Stage = Stage.OPEN
    region: str = dynamorm_field(converter=Upper(), default="eu")
    weight: int = 0
    sent_at: datetime | None = dynamorm_field(name="sentAt", default=None)
    labels: set[str] = field(default_factory=set)
    pin: str = dynamorm_field(encrypted=True, default="")
    version: int = dynamorm_field(roles=["version"], default=0)


PARCELS = ModelDefinition.from_dataclass(Parcel, table_name="parcels")
OPEN = FilterCondition.eq("stage", Stage.OPEN)
HEAVY = FilterCondition.gt("weight", 10)
SENT = FilterCondition.exists("sent_at")


@pytest.mark.parametrize(
    ("condition", "expression", "values"),
    [
        (FilterCondition.eq("weight", 1), "#wc_weight = :wc1", [{"N": "1"}]),
        (FilterCondition.ne("weight", 1), "#wc_weight <> :wc1", [{"N": "1"}]),
        (FilterCondition.lt("weight", 1), "#wc_weight < :wc1", [{"N": "1"}]),
        (FilterCondition.lte("weight", 1), "#wc_weight <= :wc1", [{"N": "1"}]),
        (FilterCondition.gt("weight", 1), "#wc_weight > :wc1", [{"N": "1"}]),
        (FilterCondition.gte("weight", 1), "#wc_weight >= :wc1", [{"N": "1"}]),
        (
            FilterCondition.between("weight", 1, 9),
            "#wc_weight BETWEEN :wc1 AND :wc2",
            [{"N": "1"}, {"N": "9"}],
        ),
        (
            FilterCondition.in_("stage", [Stage.OPEN, Stage.SHIPPED]),
            "#wc_stage IN (:wc1, :wc2)",
            [{"S": "open"}, {"S": "shipped"}],
        ),
        (FilterCondition.begins_with("region", "e"), "begins_with(#wc_region, :wc1)", [{"S": "e"}]),
        (FilterCondition.contains("labels", "fragile"), "contains(#wc_labels, :wc1)", [{"S": "fragile"}]),
        (FilterCondition.exists("sent_at"), "attribute_exists(#wc_sent_at)", []),
        (FilterCondition.not_exists("sent_at"), "attribute_not_exists(#wc_sent_at)", []),
    ],
)
def test_a_typed_condition_renders_every_operator_with_its_own_placeholders(
    condition: FilterCondition, expression: str, values: list[AV]
) -> None:
    rendered, parts = build_condition(PARCELS.codec, condition=condition)

    assert rendered == expression
    assert parts.names == {f"#wc_{condition.field}": PARCELS.codec.by_name[condition.field].attribute_name}
    assert parts.values == {f":wc{n}": v for n, v in enumerate(values, 1)}


def test_typed_condition_values_go_through_the_field_codec() -> None:
    sent = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    condition = (
        FilterCondition.eq("region", "us")
        & FilterCondition.lt("sent_at", sent)
        & FilterCondition.eq("stage", "open")
    )

    _, parts = build_condition(PARCELS.codec, condition=condition)

    assert parts.names == {"#wc_region": "region", "#wc_sent_at": "sentAt", "#wc_stage": "stage"}
    assert parts.values == {
        ":wc1": {"S": "US"},
        ":wc2": {"S": "2026-03-04T05:06:07.000000000Z"},
        ":wc3": {"S": "open"},
    }


@pytest.mark.parametrize(
    ("condition", "attribute"),
    [
        (FilterCondition.eq("weight", "10"), "weight"),
        (FilterCondition.eq("sent_at", "2026-01-01"), "sentAt"),
        (FilterCondition.eq("stage", "lost"), "stage"),
    ],
)
def test_typed_condition_values_of_the_wrong_type_are_rejected_naming_the_field(
    condition: FilterCondition, attribute: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=condition)

    assert info.value.code == ERR_INVALID_VALUE
    assert info.value.field == attribute


def test_ampersand_pipe_and_tilde_build_and_or_and_not_groups() -> None:
    assert FilterGroup.and_(OPEN, HEAVY) == OPEN & HEAVY
    assert FilterGroup.or_(OPEN, HEAVY) == OPEN | HEAVY
    assert ~OPEN == FilterGroup.not_(OPEN) == FilterGroup("NOT", (OPEN,))
    assert FilterGroup("NOT", (FilterGroup.and_(OPEN, HEAVY),)) == ~(OPEN & HEAVY)
    assert ~~OPEN == OPEN


def test_chains_of_one_operator_flatten_into_one_group_and_mixed_ones_nest() -> None:
    assert FilterGroup.and_(OPEN, HEAVY, SENT) == OPEN & HEAVY & SENT
    assert FilterGroup.or_(OPEN, HEAVY, SENT, OPEN) == (OPEN | HEAVY) | (SENT | OPEN)
    assert FilterGroup.and_(OPEN, FilterGroup.or_(HEAVY, SENT)) == OPEN & (HEAVY | SENT)
    assert FilterGroup.or_(FilterGroup.and_(OPEN, HEAVY), SENT) == (OPEN & HEAVY) | SENT


@pytest.mark.parametrize("other", ["weight > 10", 1, None])
def test_combining_a_filter_with_something_else_is_a_type_error(other: Any) -> None:
    with pytest.raises(TypeError):
        OPEN & other
    with pytest.raises(TypeError):
        other | HEAVY


def test_nested_groups_and_not_render_with_parentheses_once() -> None:
    condition = OPEN & ~(HEAVY | SENT) & ~FilterCondition.contains("labels", "fragile")

    rendered, parts = build_condition(PARCELS.codec, condition=condition)

    assert rendered == (
        "(#wc_stage = :wc1 AND NOT (#wc_weight > :wc2 OR attribute_exists(#wc_sent_at))"
        " AND NOT (contains(#wc_labels, :wc3)))"
    )
    assert list(parts.values) == [":wc1", ":wc2", ":wc3"]


def test_not_is_part_of_the_filter_tree_so_filters_render_it_too() -> None:
    rendered, parts = build_filter(PARCELS.codec, ~OPEN | FilterGroup.not_(HEAVY & SENT), security=True)

    assert rendered == ("(NOT (#f_stage = :f1) OR NOT (#f_weight > :f2 AND attribute_exists(#f_sent_at)))")
    assert parts.values == {":f1": {"S": "open"}, ":f2": {"N": "10"}}


@pytest.mark.parametrize(
    "tree",
    [
        FilterGroup("NOT", (OPEN, HEAVY)),
        FilterGroup("NOT", ()),
        FilterGroup.not_(FilterGroup.and_()),
        FilterGroup.not_(FilterGroup.or_(FilterGroup.and_())),
    ],
    ids=["two operands", "no operand", "empty group", "nested empty group"],
)
def test_a_not_of_anything_but_one_condition_is_refused_in_filters_and_conditions(tree: FilterGroup) -> None:
    with pytest.raises(ValidationError) as info:
        build_filter(PARCELS.codec, tree, security=True)
    assert info.value.code == ERR_INVALID_OPERATOR
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=tree)
    assert info.value.code == ERR_INVALID_OPERATOR


def test_a_typed_condition_is_anded_before_if_not_exists_and_the_version_lock() -> None:
    rendered, parts = build_condition(PARCELS.codec, if_not_exists=True, condition=OPEN)
    assert rendered == "(#wc_stage = :wc1) AND (attribute_not_exists(#lc_pk))"
    assert parts.names == {"#lc_pk": "id", "#wc_stage": "stage"}

    rendered, parts = build_condition(PARCELS.codec, expected_version=3, condition=OPEN | HEAVY)
    assert rendered == "(#wc_stage = :wc1 OR #wc_weight > :wc2) AND (#lc_ver = :lc_expected)"
    assert parts.values == {":lc_expected": {"N": "3"}, ":wc1": {"S": "open"}, ":wc2": {"N": "10"}}


def test_a_typed_condition_in_an_update_keeps_every_placeholder_distinct_from_the_update_ones() -> None:
    # The condition names the very fields the update writes and the version the lock compares.
    condition = (
        FilterCondition.eq("weight", 1)
        & FilterCondition.eq("version", 3)
        & ~FilterCondition.eq("stage", "open")
    )

    plan = build_update(
        PARCELS.codec,
        {"weight": 2, "stage": Stage.SHIPPED},
        now_text=None,
        expected_version=3,
        condition=condition,
    )

    assert plan.update_expression == "SET #d_weight = :d_weight, #d_stage = :d_stage ADD #lc_ver :lc_one"
    assert plan.condition_expression == (
        "(#wc_weight = :wc1 AND #wc_version = :wc2 AND NOT (#wc_stage = :wc3)) AND (#lc_ver = :lc_expected)"
    )
    assert plan.parts.names == {
        "#d_weight": "weight",
        "#d_stage": "stage",
        "#lc_ver": "version",
        "#wc_weight": "weight",
        "#wc_version": "version",
        "#wc_stage": "stage",
    }
    assert plan.parts.values == {
        ":d_weight": {"N": "2"},
        ":d_stage": {"S": "shipped"},
        ":lc_expected": {"N": "3"},
        ":lc_one": {"N": "1"},
        ":wc1": {"N": "1"},
        ":wc2": {"N": "3"},
        ":wc3": {"S": "open"},
    }


@dataclass
class Mimic:
    """Py-field names spelled like the library's own placeholder suffixes."""

    lc_pk: str = dynamorm_field(roles=["pk"])
    lc_ver: int = 0
    lc_expected: int = 0
    d_lc_now: str = ""
    wc1: str = ""
    version: int = dynamorm_field(roles=["version"], default=0)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)


MIMICS = ModelDefinition.from_dataclass(Mimic, table_name="mimics")


def test_fields_named_like_library_placeholders_cannot_take_them_over() -> None:
    condition = (
        FilterCondition.eq("lc_ver", 7)
        & FilterCondition.eq("lc_expected", 8)
        & FilterCondition.eq("d_lc_now", "x")
        & FilterCondition.eq("wc1", "y")
        & FilterCondition.exists("lc_pk")
    )

    plan = build_update(
        MIMICS.codec, {"lc_ver": 1, "wc1": "z"}, now_text=NOW_TEXT, expected_version=2, condition=condition
    )

    assert plan.parts.names == {
        "#d_lc_ver": "lc_ver",
        "#d_wc1": "wc1",
        "#lc_upd": "updated_at",
        "#lc_ver": "version",
        "#wc_lc_ver": "lc_ver",
        "#wc_lc_expected": "lc_expected",
        "#wc_d_lc_now": "d_lc_now",
        "#wc_wc1": "wc1",
        "#wc_lc_pk": "lc_pk",
    }
    assert plan.parts.values == {
        ":d_lc_ver": {"N": "1"},
        ":d_wc1": {"S": "z"},
        ":lc_now": {"S": NOW_TEXT},
        ":lc_expected": {"N": "2"},
        ":lc_one": {"N": "1"},
        ":wc1": {"N": "7"},
        ":wc2": {"N": "8"},
        ":wc3": {"S": "x"},
        ":wc4": {"S": "y"},
    }


@pytest.mark.parametrize(
    "condition",
    [
        FilterCondition.eq("pin", "1234"),
        OPEN & ~FilterCondition.exists("pin"),
        FilterCondition.begins_with("pin", "12") | HEAVY,
    ],
)
def test_a_typed_condition_on_an_encrypted_field_is_refused(condition: Any) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=condition)

    assert info.value.code == ERR_ENCRYPTED_FIELD_NOT_QUERYABLE
    assert info.value.field == "pin"
    assert "a condition" in str(info.value)
    assert "1234" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "argument"),
    [
        ({"condition_expression": "attribute_exists(id)"}, "condition_expression"),
        ({"condition_expression": ""}, "condition_expression"),
        ({"expression_attribute_names": {"#s": "stage"}}, "expression_attribute_names"),
        ({"expression_attribute_values": {":s": "open"}}, "expression_attribute_values"),
    ],
)
def test_a_typed_condition_with_a_raw_condition_or_its_maps_is_refused(
    raw: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=OPEN, **raw)
    assert (info.value.code, info.value.field) == (ERR_INVALID_OPERATOR, argument)

    with pytest.raises(ValidationError) as info:
        build_update(PARCELS.codec, {"weight": 1}, now_text=None, expected_version=1, condition=OPEN, **raw)
    assert (info.value.code, info.value.field) == (ERR_INVALID_OPERATOR, argument)


@pytest.mark.parametrize("condition", ["#stage = :open", {"stage": "open"}, [OPEN]])
def test_a_condition_that_is_not_a_filter_object_is_refused_naming_the_argument(condition: Any) -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=condition)

    assert (info.value.code, info.value.field) == (ERR_INVALID_OPERATOR, "condition")
    if isinstance(condition, str):
        assert "condition_expression" in str(info.value)


@pytest.mark.parametrize(
    "condition",
    [
        FilterCondition.eq("stage) OR (attribute_exists(id", "open"),
        FilterCondition("weight", "= :wc1 OR #wc_weight", (1,)),
        FilterCondition.eq("region", "x' OR '1'='1"),
        FilterCondition.eq("#lc_pk", "x"),
    ],
    ids=["field", "operator", "value", "placeholder as field"],
)
def test_typed_conditions_go_through_the_security_validation(condition: FilterCondition) -> None:
    with pytest.raises(SecurityValidationError) as info:
        build_condition(PARCELS.codec, condition=condition)
    assert info.value.code == ERR_SECURITY_VALIDATION


def test_with_security_off_a_typed_condition_still_resolves_fields_and_operators() -> None:
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=FilterCondition.eq("#lc_pk", "x"), security=False)
    assert info.value.code == ERR_INVALID_MODEL
    with pytest.raises(ValidationError) as info:
        build_condition(PARCELS.codec, condition=FilterCondition("weight", "LIKE", (1,)), security=False)
    assert info.value.code == ERR_INVALID_OPERATOR


def test_an_empty_typed_condition_renders_nothing_and_leaves_the_library_condition_alone() -> None:
    assert build_condition(PARCELS.codec, condition=FilterGroup.and_())[0] == ""
    rendered, _ = build_condition(PARCELS.codec, if_not_exists=True, condition=FilterGroup.or_())
    assert rendered == "attribute_not_exists(#lc_pk)"
