"""The active email connector (one at a time, as in Logto) and the config guards senders share.

It is stored in the `configs` table under `connector.email` as `{"name": ..., "config": {...}}`,
where `name` is an entry point of the `idp.email_senders` group.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from idp import mail
from idp.errors import RequestError
from idp.mail import MASK, EmailSender, SendError, SenderEnvironment
from idp.models import Config
from idp.store import configs

KEY = "connector.email"
SECRET_FIELDS = ("accessKeySecret", "password", "authorization")


def set_active(db: Session, name: str, config: Any) -> dict[str, Any]:
    """Validate `config` with the sender's own `validate`, then make it the active connector."""
    stored = {"name": name, "config": validate(name, config)}
    configs.put(db, KEY, stored)
    return stored


def get_active(db: Session) -> dict[str, Any] | None:
    return configs.get(db, KEY)


def remove(db: Session) -> bool:
    """Forget the active connector; False when there was none."""
    row = db.get(Config, KEY)
    if row is None:
        return False
    db.delete(row)
    return True


def sender_for(db: Session, env: SenderEnvironment) -> EmailSender | None:
    """The active connector's sender, or None when no email connector is set."""
    active = get_active(db)
    if active is None:
        return None
    return load(active["name"])(active["config"], env)


def validate(name: str, config: Any) -> dict[str, Any]:
    """The config as the sender named `name` accepts it (senders without `validate` take any object)."""
    create = load(name)
    check = getattr(inspect.getmodule(create), "validate", None)
    if check is not None:
        return check(config)
    if not isinstance(config, dict):
        raise invalid_config("Expected object")
    return config


def load(name: str) -> Any:
    """The factory registered as `name`; a broken installation reads as `connector.not_found`."""
    try:
        return mail.factory(name)
    except ImportError:
        raise RequestError("connector.not_found", f"The email connector {name!r} cannot be loaded.", 404) from None


def masked(config: Any) -> Any:
    """`config` with every secret value replaced by `******`, at any depth."""
    if isinstance(config, dict):
        return {key: MASK if key in SECRET_FIELDS and value is not None else masked(value)
                for key, value in config.items()}
    if isinstance(config, list):
        return [masked(item) for item in config]
    return config


def invalid_config(message: str) -> SendError:
    return SendError("connector.invalid_config", message, 400)


def require_object(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise invalid_config("Expected object")
    return config


def string_field(config: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """`config[key]` as a string (zod `z.string()`), None when optional and absent."""
    value = config.get(key)
    if value is None and not required:
        return None
    if value is None:
        raise invalid_config(f"{key}: Required")
    if not isinstance(value, str):
        raise invalid_config(f"{key}: Expected string")
    return value


def url_field(config: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """`config[key]` as an absolute http(s) URL."""
    value = string_field(config, key, required=required)
    if value is not None:
        try:
            parts = urlsplit(value)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid:
            raise invalid_config(f"{key}: Invalid url")
    return value


def choice_field(config: dict[str, Any], key: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = config.get(key, default)
    if value is None and default is None:
        return None
    if value not in choices:
        expected = " | ".join(f"'{choice}'" for choice in choices)
        raise invalid_config(f"{key}: Invalid enum value. Expected {expected}, received '{value}'")
    return value


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
