"""Signing keys: Logto's `kid`, `idp keys rotate` (DJ-05) and the RS256 option (DJ-03).

Rotation changes what a whole server signs with, so the rotation tests share a server and a
database of their own (per backend), and each states what it expects relative to the keys it
finds. RS256 applications (which add one RSA key) are registered on the shared server.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.browser import Browser, query
from tests.server import Server, fresh_database_url

pytestmark = pytest.mark.both_databases

REDIRECT_URI = "https://rp.example.test/cb"


def logto_kid(jwk: dict) -> str:
    """base64url(SHA-256(JSON.stringify(members))), members in Logto's order, no whitespace."""
    names = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({name: jwk[name] for name in names}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server whose keys the rotation tests rotate; no RS256 application is registered on it."""
    folder = tmp_path_factory.mktemp(f"keys-{backend}")
    instance = Server(database_url=fresh_database_url(backend, folder, "keys"), data_dir=folder)
    instance.start()
    yield instance
    instance.stop()


def jwks(server: Server) -> list[dict]:
    return httpx.get(f"{server.issuer}/jwks").json()["keys"]


def kids(server: Server, kty: str = "EC") -> set[str]:
    return {key["kid"] for key in jwks(server) if key["kty"] == kty}


def header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def verify(server: Server, token: str) -> dict:
    keys = KeySet.import_key_set({"keys": jwks(server)})
    return jwt.decode(token, keys, algorithms=["ES384", "RS256"]).claims


def sign_in(server: Server, app: dict, user: dict, **params: str) -> tuple[Browser, str]:
    """A browser signed in to `app`, and the ID token it got."""
    browser = Browser(server.endpoint)
    url = browser.authorize_url(app["id"], REDIRECT_URI, scope="openid", **params)
    code = query(browser.sign_in_with_password(url, user["email"], user["password"]))["code"]
    response = httpx.post(f"{server.issuer}/token", auth=(app["id"], app["secret"]),
                          data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
    assert response.status_code == 200, response.text
    return browser, response.json()["id_token"]


def rotate(server: Server) -> str:
    """Rotate the ES384 key over the development controls (the same rotation as `idp keys rotate`,
    whose command the first rotation test runs); returns the new kid."""
    return server.dev("POST", "keys/rotate", {})["kid"]


def silent_reauth(browser: Browser, app: dict, hint: str) -> dict[str, str]:
    url = browser.authorize_url(app["id"], REDIRECT_URI, scope="openid", prompt="none", id_token_hint=hint)
    response = browser.http.get(url)
    assert response.status_code == 303
    return query(response.headers["location"])


# Logto's kid (on the shared server: reading only)


def test_every_published_kid_is_logtos_thumbprint(idp):
    keys = jwks(idp)
    assert keys
    for key in keys:
        assert key["kid"] == logto_kid(key)


def test_id_token_kid_names_a_published_key(idp, app, user):
    browser, token = sign_in(idp, app, user)
    browser.close()
    assert header(token)["kid"] in kids(idp)
    assert header(token)["alg"] == "ES384"


# DJ-05


def test_rotation_publishes_the_new_key_beside_the_old(server):
    old = rotate(server)
    rotated = server.cli("keys", "rotate")
    assert rotated["alg"] == "ES384" and rotated["kid"] != old
    assert kids(server) == {old, rotated["kid"]}
    for key in jwks(server):
        assert key["kid"] == logto_kid(key) and "d" not in key


def test_tokens_after_rotation_use_the_new_key_and_verify(server, email):
    app = server.make_app()
    user = server.make_user(email)
    new_kid = rotate(server)
    browser, token = sign_in(server, app, user)
    browser.close()
    assert header(token)["kid"] == new_kid
    assert verify(server, token)["sub"] == user["id"]


def test_tokens_from_before_rotation_still_verify(server, email):
    app = server.make_app()
    user = server.make_user(email)
    browser, old_token = sign_in(server, app, user)
    browser.close()
    rotate(server)
    assert header(old_token)["kid"] in kids(server)
    assert verify(server, old_token)["sub"] == user["id"]


def test_id_token_hint_signed_before_rotation_is_still_accepted(server, email):
    app = server.make_app()
    user = server.make_user(email)
    browser, old_token = sign_in(server, app, user)
    rotate(server)
    try:
        params = silent_reauth(browser, app, old_token)
    finally:
        browser.close()
    assert "code" in params and "error" not in params


def test_second_rotation_retires_the_oldest_key_as_logto_does(server):
    first = rotate(server)
    second = rotate(server)
    third = rotate(server)
    assert kids(server) == {second, third}
    assert first not in kids(server)


# DJ-03: RS256 is opt-in per application (Config OP certification needs it advertised).


def test_rs256_application_adds_a_published_rsa_key(idp):
    idp.cli("app", "create", "--name", "rsa", "--type", "traditional", "--redirect-uri", REDIRECT_URI,
            "--id-token-alg", "RS256")
    doc = httpx.get(f"{idp.issuer}/.well-known/openid-configuration").json()
    assert set(doc["id_token_signing_alg_values_supported"]) == {"ES384", "RS256"}
    (rsa,) = [key for key in jwks(idp) if key["kty"] == "RSA"]
    modulus = base64.urlsafe_b64decode(rsa["n"] + "==")
    assert len(modulus) * 8 >= 2048
    assert rsa["kid"] == logto_kid(rsa)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(rsa)


def test_each_application_gets_id_tokens_in_its_algorithm(idp, email):
    rsa_app = idp.cli("app", "create", "--name", "rsa", "--type", "traditional", "--redirect-uri",
                      REDIRECT_URI, "--id-token-alg", "RS256")
    ec_app = idp.make_app()
    user = idp.make_user(email)
    for app, alg in ((rsa_app, "RS256"), (ec_app, "ES384")):
        browser, token = sign_in(idp, app, user)
        browser.close()
        assert header(token)["alg"] == alg
        assert verify(idp, token)["aud"] == app["id"]


def test_default_algorithm_is_es384_without_rsa_key(server):
    doc = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    assert doc["id_token_signing_alg_values_supported"] == ["ES384"]
    assert {key["kty"] for key in jwks(server)} == {"EC"}
