"""Seed files: declare applications, API resources, users, the email connector and the sign-in
experience in TOML, and apply them idempotently (applying the same file twice changes nothing).

    [[applications]]
    id = "demo-web"                  # fixed id (optional); secret too, for confidential types
    name = "Web"
    type = "traditional"             # traditional | spa | native | m2m
    # management_api = true          # m2m only: may call the Management API
    secret = "a-long-fixed-secret"
    redirect_uris = ["http://localhost:3000/callback"]
    post_logout_redirect_uris = ["http://localhost:3000"]

    [[resources]]
    indicator = "https://api.example.test"

    [[users]]
    email = "alice@example.test"
    password = "Correct-Horse-9"
    name = "Alice"
    profile = { given_name = "Alice" }
    custom_data = { plan = "pro" }

    [connector]
    name = "aliyun-dm"               # the same JSON as `idp connector set`
    config = { accessKeyId = "...", accessKeySecret = "...", accountName = "...", templates = [] }

    [sign_in_experience]             # Logto's shape
    signInMode = "SignInAndRegister"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from idp import security
from idp.errors import RequestError
from idp.experience import config as sign_in_experience
from idp.mail import connectors
from idp.store import apps, resources, users

SECTIONS = {"applications", "resources", "users", "connector", "sign_in_experience"}
APP_FIELDS = {"id", "name", "type", "secret", "redirect_uris", "post_logout_redirect_uris", "id_token_alg",
              "management_api"}
USER_FIELDS = {"id", "email", "username", "password", "name", "avatar", "profile", "custom_data", "suspended"}
RESOURCE_FIELDS = {"indicator", "name", "access_token_ttl"}


class SeedError(RequestError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__("seed.invalid", f"{where}: {message}", 400)


def read(path: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as error:
        raise SeedError(str(path), f"not valid TOML ({error})") from error
    except OSError as error:
        raise SeedError(str(path), f"cannot be read ({error.strerror})") from error


def apply(db: Session, document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Create or update every declared entry; returns the applications (with the secrets given)."""
    unknown = set(document) - SECTIONS
    if unknown:
        raise SeedError(sorted(unknown)[0], f"unknown section (expected one of {', '.join(sorted(SECTIONS))})")
    if "sign_in_experience" in document:
        with errors_at("sign_in_experience"):
            sign_in_experience.save(db, document["sign_in_experience"])
    if "connector" in document:
        apply_connector(db, document["connector"])
    for index, entry in enumerate(entries(document, "resources", RESOURCE_FIELDS)):
        with errors_at(f"resources[{index}]"):
            apply_resource(db, entry)
    seeded_apps = [apply_app(db, entry, now, f"applications[{index}]")
                   for index, entry in enumerate(entries(document, "applications", APP_FIELDS))]
    seeded_users = [apply_user(db, entry, now, f"users[{index}]")
                    for index, entry in enumerate(entries(document, "users", USER_FIELDS))]
    return {"applications": seeded_apps, "users": seeded_users}


def entries(document: dict[str, Any], section: str, fields: set[str]) -> list[dict[str, Any]]:
    values = document.get(section, [])
    if not isinstance(values, list):
        raise SeedError(section, "must be a list of tables ([[...]])")
    for index, entry in enumerate(values):
        if not isinstance(entry, dict):
            raise SeedError(f"{section}[{index}]", "must be a table")
        extra = set(entry) - fields
        if extra:
            raise SeedError(f"{section}[{index}].{sorted(extra)[0]}", f"unknown field (expected {', '.join(sorted(fields))})")
    return values


@contextmanager
def errors_at(where: str) -> Iterator[None]:
    """Re-raise a RequestError from inside one entry as a SeedError that names the entry."""
    try:
        yield
    except SeedError:
        raise
    except RequestError as error:
        raise SeedError(where, error.message) from error


def text(entry: dict[str, Any], field: str, where: str, required: bool = False) -> str | None:
    value = entry.get(field)
    if value is None and required:
        raise SeedError(f"{where}.{field}", "is required")
    if value is not None and not isinstance(value, str):
        raise SeedError(f"{where}.{field}", "must be a string")
    return value


def strings(entry: dict[str, Any], field: str, where: str) -> list[str]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SeedError(f"{where}.{field}", "must be a list of strings")
    return value


def flag(entry: dict[str, Any], field: str, where: str) -> bool:
    value = entry.get(field)
    if not isinstance(value, bool):
        raise SeedError(f"{where}.{field}", "must be true or false")
    return value


def table(entry: dict[str, Any], field: str, where: str) -> dict[str, Any] | None:
    value = entry.get(field)
    if value is not None and not isinstance(value, dict):
        raise SeedError(f"{where}.{field}", "must be a table")
    return value


def apply_connector(db: Session, entry: Any) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise SeedError("connector.name", "is required (aliyun-dm, smtp, http or outbox)")
    with errors_at("connector.config"):
        connectors.set_active(db, entry["name"], entry.get("config", {}))


def apply_resource(db: Session, entry: dict[str, Any]) -> None:
    indicator = text(entry, "indicator", "resources", required=True)
    assert indicator is not None
    ttl = entry.get("access_token_ttl", 3600)
    existing = resources.by_indicator(db, indicator)
    if existing is None:
        resources.create(db, indicator=indicator, name=entry.get("name"), access_token_ttl=ttl)
    else:
        existing.name, existing.access_token_ttl = entry.get("name") or indicator, ttl


def apply_app(db: Session, entry: dict[str, Any], now: datetime, where: str) -> dict[str, Any]:
    name = text(entry, "name", where, required=True)
    kind = text(entry, "type", where, required=True)
    app_id, secret = text(entry, "id", where), text(entry, "secret", where)
    redirects, logouts = strings(entry, "redirect_uris", where), strings(entry, "post_logout_redirect_uris", where)
    existing = apps.get(db, app_id) if app_id else None
    with errors_at(where):
        if existing is None:
            app, secret = apps.create(db, name=name or "", type=kind or "", redirect_uris=redirects,
                                      post_logout_redirect_uris=logouts, now=now, app_id=app_id, secret=secret,
                                      id_token_alg=entry.get("id_token_alg", "ES384"))
        else:
            app = apps.update(existing, name=name or "", redirect_uris=redirects, post_logout_redirect_uris=logouts,
                              secret=secret)
        if "management_api" in entry:
            apps.grant_management_api(app, flag(entry, "management_api", where))
    return apps.to_json(app, secret)


def apply_user(db: Session, entry: dict[str, Any], now: datetime, where: str) -> dict[str, Any]:
    email, user_id = text(entry, "email", where), text(entry, "id", where)
    if not email and not entry.get("username"):
        raise SeedError(f"{where}.email", "an email or a username is required")
    fields = {"username": text(entry, "username", where), "name": text(entry, "name", where),
              "profile": table(entry, "profile", where), "custom_data": table(entry, "custom_data", where)}
    password = text(entry, "password", where)
    user = (users.get(db, user_id) if user_id else None) or (users.by_email(db, email) if email else None)
    with errors_at(where):
        if user is None:
            user = users.create(db, now=now, email=email, password=password, user_id=user_id, **fields)
        else:
            changed = users.update(user, email=email, **fields)
            if password and not security.check_password(user.password_hash, password):
                user.password_hash, changed = security.hash_password(password), True
            if changed:
                user.updated_at = now
        user.avatar = text(entry, "avatar", where) or user.avatar
        user.is_suspended = bool(entry.get("suspended", False))
    return users.to_json(user)
