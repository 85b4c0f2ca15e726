"""Value encoding (WF §5, §7.1, §7.2): the compiled model codec and the generic encoder, row by row."""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum
from functools import partial
from typing import Any, Optional

import pytest
from boto3.dynamodb.types import Binary
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dynamorm_py._blocks import codec
from dynamorm_py._blocks.annotations import is_set_annotation, unwrap_optional
from dynamorm_py._blocks.codec import (
    AV,
    MAX_ITEM_BYTES,
    EncodedItem,
    build_decoder,
    build_encoder,
    canonical_json,
    check_item_size,
    decode_value,
    encode_value,
    epoch_seconds,
    format_timestamp,
    is_empty,
    item_size,
    number_text,
    parse_timestamp,
)
from dynamorm_py.errors import (
    ERR_INVALID_MODEL,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    ERR_UNSUPPORTED_TYPE,
    DynamormPyError,
    UnsupportedTypeError,
    ValidationError,
)
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi

PLUS_2 = timezone(timedelta(hours=2))
MINUS_0530 = timezone(-timedelta(hours=5, minutes=30))


# --- models (module level so that string annotations resolve) -------------------------------------------


@dataclass
class Inner:
    name: str
    count: int = 0
    ratio: float | None = None
    tags: set[str] = dataclasses.field(default_factory=set)
    when: datetime | None = None


@dataclass
class Outer:
    inner: Inner
    items: list[Inner] = dataclasses.field(default_factory=list)


class CentsConverter:
    """Decimal amounts stored as integer cents; records every call to prove None never reaches it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def to_dynamodb(self, value: Any) -> Any:
        self.seen.append(("to", value))
        return int(value * 100)

    def from_dynamodb(self, value: Any) -> Any:
        self.seen.append(("from", value))
        return Decimal(value) / 100


class UpperConverter:
    def to_dynamodb(self, value: Any) -> Any:
        return {"v": str(value).upper()}

    def from_dynamodb(self, value: Any) -> Any:
        return value["v"].lower()


CENTS = CentsConverter()
UPPER = UpperConverter()


@dataclass
class Record:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: int = dynamorm_field(roles=["sk"], name="SK")
    amount: float = 0.0
    price: Decimal = Decimal(0)
    count: int | None = None
    flag: bool = False
    blob: bytes = b""
    tags: set[str] = dataclasses.field(default_factory=set)
    frozen_ids: frozenset[int] = frozenset()
    listed_tags: list[str] = dynamorm_field(set_=True, default_factory=list)
    maybe_tags: Optional[set[str]] = None  # noqa: UP045 - the typing spelling is part of the test
    items: list[Inner] = dataclasses.field(default_factory=list)
    nested: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    pair: tuple[int, str] | None = None
    when: datetime | None = None
    doc: Any = dynamorm_field(json=True, default=None)
    cents: Decimal | None = dynamorm_field(converter=CENTS, name="centsAmount", default=None)
    shout: str | None = dynamorm_field(converter=UPPER, json=True, default=None)
    anything: Any = None
    nick: str = dynamorm_field(omitempty=True, default="")


@dataclass
class Lifecycled:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    created: datetime | None = dynamorm_field(roles=["created_at"], name="createdAt", default=None)
    updated: str | None = dynamorm_field(roles=["updated_at"], name="updatedAt", default=None)
    version: int | None = dynamorm_field(roles=["version"], default=None)
    expires: datetime | None = dynamorm_field(roles=["ttl"], name="ttl", omitempty=True, default=None)


@dataclass
class IntTtl:
    pk: str = dynamorm_field(roles=["pk"])
    ttl: int = dynamorm_field(roles=["ttl"], omitempty=True, default=0)


@dataclass
class Emptiable:
    pk: str = dynamorm_field(roles=["pk"])
    value: Any = dynamorm_field(omitempty=True, default=None)


@dataclass
class BinaryKey:
    pk: bytes = dynamorm_field(roles=["pk"])


@dataclass
class NoSort:
    pk: str = dynamorm_field(roles=["pk"])


@dataclass
class OmittedKey:
    pk: str = dynamorm_field(roles=["pk"], omitempty=True)


@dataclass
class NotInit:
    pk: str = dynamorm_field(roles=["pk"])
    derived: int = dataclasses.field(default=0, init=False)


@dataclass
class IgnoredRequired:
    pk: str = dynamorm_field(roles=["pk"])
    cache: dict[str, int] = dynamorm_field(ignore=True)


RECORD = ModelDefinition.from_dataclass(Record)
LIFECYCLED = ModelDefinition.from_dataclass(Lifecycled)


def _value_model(annotation: Any, **options: Any) -> ModelDefinition[Any]:
    """A model with a string key and one field ``value`` of the given annotation."""
    model_type = dataclasses.make_dataclass(
        "ValueModel",
        [
            ("pk", str, dynamorm_field(roles=["pk"])),
            ("value", annotation, dynamorm_field(default=None, **options)),
        ],
    )
    return ModelDefinition.from_dataclass(model_type)


def _roundtrip(model: ModelDefinition[Any], value: Any) -> Any:
    encoded = model.codec.encode_item(model.model_type(pk="k", value=value))
    return model.codec.decode_item(encoded.item).value


def _stored(model: ModelDefinition[Any], value: Any) -> Any:
    return model.codec.encode_item(model.model_type(pk="k", value=value)).item.get("value")


def _raises(code: str, call: Callable[[], Any], *, error: type[Exception] = ValidationError) -> Any:
    with pytest.raises(error) as info:
        call()
    assert getattr(info.value, "code", None) == code
    return info.value


# --- WF §5.2, row by row --------------------------------------------------------------------------------


def test_none_encodes_as_null_and_reads_back_as_none() -> None:
    assert encode_value(None) == {"NULL": True}
    assert decode_value({"NULL": True}) is None
    assert _roundtrip(_value_model(int | None), None) is None


def test_bool_is_encoded_before_int() -> None:
    assert encode_value(True) == {"BOOL": True}
    assert encode_value(False) == {"BOOL": False}
    assert _stored(_value_model(Any), True) == {"BOOL": True}
    assert _roundtrip(_value_model(bool), True) is True


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (-7, "-7"), (10**37, str(10**37)), (int("9" * 38), "9" * 38), (10**40, "1" + "0" * 40)],
)
def test_int_is_n_text_and_stays_int(value: int, text: str) -> None:
    assert encode_value(value) == {"N": text}
    decoded = _roundtrip(_value_model(int), value)
    assert decoded == value
    assert type(decoded) is int


def test_int_of_39_significant_digits_is_rejected() -> None:
    value = int("1" * 39)
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(value))
    assert "38 significant digits" in str(error)
    assert str(value) not in str(error)


def test_int_of_one_significant_digit_but_too_large_magnitude_is_rejected() -> None:
    assert encode_value(10**125) == {"N": "1" + "0" * 125}
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(10**126))
    assert "range" in str(error)


def test_int_enum_like_subclass_is_written_as_plain_int_text() -> None:
    class Level(int):
        pass

    assert encode_value(Level(3)) == {"N": "3"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.10"), "1.10"),
        (Decimal("1E+3"), "1E+3"),
        (Decimal("-0.000"), "-0.000"),
        (Decimal("0"), "0"),
        (Decimal("1E-130"), "1E-130"),
        (Decimal("9" * 38 + "E+88"), "9.9999999999999999999999999999999999999E+125"),
        (Decimal("1" + "0" * 60), "1" + "0" * 60),
    ],
)
def test_decimal_keeps_its_text(value: Decimal, text: str) -> None:
    assert encode_value(value) == {"N": text}
    decoded = _roundtrip(_value_model(Decimal), value)
    assert type(decoded) is Decimal
    assert str(decoded) == str(Decimal(text))


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1" * 39),
        Decimal("0." + "1" * 40),
        Decimal("1E+126"),
        Decimal("-1E+126"),
        Decimal("1E-131"),
        Decimal("9.99E-131"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_decimal_out_of_range_is_rejected_never_rounded(value: Decimal) -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(value))
    assert repr(value) not in str(error)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1.5, "1.5"),
        (100.0, "100.0"),
        (1e21, "1E+21"),
        (1.5e-07, "1.5E-7"),
        (1 / 3, "0.3333333333333333"),
        (-2.5, "-2.5"),
        (0.0, "0"),
        (-0.0, "0"),
        (1e125, "1E+125"),
        (1e-130, "1E-130"),
    ],
)
def test_float_is_the_shortest_round_trip_text_and_reads_back_as_float(value: float, text: str) -> None:
    assert encode_value(value) == {"N": text}
    decoded = _roundtrip(_value_model(float), value)
    assert type(decoded) is float
    assert decoded == value


def test_negative_zero_float_reads_back_as_positive_zero() -> None:
    decoded = _roundtrip(_value_model(float), -0.0)
    assert decoded == 0.0
    assert math.copysign(1.0, decoded) == 1.0


@settings(max_examples=300, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_is_exactly_the_spec_formula(value: float) -> None:
    if value == 0:
        assert number_text(value) == "0"
        return
    expected = str(Decimal(repr(value)))
    if not -130 <= Decimal(repr(value)).adjusted() <= 125:
        _raises(ERR_INVALID_VALUE, lambda: number_text(value))
    else:
        assert number_text(value) == expected


@settings(max_examples=300, deadline=None)
@given(value=st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_is_str_and_checked_against_the_exact_digits(value: Decimal) -> None:
    digits = value.as_tuple().digits
    significant = len(str(int("".join(map(str, digits)))).rstrip("0")) if any(digits) else 0
    in_range = value.is_zero() or -130 <= value.adjusted() <= 125
    if significant <= 38 and in_range:
        assert number_text(value) == str(value)
    else:
        _raises(ERR_INVALID_VALUE, lambda: number_text(value))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_float_is_rejected(value: float) -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(value))
    assert "not finite" in str(error)


@pytest.mark.parametrize("value", [2.5e126, -3.5e200, 5e-324, 1.7976931348623157e308])
def test_out_of_range_float_is_rejected_without_echoing_it(value: float) -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(value))
    assert "range" in str(error)
    assert repr(value) not in str(error)
    assert str(Decimal(repr(value))) not in str(error)


def test_str_and_int_enum_members_are_stored_as_their_plain_values() -> None:
    class Color(str, Enum):  # noqa: UP042 - the str mixin (not StrEnum) is the case being tested
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    assert encode_value(Color.RED) == {"S": "red"}
    assert encode_value({Color.RED}) == {"SS": ["red"]}
    assert encode_value({"c": Color.RED, "l": Level.HIGH}) == {"M": {"c": {"S": "red"}, "l": {"N": "3"}}}
    assert encode_value(Level.HIGH) == {"N": "3"}
    assert _stored(_value_model(str), Color.RED) == {"S": "red"}


def test_map_keys_with_a_lone_surrogate_are_an_invalid_value() -> None:
    _raises(ERR_INVALID_VALUE, lambda: encode_value({"k\ud800": 1}))
    typed = _value_model(dict[str, int])
    assert _stored(typed, {"é": 1}) == {"M": {"é": {"N": "1"}}}
    error = _raises(ERR_INVALID_VALUE, lambda: _stored(typed, {"k\udfff": 1}))
    assert error.field == "value"
    _raises(ERR_INVALID_VALUE, lambda: canonical_json({"k\ud800": 1}))


def test_string_is_s_and_empty_string_is_allowed_outside_keys() -> None:
    assert encode_value("héllo") == {"S": "héllo"}
    assert encode_value("") == {"S": ""}
    assert _roundtrip(_value_model(str), "") == ""


def test_string_with_a_lone_surrogate_is_rejected_without_echoing_it() -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value("secret\ud800"))
    assert "secret" not in str(error)
    model_error = _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(str), "top-secret\udfff"))
    assert model_error.field == "value"
    assert "top-secret" not in str(model_error)


@pytest.mark.parametrize(
    "value", [b"\x00\xff", bytearray(b"\x00\xff"), memoryview(b"\x00\xff"), Binary(b"\x00\xff")]
)
def test_bytes_like_values_and_boto3_binary_encode_as_plain_bytes(value: Any) -> None:
    av = encode_value(value)
    assert av == {"B": b"\x00\xff"}
    assert type(av["B"]) is bytes
    decoded = _roundtrip(_value_model(bytes), value)
    assert decoded == b"\x00\xff"
    assert type(decoded) is bytes


def test_binary_reads_back_as_bytes_never_a_wrapper() -> None:
    assert type(decode_value({"B": b"x"})) is bytes
    assert type(decode_value({"B": bytearray(b"x")})) is bytes
    assert decode_value({"BS": [b"a", bytearray(b"b")]}) == {b"a", b"b"}
    assert _roundtrip(_value_model(bytes), b"") == b""


def test_set_of_strings_is_a_sorted_ss() -> None:
    assert encode_value({"b", "a", "c"}) == {"SS": ["a", "b", "c"]}
    assert encode_value(frozenset({"z", "é"})) == {"SS": ["z", "é"]}


def test_set_of_numbers_is_an_ns_sorted_by_value() -> None:
    assert encode_value({10, 9, -1}) == {"NS": ["-1", "9", "10"]}
    assert encode_value({Decimal("1.10"), 2.5, 3}) == {"NS": ["1.10", "2.5", "3"]}


def test_set_of_bytes_is_a_sorted_bs() -> None:
    assert encode_value({b"\x02", b"\x01"}) == {"BS": [b"\x01", b"\x02"]}
    assert encode_value({Binary(b"b"), Binary(b"a")}) == {"BS": [b"a", b"b"]}


def test_equal_numbers_in_a_set_collapse_to_one_element() -> None:
    assert encode_value({Decimal("1.0"), Decimal("2")}) == {"NS": ["1.0", "2"]}
    assert codec.encode_set([1, Decimal("1.0"), 1.0]) == {"NS": ["1"]}


@pytest.mark.parametrize(
    "annotation",
    [set[str], frozenset[int], Optional[set[bytes]], set[Decimal] | None],  # noqa: UP045
)
def test_empty_set_on_any_set_typed_field_is_null_and_reads_back_as_an_empty_set(annotation: Any) -> None:
    model = _value_model(annotation)
    empty: set[Any] | frozenset[Any] = frozenset() if "frozenset" in repr(annotation) else set()
    assert _stored(model, empty) == {"NULL": True}
    decoded = _roundtrip(model, empty)
    assert decoded == set()
    assert type(decoded) is type(empty)


def test_empty_set_nested_in_containers_is_null() -> None:
    assert encode_value({"a": set(), "b": [frozenset()]}) == {
        "M": {"a": {"NULL": True}, "b": {"L": [{"NULL": True}]}}
    }
    model = _value_model(list[set[str]])
    assert _roundtrip(model, [set(), {"x"}]) == [set(), {"x"}]


def test_set_typed_field_decodes_null_to_frozenset_when_so_annotated() -> None:
    decoded = RECORD.codec.decode_item({"PK": {"S": "a"}, "SK": {"N": "1"}, "frozen_ids": {"NULL": True}})
    assert decoded.frozen_ids == frozenset()
    assert type(decoded.frozen_ids) is frozenset


def test_set_flag_field_accepts_any_iterable_and_collapses_duplicates() -> None:
    model = _value_model(list[str], set_=True)
    assert _stored(model, ["b", "a", "b"]) == {"SS": ["a", "b"]}
    assert _stored(model, ("x",)) == {"SS": ["x"]}
    assert _stored(model, []) == {"NULL": True}
    assert _roundtrip(model, []) == set()


@pytest.mark.parametrize("value", [{"a", 1}, {b"a", "a"}, {0.5, True}, {1.5, b"x"}, {Decimal(1), "1"}])
def test_set_mixing_element_types_is_an_unsupported_type_error(value: Any) -> None:
    error = _raises(ERR_UNSUPPORTED_TYPE, lambda: encode_value(value), error=UnsupportedTypeError)
    assert isinstance(error, TypeError)
    assert isinstance(error, ValidationError)
    assert "mixes element types" in str(error) or "cannot be stored" in str(error)


def test_set_field_with_mixed_elements_names_the_mix_not_the_container() -> None:
    model = _value_model(set[Any])
    error = _raises(ERR_UNSUPPORTED_TYPE, lambda: _stored(model, {"a", 1}), error=UnsupportedTypeError)
    assert "mixes element types" in str(error)
    assert error.field == "value"


@pytest.mark.parametrize("value", [{True, False}, {(1, 2)}, {None}])
def test_set_of_unsupported_elements_is_an_unsupported_type_error(value: Any) -> None:
    _raises(ERR_UNSUPPORTED_TYPE, lambda: encode_value(value), error=UnsupportedTypeError)


@pytest.mark.parametrize("value", ["abc", b"abc", {"a": 1}, 5])
def test_set_field_rejects_a_string_mapping_or_scalar(value: Any) -> None:
    model = _value_model(set[str])
    error = _raises(ERR_UNSUPPORTED_TYPE, lambda: _stored(model, value), error=UnsupportedTypeError)
    assert "a set field takes a set, list or tuple" in str(error)


def test_lists_and_tuples_are_l_recursively() -> None:
    assert encode_value([1, "a", None, [True]]) == {
        "L": [{"N": "1"}, {"S": "a"}, {"NULL": True}, {"L": [{"BOOL": True}]}]
    }
    assert encode_value((1.5,)) == {"L": [{"N": "1.5"}]}
    assert encode_value([]) == {"L": []}


def test_dicts_are_m_recursively_with_floats_datetimes_and_sets_inside() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert encode_value({"f": 0.5, "t": when, "s": {"b", "a"}, "m": {}}) == {
        "M": {
            "f": {"N": "0.5"},
            "t": {"S": "2026-01-02T03:04:05.000000000Z"},
            "s": {"SS": ["a", "b"]},
            "m": {"M": {}},
        }
    }


def test_dict_with_non_string_keys_is_an_unsupported_type_error() -> None:
    error = _raises(
        ERR_UNSUPPORTED_TYPE, lambda: encode_value({1: "secret-value"}), error=UnsupportedTypeError
    )
    assert "secret-value" not in str(error)
    model_error = _raises(ERR_UNSUPPORTED_TYPE, lambda: _stored(_value_model(dict[Any, str]), {2: "x"}))
    assert model_error.field == "value"


def test_dataclass_instances_are_maps_of_their_field_names() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    assert encode_value(Inner("n", 2, None, {"t"}, when)) == {
        "M": {
            "name": {"S": "n"},
            "count": {"N": "2"},
            "ratio": {"NULL": True},
            "tags": {"SS": ["t"]},
            "when": {"S": "2026-01-02T00:00:00.000000000Z"},
        }
    }


def test_nested_dataclasses_read_back_as_dataclasses() -> None:
    value = Outer(Inner("a", 1, 0.25, {"x"}), [Inner("b"), Inner("c", when=datetime(2026, 1, 1, tzinfo=UTC))])
    assert _roundtrip(_value_model(Outer), value) == value


def test_nested_dataclass_map_missing_a_required_field_is_a_typed_error() -> None:
    model = _value_model(Inner)
    error = _raises(
        ERR_INVALID_MODEL,
        lambda: model.codec.decode_item({"pk": {"S": "k"}, "value": {"M": {"count": {"N": "1"}}}}),
    )
    assert "Inner" in str(error)
    assert error.field == "value"


def test_nested_dataclass_with_unresolvable_annotations_fails_to_decode_with_a_typed_error() -> None:
    @dataclass
    class Local:
        x: Missing  # type: ignore[name-defined]  # noqa: F821 - unresolvable on purpose

    decoder = build_decoder(Local)
    error = _raises(ERR_INVALID_MODEL, lambda: decoder({"M": {"x": {"S": "a"}}}))
    assert "Local" in str(error)


@pytest.mark.parametrize("value", [object(), date(2026, 1, 2), 1 + 2j, Inner, ValueError("x")])
def test_unsupported_objects_are_an_unsupported_type_error(value: Any) -> None:
    error = _raises(ERR_UNSUPPORTED_TYPE, lambda: encode_value(value), error=UnsupportedTypeError)
    assert "use a converter" in str(error)


def test_nesting_of_32_levels_passes_and_33_is_rejected() -> None:
    def nest(levels: int) -> Any:
        value: Any = "leaf"
        for i in range(levels):
            value = [value] if i % 2 else {"k": value}
        return value

    encode_value(nest(32))
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(nest(33)))
    assert "deeper than 32" in str(error)
    model_error = _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(Any), nest(40)))
    assert model_error.field == "value"


# --- WF §5.7: reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("5", 5), ("5.0", 5), ("5E+1", 50), ("-0", 0), ("1E+40", 10**40)]
)
def test_integral_n_reads_as_int(text: str, expected: int) -> None:
    model = _value_model(int)
    decoded = model.codec.decode_item({"pk": {"S": "k"}, "value": {"N": text}}).value
    assert decoded == expected
    assert type(decoded) is int


@pytest.mark.parametrize("text", ["5.5", "1E-1", "abc", "", "NaN", "Infinity"])
def test_non_integral_n_for_an_int_field_is_an_invalid_value(text: str) -> None:
    model = _value_model(int)
    error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.decode_item({"pk": {"S": "k"}, "value": {"N": text}})
    )
    assert error.field == "value"


def test_unannotated_numbers_read_as_int_or_decimal() -> None:
    assert decode_value({"N": "7"}) == 7
    assert type(decode_value({"N": "7"})) is int
    assert decode_value({"N": "7.50"}) == Decimal("7.50")
    assert str(decode_value({"N": "1E+3"})) == "1E+3"
    assert decode_value({"NS": ["1", "2.5"]}) == {1, Decimal("2.5")}


@pytest.mark.parametrize(
    ("annotation", "text", "expected", "kind"),
    [
        (int | float, "5", 5, int),
        (int | float, "5.5", 5.5, float),
        (int | Decimal, "5.5", Decimal("5.5"), Decimal),
        (float | Decimal, "5", 5.0, float),
        (Optional[int | float], "1E+2", 100.0, float),  # noqa: UP045
    ],
)
def test_numeric_unions_read_per_wf_5_7(annotation: Any, text: str, expected: Any, kind: type) -> None:
    decoded = _value_model(annotation).codec.decode_item({"pk": {"S": "k"}, "value": {"N": text}}).value
    assert decoded == expected
    assert type(decoded) is kind


def test_decoding_coerces_through_containers() -> None:
    stored: dict[str, Any] = {
        "PK": {"S": "a"},
        "SK": {"N": "1"},
        "nested": {"M": {"x": {"L": [{"N": "1"}, {"N": "2.0"}]}}},
        "pair": {"L": [{"N": "3"}, {"S": "s"}]},
        "tags": {"SS": ["a"]},
        "frozen_ids": {"NS": ["2", "1"]},
    }
    decoded = RECORD.codec.decode_item(stored)
    assert decoded.nested == {"x": [1, 2]}
    assert all(type(v) is int for v in decoded.nested["x"])
    assert decoded.pair == (3, "s")
    assert decoded.frozen_ids == frozenset({1, 2})


def test_a_value_no_rule_applies_to_is_kept_as_is() -> None:
    decoded = _value_model(int).codec.decode_item({"pk": {"S": "k"}, "value": {"S": "not a number"}})
    assert decoded.value == "not a number"


def test_unknown_attributes_are_dropped_and_missing_fields_take_defaults() -> None:
    decoded = RECORD.codec.decode_item({"PK": {"S": "a"}, "SK": {"N": "1"}, "extra": {"S": "x"}})
    assert decoded == Record(pk="a", sk=1)


def test_a_missing_attribute_without_default_is_an_invalid_model_error() -> None:
    error = _raises(ERR_INVALID_MODEL, lambda: RECORD.codec.decode_item({"PK": {"S": "a"}}))
    assert error.field == "SK"
    assert "SK" in str(error)


def test_init_false_fields_are_set_after_construction() -> None:
    model = ModelDefinition.from_dataclass(NotInit)
    decoded = model.codec.decode_item({"pk": {"S": "a"}, "derived": {"N": "4"}})
    assert decoded.derived == 4


def test_an_ignored_field_without_default_fails_to_decode_with_a_typed_error() -> None:
    model = ModelDefinition.from_dataclass(IgnoredRequired)
    error = _raises(ERR_INVALID_MODEL, lambda: model.codec.decode_item({"pk": {"S": "a"}}))
    assert "IgnoredRequired" in str(error)


def test_an_unknown_attribute_value_type_is_an_invalid_value() -> None:
    _raises(ERR_INVALID_VALUE, lambda: decode_value({"X": 1}))


# --- WF §7.2: timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "2026-01-02T03:04:05.123456000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000000000Z"),
        (datetime(2026, 1, 2, 5, 4, 5, 100000, tzinfo=PLUS_2), "2026-01-02T03:04:05.100000000Z"),
        (datetime(2026, 1, 1, 22, 0, tzinfo=MINUS_0530), "2026-01-02T03:30:00.000000000Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000000Z"),
        (datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "0999-12-31T23:59:59.999999000Z"),
    ],
)
def test_datetimes_are_written_as_utc_with_nine_fractional_digits(value: datetime, text: str) -> None:
    assert format_timestamp(value) == text
    assert encode_value(value) == {"S": text}
    assert _stored(_value_model(datetime), value) == {"S": text}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05.1Z", datetime(2026, 1, 2, 3, 4, 5, 100000, tzinfo=UTC)),
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05.123000000Z", datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        ("2026-01-02T05:04:05.123456789+02:00", datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2026-01-02T05:04:05.999999999+02:00", datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)),
        ("2026-01-01t22:00:00-05:30", datetime(2026, 1, 2, 3, 30, tzinfo=UTC)),
        ("2026-01-02T03:04:05z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_rfc3339_timestamps_read_as_aware_utc_datetimes(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    decoded = _value_model(datetime).codec.decode_item({"pk": {"S": "k"}, "value": {"S": text}}).value
    assert decoded == expected
    assert decoded.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02 03:04:05Z",
        "2026-01-02T03:04:05",
        "2026-01-02T03:04:60Z",
        "2026-01-02T03:04:05.1234567890Z",
        "2026-01-02T03:04:05.Z",
        "2026-1-02T03:04:05Z",
        "2026-01-02T03:04:05+0200",
        "2026-01-02T03:04:05+24:00",
        "2026-02-30T03:04:05Z",
        "2026-01-02T03:04:05Z\n",
        "٢٠٢٦-01-02T03:04:05Z",
        "0001-01-01T00:00:00+01:00",
        "",
    ],
)
def test_malformed_timestamps_are_an_invalid_value(text: str) -> None:
    _raises(ERR_INVALID_VALUE, lambda: parse_timestamp(text))
    model = _value_model(datetime)
    error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.decode_item({"pk": {"S": "k"}, "value": {"S": text}})
    )
    assert error.field == "value"


def test_naive_datetime_is_an_invalid_value_with_the_field_and_without_the_value() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    error = _raises(ERR_INVALID_VALUE, lambda: encode_value(naive))
    assert "naive" in str(error)
    model_error = _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(datetime), naive))
    assert model_error.field == "value"
    assert "2026" not in str(model_error)


def test_a_datetime_that_overflows_when_converted_to_utc_is_an_invalid_value() -> None:
    _raises(ERR_INVALID_VALUE, lambda: format_timestamp(datetime(1, 1, 1, tzinfo=PLUS_2)))


# --- WF §5.5: json attributes --------------------------------------------------------------------------


def test_json_field_writes_canonical_text_per_the_spec_example() -> None:
    model = _value_model(Any, json=True)
    assert _stored(model, {"b": [1, 2.5, None], "a": "é<"}) == {"S": '{"a":"é<","b":[1,2.5,null]}'}
    assert canonical_json({"b": [1, 2.5, None], "a": "é<"}) == '{"a":"é<","b":[1,2.5,null]}'


def test_json_text_sorts_nested_keys_by_code_point_and_writes_decimals_and_tuples() -> None:
    value = {"é": 1, "Z": {"b": True, "a": False}, "a": (Decimal("1.10"), 1e21), "\u2028": "\u2028"}
    assert canonical_json(value) == '{"Z":{"a":false,"b":true},"a":[1.10,1e+21],"é":1,"\u2028":"\u2028"}'


def test_json_field_none_is_null_never_the_text_null() -> None:
    model = _value_model(Any, json=True)
    assert _stored(model, None) == {"NULL": True}
    assert _roundtrip(model, None) is None


def test_json_field_reads_any_writers_escaping() -> None:
    model = _value_model(Any, json=True)
    for text in ('{"a":"\\u003c\\u00e9"}', '{"a": "<é"}', '{ "a" : "\\u003cé" }'):
        assert model.codec.decode_item({"pk": {"S": "k"}, "value": {"S": text}}).value == {"a": "<é"}


def test_json_field_round_trips_ints_as_int_and_other_numbers_as_float() -> None:
    model = _value_model(Any, json=True)
    assert _roundtrip(model, {"i": 3, "f": 0.5, "d": Decimal("2.5"), "l": [True, None]}) == {
        "i": 3,
        "f": 0.5,
        "d": 2.5,
        "l": [True, None],
    }


@pytest.mark.parametrize("value", [math.nan, {"x": math.inf}, [Decimal("NaN")], Decimal("-Infinity")])
def test_json_field_rejects_non_finite_numbers(value: Any) -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(Any, json=True), value))
    assert error.field == "value"


@pytest.mark.parametrize("value", [{"a"}, b"x", datetime(2026, 1, 1, tzinfo=UTC), {1: "x"}, object()])
def test_json_field_rejects_values_json_cannot_represent(value: Any) -> None:
    _raises(
        ERR_UNSUPPORTED_TYPE, lambda: _stored(_value_model(Any, json=True), value), error=UnsupportedTypeError
    )


def test_json_field_with_invalid_stored_text_is_an_invalid_value() -> None:
    model = _value_model(Any, json=True)
    error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.decode_item({"pk": {"S": "k"}, "value": {"S": "{x"}})
    )
    assert error.field == "value"


# --- converters (WF §5.1 step 3, §5.7 step 4) ---------------------------------------------------------------


def test_converter_is_applied_on_write_and_on_read() -> None:
    CENTS.seen.clear()
    item = Record(pk="a", sk=1, cents=Decimal("12.34"))
    encoded = RECORD.codec.encode_item(item)
    assert encoded.item["centsAmount"] == {"N": "1234"}
    decoded = RECORD.codec.decode_item(encoded.item)
    assert decoded.cents == Decimal("12.34")
    assert CENTS.seen == [("to", Decimal("12.34")), ("from", 1234)]


def test_converter_is_never_applied_to_none() -> None:
    CENTS.seen.clear()
    encoded = RECORD.codec.encode_item(Record(pk="a", sk=1, cents=None))
    assert "centsAmount" not in encoded.item
    assert RECORD.codec.decode_item({**encoded.item, "centsAmount": {"NULL": True}}).cents is None
    assert RECORD.codec.encode_field_value(RECORD.codec.by_name["cents"], None) == {"NULL": True}
    assert CENTS.seen == []


def test_converter_runs_before_json_on_write_and_after_json_on_read() -> None:
    encoded = RECORD.codec.encode_item(Record(pk="a", sk=1, shout="hey"))
    assert encoded.item["shout"] == {"S": '{"v":"HEY"}'}
    assert RECORD.codec.decode_item(encoded.item).shout == "hey"


def test_converter_applies_to_key_values() -> None:
    @dataclass
    class ConvertedKey:
        pk: str = dynamorm_field(roles=["pk"], converter=UpperConverter(), json=True)

    model = ModelDefinition.from_dataclass(ConvertedKey)
    assert model.codec.encode_key("abc") == {"pk": {"S": '{"v":"ABC"}'}}


# --- WF §5.3: omit_empty ----------------------------------------------------------------------------------


@dataclass
class AllEmpty:
    a: str = ""
    b: int = 0
    c: list[int] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize(
    "value",
    [None, False, 0, 0.0, Decimal(0), "", b"", bytearray(), [], (), {}, set(), frozenset(), AllEmpty()],
)
def test_omit_empty_omits_empty_values(value: Any) -> None:
    assert is_empty(value)
    model = ModelDefinition.from_dataclass(Emptiable)
    assert "value" not in model.codec.encode_item(Emptiable(pk="a", value=value)).item


@pytest.mark.parametrize(
    "value",
    [" ", "0", {"a": None}, [None], datetime(1970, 1, 1, tzinfo=UTC), True, 0.5, AllEmpty(b=1)],
)
def test_omit_empty_keeps_non_empty_values(value: Any) -> None:
    assert not is_empty(value)
    model = ModelDefinition.from_dataclass(Emptiable)
    assert "value" in model.codec.encode_item(Emptiable(pk="a", value=value)).item


def test_fields_without_omit_empty_write_empty_values() -> None:
    encoded = RECORD.codec.encode_item(Record(pk="a", sk=0))
    assert encoded.item["flag"] == {"BOOL": False}
    assert encoded.item["tags"] == {"NULL": True}
    assert encoded.item["blob"] == {"B": b""}
    assert "nick" not in encoded.item


# --- keys (WF §5.6) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pk", ["", None])
def test_empty_or_none_key_in_an_item_is_a_missing_primary_key(pk: Any) -> None:
    error = _raises(ERR_MISSING_PRIMARY_KEY, lambda: RECORD.codec.encode_item(Record(pk=pk, sk=1)))
    assert error.field == "PK"


def test_none_sort_key_in_an_item_is_a_missing_primary_key() -> None:
    error = _raises(ERR_MISSING_PRIMARY_KEY, lambda: RECORD.codec.encode_item(Record(pk="a", sk=None)))  # type: ignore[arg-type]  # on purpose
    assert error.field == "SK"


def test_omitted_key_is_a_missing_primary_key() -> None:
    model = ModelDefinition.from_dataclass(OmittedKey)
    _raises(ERR_MISSING_PRIMARY_KEY, lambda: model.codec.encode_item(OmittedKey(pk="")))


def test_empty_binary_key_is_a_missing_primary_key() -> None:
    model = ModelDefinition.from_dataclass(BinaryKey)
    _raises(ERR_MISSING_PRIMARY_KEY, lambda: model.codec.encode_item(BinaryKey(pk=b"")))
    _raises(ERR_MISSING_PRIMARY_KEY, lambda: model.codec.encode_key(bytearray()))
    assert model.codec.encode_key(b"\x00") == {"pk": {"B": b"\x00"}}


@pytest.mark.parametrize(("pk", "sk"), [(None, 1), ("", 1), ("a", None)])
def test_encode_key_rejects_missing_parts(pk: Any, sk: Any) -> None:
    error = _raises(ERR_MISSING_PRIMARY_KEY, lambda: RECORD.codec.encode_key(pk, sk))
    assert error.field == ("PK" if pk in (None, "") else "SK")


def test_encode_key_uses_the_key_fields_encoding() -> None:
    assert RECORD.codec.encode_key("a", 7) == {"PK": {"S": "a"}, "SK": {"N": "7"}}


def test_encode_key_rejects_a_sort_key_value_for_a_model_without_one() -> None:
    model = ModelDefinition.from_dataclass(NoSort)
    _raises(ERR_INVALID_MODEL, lambda: model.codec.encode_key("a", "b"))


def test_key_value_that_encodes_to_a_non_key_type_is_rejected() -> None:
    _raises(ERR_INVALID_VALUE, lambda: RECORD.codec.encode_key("a", True))  # bool is not an int
    any_key = dataclasses.make_dataclass("AnyKey", [("pk", Any, dynamorm_field(roles=["pk"]))])
    codec = ModelDefinition.from_dataclass(any_key).codec
    _raises(ERR_INVALID_MODEL, lambda: codec.encode_key(True))


def test_encode_field_value_names_the_attribute_on_failure() -> None:
    field = RECORD.codec.by_name["amount"]
    assert RECORD.codec.encode_field_value(field, 2.5) == {"N": "2.5"}
    error = _raises(ERR_INVALID_VALUE, lambda: RECORD.codec.encode_field_value(field, math.nan))
    assert error.field == "amount"


# --- errors carry the attribute name, never the value -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "attribute", "code", "secret"),
    [
        ({"amount": -3.25e200}, "amount", ERR_INVALID_VALUE, "3.25"),
        ({"count": int("7" * 39)}, "count", ERR_INVALID_VALUE, "7" * 39),
        ({"price": Decimal("1234567" * 6)}, "price", ERR_INVALID_VALUE, "1234567" * 6),
        ({"when": datetime(2031, 7, 8, 9, 10, 11)}, "when", ERR_INVALID_VALUE, "2031"),
        ({"nick": "hidden\ud800"}, "nick", ERR_INVALID_VALUE, "hidden"),
        ({"tags": {"hidden-tag", 1}}, "tags", ERR_INVALID_VALUE, "hidden-tag"),
        ({"tags": {"hidden-tag", ("x",)}}, "tags", ERR_INVALID_VALUE, "hidden-tag"),
        ({"nested": {"k": [object()]}}, "nested", ERR_INVALID_VALUE, "0x"),
        ({"anything": {"k": [object()]}}, "anything", ERR_UNSUPPORTED_TYPE, "0x"),
        ({"count": "hidden-count"}, "count", ERR_INVALID_VALUE, "hidden-count"),
        ({"anything": {5: "hidden-value"}}, "anything", ERR_UNSUPPORTED_TYPE, "hidden-value"),
        ({"cents": Decimal("1E+200")}, "centsAmount", ERR_INVALID_VALUE, "0000000000"),
    ],
)
def test_item_encoding_errors_carry_the_attribute_name_and_not_the_value(
    changes: dict[str, Any], attribute: str, code: str, secret: str
) -> None:
    item = dataclasses.replace(Record(pk="a", sk=1), **changes)
    with pytest.raises(ValidationError) as info:
        RECORD.codec.encode_item(item)
    assert info.value.code == code
    assert info.value.field == attribute
    assert secret not in str(info.value)
    assert secret not in repr(info.value)


# --- item size ----------------------------------------------------------------------------------------------


def test_item_size_counts_names_and_values() -> None:
    item: dict[str, Any] = {
        "PK": {"S": "abc"},
        "é": {"S": "é"},
        "b": {"B": b"1234"},
        "f": {"BOOL": True},
        "n": {"NULL": True},
        "l": {"L": [{"S": "x"}]},
        "m": {"M": {"k": {"S": "v"}}},
        "ss": {"SS": ["ab", "c"]},
        "bs": {"BS": [b"12"]},
    }
    # 2+3, 2+2, 1+4, 1+1, 1+1, 1+(3+1+1), 1+(3+1+1+1), 2+3, 2+2
    assert item_size(item) == 5 + 4 + 5 + 2 + 2 + 6 + 7 + 5 + 4
    assert codec.av_size({"N": "12345"}) > 0


def test_an_item_over_400_kb_is_an_invalid_value_naming_its_size() -> None:
    at_limit = {"a": {"S": "x" * (MAX_ITEM_BYTES - 1)}}
    check_item_size(at_limit)
    over = {"a": {"S": "x" * MAX_ITEM_BYTES}}
    error = _raises(ERR_INVALID_VALUE, lambda: check_item_size(over))
    assert str(MAX_ITEM_BYTES + 1) in str(error)
    assert "409600" in str(error)


# --- lifecycle (WF §7.1) ------------------------------------------------------------------------------------


NOW = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
NOW_TEXT = "2026-01-02T03:04:05.123456000Z"


def test_put_lifecycle_fills_created_updated_and_version() -> None:
    encoded = LIFECYCLED.codec.encode_item(Lifecycled(pk="a"), now=NOW)
    assert encoded.item == {
        "PK": {"S": "a"},
        "createdAt": {"S": NOW_TEXT},
        "updatedAt": {"S": NOW_TEXT},
        "version": {"N": "0"},
    }
    assert encoded.lifecycle == {"created": NOW, "updated": NOW_TEXT, "version": 0}


def test_put_lifecycle_keeps_a_callers_created_at_and_version_but_overwrites_updated_at() -> None:
    created = datetime(2020, 1, 1, tzinfo=UTC)
    item = Lifecycled(pk="a", created=created, updated="old", version=4)
    encoded = LIFECYCLED.codec.encode_item(item, now=NOW)
    assert encoded.item["createdAt"] == {"S": "2020-01-01T00:00:00.000000000Z"}
    assert encoded.item["updatedAt"] == {"S": NOW_TEXT}
    assert encoded.item["version"] == {"N": "4"}


def test_lifecycle_with_a_naive_clock_is_an_invalid_value() -> None:
    error = _raises(
        ERR_INVALID_VALUE, lambda: LIFECYCLED.codec.encode_item(Lifecycled(pk="a"), now=datetime(2026, 1, 1))
    )
    assert error.field in ("createdAt", "updatedAt")


def test_without_a_clock_lifecycle_fields_are_written_as_they_are() -> None:
    # None is not written (WF §5.2, top-level None); values are written as they are.
    encoded = LIFECYCLED.codec.encode_item(Lifecycled(pk="a"))
    assert encoded.item == {"PK": {"S": "a"}}
    assert encoded.lifecycle == {}
    encoded = LIFECYCLED.codec.encode_item(Lifecycled(pk="a", updated="x", version=4))
    assert encoded.item == {"PK": {"S": "a"}, "updatedAt": {"S": "x"}, "version": {"N": "4"}}


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), "-1"),
        (datetime(2023, 11, 14, 22, 13, 20, 999999, tzinfo=UTC), "1700000000"),
        (datetime(2023, 11, 15, 0, 13, 20, tzinfo=PLUS_2), "1700000000"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "253402300799"),
    ],
)
def test_ttl_datetime_is_stored_as_floored_epoch_seconds(value: datetime, stored: str) -> None:
    encoded = LIFECYCLED.codec.encode_item(Lifecycled(pk="a", expires=value), now=NOW)
    assert encoded.item["ttl"] == {"N": stored}
    assert epoch_seconds(value) == int(stored)
    decoded = LIFECYCLED.codec.decode_item(encoded.item)
    assert decoded.expires == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(stored))
    assert decoded.expires.tzinfo is UTC


def test_ttl_int_is_stored_as_is_and_zero_is_omitted() -> None:
    model = ModelDefinition.from_dataclass(IntTtl)
    assert model.codec.encode_item(IntTtl(pk="a", ttl=1700000000), now=NOW).item["ttl"] == {"N": "1700000000"}
    assert "ttl" not in model.codec.encode_item(IntTtl(pk="a"), now=NOW).item
    assert model.codec.decode_item({"pk": {"S": "a"}, "ttl": {"N": "1700000000"}}).ttl == 1700000000
    assert "ttl" not in LIFECYCLED.codec.encode_item(Lifecycled(pk="a"), now=NOW).item


def test_ttl_datetime_field_reads_back_epoch_seconds_out_of_range_as_invalid_value() -> None:
    error = _raises(
        ERR_INVALID_VALUE,
        lambda: LIFECYCLED.codec.decode_item({"PK": {"S": "a"}, "ttl": {"N": "1" + "0" * 20}}),
    )
    assert error.field == "ttl"


def test_naive_ttl_datetime_is_an_invalid_value() -> None:
    error = _raises(
        ERR_INVALID_VALUE,
        lambda: LIFECYCLED.codec.encode_item(Lifecycled(pk="a", expires=datetime(2026, 1, 1)), now=NOW),
    )
    assert error.field == "ttl"


# --- compiled encoders keep their fast paths exact -------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "value"),
    [(str, "é\ud800"), (str, "é"), (int, 10**38), (int, 10**39), (float, 3), (str | None, None)],
)
def test_compiled_encoders_agree_with_the_generic_encoder_off_their_fast_path(
    annotation: Any, value: Any
) -> None:
    encode = build_encoder(annotation)
    try:
        expected = encode_value(value)
    except ValidationError as exc:
        with pytest.raises(type(exc)):
            encode(value)
    else:
        assert encode(value) == expected


# --- hypothesis round trips -----------------------------------------------------------------------------

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_finite_magnitudes = st.floats(min_value=1e-130, max_value=9.99e125, allow_nan=False, allow_infinity=False)
FLOATS = st.one_of(st.just(0.0), _finite_magnitudes, _finite_magnitudes.map(lambda f: -f))


@st.composite
def decimals_in_range(draw: st.DrawFn) -> Decimal:
    digits = draw(st.integers(min_value=1, max_value=38))
    coefficient = draw(st.integers(min_value=0, max_value=10**digits - 1))
    if coefficient == 0:
        return Decimal((draw(st.integers(0, 1)), (0,), draw(st.integers(-10, 10))))
    coefficient_digits = tuple(int(c) for c in str(coefficient))
    # adjusted exponent = exponent + len(digits) - 1 must stay within -130..125
    exponent = draw(
        st.integers(min_value=-130 - len(coefficient_digits) + 1, max_value=125 - len(coefficient_digits) + 1)
    )
    return Decimal((draw(st.integers(0, 1)), coefficient_digits, exponent))


INTS = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)
TEXT = st.text(max_size=20)
AWARE = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, PLUS_2, MINUS_0530]),
)
INNER = st.builds(
    Inner,
    name=TEXT,
    count=INTS,
    ratio=st.none() | FLOATS,
    tags=st.sets(TEXT, max_size=3),
    when=st.none() | AWARE,
)

# (annotation, strategy): the values a field of that annotation may hold.
CASES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (str, TEXT),
    (int, INTS),
    (float, FLOATS),
    (Decimal, decimals_in_range()),
    (bool, st.booleans()),
    (bytes, st.binary(max_size=20)),
    (datetime, AWARE),
    (set[str], st.sets(TEXT, max_size=5)),
    (set[int], st.sets(INTS, max_size=5)),
    (set[float], st.sets(FLOATS, max_size=5)),
    (frozenset[bytes], st.frozensets(st.binary(max_size=8), max_size=5)),
    (list[int], st.lists(INTS, max_size=5)),
    (tuple[str, ...], st.lists(TEXT, max_size=5).map(tuple)),
    (tuple[int, str], st.tuples(INTS, TEXT)),
    (dict[str, int], st.dictionaries(TEXT, INTS, max_size=5)),
    (dict[str, list[float]], st.dictionaries(TEXT, st.lists(FLOATS, max_size=3), max_size=3)),
    (
        dict[str, list[set[str]]],
        st.dictionaries(TEXT, st.lists(st.sets(TEXT, max_size=2), max_size=2), max_size=2),
    ),
    (list[datetime], st.lists(AWARE, max_size=3)),
    (Inner, INNER),
    (list[Inner], st.lists(INNER, max_size=2)),
]
CASES += [(annotation | None, strategy | st.none()) for annotation, strategy in CASES]
CASE_MODELS = [(annotation, _value_model(annotation), strategy) for annotation, strategy in CASES]


def _expected(annotation: Any, value: Any) -> Any:
    """What a value reads back as: None on a set-typed field is NULL, which reads as an empty set."""
    if value is None and is_set_annotation(annotation):
        return frozenset() if unwrap_optional(annotation)[0].__origin__ is frozenset else set()
    return value


def _assert_same(actual: Any, expected: Any) -> None:
    assert actual == expected
    assert type(actual) is type(expected)
    if isinstance(expected, Decimal):
        assert str(actual) == str(expected)
    if isinstance(expected, float):
        assert repr(actual) == repr(expected + 0.0)  # -0.0 is stored as "0"


@pytest.mark.parametrize(("annotation", "model", "strategy"), CASE_MODELS, ids=[repr(c[0]) for c in CASES])
def test_values_round_trip_through_the_model_codec(
    annotation: Any, model: ModelDefinition[Any], strategy: st.SearchStrategy[Any]
) -> None:
    @SETTINGS
    @given(value=strategy)
    def check(value: Any) -> None:
        _assert_same(_roundtrip(model, value), _expected(annotation, value))

    check()


@pytest.mark.parametrize(("annotation", "model", "strategy"), CASE_MODELS, ids=[repr(c[0]) for c in CASES])
def test_compiled_encoders_and_decoders_round_trip_each_annotation(
    annotation: Any, model: ModelDefinition[Any], strategy: st.SearchStrategy[Any]
) -> None:
    encode, decode = build_encoder(annotation), build_decoder(annotation)

    @SETTINGS
    @given(value=strategy)
    def check(value: Any) -> None:
        av = encode(value)
        assert av == encode_value(value)
        _assert_same(decode(av), _expected(annotation, value))

    check()


@SETTINGS
@given(
    value=st.recursive(
        st.none() | st.booleans() | INTS | TEXT | st.binary(max_size=5),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
        max_leaves=15,
    )
)
def test_untyped_values_round_trip_through_the_generic_codec(value: Any) -> None:
    assert decode_value(encode_value(value)) == value


@st.composite
def models_and_instances(draw: st.DrawFn) -> tuple[ModelDefinition[Any], Any, dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(range(len(CASES))), min_size=1, max_size=8))
    fields: list[tuple[str, Any, Any]] = [("pk", str, dynamorm_field(roles=["pk"], name="PK"))]
    expected: dict[str, Any] = {}
    values: dict[str, Any] = {"pk": draw(st.text(min_size=1, max_size=10))}
    for position, index in enumerate(chosen):
        annotation, strategy = CASES[index]
        name = f"f{position}"
        rename = draw(st.sampled_from([None, f"attr{position}", f"é{position}"]))
        fields.append((name, annotation, dynamorm_field(name=rename, default=None)))
        values[name] = draw(strategy)
        expected[name] = _expected(annotation, values[name])
    model_type = dataclasses.make_dataclass("RandomModel", fields)
    model: ModelDefinition[Any] = ModelDefinition.from_dataclass(model_type)
    return model, model_type(**values), {"pk": values["pk"], **expected}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=models_and_instances())
def test_random_models_round_trip_instances_through_the_model_codec(
    case: tuple[ModelDefinition[Any], Any, dict[str, Any]],
) -> None:
    model, instance, expected = case
    encoded = model.codec.encode_item(instance)
    assert set(encoded.item) == {
        f.attribute_name
        for f in model.codec.fields
        if getattr(instance, f.python_name) is not None or f.definition.set
    }
    decoded = model.codec.decode_item(encoded.item)
    for name, value in expected.items():
        _assert_same(getattr(decoded, name), value)


@dataclasses.dataclass
class _Indexed:
    pk: str = dynamorm_field(roles=["pk"])
    email: str | None = None
    score: int | None = None


_INDEXED = ModelDefinition.from_dataclass(
    _Indexed, table_name="indexed", indexes=[gsi("by-email", partition="email", sort="score")]
)


@pytest.mark.parametrize("missing", [None, ""])
def test_secondary_index_keys_that_are_missing_or_empty_are_left_out(missing: str | None) -> None:
    encoded = _INDEXED.codec.encode_item(_Indexed(pk="a", email=missing, score=None))
    assert encoded.item == {"pk": {"S": "a"}}


def test_secondary_index_keys_with_values_are_written() -> None:
    encoded = _INDEXED.codec.encode_item(_Indexed(pk="a", email="e", score=0))
    assert encoded.item == {"pk": {"S": "a"}, "email": {"S": "e"}, "score": {"N": "0"}}


# --- generated model codecs agree with the per-field loop ------------------------------------------------

# Annotations of the random models: the inlined kinds, their optionals, and ones that call a field codec.
_GEN_ANNOTATIONS: list[Any] = [
    str,
    int,
    bool,
    Decimal,
    float,
    datetime,
    bytes,
    str | None,
    int | None,
    bool | None,
    Decimal | None,
    datetime | None,
    set[str],
    list[dict[str, Any]],
    dict[str, Any],
    list[int],
    Any,
]


class _Color(Enum):
    RED = "red"


class _StrColor(str, Enum):  # noqa: UP042 - a (str, Enum) member, not a StrEnum, is the case under test
    BLUE = "blue"


_SCALAR_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.sampled_from([10**38, -(10**38), 10**38 - 1, 0, -1])
    | st.text(max_size=6)
    | st.sampled_from(["", "é", "\ud800", "x" * 3, "2024-01-01T00:00:00.000000000Z"])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True, places=None)
    | st.sampled_from([Decimal("1E+200"), Decimal("1" * 39), Decimal("-0"), Decimal("sNaN")])
    | st.datetimes(timezones=st.none() | st.sampled_from([UTC, PLUS_2]))
    | st.binary(max_size=4)
    | st.sampled_from([_Color.RED, _StrColor.BLUE, True, 1.5, object()])
)
_ANY_VALUES = st.recursive(
    _SCALAR_VALUES,
    lambda children: (
        st.lists(children, max_size=3)
        | st.sets(st.text(max_size=3) | st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), children, max_size=3)
    ),
    max_leaves=6,
)
_NUMBER_TEXTS = st.sampled_from(["0", "-1", "12", "1.5", "1e5", "1E+400", "abc", "", "-0", "٣", "1" * 50])
_SCALAR_AVS = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=5) | st.sampled_from(["2024-01-01T00:00:00.000000000Z"])),
    st.sampled_from(
        [
            {"S": "2024-02-30T00:00:00.000000000Z"},
            {"S": "2024-01-01T23:59:60.000000000Z"},
            {"S": "2024-01-01T00:00:00+02:00"},
        ]
    ),
    st.builds(lambda n: {"N": n}, _NUMBER_TEXTS),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda b: {"B": b}, st.binary(max_size=3)),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=3), max_size=3)),
    st.builds(lambda ns: {"NS": ns}, st.lists(_NUMBER_TEXTS, max_size=2)),
    st.sampled_from([{}, {"X": 1}, {"S": None}, {"N": 5}, {"S": "a", "N": "1"}, "not a map"]),
)
_AVS = st.recursive(
    _SCALAR_AVS,
    lambda children: (
        st.builds(lambda values: {"L": values}, st.lists(children, max_size=2))
        | st.builds(
            lambda entries: {"M": entries}, st.dictionaries(st.text(max_size=3), children, max_size=2)
        )
    ),
    max_leaves=4,
)


def _fitting_values(annotation: Any, near_miss: bool) -> st.SearchStrategy[Any]:
    """Values of the annotated type (``None`` too for optionals), or values just off its fast path."""
    inner, optional = unwrap_optional(annotation)
    fitting: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=6, min_size=1),
        int: INTS,
        bool: st.booleans(),
        Decimal: decimals_in_range(),
        float: FLOATS,
        datetime: AWARE,
        bytes: st.binary(min_size=1, max_size=4),
        set[str]: st.sets(TEXT, max_size=3),
        list[dict[str, Any]]: st.lists(st.dictionaries(TEXT, INTS | TEXT, max_size=2), max_size=2),
        dict[str, Any]: st.dictionaries(TEXT, INTS | TEXT | st.booleans(), max_size=2),
        list[int]: st.lists(INTS, max_size=3),
    }
    near: dict[Any, st.SearchStrategy[Any]] = {
        str: st.sampled_from(["", "é", "\ud800", _StrColor.BLUE, 1, None]),
        int: st.sampled_from([True, 10**38, -(10**38), 10**39, 1.0, "1", None]),
        bool: st.sampled_from([0, 1, None, "true"]),
        Decimal: st.sampled_from([Decimal("NaN"), Decimal("1E+200"), Decimal("1" * 39), 1, None]),
    }
    if near_miss:
        return near.get(inner, _SCALAR_VALUES)
    strategy = fitting.get(inner, _ANY_VALUES)
    return strategy | st.none() if optional else strategy


# Another value of the kind an attribute was written as: the edge cases of each inlined decoder.
_SAME_KIND_AVS: dict[str, st.SearchStrategy[Any]] = {
    "N": st.builds(lambda n: {"N": n}, _NUMBER_TEXTS),
    "S": st.builds(
        lambda s: {"S": s},
        st.text(max_size=4)
        | st.sampled_from(
            [
                "2024-01-01T00:00:00.000000000Z",
                "2024-02-30T00:00:00.000000000Z",
                "2024-01-01T23:59:60.000000000Z",
                "2024-01-01t00:00:00.000000Z",
                "2024-01-01T00:00:00.123456789+02:00",
            ]
        ),
    ),
    "BOOL": st.builds(lambda b: {"BOOL": b}, st.booleans() | st.sampled_from([0, 1, "yes"])),
    "NULL": st.sampled_from([{"NULL": True}, {"NULL": False}]),
}


@st.composite
def _generated_codec_cases(draw: st.DrawFn) -> tuple[ModelDefinition[Any], Any, datetime | None]:
    """A random model (options, lifecycle roles, index keys, renames) and an instance of arbitrary values."""
    pk_name = draw(st.sampled_from(["PK", "é", "p'k"]))
    fields: list[tuple[str, Any, Any]] = [
        ("pk", draw(st.sampled_from([str, str, int])), dynamorm_field(roles=["pk"], name=pk_name))
    ]
    indexed: list[str] = []
    if draw(st.booleans()):
        fields.append(("sk", draw(st.sampled_from([str, int, Decimal])), dynamorm_field(roles=["sk"])))
    roles = draw(st.lists(st.sampled_from(["created_at", "updated_at", "version", "ttl"]), unique=True))
    lifecycle_types = {"created_at": datetime | None, "updated_at": str | None, "version": int | None}
    for role in roles:
        annotation = lifecycle_types.get(role, draw(st.sampled_from([int | None, datetime | None])))
        fields.append((f"life_{role}", annotation, dynamorm_field(roles=[role], default=None)))
    for position in range(draw(st.integers(0, 6))):
        name = f"f{position}"
        annotation = draw(st.sampled_from(_GEN_ANNOTATIONS))
        options: dict[str, Any] = {
            "name": draw(st.sampled_from([None, f"attr {position}", f"'\"{position}\\", f"é{position}"])),
            "omitempty": draw(st.booleans()),
            "encrypted": draw(st.booleans()),
        }
        if draw(st.booleans()):
            fields.append((name, annotation, dynamorm_field(default=None, **options)))
        else:
            fields.append((name, annotation, dynamorm_field(**options)))
        if draw(st.integers(0, 3)) == 0:
            indexed.append(name)
    fields.sort(key=lambda f: f[2].default is not dataclasses.MISSING)  # required ones first
    if draw(st.booleans()):
        fields.append(("late", int, dataclasses.field(default=0, init=False)))
    model_type = dataclasses.make_dataclass("GeneratedCase", fields)
    indexes = [gsi("by-" + name, partition=name) for name in indexed]
    try:
        model: ModelDefinition[Any] = ModelDefinition.from_dataclass(model_type, indexes=indexes)
    except DynamormPyError:
        assume(False)
        raise
    values = {}
    for name, annotation, spec in fields:
        if spec.init:
            roll = draw(st.integers(0, 9))
            values[name] = draw(
                _ANY_VALUES if roll == 0 else _fitting_values(annotation, near_miss=roll == 1)
            )
    instance = model_type(**values)
    now = draw(
        st.none() | st.just(datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC)) | st.just(datetime(2026, 1, 2))
    )
    return model, instance, now


def _outcome(run: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call produced, comparably: its typed repr, or the error's type, message, code and field."""
    try:
        result = run()
    except Exception as exc:
        return ("error", type(exc), str(exc), getattr(exc, "code", None), getattr(exc, "field", None))
    if isinstance(result, EncodedItem):
        return ("encoded", repr(result.item), repr(result.lifecycle), result.encrypted)
    values = [
        (f.name, type(getattr(result, f.name)), repr(getattr(result, f.name)))
        for f in dataclasses.fields(result)
    ]
    return ("decoded", type(result), values)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(case=_generated_codec_cases(), data=st.data())
def test_generated_model_codec_agrees_with_the_per_field_loop(
    case: tuple[ModelDefinition[Any], Any, datetime | None], data: st.DataObject
) -> None:
    model, instance, now = case
    codec = model.codec
    generated = _outcome(lambda: codec.encode_item(instance, now=now))
    assert generated == _outcome(lambda: codec._encode_item_reference(instance, now=now))
    # Decoding: what was written, or any stored item (wrong types, missing and unknown attributes).
    try:
        written = codec._encode_item_reference(instance).item
    except Exception:
        written = {}
    stored_item: dict[str, Any] = {}
    for attribute in [f.attribute_name for f in codec.fields] + ["unknown"]:
        choice = data.draw(st.sampled_from(["written", "written", "same kind", "random", "absent"]))
        kind = next(iter(written[attribute]), None) if attribute in written else None
        if choice == "same kind" and kind in _SAME_KIND_AVS:
            stored_item[attribute] = data.draw(_SAME_KIND_AVS[kind])
        elif choice == "written" and kind is not None:
            stored_item[attribute] = written[attribute]
        elif choice != "absent":
            stored_item[attribute] = data.draw(_AVS)
    assert _outcome(lambda: codec.decode_item(stored_item)) == _outcome(
        lambda: codec._decode_item_reference(stored_item)
    )


_EDGE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -5,
    10**38,
    10**38 - 1,
    -(10**38),
    10**40,
    1.5,
    float("nan"),
    Decimal("1.5"),
    Decimal("NaN"),
    Decimal("1E+200"),
    Decimal("1" * 39),
    Decimal("-0"),
    "",
    "a",
    "é",
    "\ud800",
    _StrColor.BLUE,
    _Color.RED,
    b"",
    b"x",
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1),
    {"a"},
    [{"k": 1}],
    {"k": [1, "x"]},
    {1: 2},
]


@pytest.mark.parametrize("annotation", _GEN_ANNOTATIONS, ids=repr)
@pytest.mark.parametrize("omitempty", [False, True])
def test_generated_model_codec_agrees_with_the_per_field_loop_on_edge_values(
    annotation: Any, omitempty: bool
) -> None:
    model_type = dataclasses.make_dataclass(
        "EdgeCase",
        [
            ("pk", str, dynamorm_field(roles=["pk"])),
            ("value", annotation, dynamorm_field(default=None, omitempty=omitempty, name="v'\"")),
        ],
    )
    codec = ModelDefinition.from_dataclass(model_type).codec
    for value in _EDGE_VALUES:
        instance = model_type(pk="k", value=value)
        assert _outcome(partial(codec.encode_item, instance)) == _outcome(
            partial(codec._encode_item_reference, instance)
        )
        try:
            written = codec._encode_item_reference(instance).item
        except Exception:
            continue
        for stored in (written, {"pk": {"S": "k"}}, {"v'\"": written.get("v'\"", {"NULL": True})}):
            assert _outcome(partial(codec.decode_item, stored)) == _outcome(
                partial(codec._decode_item_reference, stored)
            )


def test_a_model_with_str_subclass_names_keeps_the_per_field_loop() -> None:
    class Name(str):
        pass

    model_type = dataclasses.make_dataclass(
        "SubclassNames",
        [("pk", str, dynamorm_field(roles=["pk"], name=Name("PK"))), ("n", int, dynamorm_field(default=0))],
    )
    codec = ModelDefinition.from_dataclass(model_type).codec
    encoded = codec.encode_item(model_type(pk="a", n=2))
    assert encoded == codec._encode_item_reference(model_type(pk="a", n=2))
    assert [type(name) for name in encoded.item] == [Name, str]
    assert codec.decode_item(encoded.item) == model_type(pk="a", n=2)


# --- values must match their annotations (api.md §4.1) ----------------------------------------------------


class _Level(IntEnum):
    LOW = 1
    HIGH = 3


class _Shade(str, Enum):  # noqa: UP042 - the str mixin is one of the spellings under test
    DARK = "dark"
    LIGHT = "light"


@dataclass
class _Part:
    name: str
    qty: int = 0
    shade: _Shade | None = None


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (int, "five", "int"),
        (int, True, "int"),
        (int, 2.5, "int"),
        (int, Decimal("2"), "int"),
        (str, 5, "str"),
        (str, b"x", "str"),
        (bool, 1, "bool"),
        (Decimal, 2.5, "Decimal"),
        (Decimal, True, "Decimal"),
        (float, "1.5", "float"),
        (float, False, "float"),
        (bytes, "x", "bytes"),
        (datetime, "2026-01-01T00:00:00Z", "datetime"),
        (datetime, date(2026, 1, 1), "datetime"),
        (int | None, "x", "int"),
        (list[int], ["a"], "int"),
        (list[int], [1, None], "int"),
        (list[int], "12", "list[int]"),
        (list[int], {1, 2}, "list[int]"),
        (tuple[int, ...], (1, "x"), "int"),
        (tuple[int, str], (1, 2), "str"),
        (tuple[int, str], (1, "a", "b"), "tuple[int, str]"),
        (dict[str, int], {"a": "x"}, "int"),
        (dict[str, int], ["a"], "dict[str, int]"),
        (dict[str, Any], [1], "dict[str, Any]"),
        (list[set[str]], [{1}], "str"),
        (_Part, {"name": "x"}, "_Part"),
        (_Part, _Part(name="x", qty="many"), "int"),  # type: ignore[arg-type]
        (_Part, _Part(name=None), "str"),  # type: ignore[arg-type]
        (list[_Part], [_Part(name="x", shade="dim")], "_Shade"),  # type: ignore[arg-type]
        (_Shade, "dim", "_Shade"),
        (_Shade, 1, "_Shade"),
        (_Level, 2, "_Level"),
        (_Level, True, "_Level"),
        (_Level, "1", "_Level"),
        (int | str, 1.5, "int | str"),
    ],
)
def test_a_value_not_matching_its_annotation_is_an_invalid_value_naming_field_and_type(
    annotation: Any, value: Any, expected: str
) -> None:
    model = _value_model(annotation)
    for encode in (model.codec.encode_item, model.codec._encode_item_reference):
        error = _raises(ERR_INVALID_VALUE, lambda: encode(model.model_type(pk="k", value=value)))  # noqa: B023
        assert error.field == "value"
        assert expected in str(error)
        assert "must be" in str(error)
    if isinstance(value, str):
        assert value not in str(error)
    error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.encode_field_value(model.codec.by_name["value"], value)
    )
    assert error.field == "value"


@pytest.mark.parametrize(
    ("annotation", "value", "stored", "refused"),
    [
        (float, 3, {"N": "3"}, True),
        (float, Decimal("1.50"), {"N": "1.50"}, "1.5"),
        (Decimal, 7, {"N": "7"}, 7.5),
        (list[int | None], [1, None], {"L": [{"N": "1"}, {"NULL": True}]}, [1, "2"]),
        (bytes, bytearray(b"ab"), {"B": b"ab"}, "ab"),
        (bytes, Binary(b"ab"), {"B": b"ab"}, ["a"]),
        (
            datetime,
            datetime(2026, 1, 1, tzinfo=PLUS_2),
            {"S": "2025-12-31T22:00:00.000000000Z"},
            date.today(),
        ),
        (tuple[int, str], [1, "a"], {"L": [{"N": "1"}, {"S": "a"}]}, ["a", 1]),
        (int | str, "a", {"S": "a"}, b"a"),
        (dict[str, Any], {"k": {1, 2}}, {"M": {"k": {"NS": ["1", "2"]}}}, [("k", 1)]),
    ],
)
def test_the_annotation_draws_the_line_between_accepted_and_refused_values(
    annotation: Any, value: Any, stored: Any, refused: Any
) -> None:
    model = _value_model(annotation)
    assert _stored(model, value) == stored
    _raises(ERR_INVALID_VALUE, lambda: _stored(model, refused))


def test_a_set_field_checks_its_elements_and_any_iterable_is_still_accepted() -> None:
    model = _value_model(set[int])
    assert _stored(model, [3, 1, 3]) == {"NS": ["1", "3"]}
    assert _stored(model, set()) == {"NULL": True}
    error = _raises(ERR_INVALID_VALUE, lambda: _stored(model, {1, "secret"}))
    assert "element must be int" in str(error)
    assert "secret" not in str(error)
    _raises(ERR_INVALID_VALUE, lambda: _stored(model, {True}))
    assert _stored(_value_model(set[float]), {1, Decimal("2.5")}) == {"NS": ["1", "2.5"]}
    _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(frozenset[bytes]), {"x"}))
    assert _stored(_value_model(list[str], set_=True), ("b", "a")) == {"SS": ["a", "b"]}
    _raises(ERR_INVALID_VALUE, lambda: _stored(_value_model(list[str], set_=True), [1]))


def test_ttl_fields_take_an_int_or_a_datetime_only() -> None:
    codec = ModelDefinition.from_dataclass(IntTtl).codec
    error = _raises(ERR_INVALID_VALUE, lambda: codec.encode_item(IntTtl(pk="a", ttl="soon")))  # type: ignore[arg-type]
    assert error.field == "ttl"
    _raises(ERR_INVALID_VALUE, lambda: codec.encode_item(IntTtl(pk="a", ttl=True)))
    assert codec.encode_item(IntTtl(pk="a", ttl=5)).item["ttl"] == {"N": "5"}


def test_a_wrong_key_value_type_is_rejected() -> None:
    error = _raises(ERR_INVALID_VALUE, lambda: RECORD.codec.encode_key("a", "1"))
    assert error.field == "SK"
    _raises(ERR_INVALID_VALUE, lambda: RECORD.codec.encode_key(5, 1))


# --- enums ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "value", "stored", "read"),
    [
        (_Shade, _Shade.DARK, {"S": "dark"}, _Shade.DARK),
        (_Shade, "light", {"S": "light"}, _Shade.LIGHT),
        (_Level, _Level.HIGH, {"N": "3"}, _Level.HIGH),
        (_Level, 1, {"N": "1"}, _Level.LOW),
        (_Shade | None, _Shade.DARK, {"S": "dark"}, _Shade.DARK),
        (list[_Level], [_Level.LOW, 3], {"L": [{"N": "1"}, {"N": "3"}]}, [_Level.LOW, _Level.HIGH]),
        (dict[str, _Shade], {"a": _Shade.DARK}, {"M": {"a": {"S": "dark"}}}, {"a": _Shade.DARK}),
        (set[_Shade], {_Shade.DARK, "light"}, {"SS": ["dark", "light"]}, {_Shade.DARK, _Shade.LIGHT}),
        (frozenset[_Level], frozenset({_Level.HIGH}), {"NS": ["3"]}, frozenset({_Level.HIGH})),
        (
            _Part,
            _Part(name="p", shade=_Shade.LIGHT),
            {"M": {"name": {"S": "p"}, "qty": {"N": "0"}, "shade": {"S": "light"}}},
            _Part(name="p", shade=_Shade.LIGHT),
        ),
    ],
)
def test_str_and_int_enums_store_their_value_and_read_back_as_the_member(
    annotation: Any, value: Any, stored: Any, read: Any
) -> None:
    model = _value_model(annotation)
    assert _stored(model, value) == stored
    decoded = model.codec.decode_item({"pk": {"S": "k"}, "value": stored}).value
    assert decoded == read
    assert type(decoded) is type(read)
    members = (
        [decoded.shade]
        if isinstance(read, _Part)
        else list(decoded.values())
        if isinstance(read, dict)
        else (list(decoded) if isinstance(read, (list, set, frozenset)) else [decoded])
    )
    assert members and all(isinstance(m, Enum) for m in members)


def test_str_enum_and_int_enum_subclasses_of_the_standard_library_are_supported() -> None:
    from enum import IntFlag, StrEnum

    class Mode(StrEnum):
        FAST = "fast"

    class Perm(IntFlag):
        R = 4
        W = 2

    assert _roundtrip(_value_model(Mode), Mode.FAST) is Mode.FAST
    assert _stored(_value_model(Perm), Perm.R | Perm.W) == {"N": "6"}
    assert _roundtrip(_value_model(Perm), Perm.R | Perm.W) == Perm.R | Perm.W


def test_enum_keys_derive_their_key_type_from_the_enum() -> None:
    model_type = dataclasses.make_dataclass(
        "EnumKeys",
        [("pk", _Level, dynamorm_field(roles=["pk"])), ("sk", _Shade, dynamorm_field(roles=["sk"]))],
    )
    model = ModelDefinition.from_dataclass(model_type)
    assert (model.attribute_type("pk"), model.attribute_type("sk")) == ("N", "S")
    assert model.codec.encode_key(_Level.LOW, "dark") == {"pk": {"N": "1"}, "sk": {"S": "dark"}}


@pytest.mark.parametrize(
    ("annotation", "stored"),
    [
        (_Shade, {"S": "secret-shade"}),
        (_Level, {"N": "2"}),
        (_Level, {"S": "1"}),
        (list[_Shade], {"L": [{"S": "x"}]}),
    ],
)
def test_a_stored_value_no_member_has_is_an_invalid_value_naming_the_field(
    annotation: Any, stored: AV
) -> None:
    model = _value_model(annotation)
    for decode in (model.codec.decode_item, model.codec._decode_item_reference):
        error = _raises(ERR_INVALID_VALUE, lambda: decode({"pk": {"S": "k"}, "value": stored}))  # noqa: B023
        assert error.field == "value"
        assert "secret" not in str(error)
    assert model.codec.decode_item({"pk": {"S": "k"}, "value": {"NULL": True}}).value is None


@pytest.mark.parametrize("annotation", [_Color, _Color | None, list[_Color], set[_Color], dict[str, _Color]])
def test_a_plain_enum_annotation_is_an_unsupported_type_when_the_model_is_defined(annotation: Any) -> None:
    error = _raises(ERR_UNSUPPORTED_TYPE, lambda: _value_model(annotation), error=UnsupportedTypeError)
    assert "_Color" in str(error)
    assert "converter" in str(error)


def test_a_plain_enum_needs_a_converter() -> None:
    _raises(ERR_UNSUPPORTED_TYPE, lambda: _value_model(_Color), error=UnsupportedTypeError)

    class ByName:
        def to_dynamodb(self, value: Any) -> Any:
            return value.name

        def from_dynamodb(self, value: Any) -> Any:
            return _Color[value]

    model = _value_model(_Color, converter=ByName())
    assert _stored(model, _Color.RED) == {"S": "RED"}
    assert _roundtrip(model, _Color.RED) is _Color.RED


# --- converter failures ----------------------------------------------------------------------------------


class _Exploding:
    def to_dynamodb(self, value: Any) -> Any:
        raise KeyError(f"no rate for {value}")

    def from_dynamodb(self, value: Any) -> Any:
        raise ValueError(f"cannot parse {value}")


def test_a_converter_exception_becomes_an_invalid_value_naming_the_field_with_the_cause() -> None:
    model = _value_model(str, converter=_Exploding(), name="money")
    for encode in (model.codec.encode_item, model.codec._encode_item_reference):
        error = _raises(ERR_INVALID_VALUE, lambda: encode(model.model_type(pk="k", value="secret-42")))  # noqa: B023
        assert error.field == "money"
        assert isinstance(error.__cause__, KeyError)
        assert "secret-42" not in str(error)
        assert "to_dynamodb" in str(error)
    for decode in (model.codec.decode_item, model.codec._decode_item_reference):
        error = _raises(ERR_INVALID_VALUE, lambda: decode({"pk": {"S": "k"}, "money": {"S": "secret-43"}}))  # noqa: B023
        assert error.field == "money"
        assert isinstance(error.__cause__, ValueError)
        assert "secret-43" not in str(error)
    json_model = _value_model(str, converter=_Exploding(), json=True)
    error = _raises(
        ERR_INVALID_VALUE, lambda: json_model.codec.decode_item({"pk": {"S": "k"}, "value": {"S": "1"}})
    )
    assert isinstance(error.__cause__, ValueError)


def _generated_frames(error: BaseException) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if frame.filename.startswith("<dynamorm_py codec ")]


def test_a_traceback_through_a_generated_encoder_or_decoder_shows_its_source_line() -> None:
    model = _value_model(str, converter=_Exploding(), name="money")
    encode_error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.encode_item(model.model_type(pk="k", value="x"))
    )
    decode_error = _raises(
        ERR_INVALID_VALUE, lambda: model.codec.decode_item({"pk": {"S": "k"}, "money": {"S": "x"}})
    )
    cases = (
        (encode_error, "ValueModel.encode_item", "e1(v1)"),
        (decode_error, "ValueModel.decode_item", "d1(av)"),
    )
    for error, label, call in cases:
        [frame] = _generated_frames(error)
        assert frame.filename.startswith(f"<dynamorm_py codec {label}")
        assert frame.line is not None
        assert call in frame.line
        text = "".join(traceback.format_exception(error))
        assert f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}\n' in text


def test_the_source_of_a_generated_codec_function_is_kept_and_survives_checkcache() -> None:
    model = _value_model(int, name="count")
    for function in (model.codec._encode_all, model.codec._encode_now, model.codec._decode):
        filename = function.__code__.co_filename
        linecache.checkcache()
        linecache.checkcache(filename)
        source = "".join(linecache.getlines(filename))
        assert source.startswith(("def encode(item, now):", "def decode(item):"))
        assert "'count'" in source
        assert inspect.getsource(function) == source


def test_generated_codecs_of_same_named_models_keep_their_own_source() -> None:
    first, second = _value_model(str, name="first_name"), _value_model(str, name="second_name")
    names = [model.codec._decode.__code__.co_filename for model in (first, second)]
    assert names[0] != names[1]
    assert "'first_name'" in "".join(linecache.getlines(names[0]))
    assert "'second_name'" in "".join(linecache.getlines(names[1]))
    assert "'first_name'" not in "".join(linecache.getlines(names[1]))


# --- a top-level None is not written (WF §5.2, decision 29) ----------------------------------------------


@dataclass
class _Sparse:
    pk: str = dynamorm_field(roles=["pk"])
    text: str | None = None
    number: int | None = None
    ratio: float | None = None
    price: Decimal | None = None
    flag: bool | None = None
    blob: bytes | None = None
    when: datetime | None = None
    items: list[int] | None = None
    mapping: dict[str, Any] | None = None
    part: _Part | None = None
    tags: set[str] | None = None
    doc: Any = dynamorm_field(json=True, default=None)
    converted: Decimal | None = dynamorm_field(converter=CENTS, default=None)
    shade: _Shade | None = None
    nested: list[int | None] = dataclasses.field(default_factory=lambda: [None])
    index_key: str | None = dynamorm_field(roles=["index_pk:by-key"], default=None)


def test_top_level_none_is_not_written_except_json_and_set_fields() -> None:
    codec = ModelDefinition.from_dataclass(_Sparse).codec
    for encode in (codec.encode_item, codec._encode_item_reference):
        assert encode(_Sparse(pk="a")).item == {
            "pk": {"S": "a"},
            "tags": {"NULL": True},
            "doc": {"NULL": True},
            "nested": {"L": [{"NULL": True}]},
        }
    assert codec.decode_item({"pk": {"S": "a"}, "text": {"NULL": True}, "number": {"NULL": True}}) == _Sparse(
        pk="a"
    )


@dataclass
class _Needy:
    pk: str = dynamorm_field(roles=["pk"])
    name: str = dynamorm_field(name="fullName")  # no default: an item without it cannot be decoded
    nickname: str | None = None


def test_none_for_a_field_without_a_default_is_refused_on_write() -> None:
    codec = ModelDefinition.from_dataclass(_Needy).codec
    for encode in (codec.encode_item, codec._encode_item_reference):
        with pytest.raises(ValidationError) as refused:
            encode(_Needy("a", None))  # type: ignore[arg-type]
        assert (refused.value.code, refused.value.field) == (ERR_INVALID_MODEL, "fullName")
        assert encode(_Needy("a", "Ada")).item == {"pk": {"S": "a"}, "fullName": {"S": "Ada"}}


def test_a_dms_required_attribute_set_to_none_is_refused_on_write() -> None:
    doc = {
        "dms_version": "0.1",
        "models": [
            {
                "name": "Account",
                "table": {"name": "accounts"},
                "keys": {"partition": {"attribute": "id", "type": "S"}},
                "attributes": [
                    {"attribute": "id", "type": "S", "required": True},
                    {"attribute": "owner", "type": "S", "required": True},
                    {"attribute": "note", "type": "S", "optional": True},
                ],
            }
        ],
    }
    model = ModelDefinition.from_dms(doc, "Account")
    with pytest.raises(ValidationError) as refused:
        model.codec.encode_item(model.model_type(id="a", owner=None))
    assert (refused.value.code, refused.value.field) == (ERR_INVALID_MODEL, "owner")
    assert model.codec.encode_item(model.model_type(id="a", owner="o")).item["owner"] == {"S": "o"}
