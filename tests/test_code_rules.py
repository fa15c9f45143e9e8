"""Limits and rules around verification codes, on a server with small limits and short lifetimes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from idp.models import User, VerificationCode
from tests.browser import Browser, new_email
from tests.server import Server, fresh_database_url

LIMITS = {"IDP_DEV": "1", "IDP_MESSAGE_RATE_LIMIT": "3", "IDP_VERIFY_FAILURE_LIMIT": "4",
          "IDP_VERIFICATION_CODE_TTL": "2"}


@pytest.fixture(scope="module")
def strict(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"rules-{backend}")
    server = Server(database_url=fresh_database_url(backend, folder, "idp_rules"), data_dir=folder, extra_env=LIMITS)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def started(strict: Server) -> Iterator[tuple[Server, Browser, dict]]:
    app = strict.make_app()
    browser = Browser(strict.endpoint)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    yield strict, browser, app
    browser.close()


def sign_in_experience(server: Server, document: dict) -> None:
    server.cli("sign-in-exp", "set", "--json", json.dumps(document))


@pytest.mark.both_databases
def test_sends_per_recipient_are_limited(started):
    server, browser, _ = started
    email = new_email()
    server.make_user(email)
    for _ in range(3):
        assert browser.send_code(email).status_code == 200
    limited = browser.send_code(email.upper())
    assert limited.status_code == 429 and limited.json()["code"] == "request.message_rate_limited"
    assert len(server.messages(email)) == 3


@pytest.mark.both_databases
def test_an_expired_code_is_refused(started):
    server, browser, _ = started
    email = server.make_user(new_email())["email"]
    verification_id = browser.send_code(email).json()["verificationId"]
    server.advance_clock(3)
    try:
        expired = browser.verify_code(email, verification_id, server.last_code(email))
    finally:
        server.dev("POST", "clock", {"offset": 0})
    assert expired.status_code == 400 and expired.json()["code"] == "verification_code.expired"


@pytest.mark.both_databases
def test_repeated_failures_lock_the_identifier(started):
    server, browser, _ = started
    email = server.make_user(new_email())["email"]
    verification_id = browser.send_code(email).json()["verificationId"]
    code = server.last_code(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert browser.verify_code(email, verification_id, wrong).json()["code"] == "verification_code.code_mismatch"
    blocked = browser.verify_code(email, verification_id, code)
    assert blocked.status_code == 400 and blocked.json()["code"] == "session.verification_blocked_too_many_attempts"
    password = browser.experience("POST", "/verification/password",
                                  {"identifier": {"type": "email", "value": email}, "password": "Correct-Horse-9"})
    assert password.json()["code"] == "session.verification_blocked_too_many_attempts"


def test_a_disabled_method_is_refused(started):
    server, browser, _ = started
    email = server.make_user(new_email())["email"]
    sign_in_experience(server, {"signIn": {"methods": [
        {"identifier": "email", "password": True, "verificationCode": False, "isPasswordPrimary": True}]}})
    try:
        refused = browser.send_code(email)
        assert refused.status_code == 422 and refused.json()["code"] == "user.sign_in_method_not_enabled"
    finally:
        sign_in_experience(server, {"signIn": {"methods": [
            {"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": False}]}})


def test_sign_in_mode_forbids_the_other_event(started):
    server, browser, _ = started
    sign_in_experience(server, {"signInMode": "SignIn"})
    try:
        forbidden = browser.experience("PUT", "", {"interactionEvent": "Register"})
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "auth.forbidden"
        # Registration closed: a code for an unknown address is never delivered, and nobody can tell.
        unknown, known = new_email(), server.make_user(new_email())["email"]
        answers = [browser.send_code(unknown), browser.send_code(known)]
        assert [a.status_code for a in answers] == [200, 200]
        assert server.messages(unknown) == [] and len(server.messages(known)) == 1
    finally:
        sign_in_experience(server, {"signInMode": "SignInAndRegister"})


def test_without_a_sender_nothing_is_created(no_sender, new_browser):
    server = no_sender
    app = server.make_app()
    browser = new_browser(server)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "Register")
    email = new_email()
    answer = browser.send_code(email, "Register")
    assert answer.status_code == 501 and answer.json()["code"] == "connector.not_found"
    assert browser.experience("GET", "/interaction").json()["verificationRecords"] == []
    with server.db() as db:
        assert db.query(VerificationCode).filter_by(email_key=email).count() == 0
        assert db.query(User).filter_by(email_key=email).count() == 0
    page = httpx.get(f"{server.endpoint}/oidc/auth", params={"client_id": app["id"], "redirect_uri": "https://x/"})
    assert page.status_code == 400 and "Explain" not in page.text
    for method, path in (("GET", "outbox"), ("POST", "clock"), ("POST", "reset"), ("POST", "keys/rotate")):
        assert httpx.request(method, f"{server.endpoint}/api/dev/{path}").status_code == 404
