"""The hosted pages' languages: choosing one, and the texts and error messages in it.

Catalogs are JSON files in `locales/`, one per language, with two sections: `text` (page
wording, `{name}` placeholders) and `errors` (Logto error codes; `code:context` entries refine a
code for one field, `prefix.*` entries cover a family, e.g. `connector.*`). A text missing from
a catalog falls back to English; an error code missing everywhere falls back to the error's own
message. Password-policy problems arrive as English sentences and are looked up as-is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from idp.errors import RequestError

LOCALES = Path(__file__).parent / "locales"
SUPPORTED = ("en", "fr", "zh-CN")
DEFAULT = "en"
# Traditional-script Chinese is a different language for readers; it falls through to the next choice.
TRADITIONAL_CHINESE = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def match(tag: str) -> str | None:
    """The supported language a BCP 47 tag asks for, if any (`fr-CA` → `fr`, `zh-Hans` → `zh-CN`)."""
    tag = tag.strip().lower().replace("_", "-")
    if tag == "zh" or tag.startswith("zh-"):
        return None if tag.startswith(TRADITIONAL_CHINESE) else "zh-CN"
    primary = tag.split("-")[0]
    return primary if primary in ("en", "fr") else None


def accept_language(header: str | None) -> list[str]:
    """The tags of an `Accept-Language` header, most wanted first (ties keep their order)."""
    weighted = []
    for position, part in enumerate((header or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = quality_of(params)
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def quality_of(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        return min(max(float(value), 0.0), 1.0)
    except ValueError:
        return 0.0


def negotiate(ui_locales: str | None, accept: str | None) -> str:
    """`ui_locales` from the authorization request first, then the browser's languages, then English."""
    for tag in [*(ui_locales or "").split(), *accept_language(accept)]:
        found = match(tag)
        if found:
            return found
    return DEFAULT


@cache
def catalog(locale: str) -> dict[str, dict[str, Any]]:
    return json.loads((LOCALES / f"{locale}.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ShownError:
    """An error as the page shows it."""

    code: str
    message: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Translator:
    locale: str

    def __call__(self, key: str, **values: Any) -> str:
        text = self.lookup("text", key) or key
        return text.format(**values) if values else text

    def lookup(self, section: str, key: str) -> str | None:
        for locale in (self.locale, DEFAULT):
            found = catalog(locale).get(section, {}).get(key)
            if found is not None:
                return found
        return None

    def error(self, error: RequestError, context: str | None = None) -> ShownError:
        template = self.error_template(error.code, context)
        if template is None:
            return ShownError(error.code, error.message)
        values = {key: value for key, value in error.data.items() if isinstance(value, (str, int))}
        try:
            message = template.format(**values)
        except (KeyError, IndexError, ValueError):
            message = template
        return ShownError(error.code, message, self.details(error))

    def error_template(self, code: str, context: str | None) -> str | None:
        keys = [f"{code}:{context}"] if context else []
        keys.append(code)
        if "." in code:
            keys.append(code.split(".")[0] + ".*")
        for key in keys:
            found = self.lookup("errors", key)
            if found is not None:
                return found
        return None

    def details(self, error: RequestError) -> list[str]:
        if error.code != "password.rejected":
            return []
        problems = error.data.get("result")
        if not isinstance(problems, list):
            return []
        return [self.lookup("password_problems", problem) or problem for problem in problems
                if isinstance(problem, str)]
