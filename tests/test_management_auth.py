"""Management API protection: Logto's bearer JWT for the management resource, scope `all`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from idp.keys import KeyRing
from idp.management.auth import MANAGEMENT_API, ensure_management_resource
from idp.store import apps, resources
from tests.flows import client_credentials, exchange, sign_in
from tests.management import assert_error, management_client
from tests.server import Server


def forged(idp: Server, **changes: Any) -> str:
    """A token signed with idp's own current key, with claims and header changed as given."""
    now = int(datetime.now(UTC).timestamp())
    client_id = management_client(idp)[0]["id"]
    header = {"alg": "ES384", "typ": "at+jwt", **changes.pop("header", {})}
    claims = {"iss": idp.issuer, "aud": MANAGEMENT_API, "sub": client_id, "client_id": client_id, "iat": now,
              "exp": now + 600, "scope": "all", **changes}
    with idp.db() as tx:
        key = KeyRing().signing_key(tx, "ES384")
    return jwt.encode({**header, "kid": key.kid}, {k: v for k, v in claims.items() if v is not None}, key,
                      algorithms=["ES384"])


def test_a_machine_to_machine_app_calls_the_management_api(idp, api):
    assert api.get("/api/applications").status_code == 200


def test_no_token_is_401(idp):
    assert_error(httpx.get(f"{idp.endpoint}/api/users"), 401, "auth.authorization_header_missing")


def test_other_authorization_types_are_401(idp):
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": "Basic YTpi"})
    assert_error(response, 401, "auth.authorization_token_type_not_supported")


@pytest.mark.parametrize("header", ["Bearer", "Bearer garbage", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens_are_401(idp, header):
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": header})
    assert_error(response, 401, "auth.unauthorized")


@pytest.mark.parametrize("changes", [
    {"exp": 1},
    {"iss": "https://elsewhere.example/oidc"},
    {"aud": "https://api.example.test/other"},
    {"aud": None},
    {"header": {"typ": "JWT"}},
], ids=["expired", "issuer", "audience", "no-audience", "not-an-access-token"])
def test_tokens_with_wrong_claims_are_401(idp, changes):
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {forged(idp, **changes)}"})
    assert_error(response, 401, "auth.unauthorized")


def test_a_token_signed_by_another_key_is_401(idp):
    key = ECKey.generate_key("P-384")
    with idp.db() as tx:
        kid = KeyRing().signing_key(tx, "ES384").kid
    now = int(datetime.now(UTC).timestamp())
    token = jwt.encode({"alg": "ES384", "typ": "at+jwt", "kid": kid},
                       {"iss": idp.issuer, "aud": MANAGEMENT_API, "sub": "x", "exp": now + 60, "scope": "all"},
                       key, algorithms=["ES384"])
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "auth.unauthorized")


def test_a_token_without_the_all_scope_is_403(idp):
    with idp.db() as tx:
        ensure_management_resource(tx)
    app = idp.make_app(type="m2m", redirect_uris=[])
    token = client_credentials(idp, app, resource=MANAGEMENT_API, scope="read").json()["access_token"]
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 403, "auth.forbidden")


def test_users_cannot_get_a_management_token(idp, app, user, new_browser):
    browser = new_browser(idp)
    callback = sign_in(browser, app, user, scope="openid all", resource=MANAGEMENT_API)
    response = exchange(idp, app, callback, resource=MANAGEMENT_API)
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"


@pytest.mark.both_databases
def test_tokens_of_deleted_or_other_apps_are_401(idp):
    app = idp.make_app(type="m2m", redirect_uris=[], management_api=True)
    token = client_credentials(idp, app, resource=MANAGEMENT_API, scope="all").json()["access_token"]
    assert httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with idp.db() as tx:
        tx.delete(apps.get(tx, app["id"]))
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "auth.unauthorized")
    traditional = idp.make_app()
    forged_app = forged(idp, sub=traditional["id"], client_id=traditional["id"])
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {forged_app}"})
    assert_error(response, 401, "auth.unauthorized")


def test_a_token_for_another_resource_is_401(idp):
    indicator = f"https://api-{secrets.token_hex(4)}.example.test"
    with idp.db() as tx:
        resources.create(tx, indicator=indicator)
    app = idp.make_app(type="m2m", redirect_uris=[])
    token = client_credentials(idp, app, resource=indicator, scope="all").json()["access_token"]
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "auth.unauthorized")


def test_an_opaque_access_token_is_401(idp):
    app = idp.make_app(type="m2m", redirect_uris=[])
    token = client_credentials(idp, app, scope="all").json()["access_token"]
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "auth.unauthorized")


def test_the_management_resource_is_created_once(idp):
    with idp.db() as tx:
        first = ensure_management_resource(tx).id
    with idp.db() as tx:
        assert ensure_management_resource(tx).id == first


def test_the_api_document_is_public(idp):
    response = httpx.get(f"{idp.endpoint}/api/swagger.json")
    assert response.status_code == 200
    assert response.json()["components"]["securitySchemes"]["ManagementApi"]["scheme"] == "bearer"


def test_any_valid_token_for_the_management_api_is_accepted(idp):
    soon = int((datetime.now(UTC) + timedelta(seconds=30)).timestamp())
    response = httpx.get(f"{idp.endpoint}/api/users", headers={"Authorization": f"Bearer {forged(idp, exp=soon)}"})
    assert response.status_code == 200, response.text
