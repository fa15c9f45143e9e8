"""What an operator reads: the access log, JSON lines, refused token requests and sign-in steps.

Each test reads the output of a real `idp serve`."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import pkce_pair
from tests.server import Server

SECRET_LOOKING = {"code": f"code-{secrets.token_hex(6)}", "state": f"state-{secrets.token_hex(6)}",
                  "login_hint": f"hint-{secrets.token_hex(6)}@example.test"}


def serving(tmp_path: Path, **env: str) -> Iterator[Server]:
    server = Server(database_url=f"sqlite:///{tmp_path}/idp.db", data_dir=tmp_path, extra_env=env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from serving(tmp_path)


@pytest.fixture
def json_server(tmp_path: Path) -> Iterator[Server]:
    yield from serving(tmp_path, IDP_LOG_FORMAT="json")


def output(server: Server) -> str:
    return (server.data_dir / "server-0.log").read_text()


def lines_with(server: Server, text: str, count: int = 1) -> list[str]:
    """The lines that contain `text`, once there are `count` of them (an access line is written
    just after its answer is sent)."""
    deadline = time.monotonic() + 10
    while True:
        found = [line for line in output(server).splitlines() if text in line]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def assert_no_secret(server: Server, *secrets_: str) -> None:
    printed = output(server)
    for secret in secrets_:
        assert secret not in printed


def test_each_request_is_one_access_line_with_its_request_id(server):
    response = httpx.get(f"{server.endpoint}/oidc/auth", params=SECRET_LOOKING)
    request_id = response.headers["x-request-id"]
    [line] = lines_with(server, request_id)
    assert line.startswith("INFO idp.access: request method=GET path=/oidc/auth status=400 duration_ms=")
    assert line.endswith(f"request_id={request_id}")
    assert_no_secret(server, *SECRET_LOOKING.values())
    other = httpx.get(f"{server.endpoint}/api/status").headers["x-request-id"]
    assert other != request_id and len(lines_with(server, other)) == 1


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(server):
    kept = httpx.get(f"{server.endpoint}/api/status", headers={"X-Request-Id": "proxy-1234abcd"})
    assert kept.headers["x-request-id"] == "proxy-1234abcd" and lines_with(server, "request_id=proxy-1234abcd")
    replaced = httpx.get(f"{server.endpoint}/api/status", headers={"X-Request-Id": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


def test_the_access_log_can_be_turned_off(tmp_path):
    for server in serving(tmp_path, IDP_ACCESS_LOG="0"):
        rid = httpx.get(f"{server.endpoint}/api/status").headers["x-request-id"]
        httpx.post(f"{server.issuer}/token", data={"grant_type": "client_credentials", "client_id": "nobody"})
        assert lines_with(server, "token request refused")  # written after the first request's line would be
        assert rid not in output(server) and "idp.access" not in output(server)


def test_refused_token_requests_name_the_client_and_the_reason_only(server):
    app = server.make_app()
    wrong_secret, code, verifier = f"wrong-{secrets.token_hex(8)}", f"code-{secrets.token_hex(8)}", pkce_pair()[0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app["redirect_uris"][0],
            "code_verifier": verifier}
    assert httpx.post(f"{server.issuer}/token", data=form, auth=(app["id"], wrong_secret)).status_code == 401
    assert httpx.post(f"{server.issuer}/token", data=form, auth=(app["id"], app["secret"])).status_code == 400
    refresh = {"grant_type": "refresh_token", "refresh_token": f"rt-{secrets.token_hex(8)}",
               "client_id": app["id"], "client_secret": app["secret"]}
    assert httpx.post(f"{server.issuer}/token", data=refresh).status_code == 400

    refused = lines_with(server, "token request refused", 3)
    assert [line.split(": ", 1)[1].rsplit(" request_id=", 1)[0] for line in refused] == [
        f"token request refused client_id={app['id']} grant_type=authorization_code error=invalid_client",
        f"token request refused client_id={app['id']} grant_type=authorization_code error=invalid_grant",
        f"token request refused client_id={app['id']} grant_type=refresh_token error=invalid_grant",
    ]
    assert all(line.startswith("INFO ") for line in refused)
    assert_no_secret(server, wrong_secret, app["secret"], code, verifier, refresh["refresh_token"])


def test_refused_sign_in_steps_name_the_client_and_the_reason_only(server, new_browser):
    app, user = server.make_app(), server.make_user(f"log-{secrets.token_hex(3)}@example.test")
    browser = new_browser(server)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    wrong_password = f"Wrong-{secrets.token_hex(6)}"
    answer = browser.experience("POST", "/verification/password", {
        "identifier": {"type": "email", "value": user["email"]}, "password": wrong_password})
    assert answer.json()["code"] == "session.invalid_credentials"
    sent = browser.send_code(user["email"]).json()["verificationId"]
    real = server.last_code(user["email"])
    wrong_code = "000000" if real != "000000" else "111111"
    assert browser.verify_code(user["email"], sent, wrong_code).status_code == 400

    refused = [line.split(": ", 1)[1].rsplit(" request_id=", 1)[0] for line in lines_with(server, "sign-in step", 2)]
    assert refused == [
        f"sign-in step refused client_id={app['id']} event=SignIn reason=session.invalid_credentials",
        f"sign-in step refused client_id={app['id']} event=SignIn reason=verification_code.code_mismatch",
    ]
    assert_no_secret(server, wrong_password, wrong_code, real, user["password"])


def test_json_format_gives_one_json_object_per_line(json_server):
    app = json_server.make_app()
    token = httpx.post(f"{json_server.issuer}/token", data={"grant_type": "client_credentials"},
                       auth=(app["id"], "not-the-secret"))
    request_id = token.headers["x-request-id"]
    assert lines_with(json_server, "idp.access")
    records = [json.loads(line) for line in output(json_server).splitlines()]
    assert {record["logger"] for record in records} >= {"idp", "uvicorn.error", "idp.access", "idp.oidc"}
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert not any("color_message" in record for record in records)
    access = next(r for r in records if r["logger"] == "idp.access" and r["request_id"] == request_id)
    assert (access["method"], access["path"], access["status"]) == ("POST", "/oidc/token", 401)
    assert isinstance(access["duration_ms"], float) and access["level"] == "INFO"
    refused = next(r for r in records if r["logger"] == "idp.oidc")
    assert (refused["client_id"], refused["error"], refused["request_id"]) == (app["id"], "invalid_client", request_id)
    started = next(r for r in records if r["message"].startswith("idp is starting"))
    assert started["endpoint"] == json_server.endpoint and "not-the-secret" not in output(json_server)
