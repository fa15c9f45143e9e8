"""The userinfo endpoint `/oidc/me` (SECURITY.md §7 E, UI-01..UI-06)."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import pytest

from idp.settings import Settings
from tests.flows import (
    OFFLINE,
    b64encode,
    delete,
    exchange,
    sign_in,
    suspend,
    tokens_for,
    userinfo,
    verify_jwt,
)


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge
    assert response.json()["error"] == "invalid_token"


# UI-01, UI-02


def test_get_with_bearer_header(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = userinfo(idp, tokens["access_token"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["sub"] == verify_jwt(idp, tokens["id_token"]).claims["sub"] == user["id"]


def test_post_with_bearer_header(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = userinfo(idp, tokens["access_token"], method="POST")

    assert response.status_code == 200 and response.json()["sub"] == user["id"]


def test_post_with_token_in_form_body(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = httpx.post(f"{idp.issuer}/me", data={"access_token": tokens["access_token"]})

    assert response.status_code == 200 and response.json()["sub"] == user["id"]


# UI-03


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_without_credentials_is_challenged_without_error_code(idp, method):
    response = httpx.request(method, f"{idp.issuer}/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "error=" not in response.headers["www-authenticate"]


@pytest.mark.parametrize("authorization", [
    "Bearer unknown-token",
    "Bearer " + "a" * 600,
    "Bearer a.b.c",
    "Bearer",
    "Basic dXNlcjpwYXNz",
])
def test_unknown_or_malformed_tokens_are_invalid_token(idp, authorization):
    assert_invalid_token(httpx.get(f"{idp.issuer}/me", headers={"Authorization": authorization}))


def test_token_in_the_query_string_is_not_accepted(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = httpx.get(f"{idp.issuer}/me", params={"access_token": tokens["access_token"]})

    assert response.status_code == 401
    assert user["id"] not in response.text


def test_token_in_header_and_body_is_invalid_request(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = httpx.post(f"{idp.issuer}/me", data={"access_token": tokens["access_token"]},
                          headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# Past the HTTP server's header limit the answer may be a 4xx or a dropped connection, whichever
# the client sees first.
@pytest.mark.parametrize("size", [60_000, 1_000_000])
def test_huge_authorization_header_is_refused_quickly(idp, size):
    started = time.monotonic()
    try:
        response = httpx.get(f"{idp.issuer}/me", headers={"Authorization": "Bearer " + "a" * size})
    except httpx.TransportError:
        pass  # the HTTP server dropped the connection: refused
    else:
        assert 400 <= response.status_code < 500

    assert time.monotonic() - started < 3
    assert httpx.get(f"{idp.issuer}/me").status_code == 401  # still serving


# UI-04


@pytest.mark.parametrize("scope, present, absent", [
    ("openid", {"sub"}, {"email", "name", "username", "phone_number", "address"}),
    ("openid email", {"sub", "email", "email_verified"}, {"name", "username", "phone_number", "address"}),
    ("openid profile", {"sub", "name", "username", "updated_at", "created_at"}, {"email", "phone_number"}),
])
def test_claims_follow_the_granted_scopes(idp, browser, app, user, scope, present, absent):
    body = userinfo(idp, tokens_for(idp, browser, app, user, scope=scope)["access_token"]).json()

    assert present <= set(body)
    assert not absent & set(body)


def test_openid_alone_gives_only_sub(idp, browser, app, user):
    body = userinfo(idp, tokens_for(idp, browser, app, user, scope="openid")["access_token"]).json()

    assert body == {"sub": user["id"]}


def test_claim_values(idp, browser, app, email):
    user = idp.make_user(email, name="Ada Lovelace")
    body = userinfo(idp, tokens_for(idp, browser, app, user)["access_token"]).json()

    assert body["email"] == email and body["email_verified"] is True and body["name"] == "Ada Lovelace"


def test_unknown_scopes_grant_no_claims(idp, browser, app, user):
    body = userinfo(idp, tokens_for(idp, browser, app, user, scope="openid admin password")["access_token"]).json()

    assert body == {"sub": user["id"]}


# UI-05


@pytest.fixture
def offline_tokens(idp, browser, app, user) -> dict:
    return tokens_for(idp, browser, app, user, **OFFLINE)


def unsigned(claims: dict) -> str:
    header = b64encode(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{b64encode(json.dumps(claims).encode())}."


@pytest.mark.parametrize("presented", [
    pytest.param(lambda tokens, idp, user: tokens["id_token"], id="id-token"),
    pytest.param(lambda tokens, idp, user: tokens["refresh_token"], id="refresh-token"),
    pytest.param(lambda tokens, idp, user: unsigned({"iss": idp.issuer, "sub": user["id"], "scope": "openid",
                                                     "exp": int(time.time()) + 600}), id="alg-none-jwt"),
    pytest.param(lambda tokens, idp, user: tokens["access_token"][:-1], id="truncated-access-token"),
])
def test_other_artifacts_are_not_access_tokens(idp, user, offline_tokens, presented):
    assert_invalid_token(userinfo(idp, presented(offline_tokens, idp, user)))


def test_authorization_code_is_not_an_access_token(idp, browser, app, user):
    callback = sign_in(browser, app, user)

    assert_invalid_token(userinfo(idp, callback.code))


def test_jwt_access_token_for_a_resource_is_not_accepted(idp, browser, app, user, api):
    indicator = f"https://{secrets.token_hex(4)}.api.example.test"
    assert api.post("/api/resources", json={"name": "API", "indicator": indicator}).status_code == 201
    tokens = exchange(idp, app, sign_in(browser, app, user, resource=indicator), resource=indicator).json()
    assert tokens["access_token"].count(".") == 2

    assert_invalid_token(userinfo(idp, tokens["access_token"]))


# UI-06


@pytest.mark.parametrize("change", [suspend, delete])
@pytest.mark.both_databases
def test_token_dies_with_its_user(idp, browser, app, user, change):
    tokens = tokens_for(idp, browser, app, user)
    with idp.db() as db:
        change(db, user["id"])

    assert_invalid_token(userinfo(idp, tokens["access_token"]))


def test_expired_access_token_is_invalid_token(idp, browser, app, user, travel):
    tokens = tokens_for(idp, browser, app, user)
    assert tokens["expires_in"] == Settings.access_token_ttl
    assert userinfo(idp, tokens["access_token"]).status_code == 200
    travel(Settings.access_token_ttl + 1)

    assert_invalid_token(userinfo(idp, tokens["access_token"]))
