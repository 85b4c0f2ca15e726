"""Unit tests for the security validators (api.md §1.2 "Validation", §1.8)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_py import errors, validation
from dynamorm_py.validation import (
    MaxExpressionLength,
    MaxFieldNameLength,
    MaxNestedDepth,
    MaxOperatorLength,
    MaxValueStringLength,
    SecurityValidationError,
    validate_expression,
    validate_field_name,
    validate_index_name,
    validate_operator,
    validate_placeholder_names,
    validate_placeholder_values,
    validate_table_name,
    validate_value,
)

LIST_A = [
    "'", '"', ";", "--", "/*", "*/", "<script", "</script", "eval(", "expression(", "import(", "require(",
]  # fmt: skip
LIST_B = [
    "union", "select", "insert", "update", "delete", "drop", "alter", "exec", "execute", "script",
    "javascript", "vbscript",
]  # fmt: skip
LIST_C = [
    "<script", "</script", "eval(", "expression(", "import(", "require(", "javascript:", "vbscript:",
    "onload=", "onerror=", "onclick=",
]  # fmt: skip
LIST_D = [
    "'; drop table", "'; delete from", "'; update ", "'; insert into",
    '"; drop table', '"; delete from', '"; update ', '"; insert into',
    "' or 1=1", '" or 1=1', "' or '1'='1", '" or "1"="1',
    "/**/union/**/select", "concat(0x", "char(", "load_file(", "--",
]  # fmt: skip
ALLOWED_OPERATORS = [
    "=", "!=", "<>", "<", "<=", ">", ">=", "BETWEEN", "IN", "BEGINS_WITH", "CONTAINS", "EXISTS",
    "NOT_EXISTS", "ATTRIBUTE_EXISTS", "ATTRIBUTE_NOT_EXISTS", "EQ", "NE", "LT", "LE", "GT", "GE",
]  # fmt: skip
EXPRESSION_SQL = [
    "union select", "insert into", "update set", "delete from", "drop table", "alter table",
    "exec ", "execute ",
]  # fmt: skip


@contextmanager
def rejected_as(expected_type: str) -> Iterator[None]:
    with pytest.raises(SecurityValidationError) as info:
        yield
    assert info.value.type == expected_type


def nested_lists(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


# Public surface


def test_limits_have_the_specified_values() -> None:
    assert MaxFieldNameLength == 255
    assert MaxOperatorLength == 20
    assert MaxValueStringLength == 400000
    assert MaxNestedDepth == 32
    assert MaxExpressionLength == 4096


def test_security_validation_error_is_the_errors_module_class() -> None:
    assert validation.SecurityValidationError is errors.SecurityValidationError


def test_module_exports_the_spec_names_and_the_placeholder_helpers() -> None:
    spec_names = {
        "MaxFieldNameLength", "MaxOperatorLength", "MaxValueStringLength", "MaxNestedDepth",
        "MaxExpressionLength", "SecurityValidationError", "validate_field_name", "validate_operator",
        "validate_value", "validate_expression", "validate_table_name", "validate_index_name",
    }  # fmt: skip
    helpers = {"validate_placeholder_names", "validate_placeholder_values"}
    assert set(validation.__all__) == spec_names | helpers
    assert all(hasattr(validation, name) for name in validation.__all__)


def test_failure_is_a_validation_error_with_security_code_and_fixed_message() -> None:
    with pytest.raises(SecurityValidationError) as info:
        validate_field_name("")
    err = info.value
    assert isinstance(err, errors.ValidationError)
    assert isinstance(err, ValueError)
    assert err.code == "ErrSecurityValidation"
    assert str(err) == "security validation failed: InvalidField"
    assert err.detail


SECRET = "TopSecret42"


@pytest.mark.parametrize(
    ("call", "expected_type"),
    [
        (lambda: validate_field_name(f"{SECRET};"), "InjectionAttempt"),
        (lambda: validate_field_name(f"{SECRET} x"), "InvalidField"),
        (lambda: validate_operator(SECRET), "InvalidOperator"),
        (lambda: validate_value(f"{SECRET}' or 1=1"), "InjectionAttempt"),
        (lambda: validate_value({f"{SECRET} key": 1}), "InvalidValue"),
        (lambda: validate_value(f"{SECRET}" * 40000), "InvalidValue"),
        (lambda: validate_expression(f"{SECRET} = 'x'"), "InjectionAttempt"),
        (lambda: validate_table_name(f"{SECRET}!"), "InvalidTableName"),
        (lambda: validate_table_name(f"{SECRET}--x"), "InjectionAttempt"),
        (lambda: validate_index_name(f"{SECRET}!"), "InvalidIndexName"),
        (lambda: validate_placeholder_names({f"{SECRET}": "a"}), "InvalidExpression"),
        (lambda: validate_placeholder_values({f"{SECRET}": "a"}), "InvalidExpression"),
    ],
)
def test_rejection_never_reveals_the_input(call: Callable[[], None], expected_type: str) -> None:
    with pytest.raises(SecurityValidationError) as info:
        call()
    err = info.value
    assert err.type == expected_type
    for text in (err.detail, str(err), repr(err)):
        assert SECRET.lower() not in text.lower()


# validate_field_name


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "_private",
        "Name_2",
        "a" * 255,
        "items[3]",
        "items[0].name",
        "a.b[10].c",
        "profile.address.city",
        ".".join(["a"] * 32),
        "selection",
        "updates_count",
        "dropbox_id",
        "executor",
        "description",
        "javascript_enabled",
        "unionized",
        "insertions",
    ],
)
def test_field_name_accepts_plain_attribute_paths(field: str) -> None:
    validate_field_name(field)


@pytest.mark.parametrize(
    "field",
    [
        "created_at",
        "createdAt",
        "CREATEDAT",
        "updatedAt",
        "updated_at",
        "created_time",
        "creator_date",
        "updater_time",
        "deleted_flag",
        "Deleted_At",
        "deleterdate",
        "inserted_at",
        "inserter_time",
        "selected_date",
        "selector_at",
    ],
)
def test_field_name_accepts_list_e_lifecycle_names(field: str) -> None:
    validate_field_name(field)


@pytest.mark.parametrize("field", ["", "a" * 256])
def test_field_name_outside_1_to_255_chars_is_invalid_field(field: str) -> None:
    with rejected_as("InvalidField"):
        validate_field_name(field)


def test_field_name_length_is_checked_before_injection_patterns() -> None:
    with rejected_as("InvalidField"):
        validate_field_name("'" + "a" * 255)


@pytest.mark.parametrize("pattern", LIST_A)
def test_field_name_with_a_list_a_pattern_is_injection(pattern: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name(f"name{pattern}x")


def test_field_name_list_a_match_ignores_case() -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name("x<SCRIPT")


@pytest.mark.parametrize("keyword", LIST_B)
def test_field_name_equal_to_an_sql_keyword_is_injection(keyword: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name(keyword)
    with rejected_as("InjectionAttempt"):
        validate_field_name(keyword.upper())


@pytest.mark.parametrize("keyword", LIST_B)
@pytest.mark.parametrize("template", ["x {}", "{} x", "x.{}", "{}.x", "x-{}", "{}-x"])
def test_field_name_with_an_sql_keyword_beside_a_separator_is_injection(template: str, keyword: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name(template.format(keyword))


@pytest.mark.parametrize("field", ["select", "a;drop", "x-delete", "user.update", "drop table"])
def test_field_name_spec_examples_of_injection_fail(field: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name(field)


def test_field_name_keyword_rule_runs_before_path_shape() -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name("x-delete")
    with rejected_as("InvalidField"):
        validate_field_name("x-y")


@pytest.mark.parametrize("char", ["\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f"])
def test_field_name_with_a_control_character_is_invalid_field(char: str) -> None:
    with rejected_as("InvalidField"):
        validate_field_name(f"na{char}me")


def test_field_name_injection_is_reported_before_control_characters() -> None:
    with rejected_as("InjectionAttempt"):
        validate_field_name("a\x00;b")


def test_field_path_of_33_parts_is_invalid_field() -> None:
    with rejected_as("InvalidField"):
        validate_field_name(".".join(["a"] * 33))


@pytest.mark.parametrize(
    "field",
    [
        "1abc",
        "a b",
        "a..b",
        ".a",
        "a.",
        "a.1b",
        "caf\u00e9",
        "items[]",
        "items[x]",
        "items[3]x",
        "items[3][4]",
        "items[3",
        "[3]",
        "items[-1]",
        "items[\u0663]",
        "a$b",
        "a:b",
        "#a",
        "name\u00a0",
    ],
)
def test_field_name_that_is_not_a_valid_path_is_invalid_field(field: str) -> None:
    with rejected_as("InvalidField"):
        validate_field_name(field)


def test_field_name_rejects_trailing_newline_as_control_character() -> None:
    with rejected_as("InvalidField"):
        validate_field_name("name\n")


def test_field_name_that_is_not_a_string_is_invalid_field() -> None:
    with rejected_as("InvalidField"):
        validate_field_name(3)  # type: ignore[arg-type]  # callers without type checking


# validate_operator


@pytest.mark.parametrize("op", ALLOWED_OPERATORS)
def test_operator_accepts_every_allowed_operator(op: str) -> None:
    validate_operator(op)


@pytest.mark.parametrize("op", ["between", "begins_with", " = ", "\tIN\n", "Attribute_Exists", "ne"])
def test_operator_is_compared_stripped_and_upper_cased(op: str) -> None:
    validate_operator(op)


@pytest.mark.parametrize("op", ["", "   ", "LIKE", "==", "NOT", "IN;", "= OR 1=1", "'", "--", "BETWEEN1"])
def test_operator_outside_the_allowlist_is_invalid_operator(op: str) -> None:
    with rejected_as("InvalidOperator"):
        validate_operator(op)


def test_operator_length_is_measured_before_stripping() -> None:
    validate_operator(" " * 19 + "=")
    with rejected_as("InvalidOperator"):
        validate_operator(" " * 20 + "=")


def test_no_allowed_operator_contains_a_list_a_pattern() -> None:
    # validate_operator relies on this to cover the spec's "no list-A entry" rule with the allowlist alone.
    assert not [op for op in ALLOWED_OPERATORS for pattern in LIST_A if pattern in op.lower()]


def test_operator_that_is_not_a_string_is_invalid_operator() -> None:
    with rejected_as("InvalidOperator"):
        validate_operator(None)  # type: ignore[arg-type]  # callers without type checking


# validate_value


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -1.5,
        Decimal("1.10"),
        datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        "hello world",
        "O'Brien",
        'say "hi"',
        "select a plan from the menu",
        "union select",
        "a */ b",
        "a /* b",
        "",
        "x" * 400000,
    ],
)
def test_value_accepts_ordinary_values(value: Any) -> None:
    validate_value(value)


@pytest.mark.parametrize("value", [b"<script>' or 1=1 --", bytearray(b"--"), memoryview(b"/* */")])
def test_value_accepts_bytes_like_without_reading_them(value: Any) -> None:
    validate_value(value)


def test_value_string_over_400000_chars_is_invalid_value() -> None:
    with rejected_as("InvalidValue"):
        validate_value("x" * 400001)


@pytest.mark.parametrize("pattern", LIST_C + LIST_D)
def test_value_with_a_list_c_or_d_pattern_is_injection(pattern: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_value(f"abc{pattern}xyz")
    with rejected_as("InjectionAttempt"):
        validate_value(f"ABC{pattern.upper()}XYZ")


def test_value_with_both_comment_markers_is_injection() -> None:
    with rejected_as("InjectionAttempt"):
        validate_value("a */ b /* c")


@pytest.mark.parametrize(
    "value",
    [
        "1 union select password from users",
        "1 UNION SELECT name FROM t",
        "1 union all select *",
        "x union select y;",
        "x union select y--",
        "x union/**/select y",
        "labor union selects from candidates",
    ],
)
def test_value_union_select_with_from_star_or_terminator_is_injection(value: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_value(value)


@pytest.mark.parametrize("value", ["union select", "union all select ok", "x union select y; z"])
def test_value_union_select_without_from_star_or_terminator_passes(value: str) -> None:
    validate_value(value)


@pytest.mark.parametrize("container", [list, tuple, set, frozenset])
def test_value_collection_of_100_items_passes_and_101_is_invalid_value(
    container: Callable[[range], Any],
) -> None:
    validate_value(container(range(100)))
    with rejected_as("InvalidValue"):
        validate_value(container(range(101)))


def test_value_mapping_of_100_keys_passes_and_101_is_invalid_value() -> None:
    validate_value({f"k{i}": i for i in range(100)})
    with rejected_as("InvalidValue"):
        validate_value({f"k{i}": i for i in range(101)})


def test_value_collection_items_are_validated() -> None:
    validate_value(["a", ("b", 1), {"c": [None, b"x"]}])
    with rejected_as("InjectionAttempt"):
        validate_value(["ok", "' or 1=1"])
    with rejected_as("InjectionAttempt"):
        validate_value(("ok", ["fine", "<script>"]))
    with rejected_as("InvalidValue"):
        validate_value([1, lambda: None])


def test_value_mapping_values_are_validated() -> None:
    with rejected_as("InjectionAttempt"):
        validate_value({"note": "x; drop table--"})
    with rejected_as("InvalidValue"):
        validate_value({"nested": {"inner": complex(1, 2)}})


@pytest.mark.parametrize("key", ["bad key", "select", "a;b", "1abc", 1, "", "a\x00"])
def test_value_mapping_key_that_is_not_a_valid_field_name_is_invalid_value(key: Any) -> None:
    with rejected_as("InvalidValue"):
        validate_value({key: "v"})


def test_value_mapping_with_dotted_and_indexed_keys_passes() -> None:
    validate_value({"a.b": 1, "items[2]": 2, "created_at": 3})


def test_value_nested_32_levels_passes_and_33_is_invalid_value() -> None:
    validate_value(nested_lists(MaxNestedDepth))
    with rejected_as("InvalidValue"):
        validate_value(nested_lists(MaxNestedDepth + 1))


def test_value_that_contains_itself_is_invalid_value() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with rejected_as("InvalidValue"):
        validate_value(cycle)


class _CallableObject:
    def __call__(self) -> None:
        return None


@pytest.mark.parametrize("value", [lambda: None, len, int, _CallableObject(), complex(1, 2), 1j])
def test_value_callable_or_complex_is_invalid_value(value: Any) -> None:
    with rejected_as("InvalidValue"):
        validate_value(value)


def test_value_of_other_types_passes() -> None:
    validate_value(object())
    validate_value(iter([lambda: None]))


# validate_expression


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "attribute_not_exists(#pk)",
        "#a = :v AND (#b < :c OR begins_with(#d, :e))",
        "size(#l) > :n",
        "#a IN (:a, :b) AND #s BETWEEN :lo AND :hi",
        "#updated = :when",
        "#executed_at > :t",
        "a" * 4096,
    ],
)
def test_expression_accepts_dynamodb_expressions(expression: str) -> None:
    validate_expression(expression)


def test_expression_over_4096_chars_is_invalid_expression() -> None:
    with rejected_as("InvalidExpression"):
        validate_expression("a" * 4097)


@pytest.mark.parametrize("pattern", LIST_A)
def test_expression_with_a_list_a_pattern_is_injection(pattern: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_expression(f"#a = :v{pattern}")


@pytest.mark.parametrize("phrase", EXPRESSION_SQL)
def test_expression_with_an_sql_statement_is_injection(phrase: str) -> None:
    with rejected_as("InjectionAttempt"):
        validate_expression(f"#a = :v OR {phrase}x")
    with rejected_as("InjectionAttempt"):
        validate_expression(f"#a = :v OR {phrase.upper()}x")


def test_expression_that_is_not_a_string_is_invalid_expression() -> None:
    with rejected_as("InvalidExpression"):
        validate_expression(b"#a = :v")  # type: ignore[arg-type]  # callers without type checking


# validate_table_name / validate_index_name


@pytest.mark.parametrize("name", ["abc", "Users", "my_table.v1-prod", "a-b", "a" * 255, "123"])
def test_table_name_accepts_3_to_255_allowed_chars(name: str) -> None:
    validate_table_name(name)


@pytest.mark.parametrize("name", ["", "ab", "a" * 256, "a b", "tbl;", "t'bl", "t\u00e9bl", "tbl\n", "tbl/x"])
def test_table_name_with_bad_length_or_chars_is_invalid_table_name(name: str) -> None:
    with rejected_as("InvalidTableName"):
        validate_table_name(name)


def test_table_name_with_double_dash_is_injection() -> None:
    with rejected_as("InjectionAttempt"):
        validate_table_name("a--b")


def test_table_name_that_is_not_a_string_is_invalid_table_name() -> None:
    with rejected_as("InvalidTableName"):
        validate_table_name(None)  # type: ignore[arg-type]  # callers without type checking


@pytest.mark.parametrize("name", ["", "gsi", "by-email", "lsi_created.v2", "a--b", "a" * 255])
def test_index_name_accepts_empty_or_3_to_255_allowed_chars(name: str) -> None:
    validate_index_name(name)


@pytest.mark.parametrize("name", ["ab", "a" * 256, "by email", "idx;", "idx\n", "\u00edndex"])
def test_index_name_with_bad_length_or_chars_is_invalid_index_name(name: str) -> None:
    with rejected_as("InvalidIndexName"):
        validate_index_name(name)


def test_index_name_that_is_not_a_string_is_invalid_index_name() -> None:
    with rejected_as("InvalidIndexName"):
        validate_index_name(None)  # type: ignore[arg-type]  # callers without type checking


# validate_placeholder_names / validate_placeholder_values


@pytest.mark.parametrize("names", [None, {}, {"#a": "x", "#n_0": "y", "#Name9": "z"}])
def test_placeholder_names_accepts_hash_identifiers(names: dict[str, Any] | None) -> None:
    validate_placeholder_names(names)


@pytest.mark.parametrize("key", ["a", "#", "#a-b", "#a b", "#a\n", ":a", "##a", "#\u00e9", 1])
def test_placeholder_name_key_not_matching_hash_identifier_is_invalid_expression(key: Any) -> None:
    with rejected_as("InvalidExpression"):
        validate_placeholder_names({"#ok": "x", key: "y"})


@pytest.mark.parametrize("values", [None, {}, {":v": 1, ":v1_x": "s", ":V": None}])
def test_placeholder_values_accepts_colon_identifiers(values: dict[str, Any] | None) -> None:
    validate_placeholder_values(values)


@pytest.mark.parametrize("key", ["v", ":", ":a b", ":a;", "#v", ":v\n", "::v", 1])
def test_placeholder_value_key_not_matching_colon_identifier_is_invalid_expression(key: Any) -> None:
    with rejected_as("InvalidExpression"):
        validate_placeholder_values({":ok": 1, key: 2})


def test_placeholder_values_are_not_inspected() -> None:
    validate_placeholder_names({"#a": "any name; even --this"})
    validate_placeholder_values({":a": "' or 1=1"})
