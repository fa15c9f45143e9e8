"""The development outbox: messages are kept in the database instead of being delivered.

Tests and local demos read them at `GET /api/dev/outbox`. It is the default sender in
development mode, and idp warns loudly at startup while it is in use.
"""

from __future__ import annotations

from typing import Any

from idp import identifiers
from idp.mail import Message, SenderEnvironment
from idp.models import OutboxMessage
from idp.web import i18n


class OutboxSender:
    def __init__(self, env: SenderEnvironment) -> None:
        self.env = env

    def send(self, message: Message) -> None:
        """Keep the message, written in its `locale` (the hosted pages' languages; else English)."""
        code = message.payload.get("code")
        locale = message.payload.get("locale")
        t = i18n.Translator(i18n.negotiate(locale if isinstance(locale, str) else None, None))
        subject_key = f"email.subject.{message.type}"
        subject = t(subject_key if t.lookup("text", subject_key) else "email.subject.Generic")
        content = t("email.content", code=code, minutes=self.env.settings.verification_code_ttl // 60)
        with self.env.sessions.begin() as db:
            db.add(OutboxMessage(to=message.to, to_key=identifiers.email_key(message.to), type=message.type,
                                 subject=subject, content=content, code=code, created_at=self.env.now()))


def create(config: dict[str, Any], env: SenderEnvironment) -> OutboxSender:
    return OutboxSender(env)


def validate(config: dict[str, Any]) -> dict[str, Any]:
    return {}
