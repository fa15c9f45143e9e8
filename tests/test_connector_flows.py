"""Sign-in experience flows delivered by the real senders: Aliyun DM (to the signature-checking
stub), SMTP (to a local aiosmtpd server) and Logto's HTTP email connector (to a local endpoint)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from idp.mail import connectors
from idp.models import User, VerificationCode
from tests.aliyun import AliyunStub, serve_in_thread, templates
from tests.browser import Browser, new_email, query
from tests.server import Server, free_port


@pytest.fixture
def server(production: Server) -> Iterator[Server]:
    """The production server; the connector a test sets is removed afterwards."""
    yield production
    with production.db() as tx:
        connectors.remove(tx)


def use_connector(server: Server, name: str, config: dict) -> None:
    """Make `name` the active sender (as `idp connector set` does; the CLI has tests of its own)."""
    with server.db() as tx:
        connectors.set_active(tx, name, config)


@pytest.fixture
def aliyun(server: Server, stub: AliyunStub) -> AliyunStub:
    stub.reset()
    use_connector(server, "aliyun-dm", stub.config())
    return stub


@pytest.fixture
def started(server: Server, new_browser) -> Callable[..., tuple[Browser, dict]]:
    """Start an authorization request of a new application, in a new browser, for an event."""

    def start(event: str = "SignIn") -> tuple[Browser, dict]:
        app = server.make_app()
        browser = new_browser(server)
        browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), event)
        return browser, app

    return start


def verified(browser: Browser, email: str, event: str, read_code) -> str:
    sent = browser.send_code(email, event)
    assert sent.status_code == 200, sent.text
    answer = browser.verify_code(email, sent.json()["verificationId"], read_code(email))
    assert answer.status_code == 200, answer.text
    return sent.json()["verificationId"]


def stub_code(stub: AliyunStub, email: str) -> str:
    return re.search(r"\d{6}", stub.messages(email)[-1]["subject"]).group(0)


@pytest.mark.both_databases
def test_aliyun_sign_in_by_code(server, aliyun, started):
    user = server.make_user(new_email())
    browser, _ = started()
    verification_id = verified(browser, user["email"], "SignIn", lambda e: stub_code(aliyun, e))
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
    callback = browser.finish(browser.experience("POST", "/submit").json()["redirectTo"])
    assert "code" in query(callback)
    message = aliyun.messages(user["email"])[-1]
    code = stub_code(aliyun, user["email"])
    assert message["subject"] == f"Sign-in code {code}"
    assert message["html"] == f"Your sign-in code is {code}, {code} is your code"


def test_aliyun_registration(server, aliyun, started):
    email = new_email()
    browser, _ = started("Register")
    verification_id = verified(browser, email, "Register", lambda e: stub_code(aliyun, e))
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 201
    assert "code" in query(browser.finish(browser.experience("POST", "/submit").json()["redirectTo"]))
    code = stub_code(aliyun, email)
    assert aliyun.messages(email)[-1]["subject"] == f"Register code {code}"
    assert aliyun.messages(email)[-1]["html"] == f"Register with {code}"


def test_aliyun_forgot_password(server, aliyun, started):
    user = server.make_user(new_email())
    browser, _ = started("ForgotPassword")
    verification_id = verified(browser, user["email"], "ForgotPassword", lambda e: stub_code(aliyun, e))
    assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
    assert browser.experience("PUT", "/profile/password", {"password": "Fresh-Ladder-88"}).status_code == 204
    assert browser.experience("POST", "/submit").status_code == 204
    assert aliyun.messages(user["email"])[-1]["subject"].startswith("Reset code ")


@pytest.mark.parametrize("behaviour,code", [
    ({"error": {"Code": "InvalidToAddress", "Message": "The recipient address is invalid."}}, "connector.general"),
    ({"body": "<html>busy</html>", "status": 200}, "connector.invalid_response"),
    ({"body": "Service Unavailable", "status": 503}, "connector.invalid_response"),
    ({"error": {"Code": "ServiceUnavailable", "Message": "Try later."}, "status": 503}, "connector.general"),
])
def test_aliyun_failures_create_nothing_and_leak_nothing(server, aliyun, behaviour, code, started):
    aliyun.behave(**behaviour)
    email = new_email()
    browser, _ = started("Register")
    answer = browser.send_code(email, "Register")
    assert answer.status_code == 400 and answer.json()["code"] == code, answer.text
    assert "data" not in answer.json()  # the service's words are for administrators: the log
    log = "".join(path.read_text() for path in server.data_dir.glob("server-*.log"))
    if "error" in behaviour:
        assert behaviour["error"]["Message"] not in answer.text
        assert behaviour["error"]["Message"] in log and behaviour["error"]["Code"] in log
    assert aliyun.access_key_secret not in answer.text
    assert browser.experience("GET", "/interaction").json()["verificationRecords"] == []
    with server.db() as db:
        assert db.query(VerificationCode).filter_by(email_key=email).count() == 0
        assert db.query(User).filter_by(email_key=email).count() == 0
    assert aliyun.access_key_secret not in log


def test_aliyun_timeout_is_a_clear_error_within_bounds(server, aliyun, started):
    aliyun.behave(delay=12)  # beyond the sender's overall 10 s deadline
    browser, _ = started("Register")
    answer = browser.send_code(new_email(), "Register")
    assert answer.status_code == 400 and answer.json()["code"] == "connector.general"
    log = "".join(path.read_text() for path in server.data_dir.glob("server-*.log"))
    assert "Aliyun Direct Mail timed out after 10 s" in log


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def test_smtp_sign_in_by_code(server, started):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        use_connector(server, "smtp", {"host": "127.0.0.1", "port": controller.port, "security": "none",
                                       "fromEmail": "no-reply@example.test", "templates": templates()})
        user = server.make_user(new_email())
        browser, _ = started()

        def read(email: str) -> str:
            return re.search(r"\d{6}", str(inbox.messages[-1]["subject"])).group(0)

        verification_id = verified(browser, user["email"], "SignIn", read)
        assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
        assert inbox.messages[-1]["to"] == user["email"]
    finally:
        controller.stop()


def test_http_connector_sign_in_by_code(server, started):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    received: list[dict] = []

    async def deliver(request):
        assert request.headers.get("authorization") == "Bearer hook-token"
        received.append(await request.json())
        return Response(status_code=204)

    with serve_in_thread(Starlette(routes=[Route("/send", deliver, methods=["POST"])])) as url:
        use_connector(server, "http", {"endpoint": f"{url}send", "authorization": "Bearer hook-token"})
        user = server.make_user(new_email())
        browser, _ = started()
        verification_id = verified(browser, user["email"], "SignIn", lambda e: received[-1]["payload"]["code"])
        assert browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 204
        assert received[-1]["to"] == user["email"] and received[-1]["type"] == "SignIn"
