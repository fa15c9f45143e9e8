"""The Logto Python SDK (`logto` on PyPI) signs in, refreshes and signs out against a real idp.

The SDK talks to idp itself (aiohttp for discovery, token and userinfo; PyJWKClient for the
JWKS); the Browser helper plays the user's browser on idp's pages in between.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from logto import LogtoClient, LogtoConfig, Storage, UserInfoScope

from tests.browser import Browser, pkce_pair, query
from tests.flows import read_form

LOGGED_OUT = "https://rp.example.test/logged-out"


class DictStorage(Storage):
    """The SDK's storage in a plain dict (its MemoryStorage is one instance shared by default)."""

    def __init__(self) -> None:
        self.values: dict[str, str | None] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str | None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def confirm_sign_out(browser: Browser, end_session_url: str) -> str:
    """Open idp's sign-out confirmation page, submit its form, and return where idp sends the browser."""
    page = browser.follow(end_session_url)
    assert page.status_code == 200, page.text[:300]
    form = read_form(page.text)
    assert form.action == f"{browser.endpoint}/oidc/session/end/confirm" and "xsrf" in form.fields
    response = browser.follow(form.action, method="POST", data=form.fields)
    assert response.is_redirect, response.text[:300]
    return response.headers["location"]


def silent_authorize(browser: Browser, app: dict) -> dict[str, str]:
    """A `prompt=none` authorization request; returns the parameters of the redirect back to the app."""
    _, challenge = pkce_pair()
    url = browser.authorize_url(app["id"], app["redirect_uris"][0], prompt="none", code_challenge=challenge,
                                code_challenge_method="S256")
    response = browser.follow(url)
    assert response.is_redirect and response.headers["location"].startswith(app["redirect_uris"][0] + "?")
    return query(response.headers["location"])


@pytest.fixture
def storage() -> DictStorage:
    return DictStorage()


@pytest.fixture
def logto(idp, app, storage: DictStorage) -> LogtoClient:
    config = LogtoConfig(endpoint=idp.endpoint, appId=app["id"], appSecret=app["secret"],
                         scopes=[UserInfoScope.email])
    return LogtoClient(config, storage)


def sign_in(logto: LogtoClient, browser: Browser, app: dict, user: dict) -> str:
    """Sign in through the SDK; returns the authorization URL it built."""
    url = asyncio.run(logto.signIn(app["redirect_uris"][0]))
    callback = browser.sign_in_with_password(url, user["email"], user["password"])
    asyncio.run(logto.handleSignInCallback(callback))
    return url


def expire_cached_access_tokens(storage: DictStorage) -> None:
    cached = json.loads(storage.get("accessTokenMap"))
    for entry in cached["x"].values():
        entry["expiresAt"] = 0
    storage.set("accessTokenMap", json.dumps(cached))


def test_sdk_signs_in_with_a_password_and_reads_the_user(idp, browser, app, user, logto):
    url = sign_in(logto, browser, app, user)

    sent = query(url)
    assert url.startswith(f"{idp.issuer}/auth?")
    assert sent["prompt"] == "consent" and sent["code_challenge_method"] == "S256"
    assert set(sent["scope"].split()) == {"openid", "offline_access", "profile", "email"}
    assert logto.isAuthenticated() and logto.getRefreshToken()

    claims = logto.getIdTokenClaims()
    assert claims.iss == idp.issuer and claims.aud == app["id"]
    assert claims.sub == user["id"] and claims.email == user["email"]

    info = asyncio.run(logto.fetchUserInfo())
    assert info.sub == claims.sub and info.email == user["email"]


def test_sdk_refreshes_a_stale_access_token(browser, app, user, logto, storage):
    sign_in(logto, browser, app, user)
    first_access_token = asyncio.run(logto.getAccessToken())
    refresh_token = logto.getRefreshToken()
    first_id_token = logto.getIdToken()

    expire_cached_access_tokens(storage)
    second_access_token = asyncio.run(logto.getAccessToken())

    assert second_access_token and second_access_token != first_access_token
    # A confidential client keeps its refresh token until 70% of its lifetime has passed.
    assert logto.getRefreshToken() == refresh_token
    assert logto.getIdToken() != first_id_token and logto.getIdTokenClaims().sub == user["id"]
    info = asyncio.run(logto.fetchUserInfo())
    assert info.sub == user["id"] and info.email == user["email"]


def test_sdk_signs_out_through_end_session(idp, browser, app, user, logto):
    sign_in(logto, browser, app, user)
    assert "code" in silent_authorize(browser, app)

    url = asyncio.run(logto.signOut(LOGGED_OUT))
    assert url.startswith(f"{idp.issuer}/session/end?") and not logto.isAuthenticated()
    assert query(url) == {"client_id": app["id"], "post_logout_redirect_uri": LOGGED_OUT}

    assert confirm_sign_out(browser, url) == LOGGED_OUT
    assert silent_authorize(browser, app)["error"] == "login_required"
