"""Refresh tokens (SECURITY.md §7 F, RF-01..RF-08) under Logto's rules.

Logto issues a refresh token only for `offline_access` requested with `prompt=consent`. It rotates
always for public clients and for confidential ones once 70% of the lifetime has passed; a rotated
token presented again within 3 s is refused without revoking, later reuse revokes the whole grant.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from idp.models import Token
from idp.settings import Settings
from tests.flows import (
    OFFLINE,
    assert_token_error,
    delete,
    open_browser,
    refresh,
    suspend,
    tokens_for,
    userinfo,
    verify_jwt,
)

REFRESH_TOKEN_TTL = Settings.refresh_token_ttl


@pytest.fixture
def spa(idp) -> dict:
    return idp.make_app(type="spa", redirect_uris=["https://spa.example.test/cb"])


@pytest.fixture
def offline(idp, browser, app, user) -> dict:
    return tokens_for(idp, browser, app, user, **OFFLINE)


@pytest.fixture
def spa_offline(idp, spa, user) -> dict:
    with open_browser(idp) as browser:
        return tokens_for(idp, browser, spa, user, **OFFLINE)


def refreshed(idp, app: dict, refresh_token: str, **form: str) -> dict:
    response = refresh(idp, app, refresh_token, **form)
    assert response.status_code == 200, response.text
    return response.json()


# Issuance (OpenID Connect Core §11, as Logto's engine applies it)


@pytest.mark.parametrize("params, issued", [
    ({"scope": "openid offline_access", "prompt": "consent"}, True),
    ({"scope": "openid offline_access"}, False),
    ({"scope": "openid offline_access", "prompt": "login"}, False),
    ({"scope": "openid profile", "prompt": "consent"}, False),
])
def test_refresh_token_only_for_offline_access_with_consent(idp, browser, app, user, params, issued):
    tokens = tokens_for(idp, browser, app, user, **params)

    assert ("refresh_token" in tokens) is issued
    assert ("offline_access" in tokens["scope"].split()) is issued


# RF-01


@pytest.mark.both_databases
def test_refresh_issues_a_new_access_token(idp, app, user, offline):
    response = refresh(idp, app, offline["refresh_token"])

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"] != offline["access_token"]
    assert body["scope"] == offline["scope"]
    assert userinfo(idp, body["access_token"]).json()["sub"] == user["id"]


def test_refreshed_id_token_keeps_the_identity_claims(idp, browser, app, user, travel):
    tokens = tokens_for(idp, browser, app, user, nonce="n-first", **OFFLINE)
    first = verify_jwt(idp, tokens["id_token"]).claims
    travel(1)

    again = verify_jwt(idp, refreshed(idp, app, tokens["refresh_token"])["id_token"]).claims

    for claim in ("iss", "sub", "aud", "sid"):
        assert again[claim] == first[claim]
    assert again["iat"] > first["iat"]
    assert again.get("nonce", "n-first") == "n-first"


# RF-02


def test_refresh_token_is_bound_to_its_client(idp, app, offline):
    other_app = idp.make_app(redirect_uris=["https://rp2.example.test/cb"])

    assert_token_error(refresh(idp, other_app, offline["refresh_token"]), "invalid_grant")
    assert refresh(idp, app, offline["refresh_token"]).status_code == 200  # not burned by the attempt


def test_public_client_cannot_use_a_confidential_clients_token(idp, app, spa, offline):
    assert_token_error(refresh(idp, spa, offline["refresh_token"]), "invalid_grant")


def test_confidential_client_must_authenticate_to_refresh(idp, app, offline):
    response = refresh(idp, {"id": app["id"]}, offline["refresh_token"])

    assert_token_error(response, "invalid_client", {400, 401})


# RF-03


def test_refresh_may_narrow_the_scope(idp, app, user, offline):
    narrowed = refreshed(idp, app, offline["refresh_token"], scope="openid")

    assert narrowed["scope"] == "openid"
    assert userinfo(idp, narrowed["access_token"]).json() == {"sub": user["id"]}
    # The refresh token keeps what was granted.
    assert refreshed(idp, app, narrowed["refresh_token"])["scope"] == offline["scope"]


def test_public_client_keeps_the_granted_scope_after_narrowing(idp, spa, spa_offline):
    narrowed = refreshed(idp, spa, spa_offline["refresh_token"], scope="openid")

    assert refreshed(idp, spa, narrowed["refresh_token"])["scope"] == spa_offline["scope"]


@pytest.mark.parametrize("scope", ["openid offline_access profile email phone", "address", "openid admin"])
def test_refresh_cannot_widen_the_scope(idp, app, offline, scope):
    assert_token_error(refresh(idp, app, offline["refresh_token"], scope=scope), "invalid_scope")


def test_refused_refresh_does_not_spend_a_public_clients_token(idp, spa, spa_offline):
    assert_token_error(refresh(idp, spa, spa_offline["refresh_token"], scope="openid phone"), "invalid_scope")

    assert refresh(idp, spa, spa_offline["refresh_token"]).status_code == 200


# RF-04


@pytest.mark.both_databases
def test_public_client_refresh_tokens_rotate(idp, spa, spa_offline):
    first = spa_offline["refresh_token"]

    second = refreshed(idp, spa, first)["refresh_token"]

    assert second != first
    assert_token_error(refresh(idp, spa, first), "invalid_grant")
    assert refresh(idp, spa, second).status_code == 200


def test_confidential_refresh_token_is_kept_early_in_its_life(idp, app, offline):
    body = refreshed(idp, app, offline["refresh_token"])

    assert body["refresh_token"] == offline["refresh_token"]
    assert refresh(idp, app, offline["refresh_token"]).status_code == 200


# RF-05


def test_reuse_within_three_seconds_is_refused_without_revoking(idp, spa, spa_offline):
    second = refreshed(idp, spa, spa_offline["refresh_token"])

    assert_token_error(refresh(idp, spa, spa_offline["refresh_token"]), "invalid_grant")

    assert userinfo(idp, second["access_token"]).status_code == 200
    assert refresh(idp, spa, second["refresh_token"]).status_code == 200


@pytest.mark.both_databases
def test_later_reuse_revokes_the_whole_grant(idp, spa, spa_offline, travel):
    second = refreshed(idp, spa, spa_offline["refresh_token"])
    travel(4)

    assert_token_error(refresh(idp, spa, spa_offline["refresh_token"]), "invalid_grant")

    assert_token_error(refresh(idp, spa, second["refresh_token"]), "invalid_grant")
    assert userinfo(idp, second["access_token"]).status_code == 401
    assert userinfo(idp, spa_offline["access_token"]).status_code == 401


# RF-04 (confidential rotation) and RF-06, with the development clock


@pytest.mark.both_databases
def test_confidential_refresh_token_rotates_after_seventy_percent_of_its_life(idp, app, offline, travel):
    travel(REFRESH_TOKEN_TTL * 0.7 + 60)

    rotated = refreshed(idp, app, offline["refresh_token"])["refresh_token"]

    assert rotated != offline["refresh_token"]
    assert_token_error(refresh(idp, app, offline["refresh_token"]), "invalid_grant")


@pytest.mark.both_databases
def test_expired_refresh_token_is_invalid_grant(idp, app, offline, travel):
    travel(REFRESH_TOKEN_TTL + 1)

    assert_token_error(refresh(idp, app, offline["refresh_token"]), "invalid_grant")


@pytest.mark.both_databases
def test_rotation_never_extends_a_public_clients_lifetime(idp, spa, spa_offline, travel):
    travel(REFRESH_TOKEN_TTL / 2)
    rotated = refreshed(idp, spa, spa_offline["refresh_token"])["refresh_token"]
    travel(REFRESH_TOKEN_TTL / 2 + 60)  # past the first token's end, well before a renewed one's

    assert_token_error(refresh(idp, spa, rotated), "invalid_grant")


# RF-07


@pytest.mark.parametrize("change", [suspend, delete])
@pytest.mark.both_databases
def test_refresh_token_dies_with_its_user(idp, app, user, offline, change):
    with idp.db() as db:
        change(db, user["id"])

    assert_token_error(refresh(idp, app, offline["refresh_token"]), "invalid_grant")


# RF-08


def test_refresh_tokens_are_opaque_and_random(idp, app, offline, spa, spa_offline):
    rotated = refreshed(idp, spa, spa_offline["refresh_token"])["refresh_token"]
    values = [offline["refresh_token"], spa_offline["refresh_token"], rotated]

    for value in values:
        assert len(value) >= 43 and "." not in value
        assert value.replace("-", "").replace("_", "").isalnum()
    assert len(set(values)) == len(values)


@pytest.mark.both_databases
def test_only_hashes_of_refresh_tokens_are_stored(idp, offline):
    value = offline["refresh_token"]

    with idp.db() as db:
        cells = [str(cell) for row in db.execute(text("SELECT * FROM tokens")) for cell in row]
        row = db.get(Token, hashlib.sha256(value.encode()).hexdigest())

    assert row is not None and row.kind == "refresh"
    assert not [cell for cell in cells if value in cell]
