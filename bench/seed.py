"""Before the load: sign browsers in (one SSO session each) and get each a refresh and access token.

idp is signed in through its Experience API (password); node-oidc-provider's interaction route
signs its fixed account in by itself. Both authorization requests ask for offline_access with
prompt=consent, so the code exchanged here yields a refresh token.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urljoin

import httpx

from bench.oidc import authorize_query, code_from, pkce_pair, public_key, verify_id_token


def follow(http: httpx.Client, url: str, redirect_uri: str) -> str:
    """GET `url` and follow redirects on the provider until one leaves for the client."""
    response = http.get(url)
    while response.is_redirect:
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(redirect_uri):
            return location
        response = http.get(location)
    raise RuntimeError(f"no redirect to the client: {response.status_code} {str(response.url)[:200]}")


def idp_sign_in(http: httpx.Client, target: dict[str, Any], url: str) -> str:
    landing = http.get(url)
    if not landing.is_redirect or "/sign-in" not in landing.headers["location"]:
        raise RuntimeError(f"idp did not ask for a sign-in: {landing.status_code}")
    expect(http.put("/api/experience", json={"interactionEvent": "SignIn"}), 204)
    identifier = {"type": "email", "value": target["email"]}
    verified = expect(http.post("/api/experience/verification/password",
                                json={"identifier": identifier, "password": target["password"]}), 200)
    expect(http.post("/api/experience/identification", json={"verificationId": verified.json()["verificationId"]}), 204)
    submitted = expect(http.post("/api/experience/submit"), 200)
    return follow(http, urljoin(str(landing.url), submitted.json()["redirectTo"]), target["redirect_uri"])


def node_sign_in(http: httpx.Client, target: dict[str, Any], url: str) -> str:
    return follow(http, url, target["redirect_uri"])  # its interaction route signs in and consents


SIGN_IN = {"idp": idp_sign_in, "node": node_sign_in}


def expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: "
                           f"{response.status_code} {response.text[:300]}")
    return response


def signed_in_user(target: dict[str, Any]) -> dict[str, Any]:
    """One browser with an SSO session, and the tokens of its offline_access grant."""
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(8)
    base = f"http://{target['host']}:{target['port']}"
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as http:
        url = f"{base}{target['paths']['auth']}?{authorize_query(target, challenge, nonce, offline=True)}"
        location = SIGN_IN[target["kind"]](http, target, url)
        data = {"grant_type": "authorization_code", "code": code_from(location, target["redirect_uri"]),
                "redirect_uri": target["redirect_uri"], "code_verifier": verifier}
        tokens = expect(http.post(target["paths"]["token"], data=data,
                                  auth=(target["client_id"], target["client_secret"])), 200).json()
        cookies = {cookie.name: cookie.value for cookie in http.cookies.jar if cookie.value}
    verify_id_token(public_key(target["jwk"]), tokens["id_token"], target["client_id"], nonce)
    if "refresh_token" not in tokens:
        raise RuntimeError("no refresh token was issued for offline_access with prompt=consent")
    return {"cookies": cookies, "refresh_token": tokens["refresh_token"], "access_token": tokens["access_token"]}


def signing_jwk(target: dict[str, Any]) -> dict[str, Any]:
    """The provider's current ES384 public key, from its JWKS."""
    base = f"http://{target['host']}:{target['port']}"
    keys = httpx.get(base + target["paths"]["jwks"], timeout=10).json()["keys"]
    return next(key for key in keys if key.get("alg") == "ES384" or key.get("crv") == "P-384")


def users(target: dict[str, Any], count: int) -> list[dict[str, Any]]:
    return [signed_in_user(target) for _ in range(count)]
