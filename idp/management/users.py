"""`/api/users`: Logto's user management over idp's users.

As in Logto, `PATCH /users/{id}` replaces `customData` and `profile`, while the dedicated
`/custom-data` and `/profile` routes merge into them (top-level keys). Suspending a user ends
their sessions and revokes their grants; deleting one removes them through the cascades.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from idp import security
from idp.errors import RequestError, not_found
from idp.management import fields, paging, queries, user_search
from idp.management import user_fields as given
from idp.management.call import Call, Reply
from idp.management.fields import present
from idp.models import User
from idp.services import Context
from idp.store import grants, sessions, users


def list_users(ctx: Context, call: Call) -> Reply:
    page = paging.read(call.query)
    rows, total = queries.page_of(ctx.db, queries.users(user_search.condition(call.query)), page)
    return paging.reply([given.to_json(row) for row in rows], page, total, call.url)


def create_user(ctx: Context, call: Call) -> dict[str, Any]:
    return given.to_json(new_user(ctx.db, ctx.now, call.body))


def new_user(db: Session, now: datetime, body: dict[str, Any]) -> User:
    """A user from a `POST /api/users` body; `idp user create` goes through here too (one set of rules)."""
    given.refuse_phone(body)
    username, email = given.username(body), given.email(body)
    name, avatar = given.name(body), given.avatar(body)
    password, digest = given.password(body), given.password_digest(body)
    custom_data, profile = fields.json_object(body, "customData"), given.profile(body)
    if present(password) and present(digest):
        raise RequestError("user.password_and_digest", "You cannot set both plain text password and "
                           "password digest.", 400)
    user = users.create(
        db, now=now, email=optional(email), username=optional(username), password=optional(password),
        password_hash=optional(digest), name=optional(name), profile=optional(profile),
        custom_data=optional(custom_data),
    )
    user.avatar = optional(avatar)
    return user


def get_user(ctx: Context, call: Call) -> dict[str, Any]:
    return given.to_json(find(ctx, call))


def update_user(ctx: Context, call: Call) -> dict[str, Any]:
    user, body = find(ctx, call), call.body
    given.refuse_phone(body)
    username, email = given.username(body, clearable=True), given.email(body, clearable=True)
    name, avatar = given.name(body), given.avatar(body)
    custom_data, profile = fields.json_object(body, "customData"), given.profile(body)
    if username and username != user.username and users.by_username(ctx.db, username):
        raise RequestError("user.username_already_in_use", "This username is already in use.", 422)
    if email and (other := users.by_email(ctx.db, email)) is not None and other.id != user.id:
        raise RequestError("user.email_already_in_use", "This email is associated with an existing account.", 422)
    changes = {"username": username, "name": name, "avatar": avatar, "custom_data": custom_data,
               "profile": profile}
    for column, value in changes.items():
        if present(value):
            setattr(user, column, value)
    if present(email):
        users.set_email(user, email)
    user.updated_at = ctx.now
    return given.to_json(user)


def delete_user(ctx: Context, call: Call) -> None:
    queries.delete_row(ctx.db, find(ctx, call))


def set_password(ctx: Context, call: Call) -> dict[str, Any]:
    user = find(ctx, call)
    password = given.password(call.body, required=True)
    users.set_password_hash(ctx.db, user, security.hash_password(password), ctx.now)
    return given.to_json(user)


def verify_password(ctx: Context, call: Call) -> None:
    user = find(ctx, call)
    if not security.check_password(user.password_hash, given.password(call.body, required=True)):
        raise RequestError("session.invalid_credentials", "Incorrect account or password.", 422)


def has_password(ctx: Context, call: Call) -> dict[str, bool]:
    return {"hasPassword": find(ctx, call).password_hash is not None}


def get_custom_data(ctx: Context, call: Call) -> dict[str, Any]:
    return find(ctx, call).custom_data or {}


def update_custom_data(ctx: Context, call: Call) -> dict[str, Any]:
    user = find(ctx, call)
    user.custom_data = {**(user.custom_data or {}), **fields.json_object(call.body, "customData", required=True)}
    user.updated_at = ctx.now
    return user.custom_data


def update_profile(ctx: Context, call: Call) -> dict[str, Any]:
    user = find(ctx, call)
    user.profile = {**(user.profile or {}), **given.profile(call.body, required=True)}
    user.updated_at = ctx.now
    return user.profile


def set_suspended(ctx: Context, call: Call) -> dict[str, Any]:
    user = find(ctx, call)
    user.is_suspended = fields.boolean(call.body, "isSuspended", required=True)
    user.updated_at = ctx.now
    if user.is_suspended:
        sessions.end_for_user(ctx.db, user.id, ctx.now)
        grants.revoke_user_grants(ctx.db, user.id, ctx.now)
    return given.to_json(user)


def find(ctx: Context, call: Call) -> User:
    user = users.get(ctx.db, fields.entity_id(call.param("userId")))
    if user is None:
        raise not_found()
    return user


def optional(value: Any) -> Any:
    return value if present(value) else None
