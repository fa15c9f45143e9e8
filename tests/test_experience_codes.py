"""Logto's email verification-code sequences through the Experience API, codes read from the outbox."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.browser import Browser, new_email, query
from tests.flows import redeem, userinfo


@pytest.mark.both_databases
def test_sign_in_by_code(idp, browser: Browser, app, user):
    callback = browser.sign_in_with_code(idp, browser.authorize_url(app["id"], app["redirect_uris"][0]), user["email"])
    assert userinfo(idp, redeem(idp, app, callback)["access_token"]).json()["sub"] == user["id"]


def test_code_goes_to_the_stored_spelling_of_the_address(idp, browser: Browser, app):
    stored = f"Mixed.Case-{secrets.token_hex(3)}@Example.test"
    idp.make_user(stored)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(stored.lower()).status_code == 200
    message = idp.messages(stored)[0]
    assert message["to"] == stored and message["type"] == "SignIn" and len(message["code"]) == 6


@pytest.mark.both_databases
def test_register_by_code_then_sign_in(idp, browser: Browser, app):
    email = new_email()
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "Register")
    verification_id = browser.code_verification(idp, email, "Register")
    created = browser.experience("POST", "/identification", {"verificationId": verification_id})
    assert created.status_code == 201, created.text
    submitted = browser.experience("POST", "/submit").json()
    info = userinfo(idp, redeem(idp, app, browser.finish(submitted["redirectTo"]))["access_token"]).json()
    assert info["email"] == email and info["email_verified"] is True


def test_register_asks_for_a_password_when_the_sign_up_requires_one(idp, browser: Browser, app, new_browser,
                                                                     sign_in_experience):
    sign_in_experience({"signUp": {"identifiers": ["email"], "password": True, "verify": True}})
    email = new_email()
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "Register")
    verification_id = browser.code_verification(idp, email, "Register")
    missing = browser.experience("POST", "/identification", {"verificationId": verification_id})
    assert missing.status_code == 422 and missing.json()["code"] == "user.missing_profile"
    weak = browser.experience("POST", "/profile", {"type": "password", "value": "password123"})
    assert weak.status_code == 422 and weak.json()["code"] == "password.rejected"
    strong = browser.experience("POST", "/profile", {"type": "password", "value": "Tall-Ladder-42"})
    assert strong.status_code == 204
    assert browser.experience("POST", "/identification", {}).status_code == 201
    browser.finish(browser.experience("POST", "/submit").json()["redirectTo"])
    again = new_browser(idp)
    callback = again.sign_in_with_password(again.authorize_url(app["id"], app["redirect_uris"][0]), email,
                                           "Tall-Ladder-42")
    assert "code" in query(callback)


@pytest.mark.both_databases
def test_forgot_password_resets_and_ends_sessions(idp, browser: Browser, app, user, new_browser):
    signed_in = new_browser(idp)
    signed_in.sign_in_with_password(signed_in.authorize_url(app["id"], app["redirect_uris"][0]), user["email"],
                                    user["password"])
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "ForgotPassword")
    verification_id = browser.code_verification(idp, user["email"], "ForgotPassword")
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
    same = browser.experience("PUT", "/profile/password", {"password": user["password"]})
    assert same.status_code == 422 and same.json()["code"] == "user.same_password"
    assert browser.experience("PUT", "/profile/password", {"password": "Brand-New-Pass-7"}).status_code == 204
    assert browser.experience("POST", "/submit").status_code == 204
    # The old session is over: a silent authorization needs a new sign-in.
    silent = signed_in.follow(signed_in.authorize_url(app["id"], app["redirect_uris"][0], prompt="none"))
    assert query(silent.headers["location"])["error"] == "login_required"
    fresh = new_browser(idp)
    fresh.sign_in_with_password(fresh.authorize_url(app["id"], app["redirect_uris"][0]), user["email"],
                                "Brand-New-Pass-7")


def set_event(browser: Browser, event: str) -> httpx.Response:
    return browser.experience("PUT", "/interaction-event", {"interactionEvent": event})


def assert_not_for_forgot_password(response: httpx.Response) -> None:
    assert response.status_code == 400 and response.json()["code"] == "session.not_supported_for_forgot_password"


def test_a_sign_in_code_cannot_reset_a_password(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "SignIn")
    verification_id = browser.code_verification(idp, user["email"], "SignIn")
    assert_not_for_forgot_password(set_event(browser, "ForgotPassword"))
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
    reset = browser.experience("PUT", "/profile/password", {"password": "Brand-New-Pass-7"})
    assert reset.status_code == 400 and reset.json()["code"] == "session.invalid_interaction_type"
    assert browser.experience("GET", "/interaction").json()["interactionEvent"] == "SignIn"


def test_a_forgot_password_code_cannot_sign_in(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "ForgotPassword")
    verification_id = browser.code_verification(idp, user["email"], "ForgotPassword")
    for event in ("SignIn", "Register"):
        assert_not_for_forgot_password(set_event(browser, event))
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
    submitted = browser.experience("POST", "/submit")
    assert submitted.status_code == 422 and submitted.json()["code"] == "user.new_password_required_in_profile"


def test_sign_in_and_register_switch_both_ways(idp, browser: Browser, app):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "SignIn")
    assert set_event(browser, "Register").status_code == 204
    assert set_event(browser, "SignIn").status_code == 204
    assert set_event(browser, "SignIn").status_code == 204
    assert browser.experience("GET", "/interaction").json()["interactionEvent"] == "SignIn"
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "ForgotPassword")
    assert set_event(browser, "ForgotPassword").status_code == 204


def test_forgot_password_for_an_unknown_email_answers_the_same_and_sends_nothing(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "ForgotPassword")
    unknown = new_email()
    known_answer = browser.send_code(user["email"], "ForgotPassword")
    unknown_answer = browser.send_code(unknown, "ForgotPassword")
    assert known_answer.status_code == unknown_answer.status_code == 200
    assert set(known_answer.json()) == set(unknown_answer.json()) == {"verificationId"}
    assert idp.messages(unknown) == [] and len(idp.messages(user["email"])) == 1


@pytest.mark.parametrize("value", [
    "a@example.test,b@example.test", "a@example.test;b@example.test", "A <a@example.test>", " a@example.test",
    "a@example.test\r\nBcc: b@example.test", "not-an-email", "a@b", "x" * 300 + "@example.test",
])
def test_an_email_is_exactly_one_plain_address(idp, browser: Browser, app, value):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    answer = browser.send_code(value)
    assert answer.status_code == 400 and answer.json()["code"] == "guard.invalid_input"


class TestCodeErrors:
    def sent(self, idp, browser, app, email):
        browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
        answer = browser.send_code(email)
        assert answer.status_code == 200
        return answer.json()["verificationId"], idp.last_code(email)

    @pytest.mark.both_databases
    def test_wrong_code_then_too_many_tries(self, idp, browser: Browser, app, user):
        verification_id, code = self.sent(idp, browser, app, user["email"])
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(10):
            answer = browser.verify_code(user["email"], verification_id, wrong)
            assert answer.status_code == 400 and answer.json()["code"] == "verification_code.code_mismatch"
        answer = browser.verify_code(user["email"], verification_id, code)
        assert answer.status_code == 400 and answer.json()["code"] == "verification_code.exceed_max_try"

    @pytest.mark.both_databases
    def test_a_code_is_used_once(self, idp, browser: Browser, app, user):
        verification_id, code = self.sent(idp, browser, app, user["email"])
        assert browser.verify_code(user["email"], verification_id, code).status_code == 200
        again = browser.verify_code(user["email"], verification_id, code)
        assert again.status_code == 400 and again.json()["code"] == "verification_code.not_found"

    def test_a_new_code_replaces_the_previous_one(self, idp, browser: Browser, app, user):
        first_id, first_code = self.sent(idp, browser, app, user["email"])
        second = browser.send_code(user["email"]).json()["verificationId"]
        stale = browser.verify_code(user["email"], first_id, first_code)
        assert stale.status_code == 400 and stale.json()["code"] == "verification_code.not_found"
        assert browser.verify_code(user["email"], second, idp.last_code(user["email"])).status_code == 200

    def test_the_code_is_bound_to_its_email(self, idp, browser: Browser, app, user):
        verification_id, code = self.sent(idp, browser, app, user["email"])
        answer = browser.verify_code(new_email(), verification_id, code)
        assert answer.status_code == 400 and answer.json()["code"] == "verification_code.email_mismatch"

    def test_the_code_is_bound_to_its_interaction(self, idp, browser: Browser, app, user, new_browser):
        verification_id, code = self.sent(idp, browser, app, user["email"])
        other = new_browser(idp)
        other.start(other.authorize_url(app["id"], app["redirect_uris"][0]))
        answer = other.verify_code(user["email"], verification_id, code)
        assert answer.status_code == 404 and answer.json()["code"] == "session.verification_session_not_found"

    def test_unknown_verification_and_no_session(self, idp, browser: Browser, app, user, new_browser):
        self.sent(idp, browser, app, user["email"])
        answer = browser.verify_code(user["email"], "nope", "123456")
        assert answer.status_code == 404 and answer.json()["code"] == "session.verification_session_not_found"
        lost = new_browser(idp).verify_code(user["email"], "nope", "123456")
        assert lost.status_code == 400 and lost.json()["code"] == "session.not_found"


@pytest.mark.parametrize("raw", [
    b'{"identifier": {"type": "email", "value": "a\\ud800@b.test"}, "interactionEvent": "SignIn"}',
    b'{"interactionEvent": NaN}', b"[" * 5000 + b"]" * 5000, b'{"a": ' * 100 + b"1" + b"}" * 100,
])
def test_hostile_json_is_a_clear_error(idp, browser: Browser, app, raw):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    answer = browser.http.post("/api/experience/verification/verification-code", content=raw,
                               headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "guard.invalid_input"
