"""The hosted pages as a person sees them, in Debian's Chromium: fonts, spacing, long values, and
the language chosen in the demo app carried to the sign-in pages and the emails."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.server import Server
from tests.test_browser_flows import authorize, chromium, client, client_site  # noqa: F401 (fixtures)

BOX = "(element) => { const r = element.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
FONT = "(element) => getComputedStyle(element).fontFamily"


@pytest.fixture
def tab(chromium, request) -> Iterator[object]:  # noqa: F811
    locale = getattr(request, "param", "en-US")
    context = chromium.new_context(locale=locale, viewport={"width": 420, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_buttons_and_inputs_use_the_pages_font_and_errors_keep_their_distance(idp, tab, client, user):  # noqa: F811
    url, _ = authorize(idp, client)
    tab.goto(url)
    tab.get_by_label("Email address").fill(user["email"])
    tab.get_by_role("button", name="Continue with my password").click()
    tab.get_by_label("Password").fill("Not-the-password-1")
    tab.get_by_role("button", name="Sign in").click()
    error = tab.get_by_role("alert")
    assert "wrong" in error.inner_text()
    body_font = tab.locator("body").evaluate(FONT)
    assert tab.get_by_role("button", name="Sign in").evaluate(FONT) == body_font
    assert tab.get_by_label("Password").evaluate(FONT) == body_font
    label = tab.locator("label").first
    assert label.evaluate(BOX)[1] - error.evaluate(BOX)[3] >= 12  # a visible gap below the error box


def test_long_values_in_the_explain_box_stay_inside_the_card(idp, tab, client):  # noqa: F811
    long_uri = "https://rp.example.test/" + "a" * 180 + "/callback"
    tab.goto(f"{idp.issuer}/auth?" + urlencode({"client_id": client["id"], "redirect_uri": long_uri,
                                                "response_type": "code", "scope": "openid"}))
    shown = tab.locator(".explain code", has_text="aaaa")
    assert shown.count() == 1
    card = tab.locator(".card").evaluate(BOX)
    value = shown.evaluate(BOX)
    assert card[0] <= value[0] and value[2] <= card[2]
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("demo")
    server = Server(database_url=f"sqlite:///{folder}/demo.db", data_dir=folder)
    server.start(demo=True)
    yield server
    server.stop()


@pytest.mark.parametrize("tab", ["fr-FR"], indirect=True)
def test_the_demo_app_its_sign_in_pages_and_emails_follow_the_browsers_language(demo, tab):
    email = f"demo-{secrets.token_hex(3)}@example.test"
    demo.make_user(email, name="Camille")
    tab.goto(f"{demo.endpoint}/demo-app")
    assert tab.locator("html").get_attribute("lang") == "fr"
    tab.get_by_role("link", name="Se connecter").click()
    tab.get_by_label("Adresse e-mail").fill(email)
    tab.get_by_role("button", name="Continuer avec un code").click()
    [message] = demo.messages(email)
    assert message["subject"] == "Votre code de vérification pour vous connecter"
    assert message["content"].startswith(f"Votre code de vérification est {message['code']}.")
    tab.get_by_label("Code de vérification").fill(message["code"])
    tab.get_by_role("button", name="Continuer").click()
    tab.wait_for_url("**/demo-app/callback?*")
    assert tab.get_by_role("heading", name="Revendications du jeton d’identité").is_visible()
    assert tab.get_by_role("link", name="Se déconnecter").is_visible()
    tab.screenshot(path=str(demo.data_dir / "demo-fr.png"), full_page=True)


def test_a_language_chosen_in_the_demo_app_wins_over_the_browsers(demo, tab):
    tab.goto(f"{demo.endpoint}/demo-app?ui_locales=zh-CN")
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
    tab.get_by_role("link", name="登录").click()
    tab.wait_for_url("**/sign-in*")
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
