"""Choosing the sender for a message: the active connector, else the outbox in development mode."""

from __future__ import annotations

import logging
from typing import Any

from idp.errors import RequestError
from idp.mail import EmailSender, Message, SenderEnvironment, connectors, factory

log = logging.getLogger("idp.mail")


def environment(services: Any) -> SenderEnvironment:
    return SenderEnvironment(settings=services.settings, sessions=services.sessions, now=services.clock.now)


def active_name(db: Any) -> str | None:
    active = connectors.get_active(db)
    return active["name"] if active else None


def active_sender(services: Any) -> EmailSender:
    env = environment(services)
    with services.sessions.begin() as db:
        sender = connectors.sender_for(db, env)
    if sender is not None:
        return sender
    if services.settings.dev:
        return factory("outbox")({}, env)
    raise RequestError("connector.not_found", "No email connector is configured.", 501)


def send(services: Any, message: Message) -> None:
    """Deliver one message through the active sender (blocking; call it off the event loop)."""
    active_sender(services).send(message)
    log.info("sent a %s message", message.type)
