"""Partner-account sessions (api.md §1.2 "Multi-account"): AssumeRole requests, reuse until
``refresh_before_seconds`` before expiry (an injected clock, no waiting), per-partner client cache, thread
safety, and typed errors for unknown partners and unusable STS answers.

STS is a ``ScriptedSts`` double; partner sessions are real ``boto3.Session`` objects (building one and its
clients sends nothing), so the tests see exactly which credentials a client would sign with.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from doubles import ScriptedSts
from dynamorm_py.errors import (
    ERR_INVALID_VALUE,
    ERR_NO_CREDENTIALS,
    ERR_UNKNOWN_ACCOUNT,
    AwsError,
    ValidationError,
)
from dynamorm_py.multiaccount import AccountConfig, MultiAccountSessions

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
ROLE = "arn:aws:iam::111122223333:role/partner-access"


class Clock:
    """Epoch seconds that a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def credentials(n: int, *, expires_in: float | None = 3600.0, **overrides: Any) -> dict[str, Any]:
    issued: dict[str, Any] = {
        "AccessKeyId": f"ASIA{n:04d}",
        "SecretAccessKey": f"secret-{n}",
        "SessionToken": f"token-{n}",
    }
    if expires_in is not None:
        issued["Expiration"] = datetime.fromtimestamp(START + expires_in, UTC)
    issued.update(overrides)
    return {"Credentials": issued}


def base_session() -> Any:
    return boto3.Session(aws_access_key_id="base", aws_secret_access_key="base", region_name="eu-west-1")


def access_key(session_or_client: Any) -> str:
    if hasattr(session_or_client, "get_credentials"):
        key: str = session_or_client.get_credentials().access_key
    else:
        key = session_or_client._request_signer._credentials.access_key
    return key


def sessions(sts: ScriptedSts, clock: Clock, **accounts: AccountConfig) -> MultiAccountSessions:
    return MultiAccountSessions(
        accounts or {"acme": AccountConfig(ROLE)}, base_session=base_session(), sts_client=sts, now=clock
    )


def test_assume_role_request_defaults() -> None:
    sts = ScriptedSts(credentials(1))

    session = sessions(sts, Clock()).session("acme")

    assert sts.calls == [
        ("assume_role", {"RoleArn": ROLE, "RoleSessionName": "dynamorm-acme", "DurationSeconds": 3600})
    ]
    assert access_key(session) == "ASIA0001"
    assert session.get_credentials().token == "token-1"
    assert session.region_name == "eu-west-1"  # the base session's region


def test_assume_role_request_with_every_option() -> None:
    sts = ScriptedSts(credentials(1))
    account = AccountConfig(
        ROLE, external_id="ext-42", region="ap-south-1", session_duration_seconds=900, session_name="nightly"
    )

    session = sessions(sts, Clock(), acme=account).session("acme")

    assert sts.last == {
        "RoleArn": ROLE,
        "RoleSessionName": "nightly",
        "DurationSeconds": 900,
        "ExternalId": "ext-42",
    }
    assert session.region_name == "ap-south-1"


def test_session_is_reused_until_refresh_before_seconds_ahead_of_expiry() -> None:
    sts = ScriptedSts(credentials(1), credentials(2, expires_in=3600 + 3300))
    clock = Clock()
    multi = sessions(sts, clock)

    first = multi.session("acme")
    clock.now = START + 3600 - 300 - 0.5  # still outside the refresh window
    assert multi.session("acme") is first
    assert sts.count("assume_role") == 1

    clock.now = START + 3600 - 300  # the window opens: renew before the credentials lapse
    renewed = multi.session("acme")

    assert renewed is not first
    assert access_key(renewed) == "ASIA0002"
    assert sts.count("assume_role") == 2
    sts.assert_no_pending()


def test_expiry_defaults_to_the_session_duration_when_sts_gives_none() -> None:
    sts = ScriptedSts(credentials(1, expires_in=None), credentials(2))
    clock = Clock()
    multi = sessions(
        sts, clock, acme=AccountConfig(ROLE, session_duration_seconds=1000, refresh_before_seconds=100)
    )

    multi.session("acme")
    clock.now = START + 899
    multi.session("acme")
    assert sts.count("assume_role") == 1
    clock.now = START + 900
    multi.session("acme")

    assert sts.count("assume_role") == 2


def test_clients_are_cached_per_partner_and_service_and_rebuilt_on_refresh() -> None:
    sts = ScriptedSts(credentials(1), credentials(2), credentials(3, expires_in=7200))
    clock = Clock()
    multi = sessions(sts, clock, acme=AccountConfig(ROLE), globex=AccountConfig(ROLE + "-2"))

    dynamodb = multi.client("acme", "dynamodb")
    assert multi.client("acme", "dynamodb") is dynamodb
    assert multi.client("acme", "kms") is not dynamodb
    other = multi.client("globex", "dynamodb")
    assert other is not dynamodb
    assert (access_key(dynamodb), access_key(other)) == ("ASIA0001", "ASIA0002")

    clock.now = START + 3300
    rebuilt = multi.client("acme", "dynamodb")

    assert rebuilt is not dynamodb
    assert access_key(rebuilt) == "ASIA0003"
    assert sts.count("assume_role") == 3


def test_a_client_is_rebuilt_for_another_config_object() -> None:
    sts = ScriptedSts(credentials(1))
    multi = sessions(sts, Clock())
    config = Config(retries={"max_attempts": 2})

    plain = multi.client("acme", "dynamodb")
    configured = multi.client("acme", "dynamodb", config=config)

    assert configured is not plain
    assert configured.meta.config.retries["total_max_attempts"] == 3  # botocore counts the first try
    assert multi.client("acme", "dynamodb", config=config) is configured
    assert sts.count("assume_role") == 1


def test_the_empty_partner_id_is_the_base_session() -> None:
    sts = ScriptedSts()
    base = base_session()
    multi = MultiAccountSessions({"acme": AccountConfig(ROLE)}, base_session=base, sts_client=sts)

    assert multi.session("") is base
    client = multi.client("", "dynamodb")
    assert multi.client("", "dynamodb") is client
    assert access_key(client) == "base"
    assert sts.calls == []


def test_concurrent_callers_share_one_assume_role() -> None:
    in_sts = threading.Event()
    release = threading.Event()

    def slow_sts(params: dict[str, Any]) -> dict[str, Any]:
        in_sts.set()
        release.wait()
        return credentials(1)

    sts = ScriptedSts(slow_sts)
    multi = sessions(sts, Clock())
    results: list[Any] = []

    def worker() -> None:
        results.append(multi.client("acme", "dynamodb"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    threads[0].start()
    in_sts.wait()
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()

    assert sts.count("assume_role") == 1
    assert len(results) == 8
    assert all(client is results[0] for client in results)


def test_an_unknown_partner_id_is_a_typed_error() -> None:
    multi = sessions(ScriptedSts(), Clock())

    for call in (lambda: multi.session("initech"), lambda: multi.client("initech", "dynamodb")):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.code == ERR_UNKNOWN_ACCOUNT
        assert caught.value.field == "partner_id"
        assert isinstance(caught.value, ValueError)


def test_a_partner_id_that_is_not_a_str_is_a_typed_error() -> None:
    with pytest.raises(ValidationError) as caught:
        sessions(ScriptedSts(), Clock()).session(None)  # type: ignore[arg-type]

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.field == "partner_id"


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"Credentials": None},
        credentials(1, SessionToken=""),
        {"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s3cr3t"}},
        credentials(1, expires_in=0),
        credentials(1, expires_in=-60),
        credentials(1, Expiration="not a time"),
    ],
    ids=["no-credentials", "null", "empty-token", "no-token", "expires-now", "expired", "bad-expiration"],
)
def test_sts_answers_without_usable_credentials_are_typed_errors(answer: dict[str, Any]) -> None:
    multi = sessions(ScriptedSts(answer), Clock())

    with pytest.raises(ValidationError) as caught:
        multi.session("acme")

    assert caught.value.code == ERR_NO_CREDENTIALS
    assert caught.value.operation == "assume_role"
    assert "s3cr3t" not in str(caught.value)
    assert "ASIA" not in str(caught.value)


def test_expiration_may_be_iso_text_or_epoch_seconds() -> None:
    text = datetime.fromtimestamp(START + 3600, timezone(timedelta(hours=2))).isoformat()
    sts = ScriptedSts(credentials(1, Expiration=text), credentials(2, Expiration=START + 7200))
    clock = Clock()
    multi = sessions(sts, clock)

    multi.session("acme")
    clock.now = START + 3299
    multi.session("acme")
    assert sts.count("assume_role") == 1
    clock.now = START + 3300
    multi.session("acme")

    assert sts.count("assume_role") == 2


def test_an_sts_error_is_mapped_with_its_aws_code() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "AssumeRole")
    multi = sessions(ScriptedSts(denied), Clock())

    with pytest.raises(AwsError) as caught:
        multi.session("acme")

    assert caught.value.code == "AccessDenied"
    assert caught.value.operation == "assume_role"
    assert caught.value.__cause__ is denied


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"role_arn": ""}, "role_arn"),
        ({"role_arn": ROLE, "session_duration_seconds": 899}, "session_duration_seconds"),
        ({"role_arn": ROLE, "session_duration_seconds": 43201}, "session_duration_seconds"),
        ({"role_arn": ROLE, "session_duration_seconds": True}, "session_duration_seconds"),
        ({"role_arn": ROLE, "refresh_before_seconds": -1}, "refresh_before_seconds"),
        (
            {"role_arn": ROLE, "session_duration_seconds": 900, "refresh_before_seconds": 900},
            "refresh_before_seconds",
        ),
        ({"role_arn": ROLE, "external_id": ""}, "external_id"),
    ],
)
def test_bad_account_configs_name_the_argument(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AccountConfig(**kwargs)

    assert caught.value.code == ERR_INVALID_VALUE
    assert caught.value.field == argument


def test_accounts_must_map_partner_ids_to_account_configs() -> None:
    for accounts in ({"": AccountConfig(ROLE)}, {"acme": ROLE}):
        with pytest.raises(ValidationError) as caught:
            MultiAccountSessions(accounts, sts_client=ScriptedSts())  # type: ignore[arg-type]
        assert caught.value.field == "accounts"
