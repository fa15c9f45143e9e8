"""Connector secrets kept in the environment: `{"env": "NAME"}` in place of a secret value.

Checked when the connector is saved, read when a message is sent, shown as the reference.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idp.models import Config
from tests.aliyun import ACCESS_KEY_SECRET, AliyunStub, serve_in_thread
from tests.browser import new_email
from tests.flows import open_browser
from tests.management import management_api
from tests.server import Server, fresh_database_url

pytestmark = pytest.mark.both_databases

HOOK_TOKEN = "Bearer env-hook-token-5a0e"
ENVIRONMENT = {"IDP_DEV": "1", "IDP_TEST_HOOK_TOKEN": HOOK_TOKEN, "IDP_TEST_ALIYUN_SECRET": ACCESS_KEY_SECRET}


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"secrets-{backend}")
    running = Server(database_url=fresh_database_url(backend, folder, "idp_secrets"), data_dir=folder,
                     extra_env=ENVIRONMENT)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    async def deliver(request: Request) -> Response:
        received.append({"authorization": request.headers.get("authorization"), **await request.json()})
        return Response(status_code=204)

    with serve_in_thread(Starlette(routes=[Route("/send", deliver, methods=["POST"])])) as url:
        yield f"{url}send", received


def stored_config(server: Server) -> str:
    with server.db() as db:
        return json.dumps(db.get(Config, "connector.email").value)


def code_sent(server: Server, event: str = "Register") -> httpx.Response:
    app = server.make_app()
    with open_browser(server) as browser:
        browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), event)
        return browser.send_code(new_email(), event)


def test_the_http_authorization_comes_from_the_environment(server, hook):
    url, received = hook
    reference = {"env": "IDP_TEST_HOOK_TOKEN"}
    with management_api(server) as api:
        created = api.post("/api/connectors", json={"connectorId": "http-email",
                                                    "config": {"endpoint": url, "authorization": reference}})
        assert created.status_code == 200, created.text
        assert created.json()["config"]["authorization"] == reference
        assert api.get("/api/connectors/http-email").json()["config"]["authorization"] == reference
    assert "env-hook-token" not in stored_config(server) and "IDP_TEST_HOOK_TOKEN" in stored_config(server)
    assert code_sent(server).status_code == 200
    assert received[-1]["authorization"] == HOOK_TOKEN


def test_the_aliyun_secret_comes_from_the_environment(server, stub: AliyunStub, tmp_path):
    stub.reset()
    path = tmp_path / "aliyun.json"
    path.write_text(json.dumps(stub.config(accessKeySecret={"env": "IDP_TEST_ALIYUN_SECRET"})))
    shown = server.cli("connector", "set", "aliyun-dm", "--config", str(path))
    assert shown["config"]["accessKeySecret"] == {"env": "IDP_TEST_ALIYUN_SECRET"}
    assert ACCESS_KEY_SECRET not in json.dumps(server.cli("connector", "get")) + stored_config(server)
    assert code_sent(server).status_code == 200
    assert len(stub.messages()) == 1  # the stub checked the signature made with the secret


def test_a_missing_variable_is_refused_when_the_connector_is_saved(server, hook):
    url, _ = hook
    with management_api(server) as api:
        refused = api.post("/api/connectors", json={"connectorId": "http-email", "config": {
            "endpoint": url, "authorization": {"env": "IDP_TEST_NOT_SET"}}})
    assert refused.status_code == 400
    assert refused.json()["code"] == "connector.invalid_config"
    assert refused.json()["message"] == "authorization: the environment variable IDP_TEST_NOT_SET is not set"


@pytest.mark.parametrize("reference", [{"env": ""}, {"env": 5}, {"env": "A=B"}, {"env": "X", "more": 1}])
def test_a_malformed_reference_is_refused(server, hook, reference):
    url, _ = hook
    with management_api(server) as api:
        refused = api.post("/api/connectors", json={"connectorId": "http-email", "config": {
            "endpoint": url, "authorization": reference}})
    assert refused.status_code == 400 and refused.json()["code"] == "connector.invalid_config", refused.text


def test_a_variable_gone_when_sending_is_an_invalid_config(server, hook, tmp_path):
    url, _ = hook
    path = tmp_path / "http.json"
    path.write_text(json.dumps({"endpoint": url, "authorization": {"env": "IDP_TEST_HOOK_TOKEN"}}))
    server.cli("connector", "set", "http", "--config", str(path))
    environment = {key: value for key, value in server.env.items() if key != "IDP_TEST_HOOK_TOKEN"}
    tested = subprocess.run([sys.executable, "-m", "idp", "connector", "test", "--to", "a@example.test"],
                            env=environment, capture_output=True, text=True, timeout=60)
    assert tested.returncode == 1
    assert json.loads(tested.stderr.splitlines()[-1]) == {  # after the line naming the database
        "code": "connector.invalid_config",
        "message": "authorization: the environment variable IDP_TEST_HOOK_TOKEN is not set", "data": {}}
