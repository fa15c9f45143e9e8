"""The README's "Connect your app" snippets, as the tests run them.

A snippet sits in a fenced block right after `<!-- connect:NAME -->`. Its placeholders are the
values a reader replaces: the default endpoint, `<app id>`, `<app secret>` and `<random secret>`.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
DEFAULT_ENDPOINT = "http://localhost:3001"
DEFAULT_APP = "http://localhost:3000"


def snippet(name: str) -> str:
    found = re.search(rf"<!-- connect:{re.escape(name)} -->\s*```\w*\n(.*?)```", README.read_text(), re.S)
    assert found, f"the README has no {name} snippet"
    return found.group(1)


def filled(name: str, *, endpoint: str, app: dict, app_url: str = DEFAULT_APP, secret: str = "") -> str:
    """The snippet with the reader's values in place of the placeholders."""
    text = snippet(name)
    for placeholder, value in ((DEFAULT_ENDPOINT, endpoint), (DEFAULT_APP, app_url), ("<app id>", app["id"]),
                               ("<app secret>", app.get("secret") or ""), ("<random secret>", secret)):
        text = text.replace(placeholder, value)
    return text


def env_lines(text: str) -> dict[str, str]:
    """`NAME=value` lines (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}
