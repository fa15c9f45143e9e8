"""The authorization endpoint's decisions (OpenID Connect Core §3.1.2, RFC 6749 §4.1, RFC 9207).

Errors found before the client and its redirect URI are known show an error page and never
redirect. Later errors go back to the redirect URI with `error`, `state` and `iss`. A request
that needs a sign-in is stored as an interaction bound to this browser by cookie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error

from idp.models import BrowserSession, Interaction
from idp.oidc import hints
from idp.oidc.grants import SignedIn
from idp.oidc.requests import IdpRequest, from_params
from idp.services import Context
from idp.store import apps, interactions, resources, sessions, users

PROMPTS = {"none", "login", "consent", "select_account"}


@dataclass
class ErrorPage:
    error: str
    description: str
    status: int = 400


@dataclass
class Redirect:
    location: str
    cookies: dict[str, str | None] = field(default_factory=dict)  # name -> value, None deletes


class RedirectError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def authorize(ctx: Context, request: IdpRequest, session_cookie: str | None) -> ErrorPage | Redirect:
    """Answer `GET|POST /oidc/auth`."""
    duplicated = request.duplicated()
    data = request.payload.data
    client_app = apps.get(ctx.db, data.get("client_id", "")[:64]) if "client_id" not in duplicated else None
    if client_app is None:
        return ErrorPage("invalid_client", "The client_id is missing, duplicated or unknown.")
    redirect_uri = data.get("redirect_uri")
    if "redirect_uri" in duplicated or redirect_uri not in client_app.redirect_uris:
        return ErrorPage("invalid_redirect_uri", "The redirect_uri is missing or not registered for this client.")
    state = data.get("state")
    try:
        params = checked_params(ctx, request, duplicated)
        return decide(ctx, from_params(params, request.uri), params, session_cookie)
    except RedirectError as error:
        return redirect_error(ctx, redirect_uri, state, error.error, error.description)


def checked_params(ctx: Context, request: IdpRequest, duplicated: list[str]) -> dict[str, str]:
    data = dict(request.payload.data)
    if duplicated:
        raise RedirectError("invalid_request", f"Parameters must not be repeated: {', '.join(duplicated)}.")
    if "request" in data:
        raise RedirectError("request_not_supported", "Request objects are not supported.")
    if "request_uri" in data:
        raise RedirectError("request_uri_not_supported", "request_uri is not supported.")
    prompts = set(data.get("prompt", "").split())
    if not prompts <= PROMPTS or ("none" in prompts and len(prompts) > 1):
        raise RedirectError("invalid_request", "The prompt parameter is invalid.")
    if "max_age" in data and not data["max_age"].isdigit():
        raise RedirectError("invalid_request", "max_age must be a non-negative integer.")
    scopes = data.get("scope", "").split()
    if "openid" not in scopes:
        raise RedirectError("invalid_scope", "The openid scope must be requested.")
    if "offline_access" in scopes and "consent" not in prompts:
        # Logto's engine grants offline_access only when consent was prompted for.
        scopes.remove("offline_access")
    data["scope"] = " ".join(dict.fromkeys(scopes))
    for indicator in request.payload.datalist.get("resource", []):
        if resources.by_indicator(ctx.db, indicator) is None:
            raise RedirectError("invalid_target", "The requested resource is unknown.")
    return data


def decide(ctx: Context, request: IdpRequest, params: dict[str, str], session_cookie: str | None) -> ErrorPage | Redirect:
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


def needs_login(ctx: Context, params: dict[str, str], session: BrowserSession) -> bool:
    if "login" in params.get("prompt", "").split():
        return True
    if "max_age" in params and (ctx.now - session.auth_time).total_seconds() > int(params["max_age"]):
        return True
    hint = params.get("id_token_hint")
    if hint:
        claims = hints.verify(ctx, hint)
        if claims is None:
            raise RedirectError("invalid_request", "The id_token_hint is invalid.")
        if claims.get("sub") != session.user_id:
            return True
    return False


def start_interaction(ctx: Context, params: dict[str, str]) -> Redirect:
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
    params = [("error", error), ("error_description", description)]
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
