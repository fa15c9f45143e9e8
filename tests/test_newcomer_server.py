"""What a newcomer trips over on a running idp: the status route, waiting for a code that was
already sent, email templates without the code."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from idp.testing import IdpServer
from tests.aliyun import templates
from tests.browser import Browser
from tests.management import management_api, settings_restored
from tests.test_connector_cli import Cli


def test_status_is_204_without_a_token(idp):
    for method in ("GET", "HEAD"):
        answer = httpx.request(method, f"{idp.endpoint}/api/status")
        assert answer.status_code == 204 and answer.content == b""


def outbox(idp, **params) -> httpx.Response:
    return httpx.get(f"{idp.endpoint}/api/dev/outbox", params=params, timeout=30)


def test_waiting_returns_at_once_a_code_sent_just_before(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(user["email"]).status_code == 200  # "send the code, then wait for it"
    started = time.monotonic()
    found = outbox(idp, to=user["email"], wait="10")
    assert time.monotonic() - started < 5
    assert [message["to"] for message in found.json()] == [user["email"]]


@pytest.mark.both_databases
def test_after_waits_for_a_newer_message_only(idp, browser: Browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(user["email"]).status_code == 200
    [first] = outbox(idp, to=user["email"]).json()
    assert outbox(idp, to=user["email"], after=first["id"], wait="0.3").json() == []
    threading.Timer(0.3, lambda: browser.send_code(user["email"])).start()
    [second] = outbox(idp, to=user["email"], after=first["id"], wait="10").json()
    assert second["id"] > first["id"]
    assert outbox(idp, to=user["email"], after=str(first["id"] - 1)).json() == [second, first]
    for bad in ("-1", "x", "1.5"):
        assert outbox(idp, after=bad).json()["code"] == "guard.invalid_input"


def test_the_testing_helper_reads_a_code_sent_before_it_asks(idp, browser: Browser, app, user):
    helper = IdpServer(idp.data_dir, database_url=idp.database_url, port=idp.port)
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(user["email"]).status_code == 200
    started = time.monotonic()
    code = helper.last_code(user["email"], wait=10)
    assert time.monotonic() - started < 5 and code == idp.messages(user["email"])[0]["code"]
    [message] = helper.messages(user["email"])
    threading.Timer(0.3, lambda: browser.send_code(user["email"])).start()
    newer = helper.last_code(user["email"], after=message["id"])
    assert newer == helper.messages(user["email"])[0]["code"] and len(helper.messages(user["email"])) == 2
    helper.http.close()


def without_code(usage_type: str) -> list[dict[str, str]]:
    return [{**template, "content": "Welcome!"} if template["usageType"] == usage_type else template
            for template in templates()]


def smtp_config(these: list[dict[str, str]]) -> dict:
    return {"host": "127.0.0.1", "port": 2525, "security": "none", "fromEmail": "no-reply@example.test",
            "templates": these}


def test_a_template_without_the_code_is_saved_with_a_warning_by_the_management_api(idp):
    with settings_restored(idp), management_api(idp) as api:
        config = smtp_config(without_code("SignIn"))
        created = api.post("/api/connectors", json={"connectorId": "smtp", "config": config})
        assert created.status_code == 200, created.text
        assert "SignIn" in created.headers["warning"] and "{{code}}" in created.headers["warning"]
        patched = api.patch(f"/api/connectors/{created.json()['id']}",
                            json={"config": smtp_config(templates())})
        assert patched.status_code == 200 and "warning" not in patched.headers


def test_an_unknown_usage_type_is_named(idp):
    typo = [*templates(), {"usageType": "Signin", "subject": "s", "content": "{{code}}"}]
    with settings_restored(idp), management_api(idp) as api:
        answer = api.post("/api/connectors", json={"connectorId": "smtp", "config": smtp_config(typo)})
    assert answer.status_code == 400 and answer.json()["code"] == "connector.invalid_config"
    assert answer.json()["message"].startswith("templates.4.usageType: unknown usage type 'Signin'")


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    commands = Cli(tmp_path)
    yield commands
    commands.engine.dispose()


def test_the_command_line_warns_when_saving_and_test_sending_without_the_code(cli, stub):
    saved = cli.run("connector", "set", "aliyun-dm", "--config",
                    cli.config_file(stub.config(templates=without_code("Generic"))))
    assert saved.returncode == 0 and "Generic" in saved.stderr and "{{code}}" in saved.stderr
    sent = cli.run("connector", "test", "--to", "ann@example.test")
    assert sent.returncode == 0 and "{{code}}" in sent.stderr
    assert "{{code}}" in json.loads(sent.stdout)["warning"]
    quiet = cli.run("connector", "test", "--to", "ann@example.test", "--type", "SignIn")
    assert quiet.returncode == 0 and "warning" not in json.loads(quiet.stdout) and "{{code}}" not in quiet.stderr
