"""Pending authorization requests, each bound to the browser that started it."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp import security
from idp.models import Interaction


def create(db: Session, *, client_id: str, params: dict[str, str], now: datetime, ttl: int) -> tuple[Interaction, str]:
    """Store the validated request; returns it with the browser cookie value."""
    cookie = secrets.token_urlsafe(32)
    row = Interaction(
        id=secrets.token_urlsafe(16),
        cookie_hash=security.sha256(cookie),
        client_id=client_id,
        params=params,
        state={},
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    db.add(row)
    return row, cookie


def by_cookie(db: Session, cookie: str | None, now: datetime) -> Interaction | None:
    if not cookie or len(cookie) > 128:
        return None
    return db.scalar(
        select(Interaction).where(
            Interaction.cookie_hash == security.sha256(cookie),
            Interaction.consumed_at.is_(None),
            Interaction.expires_at > now,
        )
    )


def save_state(interaction: Interaction, state: dict[str, Any]) -> None:
    # JSON columns track reassignment, not in-place mutation.
    interaction.state = dict(state)


def consume(db: Session, interaction: Interaction, now: datetime) -> bool:
    """Mark finished; exactly one caller wins."""
    result = db.execute(
        update(Interaction)
        .where(Interaction.id == interaction.id, Interaction.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    return result.rowcount == 1
