"""Users, looked up by id, or by the canonical form of a username or email (`idp.identifiers`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp import identifiers, security
from idp.errors import RequestError
from idp.models import User


def get(db: Session, user_id: str) -> User | None:
    return db.get(User, user_id)


def by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email_key == identifiers.email_key(email)))


def by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == identifiers.username(username)))


def list_all(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.created_at)))


def create(
    db: Session,
    *,
    now: datetime,
    email: str | None = None,
    username: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    name: str | None = None,
    user_id: str | None = None,
    profile: dict[str, Any] | None = None,
    custom_data: dict[str, Any] | None = None,
) -> User:
    """Insert a user; a taken email or username answers Logto's conflict errors."""
    if email and by_email(db, email):
        raise RequestError("user.email_already_in_use", "This email is associated with an existing account.", 422)
    if username and by_username(db, username):
        raise RequestError("user.username_already_in_use", "This username is already in use.", 422)
    user = User(
        id=user_id or security.user_id(),
        username=identifiers.username(username) if username else None,
        primary_email=identifiers.email(email) if email else None,
        email_key=identifiers.email_key(email) if email else None,
        password_hash=security.hash_password(password) if password else password_hash,
        name=name,
        profile=profile or {},
        custom_data=custom_data or {},
        created_at=now,
        updated_at=now,
    )
    try:
        with db.begin_nested():
            db.add(user)
    except IntegrityError as error:
        raise RequestError("user.email_already_in_use", "This email is associated with an existing account.", 422) from error
    return user


def update(user: User, *, email: str | None = None, **fields: Any) -> bool:
    """Set the given fields (None leaves one unchanged); returns whether anything changed."""
    changed = False
    if fields.get("username") is not None:
        identifiers.username(fields["username"])
    if email is not None and email != user.primary_email:
        set_email(user, email)
        changed = True
    for name, value in fields.items():
        if value is not None and getattr(user, name) != value:
            setattr(user, name, value)
            changed = True
    return changed


def set_email(user: User, email: str | None) -> None:
    """Set (or, with None, remove) the primary email and its canonical key."""
    user.primary_email = identifiers.email(email) if email else None
    user.email_key = identifiers.email_key(email) if email else None


def set_password_hash(db: Session, user: User, password_hash: str, now: datetime) -> None:
    user.password_hash = password_hash
    user.updated_at = now


def to_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "primaryEmail": user.primary_email,
        "name": user.name,
        "avatar": user.avatar,
        "profile": user.profile,
        "customData": user.custom_data,
        "isSuspended": user.is_suspended,
        "hasPassword": user.password_hash is not None,
        "createdAt": _ms(user.created_at),
        "updatedAt": _ms(user.updated_at),
    }


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
