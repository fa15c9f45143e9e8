"""Sign-in limits under parallel bursts across two workers: lockout, send rate, code tries, and
one canonical form per identifier, so that no spelling of an address gets a budget of its own."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from idp.models import VerificationCode
from tests.browser import Browser
from tests.server import Server, two_workers

pytestmark = pytest.mark.both_databases

FAILURES = 5  # failed passwords and codes per identifier before the lockout
MESSAGES = 4  # messages per recipient per window
TRIES = 3  # tries per code
BURST = 30
LIMITS = {"IDP_VERIFY_FAILURE_LIMIT": str(FAILURES), "IDP_MESSAGE_RATE_LIMIT": str(MESSAGES),
          "IDP_VERIFICATION_CODE_MAX_TRIES": str(TRIES)}
PASSWORD = "Correct-Horse-9"


@pytest.fixture(scope="module")
def pair(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with two_workers(backend, tmp_path_factory.mktemp(f"limits-{backend}"), "idp_limits", LIMITS) as running:
        yield running


@pytest.fixture
def started(pair) -> Iterator[Browser]:
    """A browser with a SignIn interaction."""
    server, _ = pair
    app = server.make_app()
    browser = Browser(server.endpoint)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    yield browser
    browser.close()


def new_address() -> str:
    return f"limits-{secrets.token_hex(4)}@example.test"


def burst(pair, browser: Browser, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST each body to the Experience API at once, alternating the two workers, in `browser`'s interaction."""
    server, other = pair
    cookies = dict(browser.http.cookies)

    def post(item: tuple[int, dict[str, Any]]) -> httpx.Response:
        index, body = item
        with httpx.Client(base_url=(server.endpoint, other)[index % 2], cookies=cookies, timeout=60) as client:
            return client.post(f"/api/experience{path}", json=body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, enumerate(bodies)))


def answers(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("code", "") if r.content else "") for r in responses)


def password_attempt(browser: Browser, kind: str, value: str, password: str) -> httpx.Response:
    return browser.experience("POST", "/verification/password",
                              {"identifier": {"type": kind, "value": value}, "password": password})


BLOCKED = (400, "session.verification_blocked_too_many_attempts")
WRONG_PASSWORD = (422, "session.invalid_credentials")
INVALID = (400, "guard.invalid_input")


# --- one canonical form per identifier ---------------------------------------------------------------

SPACES = [" {}", "{} ", "\t{}", "{}\n", "\u00a0{}", "{}\u00a0", "\u3000{}", "{}\u3000", "\u2003{}", "{}\r\n"]


def test_spellings_with_spaces_around_an_email_are_refused_not_given_a_budget(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    for _ in range(FAILURES):
        assert answers([password_attempt(started, "email", email, "Wrong-Pass-1")]) == {WRONG_PASSWORD: 1}
    assert answers([password_attempt(started, "email", email, PASSWORD)]) == {BLOCKED: 1}
    for spelling in SPACES:
        variant = spelling.format(email)
        for password in ("Wrong-Pass-1", PASSWORD):
            refused = password_attempt(started, "email", variant, password)
            assert answers([refused]) == {INVALID: 1}, repr(variant)
        assert answers([started.send_code(variant)]) == {INVALID: 1}, repr(variant)


def test_case_variants_of_an_email_share_one_budget(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    spellings = [email.upper(), email.capitalize(), email.swapcase(), email.title(), email]
    assert answers([password_attempt(started, "email", spelling, "Wrong-Pass-1") for spelling in spellings]) == {
        WRONG_PASSWORD: FAILURES}
    assert answers([password_attempt(started, "email", email.upper(), PASSWORD)]) == {BLOCKED: 1}


def test_lookalike_and_control_characters_in_an_email_are_refused(pair, started):
    server, _ = pair
    email = f"limits-k{secrets.token_hex(4)}@example.test"
    server.make_user(email, PASSWORD)
    local, domain = email.split("@")
    # The Kelvin sign lower-cases to "k": folded before it is checked, it would reach the account.
    for variant in (email.replace("k", "\u212a", 1), email.replace("e", "\u0435", 1), f"{local}\u200b@{domain}",
                    f"{email}\x00", f"{local}@\x00{domain}"):
        assert answers([password_attempt(started, "email", variant, PASSWORD)]) == {INVALID: 1}, repr(variant)


@pytest.fixture
def usernames_sign_in(pair) -> Iterator[None]:
    server, _ = pair
    email = {"identifier": "email", "password": True, "verificationCode": True, "isPasswordPrimary": False}
    username = {"identifier": "username", "password": True, "verificationCode": False, "isPasswordPrimary": True}
    server.cli("sign-in-exp", "set", "--json", json.dumps({"signIn": {"methods": [email, username]}}))
    yield
    server.cli("sign-in-exp", "set", "--json", json.dumps({"signIn": {"methods": [email]}}))


def test_usernames_follow_logtos_rule_and_are_compared_exactly(pair, started, usernames_sign_in):
    server, _ = pair
    username = f"limits_{secrets.token_hex(3)}"
    server.make_user(new_address(), PASSWORD, username=username)
    for spelling in [*SPACES, "{}-x", "{}.x", "9{}", "{}\u0131"]:
        variant = spelling.format(username)
        assert answers([password_attempt(started, "username", variant, PASSWORD)]) == {INVALID: 1}, repr(variant)
    # Usernames are case-sensitive (Logto's default policy): another case is another, unknown, account.
    assert answers([password_attempt(started, "username", username.upper(), PASSWORD)]) == {WRONG_PASSWORD: 1}
    for _ in range(FAILURES):
        assert answers([password_attempt(started, "username", username, "Wrong-Pass-1")]) == {WRONG_PASSWORD: 1}
    assert answers([password_attempt(started, "username", username, PASSWORD)]) == {BLOCKED: 1}


# --- bursts ------------------------------------------------------------------------------------------

def test_a_burst_of_wrong_passwords_evaluates_exactly_the_budget(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    body = {"identifier": {"type": "email", "value": email}, "password": "Wrong-Pass-1"}
    assert answers(burst(pair, started, "/verification/password", [body] * BURST)) == {
        WRONG_PASSWORD: FAILURES, BLOCKED: BURST - FAILURES}
    assert answers([password_attempt(started, "email", email, PASSWORD)]) == {BLOCKED: 1}


def test_a_burst_of_sends_to_one_address_delivers_exactly_the_limit(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    body = {"identifier": {"type": "email", "value": email}, "interactionEvent": "SignIn"}
    assert answers(burst(pair, started, "/verification/verification-code", [body] * BURST)) == {
        (200, ""): MESSAGES, (429, "request.message_rate_limited"): BURST - MESSAGES}
    assert len(server.messages(email)) == MESSAGES


def test_a_burst_of_wrong_codes_compares_exactly_the_tries(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    verification_id = started.send_code(email).json()["verificationId"]
    code = server.last_code(email)
    wrong = "000000" if code != "000000" else "111111"
    body = {"identifier": {"type": "email", "value": email}, "verificationId": verification_id, "code": wrong}
    # Each refused code is a failure of the identifier too: TRIES compared, the rest refused unread,
    # until the identifier's budget is spent.
    assert answers(burst(pair, started, "/verification/verification-code/verify", [body] * BURST)) == {
        (400, "verification_code.code_mismatch"): TRIES, (400, "verification_code.exceed_max_try"): FAILURES - TRIES,
        BLOCKED: BURST - FAILURES}
    with server.db() as db:
        assert db.query(VerificationCode).filter_by(email_key=email).one().try_count == TRIES


def test_a_right_code_after_the_last_try_is_answered_like_a_wrong_one(pair, started):
    server, _ = pair
    email = new_address()
    server.make_user(email, PASSWORD)
    verification_id = started.send_code(email).json()["verificationId"]
    code = server.last_code(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(TRIES):
        assert answers([started.verify_code(email, verification_id, wrong)]) == {
            (400, "verification_code.code_mismatch"): 1}
    right, other = started.verify_code(email, verification_id, code), started.verify_code(email, verification_id, wrong)
    assert (right.status_code, right.json()) == (other.status_code, other.json())
    assert right.json()["code"] == "verification_code.exceed_max_try"
