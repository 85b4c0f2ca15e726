"""Schema first: models, tables and items from a DMS document (``dms_first.yml`` next to this script).

A DMS document is the language-neutral schema of the DynamORM family, so a Python service can run from the
same ``.yml`` a Go or TypeScript service uses. This script validates the document (with the ``dynamorm`` CLI,
as a CI step would), builds models from it, creates their tables, round-trips items, checks a hand-written
dataclass against the schema, and exports models back to a document.

Runs against ``DYNAMODB_ENDPOINT`` when it is set, otherwise starts the embedded local DynamoDB for the length
of the script.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dynamorm_py import (
    ModelDefinition,
    SortKeyCondition,
    Table,
    delete_table,
    dynamorm_field,
    ensure_table,
    load_dms_file,
    models_from_dms,
)
from dynamorm_py.dms import assert_model_definition_equivalent_to_dms, dump_dms_document, get_dms_model
from dynamorm_py.local import LocalDynamoDB, dynamodb_from_environment

SCHEMA = Path(__file__).resolve().with_name("dms_first.yml")


@dataclass
class Customer:
    """A hand-written model of the schema's Customer, for code that wants its own class (and IDE help)."""

    pk: str = dynamorm_field(name="PK", roles=["pk"])
    email: str  # no default: the schema says required, and the check below holds the class to it
    display_name: str = dynamorm_field(default="", omitempty=True)
    tags: set[str] = dynamorm_field(default_factory=set, omitempty=True)
    created_at: datetime | None = dynamorm_field(roles=["created_at"], default=None)
    updated_at: datetime | None = dynamorm_field(roles=["updated_at"], default=None)
    version: int = dynamorm_field(roles=["version"], default=0)


# naming="camelCase" turns display_name into the schema's displayName, created_at into createdAt, ...
CODE_CUSTOMERS = ModelDefinition.from_dataclass(Customer, table_name="example_customers", naming="camelCase")


def main() -> None:
    # The CLI validates the file as a CI step would (exit status 1 and the model.attribute at fault if not).
    validated = subprocess.run(
        [sys.executable, "-m", "dynamorm_py", "dms", "validate", SCHEMA.name],
        cwd=SCHEMA.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"validate -> {validated.stdout.strip()}")

    doc = load_dms_file(SCHEMA)  # validates again in-process; errors name the file, model and attribute
    models = models_from_dms(doc)
    classes = [model.model_type.__name__ for model in models.values()]
    print(f"models   -> {list(models)}: generated dataclasses {classes}")

    with dynamodb_from_environment() as server:
        if isinstance(server, LocalDynamoDB):
            print(f"started the embedded local DynamoDB at {server.endpoint_url}")
        dynamodb = server.client("dynamodb")
        for model in models.values():
            ensure_table(model, client=dynamodb, enable_ttl=model.ttl is not None)
        try:
            run(dynamodb, doc, models)
        finally:
            for model in models.values():
                delete_table(model, client=dynamodb, ignore_missing=True)


def run(dynamodb: Any, doc: dict[str, Any], models: dict[str, ModelDefinition[Any]]) -> None:
    names = sorted(m.table_name for m in models.values())
    existing = set(dynamodb.list_tables()["TableNames"])
    print(f"tables   -> {[name for name in names if name in existing]}")

    customers_model, orders_model = models["Customer"], models["Order"]
    NewCustomer, NewOrder = customers_model.model_type, orders_model.model_type
    customers = Table(customers_model, client=dynamodb)
    orders = Table(orders_model, client=dynamodb)

    # Generated classes take keyword arguments; camelCase attributes become snake_case fields.
    saved = customers.put(NewCustomer(pk="CUST#1", email="ada@example.com", display_name="Ada", tags={"vip"}))
    updated = customers.update("CUST#1", None, {"display_name": "Ada L."}, expected_version=saved.version)
    print(f"customer -> {updated.display_name!r} tags={sorted(updated.tags)} version {updated.version}")

    for number, (status, total) in enumerate([("paid", 1299), ("open", 500), ("paid", 4250)], start=1):
        orders.put(NewOrder(pk="CUST#1", sk=f"ORDER#{number:03d}", status=status, total_cents=total))
    recent = orders.query_all("CUST#1", sort=SortKeyCondition.begins_with("ORDER#"))
    paid = orders.query_all("paid", index_name="gsi-status")
    print(f"orders   -> {len(recent)} for CUST#1, paid: {sorted(o.total_cents for o in paid)}")

    # What is stored uses the schema's attribute names, so every language reads the same item.
    key = {"PK": {"S": "CUST#1"}, "SK": {"S": "ORDER#001"}}
    raw = dynamodb.get_item(TableName=orders_model.table_name, Key=key)["Item"]
    print(f"stored   -> {sorted(raw)}")

    # A hand-written dataclass can be held to the schema: this raises (ErrInvalidModel) if they drift apart.
    assert_model_definition_equivalent_to_dms(
        CODE_CUSTOMERS, get_dms_model(doc, "Customer"), ignore_table_name=False
    )
    mine = Table(CODE_CUSTOMERS, client=dynamodb).get("CUST#1")
    print(f"handmade -> {type(mine).__name__}({mine.email!r}, version {mine.version}) matches the schema")

    # Export: code-defined and DMS-built models back to one document, which re-loads to the same models.
    text = dump_dms_document([CODE_CUSTOMERS, orders_model], namespace="shop")
    reloaded = models_from_dms(text)
    for original in (CODE_CUSTOMERS, orders_model):
        exported = original.to_dms()
        reloaded_model = reloaded[exported["name"]]
        assert_model_definition_equivalent_to_dms(reloaded_model, exported, ignore_table_name=False)
    lines = len(text.splitlines())
    print(f"export   -> {lines} lines of YAML; re-loaded {list(reloaded)} match the originals")


if __name__ == "__main__":
    main()
