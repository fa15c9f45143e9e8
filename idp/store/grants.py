"""Grants and what is issued from them: authorization codes, access and refresh tokens.

Codes and tokens are stored as SHA-256 hashes. Single use is one UPDATE guarded by
`consumed_at IS NULL`; a second use of a code or an old refresh token revokes the grant.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp import security
from idp.models import AuthorizationCode, Grant, Token


def create_grant(db: Session, **values: Any) -> Grant:
    grant = Grant(id=secrets.token_urlsafe(16), **values)
    db.add(grant)
    return grant


def get_grant(db: Session, grant_id: str) -> Grant | None:
    return db.get(Grant, grant_id)


def revoke_grant(db: Session, grant_id: str, now: datetime) -> None:
    db.execute(update(Grant).where(Grant.id == grant_id, Grant.revoked_at.is_(None)).values(revoked_at=now))
    db.execute(update(Token).where(Token.grant_id == grant_id, Token.revoked_at.is_(None)).values(revoked_at=now))


def revoke_user_grants(db: Session, user_id: str, now: datetime) -> None:
    for grant_id in db.scalars(select(Grant.id).where(Grant.user_id == user_id, Grant.revoked_at.is_(None))):
        revoke_grant(db, grant_id, now)


def revoke_session_grants(db: Session, session_id: str, now: datetime) -> None:
    """Revoke what a browser session granted, except offline access, which outlives the session."""
    rows = db.execute(select(Grant.id, Grant.scope).where(Grant.session_id == session_id, Grant.revoked_at.is_(None)))
    for grant_id, scope in list(rows):
        if "offline_access" not in scope.split():
            revoke_grant(db, grant_id, now)


def save_code(db: Session, code: str, **values: Any) -> None:
    db.add(AuthorizationCode(code_hash=security.sha256(code), **values))


def consume_code(db: Session, code: str, now: datetime) -> tuple[AuthorizationCode | None, bool]:
    """Consume a code once. Returns (row, first_use); a replay revokes the code's grant."""
    code_hash = security.sha256(code)
    result = db.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    row = db.get(AuthorizationCode, code_hash)
    if row is None:
        return None, False
    if result.rowcount != 1:
        revoke_grant(db, row.grant_id, now)
        return row, False
    return row, True


def save_token(db: Session, value: str, **values: Any) -> Token:
    row = Token(token_hash=security.sha256(value), **values)
    db.add(row)
    return row


def find_token(db: Session, value: str | None, kind: str | None = None) -> Token | None:
    if not value or len(value) > 512:
        return None
    row = db.get(Token, security.sha256(value))
    if row is None or (kind and row.kind != kind):
        return None
    return row


def consume_token(db: Session, token: Token, now: datetime) -> bool:
    result = db.execute(
        update(Token)
        .where(Token.token_hash == token.token_hash, Token.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    return result.rowcount == 1


def is_live(db: Session, token: Token, now: datetime) -> bool:
    """A token counts only while unexpired, unrevoked, and its grant unrevoked."""
    if token.revoked_at is not None or token.expires_at <= now:
        return False
    grant = db.get(Grant, token.grant_id)
    return grant is not None and grant.revoked_at is None
