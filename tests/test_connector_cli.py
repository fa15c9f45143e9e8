"""`idp connector set|get|test|remove` and `idp aliyun-stub`, run as a user would, in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from idp import bootstrap
from idp.db import make_engine, make_sessionmaker
from idp.mail import Message, SenderEnvironment, connectors
from idp.settings import Settings
from tests.aliyun import ACCESS_KEY_ID, ACCESS_KEY_SECRET, AliyunStub, templates
from tests.server import free_port

SMTP_PASSWORD = "smtp-cli-pass-42aa"
HTTP_AUTHORIZATION = "Bearer cli-hook-token-07"


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    """The stub started by `idp aliyun-stub`."""
    port = free_port()
    with (tmp_path_factory.mktemp("stub") / "stub.log").open("w") as log:  # the process keeps its own
        process = subprocess.Popen([sys.executable, "-m", "idp", "aliyun-stub", "--port", str(port),
                                    "--access-key-id", ACCESS_KEY_ID, "--access-key-secret", ACCESS_KEY_SECRET],
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_listening(url, process)
    yield AliyunStub(url)
    process.terminate()
    process.wait(10)


def wait_listening(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "idp aliyun-stub exited"
        try:
            httpx.get(f"{url}messages", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError("idp aliyun-stub did not start")


@pytest.fixture(autouse=True)
def clean(stub):
    stub.reset()


class Cli:
    """`python -m idp ...` on one SQLite database, prepared once as `idp serve` prepares it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        url = f"sqlite:///{folder}/idp.db"
        self.env = {**os.environ, "IDP_DATABASE_URL": url, "IDP_DATA_DIR": str(folder)}
        bootstrap.prepare(Settings(database_url=url))
        self.engine = make_engine(url)

    def use(self, name: str, config: dict) -> None:
        """Make `name` the active connector, directly (a setup step; `connector set` has tests of its own)."""
        with make_sessionmaker(self.engine).begin() as db:
            connectors.set_active(db, name, config)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "idp", *args], env=self.env, cwd=self.folder, input=stdin,
                              capture_output=True, text=True, timeout=60)

    def ok(self, *args: str, stdin: str | None = None):
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def fails(self, *args: str, stdin: str | None = None) -> dict:
        result = self.run(*args, stdin=stdin)
        assert result.returncode != 0, result.stdout
        return json.loads(result.stderr.strip().splitlines()[-1])

    def config_file(self, config: dict) -> str:
        path = self.folder / "connector.json"
        path.write_text(json.dumps(config))
        return str(path)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One database for the module: each test sets the connector it needs first."""
    commands = Cli(tmp_path_factory.mktemp("cli"))
    yield commands
    commands.engine.dispose()


def everything_printed(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_set_stores_the_aliyun_connector_and_prints_it_masked(cli, stub):
    result = cli.run("connector", "set", "aliyun-dm", "--config", cli.config_file(stub.config()))
    assert result.returncode == 0, result.stderr
    assert ACCESS_KEY_SECRET not in everything_printed(result)
    shown = json.loads(result.stdout)
    assert shown["name"] == "aliyun-dm"
    assert shown["config"]["accessKeySecret"] == "******"
    assert shown["config"]["accessKeyId"] == ACCESS_KEY_ID
    get = cli.run("connector", "get")
    assert json.loads(get.stdout) == shown
    assert ACCESS_KEY_SECRET not in everything_printed(get)


def test_test_sends_a_generic_code_through_the_stub(cli, stub):
    cli.use("aliyun-dm", stub.config())
    result = cli.run("connector", "test", "--to", "alice@example.test")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sent": True, "connector": "aliyun-dm", "to": "alice@example.test",
                                         "type": "Generic"}
    assert ACCESS_KEY_SECRET not in everything_printed(result)
    [message] = stub.messages()
    assert (message["to"], message["subject"], message["html"]) == (
        "alice@example.test", "Your code 000000", "Your code is 000000")


def test_test_with_a_type_uses_its_template(cli, stub):
    cli.use("aliyun-dm", stub.config())
    cli.ok("connector", "test", "--to", "bob@example.test", "--type", "SignIn")
    assert stub.messages("bob@example.test")[0]["subject"] == "Sign-in code 000000"


def test_test_prints_the_exact_connector_error(cli, stub):
    cli.use("aliyun-dm", stub.config())
    stub.behave(error={"Code": "InvalidMailAddress.NotFound", "Message": "The mail address is not found."})
    result = cli.run("connector", "test", "--to", "alice@example.test")
    assert result.returncode == 1
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["code"] == "connector.general"
    assert error["message"] == "Error occurred in connector: The mail address is not found."
    assert error["data"]["Code"] == "InvalidMailAddress.NotFound" and error["data"]["RequestId"]
    assert ACCESS_KEY_SECRET not in everything_printed(result)


def test_a_wrong_secret_is_caught_by_the_stubs_signature_check(cli, stub):
    cli.use("aliyun-dm", stub.config(accessKeySecret="wrong-one"))
    error = cli.fails("connector", "test", "--to", "alice@example.test")
    assert error["data"]["Code"] == "SignatureDoesNotMatch"
    assert stub.messages() == []


def test_an_unparsable_answer_is_invalid_response(cli, stub):
    cli.use("aliyun-dm", stub.config())
    stub.behave(body="<html>502 Bad Gateway</html>", status=502)
    error = cli.fails("connector", "test", "--to", "alice@example.test")
    assert (error["code"], error["message"]) == ("connector.invalid_response", "The connector's response is invalid.")


def test_test_refuses_a_list_of_recipients_before_sending(cli, stub):
    cli.use("aliyun-dm", stub.config())
    error = cli.fails("connector", "test", "--to", "alice@example.test,attacker@evil.test")
    assert error["code"] == "guard.invalid_input"
    assert stub.messages() == []


def test_set_rejects_an_invalid_config_and_keeps_the_old_one(cli, stub):
    cli.use("aliyun-dm", stub.config())
    broken = {**stub.config(), "templates": templates()[:3]}
    error = cli.fails("connector", "set", "aliyun-dm", "--config", cli.config_file(broken))
    assert error == {"code": "connector.invalid_config",
                     "message": "Template with UsageType (Generic) should be provided!"}
    assert cli.ok("connector", "get")["config"]["templates"] == templates()


def test_set_reads_the_config_from_stdin(cli, stub):
    shown = cli.ok("connector", "set", "aliyun-dm", "--config", "-", stdin=json.dumps(stub.config()))
    assert shown["config"]["accessKeySecret"] == "******"


def test_set_rejects_a_file_that_is_not_json(cli):
    path = cli.folder / "broken.json"
    path.write_text("{not json")
    assert cli.fails("connector", "set", "http", "--config", str(path))["code"] == "guard.invalid_input"


def test_set_smtp_and_http_mask_their_secrets(cli):
    smtp = {"host": "smtp.example.test", "port": 587, "username": "mailer", "password": SMTP_PASSWORD,
            "fromEmail": "no-reply@example.test", "templates": templates()}
    result = cli.run("connector", "set", "smtp", "--config", cli.config_file(smtp))
    assert json.loads(result.stdout)["config"]["password"] == "******"
    assert json.loads(result.stdout)["config"]["security"] == "starttls"
    assert SMTP_PASSWORD not in everything_printed(result)
    http = {"endpoint": "https://hooks.example.test/mail", "authorization": HTTP_AUTHORIZATION}
    result = cli.run("connector", "set", "http", "--config", cli.config_file(http))
    assert json.loads(result.stdout) == {"name": "http", "config": {"endpoint": http["endpoint"],
                                                                    "authorization": "******"}}
    assert HTTP_AUTHORIZATION not in everything_printed(result)
    assert cli.ok("connector", "get")["name"] == "http"  # one active connector at a time


def test_remove_then_get_and_test_find_nothing(cli, stub):
    cli.use("aliyun-dm", stub.config())
    assert cli.ok("connector", "remove") == {"removed": True}
    assert cli.ok("connector", "get") is None
    assert cli.fails("connector", "test", "--to", "alice@example.test")["code"] == "connector.not_found"
    assert cli.ok("connector", "remove") == {"removed": False}


def test_an_unknown_connector_name_is_not_found(cli):
    error = cli.fails("connector", "set", "sendgrid", "--config", cli.config_file({}))
    assert error["code"] == "connector.not_found"


def test_outbox_can_be_the_active_connector(cli):
    pytest.importorskip("idp.mail.outbox")
    assert cli.ok("connector", "set", "outbox", "--config", cli.config_file({}))["name"] == "outbox"


def test_masked_replaces_every_secret_at_any_depth():
    config = {"accessKeySecret": "a", "password": "b", "authorization": "c", "accessKeyId": "id",
              "nested": [{"password": "d", "host": "h"}], "username": None, "password2": "kept"}
    assert connectors.masked(config) == {
        "accessKeySecret": "******", "password": "******", "authorization": "******", "accessKeyId": "id",
        "nested": [{"password": "******", "host": "h"}], "username": None, "password2": "kept"}


def test_sender_for_builds_the_active_sender_or_none(tmp_path, stub):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/idp.db")
    bootstrap.prepare(settings)
    sessions = make_sessionmaker(make_engine(settings.database_url))
    env = SenderEnvironment(settings=settings, sessions=sessions, now=lambda: datetime.now(UTC))
    with sessions.begin() as db:
        assert connectors.sender_for(db, env) is None
        connectors.set_active(db, "aliyun-dm", stub.config())
    with sessions.begin() as db:
        sender = connectors.sender_for(db, env)
    sender.send(Message(to="carol@example.test", type="Register", payload={"code": "321"}))
    assert stub.messages("carol@example.test")[0]["subject"] == "Register code 321"
