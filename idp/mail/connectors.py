"""The active email connector (one at a time, as in Logto) and the config guards senders share.

It is stored in the `configs` table under `connector.email` as `{"name": ..., "config": {...}}`,
where `name` is an entry point of the `idp.email_senders` group.

A secret field (`SECRET_FIELDS`) may hold a reference to an environment variable instead of the
secret, `{"env": "NAME"}`: it is stored and shown as written, checked when the connector is saved
and read each time a sender is made, so the secret itself never enters the database.
"""

from __future__ import annotations

import inspect
import os
import re
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
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def set_active(db: Session, name: str, config: Any) -> dict[str, Any]:
    """Validate `config` (its environment references resolved) with the sender's own `validate`,
    then make it the active connector, references kept in place of the secrets they name."""
    references = env_references(config)
    validated = validate(name, resolved(config))
    kept = {key: reference for key, reference in references.items() if key in validated}
    stored = {"name": name, "config": {**validated, **kept}}
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
    return load(active["name"])(resolved(active["config"]), env)


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


def env_references(config: Any) -> dict[str, dict[str, str]]:
    """The secret fields of `config` that name an environment variable, by field."""
    if not isinstance(config, dict):
        return {}
    return {key: value for key, value in config.items() if key in SECRET_FIELDS and is_reference(value)}


def is_reference(value: Any) -> bool:
    return isinstance(value, dict) and "env" in value


def resolved(config: Any) -> Any:
    """`config` with each environment reference replaced by the variable's value."""
    references = env_references(config)
    if not references:
        return config
    return {**config, **{key: environment_value(key, reference) for key, reference in references.items()}}


def environment_value(key: str, reference: dict[str, Any]) -> str:
    name = reference["env"]
    if set(reference) != {"env"} or not isinstance(name, str) or not ENV_NAME.fullmatch(name):
        raise invalid_config(f'{key}: Expected a string or {{"env": "NAME"}} naming an environment variable')
    value = os.environ.get(name)
    if not value:
        raise invalid_config(f"{key}: the environment variable {name} is not set")
    return value


def masked(config: Any) -> Any:
    """`config` with every secret value replaced by `******`, at any depth; an environment
    reference is shown as it is, since it is not the secret."""
    if isinstance(config, dict):
        return {key: masked_secret(value) if key in SECRET_FIELDS else masked(value) for key, value in config.items()}
    if isinstance(config, list):
        return [masked(item) for item in config]
    return config


def masked_secret(value: Any) -> Any:
    if value is None or is_reference(value):
        return value
    return MASK


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
