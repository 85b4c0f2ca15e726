"""Pagination cursors (WF §2): spec vectors, golden fixture, strict decoding, signing and request checks."""

from __future__ import annotations

import base64
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamorm_py._blocks.cursor import (
    Cursor,
    decode_cursor,
    encode_cursor,
    issue_cursor,
    key_value_order,
    normalize_signing_keys,
    resolve_cursor,
    sign_cursor,
    validate_cursor_for_request,
    validate_cursor_keys,
    verify_cursor,
)
from dynamorm_py._blocks.typed_json import typed_json_map_to_av
from dynamorm_py.errors import ERR_INVALID_CURSOR, ERR_INVALID_VALUE, ValidationError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cursor"

KEY = b"\x0b" * 32
OTHER_KEY = b"\x0c" * 32
TABLE = "users_contract"

G1 = (
    "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJVU0VSIzEifSwiU0siOnsiUyI6IlBST0ZJTEUifX0sImluZGV4IjoiZ3NpLWVtYWlsIiwic29y"
    "dCI6IkFTQyJ9"
)
C1 = "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJVU0VSIzEifX0sInNvcnQiOiJBU0MifQ=="
G1_SIGNED = G1 + ".KTRAEfhd15bHUtMTRSqnjzHk-ilc1qZTbXjoOynkzjk"
C1_SIGNED = C1 + ".A-qaEXKGAy6IXyJ84Fh1vTSwc-W2d1semXNzMHKcJYo"
G1_SIGNED_FOR_ORDERS = G1 + ".nEljEBFLS0NSmi4QMkDe3Mo9dWSLCJaqb-40WupQbAo"

G1_CURSOR = Cursor({"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}}, index="gsi-email", sort="ASC")
HTML_KEY = {"PK": {"S": '<é>\u2028"\n'}}
AMP_KEY = {"PK": {"S": "a&b"}}

# (name, exact JSON payload, cursor, decoded cursor, whether our encoder emits exactly this cursor)
VECTORS: list[tuple[str, bytes, str, Cursor, bool]] = [
    (
        "G1",
        b'{"lastKey":{"PK":{"S":"USER#1"},"SK":{"S":"PROFILE"}},"index":"gsi-email","sort":"ASC"}',
        G1,
        G1_CURSOR,
        True,
    ),
    (
        "C1",
        b'{"lastKey":{"PK":{"S":"USER#1"}},"sort":"ASC"}',
        C1,
        Cursor({"PK": {"S": "USER#1"}}, sort="ASC"),
        True,
    ),
    (
        "C2",
        b'{"lastKey":{"id":{"B":"//4="},"n":{"N":"42"}}}',
        "eyJsYXN0S2V5Ijp7ImlkIjp7IkIiOiIvLzQ9In0sIm4iOnsiTiI6IjQyIn19fQ==",
        Cursor({"id": {"B": b"\xff\xfe"}, "n": {"N": "42"}}),
        True,
    ),
    (
        "C3",
        b'{"lastKey":{"PK":{"S":"ORG#1"},"SK":{"N":"7"},"status":{"S":"open"}},"index":"gsi-status","sort":"DESC"}',
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJPUkcjMSJ9LCJTSyI6eyJOIjoiNyJ9LCJzdGF0dXMiOnsiUyI6Im9wZW4ifX0sImluZGV4Ijoi"
        "Z3NpLXN0YXR1cyIsInNvcnQiOiJERVNDIn0=",
        Cursor(
            {"PK": {"S": "ORG#1"}, "SK": {"N": "7"}, "status": {"S": "open"}}, index="gsi-status", sort="DESC"
        ),
        True,
    ),
    (
        "C4",
        rb'{"lastKey":{"PK":{"S":"a\u0026b"}}}',
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJhXHUwMDI2YiJ9fX0=",
        Cursor(AMP_KEY),
        True,
    ),
    (
        "C5",
        b'{"lastKey":{"PK":{"S":"a&b"}}}',
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJhJmIifX19",
        Cursor(AMP_KEY),
        False,
    ),
    (
        "C6",
        r'{"lastKey":{"PK":{"S":"\u003cé\u003e\u2028\"\n"}}}'.encode(),
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJcdTAwM2PDqVx1MDAzZVx1MjAyOFwiXG4ifX19",
        Cursor(HTML_KEY),
        True,
    ),
    (
        "C7",
        '{"lastKey":{"PK":{"S":"<é>\u2028\\"\\n"}}}'.encode(),
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiI8w6k-4oCoXCJcbiJ9fX0=",
        Cursor(HTML_KEY),
        False,
    ),
    (
        "C8",
        b'{"lastKey":{"PK":{"S":"A"},"z":{"M":{"a":{"NS":["1","2.5"]},"b":{"L":[{"NULL":true},{"BOOL":false},'
        b'{"BS":["AA=="]}]}}}},"sort":"DESC"}',
        "eyJsYXN0S2V5Ijp7IlBLIjp7IlMiOiJBIn0sInoiOnsiTSI6eyJhIjp7Ik5TIjpbIjEiLCIyLjUiXX0sImIiOnsiTCI6W3siTlVMTCI6"
        "dHJ1ZX0seyJCT09MIjpmYWxzZX0seyJCUyI6WyJBQT09Il19XX19fX0sInNvcnQiOiJERVNDIn0=",
        Cursor(
            {
                "PK": {"S": "A"},
                "z": {
                    "M": {
                        "b": {"L": [{"NULL": True}, {"BOOL": False}, {"BS": [b"\x00"]}]},
                        "a": {"NS": ["1", "2.5"]},
                    }
                },
            },
            sort="DESC",
        ),
        True,
    ),
]
VECTOR_IDS = [v[0] for v in VECTORS]
EMITTED = [v for v in VECTORS if v[4]]


def b64url(payload: bytes, *, pad: bool = True) -> str:
    text = base64.urlsafe_b64encode(payload).decode("ascii")
    return text if pad else text.rstrip("=")


def assert_invalid_cursor(text: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode_cursor(text)
    assert info.value.code == ERR_INVALID_CURSOR
    return info.value


# Same AV strategy as test_typed_json.py (strings without lone surrogates, HTML-sensitive characters likely).
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
last_keys = st.dictionaries(_text, attribute_values, min_size=1, max_size=4)
index_names = st.none() | st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)
sorts = st.sampled_from([None, "ASC", "DESC"])


# --- golden fixture ---------------------------------------------------------------------------------------


def _golden() -> tuple[str, str]:
    cursor = (FIXTURES / "cursor_v0.1_basic.cursor").read_text(encoding="utf-8").rstrip("\n")
    payload = (FIXTURES / "cursor_v0.1_basic.json").read_text(encoding="utf-8").rstrip("\n")
    return cursor, payload


def test_golden_cursor_decodes_to_the_golden_json() -> None:
    cursor, payload = _golden()
    expected = json.loads(payload)
    decoded = decode_cursor(cursor)
    assert decoded.last_key == typed_json_map_to_av(expected["lastKey"])
    assert decoded.index == expected["index"]
    assert decoded.sort == expected["sort"]
    assert base64.urlsafe_b64decode(cursor) == payload.encode("utf-8")


def test_golden_cursor_reencodes_byte_for_byte() -> None:
    cursor, _ = _golden()
    decoded = decode_cursor(cursor)
    assert encode_cursor(decoded.last_key, index=decoded.index, sort=decoded.sort) == cursor
    assert cursor == G1


# --- spec vectors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "payload", "cursor", "expected", "emitted"), VECTORS, ids=VECTOR_IDS)
def test_spec_vector_cursor_is_the_base64url_of_its_exact_payload(
    name: str, payload: bytes, cursor: str, expected: Cursor, emitted: bool
) -> None:
    assert base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)) == payload


@pytest.mark.parametrize(("name", "payload", "cursor", "expected", "emitted"), VECTORS, ids=VECTOR_IDS)
def test_spec_vector_decodes_to_its_cursor(
    name: str, payload: bytes, cursor: str, expected: Cursor, emitted: bool
) -> None:
    assert decode_cursor(cursor) == expected


@pytest.mark.parametrize(
    ("name", "payload", "cursor", "expected", "emitted"), EMITTED, ids=[v[0] for v in EMITTED]
)
def test_spec_vector_encodes_byte_for_byte(
    name: str, payload: bytes, cursor: str, expected: Cursor, emitted: bool
) -> None:
    assert encode_cursor(expected.last_key, index=expected.index, sort=expected.sort) == cursor


def test_go_escaped_and_unescaped_html_forms_decode_to_the_same_key_and_encode_to_the_go_form() -> None:
    c4, c5, c6, c7 = (next(v[2] for v in VECTORS if v[0] == n) for n in ("C4", "C5", "C6", "C7"))
    assert decode_cursor(c4).last_key == decode_cursor(c5).last_key == AMP_KEY
    assert decode_cursor(c6).last_key == decode_cursor(c7).last_key == HTML_KEY
    assert encode_cursor(decode_cursor(c5).last_key) == c4
    assert encode_cursor(decode_cursor(c7).last_key) == c6


def test_c1_without_padding_decodes_to_the_same_cursor() -> None:
    assert C1.endswith("==")
    assert decode_cursor(C1.rstrip("=")) == decode_cursor(C1)


def test_decode_strips_surrounding_whitespace() -> None:
    assert decode_cursor(f"  {G1}\n") == G1_CURSOR


# --- encoding rules ---------------------------------------------------------------------------------------


def test_encode_cursor_of_an_empty_key_is_the_empty_string() -> None:
    assert encode_cursor({}) == ""
    assert encode_cursor({}, index="gsi", sort="ASC") == ""


@pytest.mark.parametrize("last_key", [None, [("PK", {"S": "a"})], "PK", 1])
def test_encode_cursor_rejects_a_non_dict_last_key(last_key: Any) -> None:
    with pytest.raises(ValidationError) as info:
        encode_cursor(last_key)
    assert info.value.code == ERR_INVALID_CURSOR


@pytest.mark.parametrize(("index", "sort"), [(1, None), (None, "asc"), (None, "desc"), (None, "")])
def test_encode_cursor_rejects_a_bad_index_or_sort(index: Any, sort: Any) -> None:
    with pytest.raises(ValidationError) as info:
        encode_cursor({"PK": {"S": "a"}}, index=index, sort=sort)
    assert info.value.code == ERR_INVALID_CURSOR


def test_encode_cursor_omits_an_empty_index() -> None:
    assert encode_cursor({"PK": {"S": "a"}}, index="") == encode_cursor({"PK": {"S": "a"}})


def test_encode_cursor_uses_go_escaping_for_control_characters_and_writes_del_and_non_ascii_raw() -> None:
    cursor = encode_cursor({"PK": {"S": "\x01\x1f\b\f\t\r\x7f/é😀\u2029>"}})
    payload = base64.urlsafe_b64decode(cursor).decode("utf-8")
    assert payload == '{"lastKey":{"PK":{"S":"\\u0001\\u001f\\b\\f\\t\\r\x7f/é😀\\u2029\\u003e"}}}'


def test_encode_cursor_sorts_attribute_names_and_nested_map_keys_by_code_point() -> None:
    last_key = {
        "b": {"M": {"é": {"N": "1"}, "Z": {"N": "2"}, "a": {"N": "3"}}},
        "B": {"S": "x"},
        "a": {"S": "y"},
    }
    payload = base64.urlsafe_b64decode(encode_cursor(last_key)).decode("utf-8")
    assert payload == (
        '{"lastKey":{"B":{"S":"x"},"a":{"S":"y"},"b":{"M":{"Z":{"N":"2"},"a":{"N":"3"},"é":{"N":"1"}}}}}'
    )


@pytest.mark.parametrize(
    "last_key", [{"PK": {"S": "a\ud800"}}, {"\udc00": {"S": "a"}}, {"PK": {"SS": ["\udfff"]}}]
)
def test_encode_cursor_rejects_lone_surrogates_as_invalid_value(last_key: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        encode_cursor(last_key)
    assert info.value.code == ERR_INVALID_VALUE


def test_encode_cursor_rejects_a_malformed_attribute_value() -> None:
    with pytest.raises(ValidationError) as info:
        encode_cursor({"PK": "USER#1"})
    assert info.value.code == ERR_INVALID_VALUE


@given(last_keys, index_names, sorts)
def test_random_keys_round_trip_through_encode_and_decode(
    last_key: dict[str, Any], index: str | None, sort: str | None
) -> None:
    cursor = encode_cursor(last_key, index=index, sort=sort)
    assert cursor.isascii()
    assert len(cursor) % 4 == 0
    assert decode_cursor(cursor) == Cursor(last_key, index=index, sort=sort)


# --- decoding failures and lenient members ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_decode_cursor_rejects_an_empty_cursor(text: str) -> None:
    assert_invalid_cursor(text)


@pytest.mark.parametrize("value", [None, b"eyJ9", 1, ["eyJ9"]])
def test_decode_cursor_rejects_a_non_string(value: Any) -> None:
    assert_invalid_cursor(value)


@pytest.mark.parametrize("cut", [1, 2, 4, 5, 10, 50])
def test_decode_cursor_rejects_a_truncated_cursor(cut: int) -> None:
    assert_invalid_cursor(G1[:-cut])


@pytest.mark.parametrize(
    "text",
    [
        "!!!!",
        "eyJ+YSI6MX0=",
        "eyJ/YSI6MX0=",
        "eyJs YXN0",
        "eyJs\nYXN0",
        "e",
        "eyJsY",
        "a===",
        "ab=c",
        "=abc",
        C1 + "=",
        C1 + "AA==",
        "ÀÀÀÀ",
        "eyJsYXN0S2V5Ijp7fX0%3D",
    ],
)
def test_decode_cursor_rejects_text_that_is_not_strict_base64url(text: str) -> None:
    assert_invalid_cursor(text)


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe",
        b'{"lastKey":{"PK":{"S":"\xed\xa0\x80"}}}',
        b"\xef\xbb\xbf{}",
        b"not json",
        b"{",
        b"",
        b"{} {}",
    ],
)
def test_decode_cursor_rejects_a_payload_that_is_not_utf8_json(payload: bytes) -> None:
    assert_invalid_cursor(b64url(payload))


@pytest.mark.parametrize(
    "payload",
    [
        [{"PK": {"S": "a"}}],
        "lastKey",
        None,
        1,
        {},
        {"lastkey": {"PK": {"S": "a"}}},
        {"lastKey": None},
        {"lastKey": [{"PK": {"S": "a"}}]},
        {"lastKey": "PK"},
        {"lastKey": {}},
        {"lastKey": {"PK": "a"}},
        {"lastKey": {"PK": {"S": 1}}},
        {"lastKey": {"PK": {"N": 5}}},
        {"lastKey": {"PK": {"SS": "a"}}},
        {"lastKey": {"PK": {"BOOL": "x"}}},
        {"lastKey": {"PK": {"B": "!!"}}},
        {"lastKey": {"PK": {"B": "//4"}}},
        {"lastKey": {"PK": {"B": "__4="}}},
        {"lastKey": {"PK": {"X": "a"}}},
        {"lastKey": {"PK": {}}},
        {"lastKey": {"PK": {"S": "a", "N": "1"}}},
        {"lastKey": {"PK": {"S": "\ud800"}}},
        {"lastKey": {"\udfff": {"S": "a"}}},
    ],
)
def test_decode_cursor_rejects_a_payload_of_the_wrong_shape(payload: Any) -> None:
    assert_invalid_cursor(b64url(json.dumps(payload).encode("utf-8")))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_decode_cursor_rejects_non_standard_json_constants(constant: str) -> None:
    assert_invalid_cursor(b64url(f'{{"lastKey":{{"PK":{{"S":"a"}}}},"extra":{constant}}}'.encode()))


def test_decode_cursor_rejects_hostile_json_nesting_without_recursion_error() -> None:
    assert_invalid_cursor(b64url(b'{"lastKey":' + b"[" * 200_000 + b"]" * 200_000 + b"}"))
    deep = '{"S":"x"}'
    for _ in range(40):
        deep = '{"L":[' + deep + "]}"
    assert_invalid_cursor(b64url(f'{{"lastKey":{{"PK":{deep}}}}}'.encode()))


def test_decode_cursor_error_never_quotes_the_cursor_or_its_key_values() -> None:
    secret = "SECRET-VALUE-42"
    cursor = b64url(json.dumps({"lastKey": {"PK": {"S": secret}, "SK": {"S": 1}}}).encode())
    error = assert_invalid_cursor(cursor)
    assert secret not in str(error)
    assert cursor not in str(error)
    assert error.__cause__ is None
    error = assert_invalid_cursor(b64url(f'{{"lastKey":{{"PK":{{"S":"{secret}"}}}}'.encode()))
    assert secret not in str(error)
    assert error.__cause__ is None


@pytest.mark.parametrize("index", [1, None, True, ["gsi"], {"name": "gsi"}, ""])
def test_decode_cursor_treats_a_non_string_or_empty_index_as_absent(index: Any) -> None:
    cursor = b64url(json.dumps({"lastKey": {"PK": {"S": "a"}}, "index": index}).encode())
    assert decode_cursor(cursor).index is None


@pytest.mark.parametrize("sort", ["asc", "desc", "Asc", "", "ASC ", 1, None, ["ASC"], {"a": 1}])
def test_decode_cursor_treats_any_sort_but_exact_asc_or_desc_as_absent(sort: Any) -> None:
    cursor = b64url(json.dumps({"lastKey": {"PK": {"S": "a"}}, "sort": sort}).encode())
    assert decode_cursor(cursor).sort is None


def test_decode_cursor_ignores_unknown_members_and_member_order() -> None:
    cursor = b64url(b'{"sort":"DESC","v":2,"index":"gsi","lastKey":{"PK":{"S":"a"}},"extra":{"x":[1]}}')
    assert decode_cursor(cursor) == Cursor({"PK": {"S": "a"}}, index="gsi", sort="DESC")


def test_decode_cursor_never_accepts_a_signed_cursor() -> None:
    error = assert_invalid_cursor(G1_SIGNED)
    assert "signed" in str(error)


def test_decode_cursor_of_an_unsigned_cursor_tampered_at_any_position_raises_only_validation_error() -> None:
    for position, char in enumerate(G1):
        tampered = G1[:position] + ("A" if char != "A" else "B") + G1[position + 1 :]
        try:
            decoded = decode_cursor(tampered)
        except ValidationError as exc:
            assert exc.code == ERR_INVALID_CURSOR
        else:
            assert decoded != G1_CURSOR


# --- validation against the request -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cursor", "index_name", "scan_forward"),
    [
        (Cursor({"PK": {"S": "a"}}), None, True),
        (Cursor({"PK": {"S": "a"}}), "gsi", False),
        (Cursor({"PK": {"S": "a"}}), "gsi", None),
        (Cursor({"PK": {"S": "a"}}, index="gsi", sort="ASC"), "gsi", True),
        (Cursor({"PK": {"S": "a"}}, index="gsi", sort="DESC"), "gsi", False),
        (Cursor({"PK": {"S": "a"}}, sort="DESC"), None, False),
        (Cursor({"PK": {"S": "a"}}, sort="DESC"), "gsi", None),
        (Cursor({"PK": {"S": "a"}}, index="gsi", sort="ASC"), "gsi", None),
    ],
)
def test_a_cursor_matching_the_request_is_accepted(
    cursor: Cursor, index_name: str | None, scan_forward: bool | None
) -> None:
    validate_cursor_for_request(cursor, index_name=index_name, scan_forward=scan_forward)


@pytest.mark.parametrize(
    ("cursor", "index_name", "scan_forward"),
    [
        (Cursor({"PK": {"S": "a"}}, index="gsi"), None, True),
        (Cursor({"PK": {"S": "a"}}, index="gsi"), "other", True),
        (Cursor({"PK": {"S": "a"}}, index="gsi"), None, None),
        (Cursor({"PK": {"S": "a"}}, index="gsi"), "GSI", None),
        (Cursor({"PK": {"S": "a"}}, sort="ASC"), None, False),
        (Cursor({"PK": {"S": "a"}}, sort="DESC"), None, True),
        (Cursor({"PK": {"S": "a"}}, index="gsi", sort="ASC"), "gsi", False),
    ],
)
def test_a_cursor_for_another_index_or_direction_is_rejected(
    cursor: Cursor, index_name: str | None, scan_forward: bool | None
) -> None:
    with pytest.raises(ValidationError) as info:
        validate_cursor_for_request(cursor, index_name=index_name, scan_forward=scan_forward)
    assert info.value.code == ERR_INVALID_CURSOR


def test_golden_cursor_fits_only_an_ascending_query_on_its_index() -> None:
    cursor = decode_cursor(G1)
    validate_cursor_for_request(cursor, index_name="gsi-email", scan_forward=True)
    for index_name, scan_forward in ((None, True), ("gsi-email", False), ("gsi-status", True)):
        with pytest.raises(ValidationError):
            validate_cursor_for_request(cursor, index_name=index_name, scan_forward=scan_forward)


# --- cursor keys against the request ----------------------------------------------------------------------

TABLE_KEYS = {"PK": "S", "SK": "N"}
# An index with a binary partition and a string sort: LastEvaluatedKey holds its keys and the table's.
INDEX_KEYS = {"tag": "B", "label": "S", "PK": "S", "SK": "N"}


def table_cursor(pk: Any = "u1", sk: Any = "5") -> Cursor:
    return Cursor({"PK": {"S": pk}, "SK": {"N": sk}})


def index_cursor(tag: bytes = b"\x01\x02", label: str = "m") -> Cursor:
    return Cursor({"tag": {"B": tag}, "label": {"S": label}, "PK": {"S": "u1"}, "SK": {"N": "5"}})


def test_a_cursor_with_the_requests_key_attributes_is_accepted() -> None:
    validate_cursor_keys(table_cursor(), key_types=TABLE_KEYS)
    validate_cursor_keys(table_cursor(), key_types=TABLE_KEYS, partition=("PK", {"S": "u1"}))
    validate_cursor_keys(index_cursor(), key_types=INDEX_KEYS, partition=("tag", {"B": b"\x01\x02"}))
    validate_cursor_keys(Cursor({"id": {"M": {}}}), key_types={"id": "M"})  # other types: presence only


@pytest.mark.parametrize(
    ("cursor", "key_types"),
    [
        (table_cursor(), INDEX_KEYS),  # a table cursor on an index
        (index_cursor(), TABLE_KEYS),  # an index cursor on the table
        (Cursor({"PK": {"S": "u1"}}), TABLE_KEYS),  # a sort key missing
        (Cursor({"id": {"S": "u1"}}), TABLE_KEYS),  # another table
        (Cursor({"pk": {"S": "u1"}, "sk": {"N": "5"}}), TABLE_KEYS),  # names are case-sensitive
        (table_cursor(), {"PK": "S"}),  # a sort key the table does not have
        (Cursor({"PK": {"N": "1"}, "SK": {"N": "5"}}), TABLE_KEYS),  # a number where a string is
        (Cursor({"PK": {"S": "u1"}, "SK": {"S": "5"}}), TABLE_KEYS),  # a string where a number is
        (Cursor({"PK": {"S": "u1", "N": "1"}, "SK": {"N": "5"}}), TABLE_KEYS),  # two types
        (Cursor({"PK": {"S": "u1"}, "SK": {"NULL": True}}), TABLE_KEYS),
        (table_cursor(sk="NaN"), TABLE_KEYS),  # not a DynamoDB number
        (table_cursor(sk="1_000"), TABLE_KEYS),
        (table_cursor(sk=" 5"), TABLE_KEYS),
        (Cursor({**index_cursor().last_key, "tag": {"S": "x"}}), INDEX_KEYS),
    ],
)
def test_a_cursor_whose_keys_are_not_the_requests_key_schema_is_rejected(
    cursor: Cursor, key_types: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as info:
        validate_cursor_keys(cursor, key_types=key_types)
    assert info.value.code == ERR_INVALID_CURSOR


@pytest.mark.parametrize(
    ("cursor", "partition"),
    [
        (table_cursor(pk="u2"), ("PK", {"S": "u1"})),
        (table_cursor(pk="U1"), ("PK", {"S": "u1"})),
        (index_cursor(tag=b"\x01"), ("tag", {"B": b"\x01\x02"})),
        (Cursor({"n": {"N": "10"}}), ("n", {"N": "1"})),
    ],
)
def test_a_cursor_from_another_partition_is_rejected(
    cursor: Cursor, partition: tuple[str, dict[str, Any]]
) -> None:
    key_types = {name: next(iter(av)) for name, av in cursor.last_key.items()}
    with pytest.raises(ValidationError) as info:
        validate_cursor_keys(cursor, key_types=key_types, partition=partition)
    assert info.value.code == ERR_INVALID_CURSOR


def test_a_numeric_partition_matches_the_same_number_written_differently() -> None:
    for written in ("1", "1.0", "1e0", "10E-1"):
        validate_cursor_keys(Cursor({"n": {"N": written}}), key_types={"n": "N"}, partition=("n", {"N": "1"}))


@pytest.mark.parametrize(
    ("kind", "value", "op", "operands", "inside"),
    [
        ("N", "5", "=", ["5"], True),
        ("N", "5", "=", ["5.00"], True),
        ("N", "5", "=", ["6"], False),
        ("N", "10", "<", ["9"], False),  # numbers compare as numbers, not as text
        ("N", "9", "<", ["10"], True),
        ("N", "10", "<=", ["10"], True),
        ("N", "-1", ">", ["-2"], True),
        ("N", "-3", ">", ["-2"], False),
        ("N", "2", ">=", ["2"], True),
        ("N", "1.5", ">=", ["2"], False),
        ("N", "10", "BETWEEN", ["9", "100"], True),
        ("N", "9", "BETWEEN", ["9", "9"], True),
        ("N", "101", "BETWEEN", ["9", "100"], False),
        ("N", "8", "BETWEEN", ["9", "100"], False),
        ("S", "b", "BETWEEN", ["a", "c"], True),
        ("S", "d", "BETWEEN", ["a", "c"], False),
        ("S", "é", ">", ["z"], True),  # by code point, as DynamoDB orders UTF-8 bytes
        ("S", "Z", ">", ["a"], False),
        ("S", "ORDER#2", "BEGINS_WITH", ["ORDER#"], True),
        ("S", "USER#2", "BEGINS_WITH", ["ORDER#"], False),
        ("S", "ORD", "BEGINS_WITH", ["ORDER#"], False),
        ("B", b"\x01\x02", "BEGINS_WITH", [b"\x01"], True),
        ("B", b"\x02", "BEGINS_WITH", [b"\x01"], False),
        ("B", b"\xff", ">", [b"\x01"], True),  # unsigned bytes
        ("B", b"\x00\xff", "BETWEEN", [b"\x00", b"\x01"], True),
    ],
)
def test_a_cursor_sort_key_outside_the_key_condition_is_rejected(
    kind: str, value: Any, op: str, operands: list[Any], inside: bool
) -> None:
    cursor = Cursor({"PK": {"S": "u1"}, "SK": {kind: value}})
    check = {
        "key_types": {"PK": "S", "SK": kind},
        "partition": ("PK", {"S": "u1"}),
        "sort": ("SK", op, [{kind: operand} for operand in operands]),
    }
    if inside:
        validate_cursor_keys(cursor, **check)
        return
    with pytest.raises(ValidationError) as info:
        validate_cursor_keys(cursor, **check)
    assert info.value.code == ERR_INVALID_CURSOR


def test_cursor_key_errors_never_quote_key_values_or_attribute_values() -> None:
    attempts: list[tuple[Cursor, dict[str, Any]]] = [
        (Cursor({"PK": {"S": "SECRET-1"}, "SK": {"N": "5"}}), {"partition": ("PK", {"S": "SECRET-2"})}),
        (Cursor({"PK": {"S": "SECRET-1"}, "SK": {"N": "98765"}}), {"sort": ("SK", "<", [{"N": "12345"}])}),
        (Cursor({"PK": {"S": "SECRET-1"}}), {}),
        (Cursor({"PK": {"S": "SECRET-1"}, "SK": {"S": "SECRET-3"}}), {}),
    ]
    for cursor, check in attempts:
        with pytest.raises(ValidationError) as info:
            validate_cursor_keys(cursor, key_types=TABLE_KEYS, where="index 'gsi-x'", **check)
        message = str(info.value)
        assert "SECRET" not in message and "98765" not in message and "12345" not in message
        assert info.value.code == ERR_INVALID_CURSOR


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("S", "abc", "abc"),
        ("B", bytearray(b"\x01"), b"\x01"),
        ("N", "1.50", Decimal("1.5")),
        ("N", "-2e3", Decimal("-2000")),
        ("N", ".5", Decimal("0.5")),
        ("N", "Infinity", None),
        ("N", "NaN", None),
        ("N", "", None),
        ("N", 5, None),
        ("S", b"abc", None),
        ("B", "abc", None),
        ("BOOL", True, None),
    ],
)
def test_key_value_order_reads_keys_as_dynamodb_orders_them(kind: str, value: Any, expected: Any) -> None:
    assert key_value_order(kind, value) == expected


# --- signed cursors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("standard", "signed"), [(G1, G1_SIGNED), (C1, C1_SIGNED)])
def test_signed_vectors_sign_and_verify(standard: str, signed: str) -> None:
    assert sign_cursor(standard, key=KEY, table_name=TABLE) == signed
    assert verify_cursor(signed, keys=[KEY], table_name=TABLE) == standard


def test_signature_is_bound_to_the_table_name() -> None:
    assert sign_cursor(G1, key=KEY, table_name="orders_contract") == G1_SIGNED_FOR_ORDERS
    assert verify_cursor(G1_SIGNED_FOR_ORDERS, keys=[KEY], table_name="orders_contract") == G1
    with pytest.raises(ValidationError) as info:
        verify_cursor(G1_SIGNED_FOR_ORDERS, keys=[KEY], table_name=TABLE)
    assert info.value.code == ERR_INVALID_CURSOR
    with pytest.raises(ValidationError) as info:
        resolve_cursor(G1_SIGNED_FOR_ORDERS, table_name=TABLE, signing_keys=[KEY], accept_unsigned=True)
    assert info.value.code == ERR_INVALID_CURSOR


def test_signed_cursor_tampered_at_any_position_is_rejected() -> None:
    for position, char in enumerate(G1_SIGNED):
        for replacement in ("A" if char != "A" else "B", "-" if char != "-" else "_"):
            tampered = G1_SIGNED[:position] + replacement + G1_SIGNED[position + 1 :]
            with pytest.raises(ValidationError) as info:
                resolve_cursor(tampered, table_name=TABLE, signing_keys=[KEY], accept_unsigned=False)
            assert info.value.code == ERR_INVALID_CURSOR, position


def test_a_valid_signature_moved_onto_another_cursor_is_rejected() -> None:
    moved = C1 + G1_SIGNED[len(G1) :]
    with pytest.raises(ValidationError) as info:
        verify_cursor(moved, keys=[KEY], table_name=TABLE)
    assert info.value.code == ERR_INVALID_CURSOR


@pytest.mark.parametrize(
    "signed",
    [
        G1,
        G1 + ".",
        "." + G1_SIGNED.rpartition(".")[2],
        G1_SIGNED[:-1],
        G1_SIGNED + "A",
        G1_SIGNED[:-1] + "=",
        G1_SIGNED[:-1] + "+",
        G1_SIGNED + "=",
        G1_SIGNED.replace(".", ".."),
    ],
)
def test_verify_rejects_a_malformed_signature_before_computing_any_mac(
    signed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_mac(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the MAC must not be computed for a malformed signature")

    monkeypatch.setattr(hmac, "new", no_mac)
    with pytest.raises(ValidationError) as info:
        verify_cursor(signed, keys=[KEY], table_name=TABLE)
    assert info.value.code == ERR_INVALID_CURSOR


def test_verify_compares_with_every_key_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[bytes] = []
    real_compare = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append(a)
        return real_compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify_cursor(G1_SIGNED, keys=[KEY, OTHER_KEY, b"\x0d" * 40], table_name=TABLE) == G1
    assert len(compared) == 3


def test_key_rotation_first_key_signs_and_every_key_verifies() -> None:
    new_key = b"\x42" * 32
    old_signed = sign_cursor(G1, key=KEY, table_name=TABLE)
    assert resolve_cursor(
        old_signed, table_name=TABLE, signing_keys=[new_key, KEY], accept_unsigned=False
    ) == (G1_CURSOR)
    issued = issue_cursor(
        G1_CURSOR.last_key, index="gsi-email", sort="ASC", table_name=TABLE, signing_keys=[new_key, KEY]
    )
    assert issued == sign_cursor(G1, key=new_key, table_name=TABLE)
    assert verify_cursor(issued, keys=[new_key], table_name=TABLE) == G1
    with pytest.raises(ValidationError):
        verify_cursor(issued, keys=[KEY], table_name=TABLE)


@pytest.mark.parametrize("key", [b"", b"\x0b" * 31, "k" * 32, None, 123])
def test_a_signing_key_shorter_than_32_bytes_or_not_bytes_is_rejected(key: Any) -> None:
    with pytest.raises(ValidationError) as info:
        sign_cursor(G1, key=key, table_name=TABLE)
    assert info.value.code == ERR_INVALID_VALUE
    with pytest.raises(ValidationError):
        verify_cursor(G1_SIGNED, keys=[KEY, key], table_name=TABLE)
    with pytest.raises(ValidationError):
        normalize_signing_keys([key])


@pytest.mark.parametrize("keys", [[], (), KEY, "k" * 40])
def test_verify_needs_a_non_empty_sequence_of_keys(keys: Any) -> None:
    with pytest.raises(ValidationError) as info:
        verify_cursor(G1_SIGNED, keys=keys, table_name=TABLE)
    assert info.value.code == ERR_INVALID_VALUE


def test_normalize_signing_keys_accepts_none_one_key_or_a_sequence() -> None:
    assert normalize_signing_keys(None) == ()
    assert normalize_signing_keys(KEY) == (KEY,)
    assert normalize_signing_keys([KEY, OTHER_KEY]) == (KEY, OTHER_KEY)
    with pytest.raises(ValidationError):
        normalize_signing_keys([])


@pytest.mark.parametrize("cursor", ["", G1_SIGNED, C1.rstrip("="), "a b", "!!!!"])
def test_sign_cursor_only_signs_a_padded_standard_cursor(cursor: str) -> None:
    with pytest.raises(ValidationError) as info:
        sign_cursor(cursor, key=KEY, table_name=TABLE)
    assert info.value.code == ERR_INVALID_CURSOR


# --- table-level rules ------------------------------------------------------------------------------------


def test_table_with_keys_accepts_its_signed_cursors() -> None:
    resolved = resolve_cursor(f" {G1_SIGNED} ", table_name=TABLE, signing_keys=[KEY], accept_unsigned=False)
    assert resolved == G1_CURSOR


def test_table_with_keys_rejects_unsigned_cursors_unless_configured_to_accept_them() -> None:
    with pytest.raises(ValidationError) as info:
        resolve_cursor(G1, table_name=TABLE, signing_keys=[KEY], accept_unsigned=False)
    assert info.value.code == ERR_INVALID_CURSOR
    assert resolve_cursor(G1, table_name=TABLE, signing_keys=[KEY], accept_unsigned=True) == G1_CURSOR


def test_table_without_keys_rejects_signed_cursors_and_accepts_unsigned_ones() -> None:
    for accept_unsigned in (False, True):
        with pytest.raises(ValidationError) as info:
            resolve_cursor(G1_SIGNED, table_name=TABLE, signing_keys=(), accept_unsigned=accept_unsigned)
        assert info.value.code == ERR_INVALID_CURSOR
        assert resolve_cursor(G1, table_name=TABLE, signing_keys=(), accept_unsigned=accept_unsigned) == (
            G1_CURSOR
        )


@pytest.mark.parametrize("text", ["", "  ", None])
def test_resolve_cursor_rejects_an_empty_or_non_string_cursor(text: Any) -> None:
    with pytest.raises(ValidationError) as info:
        resolve_cursor(text, table_name=TABLE, signing_keys=[KEY], accept_unsigned=True)
    assert info.value.code == ERR_INVALID_CURSOR


def test_a_signed_cursor_with_a_valid_mac_over_a_bad_payload_still_fails_decoding() -> None:
    standard = b64url(b'{"lastKey":[]}')
    signed = sign_cursor(standard, key=KEY, table_name=TABLE)
    with pytest.raises(ValidationError) as info:
        resolve_cursor(signed, table_name=TABLE, signing_keys=[KEY], accept_unsigned=False)
    assert info.value.code == ERR_INVALID_CURSOR


def test_issue_cursor_returns_none_without_a_last_evaluated_key() -> None:
    no_keys: tuple[dict[str, Any] | None, ...] = (None, {})
    for last_key in no_keys:
        assert issue_cursor(last_key, index=None, sort="ASC", table_name=TABLE, signing_keys=[KEY]) is None
        assert issue_cursor(last_key, index=None, sort=None, table_name=TABLE, signing_keys=()) is None


def test_issue_cursor_emits_a_standard_cursor_without_keys_and_a_signed_one_with_keys() -> None:
    last_key = G1_CURSOR.last_key
    assert issue_cursor(last_key, index="gsi-email", sort="ASC", table_name=TABLE, signing_keys=()) == G1
    assert issue_cursor(last_key, index="gsi-email", sort="ASC", table_name=TABLE, signing_keys=[KEY]) == (
        G1_SIGNED
    )


# --- hostile input ----------------------------------------------------------------------------------------


def _only_validation_errors(text: Any) -> None:
    for call in (
        lambda: decode_cursor(text),
        lambda: verify_cursor(text, keys=[KEY], table_name=TABLE),
        lambda: resolve_cursor(text, table_name=TABLE, signing_keys=[KEY], accept_unsigned=True),
        lambda: resolve_cursor(text, table_name=TABLE, signing_keys=(), accept_unsigned=False),
    ):
        try:
            call()
        except ValidationError as exc:
            assert exc.code == ERR_INVALID_CURSOR


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_raises_only_validation_error(text: str) -> None:
    _only_validation_errors(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_random_bytes_read_as_latin1_raise_only_validation_error(data: bytes) -> None:
    _only_validation_errors(data.decode("latin-1"))


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_random_bytes_objects_raise_only_validation_error(data: bytes) -> None:
    # Not a str at all: every entry point must still answer with ErrInvalidCursor, never a TypeError.
    _only_validation_errors(data)
    _only_validation_errors(bytearray(data))


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_random_bytes_read_as_utf8_with_lone_surrogates_raise_only_validation_error(data: bytes) -> None:
    _only_validation_errors(data.decode("utf-8", "surrogateescape"))


_BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_base64url_text = st.text(st.sampled_from(_BASE64URL_ALPHABET + "="))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.just(G1), st.just(C1), _base64url_text), _base64url_text, st.text(max_size=3))
def test_random_signed_looking_cursors_raise_only_validation_error(body: str, mac: str, extra: str) -> None:
    _only_validation_errors(f"{body}.{mac}")
    _only_validation_errors(f"{body}.{mac[:43].ljust(43, 'A')}{extra}")


@settings(max_examples=300, deadline=None)
@given(st.binary(), st.booleans())
def test_random_payload_bytes_in_base64url_raise_only_validation_error(data: bytes, pad: bool) -> None:
    _only_validation_errors(b64url(data, pad=pad))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)
_typed_shaped = st.dictionaries(
    st.sampled_from(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M", "X"]),
    _json_values,
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _json_values,
        st.fixed_dictionaries(
            {
                "lastKey": st.one_of(
                    _json_values, st.dictionaries(st.text(max_size=4), _typed_shaped, max_size=3)
                )
            },
            optional={"index": _json_values, "sort": _json_values},
        ),
    )
)
def test_random_json_payloads_raise_only_validation_error(payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    standard = b64url(text.encode("utf-8", "surrogatepass"))
    _only_validation_errors(standard)
    _only_validation_errors(sign_cursor(standard, key=KEY, table_name=TABLE))  # a valid MAC, hostile body
