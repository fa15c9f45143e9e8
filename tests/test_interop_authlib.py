"""authlib's OAuth 2.0 client (httpx) signs in, refreshes, revokes and signs out against a real idp.

The client learns every endpoint from the discovery document, uses PKCE S256 and
client_secret_basic; the ID token is verified with joserfc against idp's JWKS.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.browser import Browser, query
from tests.test_interop_logto_python import LOGGED_OUT, confirm_sign_out, silent_authorize

SCOPE = "openid profile email offline_access"


@pytest.fixture
def discovery(idp) -> dict:
    response = httpx.get(f"{idp.issuer}/.well-known/openid-configuration")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def oauth(app, discovery) -> Iterator[OAuth2Client]:
    client = OAuth2Client(
        client_id=app["id"], client_secret=app["secret"], scope=SCOPE, redirect_uri=app["redirect_uris"][0],
        token_endpoint_auth_method="client_secret_basic", revocation_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256", token_endpoint=discovery["token_endpoint"],
    )
    yield client
    client.close()


def verify_id_token(oauth: OAuth2Client, discovery: dict, id_token: str, nonce: str | None = None) -> dict:
    keys = KeySet.import_key_set(oauth.request("GET", discovery["jwks_uri"], withhold_token=True).json())
    claims = jwt.decode(id_token, keys, algorithms=["ES384"]).claims
    expected = {"iss": {"essential": True, "value": discovery["issuer"]},
                "aud": {"essential": True, "value": oauth.client_id},
                "sub": {"essential": True}, "exp": {"essential": True}}
    if nonce:
        expected["nonce"] = {"essential": True, "value": nonce}
    jwt.JWTClaimsRegistry(**expected).validate(claims)
    return claims


def sign_in(oauth: OAuth2Client, discovery: dict, browser: Browser, user: dict) -> tuple[dict, dict]:
    """Authorization code flow with PKCE; returns the token response and the verified ID token claims."""
    verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier,
                                                nonce=nonce, prompt="consent")
    sent = query(url)
    assert sent["code_challenge_method"] == "S256" and sent["scope"] == SCOPE and sent["prompt"] == "consent"

    callback = browser.sign_in_with_password(url, user["email"], user["password"])
    assert query(callback)["iss"] == discovery["issuer"]  # RFC 9207; authlib does not check it itself
    token = oauth.fetch_token(authorization_response=callback, state=state, code_verifier=verifier)
    return token, verify_id_token(oauth, discovery, token["id_token"], nonce)


def test_authlib_signs_in_with_pkce_and_reads_userinfo(oauth, discovery, browser, user):
    token, claims = sign_in(oauth, discovery, browser, user)

    assert token["token_type"] == "Bearer" and token["refresh_token"]
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert claims["sub"] == user["id"] and claims["email"] == user["email"]

    info = oauth.get(discovery["userinfo_endpoint"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"] and info.json()["email"] == user["email"]


def test_authlib_refresh_keeps_the_identity(oauth, discovery, browser, user):
    token, claims = sign_in(oauth, discovery, browser, user)

    refreshed = oauth.refresh_token()
    refreshed_claims = verify_id_token(oauth, discovery, refreshed["id_token"])

    assert refreshed["access_token"] != token["access_token"]
    # A confidential client keeps its refresh token until 70% of its lifetime has passed.
    assert refreshed["refresh_token"] == token["refresh_token"]
    assert {key: refreshed_claims[key] for key in ("sub", "aud", "iss")} == {
        key: claims[key] for key in ("sub", "aud", "iss")}
    info = oauth.get(discovery["userinfo_endpoint"])
    assert info.status_code == 200 and info.json()["sub"] == user["id"]


def test_authlib_revoked_refresh_token_no_longer_works(oauth, discovery, browser, user):
    token, _ = sign_in(oauth, discovery, browser, user)

    revoked = oauth.revoke_token(discovery["revocation_endpoint"], token=token["refresh_token"],
                                 token_type_hint="refresh_token")
    assert revoked.status_code == 200, revoked.text

    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    # Revoking the refresh token ends its grant, so the access token stops working too (as in Logto).
    info = oauth.request("GET", discovery["userinfo_endpoint"], withhold_token=True,
                         headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.status_code == 401


def test_authlib_signs_out_through_end_session(oauth, discovery, browser, app, user):
    token, _ = sign_in(oauth, discovery, browser, user)
    assert "code" in silent_authorize(browser, app)

    state = secrets.token_urlsafe(8)
    url = discovery["end_session_endpoint"] + "?" + urlencode(
        {"id_token_hint": token["id_token"], "post_logout_redirect_uri": LOGGED_OUT, "state": state})

    assert confirm_sign_out(browser, url) == f"{LOGGED_OUT}?state={state}"
    assert silent_authorize(browser, app)["error"] == "login_required"
