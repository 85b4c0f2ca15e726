"""Primary keys: a caller's key split into (pk, sk), and hashable identities of encoded or model keys."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import ERR_INVALID_MODEL, ValidationError
from .codec import AV, FieldCodec, ModelCodec

__all__ = ["KeyIdentity", "item_key_identity", "item_key_reader", "key_identity", "split_key"]

KeyIdentity = tuple[Hashable, ...]
_PLAIN_INT_LIMIT = 10**38


def split_key(codec: ModelCodec, key: Any) -> tuple[Any, Any]:
    """``(pk, sk)`` of a caller's key: a scalar or ``(pk, None)`` for pk-only models, ``(pk, sk)`` else."""
    if isinstance(key, tuple):
        if len(key) != 2:
            raise ValidationError(
                f"a key is a partition key value or a (pk, sk) pair, got a tuple of {len(key)} values",
                code=ERR_INVALID_MODEL,
            )
        pk, sk = key
        if codec.sk is None and sk is not None:
            raise ValidationError(
                "this model has no sort key: pass the partition key value or (pk, None)",
                code=ERR_INVALID_MODEL,
                field=codec.pk.attribute_name,
            )
        return pk, sk
    if codec.sk is not None:
        raise ValidationError(
            "this model has a sort key: pass keys as (pk, sk) tuples",
            code=ERR_INVALID_MODEL,
            field=codec.sk.attribute_name,
        )
    return key, None


def _scalar_identity(av: AV | None) -> Hashable:
    if av is None:
        return None
    text: str | None = av.get("S")
    if text is not None:
        return text
    number = av.get("N")
    if number is not None:
        # DynamoDB answers with its own number form ("1.50" comes back "1.5"); compare numerically.
        return Decimal(number)
    binary = av.get("B")
    return bytes(binary) if binary is not None else None


def key_identity(codec: ModelCodec, item: Mapping[str, AV]) -> KeyIdentity:
    """A hashable identity of the primary key of an encoded key or item."""
    pk = _scalar_identity(item.get(codec.pk.attribute_name))
    if codec.sk is None:
        return (pk,)
    return (pk, _scalar_identity(item.get(codec.sk.attribute_name)))


def _plain_key(f: FieldCodec) -> bool:
    """Without a converter or json, a key field stores a str as S of itself and an int as N of itself."""
    return f.converter is None and not f.definition.json


def _value_identity(codec: ModelCodec, f: FieldCodec, plain: bool, value: Any) -> Hashable:
    if plain:
        if type(value) is str and value and value.isascii():
            return value
        if type(value) is int and -_PLAIN_INT_LIMIT < value < _PLAIN_INT_LIMIT:
            return value  # compares and hashes equal to the Decimal of its N text
    return _scalar_identity(codec.encode_key_value(f, value))


def item_key_reader(codec: ModelCodec) -> Callable[[Any], KeyIdentity]:
    """A function giving the identity of a model instance's primary key, as :func:`key_identity` of its
    encoded key. Plain str and int key values are their own identity; anything else goes through the key
    field's full encoding (converters, validation of None and empty values)."""
    pk, sk = codec.pk, codec.sk
    pk_name, pk_plain = pk.python_name, _plain_key(pk)
    if sk is None:

        def pk_identity(item: Any) -> KeyIdentity:
            value = getattr(item, pk_name)
            if pk_plain and type(value) is str and value and value.isascii():
                return (value,)
            return (_value_identity(codec, pk, pk_plain, value),)

        return pk_identity
    sk_field = sk
    sk_name, sk_plain = sk.python_name, _plain_key(sk)

    def pk_sk_identity(item: Any) -> KeyIdentity:
        # _value_identity's plain cases inline (one call less per key part of every batch put).
        value = getattr(item, pk_name)
        if pk_plain and type(value) is str and value and value.isascii():
            pk_identity: Hashable = value
        else:
            pk_identity = _value_identity(codec, pk, pk_plain, value)
        value = getattr(item, sk_name)
        if sk_plain and (
            (type(value) is str and value and value.isascii())
            or (type(value) is int and -_PLAIN_INT_LIMIT < value < _PLAIN_INT_LIMIT)
        ):
            return (pk_identity, value)
        return (pk_identity, _value_identity(codec, sk_field, sk_plain, value))

    return pk_sk_identity


def item_key_identity(codec: ModelCodec, item: Any) -> KeyIdentity:
    """The identity of a model instance's primary key (see :func:`item_key_reader`)."""
    return item_key_reader(codec)(item)
