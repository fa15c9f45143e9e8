"""authlib's grants, given idp's storage and Logto's rules.

Per RFC 6749 §4.1 (code), §6 (refresh), §4.4 (client credentials) and RFC 7636 (PKCE, S256 only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN
from authlib.oidc.core import OpenIDCode

from idp.models import AuthorizationCode, BrowserSession, Grant, Token, User
from idp.oidc import tokens
from idp.oidc.clients import Client
from idp.services import current
from idp.store import grants as store
from idp.store import resources

# A rotated refresh token presented again within this many seconds is refused without
# revoking the grant (Logto's leeway for clients that retry); later reuse revokes it.
REFRESH_REUSE_LEEWAY = 3
ROTATE_AFTER_FRACTION = 0.7


class InvalidTargetError(OAuth2Error):
    error = "invalid_target"


@dataclass
class SignedIn:
    """The user an authorization is granted for, and the browser session behind it."""

    user: User
    session: BrowserSession

    def get_user_id(self) -> str:
        return self.user.id


class S256Challenge(CodeChallenge):
    """PKCE with S256 only; required for public clients already at the authorization endpoint."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("'code_challenge_method' is required; only S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)
        if not data.get("code_challenge") and grant.client.is_public:
            raise InvalidRequestError("PKCE is required for this client (code_challenge with S256).")

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        # As Logto's engine answers: a malformed verifier is invalid_request; a missing, unexpected
        # (no challenge was sent: RFC 9700 §4.8.2) or wrong one fails verification, invalid_grant.
        verifier = grant.request.form.get("code_verifier")
        if verifier and not CODE_VERIFIER_PATTERN.match(verifier):
            raise InvalidRequestError("Invalid 'code_verifier'.")
        try:
            super().validate_code_verifier(grant, result)
        except InvalidRequestError as error:
            raise InvalidGrantError("PKCE verification failed.") from error


@dataclass
class CodeRecord:
    row: AuthorizationCode

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


def use_resource(indicator: str | None, grant: Grant | None = None) -> None:
    """Resolve RFC 8707 `resource` for this token request; unknown ones are invalid_target."""
    if not indicator:
        return
    ctx = current()
    row = resources.by_indicator(ctx.db, indicator)
    if row is None or (grant is not None and grant.resources and indicator not in grant.resources):
        raise InvalidTargetError("The requested resource is unknown or was not granted.")
    if indicator == resources.MANAGEMENT_API and grant is not None and grant.user_id is not None:
        # Without roles, a user's token for the Management API would make every user an administrator.
        raise InvalidTargetError("The Management API is only for machine-to-machine applications.")
    ctx.values["resource"] = row


def live_user(user_id: str | None) -> User | None:
    user = current().db.get(User, user_id) if user_id else None
    return None if user is None or user.is_suspended else user


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        ctx = current()
        signed_in: SignedIn = request.user
        data = request.payload.data
        grant = store.create_grant(
            ctx.db, user_id=signed_in.user.id, client_id=request.client.client_id, scope=request.scope or "",
            resources=request.payload.datalist.get("resource", []), session_id=signed_in.session.id,
            auth_time=signed_in.session.auth_time, amr=signed_in.session.amr, created_at=ctx.now,
        )
        ctx.db.flush()
        store.save_code(
            ctx.db, code, grant_id=grant.id, client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            claims_auth_time="max_age" in data or "login" in data.get("prompt", "").split(),
            expires_at=ctx.now + timedelta(seconds=ctx.settings.code_ttl),
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        ctx = current()
        row, first_use = store.consume_code(ctx.db, code, ctx.now)
        if row is None or not first_use or row.client_id != client.client_id or row.expires_at <= ctx.now:
            return None
        grant = store.get_grant(ctx.db, row.grant_id)
        if grant is None or grant.revoked_at is not None:
            return None
        ctx.values.update(grant=grant, claims_auth_time=row.claims_auth_time)
        return CodeRecord(row)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        use_resource(self.request.payload.data.get("resource"), current().values["grant"])

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Nothing to do: the code was consumed when it was looked up."""

    def authenticate_user(self, authorization_code: CodeRecord) -> User | None:
        return live_user(current().values["grant"].user_id)


class IdToken(OpenIDCode):
    """Adds the ID token to code and refresh responses (Logto's claims; no at_hash)."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False

    def process_token(self, grant: Any, response: Any) -> Any:
        _, token, _ = response
        if "openid" not in token.get("scope", "").split():
            return token
        ctx = current()
        request = grant.request
        stored: Grant = ctx.values["grant"]
        code = getattr(request, "authorization_code", None)
        token["id_token"] = tokens.id_token(
            ctx, request.client, request.user, token["scope"], stored,
            nonce=code.row.nonce if code else None,
            with_auth_time=bool(ctx.values.get("claims_auth_time")),
        )
        return token


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> tokens.IssuedToken | None:
        ctx = current()
        client: Client = self.request.client
        row = store.find_token(ctx.db, refresh_token, kind="refresh")
        if row is None or row.client_id != client.client_id or not store.is_live(ctx.db, row, ctx.now):
            return None
        if live_user(row.user_id) is None:
            return None  # deleted or suspended: invalid_grant, as Logto answers
        if row.consumed_at is not None:
            self._refuse_reuse(row, ctx.now)
            return None
        rotate = client.is_public or _lifetime_used(row, ctx.now) >= ROTATE_AFTER_FRACTION
        ctx.values.update(
            grant=store.get_grant(ctx.db, row.grant_id), refresh_scope=row.scope,
            claims_auth_time=row.claims_auth_time,
            keep_refresh_token=None if rotate else refresh_token,
            refresh_expires_at=row.expires_at if client.is_public else None,
        )
        return tokens.IssuedToken(row)

    def _refuse_reuse(self, row: Token, now: datetime) -> None:
        if now - row.consumed_at > timedelta(seconds=REFRESH_REUSE_LEEWAY):
            store.revoke_grant(current().db, row.grant_id, now)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        ctx = current()
        use_resource(self.request.payload.data.get("resource"), ctx.values["grant"])
        # Rotate only once the whole request is valid, so that a refused request keeps the token usable.
        rotate = ctx.values["keep_refresh_token"] is None
        if rotate and not store.consume_token(ctx.db, self.request.refresh_token.row, ctx.now):
            raise InvalidGrantError()  # a concurrent request rotated it first

    def authenticate_user(self, refresh_token: tokens.IssuedToken) -> User | None:
        return live_user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: tokens.IssuedToken) -> None:
        """Nothing to do: a rotated token was consumed when the request was validated."""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        ctx = current()
        client = self.request.client
        ctx.values["grant"] = store.create_grant(
            ctx.db, user_id=None, client_id=client.client_id, scope=self.request.payload.scope or "",
            created_at=ctx.now,
        )
        ctx.db.flush()
        use_resource(self.request.payload.data.get("resource"))

    def generate_token(self, *args: Any, scope: str | None = None, **kwargs: Any) -> dict[str, Any]:
        resource = current().values.get("resource")
        if resource is not None and resource.indicator == resources.MANAGEMENT_API:
            # As Logto's roles: only an app holding "Logto Management API access" gets its one scope, `all`.
            held = {"all"} if self.request.client.app.management_api else set()
            scope = " ".join(name for name in (scope or "").split() if name in held)
        return super().generate_token(*args, scope=scope, **kwargs)


def _lifetime_used(row: Token, now: datetime) -> float:
    total = (row.expires_at - row.issued_at).total_seconds()
    return (now - row.issued_at).total_seconds() / total if total > 0 else 1.0


class RefreshIdToken:
    """The refreshed ID token keeps iss, sub, aud, sid and auth_time (OpenID Connect Core §12.2)."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", IdToken().process_token)
