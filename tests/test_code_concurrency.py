"""Verification codes under parallel requests: one success, every failure counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from idp.models import VerificationCode
from tests.browser import Browser

pytestmark = pytest.mark.both_databases


def parallel_verify(idp, browser: Browser, email: str, verification_id: str, code: str, count: int) -> list[int]:
    body = {"identifier": {"type": "email", "value": email}, "verificationId": verification_id, "code": code}
    cookies = dict(browser.http.cookies)

    def verify(_: int) -> int:
        with httpx.Client(base_url=idp.endpoint, cookies=cookies, timeout=60) as client:
            return client.post("/api/experience/verification/verification-code/verify", json=body).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(verify, range(count)))


def started(idp, browser: Browser, app, email: str) -> str:
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    sent = browser.send_code(email)
    assert sent.status_code == 200
    return sent.json()["verificationId"]


def test_twenty_parallel_verifications_of_one_code_succeed_once(idp, browser: Browser, app, user):
    verification_id = started(idp, browser, app, user["email"])
    statuses = parallel_verify(idp, browser, user["email"], verification_id, idp.last_code(user["email"]), 20)
    assert statuses.count(200) == 1 and statuses.count(400) == 19


def test_fifty_parallel_wrong_codes_are_all_counted(idp, browser: Browser, app, user):
    verification_id = started(idp, browser, app, user["email"])
    wrong = "123456" if idp.last_code(user["email"]) != "123456" else "654321"
    statuses = parallel_verify(idp, browser, user["email"], verification_id, wrong, 50)
    assert statuses == [400] * 50
    with idp.db() as db:
        row = db.query(VerificationCode).filter_by(email_key=user["email"].lower()).one()
        assert row.try_count == 50 and row.consumed_at is None
