"""Auth.js v5 (@auth/express with its built-in Logto provider) signs in against a real idp,
configured by the README's `.env.local` ("Connect your app").

The Express app in tests/interop/authjs-app.mjs runs as a real Node process; httpx plays the
browser on both sides (the app's cookies in one client, idp's in the other).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import readme
from tests.browser import Browser, query
from tests.server import Server, free_port

INTEROP = Path(__file__).parent / "interop"
LOGTO_DEFAULT_SCOPES = ["offline_access", "openid", "email", "profile"]


@dataclass
class AuthjsApp:
    url: str
    client_id: str
    http: httpx.Client

    @property
    def callback_url(self) -> str:
        return f"{self.url}/auth/callback/logto"

    def csrf_token(self) -> str:
        response = self.http.get("/auth/csrf")
        assert response.status_code == 200, response.text
        return response.json()["csrfToken"]

    def session(self) -> dict | None:
        response = self.http.get("/auth/session")
        assert response.status_code == 200, response.text
        return response.json()


def start_node(env: dict[str, str], log: Path) -> subprocess.Popen:
    node = shutil.which("node")
    assert node, "Node.js is required for the interoperability tests"
    assert (INTEROP / "node_modules" / "@auth" / "express").is_dir(), "run tests/setup.sh (npm ci in tests/interop)"
    with open(log, "w") as output:
        return subprocess.Popen([node, "authjs-app.mjs"], cwd=INTEROP, env={**os.environ, **env},
                                stdout=output, stderr=subprocess.STDOUT)


def wait_for_ready(process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "READY" in log.read_text():
            return
        if process.poll() is not None:
            raise RuntimeError(f"the Auth.js app exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.05)
    raise TimeoutError(f"the Auth.js app did not become ready:\n{log.read_text()}")


@pytest.fixture
def authjs(idp: Server, tmp_path: Path) -> Iterator[AuthjsApp]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = idp.make_app(redirect_uris=[f"{url}/auth/callback/logto"])
    log = tmp_path / "authjs.log"
    settings = readme.env_lines(readme.filled("authjs-env", endpoint=idp.endpoint, app=client,
                                              secret=secrets.token_urlsafe(32)))  # the README's .env.local
    process = start_node({**settings, "PORT": str(port)}, log)
    http = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
    try:
        wait_for_ready(process, log)
        yield AuthjsApp(url, client["id"], http)
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log.read_text())  # noqa: T201 (pytest shows the captured output of a failed test)


def sign_in(authjs: AuthjsApp, idp: Server, browser: Browser, user: dict, by_code: bool = False) -> None:
    after_sign_in = f"{authjs.url}/signed-in"
    started = authjs.http.post("/auth/signin/logto",
                               data={"csrfToken": authjs.csrf_token(), "callbackUrl": after_sign_in})
    assert started.status_code == 302, started.text
    authorize_url = started.headers["location"]
    assert authorize_url.startswith(f"{idp.issuer}/auth?"), authorize_url
    params = query(authorize_url)
    assert params["client_id"] == authjs.client_id and params["redirect_uri"] == authjs.callback_url
    assert params["scope"].split() == LOGTO_DEFAULT_SCOPES
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]

    if by_code:
        callback = browser.sign_in_with_code(idp, authorize_url, user["email"])
    else:
        callback = browser.sign_in_with_password(authorize_url, user["email"], user["password"])
    assert callback.startswith(authjs.callback_url + "?"), callback
    assert query(callback)["iss"] == idp.issuer

    finished = authjs.http.get(callback)  # carries Auth.js's PKCE cookie
    # Any failure in Auth.js redirects to /auth/error instead.
    assert finished.status_code == 302 and finished.headers["location"] == after_sign_in, finished.headers


def test_authjs_logto_provider_signs_in_calls_userinfo_and_signs_out(idp: Server, browser: Browser, user: dict,
                                                                    authjs: AuthjsApp):
    assert authjs.session() is None

    sign_in(authjs, idp, browser, user)

    session = authjs.session()
    assert session is not None, "Auth.js did not keep a session"
    assert session["user"]["email"] == user["email"]  # from the ID token's claims
    assert session["idpSubject"] == user["id"]
    assert "accessToken" not in session

    info = authjs.http.get("/me")
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == user["id"] and info.json()["email"] == user["email"]

    signed_out = authjs.http.post("/auth/signout", data={"csrfToken": authjs.csrf_token()})
    assert signed_out.status_code == 302, signed_out.text
    assert authjs.session() is None
    assert authjs.http.get("/me").status_code == 401


def test_authjs_logto_provider_signs_in_by_email_code(idp: Server, browser: Browser, user: dict, authjs: AuthjsApp):
    sign_in(authjs, idp, browser, user, by_code=True)
    session = authjs.session()
    assert session is not None and session["user"]["email"] == user["email"]
    assert session["idpSubject"] == user["id"]
