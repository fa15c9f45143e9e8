"""Two `idp serve` processes on one database behave as one provider."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from joserfc import jws

from idp.models import User
from tests.browser import Browser, pkce_pair, query
from tests.server import Server, two_workers

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def pair(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with two_workers(backend, tmp_path_factory.mktemp(f"workers-{backend}"), "idp_workers") as running:
        yield running


def kids(base: str) -> list[str]:
    return [key["kid"] for key in httpx.get(f"{base}/oidc/jwks").json()["keys"]]


def test_a_key_rotated_by_the_cli_is_used_by_both_workers(pair, new_browser):
    server, other = pair
    before = kids(server.endpoint)
    rotated = server.cli("keys", "rotate")["kid"]
    assert kids(server.endpoint)[0] == kids(other)[0] == rotated
    assert set(before) <= set(kids(other))

    app = server.make_app()
    user = server.make_user("worker-rotation@example.test")
    browser = new_browser(server)
    callback = browser.sign_in_with_password(browser.authorize_url(app["id"], app["redirect_uris"][0]),
                                             user["email"], user["password"])
    tokens = httpx.post(f"{other}/oidc/token", auth=(app["id"], app["secret"]), data={
        "grant_type": "authorization_code", "code": query(callback)["code"],
        "redirect_uri": app["redirect_uris"][0]}).json()
    assert jws.extract_compact(tokens["id_token"].encode()).protected["kid"] == rotated


def test_a_code_consumed_on_one_worker_is_consumed_on_the_other(pair, new_browser):
    server, other = pair
    app = server.make_app()
    user = server.make_user("worker-code@example.test")
    verifier, challenge = pkce_pair()
    browser = new_browser(server)
    callback = browser.sign_in_with_password(
        browser.authorize_url(app["id"], app["redirect_uris"][0], code_challenge=challenge,
                              code_challenge_method="S256"), user["email"], user["password"])
    form = {"grant_type": "authorization_code", "code": query(callback)["code"],
            "redirect_uri": app["redirect_uris"][0], "code_verifier": verifier}
    first = httpx.post(f"{other}/oidc/token", auth=(app["id"], app["secret"]), data=form)
    assert first.status_code == 200, first.text
    replay = httpx.post(f"{server.endpoint}/oidc/token", auth=(app["id"], app["secret"]), data=form)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replay revoked the grant on every worker.
    userinfo = httpx.get(f"{other}/oidc/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"})
    assert userinfo.status_code == 401


def started_on(browser: Browser, base: str, app: dict, event: str = "SignIn") -> Browser:
    """`browser` (on the first worker), its interaction begun there and its API calls sent to `base`."""
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), event)
    browser.http.base_url = httpx.URL(base)
    return browser


def split_between(pair, count: int) -> list[str]:
    """Alternate the two workers' base URLs for `count` parallel requests."""
    server, other = pair
    return [(server.endpoint, other)[index % 2] for index in range(count)]


def test_parallel_redemptions_of_one_code_across_workers_succeed_once(pair, new_browser):
    server, _ = pair
    app = server.make_app()
    user = server.make_user(f"race-code-{secrets.token_hex(3)}@example.test")
    browser = new_browser(server)
    callback = browser.sign_in_with_password(browser.authorize_url(app["id"], app["redirect_uris"][0]),
                                             user["email"], user["password"])
    form = {"grant_type": "authorization_code", "code": query(callback)["code"],
            "redirect_uri": app["redirect_uris"][0]}

    def redeem(base: str) -> int:
        return httpx.post(f"{base}/oidc/token", auth=(app["id"], app["secret"]), data=form, timeout=60).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(redeem, split_between(pair, 20)))
    assert statuses.count(200) == 1 and statuses.count(400) == 19


def test_parallel_refreshes_across_workers_leave_one_live_chain(pair, new_browser):
    server, _ = pair
    app = server.make_app(type="spa")  # public clients rotate on every refresh
    user = server.make_user(f"race-refresh-{secrets.token_hex(3)}@example.test")
    verifier, challenge = pkce_pair()
    browser = new_browser(server)
    url = browser.authorize_url(app["id"], app["redirect_uris"][0], scope="openid offline_access",
                                prompt="consent", code_challenge=challenge, code_challenge_method="S256")
    code = query(browser.sign_in_with_password(url, user["email"], user["password"]))["code"]
    tokens = httpx.post(f"{server.issuer}/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": app["redirect_uris"][0],
        "client_id": app["id"], "code_verifier": verifier}).json()

    def refresh(base: str) -> httpx.Response:
        return httpx.post(f"{base}/oidc/token", timeout=60, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": app["id"]})

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(refresh, split_between(pair, 10)))
    winners = [answer.json()["refresh_token"] for answer in answers if answer.status_code == 200]
    assert len(winners) <= 1 and all(a.json().get("error") == "invalid_grant" for a in answers if a.status_code != 200)
    if winners:
        assert refresh(server.endpoint).status_code == 400  # the old token is spent
        onward = httpx.post(f"{server.issuer}/token", data={
            "grant_type": "refresh_token", "refresh_token": winners[0], "client_id": app["id"]})
        assert onward.status_code == 200


def test_parallel_registrations_of_one_email_create_one_user(pair, new_browser):
    server, _ = pair
    httpx.put(f"{server.endpoint}/api/dev/fixed-codes", json={"race.test": "424242"})
    app = server.make_app()
    email = f"race-{secrets.token_hex(3)}@race.test"
    browsers = []
    for base in split_between(pair, 10):
        browser = started_on(new_browser(server), base, app, "Register")
        verification_id = browser.send_code(email, "Register").json()["verificationId"]
        assert browser.verify_code(email, verification_id, "424242").status_code == 200
        browsers.append((browser, verification_id))

    def identify(item) -> httpx.Response:
        browser, verification_id = item
        return browser.experience("POST", "/identification", {"verificationId": verification_id})

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(identify, browsers))
    assert [a.status_code for a in answers].count(201) == 1
    assert {a.json()["code"] for a in answers if a.status_code != 201} == {"user.email_already_in_use"}
    with server.db() as db:
        assert db.query(User).filter_by(email_key=email.lower()).count() == 1


def test_send_limits_are_shared_by_the_workers(pair, new_browser):
    server, other = pair
    app = server.make_app()
    email = server.make_user(f"limit-{secrets.token_hex(3)}@example.test")["email"]
    browsers = [started_on(new_browser(server), base, app) for base in (server.endpoint, other)]
    for index in range(10):
        assert browsers[index % 2].send_code(email).status_code == 200
    for browser in browsers:
        limited = browser.send_code(email)
        assert limited.status_code == 429 and limited.json()["code"] == "request.message_rate_limited"
