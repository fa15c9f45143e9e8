"""`/api/verification-codes`: Logto's Generic email codes through the active sender."""

from __future__ import annotations

import pytest

from idp.mail import connectors
from tests.browser import new_email
from tests.management import assert_error
from tests.server import free_port


def send(api, email: str):
    return api.post("/api/verification-codes", json={"email": email})


def verify(api, email: str, code: str):
    return api.post("/api/verification-codes/verify", json={"email": email, "verificationCode": code})


@pytest.mark.both_databases
def test_a_code_is_sent_and_verified_once(idp, api):
    email = new_email()
    assert send(api, email).status_code == 204
    message = idp.messages(email)[0]
    assert message["type"] == "Generic" and len(message["code"]) == 6
    wrong = "000000" if message["code"] != "000000" else "111111"
    assert_error(verify(api, email, wrong), 400, "verification_code.code_mismatch")
    assert verify(api, email.upper(), message["code"]).status_code == 204
    assert_error(verify(api, email, message["code"]), 400, "verification_code.not_found")


def test_a_new_code_replaces_the_old_one(idp, api):
    email = new_email()
    send(api, email)
    first = idp.last_code(email)
    send(api, email)
    second = idp.last_code(email)
    if first != second:
        assert_error(verify(api, email, first), 400, "verification_code.code_mismatch")
    assert verify(api, email, second).status_code == 204


def test_without_a_code_verification_is_not_found(api):
    assert_error(verify(api, new_email(), "123456"), 400, "verification_code.not_found")


def test_sends_are_rate_limited(idp, api):
    email = new_email()
    statuses = [send(api, email).status_code for _ in range(11)]
    assert statuses[:10] == [204] * 10
    assert_error(send(api, email), 429, "request.message_rate_limited")


def test_a_failed_delivery_leaves_no_usable_code(idp, api):
    email = new_email()
    with idp.db() as tx:
        previous = connectors.get_active(tx)
        connectors.set_active(tx, "http", {"endpoint": f"http://127.0.0.1:{free_port()}/send"})
    try:
        assert_error(send(api, email), 400, "connector.general")
    finally:
        with idp.db() as tx:
            if previous:
                connectors.set_active(tx, previous["name"], previous["config"])
            else:
                connectors.remove(tx)
    assert_error(verify(api, email, "123456"), 400, "verification_code.not_found")


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": ["a@b.test"]}, {"phone": "+15555550100"}])
def test_invalid_requests_are_400(api, body):
    assert_error(api.post("/api/verification-codes", json=body), 400, "guard.invalid_input")


@pytest.mark.parametrize("body", [{"email": "a@example.test"}, {"email": "a@example.test", "verificationCode": 1},
                                  {"verificationCode": "123456"}])
def test_invalid_verifications_are_400(api, body):
    assert_error(api.post("/api/verification-codes/verify", json=body), 400, "guard.invalid_input")
