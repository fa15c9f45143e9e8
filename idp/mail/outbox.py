"""The development outbox: messages are kept in the database instead of being delivered.

Tests and local demos read them at `GET /api/dev/outbox`. It is the default sender in
development mode, and idp warns loudly at startup while it is in use.
"""

from __future__ import annotations

from typing import Any

from idp import identifiers
from idp.mail import Message, SenderEnvironment
from idp.models import OutboxMessage

SUBJECTS = {
    "SignIn": "Your sign-in verification code",
    "Register": "Your registration verification code",
    "ForgotPassword": "Your password reset verification code",
}


class OutboxSender:
    def __init__(self, env: SenderEnvironment) -> None:
        self.env = env

    def send(self, message: Message) -> None:
        code = message.payload.get("code")
        subject = SUBJECTS.get(message.type, "Your verification code")
        content = f"Your verification code is {code}. The code will remain active for 10 minutes."
        with self.env.sessions.begin() as db:
            db.add(OutboxMessage(to=message.to, to_key=identifiers.email_key(message.to), type=message.type,
                                 subject=subject, content=content, code=code, created_at=self.env.now()))


def create(config: dict[str, Any], env: SenderEnvironment) -> OutboxSender:
    return OutboxSender(env)


def validate(config: dict[str, Any]) -> dict[str, Any]:
    return {}
