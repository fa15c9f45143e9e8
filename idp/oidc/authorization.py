"""The authorization endpoint's decisions (OpenID Connect Core §3.1.2, RFC 6749 §4.1, RFC 9207).

Errors found before the client and its redirect URI are known show an error page and never
redirect. Later errors go back to the redirect URI with `error`, `state` and `iss`; the whole
request is checked before anyone is asked to sign in. A request that needs a sign-in is stored,
as checked, as an interaction bound to this browser by cookie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error

from idp.models import BrowserSession, Interaction
from idp.oidc import hints
from idp.oidc.claims import SCOPES_SUPPORTED
from idp.oidc.grants import SignedIn
from idp.oidc.requests import IdpRequest, from_params
from idp.services import Context
from idp.store import apps, interactions, resources, sessions, users

PROMPTS = {"none", "login", "consent", "select_account"}
# The request parameters idp reads (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1, RFC 7636, and
# Logto's extra parameters). Each may be sent once (RFC 6749 §3.1); `resource` may repeat
# (RFC 8707 §2). Other parameters are ignored, as Logto's engine does.
SINGLE_PARAMS = {
    "client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "prompt",
    "max_age", "id_token_hint", "login_hint", "display", "ui_locales", "claims_locales", "acr_values", "claims",
    "request", "request_uri", "registration", "code_challenge", "code_challenge_method",
    "interaction_mode", "first_screen", "direct_sign_in", "organization_id", "identifier", "one_time_token",
    "google_one_tap_credential",
}
MAX_AGE = re.compile(r"[0-9]+")
# Longer max_age values (about 31,700 years) mean "no limit".
MAX_AGE_DIGITS = 12
# RFC 6749 §4.1.2.1: the characters error_description may contain.
DESCRIPTION_CHARS = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


@dataclass
class ErrorPage:
    error: str
    description: str
    status: int = 400
    # Development mode only: what idp compared, to make a misconfiguration obvious.
    explain: dict[str, Any] | None = None


@dataclass
class Redirect:
    location: str
    cookies: dict[str, str | None] = field(default_factory=dict)  # name -> value, None deletes


class RedirectError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def explain(ctx: Context, request: IdpRequest, **compared: Any) -> dict[str, Any] | None:
    """In development mode, the values behind an error, with the issuer and the Host idp saw."""
    if not ctx.settings.dev:
        return None
    return {**compared, "issuer": ctx.settings.issuer, "host_seen": request.headers.get("host")}


def authorize(ctx: Context, request: IdpRequest, session_cookie: str | None) -> ErrorPage | Redirect:
    """Answer `GET|POST /oidc/auth`."""
    repeated = [name for name in request.duplicated() if name in SINGLE_PARAMS]
    data = request.payload.data
    client_app = apps.get(ctx.db, data.get("client_id", "")[:64]) if "client_id" not in repeated else None
    if client_app is None:
        return ErrorPage("invalid_client", "The client_id is missing, duplicated or unknown.")
    redirect_uri = data.get("redirect_uri")
    if "redirect_uri" in repeated or redirect_uri not in client_app.redirect_uris:
        return ErrorPage("invalid_redirect_uri", "The redirect_uri is missing or not registered for this client.",
                         explain=explain(ctx, request, registered_redirect_uris=client_app.redirect_uris,
                                         received_redirect_uri=redirect_uri))
    # A repeated state is ambiguous: neither value is echoed.
    state = None if "state" in repeated else data.get("state")
    try:
        params = checked_params(ctx, request, repeated)
        oauth_request = from_params(params, request.uri)
        validate(ctx, oauth_request)
        return decide(ctx, oauth_request, params, session_cookie)
    except RedirectError as error:
        return redirect_error(ctx, redirect_uri, state, error.error, error.description)


def checked_params(ctx: Context, request: IdpRequest, repeated: list[str]) -> dict[str, Any]:
    """The request as it will be stored: checked, with scopes reduced to what can be granted."""
    data: dict[str, Any] = dict(request.payload.data)
    if repeated:
        raise RedirectError("invalid_request", f"Parameters must not be repeated: {', '.join(repeated)}.")
    if "request" in data:
        raise RedirectError("request_not_supported", "Request objects are not supported.")
    if "request_uri" in data:
        raise RedirectError("request_uri_not_supported", "request_uri is not supported.")
    if "response_type" not in data:
        raise RedirectError("invalid_request", "The response_type parameter is required.")
    if data["response_type"] != "code":
        # Checked here: authlib would put the unchecked value into its error description.
        raise RedirectError("unsupported_response_type", "Only response_type=code is supported.")
    if data.get("response_mode", "query") != "query":
        raise RedirectError("invalid_request", "Only response_mode=query is supported.")
    prompts = set(data.get("prompt", "").split())
    if not prompts <= PROMPTS or ("none" in prompts and len(prompts) > 1):
        raise RedirectError("invalid_request", "The prompt parameter is invalid.")
    if "max_age" in data and not MAX_AGE.fullmatch(data["max_age"]):
        raise RedirectError("invalid_request", "max_age must be a non-negative integer.")
    indicators = request.payload.datalist.get("resource", [])
    for indicator in indicators:
        if resources.by_indicator(ctx.db, indicator) is None:
            raise RedirectError("invalid_target", "The requested resource is unknown.")
    if indicators:
        data["resource"] = list(dict.fromkeys(indicators))
    data["scope"] = " ".join(granted_scopes(data.get("scope", ""), prompts, bool(indicators)))
    return data


def granted_scopes(scope: str, prompts: set[str], for_resource: bool) -> list[str]:
    scopes = list(dict.fromkeys(scope.split()))
    if "openid" not in scopes:
        raise RedirectError("invalid_scope", "The openid scope must be requested.")
    if "offline_access" in scopes and "consent" not in prompts:
        # Logto's engine grants offline_access only when consent was prompted for.
        scopes.remove("offline_access")
    if not for_resource:
        # Unknown scopes are ignored, never granted. Other scopes of a resource request are that
        # API's permissions and are passed on to its access token.
        scopes = [name for name in scopes if name in SCOPES_SUPPORTED]
    return scopes


def validate(ctx: Context, request: IdpRequest) -> None:
    """authlib's checks of the request (response type, PKCE, nonce) before anyone signs in."""
    server = ctx.services.oauth
    try:
        server.get_authorization_grant(request).validate_authorization_request()
    except OAuth2Error as error:
        raise RedirectError(error.error, error.description or error.error) from error


def decide(ctx: Context, request: IdpRequest, params: dict[str, Any],
           session_cookie: str | None) -> ErrorPage | Redirect:
    session = live_session(ctx, session_cookie)
    if session is not None and needs_login(ctx, params, session):
        session = None
    if session is None:
        if params.get("prompt") == "none":
            raise RedirectError("login_required", "End-User authentication is required.")
        return start_interaction(ctx, params)
    return issue_code(ctx, request, session)


def live_session(ctx: Context, cookie: str | None) -> BrowserSession | None:
    session = sessions.current(ctx.db, cookie, ctx.now)
    if session is None:
        return None
    user = users.get(ctx.db, session.user_id)
    return session if user is not None and not user.is_suspended else None


def needs_login(ctx: Context, params: dict[str, Any], session: BrowserSession) -> bool:
    if "login" in params.get("prompt", "").split():
        return True
    max_age = max_age_of(params)
    if max_age is not None and (max_age == 0 or (ctx.now - session.auth_time).total_seconds() > max_age):
        return True
    hint = params.get("id_token_hint")
    if hint:
        claims = hints.verify(ctx, hint)
        if claims is None:
            raise RedirectError("invalid_request", "The id_token_hint is invalid.")
        if claims.get("sub") != session.user_id:
            return True
    return False


def max_age_of(params: dict[str, Any]) -> int | None:
    if "max_age" not in params:
        return None
    digits = params["max_age"].lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_AGE_DIGITS else None


def start_interaction(ctx: Context, params: dict[str, Any]) -> Redirect:
    interaction, cookie = interactions.create(
        ctx.db, client_id=params["client_id"], params=params, now=ctx.now, ttl=ctx.settings.interaction_ttl
    )
    page = "register" if params.get("first_screen") == "register" else "sign-in"
    return Redirect(f"{ctx.settings.endpoint}/{page}", {"_interaction": cookie})


def issue_code(ctx: Context, request: IdpRequest, session: BrowserSession, cookies: dict[str, str | None] | None = None) -> Redirect:
    user = users.get(ctx.db, session.user_id)
    assert user is not None
    signed_in = SignedIn(user, session)
    server = ctx.services.oauth
    try:
        grant = server.get_consent_grant(request=request, end_user=signed_in)
        response = server.create_authorization_response(request=request, grant_user=signed_in, grant=grant)
    except OAuth2Error as error:
        raise RedirectError(error.error, error.description or error.error) from error
    location = response.headers.get("location")
    if not location:
        raise RedirectError("server_error", "The authorization could not be completed.")
    return Redirect(add_params_to_uri(location, [("iss", ctx.settings.issuer)]), cookies or {})


def redirect_error(ctx: Context, redirect_uri: str, state: str | None, error: str, description: str) -> Redirect:
    params = [("error", error), ("error_description", DESCRIPTION_CHARS.sub(" ", description))]
    if state:
        params.append(("state", state))
    params.append(("iss", ctx.settings.issuer))
    return Redirect(add_params_to_uri(redirect_uri, params))


def resume(ctx: Context, uid: str, interaction_cookie: str | None, session_cookie: str | None) -> ErrorPage | Redirect:
    """Answer `GET /oidc/auth/{uid}` once the sign-in experience has submitted a result."""
    interaction = interactions.by_cookie(ctx.db, interaction_cookie, ctx.now)
    if interaction is None or interaction.id != uid or not interaction.result:
        return ErrorPage("session_not_found", "The sign-in session was not found or has expired. Start again.")
    if not interactions.consume(ctx.db, interaction, ctx.now):
        return ErrorPage("session_not_found", "This sign-in was already completed.")
    session, cookie = open_session(ctx, interaction, session_cookie)
    params = interaction.params
    try:
        return issue_code(ctx, from_params(params, ctx.settings.issuer + "/auth"), session,
                          {"_session": cookie, "_interaction": None})
    except RedirectError as error:
        return redirect_error(ctx, params["redirect_uri"], params.get("state"), error.error, error.description)


def open_session(ctx: Context, interaction: Interaction, old_cookie: str | None) -> tuple[BrowserSession, str]:
    """A fresh session id after every sign-in (no fixation); the previous one ends."""
    old = sessions.current(ctx.db, old_cookie, ctx.now)
    if old is not None:
        sessions.end(ctx.db, old.id, ctx.now)
    result: dict[str, Any] = interaction.result or {}
    auth_time = datetime.fromtimestamp(result["authTime"], timezone.utc)
    return sessions.create(ctx.db, user_id=result["userId"], auth_time=auth_time, amr=result.get("amr", []),
                           now=ctx.now, ttl=ctx.settings.session_ttl)
