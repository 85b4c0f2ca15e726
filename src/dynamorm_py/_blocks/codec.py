"""Value encoding (docs/wire-format.md §5, §7.2): Python values <-> DynamoDB AttributeValues.

A model's codec is compiled once, when its ``ModelDefinition`` is built, into one :class:`FieldCodec` per
attribute, each holding an encoder and a decoder built from the field's resolved annotation and options.
Calls then run those closures; nothing is rediscovered per call. Generic encoders and decoders cover ``Any``
and values whose runtime type differs from the annotation; the compiled ones only add fast paths, so the
stored result never depends on which path ran.

From that list of field codecs, :class:`ModelCodec` also generates (``exec``, once per model) the source of
its item encoders and its item decoder: the per-field loop (kept as ``_encode_item_reference`` /
``_decode_item_reference``) unrolled into straight-line code, with ``omit_empty``, sparse index keys,
encrypted attributes, lifecycle roles and error attribution (``exc.field``) handled exactly as the loop
does, and the fast path of a plain ``str``/``int``/``bool``/``Decimal`` field (and of the common decoders)
written inline; every other value calls the field's compiled closure. Every put, batch put and read of a
page runs this per item, and the unrolled code saves the loop, the tuple unpacking and one or two calls per
field (bench/codec.py, bench/query.py, bench/batch.py). Names never become code: attribute and field names
enter the source only as ``repr`` literals of plain ``str`` values, identifiers are generated (``v0``,
``e0``, ...), and the closures are passed in through the function's namespace. Each generated function
keeps its source in ``linecache`` under a name like ``<dynamorm_py codec Order.encode_item>``, so tracebacks
and ``inspect.getsource`` show it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json as _json
import linecache
import math
import re
import typing
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..errors import (
    ERR_INVALID_MODEL,
    ERR_INVALID_VALUE,
    ERR_MISSING_PRIMARY_KEY,
    UnsupportedTypeError,
    ValidationError,
)
from .annotations import (
    LIST_ORIGINS,
    MAP_ORIGINS,
    NUMERIC_TYPES,
    SET_ORIGINS,
    enum_kind,
    union_members,
    unwrap_optional,
)
from .attributes import LIFECYCLE_ROLES, MANAGED_ROLES
from .binary import binary_bytes as _binary_bytes
from .binary import is_binary_type as _is_binary_type

if TYPE_CHECKING:
    from .attributes import AttributeDefinition

__all__ = [
    "AV",
    "av_equal",
    "item_equal",
    "EncodedItem",
    "FieldCodec",
    "ModelCodec",
    "MAX_ITEM_BYTES",
    "av_size",
    "decode_value",
    "encode_value",
    "format_timestamp",
    "is_empty",
    "parse_timestamp",
]

AV = dict[str, Any]
Encoder = Callable[[Any], AV]
Decoder = Callable[[AV], Any]

MAX_DEPTH = 32
MAX_ITEM_BYTES = 400 * 1024
_INT_FAST_LIMIT = 10**38
# DynamoDB's range, as adjusted exponents (exponent of the leading digit): 1E-130 <= |x| < 1E+126.
_MIN_ADJUSTED = -130
_MAX_ADJUSTED = 125
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code=ERR_INVALID_VALUE)


def _unsupported(message: str) -> UnsupportedTypeError:
    return UnsupportedTypeError(message)


# --- numbers -------------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    """The N text of a Decimal: finite, at most 38 significant digits, in DynamoDB's range; never rounded."""
    if type(value) is Decimal:
        text = str(value)
        # Positional text (no exponent; a context with capitals=0 writes "e") of at most 38 characters:
        # finite (NaN, sNaN and Infinity all contain an n or N), at most 38 digits, and an adjusted exponent
        # within +-38, inside DynamoDB's range.
        if len(text) <= 38 and "E" not in text and "e" not in text and "N" not in text and "n" not in text:
            return text
    if not value.is_finite():
        raise _invalid("number is not finite")
    text = str(value)
    # Digits are counted on the exact text: normalize() would first round to the context's 28 digits.
    # A text of at most 38 characters cannot hold more than 38 digits.
    if len(text) > 38 and len(text.partition("E")[0].replace("-", "").replace(".", "").strip("0")) > 38:
        raise _invalid("number has more than 38 significant digits")
    if not _MIN_ADJUSTED <= value.adjusted() <= _MAX_ADJUSTED and not value.is_zero():
        raise _invalid("number is outside DynamoDB's range (1E-130 to 1E+126)")
    return text


def _float_text(value: float) -> str:
    """``str(Decimal(repr(value)))``, or ``"0"`` for zero; NaN and infinities are rejected."""
    if not math.isfinite(value):
        raise _invalid("float is not finite (NaN and infinity cannot be stored)")
    if value == 0:
        return "0"
    text = float.__repr__(value)
    if "e" not in text:
        # Positional repr (1e-4 <= |x| < 1e16): Decimal keeps those digits and prints them unchanged.
        return text
    return _decimal_text(Decimal(text))


def _int_text(value: int) -> str:
    if -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT:
        return int.__repr__(value)
    text = int.__repr__(value)
    digits = text.lstrip("-")
    if len(digits.rstrip("0")) > 38:
        raise _invalid("integer has more than 38 significant digits")
    if len(digits) > _MAX_ADJUSTED + 1:
        raise _invalid("number is outside DynamoDB's range (1E-130 to 1E+126)")
    return text


def number_text(value: Any) -> str:
    """The N text of an int, float or Decimal (not bool), checked against DynamoDB's limits."""
    kind = type(value)
    if kind is int:
        return _int_text(value)
    if kind is float:
        return _float_text(value)
    if kind is Decimal or isinstance(value, Decimal):
        return _decimal_text(value)
    if kind is bool:
        raise _unsupported("bool is not a number")
    # Subclasses (IntEnum, ...) store their plain number.
    if isinstance(value, int):
        return _int_text(value)
    if isinstance(value, float):
        return _float_text(value)
    raise _unsupported(f"{kind.__name__} is not a number")


def _int_from_text(text: str) -> int:
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        return int(text)
    try:
        dec = Decimal(text)
    except InvalidOperation:
        raise _invalid("stored number is not a valid number") from None
    if not dec.is_finite() or dec != dec.to_integral_value():
        raise _invalid("stored number is not an integer")
    # DynamoDB never returns such a number, but a decrypted payload can hold any N text: "1E+100000000"
    # would otherwise build a hundred-million-digit int.
    if dec.adjusted() > _MAX_ADJUSTED and not dec.is_zero():
        raise _invalid("stored number is outside DynamoDB's range (1E-130 to 1E+126)")
    return int(dec)


def _number_from_text(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


# --- timestamps (docs/wire-format.md §7.2) --------------------------------------------------------------

# re.ASCII: \d must not match other scripts' digits; \Z: "$" would also accept a trailing newline.
_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)
# The form we write (nine digits, the last three zero, Z) parses faster through datetime.fromisoformat.
_OUR_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}000Z", re.ASCII)


def format_timestamp(value: datetime) -> str:
    """UTC, exactly nine fractional digits, ``Z``; naive datetimes are rejected."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise _invalid("naive datetime: use a timezone-aware datetime")
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise _invalid("datetime is out of range once converted to UTC") from None
    # %-formatting of the fields is about twice as fast as isoformat() of an aware datetime.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z" % (  # noqa: UP031 - measured faster than f-strings
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware UTC datetime (fraction truncated to microseconds)."""
    if _OUR_TIMESTAMP_RE.fullmatch(text):
        try:
            # Python 3.11+ reads "Z" and a nine-digit fraction (its last three digits are zero here).
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # e.g. second 60: the general path below reports it
    match = _TIMESTAMP_RE.match(text)
    if match is None:
        raise _invalid("stored timestamp is not RFC 3339")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if offset in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise _invalid("stored timestamp has an invalid offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _invalid("stored timestamp is not a valid date-time") from None


def epoch_seconds(value: datetime) -> int:
    """Floor of the POSIX timestamp of an aware datetime (the ``ttl`` encoding)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise _invalid("naive datetime: use a timezone-aware datetime")
    # Exact integer arithmetic: value.timestamp() is a float and rounds up near x.999999 for far dates.
    return (value - _EPOCH) // _ONE_SECOND


def datetime_from_epoch(seconds: int) -> datetime:
    """The aware UTC datetime of Unix epoch seconds (how a ``ttl`` datetime field reads back)."""
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise _invalid("stored epoch seconds are out of datetime's range") from None


# --- generic encoding (docs/wire-format.md §5.2, §5.4) ------------------------------------------------------


def _check_text(value: str) -> str:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid("string is not valid Unicode (lone surrogate)") from None
    return value


_STR_KINDS = {str}
_NUMBER_TYPES = (int, float, Decimal)


def encode_set(values: Iterable[Any], check: Callable[[Any, set[type]], None] | None = None) -> AV:
    """SS/NS/BS for a homogeneous set; NULL for an empty one (DynamoDB forbids empty sets).

    ``check`` (of a set-typed annotation) sees the elements and their types before anything is encoded.
    """
    items = values if type(values) is set or type(values) is frozenset else list(values)
    if not items:
        return {"NULL": True}
    kinds = set(map(type, items))
    if check is not None:
        check(items, kinds)
    if kinds == _STR_KINDS or all(issubclass(k, str) for k in kinds):
        # str.__str__ turns str subclasses (a (str, Enum) member) into their plain value.
        strings: Collection[str]
        if kinds != _STR_KINDS:
            strings = {str.__str__(v) for v in items}
        else:
            strings = items if items is values else set(items)  # a set of str needs no copy
        if not "".join(strings).isascii():
            for v in strings:
                _check_text(v)
        return {"SS": sorted(strings)}
    if all(k is not bool and issubclass(k, _NUMBER_TYPES) for k in kinds):
        texts: dict[Decimal, str] = {}
        for v in items:
            text = number_text(v)
            texts.setdefault(Decimal(text), text)
        return {"NS": [texts[k] for k in sorted(texts)]}
    if all(_is_binary_type(k) for k in kinds):
        raw = {_binary_bytes(v) for v in items}
        if None not in raw:
            return {"BS": sorted(b for b in raw if b is not None)}
    if len(kinds) > 1:
        raise _unsupported("set mixes element types")
    raise _unsupported(f"set of {next(iter(kinds)).__name__} cannot be stored (use str, numbers or bytes)")


def encode_value(value: Any, depth: int = 0) -> AV:
    """Encode any supported Python value by its runtime type (``depth``: nesting level of ``value``)."""
    kind = type(value)
    if kind is str:
        return {"S": value if value.isascii() else _check_text(value)}
    if kind is int:
        return {"N": int.__repr__(value) if -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT else _int_text(value)}
    if value is None:
        return {"NULL": True}
    if kind is bool:
        return {"BOOL": value}
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        return {"M": _encode_map(value, depth)}
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        depth += 1
        return {"L": [encode_value(v, depth) for v in value]}
    if kind is Decimal:
        return {"N": _decimal_text(value)}
    if kind is float:
        return {"N": _float_text(value)}
    if kind is bytes:
        return {"B": value}
    if kind is datetime:
        return {"S": format_timestamp(value)}
    if kind is set or kind is frozenset:
        return encode_set(value)
    return _encode_subclass(value, depth)


def _too_deep() -> ValidationError:
    return _invalid(f"value is nested deeper than {MAX_DEPTH} levels")


def _encode_subclass(value: Any, depth: int) -> AV:
    """Values whose type is not exactly a supported one: subclasses, mappings, bytes-likes, dataclasses."""
    binary = _binary_bytes(value)
    if binary is not None:
        return {"B": binary}
    if isinstance(value, str):
        # str.__str__: str() of a (str, Enum) member would give "Color.RED" instead of its value.
        return {"S": _check_text(str.__str__(value))}
    if isinstance(value, _NUMBER_TYPES):
        return {"N": number_text(value)}
    if isinstance(value, datetime):
        return {"S": format_timestamp(value)}
    if isinstance(value, (set, frozenset)):
        return encode_set(value)
    is_dataclass = dataclasses.is_dataclass(value) and not isinstance(value, type)
    if isinstance(value, (Mapping, list, tuple)) or is_dataclass:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, Mapping):
            return {"M": _encode_map(value, depth)}
        if is_dataclass:
            return {
                "M": {
                    f.name: encode_value(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)
                }
            }
        return {"L": [encode_value(v, depth + 1) for v in value]}
    raise _unsupported(f"{type(value).__name__} values cannot be stored (use a converter)")


def _encode_map(value: Mapping[Any, Any], depth: int) -> dict[str, AV]:
    out: dict[str, AV] = {}
    depth += 1
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            if not isinstance(key, str):
                raise _unsupported("map keys must be str")
            _check_text(key)
        # encode_value's own branches for the common kinds, without the call.
        kind = type(item)
        if kind is str:
            out[key] = {"S": item if item.isascii() else _check_text(item)}
        elif kind is int and -_INT_FAST_LIMIT < item < _INT_FAST_LIMIT:
            out[key] = {"N": f"{item}"}
        elif kind is Decimal:
            out[key] = {"N": _decimal_text(item)}
        elif kind is dict:
            if depth >= MAX_DEPTH:
                raise _too_deep()
            out[key] = {"M": _encode_map(item, depth)}
        elif kind is bool:
            out[key] = {"BOOL": item}
        else:
            out[key] = encode_value(item, depth)
    return out


# --- json attributes (docs/wire-format.md §5.5) -------------------------------------------------------------


def _json_text(value: Any, depth: int = 0) -> str:
    if depth > MAX_DEPTH:
        raise _invalid(f"value is nested deeper than {MAX_DEPTH} levels")
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _json.dumps(_check_text(value), ensure_ascii=False)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid("json value is not finite")
        return _json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid("json value is not finite")
        return str(value)
    if isinstance(value, Mapping):
        parts = []
        for key in sorted(value, key=_str_key):
            parts.append(f"{_json.dumps(key, ensure_ascii=False)}:{_json_text(value[key], depth + 1)}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_text(v, depth + 1) for v in value) + "]"
    raise _unsupported(f"{type(value).__name__} cannot be written as JSON")


def _str_key(key: Any) -> str:
    if not isinstance(key, str):
        raise _unsupported("JSON object keys must be str")
    return _check_text(key)


def canonical_json(value: Any) -> str:
    """Canonical JSON text: raw UTF-8, sorted keys, no whitespace, Decimal as number text."""
    return _json_text(value)


# --- emptiness (docs/wire-format.md §5.3) ----------------------------------------------------------------


def is_missing_index_key(value: Any) -> bool:
    """``None`` or an empty string/binary: not storable as a secondary-index key, so not written."""
    return value is None or (isinstance(value, (str, bytes, bytearray)) and len(value) == 0)


def is_empty(value: Any) -> bool:
    """The ``omit_empty`` rule, evaluated on the logical value."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, bytes, bytearray, list, tuple, dict, set, frozenset)):
        return len(value) == 0
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return bool(value == 0)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(is_empty(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


# --- item size -------------------------------------------------------------------------------------


def av_size(av: AV) -> int:
    """DynamoDB's size of one attribute value in bytes (the rules of the 400 KB item limit)."""
    ((kind, value),) = av.items()
    if kind == "S":
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if kind == "N":
        return len(value.lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(av_size(v) + 1 for v in value)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + av_size(v) + 1 for k, v in value.items())
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in value)
    if kind == "NS":
        return sum(len(v.lstrip("-").replace(".", "")) // 2 + 2 for v in value)
    if kind == "BS":
        return sum(len(v) for v in value)
    return 0


def item_size(item: Mapping[str, AV]) -> int:
    total = 0
    for name, av in item.items():
        total += len(name) if name.isascii() else len(name.encode("utf-8"))
        # S and N inline: every put computes this (bench/batch.py); av_size covers the rest.
        text = av.get("S")
        if text is not None:
            total += len(text) if text.isascii() else len(text.encode("utf-8"))
            continue
        number = av.get("N")
        if number is not None:
            total += len(number.lstrip("-").replace(".", "")) // 2 + 2
            continue
        total += av_size(av)
    return total


def check_item_size(item: Mapping[str, AV]) -> None:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise _invalid(f"item is {size} bytes, over DynamoDB's limit of {MAX_ITEM_BYTES} bytes (400 KB)")


# --- generic decoding (docs/wire-format.md §5.7 step 2) -----------------------------------------------------


def decode_value(av: Mapping[str, Any]) -> Any:
    """AV -> Python without an annotation: N is int when integral text, else Decimal."""
    if "S" in av:
        return av["S"]
    if "N" in av:
        n = av["N"]
        return Decimal(n) if "." in n or "e" in n or "E" in n else int(n)
    if "M" in av:
        return _decode_map(av["M"])
    if "L" in av:
        return [decode_value(v) for v in av["L"]]
    if "BOOL" in av:
        return bool(av["BOOL"])
    if "NULL" in av:
        return None
    if "B" in av:
        return _binary_bytes(av["B"])
    if "SS" in av:
        return set(av["SS"])
    if "NS" in av:
        return {_number_from_text(n) for n in av["NS"]}
    if "BS" in av:
        return {_binary_bytes(b) for b in av["BS"]}
    raise _invalid("unknown attribute value type")


def _decode_map(entries: Mapping[str, AV]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, av in entries.items():
        if "S" in av:
            out[key] = av["S"]
        elif "N" in av:
            n = av["N"]
            out[key] = Decimal(n) if "." in n or "e" in n or "E" in n else int(n)
        else:
            out[key] = decode_value(av)
    return out


# --- compiled decoders per annotation (docs/wire-format.md §5.7 step 5) ----------------------------------


def _dec_str(av: AV) -> Any:
    s = av.get("S")
    return s if s is not None else decode_value(av)


def _dec_int(av: AV) -> Any:
    n = av.get("N")
    if n is None:
        return decode_value(av)
    return int(n) if n.isdigit() else _int_from_text(n)


def _dec_float(av: AV) -> Any:
    n = av.get("N")
    return float(n) if n is not None else decode_value(av)


def _dec_decimal(av: AV) -> Any:
    n = av.get("N")
    return Decimal(n) if n is not None else decode_value(av)


def _dec_bool(av: AV) -> Any:
    b = av.get("BOOL")
    return b if b is not None else decode_value(av)


def _dec_bytes(av: AV) -> Any:
    b = av.get("B")
    return _binary_bytes(b) if b is not None else decode_value(av)


def _dec_datetime(av: AV) -> Any:
    s = av.get("S")
    return parse_timestamp(s) if s is not None else decode_value(av)


def _dec_epoch_datetime(av: AV) -> Any:
    n = av.get("N")
    if n is not None:
        return datetime_from_epoch(_int_from_text(n))
    return _dec_datetime(av)


def _numeric_union_decoder(members: Sequence[Any]) -> Decoder:
    has_int, has_float = int in members, float in members

    def decode(av: AV) -> Any:
        n = av.get("N")
        if n is None:
            return decode_value(av)
        if has_int and not ("." in n or "e" in n or "E" in n):
            return int(n)
        return float(n) if has_float else Decimal(n)

    return decode


def build_decoder(tp: Any, *, epoch: bool = False) -> Decoder:
    """A decoder for values annotated ``tp`` (``epoch``: N reads as a datetime, for ttl fields)."""
    tp, _ = unwrap_optional(tp)
    if tp is Any or tp is object:
        return decode_value
    simple: dict[Any, Decoder] = {
        str: _dec_str,
        int: _dec_int,
        float: _dec_float,
        Decimal: _dec_decimal,
        bool: _dec_bool,
        bytes: _dec_bytes,
        datetime: _dec_epoch_datetime if epoch else _dec_datetime,
    }
    if tp in simple:
        return simple[tp]
    kind = enum_kind(tp)
    if kind == "S" or kind == "N":
        return _enum_decoder(tp, kind)
    members = union_members(tp)
    if members and all(m in NUMERIC_TYPES for m in members):
        return _numeric_union_decoder(members)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is None and (tp in SET_ORIGINS or tp in LIST_ORIGINS or tp in MAP_ORIGINS):
        origin = tp  # a bare container annotation (set, list, collections.abc.Set, ...)
    if origin in SET_ORIGINS:
        return _set_decoder(args[0] if args else Any, frozen=origin is frozenset)
    if origin in LIST_ORIGINS:
        return _sequence_decoder(origin, args)
    if origin in MAP_ORIGINS:
        return _map_decoder(args[1] if len(args) == 2 else Any)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    return decode_value


def _enum_decoder(enum_type: Any, kind: str) -> Decoder:
    """S (or N) -> the member with that value; a value no member has is an invalid value."""

    def decode(av: AV) -> Any:
        stored = av.get(kind)
        if stored is None:
            if "NULL" in av:
                return None
            raise _invalid(
                f"stored value is not a {'string' if kind == 'S' else 'number'} ({enum_type.__name__})"
            )
        try:
            return enum_type(stored if kind == "S" else _int_from_text(stored))
        except ValueError:
            raise _invalid(f"stored value is not a member of {enum_type.__name__}") from None

    return decode


def _set_decoder(element: Any, *, frozen: bool) -> Decoder:
    element_decoder = build_decoder(element)
    kind: Callable[[Iterable[Any]], Any] = frozenset if frozen else set
    empty = kind(())

    def decode(av: AV) -> Any:
        if "NULL" in av:
            return empty
        if "SS" in av:
            return (
                kind(av["SS"])
                if element_decoder is _dec_str
                else kind(element_decoder({"S": s}) for s in av["SS"])
            )
        if "NS" in av:
            return kind(element_decoder({"N": n}) for n in av["NS"])
        if "BS" in av:
            return kind(_binary_bytes(b) for b in av["BS"])
        if "L" in av:
            return kind(element_decoder(v) for v in av["L"])
        return decode_value(av)

    if element_decoder is _dec_str and not frozen:
        _INLINE_CLOSURES[decode] = "str_set"
    return decode


def _sequence_decoder(origin: Any, args: tuple[Any, ...]) -> Decoder:
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        positional = [build_decoder(a) for a in args]

        def decode_fixed(av: AV) -> Any:
            items = av.get("L")
            if items is None:
                return decode_value(av)
            return tuple(
                positional[i](v) if i < len(positional) else decode_value(v) for i, v in enumerate(items)
            )

        return decode_fixed
    element_decoder = build_decoder(args[0] if args else Any)
    as_tuple = origin is tuple

    def decode(av: AV) -> Any:
        items = av.get("L")
        if items is None:
            return decode_value(av)
        values = [element_decoder(v) for v in items]
        return tuple(values) if as_tuple else values

    if not as_tuple and _INLINE_CLOSURES.get(element_decoder) == "any_map":
        _INLINE_CLOSURES[decode] = "any_map_list"
    return decode


def _map_decoder(value_type: Any) -> Decoder:
    value_decoder = build_decoder(value_type)
    if value_decoder is decode_value:

        def decode_any_map(av: AV) -> Any:
            entries = av.get("M")
            return _decode_map(entries) if entries is not None else decode_value(av)

        _INLINE_CLOSURES[decode_any_map] = "any_map"
        return decode_any_map

    def decode(av: AV) -> Any:
        entries = av.get("M")
        if entries is None:
            return decode_value(av)
        return {k: value_decoder(v) for k, v in entries.items()}

    return decode


_NESTED_CODECS: dict[type, NestedDataclassCodec] = {}


def _dataclass_decoder(tp: type) -> Decoder:
    def decode(av: AV) -> Any:
        entries = av.get("M")
        if entries is None:
            return decode_value(av)
        return nested_codec(tp).decode(entries)

    return decode


class NestedDataclassCodec:
    """Decoder for a dataclass stored as a map of its py-field names (no dynamorm options apply)."""

    def __init__(self, tp: type) -> None:
        try:
            hints = typing.get_type_hints(tp)
        except Exception as exc:
            raise ValidationError(
                f"cannot resolve the annotations of nested dataclass {tp.__name__} ({type(exc).__name__})",
                code=ERR_INVALID_MODEL,
            ) from exc
        self.type = tp
        self.fields = [
            (f.name, build_decoder(hints.get(f.name, Any)), f.init) for f in dataclasses.fields(tp)
        ]

    def decode(self, entries: Mapping[str, AV]) -> Any:
        kwargs = {name: dec(entries[name]) for name, dec, init in self.fields if init and name in entries}
        try:
            return self.type(**kwargs)
        except TypeError:
            raise ValidationError(
                f"stored map cannot build {self.type.__name__}: a field without default is missing",
                code=ERR_INVALID_MODEL,
            ) from None


def nested_codec(tp: type) -> NestedDataclassCodec:
    codec = _NESTED_CODECS.get(tp)
    if codec is None:
        codec = _NESTED_CODECS[tp] = NestedDataclassCodec(tp)
    return codec


# --- compiled encoders per annotation ------------------------------------------------------------------
#
# Each encoder has a fast path for values of exactly the annotated type, written inline, and otherwise a
# slow path that first checks the value against the annotation (``bool`` is not an ``int``, ``int`` and
# ``Decimal`` fit a ``float``, ``int`` fits a ``Decimal``, containers element by element), so a value of the
# wrong type is refused before anything is sent and the happy path pays nothing for the check.


def _type_name(tp: Any) -> str:
    """How an annotation reads in an error message (``int``, ``list[int]``, ``Inner``)."""
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    members = union_members(tp)
    if members:
        return " | ".join("None" if m is type(None) else _type_name(m) for m in members)
    return repr(tp).replace("typing.", "").replace("collections.abc.", "")


def _mismatch(where: str, expected: str, value: Any) -> ValidationError:
    # The value's type name only: the value itself never enters a message.
    return _invalid(f"{where} must be {expected}, not {type(value).__name__}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


def _is_decimal_value(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _is_binary_value(value: Any) -> bool:
    return _binary_bytes(value) is not None


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _is_set(value: Any) -> bool:
    return isinstance(value, (set, frozenset))


# Scalar annotations: the values each accepts (checked on the slow path only).
_SCALAR_ACCEPTS: dict[Any, Callable[[Any], bool]] = {
    str: _is_str,
    int: _is_int,
    bool: _is_bool,
    float: _is_number,
    Decimal: _is_decimal_value,
    bytes: _is_binary_value,
    bytearray: _is_binary_value,
    memoryview: _is_binary_value,
    datetime: _is_datetime,
}


def _enum_member(enum_type: Any, value: Any) -> Any:
    """The member of a ``str``/``int`` Enum that ``value`` is or stands for, else ``None``."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, bool) or not isinstance(value, str if enum_kind(enum_type) == "S" else int):
        return None
    try:
        return enum_type(value)
    except ValueError:
        return None


def _plain_enum(tp: type, where: str) -> UnsupportedTypeError:
    return _unsupported(
        f"{where} is annotated with the Enum {tp.__name__}, whose members are neither str nor int: derive it "
        f"from str or int (class {tp.__name__}(str, Enum), StrEnum, IntEnum) or give the field a converter"
    )


def _shallow_accepts(tp: Any) -> Callable[[Any], bool]:
    """Does a value look like ``tp`` at its top level? (Which member of a union encodes it.)"""
    tp, optional = unwrap_optional(tp)
    if tp is Any or tp is object:
        return lambda value: True
    accepts = _SCALAR_ACCEPTS.get(tp)
    if accepts is None:
        kind = enum_kind(tp)
        origin = typing.get_origin(tp) or tp
        if kind is not None:
            enum_type = tp

            def accepts(value: Any) -> bool:
                return _enum_member(enum_type, value) is not None

        elif union_members(tp):
            checks = [_shallow_accepts(m) for m in union_members(tp)]

            def accepts(value: Any) -> bool:
                return any(check(value) for check in checks)

        elif origin in SET_ORIGINS:

            def accepts(value: Any) -> bool:
                return isinstance(value, (set, frozenset))

        elif origin in LIST_ORIGINS:

            def accepts(value: Any) -> bool:
                return isinstance(value, (list, tuple))

        elif origin in MAP_ORIGINS:

            def accepts(value: Any) -> bool:
                return isinstance(value, Mapping)

        elif isinstance(tp, type):
            cls = tp

            def accepts(value: Any) -> bool:
                return isinstance(value, cls)

        else:  # Literal, NewType, TypeVar, ...: not checked
            return lambda value: True
    if optional:
        inner = accepts
        return lambda value: value is None or inner(value)
    return accepts


def _generic_encoder(depth: int) -> Encoder:
    if depth == 0:
        return encode_value

    def encode_at_depth(value: Any) -> AV:
        return encode_value(value, depth)

    return encode_at_depth


def _checked(
    accepts: Callable[[Any], bool], encode: Encoder, where: str, expected: str, allow_none: bool
) -> Encoder:
    """The slow path of a typed encoder: ``None`` if allowed, else the value must fit the annotation."""

    def slow(value: Any) -> AV:
        if value is None:
            if allow_none:
                return {"NULL": True}
        elif accepts(value):
            return encode(value)
        raise _mismatch(where, expected, value)

    return slow


def build_encoder(tp: Any, depth: int = 0, where: str = "value") -> Encoder:
    """An encoder for values annotated ``tp`` at nesting level ``depth``; ``where`` names it in errors.

    Values of exactly the annotated type take a fast path; any other value is checked against the
    annotation (``ValidationError``, ErrInvalidValue, naming ``where`` and the expected type) and then
    encoded as ``encode_value`` would. ``None`` is accepted where the annotation is optional, and at the top
    level (``depth`` 0), where whether ``None`` is written at all is the writer's decision.
    """
    inner, optional = unwrap_optional(tp)
    allow_none = optional or depth == 0
    generic = _generic_encoder(depth)
    expected = _type_name(inner)
    if inner is Any or inner is object:
        return generic
    accepts = _SCALAR_ACCEPTS.get(inner)
    if accepts is not None:
        slow = _checked(accepts, generic, where, expected, allow_none)
        return _scalar_encoder(inner, slow)
    kind = enum_kind(inner)
    if kind is not None:
        return _enum_encoder(inner, kind, where, allow_none)
    members = union_members(inner)
    if members:
        if all(m in NUMERIC_TYPES and m is not bool for m in members):
            return _checked(_is_number, generic, where, expected, allow_none)
        return _union_encoder(members, depth, where, expected, allow_none)
    if depth >= MAX_DEPTH:
        return generic
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin is None and (inner in SET_ORIGINS or inner in LIST_ORIGINS or inner in MAP_ORIGINS):
        origin = inner  # a bare container annotation (list, dict, collections.abc.Set, ...)
    if origin in SET_ORIGINS:
        element_check = _set_element_check(args[0] if args else Any, f"{where} element")

        def encode_nested_set(value: Any) -> AV:
            return encode_set(value, element_check)

        return _checked(
            lambda v: isinstance(v, (set, frozenset)), encode_nested_set, where, expected, allow_none
        )
    if origin in LIST_ORIGINS:
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return _fixed_tuple_encoder(args, depth, where, expected, allow_none)
        if not args:
            return _checked(_is_sequence, generic, where, expected, allow_none)
        element = build_encoder(args[0], depth + 1, f"{where} element")
        slow = _checked(
            lambda v: isinstance(v, (list, tuple)), _list_slow(element), where, expected, allow_none
        )
        return _list_encoder(element, slow, _any_map_depth(args[0], depth + 1))
    if origin in MAP_ORIGINS:
        is_mapping = _checked(lambda v: isinstance(v, Mapping), generic, where, expected, allow_none)
        if len(args) != 2 or args[0] is not str or args[1] is Any:
            return _any_map_encoder(is_mapping, depth) if len(args) == 2 and args[0] is str else is_mapping
        element = build_encoder(args[1], depth + 1, f"{where} value")
        slow = _checked(lambda v: isinstance(v, Mapping), _map_slow(element), where, expected, allow_none)
        return _map_encoder(element, slow)
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return _dataclass_encoder(inner, depth, where, allow_none)
    return generic


def _scalar_encoder(tp: Any, slow: Encoder) -> Encoder:
    if tp is str:

        def encode_str(value: Any) -> AV:
            if type(value) is str and value.isascii():
                return {"S": value}
            return slow(value)

        return encode_str
    if tp is int:

        def encode_int(value: Any) -> AV:
            if type(value) is int and -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT:
                return {"N": str(value)}
            return slow(value)

        return encode_int
    if tp is bool:

        def encode_bool(value: Any) -> AV:
            return {"BOOL": value} if type(value) is bool else slow(value)

        return encode_bool
    if tp is Decimal:

        def encode_decimal(value: Any) -> AV:
            return {"N": _decimal_text(value)} if type(value) is Decimal else slow(value)

        return encode_decimal
    if tp is float:

        def encode_float(value: Any) -> AV:
            return {"N": _float_text(value)} if type(value) is float else slow(value)

        return encode_float
    if tp is bytes:

        def encode_bytes(value: Any) -> AV:
            return {"B": value} if type(value) is bytes else slow(value)

        return encode_bytes
    if tp is datetime:

        def encode_datetime(value: Any) -> AV:
            return {"S": format_timestamp(value)} if type(value) is datetime else slow(value)

        return encode_datetime
    return slow


def _enum_encoder(tp: Any, kind: str, where: str, allow_none: bool) -> Encoder:
    """A ``str``/``int`` Enum stores its member's value; the value itself is accepted when it names one."""
    if kind == "plain":
        raise _plain_enum(tp, where)
    expected = tp.__name__

    def slow(value: Any) -> AV:
        if value is None and allow_none:
            return {"NULL": True}
        member = _enum_member(tp, value)
        if member is None:
            raise _mismatch(where, f"a member (or the value of a member) of {expected}", value)
        return encode_member(member)

    if kind == "S":

        def encode_member(member: Any) -> AV:
            return {"S": _check_text(str.__str__(member))}

    else:

        def encode_member(member: Any) -> AV:
            return {"N": _int_text(int(member))}

    def encode_enum(value: Any) -> AV:
        return encode_member(value) if type(value) is tp else slow(value)

    return encode_enum


def _union_encoder(
    members: Sequence[Any], depth: int, where: str, expected: str, allow_none: bool
) -> Encoder:
    """A union (other than of numbers): the first member the value looks like encodes (and checks) it."""
    choices = [(_shallow_accepts(m), build_encoder(m, depth, where)) for m in members]

    def encode_union(value: Any) -> AV:
        if value is None and allow_none:
            return {"NULL": True}
        for accepts, encode in choices:
            if accepts(value):
                return encode(value)
        raise _mismatch(where, expected, value)

    return encode_union


def _fixed_tuple_encoder(
    args: Sequence[Any], depth: int, where: str, expected: str, allow_none: bool
) -> Encoder:
    positional = [build_encoder(a, depth + 1, f"{where} item {i}") for i, a in enumerate(args)]

    def encode_positional(value: Any) -> AV:
        if len(value) != len(positional):
            raise _invalid(f"{where} must be {expected}, not a sequence of {len(value)} items")
        return {"L": [encode(v) for encode, v in zip(positional, value, strict=True)]}

    return _checked(_is_sequence, encode_positional, where, expected, allow_none)


def _list_slow(element: Encoder) -> Encoder:
    def encode_sequence(value: Any) -> AV:
        return {"L": [element(v) for v in value]}

    return encode_sequence


def _list_encoder(element: Encoder, slow: Encoder, map_depth: int | None = None) -> Encoder:
    if map_depth is not None:
        # list[dict[str, Any]]: encode_any_map's fast path inline, one call less per element.
        def encode_map_list(value: Any) -> AV:
            if type(value) is list or type(value) is tuple:
                return {
                    "L": [{"M": _encode_map(v, map_depth)} if type(v) is dict else element(v) for v in value]
                }
            return slow(value)

        return encode_map_list

    def encode_list(value: Any) -> AV:
        if type(value) is list or type(value) is tuple:
            return {"L": [element(v) for v in value]}
        return slow(value)

    return encode_list


def _any_map_encoder(slow: Encoder, depth: int) -> Encoder:
    def encode_any_map(value: Any) -> AV:
        if type(value) is dict:
            return {"M": _encode_map(value, depth)}
        return slow(value)

    return encode_any_map


def _any_map_depth(element: Any, depth: int) -> int | None:
    """The depth ``build_encoder(element, depth)`` passes to ``_encode_map`` when it builds an
    ``encode_any_map`` (``dict[str, Any]``, optional or not), else ``None``."""
    tp, _ = unwrap_optional(element)
    if depth >= MAX_DEPTH:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if (
        origin in MAP_ORIGINS
        and origin not in LIST_ORIGINS
        and len(args) == 2
        and args[0] is str
        and args[1] is Any
    ):
        return depth
    return None


def _map_slow(element: Encoder) -> Encoder:
    def encode_mapping(value: Any) -> AV:
        out: dict[str, AV] = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                if not isinstance(key, str):
                    raise _unsupported("map keys must be str")
                _check_text(key)
            out[key] = element(item)
        return {"M": out}

    return encode_mapping


def _map_encoder(element: Encoder, slow: Encoder) -> Encoder:
    def encode_map(value: Any) -> AV:
        if type(value) is dict:
            out: dict[str, AV] = {}
            for key, item in value.items():
                if type(key) is not str or not key.isascii():
                    return slow(value)  # checks and reports the key
                out[key] = element(item)
            return {"M": out}
        return slow(value)

    return encode_map


# (dataclass, depth) -> its fields' encoders; depth bounds a recursive dataclass (a tree of itself).
_DATACLASS_PLANS: dict[tuple[type, int], tuple[tuple[str, Encoder], ...] | None] = {}


def _dataclass_plan(tp: type, depth: int) -> tuple[tuple[str, Encoder], ...] | None:
    """The typed encoders of a nested dataclass's fields (``None``: its annotations do not resolve)."""
    key = (tp, depth)
    if key in _DATACLASS_PLANS:
        return _DATACLASS_PLANS[key]
    try:
        hints = typing.get_type_hints(tp)
    except Exception:
        plan = None  # encoded by runtime type; reading it back reports the annotations
    else:
        plan = tuple(
            (f.name, build_encoder(hints.get(f.name, Any), depth + 1, f"{tp.__name__}.{f.name}"))
            for f in dataclasses.fields(tp)
        )
    _DATACLASS_PLANS[key] = plan
    return plan


def _dataclass_encoder(tp: type, depth: int, where: str, allow_none: bool) -> Encoder:
    plan = _dataclass_plan(tp, depth)
    generic = _generic_encoder(depth)

    def encode_instance(value: Any) -> AV:
        fields = plan if type(value) is tp else _dataclass_plan(type(value), depth)
        if fields is None:
            return generic(value)
        return {"M": {name: encode(getattr(value, name)) for name, encode in fields}}

    slow = _checked(lambda v: isinstance(v, tp), encode_instance, where, tp.__name__, allow_none)

    def encode_dataclass(value: Any) -> AV:
        if type(value) is tp and plan is not None:
            return {"M": {name: encode(getattr(value, name)) for name, encode in plan}}
        return slow(value)

    return encode_dataclass


def _set_element_check(element: Any, where: str) -> Callable[[Any, set[type]], None] | None:
    """A check of a set's elements for the element annotation (``None``: not checked).

    It receives the set and the types of its elements (which :func:`encode_set` computes anyway), so a set
    of exactly the annotated element type costs one subset test.
    """
    element, _ = unwrap_optional(element)
    kind = enum_kind(element)
    if kind == "plain":
        raise _plain_enum(element, where)
    if kind is not None:
        enum_type, expected = element, element.__name__

        def check_members(values: Any, kinds: set[type]) -> None:
            if kinds != {enum_type}:
                for v in values:
                    if _enum_member(enum_type, v) is None:
                        raise _mismatch(where, f"a member (or the value of a member) of {expected}", v)

        return check_members
    accepts = _SCALAR_ACCEPTS.get(element)
    members = union_members(element)
    if accepts is None and members and all(m in NUMERIC_TYPES and m is not bool for m in members):
        accepts = _is_number
    if accepts is None:
        return None
    exact = {element}
    expected = _type_name(element)

    def check(values: Any, kinds: set[type]) -> None:
        if kinds <= exact:
            return
        for v in values:
            if not accepts(v):
                raise _mismatch(where, expected, v)

    return check


def _set_field_encoder(element: Any, where: str) -> Encoder:
    """Set-typed fields accept any iterable; ``None`` and empty iterables store NULL."""
    check = _set_element_check(element, f"{where} element")

    def encode_set_field(value: Any) -> AV:
        if type(value) is set or type(value) is frozenset:
            return encode_set(value, check)
        if value is None:
            return {"NULL": True}
        if isinstance(value, (str, bytes, bytearray, Mapping)):
            raise _unsupported("a set field takes a set, list or tuple")
        try:
            return encode_set(value, check)
        except UnsupportedTypeError:
            raise
        except TypeError:
            raise _unsupported("a set field takes a set, list or tuple") from None

    return encode_set_field


encode_set_field = _set_field_encoder(Any, "value")
"""A set-typed field of unstated element type: any iterable; ``None`` and empty iterables store NULL."""


# --- per-field and per-model codecs -----------------------------------------------------------------


def _inline_encode_kind(tp: Any) -> str | None:
    """The build_encoder fast path a generated model encoder repeats inline for annotation ``tp``."""
    for kind, name in (
        (str, "str"),
        (int, "int"),
        (bool, "bool"),
        (Decimal, "decimal"),
        (bytes, "bytes"),
        (datetime, "datetime"),
    ):
        if tp is kind:
            return name
    return None


# Decoders built as closures that a generated model decoder may repeat inline, by what they read.
_INLINE_CLOSURES: weakref.WeakKeyDictionary[Decoder, str] = weakref.WeakKeyDictionary()


def _inline_decode_kind(decoder: Decoder) -> str | None:
    """The decoder a generated model decoder repeats inline (only these exact functions)."""
    for known, name in (
        (_dec_str, "str"),
        (_dec_int, "int"),
        (_dec_bool, "bool"),
        (_dec_decimal, "decimal"),
        (_dec_float, "float"),
        (_dec_datetime, "datetime"),
        (_dec_bytes, "bytes"),
    ):
        if decoder is known:
            return name
    return _INLINE_CLOSURES.get(decoder)


class EncodedItem:
    """An encoded item; ``encrypted`` lists the attributes whose plaintext AV still has to be sealed.

    A plain slotted class: one is built per written item, and a frozen dataclass costs three
    ``object.__setattr__`` calls each (bench/batch.py).
    """

    __slots__ = ("encrypted", "item", "lifecycle")

    def __init__(self, item: dict[str, AV], lifecycle: dict[str, Any], encrypted: tuple[str, ...]) -> None:
        self.item = item
        self.lifecycle = lifecycle
        self.encrypted = encrypted

    def __repr__(self) -> str:
        return f"EncodedItem(item={self.item!r}, lifecycle={self.lifecycle!r}, encrypted={self.encrypted!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not EncodedItem:
            return NotImplemented
        return (self.item, self.lifecycle, self.encrypted) == (other.item, other.lifecycle, other.encrypted)

    __hash__ = None  # type: ignore[assignment]  # holds dicts, like the dataclass it replaces


class FieldCodec:
    """Encoder and decoder of one attribute, compiled from its definition and annotation."""

    __slots__ = (
        "attribute_name",
        "converter",
        "decode",
        "definition",
        "element_encode",
        "encode",
        "encrypted",
        "has_default",
        "init",
        "inline_decode",
        "inline_encode",
        "omitempty",
        "python_name",
        "role",
        "sparse",
        "stores_map",
        "text_kind",
        "wants_datetime",
        "writes_none",
    )

    def __init__(
        self,
        definition: AttributeDefinition,
        annotation: Any,
        *,
        has_default: bool,
        init: bool,
        index_key: bool = False,
    ) -> None:
        self.definition = definition
        # A secondary-index key that is not a table key: None or "" is omitted, never written as NULL or
        # an empty string (DynamoDB rejects both for index keys), so the item stays out of the index.
        self.sparse = index_key and "pk" not in definition.roles and "sk" not in definition.roles
        self.python_name = definition.python_name
        self.attribute_name = definition.attribute_name
        self.omitempty = definition.omitempty
        self.encrypted = definition.encrypted
        self.converter = definition.converter
        self.has_default = has_default
        self.init = init
        lifecycle = set(LIFECYCLE_ROLES).intersection(definition.roles)
        self.role: str | None = next(iter(lifecycle)) if lifecycle else None
        self.wants_datetime = unwrap_optional(annotation)[0] is datetime
        # A top-level None is not written (REMOVEd by updates) so every reader of the family sees "absent";
        # only json attributes (NULL) and set-typed fields (the empty set, NULL) write it.
        self.writes_none = definition.json or definition.set
        where = f"attribute {self.attribute_name!r}"
        inner = unwrap_optional(annotation)[0]
        # The fast path a generated model encoder/decoder may inline for this field (see ModelCodec).
        self.inline_encode: str | None = None
        self.encode: Encoder = self._compile_encoder(annotation, where)
        self.decode: Decoder = self._compile_decoder(annotation, where)
        self.inline_decode: str | None = _inline_decode_kind(self.decode)
        # May the stored value be a map? (A caller's {"S": ...}-shaped condition value is one only then.)
        self.stores_map = not (definition.json or definition.set) and (
            self.converter is not None
            or inner is Any
            or inner is object
            or inner in MAP_ORIGINS
            or typing.get_origin(inner) in MAP_ORIGINS
            or (isinstance(inner, type) and dataclasses.is_dataclass(inner))
        )
        # The operand of contains() on a set or list field: one element, checked as such.
        self.element_encode: Encoder | None = None
        # The stored type a begins_with()/contains() text operand must have: "S", "B" or None (not known).
        self.text_kind: str | None = None
        if definition.json:
            self.text_kind = "S"
        elif self.converter is None:
            element = _element_annotation(inner)
            if definition.set or (element is not None and typing.get_origin(inner) in LIST_ORIGINS):
                self.element_encode = build_encoder(
                    element if element is not None else Any, 1, f"{where} element"
                )
            elif inner is str or inner is datetime or enum_kind(inner) == "S":
                self.text_kind = "S"
            elif inner in (bytes, bytearray, memoryview) or definition.binary:
                self.text_kind = "B"

    def _compile_encoder(self, annotation: Any, where: str) -> Encoder:
        definition = self.definition
        converter = self.converter
        if definition.json:
            base: Encoder = _encode_json_field
        elif definition.set:
            element = _element_annotation(unwrap_optional(annotation)[0]) if converter is None else None
            base = _set_field_encoder(element if element is not None else Any, where)
            if element is str:
                self.inline_encode = "str_set"
        elif self.role == "ttl":
            base = _ttl_encoder(where)
        elif converter is not None:
            base = encode_value  # what a converter returns is not checked against the annotation
        else:
            base = build_encoder(annotation, 0, where)
            # build_encoder's fast path for exactly these annotations is what the generated code inlines.
            self.inline_encode = _inline_encode_kind(unwrap_optional(annotation)[0])
        if converter is None:
            return base
        to_dynamodb = converter.to_dynamodb
        name = f"{type(converter).__name__}.to_dynamodb"

        def encode_converted(value: Any) -> AV:
            if value is None:
                return {"NULL": True}
            try:
                converted = to_dynamodb(value)
            except ValidationError:
                raise
            except Exception as exc:
                raise _converter_failed(where, name, exc) from exc
            return base(converted)

        return encode_converted

    def _compile_decoder(self, annotation: Any, where: str) -> Decoder:
        definition = self.definition
        converter = _GuardedConverter(self.converter, where) if self.converter is not None else None
        if definition.json:

            def decode_json(av: AV) -> Any:
                text = av.get("S")
                if text is None:
                    value = decode_value(av)
                else:
                    try:
                        value = _json.loads(text)
                    except ValueError:
                        raise _invalid("stored json attribute is not valid JSON") from None
                return (
                    converter.from_dynamodb(value) if converter is not None and value is not None else value
                )

            return decode_json
        if converter is not None:

            def decode_converted(av: AV) -> Any:
                value = decode_value(av)
                return None if value is None else converter.from_dynamodb(value)

            return decode_converted
        if definition.set:
            inner, _ = unwrap_optional(annotation)
            origin = typing.get_origin(inner) or inner
            if origin in SET_ORIGINS:
                return build_decoder(annotation)
            args = typing.get_args(inner)
            return _set_decoder(args[0] if args else Any, frozen=False)
        return build_decoder(annotation, epoch=self.role == "ttl")


def _element_annotation(tp: Any) -> Any:
    """The element annotation of a set or sequence annotation (``None``: not stated or not one)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in SET_ORIGINS or (origin in LIST_ORIGINS and (len(args) == 1 or args[1:] == (Ellipsis,))):
        return args[0] if args else None
    return None


def _converter_failed(where: str, name: str, exc: Exception) -> ValidationError:
    # The exception's type only: its message may quote the value.
    return _invalid(f"{where}: the converter's {name} raised {type(exc).__name__}")


class _GuardedConverter:
    """A converter whose ``from_dynamodb`` failures become ValidationError naming the attribute."""

    __slots__ = ("_from", "_name", "_where")

    def __init__(self, converter: Any, where: str) -> None:
        self._from = converter.from_dynamodb
        self._name = f"{type(converter).__name__}.from_dynamodb"
        self._where = where

    def from_dynamodb(self, value: Any) -> Any:
        try:
            return self._from(value)
        except ValidationError:
            raise
        except Exception as exc:
            raise _converter_failed(self._where, self._name, exc) from exc


def _ttl_encoder(where: str) -> Encoder:
    """ttl fields take epoch seconds (an int) or a datetime (floored to epoch seconds)."""

    def encode_ttl(value: Any) -> AV:
        if type(value) is int:
            return {"N": _int_text(value)}
        if isinstance(value, datetime):
            return {"N": str(epoch_seconds(value))}
        if value is None:
            return {"NULL": True}
        if _is_int(value):
            return {"N": _int_text(value)}
        raise _mismatch(where, "int or datetime", value)

    return encode_ttl


def _encode_json_field(value: Any) -> AV:
    if value is None:
        return {"NULL": True}
    return {"S": canonical_json(value)}


_KEY_TYPES = ("S", "N", "B")
# (attribute, encoder, None or (omitempty, encrypted, sparse)) per field, whether a None value is left out,
# and a getter of all their values at once.
_EncodeStep = tuple[str, Encoder, "tuple[bool, bool, bool] | None", bool]
_EncodePlan = tuple[Callable[[Any], tuple[Any, ...]], tuple[_EncodeStep, ...]]


def _encode_plan(fields: Sequence[FieldCodec]) -> _EncodePlan:
    names = [f.python_name for f in fields]
    steps = tuple(
        (
            f.attribute_name,
            f.encode,
            (f.omitempty, f.encrypted, f.sparse) if f.omitempty or f.encrypted or f.sparse else None,
            not f.writes_none,
        )
        for f in fields
    )
    if len(names) == 1:
        name = names[0]
        return (lambda item: (getattr(item, name),)), steps
    return attrgetter(*names), steps


_MANAGED_ROLES = MANAGED_ROLES


# --- generated per-model functions ---------------------------------------------------------------------


def _literal(text: str) -> str:
    """A Python literal of ``text``: the only way a field or attribute name ever reaches generated source."""
    if type(text) is not str:
        raise TypeError("generated codecs take plain str names only")
    return str.__repr__(text)


def _compile_function(source: str, namespace: dict[str, Any], name: str, label: str) -> Callable[..., Any]:
    """Compile a generated function under its own pseudo-filename, with its source kept in ``linecache``.

    That is what makes a traceback through ``encode``/``decode`` (a converter raising, say) show the generated
    line instead of nothing, and lets ``inspect.getsource`` read it. The entry's ``None`` mtime keeps
    ``linecache.checkcache`` from dropping it: there is no file on disk to compare with.
    """
    filename = f"<dynamorm_py codec {label}>"
    if filename in linecache.cache:  # a model of the same name defined again (tests, reloads): keep both
        filename = f"<dynamorm_py codec {label} #{next(_generated_serial)}>"
    lines = source.splitlines(True)
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, lines, filename)
    function: Callable[..., Any] = namespace[name]
    return function


_generated_serial = itertools.count(2)


def _missing_attribute(attribute: str) -> ValidationError:
    return ValidationError(f"stored item lacks required attribute {attribute!r}", code=ERR_INVALID_MODEL)


def _unreadable_attribute(attribute: str) -> ValidationError:
    return ValidationError(
        f"stored attribute {attribute!r} cannot be read as its annotation",
        code=ERR_INVALID_VALUE,
        field=attribute,
    )


def required_none(attribute: str) -> None:
    """Refuse ``None`` for a field without a default: the item written would lack it and could not be read."""
    raise ValidationError(
        f"{attribute!r} has no default, so it needs a value: an item stored without it could not be read "
        "back (give it a value, or a default in the model)",
        code=ERR_INVALID_MODEL,
        field=attribute,
    )


def _generate_encoder(
    fields: Sequence[FieldCodec],
    key_attributes: Sequence[str],
    lifecycle: Callable[[Any, dict[str, AV], datetime], dict[str, Any]] | None,
    label: str,
    required: frozenset[str] = frozenset(),
) -> Callable[[Any, datetime | None], EncodedItem]:
    """``encode(item, now)``: the loop of :meth:`ModelCodec._encode_item_reference`, unrolled per field."""
    namespace: dict[str, Any] = {
        "required_none": required_none,
        "ValidationError": ValidationError,
        "EncodedItem": EncodedItem,
        "is_empty": is_empty,
        "is_missing_index_key": is_missing_index_key,
        "check_key_av": check_key_av,
        "lifecycle": lifecycle,
        "values": _encode_plan(fields)[0],
        "Decimal": Decimal,
        "decimal_text": _decimal_text,
        "datetime": datetime,
        "UTC": UTC,
        "str_kinds": _STR_KINDS,
    }
    limit = repr(_INT_FAST_LIMIT)
    any_encrypted = any(f.encrypted for f in fields)
    lines = [
        "def encode(item, now):",
        "    out = {}",
        "    encrypted = []" if any_encrypted else "    encrypted = ()",
        "    a = None",
        "    try:",
    ]
    if fields:
        lines.append(f"        ({''.join(f'v{i}, ' for i in range(len(fields)))}) = values(item)")
    for i, f in enumerate(fields):
        v, attribute = f"v{i}", _literal(f.attribute_name)
        namespace[f"e{i}"] = f.encode
        lines.append(f"        a = {attribute}")
        indent = "        "
        kind = f.inline_encode
        fast = {
            "str": (f"type({v}) is str and {v}.isascii()", f"{{'S': {v}}}"),
            "int": (f"type({v}) is int and -{limit} < {v} < {limit}", f"{{'N': f'{{{v}}}'}}"),
            "bool": (f"type({v}) is bool", f"{{'BOOL': {v}}}"),
            "decimal": (f"type({v}) is Decimal", f"{{'N': decimal_text({v})}}"),
            "bytes": (f"type({v}) is bytes", f"{{'B': {v}}}"),
            # format_timestamp of a UTC datetime, inline.
            "datetime": (
                f"type({v}) is datetime and {v}.tzinfo is UTC",
                f"{{'S': '%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z' % ({v}.year, {v}.month, {v}.day, "
                f"{v}.hour, {v}.minute, {v}.second, {v}.microsecond)}}",
            ),
            # encode_set of a non-empty set of plain ASCII str, inline.
            "str_set": (
                f"type({v}) is set and {v} and set(map(type, {v})) == str_kinds and ''.join({v}).isascii()",
                f"{{'SS': sorted({v})}}",
            ),
        }.get(kind or "")
        skip = []
        if not f.writes_none:
            skip.append(f"{v} is None")
        if f.omitempty:
            skip.append(f"is_empty({v})")
        if f.sparse:
            skip.append(f"is_missing_index_key({v})")
        if fast is not None and skip == [f"{v} is None"] and not f.encrypted:
            # The common plain field: the fast path first, so a present value pays no None test.
            test, av = fast
            lines += [
                f"{indent}if {test}:",
                f"{indent}    out[{attribute}] = {av}",
                f"{indent}elif {v} is not None:",
                f"{indent}    out[{attribute}] = e{i}({v})",
            ]
            if f.attribute_name in required:
                lines += [f"{indent}else:", f"{indent}    required_none({attribute})"]
            continue
        if f.attribute_name in required and f"{v} is None" in skip:
            lines.append(f"        if {v} is None:")
            lines.append(f"            required_none({attribute})")
        if skip:
            lines.append(f"        if not ({' or '.join(skip)}):")
            indent += "    "
        if f.encrypted:
            lines.append(f"{indent}encrypted.append({attribute})")
        expr = f"{fast[1]} if {fast[0]} else e{i}({v})" if fast is not None else f"e{i}({v})"
        lines.append(f"{indent}out[{attribute}] = {expr}")
    lines.append(
        "        written = lifecycle(item, out, now)" if lifecycle is not None else "        written = {}"
    )
    lines += [
        "    except ValidationError as exc:",
        "        if exc.field is None:",
        "            exc.field = a",
        "        raise",
    ]
    for attribute in map(_literal, key_attributes):
        lines += [
            f"    av = out.get({attribute})",
            "    if av is None or not (av.get('S') or 'N' in av or av.get('B')):",
            f"        check_key_av(av, {attribute})",
        ]
    tail = "tuple(encrypted) if encrypted else ()" if any_encrypted else "()"
    lines.append(f"    return EncodedItem(out, written, {tail})")
    return _compile_function("\n".join(lines) + "\n", namespace, "encode", label)


# Inlined decode fast paths: AV type read, expression of its value ``x``, extra condition for the fast path.
_INLINE_DECODE = {
    "str": ("S", "x", ""),
    "int": ("N", "int(x)", " and x.isdigit()"),
    "bool": ("BOOL", "x", ""),
    "decimal": ("N", "Decimal(x)", ""),
    "float": ("N", "float(x)", ""),
}


def _generate_decoder(
    model_type: type, fields: Sequence[FieldCodec], label: str
) -> Callable[[Mapping[str, AV]], Any]:
    """``decode(item)``: the loop of :meth:`ModelCodec._decode_item_reference`, unrolled per field."""
    namespace: dict[str, Any] = {
        "ValidationError": ValidationError,
        "Decimal": Decimal,
        "missing": _missing_attribute,
        "unreadable": _unreadable_attribute,
        "cannot_build": _cannot_build,
        "model_type": model_type,
        "setattr": object.__setattr__,
        "our_timestamp": _OUR_TIMESTAMP_RE.fullmatch,
        "fromisoformat": datetime.fromisoformat,
        "decode_map": _decode_map,
        "decode_value": decode_value,
    }
    any_late = any(not f.init for f in fields)
    lines = [
        "def decode(item):",
        "    kwargs = {}",
        "    late = {}" if any_late else "",
        "    get = item.get",
        "    a = ''",
        "    try:",
    ]
    for i, f in enumerate(fields):
        attribute = _literal(f.attribute_name)
        target = f"{'kwargs' if f.init else 'late'}[{_literal(f.python_name)}]"
        namespace[f"d{i}"] = f.decode
        lines += [
            f"        a = {attribute}",
            f"        av = get({attribute})",
            "        if av is None:",
            "            pass" if f.has_default else f"            raise missing({attribute})",
            "        else:",
        ]
        kind = f.inline_decode
        if kind in _INLINE_DECODE:
            av_type, value, condition = _INLINE_DECODE[kind]
            lines += [
                f"            x = av.get({av_type!r})",
                f"            {target} = {value} if x is not None{condition} else d{i}(av)",
            ]
        elif kind == "bytes":
            lines += [
                "            x = av.get('B')",
                f"            {target} = x if type(x) is bytes else d{i}(av)",
            ]
        elif kind == "str_set":
            lines += [
                "            x = av.get('SS')",
                f"            {target} = set(x) if x is not None else d{i}(av)",
            ]
        elif kind == "any_map":
            lines += [
                "            x = av.get('M')",
                f"            {target} = decode_map(x) if x is not None else d{i}(av)",
            ]
        elif kind == "any_map_list":
            # decode_any_map of each element, inline: one call less per element.
            lines += [
                "            x = av.get('L')",
                "            if x is None:",
                f"                {target} = d{i}(av)",
                "            else:",
                f"                {target} = ["
                "decode_map(e['M']) if 'M' in e else decode_value(e) for e in x]",
            ]
        elif kind == "datetime":
            # parse_timestamp's fast path for the form we write; anything else takes the full decoder.
            lines += [
                "            x = av.get('S')",
                "            if x is not None and our_timestamp(x) is not None:",
                "                try:",
                f"                    {target} = fromisoformat(x)",
                "                except ValueError:",
                f"                    {target} = d{i}(av)",
                "            else:",
                f"                {target} = d{i}(av)",
            ]
        else:
            lines.append(f"            {target} = d{i}(av)")
    lines += [
        "    except ValidationError as exc:",
        "        exc.field = a",
        "        raise",
        "    except (TypeError, ValueError, KeyError, AttributeError):",
        "        raise unreadable(a) from None",
        "    try:",
        "        instance = model_type(**kwargs)",
        "    except TypeError:",
        "        raise cannot_build(model_type) from None",
    ]
    if any_late:
        lines += ["    for name, value in late.items():", "        setattr(instance, name, value)"]
    lines.append("    return instance")
    return _compile_function("\n".join(lines) + "\n", namespace, "decode", label)


def _cannot_build(model_type: type) -> ValidationError:
    # e.g. an ignored field without a default: the stored item can never provide it.
    return ValidationError(
        f"stored item cannot build {model_type.__name__}: a field without default is missing",
        code=ERR_INVALID_MODEL,
    )


class ModelCodec:
    """The compiled codec of one model: field codecs in dataclass field order."""

    def __init__(
        self,
        model_type: type,
        fields: Sequence[FieldCodec],
        *,
        pk: str,
        sk: str | None,
    ) -> None:
        self.model_type = model_type
        self.fields = tuple(fields)
        self.by_name = {f.python_name: f for f in self.fields}
        self.by_attribute = {f.attribute_name: f for f in self.fields}
        self.pk = self.by_name[pk]
        self.sk = self.by_name[sk] if sk is not None else None
        self.lifecycle = tuple(f for f in self.fields if f.role is not None)
        self.encrypted = tuple(f.attribute_name for f in self.fields if f.encrypted)
        # Non-key fields a stored item must hold to be decoded: what an update may not leave unset.
        self.required = tuple(
            f for f in self.fields if not f.has_default and f is not self.pk and f is not self.sk
        )
        # None for one of these is refused on write (the item could not be read back); lifecycle fields are
        # filled by the library instead.
        self._required_attributes = frozenset(f.attribute_name for f in self.required if f.role is None)
        # With a clock, created_at/updated_at/version are written by _apply_lifecycle; without one, as is.
        self._plain = _encode_plan([f for f in self.fields if f.role not in _MANAGED_ROLES])
        self._all = _encode_plan(self.fields)
        self._key_attributes = tuple(f.attribute_name for f in (self.pk, self.sk) if f is not None)
        self._decoders = tuple(
            (f.attribute_name, f.python_name, f.decode, f.init, f.has_default) for f in self.fields
        )
        self._encode_now: Callable[[Any, datetime | None], EncodedItem]
        self._encode_all: Callable[[Any, datetime | None], EncodedItem]
        self._decode: Callable[[Mapping[str, AV]], Any]
        if all(type(f.attribute_name) is str and type(f.python_name) is str for f in self.fields):
            plain = [f for f in self.fields if f.role not in _MANAGED_ROLES]
            managed = any(f.role in _MANAGED_ROLES for f in self.fields)
            name = model_type.__qualname__
            self._encode_now = _generate_encoder(
                plain,
                self._key_attributes,
                self._apply_lifecycle if managed else None,
                f"{name}.encode_item(now)",
                self._required_attributes,
            )
            self._encode_all = _generate_encoder(
                self.fields, self._key_attributes, None, f"{name}.encode_item", self._required_attributes
            )
            self._decode = _generate_decoder(model_type, self.fields, f"{name}.decode_item")
        else:  # names of a str subclass stay what they are: no generated code, the per-field loop
            self._encode_now = self._encode_all = lambda item, now: self._encode_item_reference(item, now=now)
            self._decode = self._decode_item_reference

    # writing -------------------------------------------------------------------------------------

    def encode_item(self, item: Any, *, now: datetime | None = None) -> EncodedItem:
        """Encode a model instance; ``now`` applies put-type lifecycle roles (docs/wire-format.md §7.1).

        Without ``now`` every field, lifecycle ones included, is written as it is (``omit_empty`` applies).
        """
        if now is None:
            return self._encode_all(item, None)
        return self._encode_now(item, now)

    def _encode_item_reference(self, item: Any, *, now: datetime | None = None) -> EncodedItem:
        """:meth:`encode_item` as a loop over the field codecs: what the generated encoders unroll (tests)."""
        values, steps = self._plain if now is not None else self._all
        out: dict[str, AV] = {}
        encrypted: list[str] = []
        attribute = None
        try:
            for (attribute, encode, options, skip_none), value in zip(steps, values(item), strict=True):
                if value is None and skip_none:
                    if attribute in self._required_attributes:
                        required_none(attribute)
                    continue
                if options is not None:
                    omitempty, is_encrypted, sparse = options
                    if (omitempty and is_empty(value)) or (sparse and is_missing_index_key(value)):
                        continue
                    if is_encrypted:
                        encrypted.append(attribute)
                out[attribute] = encode(value)
            lifecycle = self._apply_lifecycle(item, out, now) if now is not None else {}
        except ValidationError as exc:
            if exc.field is None:
                exc.field = attribute
            raise
        for attribute in self._key_attributes:
            av = out.get(attribute)
            if av is None or not (av.get("S") or "N" in av or av.get("B")):
                check_key_av(av, attribute)  # raises: missing, empty or not S/N/B
        return EncodedItem(out, lifecycle, tuple(encrypted) if encrypted else ())

    def _apply_lifecycle(self, item: Any, out: dict[str, AV], now: datetime) -> dict[str, Any]:
        written: dict[str, Any] = {}
        for f in self.lifecycle:
            if f.role == "ttl":
                continue
            value = getattr(item, f.python_name)
            if f.role == "version":
                value = 0 if value is None else value
            elif f.role == "updated_at" or is_empty(value):
                value = now if f.wants_datetime else format_timestamp(now)
            try:
                out[f.attribute_name] = f.encode(value)
            except ValidationError as exc:
                exc.field = f.attribute_name
                raise
            written[f.python_name] = value
        return written

    def encode_key(self, pk: Any, sk: Any = None) -> dict[str, AV]:
        """The primary key map for ``(pk, sk)`` with the key fields' full encoding."""
        key = {self.pk.attribute_name: self.encode_key_value(self.pk, pk)}
        if self.sk is not None:
            key[self.sk.attribute_name] = self.encode_key_value(self.sk, sk)
        elif sk is not None:
            raise ValidationError(
                "this model has no sort key, but a sort key value was given",
                code=ERR_INVALID_MODEL,
                field=self.pk.attribute_name,
            )
        return key

    def encode_key_value(self, field: FieldCodec, value: Any) -> AV:
        if value is None or (isinstance(value, (str, bytes, bytearray)) and len(value) == 0):
            raise ValidationError(
                f"missing value for key attribute {field.attribute_name!r}",
                code=ERR_MISSING_PRIMARY_KEY,
                field=field.attribute_name,
            )
        try:
            av = field.encode(value)
        except ValidationError as exc:
            exc.field = field.attribute_name
            raise
        check_key_av(av, field.attribute_name)
        return av

    def encode_field_value(self, field: FieldCodec, value: Any, encode: Encoder | None = None) -> AV:
        """A value of ``field`` in a condition, filter or update (steps 3-5 of the write pipeline).

        ``encode`` replaces the field's encoder for an operand of another type (a set element, a prefix).
        """
        try:
            return (encode or field.encode)(value)
        except ValidationError as exc:
            exc.field = field.attribute_name
            raise

    # reading -------------------------------------------------------------------------------------

    def decode_item(self, item: Mapping[str, AV]) -> Any:
        """Build a model instance from a (decrypted) stored item; unknown attributes are dropped."""
        return self._decode(item)

    def decode_items(self, items: Iterable[Mapping[str, AV]]) -> list[Any]:
        """:meth:`decode_item` of each item (a page of a query or scan), without a method call per item."""
        decode = self._decode
        return [decode(item) for item in items]

    def _decode_item_reference(self, item: Mapping[str, AV]) -> Any:
        """:meth:`decode_item` as a loop over the field codecs: what the generated decoder unrolls (tests)."""
        kwargs: dict[str, Any] = {}
        late: dict[str, Any] = {}
        get = item.get
        attribute = ""
        try:
            for attribute, name, decode, init, has_default in self._decoders:
                av = get(attribute)
                if av is None:
                    if not has_default:
                        raise ValidationError(
                            f"stored item lacks required attribute {attribute!r}", code=ERR_INVALID_MODEL
                        )
                    continue
                if init:
                    kwargs[name] = decode(av)
                else:
                    late[name] = decode(av)
        except ValidationError as exc:
            exc.field = attribute
            raise
        except (TypeError, ValueError, KeyError, AttributeError):
            raise ValidationError(
                f"stored attribute {attribute!r} cannot be read as its annotation",
                code=ERR_INVALID_VALUE,
                field=attribute,
            ) from None
        try:
            instance = self.model_type(**kwargs)
        except TypeError:
            # e.g. an ignored field without a default: the stored item can never provide it.
            raise ValidationError(
                f"stored item cannot build {self.model_type.__name__}: a field without default is missing",
                code=ERR_INVALID_MODEL,
            ) from None
        for name, value in late.items():
            object.__setattr__(instance, name, value)
        return instance


def check_key_av(av: AV | None, attribute: str) -> None:
    """Key values must be non-empty S, N or B."""
    if av is None or "NULL" in av:
        raise ValidationError(
            f"missing value for key attribute {attribute!r}", code=ERR_MISSING_PRIMARY_KEY, field=attribute
        )
    ((kind, value),) = av.items()
    if kind not in _KEY_TYPES:
        raise ValidationError(
            f"key attribute {attribute!r} must be a string, number or binary",
            code=ERR_INVALID_MODEL,
            field=attribute,
        )
    if kind in ("S", "B") and len(value) == 0:
        raise ValidationError(
            f"key attribute {attribute!r} must not be empty", code=ERR_MISSING_PRIMARY_KEY, field=attribute
        )


# --- comparing stored values -------------------------------------------------------------------------------


def _stored_number(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def av_equal(a: Any, b: Any) -> bool:
    """Whether two attribute values are the same stored value (numbers by value, sets in any order)."""
    if a == b:
        return True
    if not isinstance(a, dict) or not isinstance(b, dict) or len(a) != 1 or a.keys() != b.keys():
        return False
    (kind,) = a.keys()
    x, y = a[kind], b[kind]
    if kind == "N":
        return _stored_number(x) is not None and _stored_number(x) == _stored_number(y)
    if kind == "NS":
        return {_stored_number(v) for v in x} == {_stored_number(v) for v in y}
    if kind in ("SS", "BS"):
        return {bytes(v) if kind == "BS" else v for v in x} == {bytes(v) if kind == "BS" else v for v in y}
    if kind == "B":
        return bytes(x) == bytes(y)
    if kind == "L":
        return len(x) == len(y) and all(av_equal(i, j) for i, j in zip(x, y, strict=True))
    if kind == "M":
        return x.keys() == y.keys() and all(av_equal(x[k], y[k]) for k in x)
    return False


def item_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two items hold the same attributes with the same stored values."""
    return a.keys() == b.keys() and all(av_equal(a[k], b[k]) for k in a)
