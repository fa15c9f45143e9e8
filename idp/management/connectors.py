"""`/api/connectors`: the one active email connector, in Logto's connector shape.

A connector is known by Logto's factory id (`aliyun-direct-mail`, `simple-mail-transfer-protocol`,
`http-email`) or by its idp sender name (`aliyun-dm`, `smtp`, `http`, or a third-party entry
point); its `id` is the factory id. Secrets are always masked in answers; a PATCH that sends a
masked value back keeps the stored secret. Creating an email connector replaces the active one,
as Logto does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from idp.errors import invalid_input, not_found
from idp import identifiers
from idp.mail import EmailSender, Message, delivery
from idp.mail import connectors as mail_connectors
from idp.mail.templates import code_warning
from idp.management import fields
from idp.management.call import Call, Reply
from idp.management.fields import MISSING
from idp.services import Context

log = logging.getLogger("idp.management")
FACTORY_IDS = {"aliyun-dm": "aliyun-direct-mail", "smtp": "simple-mail-transfer-protocol", "http": "http-email"}
SENDER_NAMES = {factory: name for name, factory in FACTORY_IDS.items()}
DISPLAY_NAMES = {"aliyun-dm": "Aliyun Direct Mail", "smtp": "SMTP", "http": "HTTP email",
                 "outbox": "Development outbox"}


def list_connectors(ctx: Context, call: Call) -> list[dict[str, Any]]:
    active = mail_connectors.get_active(ctx.db)
    return [to_json(active)] if active else []


def get_connector(ctx: Context, call: Call) -> dict[str, Any]:
    return to_json(find(ctx, call))


def create_connector(ctx: Context, call: Call) -> Reply:
    connector_id = fields.text(call.body, "connectorId", required=True, max_length=128)
    config = fields.json_object(call.body, "config")
    check_extras(call.body)
    return saved(activate(ctx, SENDER_NAMES.get(connector_id, connector_id), {} if config is MISSING else config))


def update_connector(ctx: Context, call: Call) -> Reply:
    active = find(ctx, call)
    config = fields.json_object(call.body, "config")
    check_extras(call.body)
    if config is MISSING:
        return Reply(to_json(active))
    return saved(activate(ctx, active["name"], unmask(config, active["config"])))


def saved(stored: dict[str, Any]) -> Reply:
    """The stored connector; templates without `{{code}}` add a `Warning` header (and a log line)."""
    warning = code_warning(stored["config"].get("templates"))
    if warning is None:
        return Reply(to_json(stored))
    log.warning("Warning: %s.", warning)
    return Reply(to_json(stored), headers={"Warning": f'299 idp "{warning}"'})


def activate(ctx: Context, name: str, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return mail_connectors.set_active(ctx.db, name, config)
    except ValueError:  # urlsplit refuses some malformed URLs (e.g. "http://[::1") before a sender can
        raise mail_connectors.invalid_config("A URL in the config is malformed.") from None


@dataclass(frozen=True)
class TestSend:
    sender: EmailSender
    message: Message


def test_sender(ctx: Context, call: Call) -> TestSend:
    """`POST /api/connectors/{factoryId}/test`: the sender for the config given (masked secrets of
    the active connector's own config read as stored) and Logto's test message, the dummy code
    000000 with the Generic template. Sent by the caller after the transaction; a failure
    answers the service's words, for the administrator testing it."""
    name = SENDER_NAMES.get(call.param("factoryId"), call.param("factoryId"))
    email = fields.text(call.body, "email", max_length=256)
    if email is MISSING:
        raise invalid_input("email is required (idp tests email connectors only).")
    config = fields.json_object(call.body, "config", required=True)
    locale = fields.text(call.body, "locale", max_length=32)
    active = mail_connectors.get_active(ctx.db)
    if active is not None and active["name"] == name:
        config = unmask(config, active["config"])
    factory = mail_connectors.load(name)  # an unknown one is connector.not_found before the config is judged
    try:
        validated = mail_connectors.validate(name, mail_connectors.resolved(config))
    except ValueError:  # as in `activate`
        raise mail_connectors.invalid_config("A URL in the config is malformed.") from None
    sender = factory(validated, delivery.environment(ctx.services))
    payload = {"code": "000000", **({} if locale is MISSING else {"locale": locale})}
    return TestSend(sender, Message(to=identifiers.email(email), type="Generic", payload=payload))


def delete_connector(ctx: Context, call: Call) -> None:
    find(ctx, call)
    mail_connectors.remove(ctx.db)


def find(ctx: Context, call: Call) -> dict[str, Any]:
    active = mail_connectors.get_active(ctx.db)
    if active is None or connector_id(active["name"]) != call.param("id"):
        raise not_found()
    return active


def check_extras(body: dict[str, Any]) -> None:
    """`metadata` and `syncProfile` concern social connectors; they are accepted and unused."""
    fields.json_object(body, "metadata")
    fields.boolean(body, "syncProfile")
    fields.text(body, "id", nullable=True, max_length=128)


def unmask(config: Any, stored: Any) -> Any:
    """`config` with each masked secret replaced by the stored value at the same place."""
    if not isinstance(config, dict) or not isinstance(stored, dict):
        return config
    result = {}
    for key, value in config.items():
        if key in mail_connectors.SECRET_FIELDS and value == mail_connectors.MASK and key in stored:
            result[key] = stored[key]
        else:
            result[key] = unmask(value, stored.get(key))
    return result


def connector_id(name: str) -> str:
    return FACTORY_IDS.get(name, name)


def to_json(stored: dict[str, Any]) -> dict[str, Any]:
    name = stored["name"]
    return {
        "id": connector_id(name),
        "connectorId": connector_id(name),
        "type": "Email",
        "platform": None,
        "name": {"en": DISPLAY_NAMES.get(name, name)},
        "config": mail_connectors.masked(stored["config"]),
        "metadata": {},
        "syncProfile": False,
        "isStandard": False,
        "isDemo": False,
    }
