"""A worker killed with SIGKILL in the middle of sign-ins loses nothing it answered for."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

from idp.models import User
from tests.browser import query
from tests.flows import open_browser
from tests.server import Server, fresh_database_url

pytestmark = pytest.mark.both_databases


@dataclass
class Answered:
    """What the server confirmed before it died."""

    users: list[str] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    tokens: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def register_and_sign_in(server: Server, app: dict, answered: Answered) -> None:
    """Register by (fixed) code, finish the authorization and redeem the code, recording each answer."""
    email = f"load-{secrets.token_hex(4)}@durable.test"
    with open_browser(server) as browser:
        browser.start(browser.authorize_url(app["id"], app["redirect_uris"][0]), "Register")
        verification_id = browser.send_code(email, "Register").json()["verificationId"]
        browser.verify_code(email, verification_id, "777777")
        if browser.experience("POST", "/identification", {"verificationId": verification_id}).status_code == 201:
            with answered.lock:
                answered.users.append(email)
        callback = browser.finish(browser.experience("POST", "/submit").json()["redirectTo"])
        with answered.lock:
            answered.sessions.append(dict(browser.http.cookies))
        form = {"grant_type": "authorization_code", "code": query(callback)["code"],
                "redirect_uri": app["redirect_uris"][0]}
        response = httpx.post(f"{server.issuer}/token", auth=(app["id"], app["secret"]), data=form, timeout=30)
        if response.status_code == 200:
            with answered.lock:
                answered.tokens.append({"form": form, **response.json()})


def load(server: Server, app: dict, answered: Answered, stop: threading.Event) -> None:
    while not stop.is_set():
        # When the server dies under a request, nothing was answered.
        with contextlib.suppress(httpx.HTTPError, AssertionError, KeyError, ValueError):
            register_and_sign_in(server, app, answered)


@pytest.fixture
def server(backend: str, tmp_path) -> Server:
    url = fresh_database_url(backend, tmp_path, "idp_durability")
    return Server(database_url=url, data_dir=tmp_path, extra_env={"IDP_DEV_FIXED_CODES": "durable.test=777777"})


def test_sigkill_during_sign_ins_loses_nothing_answered(server: Server):
    process = server.start()
    app = server.make_app()
    answered, stop = Answered(), threading.Event()
    workers = [threading.Thread(target=load, args=(server, app, answered, stop)) for _ in range(6)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while len(answered.tokens) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for worker in workers:
        worker.join(60)
    server.processes.clear()
    assert len(answered.tokens) >= 10, "the load did not get going before the kill"

    server.start()
    try:
        with server.db() as db:
            stored = {row.primary_email for row in db.query(User)}
        assert set(answered.users) <= stored
        for tokens in answered.tokens:
            me = httpx.get(f"{server.issuer}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
            assert me.status_code == 200
            replay = httpx.post(f"{server.issuer}/token", auth=(app["id"], app["secret"]), data=tokens["form"])
            assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        for cookies in answered.sessions[:10]:
            with open_browser(server) as browser:
                browser.http.cookies.update(cookies)
                silent = browser.follow(browser.authorize_url(app["id"], app["redirect_uris"][0], prompt="none"))
            assert "code" in query(silent.headers["location"])
    finally:
        server.stop()
