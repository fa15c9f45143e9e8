"""Applications seen as OAuth clients: Logto's client metadata per application type."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin

from idp import security
from idp.models import Application

GRANT_TYPES = {
    "Traditional": {"authorization_code", "refresh_token"},
    "SPA": {"authorization_code", "refresh_token"},
    "Native": {"authorization_code", "refresh_token"},
    "MachineToMachine": {"client_credentials"},
}


class Client(ClientMixin):
    def __init__(self, app: Application) -> None:
        self.app = app

    @property
    def client_id(self) -> str:
        return self.app.id

    @property
    def is_public(self) -> bool:
        return self.app.secret_hash is None

    def get_client_id(self) -> str:
        return self.app.id

    def get_default_redirect_uri(self) -> str | None:
        return None  # redirect_uri is always required (OpenID Connect Core §3.1.2.1)

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.app.secret_hash is None:
            return False
        return security.same(security.sha256(client_secret), self.app.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # Logto's engine accepts the secret in the header or the body for confidential clients.
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in GRANT_TYPES[self.app.type]

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES[self.app.type]
