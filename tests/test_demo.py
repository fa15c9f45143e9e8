"""The built-in demo app signs in against idp itself and shows the claims."""

from __future__ import annotations

import json
import re
from html import unescape

from idp.testing import complete_sign_in


def test_demo_app_signs_in_and_shows_claims_and_userinfo(idp, browser, email):
    """The shared server was started as `idp serve` starts by default: with the demo application."""
    user = idp.make_user(email, name="Demo User")
    assert "Sign in" in browser.http.get("/demo-app").text
    browser.land(f"{idp.endpoint}/demo-app/sign-in")
    shown = browser.follow(complete_sign_in(browser.http, user["email"], user["password"]))
    assert shown.status_code == 200 and shown.url.path == "/demo-app/callback"
    claims = json.loads(unescape(re.search(r'id="id-token-claims">(.*?)</pre>', shown.text, re.S).group(1)))
    info = json.loads(unescape(re.search(r'id="userinfo">(.*?)</pre>', shown.text, re.S).group(1)))
    assert claims["sub"] == info["sub"] == user["id"] and claims["iss"] == idp.issuer
    assert info["email"] == user["email"] and info["name"] == "Demo User" and "custom_data" in info
    assert "/oidc/session/end?id_token_hint=" in shown.text


def test_demo_callback_refuses_a_foreign_state(idp, new_browser):
    browser = new_browser(idp)
    answer = browser.http.get("/demo-app/callback", params={"code": "x", "state": "y", "iss": idp.issuer})
    assert answer.status_code == 400 and "does not belong" in answer.text
