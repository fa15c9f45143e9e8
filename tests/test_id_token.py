"""ID tokens from the token endpoint (SECURITY.md §7 D, IT-01..IT-07), with Logto's claim rules."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from joserfc.errors import BadSignatureError, JoseError

from idp.models import User
from tests.flows import (
    exchange,
    jwks,
    reauthorize,
    refresh,
    segments,
    tokens_for,
    verify_jwt,
)

REGISTERED_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "nonce", "sid", "auth_time"}
# Logto's profile and email scope claims (LOGTO.md §1 "Scopes → claims").
PROFILE_CLAIMS = {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
                  "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "username",
                  "created_at"}
EMAIL_CLAIMS = {"email", "email_verified"}


def id_token_claims(idp, browser, app, user, **params) -> dict:
    return verify_jwt(idp, tokens_for(idp, browser, app, user, **params)["id_token"]).claims


# IT-01


def test_id_token_is_es384_signed_by_a_published_key(idp, browser, app, user):
    token = tokens_for(idp, browser, app, user)["id_token"]
    header, _, signature = segments(token)

    assert header["alg"] == "ES384"
    assert [key.kid for key in jwks(idp).keys].count(header["kid"]) == 1
    assert len(signature) == 96  # raw R || S of P-384, not DER
    assert verify_jwt(idp, token, ["ES384"]).claims["sub"] == user["id"]


def test_id_token_does_not_verify_under_another_algorithm(idp, browser, app, user):
    token = tokens_for(idp, browser, app, user)["id_token"]

    with pytest.raises(JoseError):
        verify_jwt(idp, token, ["RS256"])


def test_altered_id_token_fails_verification(idp, browser, app, user):
    token = tokens_for(idp, browser, app, user)["id_token"]
    header, payload, signature = token.split(".")
    altered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"

    with pytest.raises((BadSignatureError, JoseError, ValueError)):
        verify_jwt(idp, altered)


# IT-02


def test_core_claims(idp, browser, app, user):
    before = int(time.time())
    claims = id_token_claims(idp, browser, app, user, nonce="n-0S6_WzA2Mj")
    after = int(time.time())

    assert claims["iss"] == idp.issuer
    assert claims["aud"] == app["id"]
    assert claims["sub"] == user["id"] and claims["sub"].isascii() and len(claims["sub"]) <= 255
    assert before - 300 <= claims["iat"] <= after + 300
    assert claims["exp"] - claims["iat"] == 3600 and claims["exp"] > after
    assert claims["nonce"] == "n-0S6_WzA2Mj"


def test_nonce_is_absent_when_none_was_sent(idp, browser, app, user):
    assert "nonce" not in id_token_claims(idp, browser, app, user)


# IT-03: Logto adds auth_time only when max_age or prompt=login was sent.


def test_auth_time_is_absent_unless_requested(idp, browser, app, user):
    assert "auth_time" not in id_token_claims(idp, browser, app, user)


def test_auth_time_is_the_sign_in_instant(idp, browser, app, user):
    before = int(time.time())
    claims = id_token_claims(idp, browser, app, user, max_age="10000")

    assert before <= claims["auth_time"] <= int(time.time())


def test_auth_time_stays_when_no_new_sign_in_happens(idp, browser, app, user, travel):
    first = id_token_claims(idp, browser, app, user, max_age="10000")
    travel(1)

    second = verify_jwt(idp, exchange(idp, app, reauthorize(browser, app, prompt="none", max_age="10000"))
                        .json()["id_token"]).claims

    assert second["auth_time"] == first["auth_time"]
    assert second["iat"] > first["iat"]


@pytest.mark.parametrize("params", [{"prompt": "login"}, {"max_age": "1"}])
def test_auth_time_moves_on_after_a_new_sign_in(idp, browser, app, user, params, travel):
    first = id_token_claims(idp, browser, app, user, max_age="10000")
    travel(2)

    second = id_token_claims(idp, browser, app, user, **params)

    assert second["auth_time"] > first["auth_time"]


def test_refreshed_id_token_keeps_auth_time(idp, browser, app, user):
    tokens = tokens_for(idp, browser, app, user, scope="openid offline_access", prompt="consent", max_age="10000")
    first = verify_jwt(idp, tokens["id_token"]).claims

    refreshed = verify_jwt(idp, refresh(idp, app, tokens["refresh_token"]).json()["id_token"]).claims

    assert refreshed["auth_time"] == first["auth_time"]


# IT-04


def test_sub_is_stable_across_sign_ins_and_clients(idp, browser, app, user):
    other_app = idp.make_app(redirect_uris=["https://rp2.example.test/cb"])
    first = id_token_claims(idp, browser, app, user)
    again = verify_jwt(idp, exchange(idp, app, reauthorize(browser, app)).json()["id_token"]).claims
    elsewhere = verify_jwt(idp, exchange(idp, other_app, reauthorize(browser, other_app)).json()["id_token"]).claims

    assert first["sub"] == again["sub"] == elsewhere["sub"] == user["id"]
    assert user["email"].split("@")[0] not in first["sub"]


def test_sub_is_never_reassigned(idp, browser, app, email):
    first = idp.make_user(email)
    with idp.db() as db:
        db.delete(db.get(User, first["id"]))
    second = idp.make_user(email)

    claims = id_token_claims(idp, browser, app, second)

    assert claims["sub"] == second["id"] != first["id"]


# IT-05


def test_no_hash_claims(idp, browser, app, user):
    claims = id_token_claims(idp, browser, app, user)

    assert "at_hash" not in claims and "c_hash" not in claims


# IT-06


def test_claim_values_are_well_typed(idp, browser, app, user):
    claims = id_token_claims(idp, browser, app, user)

    assert claims["email"] == user["email"]
    assert claims["email_verified"] is True  # Logto: true when the user has a primary email
    assert isinstance(claims["updated_at"], int) and isinstance(claims["created_at"], int)


@pytest.mark.parametrize("scope, allowed", [
    ("openid", REGISTERED_CLAIMS),
    ("openid email", REGISTERED_CLAIMS | EMAIL_CLAIMS),
    ("openid profile", REGISTERED_CLAIMS | PROFILE_CLAIMS),
    ("openid custom_data identities", REGISTERED_CLAIMS),  # userinfo only, as Logto's default config
])
def test_only_claims_of_granted_scopes(idp, browser, app, user, scope, allowed):
    claims = id_token_claims(idp, browser, app, user, scope=scope)

    assert set(claims) <= allowed
    assert {"iss", "sub", "aud", "exp", "iat"} <= set(claims)


def test_no_internal_data(idp, browser, app, user):
    claims = id_token_claims(idp, browser, app, user, scope="openid profile email")

    assert not [name for name in claims if any(word in name for word in ("password", "hash", "secret", "session"))]
    assert user["password"] not in json.dumps(claims) and "$argon2" not in json.dumps(claims)


# IT-07


def test_rs256_clients_get_rs256_id_tokens(idp, browser, user):
    app = idp.cli("app", "create", "--name", "RSA client", "--type", "traditional",
                  "--redirect-uri", "https://rsa.example.test/cb", "--id-token-alg", "RS256")

    token = tokens_for(idp, browser, app, user)["id_token"]

    assert segments(token)[0]["alg"] == "RS256"
    assert verify_jwt(idp, token, ["RS256"]).claims["aud"] == app["id"]


@pytest.mark.parametrize("alg", ["none", "HS256", "HS384"])
def test_unsafe_id_token_algorithms_cannot_be_configured(idp, alg):
    result = subprocess.run(
        [sys.executable, "-m", "idp", "app", "create", "--name", "Unsafe", "--type", "traditional",
         "--redirect-uri", "https://unsafe.example.test/cb", "--id-token-alg", alg],
        env=idp.env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode != 0


def test_acr_is_absent_or_meaningful(idp, browser, app, user):
    claims = id_token_claims(idp, browser, app, user, acr_values="urn:example:loa:1")

    assert claims.get("acr", "present") != ""
