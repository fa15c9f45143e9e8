"""A failing email service, seen from a person signing in and from an administrator.

The person learns only that the email could not be sent (Logto's `connector.general`), and not
even that where a failure would tell a known address from an unknown one (ForgotPassword, SignIn
with registration closed): there every address gets the answer an unknown one gets. The service's
own words go to administrators: the log (without the code) and the Management API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idp.models import VerificationCode
from tests.aliyun import serve_in_thread
from tests.browser import Browser, new_email
from tests.management import management_api
from tests.server import Server, fresh_database_url

pytestmark = pytest.mark.both_databases

TOKEN = "Bearer hook-secret-7d2c91"
UPSTREAM_WORDS = "quota exhausted for tenant 4411"


class FailingHook:
    """The operator's endpoint, refusing every message and echoing the request, code included."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.authorizations: list[str | None] = []
        self.status = 503

    async def deliver(self, request: Request) -> Response:
        body = await request.json()
        self.received.append(body)
        self.authorizations.append(request.headers.get("authorization"))
        if self.status < 300:
            return Response(status_code=self.status)
        echo = f"{UPSTREAM_WORDS}; you sent {json.dumps(body)} with {request.headers.get('authorization')}"
        return Response(echo, status_code=self.status)

    def codes_to(self, email: str) -> list[str]:
        return [message["payload"]["code"] for message in self.received if message["to"] == email]


@pytest.fixture(scope="module")
def hook() -> Iterator[FailingHook]:
    failing = FailingHook()
    with serve_in_thread(Starlette(routes=[Route("/send", failing.deliver, methods=["POST"])])) as url:
        failing.url = f"{url}send"
        yield failing


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory, hook: FailingHook) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"failures-{backend}")
    running = Server(database_url=fresh_database_url(backend, folder, "idp_failures"), data_dir=folder,
                     extra_env={"IDP_DEV": "0"})
    running.start()
    config = folder / "http.json"
    config.write_text(json.dumps({"endpoint": hook.url, "authorization": TOKEN}))
    running.cli("connector", "set", "http", "--config", str(config))
    yield running
    running.stop()


@pytest.fixture
def failing(hook: FailingHook) -> FailingHook:
    hook.status = 503
    hook.received.clear()
    return hook


def started(server: Server, event: str, new_browser: Callable[[Server], Browser]) -> Browser:
    app = server.make_app()
    browser = new_browser(server)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), event)
    return browser


def csrf(browser: Browser, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', browser.http.get(path).text).group(1)


def server_log(server: Server) -> str:
    return "".join(path.read_text() for path in server.data_dir.glob("server-*.log"))


def sign_in_mode(server: Server, mode: str) -> None:
    server.cli("sign-in-exp", "set", "--json", json.dumps({"signInMode": mode}))


def test_the_person_signing_in_never_sees_the_services_words(server, failing, new_browser):
    email = new_email()
    browser = started(server, "Register", new_browser)
    answer = browser.send_code(email, "Register")
    assert answer.status_code == 400
    assert answer.json() == {"code": "connector.general",
                             "message": "Error occurred in connector: the message could not be sent."}
    page = browser.http.post("/register", data={"email": email, "csrf": csrf(browser, "/register")})
    said = answer.text + page.text
    codes = failing.codes_to(email)
    assert len(codes) == 2 and not any(code in said for code in codes)
    assert UPSTREAM_WORDS not in said and "hook-secret" not in said
    assert "The email could not be sent" in page.text
    log = server_log(server)
    assert UPSTREAM_WORDS in log
    assert not any(code in log for code in codes) and "hook-secret" not in log
    assert browser.experience("GET", "/interaction").json()["verificationRecords"] == []


def test_administrators_get_the_services_words_from_the_management_api(server, failing):
    with management_api(server) as api:
        answer = api.post("/api/verification-codes", json={"email": new_email()})
    assert answer.status_code == 400 and answer.json()["code"] == "connector.general"
    assert UPSTREAM_WORDS in answer.json()["message"] and "hook-secret" not in answer.text


def test_the_management_api_test_send_answers_the_services_words(server, failing):
    config = {"endpoint": failing.url, "authorization": "******"}  # the stored secret, masked as GET shows it
    with management_api(server) as api:
        answer = api.post("/api/connectors/http-email/test", json={"email": "ops@example.test", "config": config})
        assert answer.status_code == 400 and answer.json()["code"] == "connector.general"
        assert UPSTREAM_WORDS in answer.json()["message"] and "hook-secret" not in answer.text
        assert "000000" not in answer.text
        failing.status = 204
        sent = api.post("/api/connectors/http-email/test", json={"email": "ops@example.test", "config": config})
        assert sent.status_code == 204, sent.text
        unknown = api.post("/api/connectors/no-such-sender/test", json={"email": "ops@example.test", "config": {}})
        assert unknown.status_code == 404 and unknown.json()["code"] == "connector.not_found"
    assert failing.received[-1] == {"to": "ops@example.test", "type": "Generic", "payload": {"code": "000000"}}
    assert failing.authorizations[-1] == TOKEN
    assert UPSTREAM_WORDS in server_log(server)


@pytest.mark.parametrize("event, mode", [("ForgotPassword", "SignInAndRegister"), ("SignIn", "SignIn")])
def test_a_failing_service_answers_known_and_unknown_addresses_alike(server, failing, event, mode, new_browser):
    sign_in_mode(server, mode)
    try:
        known, unknown = server.make_user(new_email())["email"], new_email()
        answers = {}
        for email in (known, unknown):
            browser = started(server, event, new_browser)
            sent = browser.send_code(email, event)
            assert sent.status_code == 200, sent.text
            verification_id = sent.json()["verificationId"]
            tried = ["000000", *failing.codes_to(email)]
            guesses = [browser.verify_code(email, verification_id, code) for code in tried]
            answers[email] = [(guess.status_code, guess.json()["code"]) for guess in guesses]
        assert len(failing.codes_to(known)) == 1 and failing.codes_to(unknown) == []
        # the code the service did receive is as useless as a guess, and as useless as for an unknown address
        assert answers[known] == [(400, "verification_code.code_mismatch")] * 2
        assert answers[unknown] == [(400, "verification_code.code_mismatch")]
        log = server_log(server)
        assert f"a {event} message could not be sent" in log and failing.codes_to(known)[0] not in log
    finally:
        sign_in_mode(server, "SignInAndRegister")


def test_a_code_that_failed_to_go_out_cannot_be_used_later(server, failing, new_browser):
    email = server.make_user(new_email())["email"]
    browser = started(server, "ForgotPassword", new_browser)
    verification_id = browser.send_code(email, "ForgotPassword").json()["verificationId"]
    [code] = failing.codes_to(email)
    with server.db() as db:
        assert db.query(VerificationCode).filter_by(email_key=email).count() == 1
    refused = browser.verify_code(email, verification_id, code)
    assert refused.status_code == 400 and refused.json()["code"] == "verification_code.code_mismatch"
