"""Typed input for the Management API: the JSON body, its fields, path ids.

Every failure is Logto's `guard.invalid_input` (400). Values that the database or the JSON
encoder would choke on (NUL characters, lone surrogates, NaN, deep nesting) are refused here,
so that bad input is a 400 and never a 500.
"""

from __future__ import annotations

from typing import Any

from idp.errors import RequestError, invalid_input, not_found
from idp.web.json_body import check_text

MAX_ID = 64
ESCAPE = "\\"  # of LIKE patterns (PostgreSQL's default)


class _Missing:
    """An absent field (unlike null); false in conditions."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def entity_id(value: str) -> str:
    """A path id; one no stored row could have is simply not found."""
    if not value or len(value) > MAX_ID or "\x00" in value:
        raise not_found()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise not_found() from None
    return value


def text(body: dict[str, Any], key: str, *, max_length: int = 256, required: bool = False,
         nullable: bool = False, min_length: int = 1) -> Any:
    """`body[key]` as a string (None when nullable and null); MISSING when absent and optional."""
    if key not in body:
        if required:
            raise invalid_input(f"{key} is required.")
        return MISSING
    value = body[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid_input(f"{key} must be a string.")
    if "\x00" in value:
        raise invalid_input(f"{key} must not contain NUL characters.")
    if not min_length <= len(value) <= max_length:
        raise invalid_input(f"{key} must have {min_length} to {max_length} characters.")
    return value


def boolean(body: dict[str, Any], key: str, *, required: bool = False) -> Any:
    if key not in body:
        if required:
            raise invalid_input(f"{key} is required.")
        return MISSING
    if not isinstance(body[key], bool):
        raise invalid_input(f"{key} must be a boolean.")
    return body[key]


def integer(body: dict[str, Any], key: str, *, minimum: int, maximum: int) -> Any:
    if key not in body:
        return MISSING
    value = body[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise invalid_input(f"{key} must be an integer from {minimum} to {maximum}.")
    return value


def json_object(body: dict[str, Any], key: str, *, required: bool = False) -> Any:
    if key not in body:
        if required:
            raise invalid_input(f"{key} is required.")
        return MISSING
    if not isinstance(body[key], dict):
        raise invalid_input(f"{key} must be a JSON object.")
    return body[key]


def string_list(body: dict[str, Any], key: str, *, max_items: int = 50, max_length: int = 2048) -> Any:
    if key not in body:
        return MISSING
    value = body[key]
    if not isinstance(value, list) or len(value) > max_items:
        raise invalid_input(f"{key} must be a list of at most {max_items} strings.")
    for item in value:
        if not isinstance(item, str) or not 1 <= len(item) <= max_length or "\x00" in item:
            raise invalid_input(f"Each of {key} must be a string of 1 to {max_length} characters.")
    return value


def search_value(value: str) -> str:
    """A search pattern from the query string: bounded, without NUL characters."""
    if "\x00" in value or len(value) > 256:
        raise request_invalid("Search values have at most 256 characters and no NUL characters.")
    check_text(value)
    return value


def like_pattern(value: str) -> str:
    """A search value as a LIKE pattern escaped by `ESCAPE`, read as PostgreSQL reads one: every
    backslash escapes exactly one of `%`, `_` or itself afterwards, so that both databases read it
    alike and PostgreSQL never meets a dangling escape (a lone one at the end stands for itself)."""
    pattern: list[str] = []
    escaped = False
    for character in value:
        if escaped:
            pattern.append(ESCAPE + character if character in "%_\\" else character)
            escaped = False
        elif character == ESCAPE:
            escaped = True
        else:
            pattern.append(character)
    if escaped:
        pattern.append(ESCAPE + ESCAPE)
    return "".join(pattern)


def present(value: Any) -> bool:
    return value is not MISSING


def request_invalid(message: str) -> RequestError:
    """Logto's answer to a malformed query (search, filters)."""
    return RequestError("request.invalid_input", f"Input is invalid. {message}", 400)
