"""Server-wide values kept in the database, created on first use."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from idp.models import Config


def get(db: Session, key: str, default: Any = None) -> Any:
    row = db.get(Config, key)
    return default if row is None else row.value


def put(db: Session, key: str, value: Any) -> None:
    row = db.get(Config, key)
    if row is None:
        db.add(Config(key=key, value=value))
    else:
        row.value = value


def secret(db: Session, name: str) -> str:
    """A random server secret (for CSRF tokens, code hashing), made once and then kept."""
    key = f"secret.{name}"
    value = get(db, key)
    if value is None:
        value = secrets.token_urlsafe(32)
        put(db, key, value)
    return value
