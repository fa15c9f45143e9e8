"""Choosing the sender for a message: the active connector, else the outbox in development mode."""

from __future__ import annotations

import logging
from typing import Any

from idp.errors import RequestError
from idp.mail import EmailSender, Message, SenderEnvironment, factory
from idp.store import configs

log = logging.getLogger("idp.mail")
ACTIVE_KEY = "connector.email"


def environment(services: Any) -> SenderEnvironment:
    return SenderEnvironment(settings=services.settings, sessions=services.sessions, now=services.clock.now)


def active_name(db: Any) -> str | None:
    active = configs.get(db, ACTIVE_KEY)
    return active["name"] if active else None


def active_sender(services: Any) -> EmailSender:
    with services.sessions.begin() as db:
        active = configs.get(db, ACTIVE_KEY)
    if active:
        return factory(active["name"])(active["config"], environment(services))
    if services.settings.dev:
        return factory("outbox")({}, environment(services))
    raise RequestError("connector.not_found", "No email connector is configured.", 501)


def send(services: Any, message: Message) -> None:
    """Deliver one message through the active sender (blocking; call it off the event loop)."""
    active_sender(services).send(message)
    log.info("sent a %s message", message.type)
