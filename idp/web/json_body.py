"""JSON request bodies for every JSON API (Experience, Management, development controls).

Values that the database or the JSON encoder would choke on (lone surrogates, NaN, deep
nesting) are refused as Logto's `guard.invalid_input` (400), so that bad input is never a 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from idp.errors import invalid_input

MAX_BODY = 56 * 1024
MAX_DEPTH = 32
JSON_TYPE = re.compile(r"^application/([\w.+-]+\+)?json\s*(;.*)?$", re.IGNORECASE)


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The body as a JSON object; an empty body reads as `{}`."""
    if not raw:
        return {}
    if not JSON_TYPE.match(content_type or ""):
        raise invalid_input("The request body must be JSON (Content-Type: application/json).")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise invalid_input("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a JSON object.")
    check_json(body)
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json(value: Any, depth: int = 0) -> None:
    """Refuse what cannot be stored and echoed back: deep nesting, NaN/Infinity, unencodable text."""
    if depth > MAX_DEPTH:
        raise invalid_input(f"JSON values may be nested at most {MAX_DEPTH} levels deep.")
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1)
    elif isinstance(value, str):
        check_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise invalid_input("Numbers must be finite.")


def check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_input("Text must be valid Unicode.") from None


