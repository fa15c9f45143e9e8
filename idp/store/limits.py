"""Counted events and lockouts, shared by every worker through the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from idp import security
from idp.models import Lockout, RateEvent


def key(kind: str, canonical: str) -> str:
    """The stored key of a limit: a hash of its kind and a canonical value (see `idp.identifiers`)."""
    return security.sha256(f"{kind}:{canonical}")


def count(db: Session, kind: str, hashed: str, now: datetime, window: int) -> int:
    since = now - timedelta(seconds=window)
    return db.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.kind == kind, RateEvent.key == hashed, RateEvent.created_at > since)) or 0


def record(db: Session, kind: str, hashed: str, now: datetime) -> None:
    db.add(RateEvent(kind=kind, key=hashed, created_at=now))


def locked_until(db: Session, hashed: str, now: datetime) -> datetime | None:
    row = db.get(Lockout, hashed)
    return row.until if row is not None and row.until > now else None


def lock(db: Session, hashed: str, until: datetime) -> None:
    row = db.get(Lockout, hashed)
    if row is None:
        db.add(Lockout(key=hashed, until=until))
    else:
        row.until = until


def purge(db: Session, before: datetime) -> None:
    db.execute(delete(RateEvent).where(RateEvent.created_at < before))
    db.execute(delete(Lockout).where(Lockout.until < before))
