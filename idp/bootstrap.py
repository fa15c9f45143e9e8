"""First-start work: schema migrations, a signing key, server secrets, the demo app."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from idp import db, keys
from idp.db import make_engine, make_sessionmaker
from idp.settings import Settings
from idp.store import apps, configs

SECRETS = ("csrf", "codes")


def prepare(settings: Settings) -> None:
    """Apply pending migrations, then create what a first start needs."""
    db.upgrade(settings.database_url)
    with session(settings) as tx:
        now = datetime.now(timezone.utc)
        keys.ensure(tx, now)
        for name in SECRETS:
            configs.secret(tx, name)


def session(settings: Settings) -> Any:
    engine = make_engine(settings.database_url)
    return make_sessionmaker(engine).begin()


def demo_app(tx: Session, settings: Settings) -> dict[str, Any]:
    """The built-in demo application; its secret is kept so that every start can print it."""
    saved = configs.get(tx, "demo_app")
    if saved and apps.get(tx, saved["id"]):
        return saved
    app, secret = apps.create(
        tx, name="Demo", type="traditional", redirect_uris=[f"{settings.endpoint}/demo-app/callback"],
        post_logout_redirect_uris=[f"{settings.endpoint}/demo-app"], now=datetime.now(timezone.utc),
    )
    saved = {"id": app.id, "secret": secret}
    configs.put(tx, "demo_app", saved)
    return saved
