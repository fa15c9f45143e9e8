"""The token endpoint (SECURITY.md §7 C, TK-01..TK-14), introspection and revocation."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

import httpx
import pytest

from idp.models import AuthorizationCode
from idp.settings import Settings
from tests.flows import (
    OFFLINE,
    Callback,
    assert_token_error,
    client_post,
    delete,
    exchange,
    introspect,
    reauthorize,
    refresh,
    sign_in,
    suspend,
    tokens_for,
    userinfo,
)

CODE_GRANT = "authorization_code"
BOGUS_CODE = "not-a-code"


def basic(client_id: str, secret: str) -> dict[str, str]:
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def post_token(idp, data: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{idp.issuer}/token", data=data, headers=headers or {})


def code_form(app: dict, code: str = BOGUS_CODE) -> dict[str, str]:
    return {"grant_type": CODE_GRANT, "code": code, "redirect_uri": app["redirect_uris"][0]}


@pytest.fixture
def spa(idp) -> dict:
    return idp.make_app(type="spa", redirect_uris=["https://spa.example.test/cb"])


@pytest.fixture
def other_app(idp) -> dict:
    return idp.make_app(redirect_uris=["https://rp2.example.test/cb"])


@pytest.fixture
def m2m(idp) -> dict:
    return idp.make_app(type="m2m", redirect_uris=[])


# TK-01


def test_code_exchange_answers_bearer_tokens_that_must_not_be_cached(idp, browser, app, user):
    response = exchange(idp, app, sign_in(browser, app, user))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid profile email"
    assert body["id_token"]
    assert "refresh_token" not in body


def test_opaque_access_tokens_are_long_random_and_url_safe(idp, browser, app, user):
    first = tokens_for(idp, browser, app, user)["access_token"]
    second = exchange(idp, app, reauthorize(browser, app)).json()["access_token"]

    # Logto's opaque tokens: at least 43 URL-safe characters (256 bits), never a JWT.
    for token in (first, second):
        assert len(token) >= 43
        assert token.replace("-", "").replace("_", "").isalnum()
    assert first != second


# TK-02


def test_client_secret_in_the_body_is_accepted(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    response = post_token(idp, {**code_form(app, callback.code), "code_verifier": callback.verifier,
                                "client_id": app["id"], "client_secret": app["secret"]})

    assert response.status_code == 200, response.text


SPECIAL_SECRET = "s3cret:with%odd+chars/and space"


@pytest.fixture
def special_app(idp) -> dict:
    return idp.make_app(secret=SPECIAL_SECRET)


def test_basic_credentials_are_form_urlencoded(idp, browser, special_app, user):
    callback = sign_in(browser, special_app, user)
    headers = basic(quote_plus(special_app["id"]), quote_plus(SPECIAL_SECRET))
    response = post_token(idp, {**code_form(special_app, callback.code), "code_verifier": callback.verifier},
                          headers)

    assert response.status_code == 200, response.text


def test_basic_credentials_that_are_not_urlencoded_fail(idp, special_app):
    response = post_token(idp, code_form(special_app), basic(special_app["id"], SPECIAL_SECRET))

    assert_token_error(response, "invalid_client", 401)


def loosely_encoded(client_id: str, secret: str) -> str:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return f"Basic {encoded[:4]}!{encoded[4:]}"


@pytest.mark.parametrize("authorization", [
    pytest.param(lambda app: "Basic " + base64.b64encode(app["id"].encode()).decode(), id="no-colon"),
    pytest.param(lambda app: "Basic " + base64.b64encode(f"{app['id']}:".encode()).decode(), id="empty-secret"),
    pytest.param(lambda app: "Basic %%%not-base64%%%", id="not-base64"),
    pytest.param(lambda app: loosely_encoded(app["id"], app["secret"]), id="junk-inside-base64"),
    pytest.param(lambda app: "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode(), id="not-utf8"),
])
def test_malformed_basic_credentials_are_refused(idp, app, authorization):
    response = post_token(idp, code_form(app), {"Authorization": authorization(app)})

    assert_token_error(response, "invalid_client", 401)


# TK-03


def test_wrong_basic_secret_is_challenged(idp, app):
    response = post_token(idp, code_form(app), basic(app["id"], "wrong-secret"))

    assert_token_error(response, "invalid_client", 401)
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("method", ["basic", "body"])
def test_unknown_client_gets_the_same_answer_as_a_wrong_secret(idp, app, method):
    def attempt(client_id: str) -> httpx.Response:
        if method == "basic":
            return post_token(idp, code_form(app), basic(client_id, "wrong-secret"))
        return post_token(idp, {**code_form(app), "client_id": client_id, "client_secret": "wrong-secret"})

    wrong_secret, unknown_client = attempt(app["id"]), attempt("unknownclient0000000")

    assert_token_error(wrong_secret, "invalid_client", {400, 401})
    assert unknown_client.status_code == wrong_secret.status_code
    assert unknown_client.json() == wrong_secret.json()
    assert unknown_client.headers.get("www-authenticate") == wrong_secret.headers.get("www-authenticate")


def test_two_authentication_methods_at_once_are_refused(idp, app):
    data = {**code_form(app), "client_id": app["id"], "client_secret": app["secret"]}
    response = post_token(idp, data, basic(app["id"], app["secret"]))

    assert_token_error(response, "invalid_request")


def test_confidential_client_must_authenticate(idp, app):
    response = post_token(idp, {**code_form(app), "client_id": app["id"]})

    assert_token_error(response, "invalid_client", {400, 401})


@pytest.mark.parametrize("method", ["basic", "body"])
def test_public_client_sending_a_secret_is_refused(idp, spa, method):
    if method == "basic":
        response = post_token(idp, code_form(spa), basic(spa["id"], "made-up-secret"))
    else:
        response = post_token(idp, {**code_form(spa), "client_id": spa["id"], "client_secret": "made-up-secret"})

    assert_token_error(response, "invalid_client", {400, 401})


# TK-05, TK-06


@pytest.mark.both_databases
def test_second_exchange_of_a_code_is_invalid_grant(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    assert exchange(idp, app, callback).status_code == 200

    assert_token_error(exchange(idp, app, callback), "invalid_grant")


@pytest.mark.both_databases
def test_code_replay_revokes_the_tokens_issued_from_it(idp, browser, app, user):
    callback = sign_in(browser, app, user, **OFFLINE)
    tokens = exchange(idp, app, callback).json()
    assert userinfo(idp, tokens["access_token"]).status_code == 200

    assert_token_error(exchange(idp, app, callback), "invalid_grant")

    assert userinfo(idp, tokens["access_token"]).status_code == 401
    assert_token_error(refresh(idp, app, tokens["refresh_token"]), "invalid_grant")


# TK-07


def test_codes_live_at_most_sixty_seconds(idp, browser, app, user):
    before = datetime.now(UTC)
    callback = sign_in(browser, app, user)

    with idp.db() as db:
        row = db.get(AuthorizationCode, hashlib.sha256(callback.code.encode()).hexdigest())
        assert row is not None and row.expires_at <= datetime.now(UTC) + timedelta(seconds=60)
        assert row.expires_at > before + timedelta(seconds=50)


def test_expired_code_is_invalid_grant(idp, browser, app, user, travel):
    callback = sign_in(browser, app, user)
    travel(Settings.code_ttl + 1)

    assert_token_error(exchange(idp, app, callback), "invalid_grant")


# TK-08, TK-09


@pytest.mark.parametrize("redirect_uri", ["https://rp.example.test/cb", "https://rp2.example.test/cb"])
def test_code_is_bound_to_the_client_it_was_issued_to(idp, browser, app, other_app, user, redirect_uri):
    callback = sign_in(browser, app, user)

    assert_token_error(exchange(idp, other_app, callback, redirect_uri=redirect_uri), "invalid_grant")


@pytest.fixture
def two_uri_app(idp) -> dict:
    return idp.make_app(redirect_uris=["https://rp.example.test/cb", "https://rp.example.test/other"])


@pytest.mark.parametrize("redirect_uri", [
    "https://rp.example.test/cb/", "https://rp.example.test/other", "https://RP.example.test/cb",
    "https://rp.example.test/cb?x=1", None,
])
def test_code_is_bound_to_its_redirect_uri(idp, browser, two_uri_app, user, redirect_uri):
    callback = sign_in(browser, two_uri_app, user)

    response = exchange(idp, two_uri_app, callback, redirect_uri=redirect_uri)

    assert_token_error(response, {"invalid_grant", "invalid_request"})


# TK-10, TK-11


@pytest.mark.parametrize("verifier", [
    pytest.param(lambda callback, challenge: None, id="missing"),
    pytest.param(lambda callback, challenge: "x" * 43, id="another-verifier"),
    pytest.param(lambda callback, challenge: challenge, id="the-challenge-itself"),
    pytest.param(lambda callback, challenge: callback.verifier + "x", id="verifier-plus-one-char"),
])
def test_code_verifier_must_match_the_challenge(idp, browser, app, user, verifier):
    callback = sign_in(browser, app, user)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(callback.verifier.encode()).digest()).rstrip(b"=").decode()

    response = exchange(idp, app, Callback(callback.params, verifier(callback, challenge)))

    assert_token_error(response, "invalid_grant")


@pytest.mark.parametrize("verifier", ["v" * 42, "v" * 129, "+" * 43 + "/=", "v" * 42 + " "])
def test_malformed_code_verifier_is_refused(idp, browser, app, user, verifier):
    callback = sign_in(browser, app, user)

    response = exchange(idp, app, Callback(callback.params, verifier))

    assert_token_error(response, {"invalid_request", "invalid_grant"})


def test_verifier_without_a_challenge_is_refused(idp, browser, app, user):
    callback = sign_in(browser, app, user, pkce=False)

    response = exchange(idp, app, Callback(callback.params, "v" * 43))

    assert_token_error(response, {"invalid_grant", "invalid_request"})


def test_a_refused_verifier_burns_the_code(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    assert_token_error(exchange(idp, app, Callback(callback.params, "w" * 43)), "invalid_grant")

    assert_token_error(exchange(idp, app, callback), "invalid_grant")


# TK-12


@pytest.mark.parametrize("grant_type", ["password", "implicit", "urn:example:garbage", None])
def test_unsupported_grant_types_are_refused(idp, app, grant_type):
    data = {"grant_type": grant_type, "username": "u", "password": "p"} if grant_type else {"code": BOGUS_CODE}
    response = client_post(idp, app, "token", data)

    assert_token_error(response, {"unsupported_grant_type", "invalid_request"})


@pytest.mark.parametrize("client, grant_type", [
    ("app", "client_credentials"),
    ("m2m", "refresh_token"),
    ("m2m", CODE_GRANT),
])
def test_grant_types_are_limited_by_application_type(request, idp, client, grant_type):
    app = request.getfixturevalue(client)
    response = client_post(idp, app, "token", {"grant_type": grant_type, "code": BOGUS_CODE,
                                               "refresh_token": "not-a-token", "redirect_uri": "https://x.test/"})

    assert_token_error(response, "unauthorized_client")


# TK-13


def test_token_endpoint_refuses_get(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    response = httpx.get(f"{idp.issuer}/token", params={**code_form(app, callback.code), "client_id": app["id"],
                                                        "client_secret": app["secret"]})

    assert response.status_code == 405
    assert "access_token" not in response.text


def test_query_string_parameters_are_ignored(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    query = {**code_form(app, callback.code), "code_verifier": callback.verifier}

    response = httpx.post(f"{idp.issuer}/token", params=query, auth=(app["id"], app["secret"]))

    assert_token_error(response, {"unsupported_grant_type", "invalid_request"})
    assert exchange(idp, app, callback).status_code == 200  # the code in the query was never looked at


def test_repeated_parameters_are_refused(idp, browser, app, user):
    callback = sign_in(browser, app, user)
    body = httpx.QueryParams(code_form(app, callback.code)).add("code", callback.code)

    response = httpx.post(f"{idp.issuer}/token", content=str(body), auth=(app["id"], app["secret"]),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert_token_error(response, "invalid_request")


def test_oversized_body_is_refused_quickly(idp, app):
    started = time.monotonic()
    try:
        response = client_post(idp, app, "token", {**code_form(app), "padding": "x" * 1_000_000})
    except httpx.TransportError:
        pass  # refused before the body was read: the connection may close under the client
    else:
        assert response.status_code in (400, 413)
        assert response.json()["error"] == "invalid_request"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("request_parts, error", [
    pytest.param(lambda app: ({**code_form(app), "client_id": "nul\x00client", "client_secret": "x"}, None),
                 "invalid_client", id="nul-client-id-in-body"),
    pytest.param(lambda app: (code_form(app), basic("nul\x00client", "x")), "invalid_client",
                 id="nul-client-id-in-basic"),
    pytest.param(lambda app: ({**code_form(app), "code": "nul\x00code"}, basic(app["id"], app["secret"])),
                 "invalid_grant", id="nul-code"),
    pytest.param(lambda app: ({"grant_type": "refresh_token", "refresh_token": "\x00"},
                              basic(app["id"], app["secret"])), "invalid_grant", id="nul-refresh-token"),
    pytest.param(lambda app: ({**code_form(app), "client_id": "é" * 300, "client_secret": "x"}, None),
                 "invalid_client", id="long-non-ascii-client-id"),
])
def test_hostile_values_get_protocol_errors(idp, app, request_parts, error):
    data, headers = request_parts(app)

    assert_token_error(post_token(idp, data, headers), error, {400, 401})


# TK-14


@pytest.mark.parametrize("change", [suspend, delete])
def test_code_of_a_user_suspended_or_deleted_since_is_refused(idp, browser, app, user, change):
    callback = sign_in(browser, app, user)
    with idp.db() as db:
        change(db, user["id"])

    response = exchange(idp, app, callback)

    assert_token_error(response, "invalid_grant")


# Introspection (RFC 7662)


def test_introspection_describes_an_active_access_token(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    info = introspect(idp, app, tokens["access_token"])

    assert info["active"] is True
    assert info["client_id"] == app["id"] and info["sub"] == user["id"]
    assert info["scope"] == "openid profile email" and info["token_type"] == "Bearer"
    assert info["iss"] == idp.issuer and info["exp"] - info["iat"] == 3600


def test_introspection_describes_a_refresh_token(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user, **OFFLINE)

    info = introspect(idp, app, tokens["refresh_token"])

    assert info["active"] is True and info["token_type"] == "refresh_token" and info["sub"] == user["id"]


@pytest.mark.parametrize("token", ["unknown-token", "a" * 600])
def test_introspection_of_unknown_tokens_is_inactive(idp, app, token):
    assert introspect(idp, app, token) == {"active": False}


def test_introspection_hides_other_clients_tokens(idp, browser, app, other_app, user):
    tokens = tokens_for(idp, browser, app, user)

    assert introspect(idp, other_app, tokens["access_token"]) == {"active": False}


def test_introspection_requires_client_authentication(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user)

    anonymous = httpx.post(f"{idp.issuer}/token/introspection", data={"token": tokens["access_token"]})
    wrong = httpx.post(f"{idp.issuer}/token/introspection", data={"token": tokens["access_token"]},
                       auth=(app["id"], "wrong-secret"))

    assert_token_error(anonymous, "invalid_client", {400, 401})
    assert_token_error(wrong, "invalid_client", 401)


# Revocation (RFC 7009)


def revoke(idp, app: dict, token: str) -> httpx.Response:
    return client_post(idp, app, "token/revocation", {"token": token})


@pytest.mark.parametrize("revoked", ["access_token", "refresh_token"])
@pytest.mark.both_databases
def test_revoking_either_token_ends_the_grant(idp, browser, app, user, revoked):
    tokens = tokens_for(idp, browser, app, user, **OFFLINE)

    response = revoke(idp, app, tokens[revoked])

    assert response.status_code == 200
    assert userinfo(idp, tokens["access_token"]).status_code == 401
    assert_token_error(refresh(idp, app, tokens["refresh_token"]), "invalid_grant")
    assert introspect(idp, app, tokens["access_token"]) == {"active": False}


def test_revoking_an_unknown_token_succeeds_quietly(idp, app):
    assert revoke(idp, app, "unknown-token").status_code == 200


def test_a_client_cannot_revoke_another_clients_token(idp, browser, app, other_app, user):
    tokens = tokens_for(idp, browser, app, user)

    response = revoke(idp, other_app, tokens["access_token"])

    assert response.status_code in (200, 400)
    assert userinfo(idp, tokens["access_token"]).status_code == 200


def test_public_client_revokes_its_own_token(idp, browser, spa, user):
    tokens = tokens_for(idp, browser, spa, user)

    assert revoke(idp, spa, tokens["access_token"]).status_code == 200
    assert userinfo(idp, tokens["access_token"]).status_code == 401
