"""Two `idp serve` processes on one database behave as one provider."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from joserfc import jws

from tests.browser import Browser, pkce_pair, query
from tests.server import Server, free_port, fresh_database_url


@pytest.fixture(scope="module")
def pair(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp(f"workers-{backend}")
    server = Server(database_url=fresh_database_url(backend, folder, "idp_workers"), data_dir=folder,
                    extra_env={"IDP_DEV": "1"})
    server.start()
    other_port = free_port()
    server.start(port=other_port)
    yield server, f"http://127.0.0.1:{other_port}"
    server.stop()


def kids(base: str) -> list[str]:
    return [key["kid"] for key in httpx.get(f"{base}/oidc/jwks").json()["keys"]]


def test_a_key_rotated_by_the_cli_is_used_by_both_workers(pair):
    server, other = pair
    before = kids(server.endpoint)
    rotated = server.cli("keys", "rotate")["kid"]
    assert kids(server.endpoint)[0] == kids(other)[0] == rotated
    assert set(before) <= set(kids(other))

    app = server.make_app()
    user = server.make_user("worker-rotation@example.test")
    browser = Browser(server.endpoint)
    callback = browser.sign_in_with_password(browser.authorize_url(app["id"], app["redirect_uris"][0]),
                                             user["email"], user["password"])
    tokens = httpx.post(f"{other}/oidc/token", auth=(app["id"], app["secret"]), data={
        "grant_type": "authorization_code", "code": query(callback)["code"],
        "redirect_uri": app["redirect_uris"][0]}).json()
    assert jws.extract_compact(tokens["id_token"].encode()).protected["kid"] == rotated


def test_a_code_consumed_on_one_worker_is_consumed_on_the_other(pair):
    server, other = pair
    app = server.make_app()
    user = server.make_user("worker-code@example.test")
    verifier, challenge = pkce_pair()
    browser = Browser(server.endpoint)
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
