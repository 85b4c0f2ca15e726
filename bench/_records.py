"""The benchmark record, as each contender holds it, and the contenders' codecs for it.

One realistic order record (nested maps, a list of maps, a string set, a Decimal, bytes, an optional field
and a datetime) in five forms:

* ``Order``: our dataclass model (``ORDERS``);
* ``BotoOrder``: what a boto3 user holds for ``TypeSerializer``: the timestamp as its stored string, because
  boto3 takes no ``datetime`` (so boto3 is not charged for formatting or parsing it while the others are);
* ``hand_encode`` / ``hand_decode``: an encoder/decoder written by hand for exactly this record, the fastest
  pure Python can do it (no per-field dispatch, no type checks): the limit a generic codec can approach;
* ``pynamodb_order_model(...)``: an equivalent PynamoDB 6 ``Model`` class, with typed ``MapAttribute``s and a
  small ``Decimal`` attribute (PynamoDB's ``NumberAttribute`` goes through ``json`` and floats). It stores the
  timestamp in PynamoDB's own format (``UTCDateTimeAttribute``), as a PynamoDB user's table would.

All of them store the same attribute names; ours and the hand-written codec store byte-identical items
(checked by ``check_codecs``).
"""

from __future__ import annotations

import base64
import dataclasses
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from dynamorm_py._blocks.codec import format_timestamp
from dynamorm_py.model import ModelDefinition, dynamorm_field

TABLE = "bench_orders"


@dataclass
class Order:
    pk: str = dynamorm_field(roles=["pk"], name="PK")
    sk: str = dynamorm_field(roles=["sk"], name="SK")
    customer: str = ""
    email: str = ""
    status: str = "open"
    quantity: int = 0
    total: Decimal = Decimal(0)
    paid: bool = False
    tags: set[str] = dataclasses.field(default_factory=set)
    lines: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    shipping: dict[str, Any] = dataclasses.field(default_factory=dict)
    checksum: bytes = b""
    coupon: str | None = None
    created: datetime | None = None


ORDERS = ModelDefinition.from_dataclass(Order, table_name=TABLE)


@dataclass
class BotoOrder:
    """The same record as a boto3 user would hold it: the timestamp as its stored string."""

    PK: str
    SK: str
    customer: str
    email: str
    status: str
    quantity: int
    total: Decimal
    paid: bool
    tags: set[str]
    lines: list[dict[str, Any]]
    shipping: dict[str, Any]
    checksum: bytes
    coupon: str | None = None
    created: str | None = None


def make_orders(count: int, seed: int = 7, *, customer: str | None = None) -> list[Order]:
    """``count`` varied orders; ``customer`` puts them all in one partition (for queries)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    orders = []
    for i in range(count):
        lines: list[dict[str, Any]] = [
            {
                "sku": f"SKU-{rng.randrange(10_000):05d}",
                "qty": rng.randrange(1, 5),
                "price": Decimal(rng.randrange(100, 100_000)) / 100,
            }
            for _ in range(rng.randrange(1, 4))
        ]
        pk = f"CUSTOMER#{rng.randrange(100_000)}"
        orders.append(
            Order(
                pk=customer if customer is not None else pk,
                sk=f"ORDER#{i:08d}",
                customer=rng.choice(["Ada Lovelace", "Grace Hopper", "Zoë Brandt", "Ken Thompson"]),
                email=f"user{i}@example.com",
                status=rng.choice(["open", "paid", "shipped"]),
                quantity=sum(line["qty"] for line in lines),
                total=sum((line["price"] * line["qty"] for line in lines), Decimal(0)),
                paid=rng.random() < 0.5,
                tags={rng.choice(["gift", "express", "b2b", "promo"]) for _ in range(rng.randrange(1, 4))},
                lines=lines,
                shipping={
                    "street": f"{rng.randrange(1, 999)} Main St",
                    "city": rng.choice(["Berlin", "Lisbon", "Austin"]),
                    "geo": {"zone": rng.randrange(1, 9), "remote": rng.random() < 0.1},
                },
                checksum=rng.randbytes(32),
                coupon=f"SAVE{i % 10}" if i % 5 == 0 else None,
                created=start + timedelta(seconds=rng.randrange(10**7), microseconds=rng.randrange(10**6)),
            )
        )
    return orders


def to_boto(order: Order) -> BotoOrder:
    values = dataclasses.asdict(order)
    values["PK"], values["SK"] = values.pop("pk"), values.pop("sk")
    assert order.created is not None
    values["created"] = format_timestamp(order.created)
    return BotoOrder(**values)


# --- the hand-written codec: the pure-Python limit ---------------------------------------------------------


def hand_encode(o: Order) -> dict[str, Any]:
    created = o.created
    geo = o.shipping["geo"]
    item: dict[str, Any] = {
        "PK": {"S": o.pk},
        "SK": {"S": o.sk},
        "customer": {"S": o.customer},
        "email": {"S": o.email},
        "status": {"S": o.status},
        "quantity": {"N": str(o.quantity)},
        "total": {"N": str(o.total)},
        "paid": {"BOOL": o.paid},
        "lines": {
            "L": [
                {
                    "M": {
                        "sku": {"S": ln["sku"]},
                        "qty": {"N": str(ln["qty"])},
                        "price": {"N": str(ln["price"])},
                    }
                }
                for ln in o.lines
            ]
        },
        "shipping": {
            "M": {
                "street": {"S": o.shipping["street"]},
                "city": {"S": o.shipping["city"]},
                "geo": {"M": {"zone": {"N": str(geo["zone"])}, "remote": {"BOOL": geo["remote"]}}},
            }
        },
        "checksum": {"B": o.checksum},
    }
    if o.tags:
        item["tags"] = {"SS": sorted(o.tags)}
    if o.coupon is not None:
        item["coupon"] = {"S": o.coupon}
    if created is not None:
        item["created"] = {
            "S": f"{created.year:04d}-{created.month:02d}-{created.day:02d}T{created.hour:02d}:"
            f"{created.minute:02d}:{created.second:02d}.{created.microsecond:06d}000Z"
        }
    return item


def hand_decode(av: dict[str, Any]) -> Order:
    shipping = av["shipping"]["M"]
    geo = shipping["geo"]["M"]
    created = av.get("created")
    coupon = av.get("coupon")
    tags = av.get("tags")
    if created is not None:
        s = created["S"]
        when: datetime | None = datetime(
            int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]),
            int(s[20:26]), tzinfo=UTC,
        )  # fmt: skip
    else:
        when = None
    return Order(
        pk=av["PK"]["S"],
        sk=av["SK"]["S"],
        customer=av["customer"]["S"],
        email=av["email"]["S"],
        status=av["status"]["S"],
        quantity=int(av["quantity"]["N"]),
        total=Decimal(av["total"]["N"]),
        paid=av["paid"]["BOOL"],
        tags=set(tags["SS"]) if tags is not None else set(),
        lines=[
            {"sku": m["sku"]["S"], "qty": int(m["qty"]["N"]), "price": Decimal(m["price"]["N"])}
            for m in (entry["M"] for entry in av["lines"]["L"])
        ],
        shipping={
            "street": shipping["street"]["S"],
            "city": shipping["city"]["S"],
            "geo": {"zone": int(geo["zone"]["N"]), "remote": geo["remote"]["BOOL"]},
        },
        checksum=av["checksum"]["B"],
        coupon=coupon["S"] if coupon is not None else None,
        created=when,
    )


# --- PynamoDB 6 ---------------------------------------------------------------------------------------------


def pynamodb_order_model(table_name: str = TABLE, host: str | None = None) -> Any:
    """A PynamoDB ``Model`` equivalent to ``Order``, a new class per call (PynamoDB keeps one connection per
    class, built from its ``Meta``): ``host`` points it at the stub transport or the embedded server."""
    from pynamodb.attributes import (
        Attribute,
        BinaryAttribute,
        BooleanAttribute,
        ListAttribute,
        MapAttribute,
        NumberAttribute,
        UnicodeAttribute,
        UnicodeSetAttribute,
        UTCDateTimeAttribute,
    )
    from pynamodb.constants import NUMBER
    from pynamodb.models import Model

    class DecimalAttribute(Attribute[Decimal]):
        attr_type = NUMBER

        def serialize(self, value: Decimal) -> str:
            return str(value)

        def deserialize(self, value: str) -> Decimal:
            return Decimal(value)

    class Geo(MapAttribute[str, Any]):
        zone = NumberAttribute()
        remote = BooleanAttribute()

    class Shipping(MapAttribute[str, Any]):
        street = UnicodeAttribute()
        city = UnicodeAttribute()
        geo = Geo()

    class Line(MapAttribute[str, Any]):
        sku = UnicodeAttribute()
        qty = NumberAttribute()
        price = DecimalAttribute()

    class PynOrder(Model):
        class Meta:
            pass

        pk = UnicodeAttribute(hash_key=True, attr_name="PK")
        sk = UnicodeAttribute(range_key=True, attr_name="SK")
        customer = UnicodeAttribute()
        email = UnicodeAttribute()
        status = UnicodeAttribute()
        quantity = NumberAttribute()
        total = DecimalAttribute()
        paid = BooleanAttribute()
        tags = UnicodeSetAttribute()
        lines = ListAttribute(of=Line)
        shipping = Shipping()
        checksum = BinaryAttribute(legacy_encoding=False)
        coupon = UnicodeAttribute(null=True)
        created = UTCDateTimeAttribute(null=True)

    meta = PynOrder.Meta
    meta.table_name = table_name  # type: ignore[attr-defined]
    meta.region = "us-east-1"  # type: ignore[attr-defined]
    meta.host = host  # type: ignore[attr-defined]
    meta.aws_access_key_id = "bench"  # type: ignore[attr-defined]
    meta.aws_secret_access_key = "bench"  # type: ignore[attr-defined]
    meta.max_retry_attempts = 0  # type: ignore[attr-defined]
    PynOrder.Line, PynOrder.Shipping, PynOrder.Geo = Line, Shipping, Geo  # type: ignore[attr-defined]
    return PynOrder


def to_pynamodb(model: Any, order: Order) -> Any:
    """The PynamoDB instance a PynamoDB user would hold for ``order``."""
    return model(
        order.pk,
        order.sk,
        customer=order.customer,
        email=order.email,
        status=order.status,
        quantity=order.quantity,
        total=order.total,
        paid=order.paid,
        tags=set(order.tags),
        lines=[model.Line(**line) for line in order.lines],
        shipping=model.Shipping(
            street=order.shipping["street"],
            city=order.shipping["city"],
            geo=model.Geo(**order.shipping["geo"]),
        ),
        checksum=order.checksum,
        coupon=order.coupon,
        created=order.created,
    )


# --- wire form ---------------------------------------------------------------------------------------


def wire(value: Any) -> Any:
    """An AttributeValue structure in its JSON wire form (binaries base64), for canned responses."""
    if isinstance(value, dict):
        return {k: (base64.b64encode(v).decode() if k == "B" else wire(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def check_codecs(orders: list[Order]) -> None:
    """Ours and the hand-written codec store the same items and read back the same records."""
    codec = ORDERS.codec
    for order in orders:
        ours = codec.encode_item(order).item
        assert ours == hand_encode(order), (ours, hand_encode(order))
        assert hand_decode(ours) == order == codec.decode_item(ours)
