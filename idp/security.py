"""Random identifiers, hashing of codes and tokens, and password hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

LOWER_DIGITS = string.ascii_lowercase + string.digits
ALPHANUMERIC = string.ascii_letters + string.digits

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
PASSWORDS = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


@cache
def decoy_hash() -> str:
    """Verified against when the user does not exist, so that both cases cost the same."""
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def random_string(length: int, alphabet: str = LOWER_DIGITS) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def app_id() -> str:
    """Logto's application id: 21 characters of [0-9a-z]."""
    return random_string(21)


def app_secret() -> str:
    """Logto's application secret: 32 characters of [0-9a-zA-Z]."""
    return random_string(32, ALPHANUMERIC)


def user_id() -> str:
    """Logto's user id: 12 characters of [0-9a-z]."""
    return random_string(12)


def opaque_token() -> str:
    """A bearer value with 256 bits of entropy (43 URL-safe characters, no dots)."""
    return secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Verify a password; an absent hash still costs one argon2 verification."""
    try:
        return PASSWORDS.verify(stored_hash or decoy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
