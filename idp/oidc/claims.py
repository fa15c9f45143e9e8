"""Scopes to claims, as Logto maps them (values snake_cased, timestamps in milliseconds)."""

from __future__ import annotations

from typing import Any

from idp.models import User

PROFILE_FIELDS = (
    "family_name", "given_name", "middle_name", "nickname", "profile", "website",
    "gender", "birthdate", "zoneinfo", "locale",
)
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", *PROFILE_FIELDS[:4], "preferred_username", *PROFILE_FIELDS[4:],
                "picture", "updated_at", "username", "created_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
    "custom_data": ("custom_data",),
    "identities": ("identities", "sso_identities"),
    "roles": ("roles",),
}
# Claims of these scopes appear only at userinfo, unless the ID token config enables them
# (Logto's default enables roles and the organization claims).
USERINFO_ONLY = {"custom_data", "identities"}
SCOPES_SUPPORTED = ["openid", "offline_access", *SCOPE_CLAIMS]
CLAIMS_SUPPORTED = sorted({"sub", "sid", "auth_time", "iss", *(c for cs in SCOPE_CLAIMS.values() for c in cs)})


def for_user(user: User, scope: str, *, userinfo: bool) -> dict[str, Any]:
    scopes = set(scope.split())
    values = _all_values(user)
    claims: dict[str, Any] = {"sub": user.id}
    for name, names in SCOPE_CLAIMS.items():
        if name not in scopes or (name in USERINFO_ONLY and not userinfo):
            continue
        for claim in names:
            if claim in values:
                claims[claim] = values[claim]
    return claims


def _all_values(user: User) -> dict[str, Any]:
    profile = user.profile or {}
    values: dict[str, Any] = {
        "name": user.name,
        "picture": user.avatar,
        "username": user.username,
        "preferred_username": profile.get("preferredUsername", user.username),
        "created_at": int(user.created_at.timestamp() * 1000),
        "updated_at": int(user.updated_at.timestamp() * 1000),
        "email": user.primary_email,
        "email_verified": bool(user.primary_email),
        "phone_number": None,
        "phone_number_verified": False,
        "custom_data": user.custom_data or {},
        "identities": {},
        "sso_identities": [],
        "roles": [],
    }
    camel = {"familyName": "family_name", "givenName": "given_name", "middleName": "middle_name"}
    for key, value in profile.items():
        claim = camel.get(key, key)
        if claim in PROFILE_FIELDS or claim == "address":
            values[claim] = value
    return values
