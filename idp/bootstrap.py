"""First-start work: schema migrations, a signing key, server secrets, the demo app."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from idp import db, keys
from idp.db import make_engine, make_sessionmaker
from idp.management.auth import ensure_management_resource
from idp.models import SigningKey
from idp.settings import Settings
from idp.store import apps, configs

SECRETS = ("csrf", "codes")


def prepare(settings: Settings) -> None:
    """Apply pending migrations, then create what a first start needs."""
    db.upgrade(settings.database_url)
    with session(settings) as tx:
        now = datetime.now(timezone.utc)
        if settings.signing_key_file:
            use_key_file(tx, Path(settings.signing_key_file), now)
        keys.ensure(tx, now)
        ensure_management_resource(tx)
        for name in SECRETS:
            configs.secret(tx, name)


def use_key_file(tx: Session, path: Path, now: datetime) -> None:
    """Keep the ES384 signing key stable across restarts (and fresh databases): the key in `path`
    becomes the current one; when the file does not exist yet, the current key is written there."""
    if not path.exists():
        keys.ensure(tx, now)
        current = tx.scalars(select(SigningKey).where(SigningKey.alg == keys.EC_ALG,
                                                      SigningKey.status == "current")).one()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current.private_pem)
        path.chmod(0o600)
        return
    pem = path.read_text()
    kid = keys.compute_kid(ECKey.import_key(pem).as_dict(private=False))
    if tx.get(SigningKey, kid) is None:
        tx.execute(update(SigningKey).where(SigningKey.alg == keys.EC_ALG, SigningKey.status == "current")
                   .values(status="previous"))
        tx.add(SigningKey(kid=kid, alg=keys.EC_ALG, private_pem=pem, status="current", created_at=now))


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
