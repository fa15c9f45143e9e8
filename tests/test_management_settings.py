"""`/api/sign-in-exp` and `/api/connectors`: server-wide settings (each test restores what it changes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.mail import connectors
from tests.management import assert_error, settings_restored

HTTP_CONFIG = {"endpoint": "https://mail.example.test/send", "authorization": "Bearer very-secret"}


@pytest.fixture
def saved_settings(idp) -> Iterator[None]:
    with settings_restored(idp):
        yield


def test_sign_in_experience_in_logto_shape(api):
    body = api.get("/api/sign-in-exp").json()
    assert body["id"] == "default" and body["signInMode"] in ("SignIn", "Register", "SignInAndRegister")
    assert set(body["signUp"]) >= {"identifiers", "password", "verify"} and isinstance(body["signIn"]["methods"], list)


@pytest.mark.both_databases
def test_patch_merges_sign_up_and_takes_effect(idp, api, app, saved_settings, new_browser):
    before = api.get("/api/sign-in-exp").json()
    patched = api.patch("/api/sign-in-exp", json={"signUp": {"password": True}, "signInMode": "SignIn",
                                                  "branding": {"logoUrl": "ignored"}})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["signUp"] == {**before["signUp"], "password": True} and body["signInMode"] == "SignIn"
    assert "branding" not in body and api.get("/api/sign-in-exp").json() == body
    browser = new_browser(idp)
    browser.follow(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.experience("PUT", "", {"interactionEvent": "Register"}).status_code == 403


@pytest.mark.parametrize("body", [
    {"signInMode": "Sometimes"}, {"signUp": {"identifiers": "email"}}, {"signUp": {"identifiers": [["email"]]}},
    {"signUp": {"password": "yes"}}, {"signIn": {"methods": [{"identifier": "email"}]}}, {"signUp": None},
])
def test_invalid_sign_in_experience_is_400(api, body, saved_settings):
    response = api.patch("/api/sign-in-exp", json=body)
    assert response.status_code == 400 and response.json()["code"].endswith("invalid_input"), response.text


@pytest.mark.both_databases
def test_connector_lifecycle_with_masked_secrets(idp, api, saved_settings):
    created = api.post("/api/connectors", json={"connectorId": "http-email", "config": HTTP_CONFIG})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["id"] == "http-email" and body["type"] == "Email"
    assert body["config"] == {**HTTP_CONFIG, "authorization": "******"}
    assert api.get("/api/connectors").json() == [body] and api.get("/api/connectors/http-email").json() == body
    moved = {**body["config"], "endpoint": "https://mail.example.test/v2"}
    assert api.patch("/api/connectors/http-email", json={"config": moved}).status_code == 200
    with idp.db() as tx:
        assert connectors.get_active(tx)["config"] == {**HTTP_CONFIG, "endpoint": "https://mail.example.test/v2"}
    assert api.delete("/api/connectors/http-email").status_code == 204
    assert api.get("/api/connectors").json() == []
    assert_error(api.get("/api/connectors/http-email"), 404, "entity.not_found")


def test_connectors_are_known_by_idp_sender_names_too(api, saved_settings):
    created = api.post("/api/connectors", json={"connectorId": "http", "config": HTTP_CONFIG})
    assert created.status_code == 200 and created.json()["connectorId"] == "http-email"


def test_connector_errors(api, saved_settings):
    assert_error(api.post("/api/connectors", json={"connectorId": "carrier-pigeon", "config": {}}), 404,
                 "connector.not_found")
    assert_error(api.post("/api/connectors", json={"connectorId": "http-email", "config": {"endpoint": "ftp://x"}}),
                 400, "connector.invalid_config")
    assert_error(api.post("/api/connectors", json={"connectorId": "http-email", "config": {"endpoint": "http://[::1"}}),
                 400, "connector.invalid_config")
    assert_error(api.post("/api/connectors", json={"config": {}}), 400, "guard.invalid_input")
    assert_error(api.patch("/api/connectors/http-email", json={"config": {}}), 404, "entity.not_found")
