"""`/demo-app`: a built-in relying party, like Logto's demo app. It signs in against idp itself
(authorization code with PKCE, in-process token exchange) and shows the ID token claims and
userinfo. The PKCE verifier and nonce are derived from the state with a server secret, so the
demo keeps no storage of its own; the state cookie binds the callback to this browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, Headers, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp import security
from idp.errors import RequestError
from idp.oidc import hints, userinfo
from idp.oidc.requests import IdpRequest
from idp.services import Context, services
from idp.store import configs
from idp.web import i18n
from idp.web.responses import page

STATE_COOKIE = "_demo_state"
LOCALE_COOKIE = "_demo_locale"


def translator(request: Request) -> i18n.Translator:
    """The demo's language: `?ui_locales=` (kept in a cookie for the way back), else the browser's.
    The sign-in request carries it as `ui_locales`, so idp's pages and emails follow it."""
    chosen = request.query_params.get("ui_locales") or request.cookies.get(LOCALE_COOKIE)
    return i18n.Translator(i18n.negotiate(chosen, request.headers.get("accept-language")))


def show(request: Request, status: int = 200, **values: Any) -> Response:
    t = translator(request)
    return page(request, "demo.html", status=status, t=t, lang=t.locale, **values)


def derived(ctx: Context, purpose: str, state: str) -> str:
    return security.keyed_hash(configs.secret(ctx.db, "csrf"), f"demo-{purpose}:{state}")


def demo_client(ctx: Context) -> dict[str, str]:
    client = configs.get(ctx.db, "demo_app")
    if not client:
        raise RequestError("entity.not_found", "The demo application is not set up (start idp without --no-demo).", 404)
    return client


async def home(request: Request) -> Response:
    return show(request)


async def sign_in(request: Request) -> Response:
    state = secrets.token_urlsafe(16)
    locale = translator(request).locale

    def authorization_url(ctx: Context) -> str:
        verifier = derived(ctx, "verifier", state)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {"client_id": demo_client(ctx)["id"], "redirect_uri": callback_uri(ctx), "response_type": "code",
                  "scope": "openid profile email offline_access custom_data", "prompt": "consent", "state": state,
                  "nonce": derived(ctx, "nonce", state), "code_challenge": challenge, "code_challenge_method": "S256",
                  "ui_locales": locale}
        return f"{ctx.settings.issuer}/auth?{urlencode(params)}"

    try:
        url = await services(request).call(authorization_url)
    except RequestError as error:
        return show(request, status=error.status, error=error.message)
    response = RedirectResponse(url, status_code=303)
    for name, value in ((STATE_COOKIE, state), (LOCALE_COOKIE, locale)):
        response.set_cookie(name, value, httponly=True, samesite="lax", path="/demo-app",
                            secure=services(request).settings.secure_cookies)
    return response


def callback_uri(ctx: Context) -> str:
    return f"{ctx.settings.endpoint}/demo-app/callback"


async def callback(request: Request) -> Response:
    params = request.query_params
    state = request.cookies.get(STATE_COOKIE)
    if "error" in params:
        return show(request, status=400, error=f"{params['error']}: {params.get('error_description', '')}")
    if not state or params.get("state") != state or params.get("iss") != services(request).settings.issuer:
        return show(request, status=400, error="The sign-in response does not belong to this browser.")
    try:
        result = await services(request).call(finish, params.get("code", ""), state)
    except RequestError as error:
        return show(request, status=error.status, error=error.message)
    response = show(request, **result)
    response.delete_cookie(STATE_COOKIE, path="/demo-app")
    return response


def finish(ctx: Context, code: str, state: str) -> dict[str, Any]:
    """Exchange the code at idp's own token endpoint (in-process), then read userinfo."""
    client = demo_client(ctx)
    basic = base64.b64encode(f"{client['id']}:{client['secret']}".encode()).decode()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback_uri(ctx),
            "code_verifier": derived(ctx, "verifier", state)}
    token_request = IdpRequest("POST", f"{ctx.settings.issuer}/token", Headers({"authorization": f"Basic {basic}"}),
                               QueryParams(), FormData(form))
    answer = ctx.services.oauth.create_token_response(token_request)
    tokens = json.loads(answer.body)
    if answer.status_code != 200:
        raise RequestError("oidc.invalid_grant", tokens.get("error_description", "The code exchange failed."), 400)
    claims = hints.verify(ctx, tokens["id_token"]) or {}
    if claims.get("nonce") != derived(ctx, "nonce", state):
        raise RequestError("oidc.invalid_token", "The ID token does not match this sign-in.", 400)
    me_request = IdpRequest("GET", f"{ctx.settings.issuer}/me",
                            Headers({"authorization": f"Bearer {tokens['access_token']}"}), QueryParams(), FormData())
    logout = f"{ctx.settings.issuer}/session/end?" + urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": f"{ctx.settings.endpoint}/demo-app"})
    return {"claims": pretty(claims), "userinfo": pretty(userinfo.claims_for(ctx, me_request)),
            "scope": tokens.get("scope", ""), "has_refresh_token": "refresh_token" in tokens, "logout_url": logout}


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


ROUTES = [
    ("/demo-app", ["GET"], home),
    ("/demo-app/sign-in", ["GET"], sign_in),
    ("/demo-app/callback", ["GET"], callback),
]
