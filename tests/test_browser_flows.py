"""The hosted pages in a real browser (Debian's Chromium, headless), from a client's authorization
request back to its redirect URI: sign in by code, register with a password, reset a password."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser import query

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NEW_PASSWORD = "Tall-Ladder-42"


class Callback(BaseHTTPRequestHandler):
    """The client's redirect URI: answers every GET with a small page."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Client</title><p>Back at the client.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def client_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url')}")
           if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == [], problems  # e.g. a script or style the CSP refused


@pytest.fixture
def client(idp, client_site) -> dict:
    return idp.make_app(redirect_uris=[client_site])


def authorize(idp, client: dict, **params: str) -> tuple[str, str]:
    state = secrets.token_urlsafe(8)
    values = {"client_id": client["id"], "redirect_uri": client["redirect_uris"][0], "response_type": "code",
              "scope": "openid profile email", "state": state, **params}
    return f"{idp.issuer}/auth?{urlencode(values)}", state


def back_at_client(page, client: dict, state: str) -> str:
    """Wait for the client's redirect URI; return the authorization code it received."""
    page.wait_for_url(client["redirect_uris"][0] + "?*")
    assert page.locator("p").inner_text() == "Back at the client."
    params = query(page.url)
    assert params["state"] == state and params["code"]
    return params["code"]


def userinfo(idp, client: dict, code: str) -> dict:
    tokens = httpx.post(f"{idp.issuer}/token", auth=(client["id"], client["secret"]), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": client["redirect_uris"][0]})
    assert tokens.status_code == 200, tokens.text
    return httpx.get(f"{idp.issuer}/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}).json()


def enter_code(idp, page, email: str) -> None:
    page.get_by_label("Verification code").fill(idp.last_code(email))
    page.get_by_role("button", name="Continue").click()


def test_sign_in_by_code(idp, page, client, user):
    url, state = authorize(idp, client)
    page.goto(url)
    page.get_by_label("Email address").fill(user["email"])
    page.get_by_role("button", name="Continue with an email code").click()
    page.wait_for_url("**/sign-in/code?*")
    resend = page.get_by_role("button", name="Send me another code")
    assert resend.is_disabled()  # the countdown script ran under the CSP
    assert "You can ask for another code in" in page.locator("#resend-wait").inner_text()
    enter_code(idp, page, user["email"])
    assert userinfo(idp, client, back_at_client(page, client, state))["sub"] == user["id"]


def test_register_with_a_password(idp, page, client):
    email = f"browser-{secrets.token_hex(4)}@example.test"
    url, state = authorize(idp, client)
    page.goto(url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/register/code?*")
    enter_code(idp, page, email)
    page.wait_for_url("**/register/password?*")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and continue").click()
    info = userinfo(idp, client, back_at_client(page, client, state))
    assert info["email"] == email and info["email_verified"] is True


def test_reset_a_password_then_sign_in_with_it(idp, page, client, user):
    url, state = authorize(idp, client)
    page.goto(url)
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(user["email"])
    page.get_by_role("button", name="Send the code").click()
    page.wait_for_url("**/forgot-password/code?*")
    enter_code(idp, page, user["email"])
    page.wait_for_url("**/forgot-password/password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_url("**/forgot-password/done")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(user["email"])
    page.get_by_role("button", name="Continue with my password").click()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert userinfo(idp, client, back_at_client(page, client, state))["sub"] == user["id"]
