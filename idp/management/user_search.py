"""Logto's user search query: `search`, `search.<field>`, `mode[.<field>]`, `joint`.

`search=%foo%` matches users whose id, email, username or name is like `%foo%`, ignoring
case; the value is a SQL LIKE pattern, as in Logto, escaped with a backslash as in PostgreSQL (a
backslash before `%`, `_` or a backslash makes it literal; a lone one at the end is literal too).
`search.<field>` narrows to one field, `mode=exact` compares whole values (ignoring case),
`joint=and` requires every search to match. Logto's `similar_to`/`posix` modes and
case-sensitive search are not supported.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, func, or_
from starlette.datastructures import QueryParams

from idp.management.fields import ESCAPE, like_pattern, request_invalid, search_value
from idp.models import User

FIELDS: dict[str, Any] = {
    "id": User.id, "primaryEmail": User.primary_email, "primaryPhone": None,
    "username": User.username, "name": User.name,
}
MODES = ("like", "exact")
JOINTS = ("or", "and")
TRUE_WORDS = ("true", "1", "yes")


def condition(query: QueryParams) -> Any:
    """The SQL condition for the search in `query`, or None when it asks for none."""
    modes: dict[str | None, str] = {}
    values: dict[str | None, list[str]] = {}
    for key, value in query.multi_items():
        head, _, field = key.partition(".")
        if head not in ("search", "mode"):
            continue
        if field and field not in FIELDS:
            raise request_invalid(f"Search field `{field}` is not allowed. Expect one of {', '.join(FIELDS)}.")
        if head == "mode":
            if value not in MODES:
                raise request_invalid(f"Search match mode `{value}` is not valid, expect one of {', '.join(MODES)}.")
            modes[field or None] = value
        else:
            values.setdefault(field or None, []).append(check_value(value))
    if query.get("isCaseSensitive", "false").lower() in TRUE_WORDS:
        raise request_invalid("Case-sensitive search is not supported.")
    clauses = [matches(field, modes.get(field) or modes.get(None) or "like", found)
               for field, found in values.items()]
    if not clauses:
        return None
    return and_(*clauses) if joint(query) == "and" else or_(*clauses)


def check_value(value: str) -> str:
    if not value:
        raise request_invalid("Search value cannot be empty.")
    return search_value(value)


def joint(query: QueryParams) -> str:
    value = query.get("joint") or query.get("jointMode") or "or"
    if value not in JOINTS:
        raise request_invalid(f"Search joint mode `{value}` is not valid, expect one of {', '.join(JOINTS)}.")
    return value


def matches(field: str | None, mode: str, values: list[str]) -> Any:
    if mode == "like" and len(values) != 1:
        raise request_invalid("Only one search value is allowed when search mode is not `exact`.")
    columns = [FIELDS[field]] if field else [column for column in FIELDS.values() if column is not None]
    return or_(*[match(column, mode, values) for column in columns])


def match(column: Any, mode: str, values: list[str]) -> Any:
    if column is None:  # idp stores no phone numbers
        return false()
    if mode == "exact":
        return func.lower(column).in_([value.lower() for value in values])
    return column.ilike(like_pattern(values[0]), escape=ESCAPE)
