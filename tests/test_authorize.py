"""The authorization endpoint `/oidc/auth` (security plan group B, AZ-01..AZ-23).

Vocabulary: an "error page" is a 4xx HTML answer with no Location and nothing that leads to
the supplied redirect URI; a "redirect error" is a 303 to the registered redirect URI carrying
`error`, the exact `state` and `iss`. Consent is automatic for first-party apps (as in Logto),
so the consent-page cases (AZ-14 new scope, AZ-18 consent listing, AZ-19) are not here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from idp.settings import Settings
from idp.testing import complete_sign_in
from tests.browser import Browser, pkce_pair
from tests.flows import Callback, redeem, verify_jwt
from tests.server import Server

R1 = "https://rp.example.test/cb"
EVIL = "https://evil.test/cb"
# 128 characters, with the reserved characters a state must survive unchanged.
STATE = ("st &=+/?%#;:@,$!'()*" + "x" * 128)[:128]
# RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 8707 §2.
REGISTERED_ERRORS = {
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope",
    "server_error", "temporarily_unavailable", "interaction_required", "login_required",
    "account_selection_required", "consent_required", "invalid_request_uri", "invalid_request_object",
    "request_not_supported", "request_uri_not_supported", "registration_not_supported", "invalid_target",
}
# RFC 6749 §4.1.2.1: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
SILENT_ERRORS = {"login_required", "interaction_required", "consent_required", "account_selection_required"}


# ---- helpers -------------------------------------------------------------------------------


def request_params(app: dict, redirect_uri: str = R1, **changes: str | None) -> dict[str, str]:
    """A valid request for `app`, with parameters changed (None removes one)."""
    params = {"client_id": app["id"], "redirect_uri": redirect_uri, "response_type": "code",
              "scope": "openid", "state": STATE, "nonce": "n-0S6"}
    params.update(changes)
    return {key: value for key, value in params.items() if value is not None}


def authorize(browser: Browser, params, method: str = "GET") -> httpx.Response:
    """One request to /oidc/auth, redirects not followed; `params` may be a list of pairs."""
    if method == "POST":
        return browser.http.post("/oidc/auth", data=params)
    return browser.http.get("/oidc/auth", params=params)


def resume_url(browser: Browser, user: dict) -> str:
    """On the sign-in step of a pending request: sign in through the Experience API; the URL to resume at."""
    return complete_sign_in(browser.http, user["email"], user["password"])


def finish_sign_in(browser: Browser, user: dict) -> str:
    """Sign in on the pending request and resume; returns the Location sent back to the client."""
    return browser.finish(resume_url(browser, user))


def sign_in(browser: Browser, user: dict, params, method: str = "GET") -> str:
    """A full interactive authorization; returns the Location sent back to the client."""
    response = authorize(browser, params, method)
    assert response.status_code == 303 and response.headers["location"] == f"{browser.endpoint}/sign-in", \
        response.text[:300]
    return finish_sign_in(browser, user)


def callback_of(location: str, redirect_uri: str = R1) -> dict[str, str]:
    """The parameters sent back to `redirect_uri`: in the query, each once, nothing in a fragment."""
    assert location.startswith(redirect_uri + ("&" if "?" in redirect_uri else "?")), location
    assert urlsplit(location).fragment == ""
    values = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in values.values()), values
    return {key: v[0] for key, v in values.items()}


def callback(response: httpx.Response, redirect_uri: str = R1) -> dict[str, str]:
    """The parameters of a 303 back to `redirect_uri`."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return callback_of(response.headers["location"], redirect_uri)


def assert_redirect_error(response: httpx.Response, idp: Server, errors: set[str], state: str | None = STATE,
                          redirect_uri: str = R1) -> dict[str, str]:
    params = callback(response, redirect_uri)
    assert params.get("error") in errors, params
    assert params["error"] in REGISTERED_ERRORS
    assert DESCRIPTION.fullmatch(params.get("error_description", "")), params["error_description"]
    assert params["iss"] == idp.issuer
    assert params.get("state") == state
    assert "code" not in params and "access_token" not in params and "id_token" not in params
    return params


def assert_error_page(response: httpx.Response, *forbidden: str) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "<form" not in body and "http-equiv" not in body.lower()
    for text in forbidden:  # shown as text at most (development mode explains), never as a link
        assert not re.search(r"""(href|src|action)=["'][^"']*""" + re.escape(text), body)


def id_claims(idp: Server, token: str) -> dict:
    return verify_jwt(idp, token, ["ES384", "RS256"]).claims


def signed_in_tokens(idp: Server, browser: Browser, app: dict, user: dict, **changes: str | None) -> dict:
    return redeem(idp, app, Callback(callback_of(sign_in(browser, user, request_params(app, **changes))), None))


@pytest.fixture
def other_browser(idp: Server) -> Iterator[Browser]:
    browser = Browser(idp.endpoint)
    yield browser
    browser.close()


@pytest.fixture
def other_user(idp: Server) -> dict:
    return idp.make_user(f"other-{secrets.token_hex(4)}@example.test")


# ---- AZ-01: happy path ---------------------------------------------------------------------


def test_code_returns_to_the_redirect_uri_with_exact_state_and_iss(idp, browser, app, user):
    params = callback_of(sign_in(browser, user, request_params(app)))
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == STATE and params["iss"] == idp.issuer
    tokens = redeem(idp, app, Callback(params, None))
    assert id_claims(idp, tokens["id_token"])["nonce"] == "n-0S6"


def test_authorization_request_may_be_a_posted_form(idp, browser, app, user):
    params = callback_of(sign_in(browser, user, request_params(app), method="POST"))
    assert params["state"] == STATE and params["iss"] == idp.issuer
    assert id_claims(idp, redeem(idp, app, Callback(params, None))["id_token"])["sub"] == user["id"]


def test_posted_request_with_a_session_redirects_with_303(idp, browser, app, user):
    sign_in(browser, user, request_params(app))
    params = callback(authorize(browser, request_params(app), method="POST"))
    assert params["state"] == STATE and "code" in params


# ---- AZ-02: optional and unknown parameters ------------------------------------------------

OPTIONAL_PARAMETERS = {
    "unknown parameter": {"extra": "foobar"},
    "display=page": {"display": "page"},
    "display=popup": {"display": "popup"},
    "ui_locales": {"ui_locales": "se"},
    "claims_locales": {"claims_locales": "se"},
    "acr_values": {"acr_values": "urn:mace:incommon:iap:silver"},
    "claims (ignored, as Logto does)": {"claims": json.dumps({"userinfo": {"name": {"essential": True}}})},
    "no nonce": {"nonce": None},
    "no state": {"state": None},
    "reversed scope order": {"scope": "email profile openid"},
    "login_hint": {"login_hint": "someone@example.test"},
    "prompt=consent": {"prompt": "consent"},
    "prompt=select_account": {"prompt": "select_account"},
    "large max_age": {"max_age": "99999999999999999999999"},
}


@pytest.mark.parametrize("changes", OPTIONAL_PARAMETERS.values(), ids=OPTIONAL_PARAMETERS.keys())
def test_optional_or_unknown_parameters_still_give_a_code(idp, browser, app, user, changes):
    # Parameter order shuffled too (reversed).
    params = dict(reversed(list(request_params(app, **changes).items())))
    result = callback_of(sign_in(browser, user, params))
    assert "code" in result and "error" not in result
    assert result.get("state") == params.get("state")


def test_login_hint_prefills_the_email_field(idp, browser, app):
    authorize(browser, request_params(app, login_hint="hinted@example.test"))
    page = browser.http.get("/sign-in")
    assert page.status_code == 200
    assert re.search(r'name="email"[^>]*value="hinted@example.test"', page.text)


def test_login_hint_is_escaped_in_the_page(idp, browser, app):
    authorize(browser, request_params(app, login_hint='"><script>alert(1)</script>'))
    page = browser.http.get("/sign-in")
    assert "<script>alert(1)" not in page.text


def test_valid_s256_pkce_completes(idp, browser, app, user):
    verifier, challenge = pkce_pair()
    params = request_params(app, code_challenge=challenge, code_challenge_method="S256")
    assert "id_token" in redeem(idp, app, Callback(callback_of(sign_in(browser, user, params)), verifier))


def test_unknown_scopes_are_never_granted(idp, browser, app, user):
    tokens = signed_in_tokens(idp, browser, app, user, scope="openid email admin bogus:write")
    assert set(tokens["scope"].split()) == {"openid", "email"}


# ---- AZ-03, AZ-11, AZ-13, AZ-16, AZ-20, AZ-21: clean redirect errors -------------------------

CHALLENGE = pkce_pair()[1]
# name -> (parameter changes, acceptable errors)
REDIRECT_ERRORS = {
    "response_type missing": ({"response_type": None}, {"unsupported_response_type", "invalid_request"}),
    "response_type=token": ({"response_type": "token"}, {"unsupported_response_type", "unauthorized_client"}),
    "response_type=id_token": ({"response_type": "id_token"}, {"unsupported_response_type", "unauthorized_client"}),
    "response_type=code id_token": ({"response_type": "code id_token"}, {"unsupported_response_type"}),
    "response_type=code token": ({"response_type": "code token"}, {"unsupported_response_type"}),
    "response_type=none": ({"response_type": "none"}, {"unsupported_response_type"}),
    "response_type hostile": ({"response_type": 'code"\r\n\t<b>\\é'}, {"unsupported_response_type"}),
    "scope without openid": ({"scope": "profile email"}, {"invalid_scope"}),
    "scope missing": ({"scope": None}, {"invalid_scope"}),
    "prompt=none without session": ({"prompt": "none"}, {"login_required"}),
    "prompt=none login": ({"prompt": "none login"}, {"invalid_request"}),
    "prompt unknown": ({"prompt": "bogus"}, {"invalid_request"}),
    "max_age=-1": ({"max_age": "-1"}, {"invalid_request"}),
    "max_age=abc": ({"max_age": "abc"}, {"invalid_request"}),
    "max_age=1.5": ({"max_age": "1.5"}, {"invalid_request"}),
    "max_age superscript digit": ({"max_age": "\u00b2"}, {"invalid_request"}),
    "max_age fullwidth digit": ({"max_age": "\uff11"}, {"invalid_request"}),
    "code_challenge_method=plain": ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
                                    {"invalid_request"}),
    "code_challenge_method unknown": ({"code_challenge": CHALLENGE, "code_challenge_method": "S512"},
                                      {"invalid_request"}),
    "S256 without code_challenge": ({"code_challenge_method": "S256"}, {"invalid_request"}),
    "code_challenge without method": ({"code_challenge": CHALLENGE}, {"invalid_request"}),
    "code_challenge 42 chars": ({"code_challenge": "a" * 42, "code_challenge_method": "S256"}, {"invalid_request"}),
    "code_challenge 129 chars": ({"code_challenge": "a" * 129, "code_challenge_method": "S256"},
                                {"invalid_request"}),
    "code_challenge with +/=": ({"code_challenge": "ab+/" * 11 + "=", "code_challenge_method": "S256"},
                                {"invalid_request"}),
    "request object": ({"request": "eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwczovL2V2aWwudGVzdCJ9."},
                       {"request_not_supported"}),
    "request_uri": ({"request_uri": "https://evil.test/r"}, {"request_uri_not_supported"}),
    "response_mode=fragment": ({"response_mode": "fragment"}, {"invalid_request"}),
    "response_mode=form_post": ({"response_mode": "form_post"}, {"invalid_request"}),
    "unknown resource": ({"resource": "https://unknown-api.example.test"}, {"invalid_target"}),
}


@pytest.mark.parametrize("changes,errors", REDIRECT_ERRORS.values(), ids=REDIRECT_ERRORS.keys())
def test_invalid_request_is_a_clean_redirect_error(idp, browser, app, changes, errors):
    response = authorize(browser, request_params(app, **changes))
    assert_redirect_error(response, idp, errors)
    # Refused before any sign-in: no pending request is started.
    assert "_interaction" not in response.cookies


@pytest.mark.parametrize("changes,errors", [REDIRECT_ERRORS["code_challenge_method=plain"],
                                            REDIRECT_ERRORS["response_type=token"]], ids=["plain", "token"])
def test_redirect_errors_also_come_when_already_signed_in(idp, browser, app, user, changes, errors):
    sign_in(browser, user, request_params(app))
    assert_redirect_error(authorize(browser, request_params(app, **changes)), idp, errors)


def test_prompt_none_without_session_renders_nothing(idp, browser, app):
    response = authorize(browser, request_params(app, prompt="none"))
    assert_redirect_error(response, idp, SILENT_ERRORS)
    assert "<html" not in response.text.lower()


@pytest.mark.parametrize("name", ["response_type", "prompt", "max_age", "code_challenge_method", "response_mode"])
def test_error_description_never_reflects_hostile_input(idp, browser, app, name):
    changes = {name: 'x"\r\nSet-Cookie: a=b\\'}
    if name == "code_challenge_method":
        changes["code_challenge"] = CHALLENGE
    description = callback(authorize(browser, request_params(app, **changes)))["error_description"]
    assert DESCRIPTION.fullmatch(description) and "Set-Cookie" not in description


# ---- AZ-20: request objects are refused, never fetched -------------------------------------


def test_request_object_error_goes_to_the_query_redirect_uri(idp, browser, app):
    unsigned = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                        for part in ({"alg": "none"}, {"redirect_uri": EVIL, "nonce": "other"})) + "."
    response = authorize(browser, request_params(app, request=unsigned))
    assert_redirect_error(response, idp, {"request_not_supported"})


class CountingHandler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"eyJhbGciOiJub25lIn0.e30.")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    """A loopback HTTP server that records every request it receives."""
    CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_request_uri_is_never_fetched(idp, browser, app, user, listener):
    sign_in(browser, user, request_params(app))
    response = authorize(browser, request_params(app, request_uri=f"{listener}/request.jwt"))
    assert_redirect_error(response, idp, {"request_uri_not_supported"})
    time.sleep(0.2)  # an asynchronous fetch would have arrived by now
    assert CountingHandler.hits == []


# ---- AZ-04: the stored request is authoritative --------------------------------------------

TAMPERED = {"client_id": "someone-else", "redirect_uri": EVIL, "response_type": "token",
            "scope": "openid email offline_access", "state": "tampered", "prompt": "consent"}


def test_sign_in_form_fields_cannot_change_the_stored_request(idp, browser, app, user):
    authorize(browser, request_params(app))
    page = browser.http.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    submitted = browser.http.post("/sign-in", data={"csrf": csrf, "email": user["email"],
                                                    "password": user["password"], **TAMPERED})
    assert submitted.status_code == 303
    params = callback_of(browser.finish(submitted.headers["location"]))
    assert params["state"] == STATE
    assert redeem(idp, app, Callback(params, None))["scope"] == "openid"


def test_resume_url_parameters_cannot_change_the_stored_request(idp, browser, app, user):
    authorize(browser, request_params(app))
    resume = resume_url(browser, user)
    params = callback(browser.http.get(resume + "?" + urlencode(TAMPERED)))
    assert params["state"] == STATE
    tokens = redeem(idp, app, Callback(params, None))
    assert tokens["scope"] == "openid" and "refresh_token" not in tokens


# ---- AZ-05, AZ-06, AZ-08, AZ-09: no redirect before the redirect URI is validated -----------


def test_unregistered_redirect_uri_shows_an_error_page(idp, browser, app):
    response = authorize(browser, request_params(app, redirect_uri=EVIL))
    assert_error_page(response, "evil.test")
    assert "_interaction" not in response.cookies


def test_unregistered_redirect_uri_shows_an_error_page_when_signed_in(idp, browser, app, user):
    sign_in(browser, user, request_params(app))
    assert_error_page(authorize(browser, request_params(app, redirect_uri=EVIL)), "evil.test")


REDIRECT_URI_VARIANTS = [
    "https://RP.example.test/cb", "HTTPS://rp.example.test/cb", "https://rp.example.test/CB",
    "http://rp.example.test/cb", "https://rp.example.test:443/cb", "https://rp.example.test:8443/cb",
    "https://rp.example.test/cb/", "https://rp.example.test/cb?", "https://rp.example.test/cb?x=1",
    "https://rp.example.test/cb#", "https://rp.example.test/cb#x", "https://user@rp.example.test/cb",
    "https://rp.example.test@evil.test/cb", "https://rp.example.test.evil.test/cb",
    "https://rp.example.test./cb", "https://evil.test/rp.example.test/cb", "https://rp.example.test/cb/../cb",
    "https://rp.example.test/x/%2e%2e/cb", "https://rp.example.test/%63b", "https://rp.example.test/cb%2F",
    "https://rp.example.test\\@evil.test/cb", "https://rp.example.test/cb\\..\\evil",
    "https://rp.\u0435xample.test/cb", "https://xn--rp-example-test/cb", "https://rp.example.test/cb\x00",
    "https://rp.example.test/cb%00", " https://rp.example.test/cb", "https://rp.example.test/cb ",
    "https://rp.example.test/cb\t", "https://rp.example.test/cb\r\nX: y", "//rp.example.test/cb",
    "rp.example.test/cb", "https:/rp.example.test/cb", "https:rp.example.test/cb",
    "https://rp.example.test/c%62", "https://rp.example.test//cb",
]


@pytest.mark.parametrize("redirect_uri", REDIRECT_URI_VARIANTS)
def test_redirect_uri_must_match_byte_for_byte(idp, browser, app, redirect_uri):
    response = authorize(browser, request_params(app, redirect_uri=redirect_uri))
    assert_error_page(response, "evil.test")


@pytest.mark.parametrize("uri", [
    "https://rp.example.test/cb#fragment", "https://user:pass@rp.example.test/cb", "https://*.example.test/cb",
    "https://rp.example.test/*", "javascript:alert(1)", "https://rp.example.test/c b", "/relative/cb",
])
def test_registration_refuses_unsafe_redirect_uris(idp, uri):
    result = subprocess.run([sys.executable, "-m", "idp", "app", "create", "--name", "bad", "--type",
                             "traditional", "--redirect-uri", uri], env=idp.env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "invalid_redirect_uri" in result.stderr


@pytest.mark.parametrize("registered", [[R1], [R1, "https://rp.example.test/other"]], ids=["one", "two"])
def test_missing_redirect_uri_shows_an_error_page(idp, browser, registered):
    app = idp.make_app(redirect_uris=registered)
    assert_error_page(authorize(browser, request_params(app, redirect_uri=None)))


ERROR_TRIGGERS = {
    "none": {},
    "response_type=token": {"response_type": "token"},
    "scope=bogus": {"scope": "bogus"},
    "scope without openid": {"scope": "profile"},
    "prompt=none": {"prompt": "none"},
    "code_challenge_method=plain": {"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
    "malformed claims": {"claims": "{not json"},
    "request object": {"request": "eyJhbGciOiJub25lIn0.e30."},
    "request_uri": {"request_uri": "https://evil.test/r"},
    "max_age=abc": {"max_age": "abc"},
}


@pytest.mark.parametrize("client_id", [None, "", "unknown-client", "x" * 300], ids=["missing", "empty", "unknown",
                                                                                   "overlong"])
@pytest.mark.parametrize("trigger", ERROR_TRIGGERS.values(), ids=ERROR_TRIGGERS.keys())
def test_unknown_client_never_redirects(idp, browser, client_id, trigger):
    params = request_params({"id": client_id}, redirect_uri=EVIL, **trigger)
    assert_error_page(authorize(browser, params), "evil.test")


@pytest.mark.parametrize("redirect_uri", [EVIL, None], ids=["unregistered", "missing"])
@pytest.mark.parametrize("trigger", ERROR_TRIGGERS.values(), ids=ERROR_TRIGGERS.keys())
def test_unvalidated_redirect_uri_never_redirects(idp, browser, app, redirect_uri, trigger):
    params = request_params(app, redirect_uri=redirect_uri, **trigger)
    assert_error_page(authorize(browser, params), "evil.test")


def test_machine_to_machine_app_cannot_use_the_authorization_endpoint(idp, browser):
    app = idp.make_app(type="m2m", redirect_uris=[])
    assert_error_page(authorize(browser, request_params(app)))


# ---- AZ-07: registered redirect URI with a query -------------------------------------------

R1Q = "https://rp1.example.test/cb?tenant=1"


@pytest.fixture
def query_app(idp: Server) -> dict:
    return idp.make_app(redirect_uris=[R1Q, "https://rp1.example.test/cb"])


def test_registered_query_is_kept_and_parameters_appended(idp, browser, query_app, user):
    location = sign_in(browser, user, request_params(query_app, redirect_uri=R1Q))
    assert location.startswith(R1Q + "&code=")
    params = callback_of(location, R1Q)
    assert params["tenant"] == "1" and params["state"] == STATE and params["iss"] == idp.issuer
    redeem(idp, query_app, Callback(params, None), redirect_uri=R1Q)


def test_redirect_error_keeps_the_registered_query(idp, browser, query_app):
    response = authorize(browser, request_params(query_app, redirect_uri=R1Q, prompt="none"))
    params = assert_redirect_error(response, idp, {"login_required"}, redirect_uri=R1Q)
    assert params["tenant"] == "1"


@pytest.mark.parametrize("redirect_uri", ["https://rp1.example.test/cb?tenant=2",
                                          "https://rp1.example.test/cb?tenant=1&tenant=2",
                                          "https://rp1.example.test/cb?tenant=1&x=y",
                                          "https://rp1.example.test/cb?TENANT=1"])
def test_different_query_shows_an_error_page(idp, browser, query_app, redirect_uri):
    assert_error_page(authorize(browser, request_params(query_app, redirect_uri=redirect_uri)))


# ---- AZ-10: repeated and empty parameters --------------------------------------------------


@pytest.mark.parametrize("name,evil", [("client_id", "unknown-client"), ("redirect_uri", EVIL)])
def test_repeated_client_id_or_redirect_uri_shows_an_error_page(idp, browser, app, name, evil):
    pairs = [*request_params(app).items(), (name, evil)]
    assert_error_page(authorize(browser, pairs), "evil.test")


@pytest.mark.parametrize("name", ["scope", "nonce", "code_challenge", "response_type", "prompt", "max_age",
                                  "code_challenge_method", "login_hint", "id_token_hint"])
def test_repeated_parameter_is_invalid_request(idp, browser, app, name):
    challenge = pkce_pair()[1]
    values = {"scope": "openid", "nonce": "n", "code_challenge": challenge, "response_type": "code",
              "prompt": "login", "max_age": "60", "code_challenge_method": "S256", "login_hint": "a@example.test",
              "id_token_hint": "a.b.c"}
    pairs = [*request_params(app).items(), (name, values[name]), (name, values[name])]
    assert_redirect_error(authorize(browser, pairs), idp, {"invalid_request"})


def test_repeated_state_is_invalid_request_without_echoing_either(idp, browser, app):
    pairs = [*request_params(app).items(), ("state", "second")]
    assert_redirect_error(authorize(browser, pairs), idp, {"invalid_request"}, state=None)


def test_parameter_in_both_query_and_body_is_invalid_request(idp, browser, app):
    response = browser.http.post("/oidc/auth", params={"scope": "openid email"}, data=request_params(app))
    assert_redirect_error(response, idp, {"invalid_request"})


def test_client_id_in_both_query_and_body_shows_an_error_page(idp, browser, app):
    response = browser.http.post("/oidc/auth", params={"client_id": app["id"]}, data=request_params(app))
    assert_error_page(response)


def test_empty_state_is_treated_as_absent(idp, browser, app, user):
    params = callback_of(sign_in(browser, user, request_params(app, state="")))
    assert "state" not in params and "code" in params


def test_several_resource_indicators_are_allowed(idp, browser, app, user, api):
    indicators = [f"https://api{n}-{secrets.token_hex(3)}.example.test" for n in (1, 2)]
    for indicator in indicators:
        assert api.post("/api/resources", json={"name": "API", "indicator": indicator}).status_code == 201
    pairs = list(request_params(app).items()) + [("resource", indicator) for indicator in indicators]
    params = callback_of(sign_in(browser, user, pairs))
    assert "code" in params


# ---- AZ-12: PKCE is required for public clients --------------------------------------------


@pytest.mark.parametrize("app_type", ["spa", "native"])
@pytest.mark.parametrize("challenge", [None, ""], ids=["absent", "empty"])
def test_public_client_without_pkce_gets_invalid_request(idp, browser, app_type, challenge):
    public = idp.make_app(type=app_type)
    params = request_params(public, code_challenge=challenge, code_challenge_method=None)
    assert_redirect_error(authorize(browser, params), idp, {"invalid_request"})


@pytest.mark.parametrize("app_type", ["spa", "native"])
def test_public_client_with_s256_gets_tokens(idp, browser, app_type, user):
    public = idp.make_app(type=app_type)
    verifier, challenge = pkce_pair()
    params = request_params(public, code_challenge=challenge, code_challenge_method="S256")
    assert "id_token" in redeem(idp, public, Callback(callback_of(sign_in(browser, user, params)), verifier))


# ---- AZ-14, AZ-15, AZ-16: prompt and max_age with a session ----------------------------------


def test_prompt_none_with_session_returns_the_same_sign_in(idp, browser, app, user):
    first = id_claims(idp, signed_in_tokens(idp, browser, app, user, max_age="10000")["id_token"])
    params = callback(authorize(browser, request_params(app, prompt="none", max_age="10000")))
    again = id_claims(idp, redeem(idp, app, Callback(params, None))["id_token"])
    assert again["sub"] == first["sub"] == user["id"]
    assert again["auth_time"] == first["auth_time"] and again["sid"] == first["sid"]


def test_prompt_login_shows_sign_in_despite_a_session(idp, browser, app, user):
    sign_in(browser, user, request_params(app))
    response = authorize(browser, request_params(app, prompt="login"))
    assert response.status_code == 303 and response.headers["location"] == f"{idp.endpoint}/sign-in"


def test_prompt_login_refuses_a_wrong_password(idp, browser, app, user):
    sign_in(browser, user, request_params(app))
    authorize(browser, request_params(app, prompt="login"))
    assert browser.experience("PUT", "", {"interactionEvent": "SignIn"}).status_code == 204
    wrong = browser.experience("POST", "/verification/password",
                               {"identifier": {"type": "email", "value": user["email"]}, "password": "wrong-Pass-1"})
    assert wrong.status_code == 422
    submitted = browser.experience("POST", "/submit")
    assert submitted.status_code >= 400 and "redirectTo" not in submitted.text


def test_prompt_login_advances_auth_time_and_rotates_the_session(idp, browser, app, user, travel):
    first = id_claims(idp, signed_in_tokens(idp, browser, app, user, prompt="login")["id_token"])
    old_cookie = browser.http.cookies["_session"]
    travel(1)
    second = id_claims(idp, signed_in_tokens(idp, browser, app, user, prompt="login")["id_token"])
    assert second["auth_time"] > first["auth_time"]
    assert second["sid"] != first["sid"] and browser.http.cookies["_session"] != old_cookie
    stale = httpx.get(f"{idp.issuer}/auth", params=request_params(app, prompt="none"),
                      headers={"Cookie": f"_session={old_cookie}"})
    assert_redirect_error(stale, idp, {"login_required"})


def test_max_age_elapsed_requires_signing_in_again(idp, browser, app, user, travel):
    first = id_claims(idp, signed_in_tokens(idp, browser, app, user, max_age="1")["id_token"])
    travel(2)
    response = authorize(browser, request_params(app, max_age="1"))
    assert response.status_code == 303 and response.headers["location"] == f"{idp.endpoint}/sign-in"
    params = callback_of(finish_sign_in(browser, user))
    assert id_claims(idp, redeem(idp, app, Callback(params, None))["id_token"])["auth_time"] > first["auth_time"]


def test_max_age_elapsed_with_prompt_none_is_login_required(idp, browser, app, user, travel):
    sign_in(browser, user, request_params(app))
    travel(2)
    assert_redirect_error(authorize(browser, request_params(app, max_age="1", prompt="none")), idp,
                          {"login_required"})


def test_max_age_not_elapsed_returns_a_code_without_sign_in(idp, browser, app, user):
    first = id_claims(idp, signed_in_tokens(idp, browser, app, user, prompt="login")["id_token"])
    params = callback(authorize(browser, request_params(app, max_age="10000")))
    again = id_claims(idp, redeem(idp, app, Callback(params, None))["id_token"])
    assert again["auth_time"] == first["auth_time"] and again["sid"] == first["sid"]


def test_max_age_zero_behaves_as_prompt_login(idp, browser, app, user):
    sign_in(browser, user, request_params(app))
    response = authorize(browser, request_params(app, max_age="0"))
    assert response.status_code == 303 and response.headers["location"] == f"{idp.endpoint}/sign-in"


# ---- AZ-17: id_token_hint ------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict) -> str:
    return b64(json.dumps(value).encode())


def segments(token: str) -> tuple[dict, dict, str]:
    head, body, signature = token.split(".")
    return (json.loads(base64.urlsafe_b64decode(head + "==")), json.loads(base64.urlsafe_b64decode(body + "==")),
            signature)


def es384(signing_input: str, key: ec.EllipticCurvePrivateKey) -> str:
    r, s = utils.decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384())))
    return b64(r.to_bytes(48, "big") + s.to_bytes(48, "big"))


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-384", "x": b64(numbers.x.to_bytes(48, "big")),
            "y": b64(numbers.y.to_bytes(48, "big"))}


def forged_hints(idp: Server, token: str) -> dict[str, str]:
    """Hints an attacker can build from a genuine ID token and the published keys.

    They name the signed-in user, so that only the refusal of the forgery stands between them
    and a code.
    """
    header, claims, signature = segments(token)
    kid = header["kid"]
    attacker = ec.generate_private_key(ec.SECP384R1())
    (published,) = [key for key in httpx.get(f"{idp.issuer}/jwks").json()["keys"] if key["kid"] == kid]
    published_pem = ec.EllipticCurvePublicNumbers(
        int.from_bytes(base64.urlsafe_b64decode(published["x"] + "=="), "big"),
        int.from_bytes(base64.urlsafe_b64decode(published["y"] + "=="), "big"), ec.SECP384R1(),
    ).public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    altered = {**claims, "aud": "attacker-app", "exp": claims["exp"] + 10 * 365 * 86400}

    def signed(head: dict) -> str:
        signing_input = f"{b64json(head)}.{b64json(altered)}"
        return f"{signing_input}.{es384(signing_input, attacker)}"

    def hmac_signed(secret: bytes) -> str:
        signing_input = f"{b64json({'alg': 'HS384', 'kid': kid})}.{b64json(altered)}"
        return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha384).digest())}"

    return {
        "alg none": f"{b64json({'alg': 'none', 'kid': kid})}.{b64json(altered)}.",
        "alg none, signature kept": f"{b64json({'alg': 'none', 'kid': kid})}.{b64json(altered)}.{signature}",
        "payload altered": f"{token.split('.')[0]}.{b64json(altered)}.{signature}",
        "signature stripped": f"{token.split('.')[0]}.{b64json(altered)}.",
        "foreign key, real kid": signed({"alg": "ES384", "kid": kid}),
        "HS384 keyed with the public JWK": hmac_signed(json.dumps(published).encode()),
        "HS384 keyed with the public PEM": hmac_signed(published_pem),
        "embedded jwk": signed({"alg": "ES384", "jwk": public_jwk(attacker)}),
        "embedded jwk with real kid": signed({"alg": "ES384", "kid": kid, "jwk": {**public_jwk(attacker), "kid": kid}}),
        "jku": signed({"alg": "ES384", "kid": "attacker", "jku": "https://evil.test/jwks"}),
        "x5u": signed({"alg": "ES384", "kid": "attacker", "x5u": "https://evil.test/cert.pem"}),
        "crit": signed({"alg": "ES384", "kid": kid, "crit": ["bork"], "bork": True}),
        "RS256 header on an EC signature": signed({"alg": "RS256", "kid": kid}),
        "five segments": f"{b64json({'alg': 'ES384'})}.a.b.c.d",
        "not base64": "!!!.###.$$$",
        "header not json": f"{b64(b'not json')}.{b64json(altered)}.{signature}",
        "payload not an object": f"{token.split('.')[0]}.{b64(b'[1,2]')}.{signature}",
    }


@pytest.fixture
def signed_in(idp, browser, app, user) -> str:
    """`browser` holds a session of `user`; returns an ID token from that sign-in."""
    return signed_in_tokens(idp, browser, app, user)["id_token"]


def test_hint_of_the_signed_in_user_allows_silent_sign_in(idp, browser, app, user, signed_in):
    params = callback(authorize(browser, request_params(app, prompt="none", id_token_hint=signed_in)))
    assert "code" in params and params["state"] == STATE


def test_hint_of_another_user_is_login_required(idp, browser, other_browser, app, other_user, signed_in):
    other_hint = signed_in_tokens(idp, other_browser, app, other_user)["id_token"]
    response = authorize(browser, request_params(app, prompt="none", id_token_hint=other_hint))
    assert_redirect_error(response, idp, {"login_required"})


def test_hint_of_another_user_asks_to_sign_in_instead_of_switching(idp, browser, other_browser, app, other_user,
                                                                    signed_in):
    other_hint = signed_in_tokens(idp, other_browser, app, other_user)["id_token"]
    response = authorize(browser, request_params(app, id_token_hint=other_hint))
    assert response.status_code == 303 and response.headers["location"] == f"{idp.endpoint}/sign-in"


@pytest.mark.parametrize("variant", [
    "alg none", "alg none, signature kept", "payload altered", "signature stripped", "foreign key, real kid",
    "HS384 keyed with the public JWK", "HS384 keyed with the public PEM", "embedded jwk",
    "embedded jwk with real kid", "jku", "x5u", "crit", "RS256 header on an EC signature", "five segments",
    "not base64", "header not json", "payload not an object",
])
def test_forged_hint_is_refused(idp, browser, app, user, signed_in, variant):
    hint = forged_hints(idp, signed_in)[variant]
    response = authorize(browser, request_params(app, prompt="none", id_token_hint=hint))
    assert_redirect_error(response, idp, {"invalid_request"})


def test_long_hint_is_refused(idp, browser, app, signed_in):
    response = authorize(browser, request_params(app, prompt="none", id_token_hint=signed_in + "A" * 10_000))
    assert_redirect_error(response, idp, {"invalid_request"})


def test_300_kb_posted_hint_is_refused(idp, browser, app, signed_in):
    try:
        response = authorize(browser, request_params(app, prompt="none", id_token_hint="A" * 300_000), method="POST")
    except httpx.TransportError:
        return  # refused before the body was read: the connection may close under the client
    assert 400 <= response.status_code < 500
    assert "code=" not in response.headers.get("location", "")


def test_expired_hint_of_the_current_session_is_accepted(idp, browser, app, signed_in, travel):
    now = travel(Settings.id_token_ttl + 1)["now"]
    assert segments(signed_in)[1]["exp"] < datetime.fromisoformat(now).timestamp()
    response = authorize(browser, request_params(app, prompt="none", id_token_hint=signed_in))
    assert "code" in callback(response)


# ---- AZ-18: offline_access -----------------------------------------------------------------


def test_offline_access_with_prompt_consent_issues_a_refresh_token(idp, browser, app, user):
    tokens = signed_in_tokens(idp, browser, app, user, scope="openid offline_access", prompt="consent")
    assert "refresh_token" in tokens and "offline_access" in tokens["scope"].split()


def test_offline_access_without_prompt_consent_is_dropped(idp, browser, app, user):
    tokens = signed_in_tokens(idp, browser, app, user, scope="openid offline_access")
    assert "refresh_token" not in tokens and "offline_access" not in tokens["scope"].split()


# ---- AZ-22: redirect mechanics, CORS, page headers -----------------------------------------


def test_every_hop_back_to_the_client_is_a_303(idp, browser, app, user):
    authorize(browser, request_params(app))
    page = browser.http.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    submitted = browser.http.post("/sign-in", data={"csrf": csrf, "email": user["email"],
                                                    "password": user["password"]})
    assert submitted.status_code == 303
    resumed = browser.http.get(submitted.headers["location"])
    assert resumed.status_code == 303 and resumed.headers["location"].startswith(R1 + "?code=")
    again = authorize(browser, request_params(app))
    assert again.status_code == 303 and again.headers["location"].startswith(R1 + "?code=")


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "POST"])
def test_authorization_endpoint_grants_no_cors(idp, app, method):
    headers = {"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"}
    response = httpx.request(method, f"{idp.issuer}/auth", params=request_params(app), headers=headers)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


def page_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href|action)\s*=\s*"([^"]*)"', html, flags=re.IGNORECASE)


@pytest.mark.parametrize("which", ["sign-in page", "error page"])
def test_pages_send_no_referrer_and_load_only_first_party_resources(idp, browser, app, which):
    if which == "sign-in page":
        authorize(browser, request_params(app))
        response = browser.http.get("/sign-in")
    else:
        response = authorize(browser, request_params(app, redirect_uri=EVIL))
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for url in page_urls(response.text):
        assert url.startswith(("/", "#", idp.endpoint + "/")) and not url.startswith("//"), url


# ---- AZ-23: a pending request belongs to the browser that started it -----------------------


def test_sign_in_step_needs_the_initiating_browser(idp, browser, other_browser, app):
    started = authorize(browser, request_params(app))
    assert started.headers["location"] == f"{idp.endpoint}/sign-in"
    assert_error_page(other_browser.http.get(started.headers["location"]))
    refused = other_browser.experience("PUT", "", {"interactionEvent": "SignIn"})
    assert refused.status_code == 400 and refused.json()["code"] == "session.not_found"


def test_finished_sign_in_cannot_be_resumed_by_another_browser(idp, browser, other_browser, app, user):
    authorize(browser, request_params(app))
    authorize(other_browser, request_params(app))  # the attacker has a pending request of its own
    resume = resume_url(browser, user)
    assert_error_page(other_browser.http.get(resume))
    assert_error_page(httpx.get(resume))
    # The victim still gets the code, in the victim's browser only.
    assert "code" in callback(browser.http.get(resume))


@pytest.mark.both_databases
def test_resume_url_gives_a_code_only_once(idp, browser, app, user):
    authorize(browser, request_params(app))
    resume = resume_url(browser, user)
    assert "code" in callback(browser.http.get(resume))
    assert_error_page(browser.http.get(resume))


def test_interaction_view_reveals_no_code_or_token(idp, browser, app, user):
    authorize(browser, request_params(app))
    resume_url(browser, user)  # signed in and submitted, not yet resumed
    view = browser.experience("GET", "/interaction")
    assert view.status_code == 200
    assert not {"code", "access_token", "id_token", "redirectTo"} & set(view.json())


@pytest.mark.parametrize("client_id", ["a\x00b", "\u202e", "x" * 100])
def test_a_client_id_that_cannot_exist_is_an_unknown_client(idp, client_id):
    response = httpx.get(f"{idp.issuer}/auth", params={"client_id": client_id, "redirect_uri": R1,
                                                        "response_type": "code", "scope": "openid"})
    assert_error_page(response)
