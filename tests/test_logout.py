"""RP-initiated logout and the browser session (SECURITY.md §7 G, LO-01..LO-10).

Logging out is a GET (or POST) to `end_session` answered with a confirmation form; only the POST of
that form, carrying a token bound to the browser's session, ends the session. Logto's page submits
itself when a valid `id_token_hint` identified the client.
"""

from __future__ import annotations

import json

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from idp.settings import Settings
from tests.browser import Browser
from tests.flows import (
    OFFLINE,
    b64encode,
    is_signed_in,
    open_browser,
    read_form,
    refresh,
    segments,
    sign_in,
    tokens_for,
    userinfo,
)

LOGGED_OUT = "https://rp.example.test/logged-out"


def end_session(browser: Browser, method: str = "GET", **params: str) -> httpx.Response:
    url = f"{browser.endpoint}/oidc/session/end"
    if method == "POST":
        return browser.http.post(url, data=params)
    return browser.http.get(url, params=params)


def confirm(browser: Browser, page: httpx.Response, **changes: str | None) -> httpx.Response:
    """Submit the confirmation form as the page's script (or the user) would."""
    assert page.status_code == 200, page.text[:300]
    form = read_form(page.text)
    fields = {name: value for name, value in {**form.fields, **changes}.items() if value is not None}
    return browser.http.post(form.action, data=fields)


def assert_no_redirect(response: httpx.Response) -> None:
    """An error page: 4xx HTML, no Location, no way back to any client."""
    assert 400 <= response.status_code < 500, response.status_code
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "logged-out" not in response.text and "evil" not in response.text


@pytest.fixture
def id_token(idp, browser, app, user) -> str:
    return tokens_for(idp, browser, app, user)["id_token"]


# LO-01


@pytest.mark.both_databases
def test_logout_with_hint_returns_to_the_client_with_state(idp, browser, app, id_token):
    page = end_session(browser, id_token_hint=id_token, post_logout_redirect_uri=LOGGED_OUT, state="xyz")

    assert read_form(page.text).attributes.get("data-auto") == "yes"
    response = confirm(browser, page)

    assert response.status_code == 303
    assert response.headers["location"] == f"{LOGGED_OUT}?state=xyz"
    assert not is_signed_in(browser, app)


def test_logout_without_state_returns_to_the_bare_uri(idp, browser, app, id_token):
    response = confirm(browser, end_session(browser, id_token_hint=id_token, post_logout_redirect_uri=LOGGED_OUT))

    assert response.headers["location"] == LOGGED_OUT
    assert not is_signed_in(browser, app)


# LO-02


@pytest.mark.parametrize("uri", [
    "https://evil.test/", f"{LOGGED_OUT}?foo=bar", f"{LOGGED_OUT}/", "https://rp.example.test/cb",
    "https://RP.example.test/logged-out", f"{LOGGED_OUT}#x",
])
def test_post_logout_uri_must_match_exactly(idp, browser, app, id_token, uri):
    response = end_session(browser, id_token_hint=id_token, post_logout_redirect_uri=uri, state="xyz")

    assert_no_redirect(response)
    assert is_signed_in(browser, app)


def test_confirmation_cannot_smuggle_another_uri(idp, browser, app, id_token):
    page = end_session(browser, id_token_hint=id_token, post_logout_redirect_uri=LOGGED_OUT)

    response = confirm(browser, page, post_logout_redirect_uri="https://evil.test/")

    assert_no_redirect(response)


# LO-03


def test_uri_without_hint_or_client_is_dropped(idp, browser, app, user):
    sign_in(browser, app, user)
    page = end_session(browser, post_logout_redirect_uri=LOGGED_OUT)
    form = read_form(page.text)
    assert "post_logout_redirect_uri" not in form.fields and "data-auto" not in form.attributes

    response = confirm(browser, page)

    assert response.headers["location"] == f"{idp.issuer}/session/end/success"
    assert not is_signed_in(browser, app)


def test_client_id_without_hint_needs_the_user_to_confirm(idp, browser, app, user):
    sign_in(browser, app, user)
    page = end_session(browser, client_id=app["id"], post_logout_redirect_uri=LOGGED_OUT, state="s")

    assert "data-auto" not in read_form(page.text).attributes
    assert is_signed_in(browser, app)
    # Documented: after an explicit confirmation, the registered URI of the named client is used.
    assert confirm(browser, page).headers["location"] == f"{LOGGED_OUT}?state=s"


# LO-04


def forged_hints(idp, id_token: str) -> dict[str, str]:
    header, claims, _ = segments(id_token)
    attacker = ECKey.generate_key("P-384")
    published = httpx.get(f"{idp.issuer}/jwks").json()["keys"][0]
    signed_part = id_token.rsplit(".", 1)[0]
    other_claims = {**claims, "sub": "someone-else"}
    return {
        "alg-none": f"{b64encode(json.dumps({'alg': 'none'}).encode())}.{signed_part.split('.')[1]}.",
        "modified-payload": f"{signed_part.split('.')[0]}.{b64encode(json.dumps(other_claims).encode())}."
                            f"{id_token.rsplit('.', 1)[1]}",
        "foreign-key-same-kid": jwt.encode({"alg": "ES384", "kid": header["kid"]}, claims, attacker,
                                           algorithms=["ES384"]),
        "hs384-with-public-key": jwt.encode({"alg": "HS384", "kid": header["kid"]}, claims,
                                            OctKey.import_key(json.dumps(published).encode()),
                                            algorithms=["HS384"]),
        "embedded-jwk": jwt.encode({"alg": "ES384", "jwk": attacker.as_dict(private=False)}, claims, attacker,
                                   algorithms=["ES384"]),
        "garbage": "not-a-token",
    }


HINT_NAMES = ["alg-none", "modified-payload", "foreign-key-same-kid", "hs384-with-public-key", "embedded-jwk",
              "garbage"]


@pytest.mark.parametrize("name", HINT_NAMES)
def test_forged_hints_never_redirect(idp, browser, app, id_token, name):
    hint = forged_hints(idp, id_token)[name]

    response = end_session(browser, id_token_hint=hint, post_logout_redirect_uri=LOGGED_OUT, state="xyz")

    assert_no_redirect(response)
    assert is_signed_in(browser, app)


def test_oversized_hint_is_refused_cleanly(idp, browser, app, id_token):
    response = end_session(browser, "POST", id_token_hint="a" * 300_000, post_logout_redirect_uri=LOGGED_OUT)

    assert_no_redirect(response)


# LO-05


def test_client_id_must_match_the_hint(idp, browser, app, id_token):
    other = idp.make_app(redirect_uris=["https://rp2.example.test/cb"],
                         post_logout_redirect_uris=["https://rp2.example.test/logged-out"])

    response = end_session(browser, id_token_hint=id_token, client_id=other["id"],
                           post_logout_redirect_uri="https://rp2.example.test/logged-out")

    assert_no_redirect(response)


@pytest.mark.parametrize("client_id", ["unknownclient00000000", "nul\x00client", "x" * 300])
def test_unknown_client_id_never_redirects(idp, browser, app, user, client_id):
    sign_in(browser, app, user)

    response = end_session(browser, client_id=client_id, post_logout_redirect_uri=LOGGED_OUT)

    assert_no_redirect(response)
    assert is_signed_in(browser, app)


def test_expired_hint_of_the_current_session_is_accepted(idp, browser, app, id_token, travel):
    travel(Settings.id_token_ttl + 1)

    page = end_session(browser, id_token_hint=id_token, post_logout_redirect_uri=LOGGED_OUT)

    assert read_form(page.text).attributes.get("data-auto") == "yes"
    assert confirm(browser, page).headers["location"] == LOGGED_OUT


# LO-06


@pytest.mark.parametrize("params", [{}, {"state": "only-state"}, {"id_token_hint": "HINT"}])
def test_logout_without_a_return_uri_shows_the_logged_out_page(idp, browser, app, id_token, params):
    params = {name: id_token if value == "HINT" else value for name, value in params.items()}

    response = confirm(browser, end_session(browser, **params))

    assert response.headers["location"] == f"{idp.issuer}/session/end/success"
    final = browser.http.get(response.headers["location"])
    assert final.status_code == 200 and "signed out" in final.text.lower()
    assert not is_signed_in(browser, app)


# LO-07


def test_logout_without_hint_waits_for_the_user(idp, browser, app, user):
    sign_in(browser, app, user)

    page = end_session(browser)

    assert page.status_code == 200 and "data-auto" not in read_form(page.text).attributes
    assert is_signed_in(browser, app)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_end_session_alone_never_logs_out(idp, browser, app, id_token, method):
    end_session(browser, method, id_token_hint=id_token)

    assert is_signed_in(browser, app)


def test_confirmation_without_its_token_is_refused(idp, browser, app, user):
    sign_in(browser, app, user)

    response = confirm(browser, end_session(browser), xsrf=None)

    assert_no_redirect(response)
    assert is_signed_in(browser, app)


def test_confirmation_token_of_another_browser_is_refused(idp, browser, app, user, email):
    sign_in(browser, app, user)
    with open_browser(idp) as attacker:
        sign_in(attacker, app, idp.make_user(f"attacker-{email}"))
        foreign = read_form(end_session(attacker).text).fields["xsrf"]

    response = confirm(browser, end_session(browser), xsrf=foreign)

    assert_no_redirect(response)
    assert is_signed_in(browser, app)


def test_confirmation_token_without_session_does_not_fit_a_session(idp, browser, app, user):
    with open_browser(idp) as anonymous:
        token = read_form(end_session(anonymous).text).fields["xsrf"]
    sign_in(browser, app, user)

    assert_no_redirect(confirm(browser, end_session(browser), xsrf=token))
    assert is_signed_in(browser, app)


# LO-08


def test_session_cookie_is_dead_after_logout(idp, browser, app, id_token):
    saved = browser.http.cookies.get("_session")
    assert saved

    confirm(browser, end_session(browser, id_token_hint=id_token))

    with open_browser(idp) as replay:
        replay.http.cookies.set("_session", saved, domain="127.0.0.1")
        assert not is_signed_in(replay, app)


@pytest.mark.both_databases
def test_logout_ends_tokens_without_offline_access(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)
    assert userinfo(idp, tokens["access_token"]).status_code == 200

    confirm(browser, end_session(browser, id_token_hint=tokens["id_token"]))

    assert userinfo(idp, tokens["access_token"]).status_code == 401


def test_offline_access_outlives_logout(idp, browser, app, user):
    # Logto: refresh tokens granted with offline_access are not bound to the session.
    tokens = tokens_for(idp, browser, app, user, **OFFLINE)

    confirm(browser, end_session(browser, id_token_hint=tokens["id_token"]))

    assert refresh(idp, app, tokens["refresh_token"]).status_code == 200


# LO-09


def test_planted_session_cookie_is_replaced_at_sign_in(idp, browser, app, user):
    planted = "attacker-chosen-session-value"
    browser.http.cookies.set("_session", planted, domain="127.0.0.1")

    sign_in(browser, app, user)

    assert browser.http.cookies.get("_session") not in (None, planted)
    with open_browser(idp) as attacker:
        attacker.http.cookies.set("_session", planted, domain="127.0.0.1")
        assert not is_signed_in(attacker, app)


def test_signing_in_again_rotates_the_session_cookie(idp, browser, app, user):
    sign_in(browser, app, user)
    before = browser.http.cookies.get("_session")

    sign_in(browser, app, user, prompt="login")

    after = browser.http.cookies.get("_session")
    assert after and after != before
    with open_browser(idp) as replay:
        replay.http.cookies.set("_session", before, domain="127.0.0.1")
        assert not is_signed_in(replay, app)


# LO-10


def test_session_ends_at_its_absolute_lifetime(idp, browser, app, user, travel):
    sign_in(browser, app, user)
    travel(Settings.session_ttl - 60)
    assert is_signed_in(browser, app)

    travel(61)

    assert not is_signed_in(browser, app)
