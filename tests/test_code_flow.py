"""The authorization code flow end to end, as a confidential client sees it."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import Browser, pkce_pair, query
from tests.flows import Callback, exchange, verify_jwt

pytestmark = pytest.mark.both_databases


def test_password_sign_in_issues_code_tokens_and_userinfo(idp, browser: Browser, app, user):
    verifier, challenge = pkce_pair()
    url = browser.authorize_url(app["id"], app["redirect_uris"][0], nonce="n-123", code_challenge=challenge,
                                code_challenge_method="S256")
    callback = browser.sign_in_with_password(url, user["email"], user["password"])
    params = query(callback)
    assert callback.startswith(app["redirect_uris"][0] + "?")
    assert params["iss"] == idp.issuer
    assert params["state"] == query(url)["state"]

    response = exchange(idp, app, Callback(params, verifier))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and "refresh_token" not in tokens
    claims = verify_jwt(idp, tokens["id_token"]).claims
    assert claims["iss"] == idp.issuer and claims["aud"] == app["id"] and claims["sub"] == user["id"]
    assert claims["nonce"] == "n-123" and claims["email"] == user["email"] and "sid" in claims
    assert "at_hash" not in claims

    info = httpx.get(f"{idp.issuer}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == user["id"] and info.json()["email"] == user["email"]
