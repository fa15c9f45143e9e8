"""Browser sessions: the cookie holds a random value, the table holds its hash."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp import security
from idp.models import BrowserSession


def create(db: Session, *, user_id: str, auth_time: datetime, amr: list[str], now: datetime, ttl: int) -> tuple[BrowserSession, str]:
    """Start a session; returns it with the cookie value (never stored)."""
    cookie = secrets.token_urlsafe(32)
    row = BrowserSession(
        id=secrets.token_urlsafe(16),
        cookie_hash=security.sha256(cookie),
        user_id=user_id,
        auth_time=auth_time,
        amr=amr,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    db.add(row)
    return row, cookie


def current(db: Session, cookie: str | None, now: datetime) -> BrowserSession | None:
    if not cookie or len(cookie) > 128:
        return None
    return db.scalar(
        select(BrowserSession).where(
            BrowserSession.cookie_hash == security.sha256(cookie),
            BrowserSession.ended_at.is_(None),
            BrowserSession.expires_at > now,
        )
    )


def end(db: Session, session_id: str, now: datetime) -> None:
    db.execute(update(BrowserSession).where(BrowserSession.id == session_id).values(ended_at=now))


def end_for_user(db: Session, user_id: str, now: datetime) -> None:
    db.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user_id, BrowserSession.ended_at.is_(None))
        .values(ended_at=now)
    )
