"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

The GET (or POST) request is checked and answered with a confirmation form carrying a token
bound to the browser's session; only the confirming POST ends the session. The browser goes to
`post_logout_redirect_uri` only when it is registered, byte for byte, for the identified client.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.common.urls import add_params_to_uri

from idp import security
from idp.oidc import hints
from idp.services import Context
from idp.store import apps, configs, grants, sessions


class LogoutError(Exception):
    pass


@dataclass
class LogoutRequest:
    client_id: str | None
    post_logout_redirect_uri: str | None
    state: str | None
    trusted: bool  # a valid id_token_hint identified the client


def check(ctx: Context, params: dict[str, str]) -> LogoutRequest:
    hint = params.get("id_token_hint")
    client_id = params.get("client_id")
    trusted = False
    if hint:
        claims = hints.verify(ctx, hint)
        if claims is None:
            raise LogoutError("The id_token_hint is invalid.")
        audience = claims.get("aud")
        if client_id and client_id != audience:
            raise LogoutError("client_id does not match the id_token_hint audience.")
        client_id, trusted = audience, True
    uri = params.get("post_logout_redirect_uri")
    app = apps.get(ctx.db, client_id) if client_id and len(client_id) <= 64 and client_id.isprintable() else None
    if client_id and app is None:
        raise LogoutError("The client is unknown.")
    if uri and app is None:
        uri = None  # no client to check it against: dropped, never followed
    if uri and app is not None and uri not in app.post_logout_redirect_uris:
        raise LogoutError("post_logout_redirect_uri is not registered for this client.")
    return LogoutRequest(client_id if app else None, uri, params.get("state"), trusted)


def xsrf(ctx: Context, session_cookie: str | None) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "csrf"), f"logout:{session_cookie or ''}")


def confirm(ctx: Context, params: dict[str, str], session_cookie: str | None) -> str | None:
    """End the session; returns where to send the browser (None: the logged-out page)."""
    if not security.same(params.get("xsrf", ""), xsrf(ctx, session_cookie)):
        raise LogoutError("The logout confirmation is invalid or was not sent from this browser.")
    request = check(ctx, params)
    session = sessions.current(ctx.db, session_cookie, ctx.now)
    if session is not None:
        sessions.end(ctx.db, session.id, ctx.now)
        # As Logto's engine does: tokens without offline_access end with the session.
        grants.revoke_session_grants(ctx.db, session.id, ctx.now)
    if request.post_logout_redirect_uri is None:
        return None
    extra = [("state", request.state)] if request.state else []
    return add_params_to_uri(request.post_logout_redirect_uri, extra) if extra else request.post_logout_redirect_uri
