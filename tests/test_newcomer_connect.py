"""The README's "Connect your app" snippets, run against a real idp, so that they cannot go stale.

Auth.js v5 runs in tests/test_interop_authjs.py (its `.env.local` comes from the README); its
`auth.ts` uses the same provider call as tests/interop/authjs-app.mjs, checked here. The Go SDK
cannot run here: its snippet's values are checked by making the requests the SDK makes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode, urljoin

import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.jwk import KeySet

from tests import readme
from tests.browser import Browser, pkce_pair, query
from tests.test_interop_authlib import sign_in as authlib_sign_in

INTEROP = Path(__file__).parent / "interop"


def test_authjs_config_is_the_one_the_interop_app_uses():
    config = readme.snippet("authjs-config")
    assert 'import Logto from "next-auth/providers/logto"' in config and "providers: [Logto]" in config
    assert "providers: [Logto]," in (INTEROP / "authjs-app.mjs").read_text()
    assert set(readme.env_lines(readme.snippet("authjs-env"))) == {
        "AUTH_SECRET", "AUTH_LOGTO_ISSUER", "AUTH_LOGTO_ID", "AUTH_LOGTO_SECRET"}
    assert readme.env_lines(readme.snippet("authjs-env"))["AUTH_LOGTO_ISSUER"] == f"{readme.DEFAULT_ENDPOINT}/oidc"


def test_nextauth4_provider_signs_in_with_openid_client(idp, browser: Browser, user, tmp_path):
    redirect_uri = "http://127.0.0.1:3000/api/auth/callback/logto"
    app = idp.make_app(redirect_uris=[redirect_uri])
    provider_file = tmp_path / "nextauth.mjs"
    provider_file.write_text(readme.snippet("nextauth4"))
    node = shutil.which("node")
    assert node and (INTEROP / "node_modules" / "openid-client").is_dir(), "run tests/setup.sh"
    env = {**os.environ, "LOGTO_ENDPOINT": idp.endpoint, "LOGTO_ID": app["id"], "LOGTO_SECRET": app["secret"]}
    command = [node, "nextauth4-check.mjs", str(provider_file), redirect_uri]
    with subprocess.Popen(command, cwd=INTEROP, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as process:
        last = nextauth4_sign_in(process, idp, browser, user)
    result = json.loads(last.split(" ", 1)[1])
    assert result["user"] == {"id": user["id"], "name": None, "email": user["email"], "image": None}
    assert result["userinfo"]["sub"] == user["id"]


def nextauth4_sign_in(process: subprocess.Popen, idp, browser: Browser, user: dict) -> str:
    """Sign in on the authorization URL the NextAuth v4 provider printed; return its RESULT line."""
    try:
        first = process.stdout.readline()
        assert first.startswith("AUTHORIZE "), first + process.stdout.read()
        url = first.split(" ", 1)[1].strip()
        assert url.startswith(f"{idp.issuer}/auth?")
        assert set(query(url)["scope"].split()) == {"openid", "offline_access", "profile", "email"}
        callback = browser.sign_in_with_password(url, user["email"], user["password"])
        process.stdin.write(callback + "\n")
        process.stdin.flush()
        last = process.stdout.readline()
        assert last.startswith("RESULT "), last + process.stdout.read()
        return last
    finally:
        process.kill()


def test_logto_python_sdk_snippet_signs_in(idp, browser: Browser, app, user):
    scope: dict = {}
    exec(readme.filled("logto-python", endpoint=idp.endpoint, app=app), scope)  # noqa: S102 (the README's own snippet)
    client = scope["client"]
    url = asyncio.run(client.signIn(app["redirect_uris"][0]))
    assert url.startswith(f"{idp.issuer}/auth?")
    asyncio.run(client.handleSignInCallback(browser.sign_in_with_password(url, user["email"], user["password"])))
    claims = client.getIdTokenClaims()
    assert claims.iss == idp.issuer and claims.sub == user["id"]


def test_authlib_snippet_signs_in(idp, browser: Browser, user):
    redirect_uri = f"{readme.DEFAULT_APP}/callback"
    app = idp.make_app(redirect_uris=[redirect_uri])
    scope: dict = {}
    exec(readme.filled("oidc-authlib", endpoint=idp.endpoint, app=app), scope)  # noqa: S102 (the README's own snippet)
    client, discovery = scope["client"], scope["discovery"]
    try:
        assert discovery["issuer"] == idp.issuer
        token, claims = authlib_sign_in(client, discovery, browser, user)
        assert claims["sub"] == user["id"] and token["refresh_token"]
    finally:
        client.close()


def go_config() -> dict[str, str]:
    """The README's Go `LogtoConfig` fields, as Go would read them."""
    fields = dict(re.findall(r'^\s*(\w+):\s*"([^"]*)",', readme.snippet("logto-go"), re.M))
    assert set(fields) == {"Endpoint", "AppId", "AppSecret"}
    return fields


def go_join_path(base: str, path: str) -> str:
    """Go's url.JoinPath for the paths the SDK joins (one slash between the parts)."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def test_go_sdk_snippet_values_work_with_the_sdks_requests(idp, browser: Browser, user):
    """The Go SDK (logto-io/go v2, client and core packages) step by step: what it fetches and
    sends, and the checks it makes on the ID token (aud a string, iss, iat within 60 s)."""
    config = go_config()
    assert config["Endpoint"] == readme.DEFAULT_ENDPOINT and config["AppId"] == "<app id>"
    redirect_uri = f"{readme.DEFAULT_APP}/sign-in-callback"
    app = idp.make_app(redirect_uris=[redirect_uri])
    endpoint = config["Endpoint"].replace(readme.DEFAULT_ENDPOINT, idp.endpoint)

    discovery = httpx.get(go_join_path(endpoint, "/oidc/.well-known/openid-configuration")).json()
    verifier, challenge = pkce_pair()
    state = generate_token(43)
    url = discovery["authorization_endpoint"] + "?" + urlencode({
        "client_id": app["id"], "redirect_uri": redirect_uri, "code_challenge": challenge,
        "code_challenge_method": "S256", "state": state, "scope": "openid offline_access profile",
        "response_type": "code", "prompt": "consent"})
    callback = query(browser.sign_in_with_password(url, user["email"], user["password"]))
    assert callback["state"] == state

    basic = base64.b64encode(f"{app['id']}:{app['secret']}".encode()).decode()  # Go's SetBasicAuth
    tokens = httpx.post(discovery["token_endpoint"], headers={"Authorization": f"Basic {basic}"}, data={
        "client_id": app["id"], "redirect_uri": redirect_uri, "code_verifier": verifier,
        "code": callback["code"], "grant_type": "authorization_code"})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in", "scope"} <= set(body)

    header = json.loads(base64.urlsafe_b64decode(body["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "ES384"  # go-jose takes the algorithm from the header
    keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["ES384"]).claims
    assert isinstance(claims["aud"], str) and claims["aud"] == app["id"]  # Go decodes `aud` into a string
    assert claims["iss"] == discovery["issuer"] and abs(claims["iat"] - time.time()) < 60
    info = httpx.get(discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json()["sub"] == claims["sub"] == user["id"]
    assert urljoin(endpoint, "/oidc/session/end") == discovery["end_session_endpoint"]
