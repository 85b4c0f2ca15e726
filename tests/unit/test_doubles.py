"""The lenient doubles of tests/doubles.py: built on the public fakes, they answer calls nobody scripted,
and their async twins behave the same."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from doubles import (
    AsyncFakeKms,
    AsyncRecordingClient,
    AsyncScriptedClient,
    FakeKms,
    RecordingClient,
    ScriptedClient,
)
from dynamorm_py.testkit import ANY


def test_an_unanswerable_call_fails_naming_the_operation() -> None:
    with pytest.raises(AssertionError, match="unexpected call: put_item"):
        ScriptedClient().put_item(TableName="t")
    with pytest.raises(AssertionError, match="unexpected call: query"):
        RecordingClient({"get_item": {}}, default=None).query(TableName="t")
    with pytest.raises(AssertionError, match="no answer left for get_item"):
        client = RecordingClient({"get_item": [{}]})
        client.get_item(), client.get_item()
    with pytest.raises(AttributeError, match="not_an_operation"):
        RecordingClient().not_an_operation  # noqa: B018
    with pytest.raises(AssertionError, match="unexpected call: generate_data_key"):
        FakeKms(decrypt_only=True).generate_data_key(KeyId="k")


def test_expected_calls_are_checked_and_answered_before_the_lenient_answers() -> None:
    client = ScriptedClient({"Items": []}).expect("get_item", {"Key": {"id": ANY}}, response={"Item": {}})
    client.expect("put_item", error=ValueError("refused"))
    assert client.get_item(TableName="t", Key={"id": {"S": "a"}}) == {"Item": {}}
    with pytest.raises(ValueError, match="refused"):
        client.put_item(TableName="t")
    client.assert_no_pending()
    assert client.query(TableName="t") == {"Items": []}
    assert client.names() == ["get_item", "put_item", "query"]
    with pytest.raises(AssertionError, match=r"unexpected call: scan \(expected call #1 to be query\)"):
        RecordingClient().expect("query").scan(TableName="t")


def test_async_twins_answer_like_the_sync_doubles() -> None:
    async def run() -> None:
        client = AsyncRecordingClient({"get_item": [{"Item": {}}, ValueError("gone")]})
        assert inspect.iscoroutinefunction(client.get_item)
        assert await client.get_item(TableName="t") == {"Item": {}}
        with pytest.raises(ValueError, match="gone"):
            await client.get_item(TableName="t")
        scripted = AsyncScriptedClient({"Items": []})
        assert await scripted.query(TableName="t") == {"Items": []}
        with pytest.raises(AssertionError, match="unexpected call: scan"):
            await scripted.scan(TableName="t")
        kms = AsyncFakeKms()
        assert inspect.iscoroutinefunction(kms.decrypt)
        issued = await kms.generate_data_key(KeyId="k", KeySpec="AES_256")
        decrypted = await kms.decrypt(CiphertextBlob=issued["CiphertextBlob"], KeyId="k")
        assert decrypted["Plaintext"] == issued["Plaintext"]
        assert (client.names(), scripted.names(), kms.names()) == (
            ["get_item", "get_item"],
            ["query", "scan"],
            ["generate_data_key", "decrypt"],
        )

    asyncio.run(run())
