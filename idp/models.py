"""Typed SQLAlchemy models: one class per table, no queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from datetime import timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from idp.db import Base


class Timestamp(TypeDecorator[datetime]):
    """UTC datetimes that come back timezone-aware on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(21), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    id_token_alg: Mapped[str] = mapped_column(String(8), default="ES384")
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    # Logto's "Logto Management API access" role (machine-to-machine apps only).
    management_api: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    username: Mapped[str | None] = mapped_column(String(128), unique=True)
    primary_email: Mapped[str | None] = mapped_column(String(256))
    # Lower-cased copy of primary_email: the unique key that makes case variants one address.
    email_key: Mapped[str | None] = mapped_column(String(256), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(128))
    avatar: Mapped[str | None] = mapped_column(String(2048))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    custom_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    updated_at: Mapped[datetime] = mapped_column(Timestamp())


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(21), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    indicator: Mapped[str] = mapped_column(String(2048), unique=True)
    access_token_ttl: Mapped[int] = mapped_column(Integer, default=3600)


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    private_pem: Mapped[str] = mapped_column(Text)
    # current: signs; previous: published for verification; retired: neither.
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class Config(Base):
    """Server-wide values kept in the database (secrets, sign-in experience, connector)."""

    __tablename__ = "configs"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class BrowserSession(Base):
    """A signed-in browser. The cookie carries a random value; only its hash is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cookie_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[datetime] = mapped_column(Timestamp())
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    ended_at: Mapped[datetime | None] = mapped_column(Timestamp())


class Interaction(Base):
    """A pending authorization request and the sign-in experience that serves it."""

    __tablename__ = "interactions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cookie_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(21))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    event: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    consumed_at: Mapped[datetime | None] = mapped_column(Timestamp())


class Grant(Base):
    """What a user allowed one application in one authorization; codes and tokens hang off it."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text)
    resources: Mapped[list[str]] = mapped_column(JSON, default=list)
    session_id: Mapped[str | None] = mapped_column(String(32))
    auth_time: Mapped[datetime | None] = mapped_column(Timestamp())
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(21))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    claims_auth_time: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    consumed_at: Mapped[datetime | None] = mapped_column(Timestamp())


class Token(Base):
    """An opaque access token or a refresh token, stored by hash."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # access | refresh
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(21))
    user_id: Mapped[str | None] = mapped_column(String(12))
    scope: Mapped[str] = mapped_column(Text)
    resource: Mapped[str | None] = mapped_column(String(2048))
    claims_auth_time: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    consumed_at: Mapped[datetime | None] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())


class VerificationCode(Base):
    """A code sent by email, stored only as a keyed hash, bound to its interaction, email and purpose."""

    __tablename__ = "verification_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    interaction_id: Mapped[str | None] = mapped_column(String(32), index=True)
    email_key: Mapped[str] = mapped_column(String(256), index=True)
    type: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    try_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    consumed_at: Mapped[datetime | None] = mapped_column(Timestamp())


class RateEvent(Base):
    """One counted event (a message sent, a failed verification) for a hashed key."""

    __tablename__ = "rate_events"
    # A limit counts one key's events of the last window while it holds the key.
    __table_args__ = (Index("ix_rate_events_key_created_at", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), index=True)


class Lockout(Base):
    """One row per limited key: requests counting the key's events hold it (a row lock), and the
    key is locked out while `until` is in the future."""

    __tablename__ = "lockouts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[datetime] = mapped_column(Timestamp())


class OutboxMessage(Base):
    """A message kept by the development outbox sender instead of being delivered."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to: Mapped[str] = mapped_column(String(256))
    to_key: Mapped[str] = mapped_column(String(256), index=True)
    type: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp())
