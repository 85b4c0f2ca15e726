"""The stored shape of optional fields left None (WF §5.2 "Top-level None", §3.5), read with plain botocore.

Every member of the family must be able to read what we write: a top-level None is not written at all by
put, batch put and transaction put, and updates REMOVE it; only json attributes (NULL) and set-typed fields
(the empty set, NULL, encrypted when the field is) write it. None nested in a list or map stays NULL.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_py import (
    ModelDefinition,
    Table,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
    gsi,
)
from dynamorm_py.errors import ERR_INVALID_VALUE, ValidationError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB

TABLE = "stored_shapes"
WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@dataclass
class Point:
    x: int
    y: int | None = None


@dataclass
class Shape:
    id: str = dynamorm_field(roles=["pk"])
    text: str | None = None
    number: int | None = None
    ratio: float | None = None
    price: Decimal | None = None
    flag: bool | None = None
    blob: bytes | None = None
    when: datetime | None = None
    items: list[int | None] | None = None
    mapping: dict[str, Any] | None = None
    point: Point | None = None
    tags: set[str] | None = None
    doc: Any = dynamorm_field(json=True, default=None)
    secret: str | None = dynamorm_field(encrypted=True, default=None)
    secret_tags: set[str] | None = dynamorm_field(encrypted=True, default=None)
    category: str | None = None  # a sparse GSI partition key


SHAPES = ModelDefinition.from_dataclass(
    Shape, table_name=TABLE, indexes=[gsi("by-category", partition="category")]
)
# What a Shape with every optional field left None stores: only the key, the json NULL and the two sets.
NONE_ATTRIBUTES = {"id", "tags", "doc", "secret_tags"}


def full(item_id: str) -> Shape:
    return Shape(
        id=item_id,
        text="t",
        number=1,
        ratio=0.5,
        price=Decimal("1.25"),
        flag=True,
        blob=b"\x01",
        when=WHEN,
        items=[1, None],
        mapping={"k": None},
        point=Point(x=1),
        tags={"a"},
        doc={"a": 1},
        secret="s",
        secret_tags={"b"},
        category="c",
    )


@pytest.fixture
def shapes(dynamorm_local: Server) -> Table[Shape]:
    return dynamorm_local.table(SHAPES)


def raw(server: Server, item_id: str) -> dict[str, Any]:
    response = server.client().get_item(TableName=TABLE, Key={"id": {"S": item_id}}, ConsistentRead=True)
    item: dict[str, Any] = response["Item"]
    return item


def assert_none_shape(server: Server, shapes: Table[Shape], item_id: str) -> None:
    item = raw(server, item_id)
    assert set(item) == NONE_ATTRIBUTES
    assert item["tags"] == {"NULL": True}
    assert item["doc"] == {"NULL": True}
    assert set(item["secret_tags"]) == {"M"}  # the empty set's NULL, encrypted
    assert shapes.get(item_id) == Shape(id=item_id, tags=set(), secret_tags=set())


def test_put_leaves_none_fields_out(dynamorm_local: Server, shapes: Table[Shape]) -> None:
    shapes.put(Shape(id="p"))

    assert_none_shape(dynamorm_local, shapes, "p")
    # Items other writers stored with NULL still read as None.
    dynamorm_local.client().put_item(
        TableName=TABLE,
        Item={"id": {"S": "old"}, "text": {"NULL": True}, "number": {"NULL": True}, "tags": {"NULL": True}},
    )
    assert shapes.get("old") == Shape(id="old", tags=set())


def test_batch_put_leaves_none_fields_out(dynamorm_local: Server, shapes: Table[Shape]) -> None:
    shapes.batch_write(puts=[Shape(id="b1"), Shape(id="b2")])

    assert_none_shape(dynamorm_local, shapes, "b1")
    assert_none_shape(dynamorm_local, shapes, "b2")
    # Left without its sparse index key, an item stays out of the index.
    shapes.batch_write(puts=[full("b3")])
    assert [s.id for s in shapes.query("c", index_name="by-category").items] == ["b3"]


def test_transaction_put_leaves_none_fields_out(dynamorm_local: Server, shapes: Table[Shape]) -> None:
    shapes.transact_write([TransactPut(Shape(id="t1"))])

    assert_none_shape(dynamorm_local, shapes, "t1")


# Every field but the key back to None.
UPDATE_TO_NONE = {f.name: None for f in dataclasses.fields(Shape) if f.name != "id"}


def test_update_to_none_removes_the_attributes(dynamorm_local: Server, shapes: Table[Shape]) -> None:
    shapes.put(full("u"))
    item = raw(dynamorm_local, "u")
    # None nested in a list, a map or a nested dataclass stays NULL.
    assert item["items"] == {"L": [{"N": "1"}, {"NULL": True}]}
    assert item["mapping"] == {"M": {"k": {"NULL": True}}}
    assert item["point"] == {"M": {"x": {"N": "1"}, "y": {"NULL": True}}}
    assert shapes.get("u") == full("u")

    shapes.update("u", None, UPDATE_TO_NONE)

    assert_none_shape(dynamorm_local, shapes, "u")


def test_transaction_update_to_none_removes_the_attributes(
    dynamorm_local: Server, shapes: Table[Shape]
) -> None:
    shapes.put(full("tu"))

    shapes.transact_write([TransactUpdate("tu", None, UPDATE_TO_NONE)])

    assert_none_shape(dynamorm_local, shapes, "tu")


def test_update_builder_set_none_removes_the_attribute(dynamorm_local: Server, shapes: Table[Shape]) -> None:
    shapes.put(full("ub"))

    shapes.update_builder("ub").set("text", None).set("secret", None).set("category", None).execute()

    item = raw(dynamorm_local, "ub")
    assert not {"text", "secret", "category"} & set(item)
    assert "number" in item


def test_a_value_of_the_wrong_type_is_refused_before_anything_is_written(
    dynamorm_local: Server, shapes: Table[Shape]
) -> None:
    with pytest.raises(ValidationError) as info:
        shapes.put(Shape(id="w", number="five"))  # type: ignore[arg-type]

    assert (info.value.code, info.value.field, info.value.operation) == (ERR_INVALID_VALUE, "number", "put")
    response = dynamorm_local.client().get_item(TableName=TABLE, Key={"id": {"S": "w"}})
    assert "Item" not in response
