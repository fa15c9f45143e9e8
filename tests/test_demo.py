"""The built-in demo app signs in against idp itself and shows the claims."""

from __future__ import annotations

import json
import re
from html import unescape

from tests.browser import Browser
from tests.server import Server


def test_demo_app_signs_in_and_shows_claims_and_userinfo(tmp_path):
    server = Server(database_url=f"sqlite:///{tmp_path}/demo.db", data_dir=tmp_path)
    server.start(demo=True)
    try:
        user = server.make_user("demo-user@example.test", name="Demo User")
        browser = Browser(server.endpoint)
        assert "Sign in" in browser.http.get("/demo-app").text
        browser.start(f"{server.endpoint}/demo-app/sign-in")
        verified = browser.experience("POST", "/verification/password", {
            "identifier": {"type": "email", "value": user["email"]}, "password": user["password"]})
        browser.experience("POST", "/identification", {"verificationId": verified.json()["verificationId"]})
        shown = browser.follow(browser.experience("POST", "/submit").json()["redirectTo"])
        assert shown.status_code == 200 and shown.url.path == "/demo-app/callback"
        claims = json.loads(unescape(re.search(r'id="id-token-claims">(.*?)</pre>', shown.text, re.S).group(1)))
        info = json.loads(unescape(re.search(r'id="userinfo">(.*?)</pre>', shown.text, re.S).group(1)))
        assert claims["sub"] == info["sub"] == user["id"] and claims["iss"] == server.issuer
        assert info["email"] == user["email"] and info["name"] == "Demo User" and "custom_data" in info
        assert "/oidc/session/end?id_token_hint=" in shown.text
    finally:
        server.stop()


def test_demo_callback_refuses_a_foreign_state(idp):
    browser = Browser(idp.endpoint)
    answer = browser.http.get("/demo-app/callback", params={"code": "x", "state": "y", "iss": idp.issuer})
    assert answer.status_code == 400 and "does not belong" in answer.text
