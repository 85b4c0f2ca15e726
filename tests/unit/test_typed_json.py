"""Typed AttributeValue JSON (WF §1): encoding, the strict decoder, and CLI rendering of requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from boto3.dynamodb.types import Binary
from hypothesis import given
from hypothesis import strategies as st

from dynamorm_py._blocks.typed_json import (
    MAX_DEPTH,
    av_map_to_typed_json,
    av_to_typed_json,
    params_to_cli_json,
    typed_json_map_to_av,
    typed_json_to_av,
)
from dynamorm_py.errors import ERR_INVALID_CURSOR, ERR_INVALID_VALUE, ValidationError

# Strings without lone surrogates, biased towards characters JSON and Go's escaping treat specially.
_text = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from('<>&\u2028\u2029"\\\n\x00\x7f')))
_number_text = st.one_of(st.integers().map(str), st.decimals(allow_nan=False, allow_infinity=False).map(str))
_scalar_avs = st.one_of(
    _text.map(lambda s: {"S": s}),
    _number_text.map(lambda n: {"N": n}),
    st.binary(max_size=24).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(_text, min_size=1, max_size=4, unique=True).map(lambda v: {"SS": v}),
    st.lists(_number_text, min_size=1, max_size=4, unique=True).map(lambda v: {"NS": v}),
    st.lists(st.binary(max_size=8), min_size=1, max_size=4, unique=True).map(lambda v: {"BS": v}),
)
attribute_values = st.recursive(
    _scalar_avs,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda v: {"L": v}),
        st.dictionaries(_text, children, max_size=4).map(lambda v: {"M": v}),
    ),
    max_leaves=16,
)


def _nested_lists(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "x"}
    for _ in range(levels):
        value = {"L": [value]}
    return value


# --- AV -> typed JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("av", "expected"),
    [
        ({"S": "x"}, {"S": "x"}),
        ({"N": "1.50"}, {"N": "1.50"}),
        ({"B": b"\xff\xfe"}, {"B": "//4="}),
        ({"B": b""}, {"B": ""}),
        ({"BOOL": False}, {"BOOL": False}),
        ({"NULL": True}, {"NULL": True}),
        ({"SS": ["a", "b"]}, {"SS": ["a", "b"]}),
        ({"NS": ["1", "2.5"]}, {"NS": ["1", "2.5"]}),
        ({"BS": [b"\x00", b"\xff"]}, {"BS": ["AA==", "/w=="]}),
        ({"L": [{"B": b"\x00"}, {"S": "a"}]}, {"L": [{"B": "AA=="}, {"S": "a"}]}),
        ({"M": {"k": {"BS": [b"\x01\x02\x03"]}}}, {"M": {"k": {"BS": ["AQID"]}}}),
    ],
)
def test_av_to_typed_json_writes_binaries_as_padded_standard_base64_and_the_rest_as_is(
    av: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert av_to_typed_json(av) == expected


@pytest.mark.parametrize(
    "binary", [b"\xfb\xff", bytearray(b"\xfb\xff"), memoryview(b"\xfb\xff"), Binary(b"\xfb\xff")]
)
def test_av_to_typed_json_accepts_every_bytes_like_binary(binary: Any) -> None:
    assert av_to_typed_json({"B": binary}) == {"B": "+/8="}
    assert av_to_typed_json({"BS": [binary]}) == {"BS": ["+/8="]}


def test_av_to_typed_json_always_writes_null_as_true() -> None:
    assert av_to_typed_json({"NULL": False}) == {"NULL": True}


@pytest.mark.parametrize(
    "av",
    [
        "x",
        {},
        {"S": "a", "N": "1"},
        {"X": "a"},
        {"S": 1},
        {"N": 1},
        {"B": "AA=="},
        {"BOOL": 1},
        {"SS": "a"},
        {"SS": [1]},
        {"BS": [b"\x00", "AA=="]},
        {"L": {"S": "a"}},
        {"L": ["a"]},
        {"M": [1]},
        {"M": {1: {"S": "a"}}},
    ],
)
def test_av_to_typed_json_rejects_malformed_attribute_values(av: Any) -> None:
    with pytest.raises(ValidationError) as info:
        av_to_typed_json(av)
    assert info.value.code == ERR_INVALID_VALUE


def test_av_to_typed_json_accepts_32_nested_levels_and_rejects_33() -> None:
    assert av_to_typed_json(_nested_lists(MAX_DEPTH))
    with pytest.raises(ValidationError) as info:
        av_to_typed_json(_nested_lists(MAX_DEPTH + 1))
    assert info.value.code == ERR_INVALID_VALUE


def test_av_to_typed_json_rejects_a_self_containing_value_instead_of_recursing_forever() -> None:
    cyclic: dict[str, Any] = {"L": []}
    cyclic["L"].append(cyclic)
    with pytest.raises(ValidationError):
        av_to_typed_json(cyclic)


def test_av_map_to_typed_json_rejects_non_string_attribute_names() -> None:
    with pytest.raises(ValidationError):
        av_map_to_typed_json({1: {"S": "a"}})  # type: ignore[dict-item]  # the runtime check under test


# --- typed JSON -> AV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"S": "x"}, {"S": "x"}),
        ({"N": "42"}, {"N": "42"}),
        ({"B": "//4="}, {"B": b"\xff\xfe"}),
        ({"B": ""}, {"B": b""}),
        ({"B": "AAA="}, {"B": b"\x00\x00"}),
        ({"B": "AAAA"}, {"B": b"\x00\x00\x00"}),
        ({"BOOL": True}, {"BOOL": True}),
        ({"NULL": True}, {"NULL": True}),
        ({"SS": ["a"]}, {"SS": ["a"]}),
        ({"NS": ["1", "2.5"]}, {"NS": ["1", "2.5"]}),
        ({"BS": ["AA==", "+/8="]}, {"BS": [b"\x00", b"\xfb\xff"]}),
        ({"L": [{"NULL": True}, {"B": "AQ=="}]}, {"L": [{"NULL": True}, {"B": b"\x01"}]}),
        ({"M": {"a": {"M": {"b": {"N": "1"}}}}}, {"M": {"a": {"M": {"b": {"N": "1"}}}}}),
    ],
)
def test_typed_json_to_av_decodes_every_type_with_binaries_as_bytes(
    typed: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert typed_json_to_av(typed) == expected


@pytest.mark.parametrize("value", [True, False, None, 0, "x", [], {}])
def test_typed_json_to_av_accepts_any_json_value_for_null_and_returns_true(value: Any) -> None:
    assert typed_json_to_av({"NULL": value}) == {"NULL": True}


@pytest.mark.parametrize(
    "typed",
    [
        "S",
        None,
        1,
        [{"S": "a"}],
        {},
        {"S": "a", "N": "1"},
        {"X": "a"},
        {"s": "a"},
        {"S": 1},
        {"S": None},
        {"N": 5},
        {"N": 1.5},
        {"BOOL": "x"},
        {"BOOL": 1},
        {"SS": "a"},
        {"SS": [1]},
        {"NS": [1]},
        {"NS": "1"},
        {"BS": "AA=="},
        {"BS": [1]},
        {"L": {"S": "a"}},
        {"L": ["a"]},
        {"L": [{"S": 1}]},
        {"M": [{"S": "a"}]},
        {"M": {"a": "b"}},
        {"M": {"a": {"X": "b"}}},
    ],
)
def test_typed_json_to_av_rejects_wrong_shapes_and_wrongly_typed_values(typed: Any) -> None:
    with pytest.raises(ValidationError) as info:
        typed_json_to_av(typed)
    assert info.value.code == ERR_INVALID_VALUE


@pytest.mark.parametrize(
    "text",
    [
        "!!",
        "AA",
        "AA=",
        "AAA",
        "AAAAA",
        "AA===",
        "=AAA",
        "AA=A",
        "AA== ",
        " AA==",
        "A A==",
        "AA\n==",
        "-_8=",
        "AA==AA==",
        "ÀA==",
    ],
)
def test_typed_json_to_av_decodes_base64_strictly(text: str) -> None:
    with pytest.raises(ValidationError):
        typed_json_to_av({"B": text})
    with pytest.raises(ValidationError):
        typed_json_to_av({"BS": ["AA==", text]})


def test_typed_json_to_av_accepts_raw_bytes_only_when_raw_binary_is_set() -> None:
    assert typed_json_to_av({"B": b"\x00"}, raw_binary=True) == {"B": b"\x00"}
    assert typed_json_to_av({"BS": [bytearray(b"\x01"), "Ag=="]}, raw_binary=True) == {
        "BS": [b"\x01", b"\x02"]
    }
    with pytest.raises(ValidationError):
        typed_json_to_av({"B": b"\x00"})


@pytest.mark.parametrize(
    "typed",
    [{"S": "a\ud800b"}, {"SS": ["\udfff"]}, {"M": {"\ud83d": {"S": "a"}}}, {"N": "1\udc00"}],
)
def test_typed_json_to_av_rejects_strings_with_lone_surrogates(typed: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        typed_json_to_av(typed)


def test_typed_json_to_av_raises_with_the_given_code_and_operation() -> None:
    with pytest.raises(ValidationError) as info:
        typed_json_to_av({"S": 1}, code=ERR_INVALID_CURSOR, operation="parse_stream_record")
    assert info.value.code == ERR_INVALID_CURSOR
    assert info.value.operation == "parse_stream_record"


def test_typed_json_to_av_error_message_never_quotes_the_input() -> None:
    secret = "SECRET-VALUE-42"
    for typed in (
        {"M": {secret: {"S": 1}}},
        {"L": [{secret: "x"}]},
        {"B": secret + "!"},
        {"SS": [secret, 1]},
        {"N": [secret]},
    ):
        with pytest.raises(ValidationError) as info:
            typed_json_to_av(typed)
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
        assert info.value.__cause__ is None


def test_typed_json_to_av_accepts_32_nested_levels_and_rejects_33() -> None:
    typed = json.loads(json.dumps(_nested_lists(MAX_DEPTH)))
    assert typed_json_to_av(typed) == _nested_lists(MAX_DEPTH)
    with pytest.raises(ValidationError):
        typed_json_to_av(_nested_lists(MAX_DEPTH + 1))


def test_typed_json_to_av_rejects_hostile_nesting_without_recursion_error() -> None:
    deep_maps: dict[str, Any] = {"S": "x"}
    for _ in range(100_000):
        deep_maps = {"M": {"a": deep_maps}}
    with pytest.raises(ValidationError):
        typed_json_to_av(deep_maps)


def test_typed_json_map_to_av_decodes_every_attribute_and_rejects_non_objects() -> None:
    assert typed_json_map_to_av({"PK": {"S": "a"}, "data": {"B": "AA=="}}) == {
        "PK": {"S": "a"},
        "data": {"B": b"\x00"},
    }
    for bad in ([{"S": "a"}], "PK", None, {"PK": "a"}):
        with pytest.raises(ValidationError) as info:
            typed_json_map_to_av(bad, code=ERR_INVALID_CURSOR)
        assert info.value.code == ERR_INVALID_CURSOR


@given(attribute_values)
def test_attribute_values_round_trip_through_typed_json_text(av: dict[str, Any]) -> None:
    text = json.dumps(av_to_typed_json(av), ensure_ascii=False)
    assert typed_json_to_av(json.loads(text)) == av


# --- params_to_cli_json -----------------------------------------------------------------------------------


def test_params_to_cli_json_converts_item_key_and_expression_values() -> None:
    params = {
        "TableName": "users",
        "Item": {"PK": {"S": "a"}, "blob": {"B": b"\x00"}},
        "Key": {"PK": {"B": b"\xff"}},
        "ExclusiveStartKey": {"PK": {"BS": [b"\x01"]}},
        "ExpressionAttributeValues": {":v0": {"B": b"\x02"}, ":v1": {"N": "1"}},
        "ExpressionAttributeNames": {"#n0": "Item"},
        "ConditionExpression": "#n0 = :v0",
    }
    assert params_to_cli_json(params) == {
        "TableName": "users",
        "Item": {"PK": {"S": "a"}, "blob": {"B": "AA=="}},
        "Key": {"PK": {"B": "/w=="}},
        "ExclusiveStartKey": {"PK": {"BS": ["AQ=="]}},
        "ExpressionAttributeValues": {":v0": {"B": "Ag=="}, ":v1": {"N": "1"}},
        "ExpressionAttributeNames": {"#n0": "Item"},
        "ConditionExpression": "#n0 = :v0",
    }


def test_params_to_cli_json_converts_batch_requests_and_never_reads_table_names_as_members() -> None:
    write = {
        "RequestItems": {
            "Key": [
                {"PutRequest": {"Item": {"PK": {"B": b"\x00"}}}},
                {"DeleteRequest": {"Key": {"PK": {"B": b"\x01"}}}},
            ]
        }
    }
    assert params_to_cli_json(write) == {
        "RequestItems": {
            "Key": [
                {"PutRequest": {"Item": {"PK": {"B": "AA=="}}}},
                {"DeleteRequest": {"Key": {"PK": {"B": "AQ=="}}}},
            ]
        }
    }
    get = {"RequestItems": {"Item": {"Keys": [{"PK": {"B": b"\x00"}}], "ConsistentRead": True}}}
    assert params_to_cli_json(get) == {
        "RequestItems": {"Item": {"Keys": [{"PK": {"B": "AA=="}}], "ConsistentRead": True}}
    }


def test_params_to_cli_json_converts_every_transaction_action() -> None:
    key = {"PK": {"B": b"\x00"}}
    typed_key = {"PK": {"B": "AA=="}}
    values = {":v": {"B": b"\x01"}}
    typed_values = {":v": {"B": "AQ=="}}
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": key, "ExpressionAttributeValues": values}},
            {"Delete": {"TableName": "t", "Key": key}},
            {"Update": {"TableName": "t", "Key": key, "ExpressionAttributeValues": values}},
            {"ConditionCheck": {"TableName": "t", "Key": key, "ConditionExpression": "x"}},
            {"Get": {"TableName": "t", "Key": key}},
        ],
        "ClientRequestToken": "token",
    }
    assert params_to_cli_json(params) == {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": typed_key, "ExpressionAttributeValues": typed_values}},
            {"Delete": {"TableName": "t", "Key": typed_key}},
            {"Update": {"TableName": "t", "Key": typed_key, "ExpressionAttributeValues": typed_values}},
            {"ConditionCheck": {"TableName": "t", "Key": typed_key, "ConditionExpression": "x"}},
            {"Get": {"TableName": "t", "Key": typed_key}},
        ],
        "ClientRequestToken": "token",
    }


def test_params_to_cli_json_result_is_json_serializable_and_shares_nothing_with_params() -> None:
    params = {"Key": {"PK": {"B": b"\x00"}}, "AttributesToGet": ["a"], "Nested": {"x": [1]}}
    rendered = params_to_cli_json(params)
    json.dumps(rendered)
    rendered["AttributesToGet"].append("b")
    rendered["Nested"]["x"].append(2)
    assert params == {"Key": {"PK": {"B": b"\x00"}}, "AttributesToGet": ["a"], "Nested": {"x": [1]}}
