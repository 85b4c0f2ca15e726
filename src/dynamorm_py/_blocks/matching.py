"""Telling entity types apart in a shared table: a model's ``matches`` predicate over the stored item.

In a single-table design several models share one table (a customer's profile and its orders under one
partition key, told apart by sort-key prefixes). A model's predicate receives the raw stored item (low-level
AttributeValues such as ``{"SK": {"S": "ORDER#7"}}``, before decryption) and says whether the item is one of
the model's. Nothing is written to items for this: the predicate reads what the family's wire format stores.

``sk_prefix``, ``pk_prefix`` and ``attribute_equals`` return an :class:`ItemMatcher`, a description that the
model binds to its own key attribute names when it is defined (so ``sk_prefix("ORDER#")`` reads ``SK`` on one
model and ``sortKey`` on another). Matchers combine with ``&``, ``|`` and ``~``; a plain callable given by the
user is used as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..errors import ERR_INVALID_VALUE, ModelDefinitionError, ValidationError
from .attributes import AttributeDefinition, model_error
from .codec import AV, av_equal, number_text

__all__ = [
    "ItemMatcher",
    "ItemPredicate",
    "attribute_equals",
    "bind_matches",
    "item_matches",
    "matched_attributes",
    "pk_prefix",
    "sk_prefix",
    "split_matching",
]

ItemPredicate = Callable[[Mapping[str, AV]], bool]


# --- bound predicates: what a model's ``matches`` holds --------------------------------------------------
# Plain classes with __call__ rather than closures: their repr says what they test, and the read paths can
# ask which attributes they need (to keep those in a projected read).


class _Bound:
    """A predicate bound to attribute names; ``attributes`` are those it reads (``None``: unknown)."""

    __slots__ = ("attributes",)

    def __init__(self, attributes: tuple[str, ...] | None) -> None:
        self.attributes = attributes

    def __call__(self, item: Mapping[str, AV]) -> bool:
        raise NotImplementedError


class _Prefix(_Bound):
    __slots__ = ("attribute", "label", "prefix")

    def __init__(self, attribute: str, prefix: str, label: str) -> None:
        super().__init__((attribute,))
        self.attribute = attribute
        self.prefix = prefix
        self.label = label

    def __call__(self, item: Mapping[str, AV]) -> bool:
        av = item.get(self.attribute)
        if av is None:
            return False
        text = av.get("S")
        return isinstance(text, str) and text.startswith(self.prefix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Prefix) and (self.attribute, self.prefix) == (other.attribute, other.prefix)

    def __hash__(self) -> int:
        return hash((self.attribute, self.prefix))

    def __repr__(self) -> str:
        return f"{self.label}({self.prefix!r}) on {self.attribute!r}"


class _Equals(_Bound):
    __slots__ = ("attribute", "expected")

    def __init__(self, attribute: str, expected: AV) -> None:
        super().__init__((attribute,))
        self.attribute = attribute
        self.expected = expected

    def __call__(self, item: Mapping[str, AV]) -> bool:
        av = item.get(self.attribute)
        return av is not None and av_equal(av, self.expected)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Equals) and (self.attribute, self.expected) == (
            other.attribute,
            other.expected,
        )

    def __hash__(self) -> int:
        return hash(self.attribute)

    def __repr__(self) -> str:
        return f"attribute_equals({self.attribute!r})"


class _Combined(_Bound):
    __slots__ = ("kind", "parts")

    def __init__(self, kind: Literal["and", "or", "not"], parts: Sequence[ItemPredicate]) -> None:
        names: list[str] = []
        unknown = False
        for part in parts:
            known = matched_attributes(part)
            if known is None:
                unknown = True  # a plain callable may read anything
                break
            names += [n for n in known if n not in names]
        super().__init__(None if unknown else tuple(names))
        self.kind = kind
        self.parts = tuple(parts)

    def __call__(self, item: Mapping[str, AV]) -> bool:
        if self.kind == "and":
            return all(part(item) for part in self.parts)
        if self.kind == "or":
            return any(part(item) for part in self.parts)
        return not self.parts[0](item)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Combined) and (self.kind, self.parts) == (other.kind, other.parts)

    def __hash__(self) -> int:
        return hash((self.kind, len(self.parts)))

    def __repr__(self) -> str:
        if self.kind == "not":
            return f"~({self.parts[0]!r})"
        return "(" + f" {'&' if self.kind == 'and' else '|'} ".join(repr(p) for p in self.parts) + ")"


def matched_attributes(predicate: Any) -> tuple[str, ...] | None:
    """The attributes a bound predicate reads, or ``None`` when they are unknown (a plain callable)."""
    if isinstance(predicate, _Bound):
        return predicate.attributes
    return None


# --- unbound matchers: what the helpers return ------------------------------------------------------------


@dataclass(frozen=True)
class ItemMatcher:
    """A description of which stored items belong to a model, bound to the model's attribute names when
    the model is defined. Made by ``sk_prefix``, ``pk_prefix`` and ``attribute_equals``; combine with ``&``,
    ``|`` and ``~`` (a plain predicate may be combined too)."""

    kind: Literal["sk_prefix", "pk_prefix", "attribute_equals", "and", "or", "not"]
    arguments: tuple[Any, ...]

    def __and__(self, other: ItemMatcher | ItemPredicate) -> ItemMatcher:
        return ItemMatcher("and", (self, _combinable(other, "&")))

    def __rand__(self, other: ItemPredicate) -> ItemMatcher:
        return ItemMatcher("and", (_combinable(other, "&"), self))

    def __or__(self, other: ItemMatcher | ItemPredicate) -> ItemMatcher:
        return ItemMatcher("or", (self, _combinable(other, "|")))

    def __ror__(self, other: ItemPredicate) -> ItemMatcher:
        return ItemMatcher("or", (_combinable(other, "|"), self))

    def __invert__(self) -> ItemMatcher:
        return ItemMatcher("not", (self,))

    def __repr__(self) -> str:
        if self.kind in ("and", "or"):
            sign = " & " if self.kind == "and" else " | "
            return "(" + sign.join(repr(a) for a in self.arguments) + ")"
        if self.kind == "not":
            return f"~{self.arguments[0]!r}"
        return f"{self.kind}({', '.join(repr(a) for a in self.arguments[:1])})"


def _combinable(other: Any, sign: str) -> Any:
    if isinstance(other, ItemMatcher) or callable(other):
        return other
    raise ModelDefinitionError(f"{sign} combines a matcher with another matcher or a predicate")


def _prefix_argument(helper: str, prefix: Any) -> str:
    if not isinstance(prefix, str) or not prefix:
        raise ModelDefinitionError(f"{helper}: prefix must be a non-empty string", field="prefix")
    return prefix


def sk_prefix(prefix: str) -> ItemMatcher:
    """Items whose sort key (a string) starts with ``prefix``; the model supplies the attribute name."""
    return ItemMatcher("sk_prefix", (_prefix_argument("sk_prefix", prefix),))


def pk_prefix(prefix: str) -> ItemMatcher:
    """Items whose partition key (a string) starts with ``prefix``; the model supplies the attribute name."""
    return ItemMatcher("pk_prefix", (_prefix_argument("pk_prefix", prefix),))


def _scalar_av(value: Any) -> AV:
    """``value`` as the plain scalar the family stores: S, N, B or BOOL."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"B": bytes(value)}
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise ModelDefinitionError("attribute_equals: value must be a finite number", field="value")
        try:
            return {"N": number_text(value)}
        except ValidationError:
            raise ModelDefinitionError(
                "attribute_equals: value is outside DynamoDB's number range", field="value"
            ) from None
    raise ModelDefinitionError(
        "attribute_equals: value must be a str, int, float, Decimal, bytes or bool, "
        f"not {type(value).__name__}",
        field="value",
    )


def attribute_equals(attribute: str, value: str | int | float | Decimal | bytes | bool) -> ItemMatcher:
    """Items whose stored ``attribute`` (its stored name) holds ``value``, compared as the plain scalar the
    family stores for it (numbers by value: ``1`` equals a stored ``1.0``)."""
    if not isinstance(attribute, str) or not attribute:
        raise ModelDefinitionError(
            "attribute_equals: attribute must be a non-empty string", field="attribute"
        )
    return ItemMatcher("attribute_equals", (attribute, _scalar_av(value)))


# --- binding ---------------------------------------------------------------------------------------------


def _bind(
    model_type: type,
    matcher: ItemMatcher | ItemPredicate,
    *,
    pk: AttributeDefinition,
    sk: AttributeDefinition | None,
    attributes: Mapping[str, AttributeDefinition],
    key_type: Callable[[AttributeDefinition], str],
) -> ItemPredicate:
    if not isinstance(matcher, ItemMatcher):
        if not callable(matcher):
            raise model_error(model_type, "matches: every combined part must be a matcher or a predicate")
        return matcher
    kind, arguments = matcher.kind, matcher.arguments
    if kind in ("sk_prefix", "pk_prefix"):
        key = pk if kind == "pk_prefix" else sk
        if key is None:
            raise model_error(model_type, "matches: sk_prefix needs a model with a sort key", "matches")
        if key_type(key) != "S":
            raise model_error(
                model_type, f"matches: {kind} needs a string key ({key.python_name!r} is not one)", "matches"
            )
        return _Prefix(key.attribute_name, arguments[0], kind)
    if kind == "attribute_equals":
        name, expected = arguments
        by_attribute = {a.attribute_name: a for a in attributes.values()}
        attribute = by_attribute.get(name)
        if attribute is None and name in attributes:
            # A py-field name stored under another attribute name would never be found in the stored item.
            raise model_error(
                model_type,
                f"matches: attribute_equals takes stored attribute names; field {name!r} is stored as "
                f"{attributes[name].attribute_name!r}",
                "matches",
            )
        if attribute is not None and attribute.encrypted:
            raise model_error(
                model_type,
                f"matches: attribute_equals cannot test encrypted field {attribute.python_name!r} "
                "(its stored value is an envelope)",
                "matches",
            )
        return _Equals(name, expected)
    parts = [_bind(model_type, a, pk=pk, sk=sk, attributes=attributes, key_type=key_type) for a in arguments]
    combined: Literal["and", "or", "not"] = "and" if kind == "and" else "or" if kind == "or" else "not"
    return _Combined(combined, parts)


def bind_matches(
    model_type: type,
    matches: Any,
    *,
    pk: AttributeDefinition,
    sk: AttributeDefinition | None,
    attributes: Mapping[str, AttributeDefinition],
    key_type: Callable[[AttributeDefinition], str],
) -> ItemPredicate | None:
    """Check a model's ``matches`` argument and bind a matcher to the model's attribute names
    (``key_type`` gives a key's DynamoDB type: prefixes apply to string keys only)."""
    if matches is None or isinstance(matches, _Bound):
        return matches
    if isinstance(matches, ItemMatcher):
        return _bind(model_type, matches, pk=pk, sk=sk, attributes=attributes, key_type=key_type)
    if not callable(matches):
        raise model_error(
            model_type,
            "matches must be a predicate over the stored item (a callable), a matcher from sk_prefix(), "
            f"pk_prefix() or attribute_equals(), or None; not {type(matches).__name__}",
            "matches",
        )
    return matches  # type: ignore[no-any-return]


# --- evaluation ------------------------------------------------------------------------------------------


def _predicate_failed(model_name: str, exc: Exception) -> ValidationError:
    # The type only: the exception's text may quote the item (a KeyError names what the item lacks, but a
    # user's message may hold values).
    return ValidationError(
        f"the matches predicate of {model_name} raised {type(exc).__name__}", code=ERR_INVALID_VALUE
    )


def item_matches(predicate: ItemPredicate, item: Mapping[str, AV], model_name: str) -> bool:
    """``predicate(item)``; an exception in the predicate is a ``ValidationError`` with it as the cause."""
    try:
        return bool(predicate(item))
    except ValidationError:
        raise
    except Exception as exc:
        raise _predicate_failed(model_name, exc) from exc


def split_matching(
    predicate: ItemPredicate, items: Sequence[Mapping[str, AV]], model_name: str
) -> tuple[list[Mapping[str, AV]], tuple[dict[str, AV], ...]]:
    """The items of a page the predicate accepts, and those it rejects (raw, in page order)."""
    kept: list[Mapping[str, AV]] = []
    rejected: list[dict[str, AV]] = []
    try:
        for item in items:
            if predicate(item):
                kept.append(item)
            else:
                rejected.append(dict(item))
    except ValidationError:
        raise
    except Exception as exc:
        raise _predicate_failed(model_name, exc) from exc
    return kept, tuple(rejected)


# Users import these from dynamorm_py.model: tracebacks, reprs and pickles name that module.
ItemMatcher.__module__ = "dynamorm_py.model"
for _helper in (sk_prefix, pk_prefix, attribute_equals):
    _helper.__module__ = "dynamorm_py.model"
