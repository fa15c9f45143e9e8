"""Development-mode controls: time travel, reset, fixed codes, key rotation over HTTP."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.browser import Browser, query


@pytest.mark.both_databases
def test_time_travel_expires_a_verification_code(idp, browser: Browser, app, user, travel):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    verification_id = browser.send_code(user["email"]).json()["verificationId"]
    assert travel(601)["offset"] == 601
    expired = browser.verify_code(user["email"], verification_id, idp.last_code(user["email"]))
    assert expired.status_code == 400 and expired.json()["code"] == "verification_code.expired"


@pytest.mark.both_databases
def test_time_travel_expires_a_refresh_token(idp, browser: Browser, app, user, travel):
    url = browser.authorize_url(app["id"], app["redirect_uris"][0], scope="openid offline_access", prompt="consent")
    code = query(browser.sign_in_with_password(url, user["email"], user["password"]))["code"]
    tokens = httpx.post(f"{idp.issuer}/token", auth=(app["id"], app["secret"]), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": app["redirect_uris"][0]}).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert httpx.post(f"{idp.issuer}/token", auth=(app["id"], app["secret"]), data=refresh).status_code == 200
    travel(14 * 24 * 3600 + 1)
    expired = httpx.post(f"{idp.issuer}/token", auth=(app["id"], app["secret"]), data=refresh)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


@pytest.mark.both_databases
def test_reset_empties_users_and_keeps_applications(idp, app, user, travel, new_browser):
    travel(3600)
    assert httpx.post(f"{idp.endpoint}/api/dev/reset").status_code == 204
    assert httpx.get(f"{idp.endpoint}/api/dev/clock").json()["offset"] == 0
    browser = new_browser(idp)
    url = browser.authorize_url(app["id"], app["redirect_uris"][0])
    assert browser.follow(url).url.path == "/sign-in"  # the application still exists
    browser.experience("PUT", "", {"interactionEvent": "SignIn"})
    gone = browser.experience("POST", "/verification/password",
                              {"identifier": {"type": "email", "value": user["email"]}, "password": user["password"]})
    assert gone.status_code == 422 and gone.json()["code"] == "session.invalid_credentials"


@pytest.mark.both_databases
def test_fixed_codes_for_a_domain(idp, browser: Browser, app):
    assert httpx.put(f"{idp.endpoint}/api/dev/fixed-codes", json={"fixed.test": "000000"}).status_code == 200
    try:
        email = f"fixed-{secrets.token_hex(3)}@Fixed.test"
        browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "Register")
        verification_id = browser.send_code(email, "Register").json()["verificationId"]
        assert idp.last_code(email) == "000000"
        assert browser.verify_code(email, verification_id, "000000").status_code == 200
    finally:
        httpx.put(f"{idp.endpoint}/api/dev/fixed-codes", json={})


@pytest.mark.both_databases
def test_keys_rotate_over_http(idp):
    rotated = httpx.post(f"{idp.endpoint}/api/dev/keys/rotate", json={})
    assert rotated.status_code == 200
    assert httpx.get(f"{idp.issuer}/jwks").json()["keys"][0]["kid"] == rotated.json()["kid"]
    refused = httpx.post(f"{idp.endpoint}/api/dev/keys/rotate", json={"alg": "HS256"})
    assert refused.status_code == 400 and refused.json()["code"] == "guard.invalid_input"


@pytest.mark.parametrize("method,path", [("POST", "/api/dev/clock"), ("POST", "/api/dev/reset"),
                                         ("PUT", "/api/dev/fixed-codes"), ("POST", "/api/dev/keys/rotate")])
def test_controls_refuse_bad_input(idp, method, path):
    answer = httpx.request(method, f"{idp.endpoint}{path}", content=b"[1,",
                           headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "guard.invalid_input"


def test_explain_shows_what_was_compared(idp, app, new_browser):
    browser = new_browser(idp)
    page = browser.http.get("/oidc/auth", params={"client_id": app["id"], "redirect_uri": "https://rp.example.test/cb/",
                                                  "response_type": "code", "scope": "openid"})
    assert page.status_code == 400 and "Explain (development mode)" in page.text
    assert "https://rp.example.test/cb/" in page.text and app["redirect_uris"][0] in page.text
    assert idp.issuer in page.text and "host_seen" in page.text
