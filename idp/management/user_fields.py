"""Users in Logto's shape: the fields the Management API accepts, and the user it answers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import argon2
from argon2.exceptions import InvalidHashError

from idp import identifiers
from idp.errors import RequestError, invalid_input
from idp.management import fields
from idp.management.fields import MISSING, present
from idp.models import User

# Logto's usernameRegEx; \w as in JavaScript (ASCII only).
USERNAME = re.compile(r"^[A-Z_a-z]\w*$", re.ASCII)
PROFILE_TEXT = ("familyName", "givenName", "middleName", "nickname", "preferredUsername", "profile",
                "website", "gender", "birthdate", "zoneinfo", "locale")
ADDRESS_TEXT = ("formatted", "streetAddress", "locality", "region", "postalCode", "country")
# Logto's UsersPasswordEncryptionMethod values; idp verifies the Argon2 family only.
DIGEST_ALGORITHMS = ("Argon2i", "Argon2id", "Argon2d", "SHA1", "SHA256", "MD5", "Bcrypt", "Legacy")
ARGON2 = ("Argon2i", "Argon2id", "Argon2d")


def username(body: dict[str, Any], *, clearable: bool = False) -> Any:
    """The username, None to clear it ("" or null, when `clearable`), MISSING when absent."""
    value = fields.text(body, "username", max_length=128, nullable=clearable, min_length=0)
    if value == "" and clearable:
        return None
    if isinstance(value, str) and not USERNAME.match(value):
        raise invalid_input("username must start with a letter or _ and contain only letters, digits and _.")
    return value


def email(body: dict[str, Any], *, clearable: bool = False) -> Any:
    value = fields.text(body, "primaryEmail", nullable=clearable, min_length=0)
    if value == "" and clearable:
        return None
    return identifiers.email(value) if isinstance(value, str) else value


def refuse_phone(body: dict[str, Any]) -> None:
    if body.get("primaryPhone") not in (None, ""):
        raise invalid_input("idp does not support phone numbers.")


def name(body: dict[str, Any]) -> Any:
    return fields.text(body, "name", max_length=128, nullable=True, min_length=0)


def avatar(body: dict[str, Any]) -> Any:
    value = fields.text(body, "avatar", max_length=2048, nullable=True, min_length=0)
    if value and not is_http_url(value):
        raise invalid_input("avatar must be an http(s) URL or empty.")
    return value


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in value)


def profile(body: dict[str, Any], *, required: bool = False) -> Any:
    """Logto's user profile: known keys with string values (others are dropped, as zod does)."""
    value = fields.json_object(body, "profile", required=required)
    if value is MISSING:
        return MISSING
    kept = {key: checked_text(value, key) for key in PROFILE_TEXT if key in value}
    if "address" in value:
        address = fields.json_object(value, "address")
        kept["address"] = {key: checked_text(address, key) for key in ADDRESS_TEXT if key in address}
    return kept


def checked_text(values: dict[str, Any], key: str) -> str:
    return fields.text(values, key, max_length=2048, min_length=0)


def password(body: dict[str, Any], *, required: bool = False) -> Any:
    return fields.text(body, "password", required=required)


def password_digest(body: dict[str, Any]) -> Any:
    """An imported password hash (`passwordDigest` + `passwordAlgorithm`), Argon2 only."""
    digest = fields.text(body, "passwordDigest")
    algorithm = body.get("passwordAlgorithm")
    if algorithm is not None and algorithm not in DIGEST_ALGORITHMS:
        raise invalid_input(f"passwordAlgorithm must be one of {', '.join(DIGEST_ALGORITHMS)}.")
    if not present(digest):
        return MISSING
    if algorithm is None:
        raise RequestError("user.password_algorithm_required", "Password algorithm is required.", 400)
    if algorithm not in ARGON2:
        raise invalid_input("idp verifies imported password digests of the Argon2 family only.")
    try:
        argon2.extract_parameters(digest)
    except (InvalidHashError, ValueError):
        raise invalid_input("passwordDigest is not an Argon2 hash.") from None
    return digest


def to_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "primaryEmail": user.primary_email,
        "primaryPhone": None,
        "name": user.name,
        "avatar": user.avatar,
        "customData": user.custom_data or {},
        "identities": {},
        "lastSignInAt": None,
        "createdAt": _ms(user.created_at),
        "updatedAt": _ms(user.updated_at),
        "profile": user.profile or {},
        "applicationId": None,
        "isSuspended": user.is_suspended,
        "hasPassword": user.password_hash is not None,
    }


def _ms(value: Any) -> int:
    return int(value.timestamp() * 1000)
