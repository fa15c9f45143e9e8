"""Limits shared by every worker through the database: events counted in a sliding window, and
lockouts.

Every limited key has one row in `lockouts` (the key is locked out while `until` is in the
future). A request first holds that row (`hold`) and keeps it until its transaction ends, so the
check, the count and the new event of one key never interleave between requests or workers: on
PostgreSQL the row lock queues them; on SQLite every writer already holds the database's write
lock (BEGIN IMMEDIATE, `idp.db`). The row is created by an upsert, so requests racing to create
it never collide on the key.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from idp import security
from idp.models import Lockout, RateEvent

NEVER_LOCKED = datetime(1970, 1, 1, tzinfo=timezone.utc)  # `until` of a key not (yet) locked out


def key(kind: str, canonical: str) -> str:
    """The stored key of a limit: a hash of its kind and a canonical value (see `idp.identifiers`)."""
    return security.sha256(f"{kind}:{canonical}")


def hold(db: Session, hashed: str, now: datetime) -> datetime | None:
    """Hold `hashed`'s row until the transaction ends; returns the end of its lockout, if locked out."""
    statement = upsert(db, Lockout).values(key=hashed, until=NEVER_LOCKED).on_conflict_do_update(
        index_elements=[Lockout.key], set_={"until": Lockout.until}).returning(Lockout.until)
    until: datetime = db.execute(statement).scalar_one()
    return until if until > now else None


def upsert(db: Session, model: type[Any]) -> Any:
    """An INSERT that can take ON CONFLICT, in the session's SQL dialect."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def take(db: Session, kind: str, hashed: str, now: datetime, window: int, limit: int) -> bool:
    """Count one event unless `limit` were counted within the last `window` seconds; whether it was."""
    hold(db, hashed, now)
    if count(db, kind, hashed, now, window) >= limit:
        return False
    record(db, kind, hashed, now)
    return True


def count(db: Session, kind: str, hashed: str, now: datetime, window: int) -> int:
    since = now - timedelta(seconds=window)
    return db.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.kind == kind, RateEvent.key == hashed, RateEvent.created_at > since)) or 0


def record(db: Session, kind: str, hashed: str, now: datetime) -> None:
    db.add(RateEvent(kind=kind, key=hashed, created_at=now))


def locked_until(db: Session, hashed: str, now: datetime) -> datetime | None:
    """The end of `hashed`'s lockout, if locked out; a plain read that holds nothing."""
    until = db.scalar(select(Lockout.until).where(Lockout.key == hashed))
    return until if until is not None and until > now else None


def lock(db: Session, hashed: str, until: datetime) -> None:
    """Lock a held key out until `until`."""
    db.execute(update(Lockout).where(Lockout.key == hashed).values(until=until))


def purge(db: Session, before: datetime) -> None:
    db.execute(delete(RateEvent).where(RateEvent.created_at < before))
    db.execute(delete(Lockout).where(Lockout.until < before))
