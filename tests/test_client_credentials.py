"""Machine-to-machine apps (client_credentials) and RFC 8707 resource indicators.

Without a resource the access token is opaque (Logto: 600 s for client credentials). With a
registered resource it is an ES384 JWT (`typ: at+jwt`) whose audience is the resource; such tokens
are not stored, so they cannot be introspected or revoked (Logto answers unsupported_token_type).
"""

from __future__ import annotations

import secrets
import time

import httpx
import pytest

from tests.flows import (
    OFFLINE,
    assert_token_error,
    client_credentials,
    client_post,
    exchange,
    introspect,
    refresh,
    segments,
    sign_in,
    userinfo,
    verify_jwt,
)


@pytest.fixture
def m2m(idp) -> dict:
    return idp.make_app(type="m2m", redirect_uris=[])


@pytest.fixture
def resource(api) -> dict:
    indicator = f"https://{secrets.token_hex(4)}.api.example.test"
    created = api.post("/api/resources", json={"name": "Orders", "indicator": indicator, "accessTokenTtl": 1800})
    assert created.status_code == 201, created.text
    return created.json()


def test_m2m_app_gets_an_opaque_access_token(idp, m2m):
    response = client_credentials(idp, m2m)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert "." not in body["access_token"] and len(body["access_token"]) >= 43
    assert "refresh_token" not in body and "id_token" not in body


def test_opaque_m2m_token_introspects_as_the_app(idp, m2m):
    token = client_credentials(idp, m2m).json()["access_token"]

    info = introspect(idp, m2m, token)

    assert info["active"] is True and info["client_id"] == m2m["id"]
    assert "sub" not in info or info["sub"] == m2m["id"]


def test_m2m_token_is_not_a_userinfo_token(idp, m2m):
    token = client_credentials(idp, m2m).json()["access_token"]

    assert userinfo(idp, token).status_code in (401, 403)


def test_secret_in_the_body_is_accepted(idp, m2m):
    response = httpx.post(f"{idp.issuer}/token", data={"grant_type": "client_credentials", "client_id": m2m["id"],
                                                       "client_secret": m2m["secret"]})

    assert response.status_code == 200, response.text


def test_wrong_secret_is_invalid_client(idp, m2m):
    response = httpx.post(f"{idp.issuer}/token", data={"grant_type": "client_credentials"},
                          auth=(m2m["id"], "wrong-secret"))

    assert_token_error(response, "invalid_client", 401)


@pytest.mark.parametrize("app_type, error", [
    ("traditional", "unauthorized_client"),
    ("spa", "invalid_client"),  # public clients cannot authenticate for this grant
    ("native", "invalid_client"),
])
def test_only_m2m_apps_use_client_credentials(idp, app_type, error):
    app = idp.make_app(type=app_type, redirect_uris=["https://rp.example.test/cb"])

    assert_token_error(client_credentials(idp, app), error, {400, 401})


def test_resource_gets_a_jwt_access_token_for_that_audience(idp, m2m, resource):
    started = int(time.time())
    response = client_credentials(idp, m2m, resource=resource["indicator"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 1800
    header, _, _ = segments(body["access_token"])
    assert header["alg"] == "ES384" and header["typ"] == "at+jwt" and header["kid"]
    claims = verify_jwt(idp, body["access_token"]).claims
    assert claims["aud"] == resource["indicator"]
    assert claims["iss"] == idp.issuer
    assert claims["sub"] == claims["client_id"] == m2m["id"]
    assert claims["exp"] - claims["iat"] == 1800 and claims["iat"] >= started - 5
    assert claims["jti"]


def test_unknown_resource_is_invalid_target(idp, m2m):
    response = client_credentials(idp, m2m, resource="https://unknown.api.example.test")

    assert_token_error(response, "invalid_target")


def test_jwt_access_tokens_cannot_be_introspected_or_revoked(idp, m2m, resource):
    token = client_credentials(idp, m2m, resource=resource["indicator"]).json()["access_token"]

    for path in ("token/introspection", "token/revocation"):
        response = client_post(idp, m2m, path, {"token": token})
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_token_type"


# Resources in the authorization code flow


def test_user_token_for_a_resource_is_a_jwt_about_the_user(idp, browser, app, user, resource):
    callback = sign_in(browser, app, user, resource=resource["indicator"])

    response = exchange(idp, app, callback, resource=resource["indicator"])

    assert response.status_code == 200, response.text
    body = response.json()
    claims = verify_jwt(idp, body["access_token"]).claims
    assert claims["aud"] == resource["indicator"] and claims["sub"] == user["id"]
    assert claims["client_id"] == app["id"]
    assert verify_jwt(idp, body["id_token"]).claims["aud"] == app["id"]


def test_without_a_resource_at_the_token_endpoint_the_token_is_opaque(idp, browser, app, user, resource):
    callback = sign_in(browser, app, user, resource=resource["indicator"])

    body = exchange(idp, app, callback).json()

    assert "." not in body["access_token"]
    assert userinfo(idp, body["access_token"]).status_code == 200


def test_token_request_cannot_switch_to_a_resource_that_was_not_authorized(idp, browser, app, user, resource):
    other = idp.cli("resource", "create", "--indicator", f"https://{secrets.token_hex(4)}.api.example.test")
    callback = sign_in(browser, app, user, resource=resource["indicator"])

    assert_token_error(exchange(idp, app, callback, resource=other["indicator"]), "invalid_target")


def test_refresh_for_a_resource_gets_a_jwt(idp, browser, app, user, resource):
    callback = sign_in(browser, app, user, resource=resource["indicator"], **OFFLINE)
    tokens = exchange(idp, app, callback).json()

    response = refresh(idp, app, tokens["refresh_token"], resource=resource["indicator"])

    assert response.status_code == 200, response.text
    assert verify_jwt(idp, response.json()["access_token"]).claims["aud"] == resource["indicator"]
