"""Seed files: applied twice with identical results, then used by a real client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from logto import LogtoClient, LogtoConfig, UserInfoScope

from idp.models import Application, User
from tests.aliyun import AliyunStub, running_stub
from tests.server import Server, fresh_database_url
from tests.test_interop_logto_python import DictStorage

pytestmark = pytest.mark.both_databases

WEB_SECRET = "web-secret-0123456789-abcdefghijkl"


def seed_file(folder: Path, stub: AliyunStub) -> Path:
    config = stub.config()
    connector = "\n".join(f"{key} = {json.dumps(value)}" for key, value in config.items() if key != "templates")
    for template in config["templates"]:
        connector += "\n[[connector.config.templates]]\n" + "\n".join(
            f"{key} = {json.dumps(value)}" for key, value in template.items())
    path = folder / "seed.toml"
    path.write_text(f'''
[[applications]]
id = "seeded-web"
name = "Seeded web"
type = "traditional"
secret = "{WEB_SECRET}"
redirect_uris = ["https://web.example.test/callback"]
post_logout_redirect_uris = ["https://web.example.test/"]

[[applications]]
id = "seeded-spa"
name = "Seeded SPA"
type = "spa"
redirect_uris = ["https://spa.example.test/callback"]

[[users]]
id = "aliceseeded1"
email = "alice@seed.test"
password = "Correct-Horse-9"
name = "Alice"
custom_data = {{ plan = "pro" }}

[[users]]
email = "bob@fixed.test"
name = "Bob"

[[users]]
username = "carol"
email = "carol@seed.test"
password = "Another-Horse-7"
profile = {{ given_name = "Carol" }}

[connector]
name = "aliyun-dm"

[connector.config]
{connector}
''')
    return path


def snapshot(server: Server) -> dict:
    with server.db() as db:
        return {
            "apps": sorted((a.id, a.name, a.type, a.secret_hash, tuple(a.redirect_uris))
                           for a in db.query(Application)),
            "users": sorted((u.id, u.primary_email, u.username, u.name, u.password_hash, json.dumps(u.custom_data),
                             json.dumps(u.profile), u.updated_at.isoformat()) for u in db.query(User)),
        }


@pytest.fixture
def seeded(backend: str, tmp_path: Path) -> Iterator[tuple[Server, AliyunStub, Path]]:
    with running_stub() as stub:
        server = Server(database_url=fresh_database_url(backend, tmp_path, "idp_seed"), data_dir=tmp_path,
                        extra_env={"IDP_DEV_FIXED_CODES": "fixed.test=000000"})
        yield server, stub, seed_file(tmp_path, stub)


def test_seed_twice_then_sign_in_with_the_logto_sdk(seeded, new_browser):
    server, stub, path = seeded
    first = server.cli("seed", str(path))
    state = snapshot(server)
    assert server.cli("seed", str(path)) == first and snapshot(server) == state
    assert [app["id"] for app in first["applications"]] == ["seeded-web", "seeded-spa"]
    assert len(state["users"]) == 3

    server.start("--seed", str(path))
    try:
        assert snapshot(server) == state
        config = LogtoConfig(endpoint=server.endpoint, appId="seeded-web", appSecret=WEB_SECRET,
                             scopes=[UserInfoScope.email, UserInfoScope.customData])
        alice = LogtoClient(config, DictStorage())
        url = asyncio.run(alice.signIn("https://web.example.test/callback"))
        asyncio.run(alice.handleSignInCallback(new_browser(server).sign_in_with_password(
            url, "alice@seed.test", "Correct-Horse-9")))
        assert alice.getIdTokenClaims().sub == "aliceseeded1"
        assert asyncio.run(alice.fetchUserInfo()).custom_data == {"plan": "pro"}

        bob = LogtoClient(config, DictStorage())
        url = asyncio.run(bob.signIn("https://web.example.test/callback"))
        browser = new_browser(server)
        browser.start(url)
        sent = browser.send_code("bob@fixed.test").json()["verificationId"]
        assert browser.verify_code("bob@fixed.test", sent, "000000").status_code == 200
        browser.experience("POST", "/identification", {"verificationId": sent})
        submitted = browser.experience("POST", "/submit").json()["redirectTo"]
        asyncio.run(bob.handleSignInCallback(browser.finish(submitted)))
        assert bob.getIdTokenClaims().email == "bob@fixed.test"
        assert stub.messages("bob@fixed.test")[-1]["subject"] == "Sign-in code 000000"
    finally:
        server.stop()


@pytest.mark.parametrize("content,where", [
    ('[[applications]]\nname = "x"\ntype = "spa"\nredirect_uris = ["https://a.test/cb#x"]\n', "applications[0]"),
    ('[[applications]]\nname = "x"\n', "applications[0].type"),
    ('[[users]]\nemail = "a@b.test"\nnickname = "x"\n', "users[0].nickname"),
    ('[[users]]\nname = "nobody"\n', "users[0].email"),
    ('[connector]\nname = "aliyun-dm"\nconfig = { accessKeyId = "x" }\n', "connector.config"),
    ('[sign_in_experience]\nsignInMode = "Sometimes"\n', "sign_in_experience"),
    ('[gadgets]\n', "gadgets"),
    ('this is = = not toml', "seed.toml"),
])
def test_bad_seed_files_name_the_entry_and_field(tmp_path, content, where):
    server = Server(database_url=f"sqlite:///{tmp_path}/bad.db", data_dir=tmp_path)
    path = tmp_path / "seed.toml"
    path.write_text(content)
    result = subprocess.run([sys.executable, "-m", "idp", "seed", str(path)], env=server.env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["code"] == "seed.invalid" and where in error["message"]
