"""What the token endpoint issues: opaque or JWT access tokens, refresh tokens, ID tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin
from joserfc import jwt

from idp import security
from idp.models import Grant, Resource, Token, User
from idp.oidc import claims
from idp.oidc.clients import Client
from idp.services import Context, current
from idp.store import grants as grant_store


def generate(grant_type: str, client: Client, user: User | None = None, scope: str | None = None,
             expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
    """authlib's token generator: Logto's token response for one grant."""
    ctx = current()
    scope = scope or ""
    resource: Resource | None = ctx.values.get("resource")
    if resource is not None:
        ttl = resource.access_token_ttl
        access_token = jwt_access_token(ctx, client, user, scope, resource)
    else:
        ttl = ctx.settings.client_credentials_ttl if user is None else ctx.settings.access_token_ttl
        access_token = security.opaque_token()
    token: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl, "scope": scope}
    # A refresh that narrows the scope still needs a refresh token for the scope originally granted.
    granted = ctx.values.get("refresh_scope", scope)
    if include_refresh_token and "offline_access" in granted.split():
        token["refresh_token"] = ctx.values.get("keep_refresh_token") or security.opaque_token()
    return token


def jwt_access_token(ctx: Context, client: Client, user: User | None, scope: str, resource: Resource) -> str:
    key = ctx.services.keys.signing_key(ctx.db, "ES384")
    now = int(ctx.now.timestamp())
    api_scope = " ".join(s for s in scope.split() if s not in claims.SCOPES_SUPPORTED)
    payload = {
        "jti": secrets.token_urlsafe(16),
        "iss": ctx.settings.issuer,
        "sub": user.id if user else client.client_id,
        "aud": resource.indicator,
        "iat": now,
        "exp": now + resource.access_token_ttl,
        "scope": api_scope,
        "client_id": client.client_id,
    }
    return jwt.encode({"alg": "ES384", "typ": "at+jwt", "kid": key.kid}, payload, key, algorithms=["ES384"])


def save(token: dict[str, Any], request: Any) -> None:
    """authlib's save_token: store what was issued, by hash, under its grant."""
    ctx = current()
    grant: Grant = ctx.values["grant"]
    user = request.user
    common = {"grant_id": grant.id, "client_id": request.client.client_id, "user_id": user.id if user else None,
              "issued_at": ctx.now, "claims_auth_time": bool(ctx.values.get("claims_auth_time"))}
    if ctx.values.get("resource") is None:
        grant_store.save_token(ctx.db, token["access_token"], kind="access", scope=token["scope"],
                               expires_at=ctx.now + timedelta(seconds=token["expires_in"]), **common)
    refresh = token.get("refresh_token")
    if refresh and refresh != ctx.values.get("keep_refresh_token"):
        expires_at = ctx.values.get("refresh_expires_at") or ctx.now + timedelta(seconds=ctx.settings.refresh_token_ttl)
        grant_store.save_token(ctx.db, refresh, kind="refresh", scope=ctx.values.get("refresh_scope", token["scope"]),
                               expires_at=expires_at, **common)


def id_token(ctx: Context, client: Client, user: User, scope: str, grant: Grant, *,
             nonce: str | None, with_auth_time: bool) -> str:
    alg = client.app.id_token_alg
    key = ctx.services.keys.signing_key(ctx.db, alg)
    now = int(ctx.now.timestamp())
    payload: dict[str, Any] = claims.for_user(user, scope, userinfo=False)
    payload.update({"iss": ctx.settings.issuer, "aud": client.client_id, "iat": now,
                    "exp": now + ctx.settings.id_token_ttl})
    if nonce:
        payload["nonce"] = nonce
    if grant.session_id:
        payload["sid"] = grant.session_id
    if with_auth_time and grant.auth_time is not None:
        payload["auth_time"] = int(grant.auth_time.timestamp())
    return jwt.encode({"alg": alg, "typ": "JWT", "kid": key.kid}, payload, key, algorithms=[alg])


class IssuedToken(TokenMixin):
    """A stored token as authlib's endpoints and resource protector see it."""

    def __init__(self, row: Token) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= current().now

    def is_revoked(self) -> bool:
        ctx = current()
        return not grant_store.is_live(ctx.db, self.row, ctx.now) and not self.is_expired()

    def get_user(self) -> User | None:
        return current().db.get(User, self.row.user_id) if self.row.user_id else None

    def get_client(self) -> Any:
        return None
