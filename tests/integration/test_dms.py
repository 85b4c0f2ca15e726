"""Models built from the DMS contract fixtures work against the server: lifecycle, TTL, omitempty, GSIs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dynamorm_py import ModelDefinition, load_dms_file, models_from_dms
from dynamorm_py.errors import ConditionFailedError, NotFoundError
from dynamorm_py.local import LocalDynamoDB, RemoteDynamoDB

pytestmark = pytest.mark.integration

Server = LocalDynamoDB | RemoteDynamoDB
FIXTURES = Path(__file__).parent.parent / "fixtures" / "dms"
USER = ModelDefinition.from_dms(load_dms_file(FIXTURES / "user.yml"), "User")
ORDER = models_from_dms(load_dms_file(FIXTURES / "order.yml"))["Order"]


def test_user_lifecycle_contract(dynamorm_local: Server) -> None:
    table = dynamorm_local.table(USER)
    User = USER.model_type

    table.put(User(pk="USER#1", sk="PROFILE", email_hash="h1", nickname="neo"), if_not_exists=True)
    with pytest.raises(ConditionFailedError):
        table.put(User(pk="USER#1", sk="PROFILE"), if_not_exists=True)
    stored = table.get("USER#1", "PROFILE")
    assert isinstance(stored.created_at, datetime) and stored.updated_at == stored.created_at
    assert stored.version == 0

    updated = table.update("USER#1", "PROFILE", {"nickname": "trinity"}, expected_version=0)
    assert (updated.nickname, updated.version, updated.created_at) == ("trinity", 1, stored.created_at)
    with pytest.raises(ConditionFailedError):
        table.update("USER#1", "PROFILE", {"nickname": "smith"}, expected_version=0)

    table.delete("USER#1", "PROFILE")
    with pytest.raises(NotFoundError):
        table.get("USER#1", "PROFILE")


def test_omit_empty_fields_are_not_stored_and_ttl_is_a_number(dynamorm_local: Server) -> None:
    table = dynamorm_local.table(USER)
    User = USER.model_type

    table.put(User(pk="USER#2", sk="PROFILE", nickname="", tags=set(), ttl=0))
    table.put(User(pk="USER#3", sk="PROFILE", tags={"a", "b"}, ttl=1700000000))

    raw = dynamorm_local.client().get_item(
        TableName="users_contract", Key={"PK": {"S": "USER#2"}, "SK": {"S": "PROFILE"}}
    )["Item"]
    assert not {"nickname", "tags", "ttl"} & set(raw)
    assert {"createdAt", "updatedAt", "version"} <= set(raw)
    raw = dynamorm_local.client().get_item(
        TableName="users_contract", Key={"PK": {"S": "USER#3"}, "SK": {"S": "PROFILE"}}
    )["Item"]
    assert raw["ttl"] == {"N": "1700000000"}
    assert sorted(raw["tags"]["SS"]) == ["a", "b"]
    assert table.get("USER#3", "PROFILE").ttl == 1700000000
    ttl = dynamorm_local.client().describe_time_to_live(TableName="users_contract")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"


def test_gsi_queries_on_the_fixture_indexes(dynamorm_local: Server) -> None:
    users = dynamorm_local.table(USER)
    users.put(USER.model_type(pk="USER#4", sk="PROFILE", email_hash="same"))
    users.put(USER.model_type(pk="USER#5", sk="PROFILE", email_hash="same"))
    users.put(USER.model_type(pk="USER#6", sk="PROFILE"))

    found = users.query_all("same", index_name="gsi-email")
    assert sorted(u.pk for u in found) == ["USER#4", "USER#5"]

    orders = dynamorm_local.table(ORDER)
    Order = ORDER.model_type
    for i in range(3):
        orders.put(Order(pk="CUSTOMER#1", sk=f"ORDER#{i}", status="open", amount=Decimal("9.5") + i))
    orders.put(Order(pk="CUSTOMER#1", sk="ORDER#9", status="closed", amount=Decimal(1)))

    page = orders.query("open", index_name="gsi-status")
    assert [o.sk for o in page.items] == ["ORDER#0", "ORDER#1", "ORDER#2"]  # sorted by createdAt
    assert page.items[2].amount == Decimal("11.5")


def test_encrypted_dms_attribute_round_trips_and_is_stored_as_an_envelope(dynamorm_local: Server) -> None:
    doc = (FIXTURES / "user.yml").read_text(encoding="utf-8")
    doc = doc.replace(
        '      - attribute: "nickname"\n        type: "S"\n',
        '      - attribute: "nickname"\n        type: "S"\n        encryption: { v: 1 }\n',
    )
    model = ModelDefinition.from_dms(doc, "User", table_name="users_encrypted")
    assert model.attributes["nickname"].encrypted
    table = dynamorm_local.table(model)

    table.put(model.model_type(pk="U", sk="P", nickname="secret"))

    raw = dynamorm_local.client().get_item(
        TableName="users_encrypted", Key={"PK": {"S": "U"}, "SK": {"S": "P"}}
    )
    assert "M" in raw["Item"]["nickname"]
    assert table.get("U", "P").nickname == "secret"


def test_lsi_and_json_attributes_from_dms(dynamorm_local: Server) -> None:
    doc: dict[str, Any] = {
        "dms_version": "0.1",
        "models": [
            {
                "name": "Event",
                "table": {"name": "events_dms"},
                "naming": {"convention": "snake_case"},
                "keys": {
                    "partition": {"attribute": "stream", "type": "S"},
                    "sort": {"attribute": "seq", "type": "N"},
                },
                "attributes": [
                    {"attribute": "stream", "type": "S", "required": True},
                    {"attribute": "seq", "type": "N", "format": "int", "required": True},
                    {"attribute": "kind", "type": "S", "required": True},
                    {"attribute": "payload", "type": "S", "json": True},
                ],
                "indexes": [
                    {
                        "name": "by-kind",
                        "type": "LSI",
                        "partition": {"attribute": "stream", "type": "S"},
                        "sort": {"attribute": "kind", "type": "S"},
                    }
                ],
            }
        ],
    }
    model = models_from_dms(doc)["Event"]
    table = dynamorm_local.table(model)
    Event = model.model_type
    table.put(Event(stream="s", seq=1, kind="b", payload={"x": [1, 2]}))
    table.put(Event(stream="s", seq=2, kind="a", payload=None))

    assert [e.seq for e in table.query_all("s", index_name="by-kind")] == [2, 1]
    assert table.get("s", 1).payload == {"x": [1, 2]}


def test_async_table_with_a_dms_model(dynamorm_local: Server) -> None:
    pytest.importorskip("aiobotocore")

    async def scenario() -> Any:
        async with dynamorm_local.async_table(USER) as table:
            await table.put(USER.model_type(pk="A", sk="B", nickname="n"))
            return await table.get("A", "B")

    got = asyncio.run(scenario())
    assert (got.nickname, got.version) == ("n", 0)
