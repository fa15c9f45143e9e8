"""The authorization server: authlib's grants and endpoints, answering through Starlette."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from authlib.oauth2 import AuthorizationServer as BaseServer
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from starlette.responses import Response

from idp.oidc import throttle, tokens
from idp.oidc.clients import Client
from idp.oidc.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    IdToken,
    RefreshIdToken,
    RefreshTokenGrant,
    S256Challenge,
)
from idp.services import current
from idp.store import apps
from idp.store import grants as store

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class AuthorizationServer(BaseServer):
    def __init__(self) -> None:
        super().__init__()
        self.register_token_generator("default", tokens.generate)
        self.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True), IdToken()])
        self.register_grant(RefreshTokenGrant, [RefreshIdToken()])
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_client_auth_method("client_secret_basic", authenticate_basic)

    def query_client(self, client_id: str) -> Client | None:
        if not client_id or len(client_id) > 64 or not client_id.isprintable():
            return None  # never a registered id; NUL would also upset PostgreSQL
        app = apps.get(current().db, client_id)
        return Client(app) if app else None

    def authenticate_client(self, request: Any, methods: list[str], endpoint: str = "token") -> Client:
        """Authenticate the client; failures are counted and throttled (`idp.oidc.throttle`)."""
        basic = request.headers.get("Authorization", "").lower().startswith("basic ")
        if basic and "client_secret" in request.form:
            raise InvalidRequestError("Use one client authentication method, not two.")
        source = throttle.Source(claimed_client_id(request), request.peer)
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            throttle.count_failure(current(), source)
            # One answer whether the client is unknown or its secret is wrong. A client that tried
            # the Authorization header gets 401 with a Basic challenge (RFC 6749 §5.2).
            raise InvalidClientError(status_code=401 if basic else 400,
                                     description="Client authentication failed.") from None
        throttle.check(current(), source)
        return client

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        tokens.save(token, request)

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # already read by idp.oidc.requests.read

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers)
        if isinstance(body, dict):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        headers.setdefault("Cache-Control", "no-store")
        return Response(body, status_code=status, headers=headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


def authenticate_basic(query_client: Any, request: Any) -> Client | None:
    """client_secret_basic."""
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    client = query_client(credentials[0])
    return client if client and client.check_client_secret(credentials[1]) else None


def basic_credentials(request: Any) -> tuple[str, str] | None:
    """The client id and secret of an Authorization header, decoded strictly: base64 of
    form-urlencoded id ":" secret (RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id or not secret:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def claimed_client_id(request: Any) -> str | None:
    """The client id a token-side request names, in the Authorization header or the body."""
    credentials = basic_credentials(request)
    return credentials[0] if credentials else request.form.get("client_id")


class UnsupportedTokenTypeError(OAuth2Error):
    error = "unsupported_token_type"


def find(token_string: str, hint: str | None) -> tokens.IssuedToken | None:
    if token_string.count(".") == 2:
        # JWT access tokens are not stored; like Logto, they cannot be introspected or revoked.
        raise UnsupportedTokenTypeError("JWT access tokens cannot be introspected or revoked.")
    row = store.find_token(current().db, token_string)
    return tokens.IssuedToken(row) if row else None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return find(token_string, token_type_hint)

    def revoke_token(self, token: tokens.IssuedToken, request: Any) -> None:
        # Revoking either token of a grant ends the grant, as Logto's engine does.
        ctx = current()
        store.revoke_grant(ctx.db, token.row.grant_id, ctx.now)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return find(token_string, token_type_hint)

    def check_permission(self, token: tokens.IssuedToken, client: Client, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: tokens.IssuedToken) -> dict[str, Any]:
        row = token.row
        payload = {
            "active": True,
            "client_id": row.client_id,
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.issued_at.timestamp()),
            "iss": current().settings.issuer,
            "scope": row.scope,
            "token_type": "Bearer" if row.kind == "access" else "refresh_token",
        }
        if row.user_id:
            payload["sub"] = row.user_id
        return payload
