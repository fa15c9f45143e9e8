"""First-start work: schema migrations, a signing key, server secrets, the demo app."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy import make_url, select, update
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
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


class NoDatabase(Exception):
    """The settings point at no idp database; the message says how to point at the right one."""


def require_database(settings: Settings) -> None:
    """Refuse to go on (rather than create an empty database) when the settings' database does
    not exist or holds no idp schema: the usual cause is a command run from another folder."""
    url = settings.database_url
    sqlite_file = sqlite_path(url)
    try:
        found = (sqlite_file is None or sqlite_file.is_file()) and db.has_schema(url)
    except SQLAlchemyError as error:
        reason = str(error.orig if isinstance(error, DBAPIError) else error).strip().splitlines()[0]
        raise NoDatabase(f"cannot reach the database at {shown_url(url)} ({reason}): check IDP_DATABASE_URL "
                         "and that the database server is running") from None
    if not found:
        raise NoDatabase(
            f"no idp database at {shown_url(url)}: set IDP_DATABASE_URL (or IDP_DATA_DIR) to the one `idp serve` "
            f"uses, or run this from the folder `idp serve` runs in; `idp migrate` or `idp serve` creates a new one")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The database URL as it is safe to print: no password, SQLite files as absolute paths."""
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None:
        return f"sqlite:///{sqlite_file.resolve()}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid database URL)"


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
    redirect_uris = [f"{settings.endpoint}/demo-app/callback"]
    post_logout_redirect_uris = [f"{settings.endpoint}/demo-app"]
    saved = configs.get(tx, "demo_app")
    existing = apps.get(tx, saved["id"]) if saved else None
    if saved and existing:
        if existing.redirect_uris != redirect_uris:  # the endpoint changed since the last start
            apps.update(existing, name=existing.name, redirect_uris=redirect_uris,
                        post_logout_redirect_uris=post_logout_redirect_uris)
        return saved
    app, secret = apps.create(
        tx, name="Demo", type="traditional", redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris, now=datetime.now(timezone.utc),
    )
    saved = {"id": app.id, "secret": secret}
    configs.put(tx, "demo_app", saved)
    return saved
