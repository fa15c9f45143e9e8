"""Logto's default password policy: 8–256 characters, no common, repetitive or personal passwords.

Logto checks breached passwords online (Have I Been Pwned); idp works offline, so it checks a
built-in list of common passwords instead.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from idp.errors import RequestError

MIN_LENGTH = 8
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check(password: object, personal: tuple[str | None, ...] = ()) -> str:
    """Return the password if the policy accepts it; otherwise raise `password.rejected` (422)."""
    if not isinstance(password, str):
        raise RequestError("guard.invalid_input", "password must be a string.")
    problems = [problem for rule in RULES if (problem := rule(password, personal))]
    if problems:
        raise RequestError("password.rejected", "Password rejected: " + " ".join(problems), 422,
                           result=problems)
    return password


def too_short_or_long(password: str, personal: tuple[str | None, ...]) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password must have at most {MAX_LENGTH} characters."
    return None


def common(password: str, personal: tuple[str | None, ...]) -> str | None:
    return "The password is too common." if password.lower() in common_passwords() else None


def repetitive(password: str, personal: tuple[str | None, ...]) -> str | None:
    lowered = password.lower()
    if len(set(lowered)) <= 2 or is_sequence(lowered):
        return "The password must not be a repetition or a sequence of characters."
    return None


def is_sequence(value: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(value, value[1:])}
    return len(steps) == 1 and steps <= {1, -1} and all(ch in string.ascii_lowercase + string.digits for ch in value)


def personal_info(password: str, personal: tuple[str | None, ...]) -> str | None:
    lowered = password.lower()
    for value in personal:
        part = (value or "").split("@")[0].lower()
        if len(part) >= 4 and part in lowered:
            return "The password must not contain personal information."
    return None


RULES = (too_short_or_long, common, repetitive, personal_info)
