"""Applications (OAuth clients) of Logto's four types."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp import security
from idp.errors import RequestError
from idp.models import Application

TYPES = {
    "traditional": "Traditional",
    "spa": "SPA",
    "native": "Native",
    "m2m": "MachineToMachine",
}
CONFIDENTIAL = {"Traditional", "MachineToMachine"}


def get(db: Session, app_id: str | None) -> Application | None:
    # Ids come from requests: anything that cannot be an id is unknown, never a database error.
    if not app_id or len(app_id) > 64 or not app_id.isascii() or not app_id.isprintable():
        return None
    return db.get(Application, app_id)


def list_all(db: Session) -> list[Application]:
    return list(db.scalars(select(Application).order_by(Application.created_at)))


def create(
    db: Session,
    *,
    name: str,
    type: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    now: datetime,
    app_id: str | None = None,
    secret: str | None = None,
    id_token_alg: str = "ES384",
    management_api: bool = False,
) -> tuple[Application, str | None]:
    """Register an application; returns it with its plain secret (confidential types only)."""
    kind = TYPES.get(type.lower(), type)
    if kind not in TYPES.values():
        raise RequestError("guard.invalid_input", f"Unknown application type {type!r}.")
    for uri in [*redirect_uris, *post_logout_redirect_uris]:
        check_registered_uri(uri)
    if kind == "MachineToMachine" and redirect_uris:
        raise RequestError("guard.invalid_input", "Machine-to-machine apps have no redirect URIs.")
    if id_token_alg not in ("ES384", "RS256"):
        raise RequestError("guard.invalid_input", "id_token_alg must be ES384 or RS256.")
    if kind in CONFIDENTIAL:
        secret = secret or security.app_secret()
    else:
        secret = None
    app = Application(
        id=app_id or security.app_id(),
        name=name,
        type=kind,
        secret_hash=security.sha256(secret) if secret else None,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_redirect_uris),
        id_token_alg=id_token_alg,
        created_at=now,
    )
    grant_management_api(app, management_api)
    db.add(app)
    return app, secret


def grant_management_api(app: Application, granted: bool) -> None:
    """Give or take Logto's "Logto Management API access" role; only machine-to-machine apps hold it."""
    if granted and app.type != "MachineToMachine":
        raise RequestError("application.invalid_type",
                           "Only machine to machine applications can have associated roles.", 422)
    app.management_api = granted


def update(app: Application, *, name: str, redirect_uris: list[str], post_logout_redirect_uris: list[str],
           secret: str | None = None) -> Application:
    for uri in [*redirect_uris, *post_logout_redirect_uris]:
        check_registered_uri(uri)
    app.name = name
    app.redirect_uris = list(redirect_uris)
    app.post_logout_redirect_uris = list(post_logout_redirect_uris)
    if secret and app.type in CONFIDENTIAL:
        app.secret_hash = security.sha256(secret)
    return app


def check_registered_uri(uri: str) -> None:
    """Refuse what exact matching cannot make safe: fragments, user info, wildcards."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise RequestError("application.invalid_redirect_uri", f"Redirect URI {uri!r} is not a valid URI.") from None
    problem = None
    if not parts.scheme or not (parts.netloc or parts.scheme not in ("http", "https")):
        problem = "must be an absolute URI"
    elif "#" in uri:
        problem = "must not contain a fragment"
    elif "@" in parts.netloc:
        problem = "must not contain user information"
    elif "*" in uri:
        problem = "must not contain wildcards"
    elif any(ch.isspace() or ord(ch) < 32 for ch in uri):
        problem = "must not contain whitespace or control characters"
    elif parts.scheme.lower() in ("javascript", "data", "vbscript"):
        problem = "uses a forbidden scheme"
    if problem:
        raise RequestError("application.invalid_redirect_uri", f"Redirect URI {uri!r} {problem}.")


def to_json(app: Application, secret: str | None = None) -> dict:
    out = {
        "id": app.id,
        "name": app.name,
        "type": app.type,
        "redirect_uris": app.redirect_uris,
        "post_logout_redirect_uris": app.post_logout_redirect_uris,
        "id_token_alg": app.id_token_alg,
    }
    if app.type == "MachineToMachine":
        out["management_api"] = app.management_api
    if secret:
        out["secret"] = secret
    return out
