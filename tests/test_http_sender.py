"""Logto's HTTP email connector against a real local endpoint (Starlette under uvicorn)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp import mail
from idp.mail import Message, SenderEnvironment, SendError
from idp.mail.http import HttpSender, validate
from idp.settings import Settings
from tests.aliyun import serve_in_thread
from tests.server import free_port
from tests.trickle import HTTP_OPENING, trickling

AUTHORIZATION = "Bearer http-hook-token-91c4"


class Hook:
    """The operator's endpoint: records each delivery, answers as told."""

    def __init__(self) -> None:
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.received: list[dict] = []
        self.status = 204
        self.body = ""
        self.delay = 0.0

    async def deliver(self, request: Request) -> Response:
        await asyncio.sleep(self.delay)
        self.received.append({"json": await request.json(), "authorization": request.headers.get("authorization"),
                              "content_type": request.headers.get("content-type")})
        return Response(self.body, status_code=self.status)


@pytest.fixture(scope="module")
def hook_server():
    hook = Hook()
    with serve_in_thread(Starlette(routes=[Route("/hook", hook.deliver, methods=["POST"])])) as url:
        hook.url = f"{url}hook"
        yield hook


@pytest.fixture
def hook(hook_server):
    hook_server.reset()
    return hook_server


def sender(hook, *, timeout: float = 10.0, authorization: str | None = AUTHORIZATION) -> HttpSender:
    return HttpSender(hook.url, authorization, timeout=timeout)


def sign_in(to: str = "alice@example.test") -> Message:
    return Message(to=to, type="SignIn", payload={"code": "135790", "locale": "en"})


def test_the_message_is_posted_as_json_with_the_authorization_header(hook):
    sender(hook).send(sign_in())
    [received] = hook.received
    assert received["json"] == {"to": "alice@example.test", "type": "SignIn",
                                "payload": {"code": "135790", "locale": "en"}}
    assert received["authorization"] == AUTHORIZATION
    assert received["content_type"] == "application/json"


def test_no_authorization_header_unless_configured(hook):
    sender(hook, authorization=None).send(sign_in())
    assert hook.received[0]["authorization"] is None


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_a_non_2xx_answer_is_connector_general(hook, status):
    hook.status, hook.body = status, "mailbox is full"
    with pytest.raises(SendError) as caught:
        sender(hook).send(sign_in())
    error = caught.value
    assert (error.code, error.status, error.data) == ("connector.general", 400, {"statusCode": status})
    assert error.message == "Error occurred in connector: mailbox is full"


def test_an_empty_error_body_names_the_status(hook):
    hook.status = 502
    with pytest.raises(SendError, match="Error occurred in connector: HTTP 502"):
        sender(hook).send(sign_in())


def test_an_echoed_authorization_value_is_scrubbed(hook, caplog):
    caplog.set_level(logging.DEBUG)
    hook.status, hook.body = 401, f"bad header {AUTHORIZATION}"
    with pytest.raises(SendError) as caught:
        sender(hook).send(sign_in())
    said = " ".join([str(caught.value), repr(caught.value), caplog.text, repr(sender(hook))])
    assert AUTHORIZATION not in said and "http-hook-token" not in said
    assert "135790" not in said


@pytest.mark.parametrize("echo", [
    "token http-hook-token-91c4 is not valid",                    # the credential without its scheme
    '{"error": "no mailbox", "request": {"payload": {"code": "135790"}}}',  # the request, code included
    "header=Bearer%20http-hook-token-91c4",                       # URL-encoded
])
def test_what_the_endpoint_echoes_is_scrubbed_of_secrets_and_the_code(hook, caplog, echo):
    caplog.set_level(logging.DEBUG)
    hook.status, hook.body = 400, echo
    with pytest.raises(SendError) as caught:
        sender(hook).send(sign_in())
    said = " ".join([caught.value.message, repr(caught.value.data), caplog.text])
    assert "http-hook-token" not in said and "135790" not in said
    assert "******" in caught.value.message


def test_a_slow_endpoint_times_out_within_the_bound(hook):
    hook.delay = 1.5
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        sender(hook, timeout=0.5).send(sign_in())
    assert time.monotonic() - started < 1.2
    assert caught.value.message == "Error occurred in connector: HTTP email endpoint timed out after 0.5 s"


def test_an_unreachable_endpoint_is_connector_general():
    unreachable = HttpSender(f"http://127.0.0.1:{free_port()}/hook", None)
    with pytest.raises(SendError) as caught:
        unreachable.send(sign_in())
    assert caught.value.message == "Error occurred in connector: HTTP email endpoint is unreachable (ConnectError)"


@pytest.mark.parametrize("to", ["alice@example.test,attacker@evil.test", "alice@example.test\nx", ""])
def test_anything_but_one_recipient_is_refused_before_posting(hook, to):
    with pytest.raises(SendError) as caught:
        sender(hook).send(sign_in(to=to))
    assert caught.value.code == "guard.invalid_input"
    assert hook.received == []


@pytest.mark.parametrize("config, message", [
    ({}, "endpoint: Required"),
    ({"endpoint": "not a url"}, "endpoint: Invalid url"),
    ({"endpoint": "https://hooks.example.test/mail", "authorization": 5}, "authorization: Expected string"),
])
def test_invalid_config_is_connector_invalid_config(config, message):
    with pytest.raises(SendError) as caught:
        validate(config)
    assert (caught.value.code, caught.value.message) == ("connector.invalid_config", message)


def test_the_entry_point_builds_the_sender(hook):
    env = SenderEnvironment(settings=Settings(), sessions=None, now=lambda: datetime.now(UTC))
    built = mail.factory("http")({"endpoint": hook.url, "authorization": AUTHORIZATION}, env)
    built.send(sign_in())
    assert hook.received[0]["authorization"] == AUTHORIZATION
    assert AUTHORIZATION not in repr(built)


def test_a_json_answer_body_is_fine(hook):
    hook.status, hook.body = 200, JSONResponse({"ok": True}).body.decode()
    sender(hook).send(sign_in())
    assert len(hook.received) == 1


def test_a_trickled_status_line_and_headers_end_at_the_deadline():
    with trickling(HTTP_OPENING) as port:
        started = time.monotonic()
        with pytest.raises(SendError) as caught:
            HttpSender(f"http://127.0.0.1:{port}/hook", None, timeout=0.5).send(sign_in())
    assert time.monotonic() - started < 1.2
    assert (caught.value.code, caught.value.message) == (
        "connector.general", "Error occurred in connector: HTTP email endpoint timed out after 0.5 s")
