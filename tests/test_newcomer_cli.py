"""What a newcomer trips over on the command line: the port, the database, the version, pipes,
users, `idp reset`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from idp import __version__
from idp.store import apps, users
from idp.testing import free_port
from tests.browser import query
from tests.management import management_token
from tests.newcomer import Shell


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path, IDP_DEV="1")


def served_urls(running_local: str) -> dict[str, str]:
    """The issuer, and where the demo app sends a browser and asks to come back to."""
    issuer = httpx.get(f"{running_local}/oidc/.well-known/openid-configuration").json()["issuer"]
    started = httpx.get(f"{running_local}/demo-app/sign-in")
    assert started.status_code == 303, started.text
    return {"issuer": issuer, "authorize": started.headers["location"].split("?")[0],
            "redirect_uri": query(started.headers["location"])["redirect_uri"]}


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_the_endpoint_follows_the_port_when_it_is_not_set(shell, how):
    port = free_port()
    args, env = (["--port", str(port)], {}) if how == "flag" else ([], {"IDP_PORT": str(port)})
    with shell.serve(*args, port=port, **env) as running:
        urls = served_urls(running.local)
        printed = running.log()
    endpoint = f"http://localhost:{port}"
    assert urls == {"issuer": f"{endpoint}/oidc", "authorize": f"{endpoint}/oidc/auth",
                    "redirect_uri": f"{endpoint}/demo-app/callback"}
    assert f"idp is starting at {endpoint} (listening on 127.0.0.1:{port})" in printed
    assert ":3001" not in printed


def test_a_set_endpoint_wins_and_the_demo_app_follows_a_new_one(shell):
    port = free_port()
    with shell.serve("--port", str(port), port=port, IDP_ENDPOINT="https://id.example.test") as running:
        assert served_urls(running.local)["issuer"] == "https://id.example.test/oidc"
    other = free_port()
    with shell.serve("--port", str(other), port=other) as running:  # the same database, another endpoint
        assert served_urls(running.local)["redirect_uri"] == f"http://localhost:{other}/demo-app/callback"
        assert httpx.get(f"{running.local}/demo-app/sign-in", follow_redirects=True).status_code == 200


def test_data_commands_refuse_to_create_a_database_and_say_how_to_find_it(shell, tmp_path):
    for command in (["user", "list"], ["app", "list"], ["user", "create", "--email", "a@example.test"],
                    ["sign-in-exp", "get"], ["purge"]):
        result = shell.run(*command)
        assert result.returncode == 1 and result.stdout == ""
        [line] = result.stderr.splitlines()
        assert f"no idp database at sqlite:///{tmp_path}/data/idp.db" in line
        assert "IDP_DATABASE_URL" in line and "IDP_DATA_DIR" in line and "idp serve" in line
    assert not (tmp_path / "data").exists()


def test_data_commands_say_which_database_they_use(shell, tmp_path):
    assert shell.ok("migrate") == {"migrated": True}
    result = shell.run("user", "list")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    assert result.stderr.strip() == f"idp: database sqlite:///{tmp_path}/data/idp.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = Shell(elsewhere, IDP_DATA_DIR=str(tmp_path / "data")).run("user", "list")
    assert moved.returncode == 0 and f"sqlite:///{tmp_path}/data/idp.db" in moved.stderr


def test_a_postgres_password_is_never_printed(shell):
    url = "postgresql+psycopg://idp:hunter2-secret@127.0.0.1:1/nowhere"
    result = shell.run("user", "list", IDP_DATABASE_URL=url)
    assert result.returncode == 1 and "hunter2-secret" not in result.stderr
    assert "postgresql+psycopg://idp:***@127.0.0.1:1/nowhere" in result.stderr


def test_version(shell):
    result = shell.run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"idp {__version__}"


def test_output_piped_into_head_ends_quietly(shell, tmp_path):
    shell.ok("migrate")
    seed = tmp_path / "many.toml"
    seed.write_text("".join(f'[[users]]\nemail = "user{n}@example.test"\nname = "{"x" * 200}"\n\n' for n in range(600)))
    shell.ok("seed", str(seed))
    # A real shell pipe: the point is what happens when `head` closes the pipe early.
    pipeline = subprocess.run(f"{sys.executable} -m idp user list | head -n 1", shell=True, cwd=shell.folder,  # noqa: S602
                              env=shell.env, capture_output=True, text=True, timeout=60)
    assert pipeline.stdout == "[\n"
    assert "Traceback" not in pipeline.stderr and "Error" not in pipeline.stderr, pipeline.stderr


@pytest.mark.parametrize("args, body, code", [
    (["--email", "not-an-address"], {"primaryEmail": "not-an-address"}, "guard.invalid_input"),
    (["--username", "has spaces"], {"username": "has spaces"}, "guard.invalid_input"),
    (["--email", "a@example.test", "--username", "9starts_with_a_digit"],
     {"primaryEmail": "b@example.test", "username": "9starts_with_a_digit"}, "guard.invalid_input"),
])
def test_user_create_follows_the_management_api_rules(idp, args, body, code):
    """`idp user create` and `POST /api/users` refuse the same input with the same error."""
    cli = subprocess.run([sys.executable, "-m", "idp", "user", "create", *args], env=idp.env, capture_output=True,
                         text=True, timeout=60)
    api = httpx.post(f"{idp.endpoint}/api/users", json=body,
                     headers={"Authorization": f"Bearer {management_token(idp)}"})
    assert cli.returncode == 1 and api.status_code == 400
    assert json.loads(cli.stderr.splitlines()[-1]) == {"code": code, "message": api.json()["message"]}


def test_user_create_answers_in_the_management_api_shape(shell):
    shell.ok("migrate")
    user = shell.ok("user", "create", "--email", "ann@example.test", "--username", "ann", "--name", "Ann")
    assert (user["primaryEmail"], user["username"], user["name"]) == ("ann@example.test", "ann", "Ann")
    assert user["primaryPhone"] is None and user["hasPassword"] is False
    nameless = shell.run("user", "create", "--name", "Nobody")
    assert nameless.returncode == 0 and "neither an email address nor a username" in nameless.stderr


def test_reset_asks_then_empties_development_data_and_keeps_apps(shell):
    shell.ok("migrate")
    app = shell.ok("app", "create", "--name", "Kept", "--type", "traditional", "--redirect-uri",
                   "http://localhost:3000/callback")
    shell.ok("user", "create", "--email", "gone@example.test")
    refused = shell.run("reset", stdin="")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert len(shell.ok("user", "list")) == 1
    assert shell.ok("reset", "--yes") == {"reset": True, "users_deleted": 1}
    assert shell.ok("user", "list") == []
    assert [kept["id"] for kept in shell.ok("app", "list")] == [app["id"]]


@pytest.mark.both_databases
def test_reset_empties_a_running_servers_data(idp, browser, app, user):
    browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]))
    assert browser.send_code(user["email"]).status_code == 200
    assert idp.messages(user["email"])
    assert idp.cli("reset", "--yes")["reset"] is True
    assert idp.messages(user["email"]) == []
    with idp.db() as tx:
        assert users.get(tx, user["id"]) is None and apps.get(tx, app["id"]) is not None
