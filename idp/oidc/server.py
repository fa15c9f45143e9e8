"""The authorization server: authlib's grants and endpoints, answering through Starlette."""

from __future__ import annotations

import json
from typing import Any

from authlib.oauth2 import AuthorizationServer as BaseServer
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from starlette.responses import Response

from idp.oidc import tokens
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

    def query_client(self, client_id: str) -> Client | None:
        if not client_id or len(client_id) > 64:
            return None
        app = apps.get(current().db, client_id)
        return Client(app) if app else None

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


def find(token_string: str, hint: str | None) -> tokens.IssuedToken | None:
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
