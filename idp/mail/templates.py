"""What every sender does before delivering: check the recipient, choose a template, fill it in.

Template choice and `{{ key }}` substitution follow Logto's connector-kit (`getConfigTemplateByType`,
`replaceSendMessageHandlebars`); the recipient check is idp's (SECURITY.md §1.8: Aliyun's
`ToAddress` takes a comma-separated list, so a crafted address could copy the code elsewhere).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from idp.mail import TEMPLATE_TYPES, SendError
from idp.mail.connectors import invalid_config

REQUIRED_USAGE_TYPES = ("Register", "SignIn", "ForgotPassword", "Generic")
PLACEHOLDER = re.compile(r"{{\s*([\w.]+)\s*}}")
# Logto's email shape (`^\S+@\S+\.\S+$`) plus no list separators, brackets, quotes or control characters.
ADDRESS = re.compile(r"[^\s@,;:<>()\[\]\\\"]+@[^\s@,;:<>()\[\]\\\"]+\.[^\s@,;:<>()\[\]\\\"]+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_ADDRESS_LENGTH = 254


def check_recipient(to: str) -> str:
    """Return `to` when it is exactly one plain address, else raise `guard.invalid_input`."""
    if (not isinstance(to, str) or len(to) > MAX_ADDRESS_LENGTH or CONTROL_CHARACTERS.search(to)
            or not ADDRESS.fullmatch(to)):
        raise SendError("guard.invalid_input", "The recipient must be exactly one email address.", 400)
    return to


def choose(templates: list[dict[str, Any]], type: str) -> dict[str, Any]:
    """The template for `type`, else the Generic one (Logto's getConfigTemplateByType)."""
    for usage_type in (type, "Generic"):
        for template in templates:
            if template.get("usageType") == usage_type:
                return template
    raise SendError("connector.template_not_found", f"Cannot find template for type: {type}", 400)


def render(text: str, payload: dict[str, Any], *, escape_html: bool = False) -> str:
    """Replace `{{ key }}` and `{{ key.sub }}` whose root key is in `payload`; leave the others."""

    def replace(match: re.Match[str]) -> str:
        path = match.group(1).split(".")
        if path[0] not in payload:
            return match.group(0)
        value = as_text(lookup(payload, path))
        return html.escape(value) if escape_html else value

    return PLACEHOLDER.sub(replace, text)


def render_subject(text: str, payload: dict[str, Any]) -> str:
    """A rendered subject on one line, so that no value can add a header."""
    return " ".join(render(text, payload).splitlines())


def lookup(payload: dict[str, Any], path: list[str]) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def missing_usage_types(templates: list[dict[str, Any]]) -> list[str]:
    present = {template.get("usageType") for template in templates}
    return [usage_type for usage_type in REQUIRED_USAGE_TYPES if usage_type not in present]


def check_templates(templates: Any) -> list[dict[str, str]]:
    """Logto's template-list guard: `{usageType, subject, content}` strings, the four required types present."""
    if not isinstance(templates, list):
        raise invalid_config("templates: Expected array")
    for index, template in enumerate(templates):
        for key in ("usageType", "subject", "content"):
            if not isinstance(template, dict) or not isinstance(template.get(key), str):
                raise invalid_config(f"templates.{index}.{key}: Expected string")
        if template["usageType"] not in TEMPLATE_TYPES:
            raise invalid_config(f"templates.{index}.usageType: unknown usage type {template['usageType']!r}; "
                                 f"expected one of {', '.join(TEMPLATE_TYPES)}")
    missing = missing_usage_types(templates)
    if missing:
        raise invalid_config(f"Template with UsageType ({', '.join(missing)}) should be provided!")
    return [{key: template[key] for key in ("usageType", "subject", "content")} for template in templates]


def has_code(template: dict[str, Any]) -> bool:
    return any(match.group(1) == "code" for match in PLACEHOLDER.finditer(template.get("content", "")))


def code_warning(templates: Any) -> str | None:
    """A warning when some templates' content has no `{{code}}`: their messages would not carry the code."""
    if not isinstance(templates, list):
        return None
    without = [template.get("usageType") for template in templates if isinstance(template, dict)
               and not has_code(template)]
    if not without:
        return None
    return (f"the email template content for {', '.join(map(str, without))} has no {{{{code}}}} placeholder: "
            "those messages will not contain the verification code")
