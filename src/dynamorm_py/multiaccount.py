"""Sessions and clients for partner AWS accounts, through STS AssumeRole, refreshed before they expire.

A service that reads or writes tables in its partners' accounts configures one :class:`AccountConfig` (the
role to assume) per partner id and asks :class:`MultiAccountSessions` for a session or a client by that id.
Each partner's role is assumed once and its credentials reused until ``refresh_before_seconds`` before they
expire; clients are cached per partner and service and rebuilt with the fresh credentials. Everything is
thread-safe: concurrent callers for one partner wait for a single AssumeRole instead of each sending one,
and partners never wait for each other.

Errors: a bad ``AccountConfig`` or partner id that is not a ``str`` → ``ValidationError`` (ErrInvalidValue,
naming the argument); an unknown partner id → ``ValidationError`` (ErrUnknownAccount); STS answering without
usable credentials (none, incomplete, or already expired) → ``ValidationError`` (ErrNoCredentials). All are
``ValueError`` as well. An error answer of STS is mapped like every AWS error (``AwsError`` with the AWS
code, ``TransportError`` when STS could not be reached), with operation ``"assume_role"``. Messages name the
partner id and role, never credentials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws_errors import map_aws_exception
from .errors import ERR_INVALID_VALUE, ERR_NO_CREDENTIALS, ERR_UNKNOWN_ACCOUNT, ValidationError

__all__ = ["AccountConfig", "MultiAccountSessions"]

# STS AssumeRole accepts 15 minutes to 12 hours (the role's own maximum may be lower).
_MIN_DURATION_SECONDS = 900
_MAX_DURATION_SECONDS = 43200


def _config_error(argument: str, expected: str) -> ValidationError:
    return ValidationError(
        f"AccountConfig: {argument} must be {expected}",
        code=ERR_INVALID_VALUE,
        operation="AccountConfig",
        field=argument,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class AccountConfig:
    """The role to assume in one partner account.

    ``session_name`` defaults to ``"dynamorm-<partner id>"``; ``region`` to the base session's region.
    Credentials are renewed ``refresh_before_seconds`` before they expire, so a client never signs a request
    with credentials about to lapse. Bad values → ``ValidationError`` naming the argument.
    """

    role_arn: str
    external_id: str | None = None
    region: str | None = None
    session_duration_seconds: int = 3600
    session_name: str | None = None
    refresh_before_seconds: int = 300

    def __post_init__(self) -> None:
        if not isinstance(self.role_arn, str) or not self.role_arn.strip():
            raise _config_error("role_arn", "a non-empty role ARN")
        for name in ("external_id", "region", "session_name"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise _config_error(name, "a non-empty str or None")
        duration = self.session_duration_seconds
        if not _is_int(duration) or not _MIN_DURATION_SECONDS <= duration <= _MAX_DURATION_SECONDS:
            raise _config_error(
                "session_duration_seconds", f"an int from {_MIN_DURATION_SECONDS} to {_MAX_DURATION_SECONDS}"
            )
        refresh = self.refresh_before_seconds
        if not _is_int(refresh) or not 0 <= refresh < duration:
            raise _config_error("refresh_before_seconds", "an int from 0 to below session_duration_seconds")


@dataclass
class _Assumed:
    """One partner's assumed-role session and the clients built from it."""

    session: Any
    expires_at: float
    refresh_at: float
    # service -> (the config it was built with, client)
    clients: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _cached_client(cache: dict[str, tuple[Any, Any]], session: Any, service: str, config: Any) -> Any:
    """The cached client of ``service`` if it was built with this very ``config``, else a new one."""
    cached = cache.get(service)
    if cached is None or cached[0] is not config:
        cached = (config, session.client(service, config=config))
        cache[service] = cached
    return cached[1]


def _default_session_factory(**kwargs: Any) -> Any:
    import boto3

    return boto3.Session(**kwargs)


class MultiAccountSessions:
    """Sessions and clients per partner account, from STS AssumeRole, cached and refreshed before expiry.

    ``accounts`` maps partner ids to their :class:`AccountConfig`. ``base_session`` (default: a
    ``boto3.Session()``) serves the empty partner id and builds the default ``sts_client``. ``now`` is the
    clock in epoch seconds (default ``time.time``). ``session_factory`` builds a partner's session; it is
    called with the keyword arguments of ``boto3.Session``: ``aws_access_key_id``,
    ``aws_secret_access_key``, ``aws_session_token`` and ``region_name`` (default: ``boto3.Session``).
    """

    def __init__(
        self,
        accounts: Mapping[str, AccountConfig],
        *,
        base_session: Any | None = None,
        sts_client: Any | None = None,
        now: Callable[[], float] | None = None,
        session_factory: Callable[..., Any] | None = None,
    ) -> None:
        for partner_id, account in accounts.items():
            if not isinstance(partner_id, str) or not partner_id:
                raise ValidationError(
                    "accounts: every partner id must be a non-empty str",
                    code=ERR_INVALID_VALUE,
                    operation="MultiAccountSessions",
                    field="accounts",
                )
            if not isinstance(account, AccountConfig):
                raise ValidationError(
                    f"accounts: the value for partner {partner_id!r} must be an AccountConfig",
                    code=ERR_INVALID_VALUE,
                    operation="MultiAccountSessions",
                    field="accounts",
                )
        self._accounts = dict(accounts)
        self._base_session = base_session
        self._sts_client = sts_client
        self._now = now or time.time
        self._session_factory = session_factory or _default_session_factory
        self._lock = threading.Lock()  # guards the maps below and the lazy base session and STS client
        self._partner_locks = {partner_id: threading.Lock() for partner_id in self._accounts}
        self._assumed: dict[str, _Assumed] = {}
        self._base_clients: dict[str, tuple[Any, Any]] = {}

    def session(self, partner_id: str) -> Any:
        """The session of ``partner_id`` with credentials valid for at least ``refresh_before_seconds``.

        The empty id is the base session. An unknown id → ``ValidationError`` (ErrUnknownAccount).
        """
        if self._account(partner_id, "session") is None:
            return self._base()
        with self._partner_locks[partner_id]:
            return self._fresh(partner_id).session

    def client(self, partner_id: str, service: str, *, config: Any | None = None) -> Any:
        """A botocore client of ``service`` in the partner's account (the empty id: the base session's).

        One client is cached per partner and service: it is rebuilt when the partner's credentials are
        renewed, and when ``config`` is not the object it was built with (a config is never ignored, and
        a new ``Config`` per call cannot grow the cache)."""
        if not isinstance(service, str) or not service:
            raise ValidationError(
                "client: service must be a non-empty str",
                code=ERR_INVALID_VALUE,
                operation="client",
                field="service",
            )
        if self._account(partner_id, "client") is None:
            with self._lock:
                return _cached_client(self._base_clients, self._base_unlocked(), service, config)
        with self._partner_locks[partner_id]:
            assumed = self._fresh(partner_id)
            return _cached_client(assumed.clients, assumed.session, service, config)

    # internals ------------------------------------------------------------------------------------------

    def _account(self, partner_id: Any, operation: str) -> AccountConfig | None:
        if not isinstance(partner_id, str):
            raise ValidationError(
                f"{operation}: partner_id must be a str, not {type(partner_id).__name__}",
                code=ERR_INVALID_VALUE,
                operation=operation,
                field="partner_id",
            )
        if not partner_id:
            return None
        account = self._accounts.get(partner_id)
        if account is None:
            raise ValidationError(
                f"{operation}: unknown partner_id {partner_id!r}; it has no AccountConfig",
                code=ERR_UNKNOWN_ACCOUNT,
                operation=operation,
                field="partner_id",
            )
        return account

    def _base(self) -> Any:
        with self._lock:
            return self._base_unlocked()

    def _base_unlocked(self) -> Any:
        if self._base_session is None:
            self._base_session = _default_session_factory()
        return self._base_session

    def _sts(self) -> Any:
        with self._lock:
            if self._sts_client is None:
                self._sts_client = self._base_unlocked().client("sts")
            return self._sts_client

    def _fresh(self, partner_id: str) -> _Assumed:
        """The partner's cached session, renewed first when it is due (call with the partner's lock held)."""
        assumed = self._assumed.get(partner_id)
        if assumed is not None and self._now() < assumed.refresh_at:
            return assumed
        assumed = self._assume(partner_id, self._accounts[partner_id])
        self._assumed[partner_id] = assumed
        return assumed

    def _assume(self, partner_id: str, account: AccountConfig) -> _Assumed:
        params: dict[str, Any] = {
            "RoleArn": account.role_arn,
            "RoleSessionName": account.session_name or f"dynamorm-{partner_id}",
            "DurationSeconds": account.session_duration_seconds,
        }
        if account.external_id is not None:
            params["ExternalId"] = account.external_id
        requested_at = self._now()
        try:
            response = self._sts().assume_role(**params)
        except (ClientError, BotoCoreError) as exc:
            raise map_aws_exception(exc, operation="assume_role") from exc
        credentials = response.get("Credentials") if isinstance(response, Mapping) else None
        keys = ("AccessKeyId", "SecretAccessKey", "SessionToken")
        if not isinstance(credentials, Mapping) or not all(
            isinstance(credentials.get(k), str) and credentials.get(k) for k in keys
        ):
            raise _no_credentials(partner_id, account, "returned no complete credentials")
        if credentials.get("Expiration") is None:
            expires_at = requested_at + account.session_duration_seconds
        else:
            expires_at = _epoch_seconds(credentials["Expiration"], partner_id, account)
        if expires_at <= self._now():
            raise _no_credentials(partner_id, account, "returned credentials that have already expired")
        region = account.region
        if region is None and self._base_session is not None:
            region = getattr(self._base_session, "region_name", None)
        session = self._session_factory(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
        return _Assumed(session, expires_at, expires_at - account.refresh_before_seconds)


def _no_credentials(partner_id: str, account: AccountConfig, what: str) -> ValidationError:
    return ValidationError(
        f"assume_role: STS {what} for partner {partner_id!r} (role {account.role_arn})",
        code=ERR_NO_CREDENTIALS,
        operation="assume_role",
    )


def _epoch_seconds(expiration: Any, partner_id: str, account: AccountConfig) -> float:
    """``Credentials.Expiration`` as epoch seconds: botocore parses it to a ``datetime``; a raw response
    may carry ISO-8601 text or a number."""
    if isinstance(expiration, (int, float, Decimal)) and not isinstance(expiration, bool):
        return float(expiration)
    if isinstance(expiration, str):
        try:
            expiration = datetime.fromisoformat(expiration)
        except ValueError:
            raise _no_credentials(partner_id, account, "returned an unreadable expiration") from None
    if isinstance(expiration, datetime):
        if expiration.tzinfo is None:  # STS times are UTC
            expiration = expiration.replace(tzinfo=UTC)
        seconds: float = expiration.timestamp()
        return seconds
    raise _no_credentials(partner_id, account, "returned an unreadable expiration")
