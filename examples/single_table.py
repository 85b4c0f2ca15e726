"""Single-table design: a customer's profile, orders and cart in one table, and stock in another.

One ``DynamormClient`` knows every model. Placing an order is one transaction across both tables (write the
order, decrement the stock, clear the cart line); one query returns the profile and the orders as typed
objects. Runs against ``DYNAMODB_ENDPOINT`` when it is set, otherwise starts the embedded local DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dynamorm_py import (
    ConditionFailedError,
    DynamormClient,
    ModelDefinition,
    TransactDelete,
    TransactPut,
    TransactUpdate,
    dynamorm_field,
    ensure_table,
    sk_prefix,
)
from dynamorm_py.local import dynamodb_from_environment

SHOP = "single_table_example"


@dataclass
class Customer:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    name: str = ""


@dataclass
class Order:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    product: str = ""
    quantity: int = 0
    created_at: datetime | None = dynamorm_field(name="createdAt", roles=["created_at"], default=None)


@dataclass
class CartLine:
    pk: str = dynamorm_field(name="PK", roles=["pk"])
    sk: str = dynamorm_field(name="SK", roles=["sk"])
    product: str = ""
    quantity: int = 1


@dataclass
class Stock:
    product: str = dynamorm_field(roles=["pk"])
    available: int = 0
    version: int = dynamorm_field(roles=["version"], default=0)


# The sort-key prefix tells the entities of one partition apart when a query reads them together.
CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name=SHOP, matches=sk_prefix("PROFILE"))
ORDERS = ModelDefinition.from_dataclass(Order, table_name=SHOP, matches=sk_prefix("ORDER#"))
CART = ModelDefinition.from_dataclass(CartLine, table_name=SHOP, matches=sk_prefix("CART#"))
STOCK = ModelDefinition.from_dataclass(Stock, table_name="single_table_example_stock")


def place_order(shop: DynamormClient, customer: str, product: str, order_id: str) -> None:
    """Order everything in the cart line of ``product``: all three writes happen, or none."""
    line = shop.table(CartLine).get(customer, f"CART#{product}")
    stock = shop.table(Stock).get(product)
    shop.transact_write(
        [
            TransactPut(Order(customer, f"ORDER#{order_id}", product=product, quantity=line.quantity)),
            TransactUpdate(
                product,
                None,
                {"available": stock.available - line.quantity},
                expected_version=stock.version,
                model=Stock,
            ),
            TransactDelete(customer, f"CART#{product}", model=CartLine),
        ]
    )


def main() -> None:
    local = dynamodb_from_environment().start()
    try:
        client = local.client("dynamodb")
        for model in (CUSTOMERS, STOCK):
            ensure_table(model, client=client)
        shop = DynamormClient(client).register(CUSTOMERS, ORDERS, CART, STOCK)

        shop.batch_write(
            puts=[
                Customer("CUST#ada", "PROFILE", name="Ada"),
                CartLine("CUST#ada", "CART#apples", product="apples", quantity=3),
                CartLine("CUST#ada", "CART#pears", product="pears", quantity=1),
                Stock("apples", available=10),
                Stock("pears", available=5),
            ]
        )
        place_order(shop, "CUST#ada", "apples", "0001")
        print(f"stock    -> apples {shop.table(Stock).get('apples').available}")

        # Someone else changes the stock between our read and our write: the version lock cancels the
        # whole transaction, so no order is written and the cart line stays.
        stale = shop.table(Stock).get("pears")
        shop.table(Stock).update("pears", None, {"available": 4}, expected_version=stale.version)
        try:
            shop.transact_write(
                [
                    TransactPut(Order("CUST#ada", "ORDER#0002", product="pears", quantity=1)),
                    TransactUpdate(
                        "pears", None, {"available": 4}, expected_version=stale.version, model=Stock
                    ),
                    TransactDelete("CUST#ada", "CART#pears", model=CartLine),
                ]
            )
        except ConditionFailedError as err:
            print(f"conflict -> {type(err).__name__}: {[reason.code for reason in err.reasons]}")

        # One query, every entity of the partition as its own type.
        page = shop.query(SHOP, "CUST#ada")
        print(f"query    -> {[type(item).__name__ for item in page.items]}")
        order = next(item for item in page.items if isinstance(item, Order))
        print(f"order    -> {order.product} x{order.quantity}")
    finally:
        local.stop()


if __name__ == "__main__":
    main()
