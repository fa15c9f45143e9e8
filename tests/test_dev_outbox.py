"""The development outbox at /api/dev/outbox: newest first, filtered by recipient, waiting on demand."""

from __future__ import annotations

import secrets
import threading
import time

import httpx

from tests.browser import Browser


def test_outbox_lists_newest_first_and_filters_by_recipient(idp, browser: Browser, app, user):
    other = idp.make_user(f"other-{secrets.token_hex(3)}@example.test")
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    for email in (user["email"], other["email"], user["email"]):
        assert browser.send_code(email).status_code == 200
    mine = idp.messages(user["email"].upper())
    assert [m["to"] for m in mine] == [user["email"]] * 2 and mine[0]["id"] > mine[1]["id"]
    message = mine[0]
    assert set(message) == {"id", "to", "type", "subject", "content", "code", "created_at"}
    assert message["type"] == "SignIn" and message["code"] in message["content"]


def test_outbox_waits_for_the_next_message(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(user["email"]).status_code == 200  # an older message must not count
    [older] = idp.messages(user["email"])
    threading.Timer(0.5, lambda: browser.send_code(user["email"])).start()
    started = time.monotonic()
    waited = httpx.get(f"{idp.endpoint}/api/dev/outbox", params={"to": user["email"], "wait": "10",
                                                                 "after": older["id"]}, timeout=20)
    assert waited.status_code == 200 and len(waited.json()) == 1
    assert 0.3 < time.monotonic() - started < 9
    assert waited.json()[0]["code"] == idp.last_code(user["email"])


def test_outbox_wait_must_be_a_bounded_number(idp):
    for wait in ("nan", "-1", "abc", "inf"):
        answer = httpx.get(f"{idp.endpoint}/api/dev/outbox", params={"to": "x@example.test", "wait": wait})
        assert answer.status_code == 400 and answer.json()["code"] == "guard.invalid_input"
