"""Email verification codes: keyed hashes, atomic try counting, single use."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from idp.models import VerificationCode


def replace(db: Session, *, interaction_id: str | None, email_key: str, type: str, code_hash: str,
            now: datetime, ttl: int) -> VerificationCode:
    """Store a new code; it replaces unconsumed codes of the same interaction (or email) and type."""
    scope = (VerificationCode.interaction_id == interaction_id) if interaction_id else (
        (VerificationCode.interaction_id.is_(None)) & (VerificationCode.email_key == email_key))
    db.execute(delete(VerificationCode).where(scope, VerificationCode.type == type,
                                              VerificationCode.consumed_at.is_(None)))
    row = VerificationCode(id=secrets.token_urlsafe(16), interaction_id=interaction_id, email_key=email_key,
                           type=type, code_hash=code_hash, try_count=0, created_at=now,
                           expires_at=now + timedelta(seconds=ttl))
    db.add(row)
    return row


def get(db: Session, code_id: str) -> VerificationCode | None:
    return db.get(VerificationCode, code_id)


def latest_for_email(db: Session, email_key: str, type: str) -> VerificationCode | None:
    return db.query(VerificationCode).filter(
        VerificationCode.interaction_id.is_(None), VerificationCode.email_key == email_key,
        VerificationCode.type == type, VerificationCode.consumed_at.is_(None),
    ).order_by(VerificationCode.created_at.desc()).first()


def count_try(db: Session, code_id: str, now: datetime, max_tries: int) -> bool:
    """Count one try of a usable code that has tries left, in one statement, before the code is
    compared: however many tries run in parallel, at most `max_tries` are counted."""
    result = db.execute(
        update(VerificationCode)
        .where(VerificationCode.id == code_id, VerificationCode.consumed_at.is_(None),
               VerificationCode.try_count < max_tries, VerificationCode.expires_at > now)
        .values(try_count=VerificationCode.try_count + 1)
    )
    return result.rowcount == 1


def consume(db: Session, code_id: str, now: datetime) -> bool:
    """Use the code once; exactly one of any number of parallel callers wins."""
    result = db.execute(
        update(VerificationCode)
        .where(VerificationCode.id == code_id, VerificationCode.consumed_at.is_(None),
               VerificationCode.expires_at > now)
        .values(consumed_at=now)
    )
    return result.rowcount == 1


def discard(db: Session, code_id: str) -> None:
    db.execute(delete(VerificationCode).where(VerificationCode.id == code_id))
