"""The identifiers people sign in with, and their one canonical form.

Everything keyed by an identifier uses `key()`: the user lookup, the unique column of users,
the failure budget and lockout, the send limit, stored codes and the development outbox. An
identifier is checked before it is keyed, so no spelling of an account reaches a key of its own:

* An email address is exactly one plain ASCII address (a stricter rule than Logto's
  `^\\S+@\\S+\\.\\S+$`, which also refuses surrounding whitespace). Addresses are compared
  without case, as Logto does, so the key is the address lower-cased.
* A username follows Logto's rule, `^[A-Z_a-z]\\w*$` with ASCII `\\w`, up to 128 characters, and
  is compared exactly (Logto's default username policy is case-sensitive): it is its own key.

Anything else (whitespace of any kind, look-alike or control characters, lists, display names)
is refused with Logto's 400 `guard.invalid_input`, never trimmed or folded into a fresh key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from idp.errors import RequestError

EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
USERNAME = re.compile(r"[A-Z_a-z][A-Za-z0-9_]{0,127}")
MAX_EMAIL = 256


@dataclass(frozen=True)
class Identifier:
    """An identifier from a request, checked."""

    kind: str  # "email" or "username"
    value: str  # as given (checked)
    key: str  # the canonical form


def email(value: Any) -> str:
    """The address as given, once it is exactly one plain address."""
    if not isinstance(value, str) or len(value) > MAX_EMAIL or not EMAIL.fullmatch(value):
        raise RequestError("guard.invalid_input", "The email address is invalid.", 400)
    return value


def username(value: Any) -> str:
    if not isinstance(value, str) or not USERNAME.fullmatch(value):
        raise RequestError("guard.invalid_input", "The username must start with a letter or _ and contain only "
                           "letters, digits and _ (at most 128).", 400)
    return value


def email_key(value: Any) -> str:
    return email(value).lower()


def key(kind: str, value: Any) -> str:
    """The canonical form of an identifier of `kind`: "email" or "username"."""
    if kind == "email":
        return email_key(value)
    if kind == "username":
        return username(value)
    raise ValueError(f"unknown identifier kind {kind!r}")


def parse(kind: str, value: Any) -> Identifier:
    return Identifier(kind, value, key(kind, value))
