"""The sign-in experience configuration, in Logto's shape, and the rules it imposes.

idp's default is the setup of a team following Logto's Aliyun Direct Mail guide: email is the
sign-up identifier with verification forced and the password optional; users sign in by email
with a verification code or a password.
"""

from __future__ import annotations

import copy
from typing import Any

from idp.errors import RequestError
from idp.store import configs

KEY = "sign_in_experience"
IDENTIFIERS = ("email", "username", "phone")
MODES = ("SignIn", "Register", "SignInAndRegister")
DEFAULT: dict[str, Any] = {
    "signUp": {"identifiers": ["email"], "password": False, "verify": True},
    "signIn": {"methods": [
        {"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": False},
    ]},
    "signInMode": "SignInAndRegister",
}


def load(db: Any) -> dict[str, Any]:
    return configs.get(db, KEY) or copy.deepcopy(DEFAULT)


def save(db: Any, document: Any) -> dict[str, Any]:
    """Validate a document in Logto's shape (missing parts keep their current values) and store it."""
    if not isinstance(document, dict):
        raise invalid("The sign-in experience must be a JSON object.")
    merged = {**load(db), **{k: v for k, v in document.items() if k in DEFAULT}}
    check(merged)
    configs.put(db, KEY, merged)
    return merged


def check(document: dict[str, Any]) -> None:
    sign_up, sign_in, mode = document["signUp"], document["signIn"], document["signInMode"]
    if mode not in MODES:
        raise invalid(f"signInMode must be one of {', '.join(MODES)}.")
    identifiers = sign_up.get("identifiers", []) if isinstance(sign_up, dict) else None
    if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers) \
            or not set(identifiers) <= set(IDENTIFIERS) \
            or not isinstance(sign_up.get("password"), bool) or not isinstance(sign_up.get("verify"), bool):
        raise invalid("signUp must be {identifiers: [email|username|phone], password: bool, verify: bool}.")
    methods = sign_in.get("methods") if isinstance(sign_in, dict) else None
    if not isinstance(methods, list):
        raise invalid("signIn.methods must be a list.")
    for method in methods:
        if not isinstance(method, dict) or method.get("identifier") not in IDENTIFIERS or not all(
                isinstance(method.get(flag), bool) for flag in ("password", "verificationCode", "isPasswordPrimary")):
            raise invalid("Each signIn method is {identifier, password, verificationCode, isPasswordPrimary}.")


def invalid(message: str) -> RequestError:
    return RequestError("sign_in_experiences.invalid_input", message, 400)


def method(document: dict[str, Any], identifier: str) -> dict[str, Any] | None:
    return next((m for m in document["signIn"]["methods"] if m["identifier"] == identifier), None)


def require_sign_in_method(document: dict[str, Any], identifier: str, factor: str) -> None:
    """`factor` is "password" or "verificationCode"."""
    found = method(document, identifier)
    if found is None or not found[factor]:
        raise RequestError("user.sign_in_method_not_enabled", "This sign-in method is not enabled.", 422)


def require_event_allowed(document: dict[str, Any], event: str) -> None:
    mode = document["signInMode"]
    if (event == "SignIn" and mode == "Register") or (event == "Register" and mode == "SignIn"):
        raise RequestError("auth.forbidden", "Forbidden.", 403)


def registration_open(document: dict[str, Any]) -> bool:
    return document["signInMode"] != "SignIn"
