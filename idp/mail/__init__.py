"""Email senders: Logto's message shape, one small class per way of delivering it.

A sender is registered under the entry-point group `idp.email_senders` (see pyproject.toml):
the entry point names a factory `factory(config: dict, env: SenderEnvironment) -> EmailSender`.
A third-party package adds a sender by declaring its own entry point in that group.

    class EmailSender(Protocol):
        def send(self, message: Message) -> None: ...

`send` delivers exactly one message to exactly one recipient, or raises `SendError` (a
Logto-shaped `RequestError`, e.g. `connector.general`). It never logs the message body or the
code, and returns within a bounded time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Callable, Protocol
from urllib.parse import quote, quote_plus

from sqlalchemy.orm import sessionmaker

from idp.errors import RequestError
from idp.settings import Settings

GROUP = "idp.email_senders"
MASK = "******"
# Logto's TemplateType values.
TEMPLATE_TYPES = (
    "SignIn", "Register", "ForgotPassword", "OrganizationInvitation", "Generic",
    "UserPermissionValidation", "BindNewIdentifier", "MfaVerification", "BindMfa",
)


@dataclass(frozen=True)
class Message:
    """Logto's SendMessageData: `to`, the template type, and a payload with `code` (and `locale`)."""

    to: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)


class EmailSender(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class SenderEnvironment:
    """What a sender factory may use: settings, the database, and the clock."""

    settings: Settings
    sessions: sessionmaker
    now: Callable[[], datetime]


class SendError(RequestError):
    """A sender could not deliver; carries Logto's connector error code."""


def factory(name: str) -> Callable[[dict[str, Any], SenderEnvironment], EmailSender]:
    """The factory registered as `name` in the `idp.email_senders` entry-point group."""
    for entry in entry_points(group=GROUP):
        if entry.name == name:
            return entry.load()
    raise RequestError("connector.not_found", f"No email connector named {name!r} is installed.", 404)


def names() -> list[str]:
    return sorted(entry.name for entry in entry_points(group=GROUP))


def scrub(text: str, *secrets: object) -> str:
    """`text` without any of `secrets` (a password, a code), in case a service echoes what it was
    sent: each as sent, JSON- or URL-encoded, and an `Authorization` value's credential alone."""
    forms = {form for secret in secrets if secret for form in encodings(str(secret))}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def encodings(secret: str) -> set[str]:
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    scheme, _, credential = secret.partition(" ")
    if credential.strip():
        forms |= encodings(credential.strip())
    return forms
