"""The userinfo endpoint (OpenID Connect Core §5.3) with RFC 6750 bearer semantics."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    MissingAuthorizationError,
    OAuth2Error,
    ResourceProtector,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from starlette.datastructures import Headers

from idp.oidc import claims, tokens
from idp.oidc.requests import IdpRequest
from idp.services import Context, current
from idp.store import grants as store
from idp.store import users


class OpaqueAccessToken(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> tokens.IssuedToken | None:
        ctx = current()
        row = store.find_token(ctx.db, token_string, kind="access")
        return tokens.IssuedToken(row) if row else None


class NoCredentialsError(OAuth2Error):
    """RFC 6750 §3.1: a request without credentials is challenged, with no error code in the challenge."""

    error = "invalid_token"
    description = "No access token was provided."
    status_code = 401

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("WWW-Authenticate", "Bearer")]


PROTECTOR = ResourceProtector()
PROTECTOR.register_token_validator(OpaqueAccessToken())


def claims_for(ctx: Context, request: IdpRequest) -> dict[str, Any]:
    body_token = request.form.get("access_token") if request.method == "POST" else None
    if body_token and "authorization" in request.headers:
        raise InvalidRequestError("Send the access token in one way only (RFC 6750 section 2).")
    if body_token:
        request.headers = Headers({**request.headers, "authorization": f"Bearer {body_token}"})
    try:
        token: tokens.IssuedToken = PROTECTOR.validate_request(scopes=["openid"], request=request)
    except MissingAuthorizationError:
        raise NoCredentialsError() from None
    except UnsupportedTokenTypeError:
        raise InvalidTokenError() from None
    user = users.get(ctx.db, token.row.user_id or "")
    if user is None or user.is_suspended:
        raise InvalidTokenError()
    return claims.for_user(user, token.row.scope, userinfo=True)
