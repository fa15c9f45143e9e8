"""Steps the tests share: what a relying party (or its user's browser) does over HTTP against a
running idp, and reading the forms of idp's pages."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.models import User
from tests.browser import Browser, pkce_pair, query
from tests.server import Server

# Refresh tokens are issued only for offline_access requested together with prompt=consent (Logto).
OFFLINE = {"scope": "openid offline_access profile email", "prompt": "consent"}
# RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
SAFE_DESCRIPTION = re.compile(r'^[\x20\x21\x23-\x5b\x5d-\x7e]*$')


@dataclass
class Callback:
    """What came back to the client's redirect URI, and the PKCE verifier that goes with it."""

    params: dict[str, str]
    verifier: str | None

    @property
    def code(self) -> str:
        return self.params["code"]


def authorize_url(browser: Browser, app: dict, pkce: bool, params: dict[str, str]) -> tuple[str, str | None]:
    verifier = None
    if pkce:
        verifier, challenge = pkce_pair()
        params = {"code_challenge": challenge, "code_challenge_method": "S256", **params}
    return browser.authorize_url(app["id"], app["redirect_uris"][0], **params), verifier


def sign_in(browser: Browser, app: dict, user: dict, *, pkce: bool = True, **params: str) -> Callback:
    """Authorize with a fresh sign-in by password."""
    url, verifier = authorize_url(browser, app, pkce, params)
    callback = browser.sign_in_with_password(url, user["email"], user["password"])
    return Callback(query(callback), verifier)


def reauthorize(browser: Browser, app: dict, *, pkce: bool = True, **params: str) -> Callback:
    """Authorize again in a browser that is already signed in (no sign-in page expected)."""
    url, verifier = authorize_url(browser, app, pkce, params)
    response = browser.follow(url)
    assert response.is_redirect, response.text[:300]
    return Callback(query(response.headers["location"]), verifier)


def client_post(idp: Server, app: dict, path: str, form: dict[str, Any]) -> httpx.Response:
    """POST to a token-side endpoint as `app`: Basic for confidential clients, client_id for public ones."""
    form = {key: value for key, value in form.items() if value is not None}
    if app.get("secret"):
        return httpx.post(f"{idp.issuer}/{path}", data=form, auth=(app["id"], app["secret"]))
    return httpx.post(f"{idp.issuer}/{path}", data={"client_id": app["id"], **form})


def client_credentials(idp: Server, app: dict, **form: str) -> httpx.Response:
    return client_post(idp, app, "token", {"grant_type": "client_credentials", **form})


def exchange(idp: Server, app: dict, callback: Callback, **form: Any) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": callback.code, "redirect_uri": app["redirect_uris"][0],
            "code_verifier": callback.verifier, **form}
    return client_post(idp, app, "token", data)


def redeem(idp: Server, app: dict, callback: str | Callback, **form: Any) -> dict[str, Any]:
    """Exchange the code of a redirect back to `app` (its URL, then without PKCE, or a Callback)
    and return the tokens."""
    if isinstance(callback, str):
        callback = Callback(query(callback), None)
    response = exchange(idp, app, callback, **form)
    assert response.status_code == 200, response.text
    return response.json()


def suspend(db: Any, user_id: str) -> None:
    db.get(User, user_id).is_suspended = True


def delete(db: Any, user_id: str) -> None:
    db.delete(db.get(User, user_id))


def refresh(idp: Server, app: dict, refresh_token: str, **form: Any) -> httpx.Response:
    return client_post(idp, app, "token", {"grant_type": "refresh_token", "refresh_token": refresh_token, **form})


def tokens_for(idp: Server, browser: Browser, app: dict, user: dict, **params: str) -> dict[str, Any]:
    """Sign in and exchange the code: the token response of a successful flow."""
    response = exchange(idp, app, sign_in(browser, app, user, **params))
    assert response.status_code == 200, response.text
    return response.json()


def userinfo(idp: Server, access_token: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"{idp.issuer}/me", headers={"Authorization": f"Bearer {access_token}"})


def introspect(idp: Server, app: dict, token: str) -> dict[str, Any]:
    response = client_post(idp, app, "token/introspection", {"token": token})
    assert response.status_code == 200, response.text
    return response.json()


def jwks(idp: Server) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{idp.issuer}/jwks").json())


def verify_jwt(idp: Server, token: str, algorithms: list[str] | None = None) -> jwt.Token:
    return jwt.decode(token, jwks(idp), algorithms=algorithms or ["ES384"])


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Header, payload and signature of a compact JWS, without verifying anything."""
    header, payload, signature = token.split(".")
    return json.loads(b64decode(header)), json.loads(b64decode(payload)), b64decode(signature)


def b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def assert_token_error(response: httpx.Response, error: str | set[str], status: int | set[int] = 400) -> None:
    """An RFC 6749 §5.2 error: JSON, not cacheable, registered code, ASCII-safe description."""
    statuses = {status} if isinstance(status, int) else status
    errors = {error} if isinstance(error, str) else error
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] in errors, body
    assert SAFE_DESCRIPTION.match(body.get("error_description", "")), body
    assert "access_token" not in body and "id_token" not in body


def is_signed_in(browser: Browser, app: dict) -> bool:
    """prompt=none answers with a code only while the browser has a live session."""
    url, _ = authorize_url(browser, app, True, {"prompt": "none"})
    response = browser.http.get(url)
    assert response.is_redirect, response.text[:300]
    params = query(response.headers["location"])
    assert "code" in params or params.get("error") == "login_required", params
    return "code" in params


@dataclass
class Form:
    """One form of a page: where it posts, its own attributes, its fields (name → value) and its
    submit buttons (name, value)."""

    action: str
    attributes: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str | None, str | None]] = field(default_factory=list)


class FormReader(HTMLParser):
    """Every form of a page, in order, with the fields and buttons inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values))
            self.inside = True
        elif self.inside and tag == "input" and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")
        elif self.inside and tag == "button":
            self.forms[-1].buttons.append((values.get("name"), values.get("value")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def read_forms(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    return reader.forms


def read_form(html: str) -> Form:
    """The first form of a page (it must have one, with an action)."""
    forms = read_forms(html)
    assert forms and forms[0].action, html[:500]
    return forms[0]


@contextmanager
def open_browser(server: Server) -> Iterator[Browser]:
    browser = Browser(server.endpoint)
    try:
        yield browser
    finally:
        browser.close()
