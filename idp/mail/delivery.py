"""Choosing the sender for a message (the active connector, else the outbox in development
mode), and what a failure to deliver tells whom.

Administrators get the service's own words: in the log (without the code) and in the answers of
the Management API and the command line. A person signing in gets Logto's code and status with
a fixed message: a service's answer may echo what it was sent, and it is none of their business.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from idp.errors import RequestError
from idp.mail import EmailSender, Message, SendError, SenderEnvironment, connectors, factory, scrub

log = logging.getLogger("idp.mail")
NOT_SENT = "Error occurred in connector: the message could not be sent."
# What a person signing in reads for each error a sender may raise; anything else reads as the first.
PUBLIC_MESSAGES = {
    "connector.general": NOT_SENT,
    "connector.invalid_response": "The connector's response is invalid.",
    "connector.invalid_config": "The connector's config is invalid.",
    "connector.template_not_found": "Unable to find correct template in connector config.",
    "connector.not_found": "No email connector is configured.",
    "guard.invalid_input": "The recipient must be exactly one email address.",
}


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


def send(services: Any, message: Message, sender: EmailSender | None = None) -> None:
    """Deliver one message through `sender`, by default the active one (blocking; call it off
    the event loop).

    A failure, finding no sender included, is logged with its detail and raised as a
    `RequestError` with that detail, for administrators; `for_person_signing_in` turns it into
    what a person signing in may read.
    """
    try:
        (sender or active_sender(services)).send(message)
    except RequestError as error:
        log.error("a %s message could not be sent: %s", message.type, detail(error, message))
        raise
    except Exception as error:  # a sender's own bug: its type is all that is safe to show
        log.error("a %s message could not be sent: the sender failed with %s", message.type, type(error).__name__)
        raise SendError("connector.general", NOT_SENT, 400) from error
    log.info("sent a %s message", message.type)


def detail(error: RequestError, message: Message) -> str:
    """The error as JSON (one log line whatever the service answered), without the code."""
    said = json.dumps({"code": error.code, "message": error.message, "data": error.data}, default=str)
    return scrub(said, message.payload.get("code"))


def for_person_signing_in(error: RequestError) -> RequestError:
    """Logto's code and status for a failed delivery, with a fixed message and no upstream data."""
    if error.code not in PUBLIC_MESSAGES:
        return RequestError("connector.general", NOT_SENT, 400)
    return RequestError(error.code, PUBLIC_MESSAGES[error.code], error.status)
