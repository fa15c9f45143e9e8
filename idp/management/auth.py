"""Who may call the Management API: a bearer JWT for Logto's management API resource.

As in Logto, a machine-to-machine app gets the token from `/oidc/token` with the
client_credentials grant, `resource=https://default.logto.app/api` and `scope=all`, and the
token carries `all` only when the app holds Logto's "Logto Management API access" role
(`Application.management_api`); no user token is accepted.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy.orm import Session

from idp.errors import RequestError
from idp.models import Resource
from idp.services import Context
from idp.store import apps, resources

MANAGEMENT_API = resources.MANAGEMENT_API
SCOPE_ALL = "all"
ALGORITHMS = ["ES384"]
MAX_TOKEN = 8192
TOKEN_ERRORS = (JoseError, ValueError, TypeError, KeyError)


def ensure_management_resource(db: Session) -> Resource:
    """The management API resource; created on first start so that its tokens can be issued."""
    return resources.by_indicator(db, MANAGEMENT_API) or resources.create(
        db, indicator=MANAGEMENT_API, name="Logto Management API")


def authenticate(ctx: Context, authorization: str | None) -> dict[str, Any]:
    """The verified token claims; 401 without a valid token, 403 without the `all` scope or the role.

    Only machine-to-machine apps qualify: idp has no user roles, so a user's token (whose `sub` is
    the user, not the client) must not turn any signed-in user into an administrator. The role is
    checked again on every call, so that taking it away takes effect at once.
    """
    claims = verify(ctx, bearer_token(authorization))
    if SCOPE_ALL not in str(claims.get("scope", "")).split() or claims["sub"] != claims.get("client_id"):
        raise forbidden()
    app = apps.get(ctx.db, str(claims["sub"])[:64])
    if app is None or app.type != "MachineToMachine":
        raise unauthorized()
    if not app.management_api:
        raise forbidden()
    return claims


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise RequestError("auth.authorization_header_missing", "Authorization header is missing.", 401)
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer":
        raise RequestError("auth.authorization_token_type_not_supported", "Authorization type is not supported.",
                           401, supportedTypes=["Bearer"])
    return token.strip()


def verify(ctx: Context, token: str) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN:
        raise unauthorized()
    keys = KeySet(ctx.services.keys.verification_keys(ctx.db))
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except TOKEN_ERRORS:  # malformed, unsigned or wrongly signed: simply not a credential
        raise unauthorized() from None
    if decoded.header.get("typ") != "at+jwt":
        raise unauthorized()
    registry = JWTClaimsRegistry(
        now=int(ctx.now.timestamp()), iss={"essential": True, "value": ctx.settings.issuer},
        aud={"essential": True, "value": MANAGEMENT_API}, exp={"essential": True}, sub={"essential": True})
    try:
        registry.validate(decoded.claims)
    except TOKEN_ERRORS:
        raise unauthorized() from None
    return decoded.claims


def forbidden() -> RequestError:
    return RequestError("auth.forbidden", "Forbidden. Please check your user roles and permissions.", 403)


def unauthorized() -> RequestError:
    return RequestError("auth.unauthorized", "Unauthorized. Please check credentials and its scope.", 401)
