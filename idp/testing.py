"""Run a real idp in tests: a server process on a free loopback port, seeded over HTTP, with
headless sign-in through Logto's Experience API.

    with IdpServer(tmp_path) as idp:
        app = idp.create_app(redirect_uris=["http://localhost/cb"])
        idp.create_user("alice@example.test", password="Correct-Horse-9")
        tokens = idp.sign_in(app, "alice@example.test", password="Correct-Horse-9")
        tokens = idp.sign_in(app, "alice@example.test")  # by email code, read from the outbox

The server runs in development mode: codes land in the outbox and `/api/dev/*` controls work.
The pytest plugin (`idp.pytest_plugin`) wraps this in fixtures.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class IdpServer:
    def __init__(self, data_dir: str | Path, *, database_url: str | None = None, port: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'idp.db'}"
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.processes: list[subprocess.Popen] = []
        self.http = httpx.Client(timeout=30)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/oidc"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "IDP_ENDPOINT": self.endpoint, "IDP_PORT": str(self.port), "IDP_DEV": "1",
                "IDP_DATABASE_URL": self.database_url, "IDP_DATA_DIR": str(self.data_dir), **self.extra_env}

    def start(self, *args: str, port: int | None = None, demo: bool = False) -> subprocess.Popen:
        """Start one `idp serve` process (call again with another port for a second worker)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self.env if port is None else {**self.env, "IDP_PORT": str(port)}
        command = [sys.executable, "-m", "idp", "serve", *([] if demo else ["--no-demo"]), *args]
        with open(self.data_dir / f"server-{len(self.processes)}.log", "w") as log:  # the process keeps its own
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes.append(process)
        wait_ready(f"http://127.0.0.1:{port or self.port}", process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(10)
        self.processes.clear()
        self.http.close()  # its connections led to the stopped processes; a new start gets a new client
        self.http = httpx.Client(timeout=30)

    def __enter__(self) -> IdpServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        self.http.close()

    def dev(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(method, f"{self.endpoint}/api/dev/{path}", json=body, params=params)
        if response.status_code >= 400:
            raise AssertionError(f"{method} /api/dev/{path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        """Apply a seed document (the TOML seed file's structure, as a dict)."""
        return self.dev("POST", "seed", document)

    def create_app(self, type: str = "traditional", redirect_uris: list[str] | None = None, **fields: Any) -> dict:
        entry = {"name": "Test app", "type": type, "redirect_uris": redirect_uris or ["http://localhost/callback"],
                 **fields}
        if type == "m2m":
            entry["redirect_uris"] = []
        return self.seed({"applications": [entry]})["applications"][0]

    def create_user(self, email: str | None = None, **fields: Any) -> dict:
        return self.seed({"users": [{"email": email, **fields} if email else fields]})["users"][0]

    def reset(self) -> None:
        """Empty users, sessions, codes and tokens; applications, keys and configuration stay."""
        self.dev("POST", "reset")

    def advance_clock(self, seconds: float) -> None:
        self.dev("POST", "clock", {"advance": seconds})

    def messages(self, to: str, after: int = 0, wait: float = 0) -> list[dict[str, Any]]:
        """Messages to `to`, newest first; with `after`, only those newer than that message id.
        With `wait`, answers as soon as there is one, waiting up to `wait` seconds."""
        return self.dev("GET", "outbox", to=to, after=after, wait=wait)

    def last_code(self, to: str, wait: float = 10, after: int = 0) -> str:
        """The code of the newest message to `to` (newer than message `after`), waiting up to
        `wait` seconds for one."""
        found = self.messages(to, after=after, wait=wait)
        if not found:
            raise AssertionError(f"no message was sent to {to}")
        return found[0]["code"]

    def sign_in(self, app: dict[str, Any], email: str, password: str | None = None,
                scope: str = "openid profile email offline_access") -> dict[str, Any]:
        """Sign `email` in to `app` headlessly (password, or else an email code) and return the
        token response, with the verified ID token's claims under `id_token_claims`."""
        return HeadlessSignIn(self, app).run(email, password, scope)


class HeadlessSignIn:
    """The browser's part of the authorization code flow, through the Experience API."""

    def __init__(self, server: IdpServer, app: dict[str, Any]) -> None:
        self.server, self.app = server, app
        self.browser = httpx.Client(base_url=server.endpoint, timeout=30)

    def run(self, email: str, password: str | None, scope: str) -> dict[str, Any]:
        verifier = secrets.token_urlsafe(48)
        redirect_uri = self.app["redirect_uris"][0]
        try:
            self.authorize(redirect_uri, scope, verifier)
            redirect_to = complete_sign_in(self.browser, email, password, mailbox=self.server)
            code = self.follow_to_client(redirect_to, redirect_uri)
        finally:
            self.browser.close()
        return self.exchange(code, redirect_uri, verifier)

    def authorize(self, redirect_uri: str, scope: str, verifier: str) -> None:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {"client_id": self.app["id"], "redirect_uri": redirect_uri, "response_type": "code",
                  "scope": scope, "prompt": "consent", "state": secrets.token_urlsafe(8),
                  "code_challenge": challenge, "code_challenge_method": "S256"}
        response = self.browser.get(f"/oidc/auth?{urlencode(params)}")
        if response.status_code != 303 or "_interaction" not in self.browser.cookies:
            raise AssertionError(f"the authorization request was refused: {response.status_code} {response.text[:300]}")

    def verify(self, email: str, password: str | None) -> str:
        return verify(self.browser, email, password, mailbox=self.server)

    def experience(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return experience(self.browser, method, path, body)

    def follow_to_client(self, url: str, redirect_uri: str) -> str:
        response = self.browser.get(url)
        while response.is_redirect and not response.headers["location"].startswith(redirect_uri):
            response = self.browser.get(response.headers["location"])
        location = response.headers.get("location", "")
        params = parse_qs(urlsplit(location).query)
        if "code" not in params:
            raise AssertionError(f"no code came back to the client: {location or response.text[:300]}")
        return params["code"][0]

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        secret = self.app.get("secret")
        auth = (self.app["id"], secret) if secret else None
        if not secret:
            form["client_id"] = self.app["id"]
        response = self.server.http.post(f"{self.server.issuer}/token", data=form, auth=auth)
        if response.status_code != 200:
            raise AssertionError(f"the token request failed: {response.text}")
        tokens = response.json()
        keys = KeySet.import_key_set(self.server.http.get(f"{self.server.issuer}/jwks").json())
        tokens["id_token_claims"] = jwt.decode(tokens["id_token"], keys, algorithms=["ES384", "RS256"]).claims
        return tokens


def complete_sign_in(browser: httpx.Client, email: str, password: str | None = None, *,
                     mailbox: IdpServer | None = None) -> str:
    """Sign `email` in on the pending authorization request of `browser` (an `httpx.Client` whose
    base URL is idp's endpoint): by password, or else by the email code read from `mailbox`'s
    outbox. Returns the URL at which idp resumes the request; `browser` keeps the session."""
    experience(browser, "PUT", "", {"interactionEvent": "SignIn"})
    verification_id = verify(browser, email, password, mailbox=mailbox)
    experience(browser, "POST", "/identification", {"verificationId": verification_id})
    return str(experience(browser, "POST", "/submit").json()["redirectTo"])


def verify(browser: httpx.Client, email: str, password: str | None, *, mailbox: IdpServer | None = None) -> str:
    """Verify `email` by password, or else by an email code read from `mailbox`; returns the verificationId."""
    identifier = {"type": "email", "value": email}
    if password is not None:
        body = {"identifier": identifier, "password": password}
        return str(experience(browser, "POST", "/verification/password", body).json()["verificationId"])
    if mailbox is None:
        raise ValueError("a sign-in by email code needs the server whose outbox receives the code")
    sent = experience(browser, "POST", "/verification/verification-code",
                      {"identifier": identifier, "interactionEvent": "SignIn"}).json()["verificationId"]
    body = {"identifier": identifier, "verificationId": sent, "code": mailbox.last_code(email)}
    return str(experience(browser, "POST", "/verification/verification-code/verify", body).json()["verificationId"])


def experience(browser: httpx.Client, method: str, path: str, body: Any = None) -> httpx.Response:
    """One Experience API call; an error answer raises AssertionError with idp's explanation."""
    response = browser.request(method, f"/api/experience{path}", json=body)
    if response.status_code >= 400:
        raise AssertionError(f"{method} /api/experience{path} answered {response.status_code}: {response.text}")
    return response


def wait_ready(endpoint: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"idp exited with {process.returncode}")
        try:
            if httpx.get(f"{endpoint}/oidc/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise TimeoutError("idp did not become ready")
