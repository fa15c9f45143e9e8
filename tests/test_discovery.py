"""Discovery and JWKS (security plan group A: DJ-01, DJ-02, DJ-04, DJ-06, DJ-07).

Key rotation (DJ-05), the RS256 decision (DJ-03) and Logto's `kid` live in test_keys.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.browser import Browser, query
from tests.server import Server

DISCOVERY = "/oidc/.well-known/openid-configuration"
# Paths of Logto's OIDC engine (node-oidc-provider defaults mounted under /oidc).
ENDPOINT_PATHS = {
    "authorization_endpoint": "/oidc/auth",
    "token_endpoint": "/oidc/token",
    "userinfo_endpoint": "/oidc/me",
    "jwks_uri": "/oidc/jwks",
    "end_session_endpoint": "/oidc/session/end",
    "revocation_endpoint": "/oidc/token/revocation",
    "introspection_endpoint": "/oidc/token/introspection",
}
# Registered metadata names (OpenID Connect Discovery §3, RFC 8414 §2, RP-Initiated Logout §3,
# RFC 9207 §3, RFC 7009/7662): anything else would be an unknown top-level field.
REGISTERED_METADATA = {
    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
    "registration_endpoint", "scopes_supported", "response_types_supported", "response_modes_supported",
    "grant_types_supported", "acr_values_supported", "subject_types_supported",
    "id_token_signing_alg_values_supported", "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported", "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported", "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported", "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported", "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported", "display_values_supported", "claim_types_supported",
    "claims_supported", "service_documentation", "claims_locales_supported", "ui_locales_supported",
    "claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
    "require_request_uri_registration", "op_policy_uri", "op_tos_uri", "end_session_endpoint",
    "revocation_endpoint", "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported", "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported", "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported", "authorization_response_iss_parameter_supported",
}
HOSTILE_HEADERS = {"Host": "evil.test", "X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http",
                   "X-Forwarded-For": "203.0.113.7", "Forwarded": "host=evil.test;proto=http"}
PRIVATE_OR_SECRET_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def discovery(idp: Server, **kwargs) -> httpx.Response:
    return httpx.get(idp.endpoint + DISCOVERY, **kwargs)


@pytest.fixture(scope="module")
def https_idp(idp: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second process on the same database whose public endpoint is https (behind a proxy)."""
    folder = tmp_path_factory.mktemp("https-idp")
    server = Server(database_url=idp.database_url, data_dir=folder,
                    extra_env={"IDP_ENDPOINT": "https://id.example.test"})
    server.start()
    yield server
    server.stop()


# DJ-01


def test_discovery_is_json_with_the_configured_issuer(idp):
    response = discovery(idp)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    doc = response.json()
    assert doc["issuer"] == idp.issuer
    parts = urlsplit(doc["issuer"])
    assert not parts.query and not parts.fragment and not doc["issuer"].endswith("/")


def test_endpoints_are_logtos_paths_under_the_issuer(idp):
    doc = discovery(idp).json()
    assert {name: doc[name] for name in ENDPOINT_PATHS} == {
        name: idp.endpoint + path for name, path in ENDPOINT_PATHS.items()
    }


def test_https_issuer_advertises_only_https_endpoints(https_idp):
    doc = httpx.get(f"http://127.0.0.1:{https_idp.port}{DISCOVERY}").json()
    assert doc["issuer"] == "https://id.example.test/oidc"
    for name, path in ENDPOINT_PATHS.items():
        assert doc[name] == "https://id.example.test" + path


def test_oauth_authorization_server_metadata_is_the_same_document(idp):
    same = httpx.get(idp.endpoint + "/oidc/.well-known/oauth-authorization-server")
    assert same.status_code == 200
    assert same.json() == discovery(idp).json()


# DJ-02


def test_advertised_flows_are_exactly_what_idp_implements(idp):
    doc = discovery(idp).json()
    assert doc["response_types_supported"] == ["code"]
    assert doc["response_modes_supported"] == ["query"]
    # Logto advertises client_credentials for machine-to-machine apps; never password or implicit.
    assert sorted(doc["grant_types_supported"]) == ["authorization_code", "client_credentials", "refresh_token"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_advertised_signing_algorithms_are_asymmetric(idp):
    algs = discovery(idp).json()["id_token_signing_alg_values_supported"]
    assert "ES384" in algs
    assert all(alg in {"ES384", "RS256"} for alg in algs), algs


def test_advertised_client_auth_subjects_and_scopes(idp):
    doc = discovery(idp).json()
    assert {"client_secret_basic", "client_secret_post"} <= set(doc["token_endpoint_auth_methods_supported"])
    assert "public" in doc["subject_types_supported"]
    assert {"openid", "offline_access", "profile", "email"} <= set(doc["scopes_supported"])
    assert {"sub", "iss", "auth_time", "email"} <= set(doc["claims_supported"])


def test_unsupported_request_features_are_advertised_as_such(idp):
    doc = discovery(idp).json()
    # The authorization endpoint refuses request objects and request_uri (see test_authorize.py).
    assert doc["request_parameter_supported"] is False
    assert doc["request_uri_parameter_supported"] is False
    assert doc["claims_parameter_supported"] is False


def test_discovery_has_no_unknown_fields(idp):
    assert set(discovery(idp).json()) <= REGISTERED_METADATA


# DJ-04


def test_jwks_publishes_public_p384_signing_keys(idp):
    response = httpx.get(discovery(idp).json()["jwks_uri"])
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    keys = response.json()["keys"]
    ec_keys = [key for key in keys if key["kty"] == "EC"]
    assert ec_keys
    for key in ec_keys:
        assert key["crv"] == "P-384" and key["x"] and key["y"]
        assert key.get("use", "sig") == "sig" and key.get("alg", "ES384") == "ES384"
        assert "use" in key or "alg" in key


def test_jwks_has_no_private_or_symmetric_key_material(idp):
    for key in httpx.get(f"{idp.issuer}/jwks").json()["keys"]:
        assert not PRIVATE_OR_SECRET_MEMBERS & set(key), key
        assert key["kty"] in {"EC", "RSA"}


def test_jwks_kids_are_present_and_unique_and_keys_parse(idp):
    keys = httpx.get(f"{idp.issuer}/jwks").json()["keys"]
    kids = [key["kid"] for key in keys]
    assert all(kids) and len(set(kids)) == len(kids)
    parsed = KeySet.import_key_set({"keys": keys})
    assert len(parsed.keys) == len(keys)


# DJ-06


def test_discovery_ignores_host_and_forwarded_headers(idp):
    doc = discovery(idp, headers=HOSTILE_HEADERS).json()
    assert doc == discovery(idp).json()
    assert "evil.test" not in str(doc)


def test_authorization_error_page_ignores_host_headers(idp):
    response = httpx.get(f"{idp.issuer}/auth", params={"client_id": "unknown"}, headers=HOSTILE_HEADERS)
    assert response.status_code == 400
    assert "evil.test" not in response.text and "location" not in response.headers


def test_redirect_error_iss_ignores_host_headers(idp, app):
    params = {"client_id": app["id"], "redirect_uri": app["redirect_uris"][0], "response_type": "code",
              "scope": "openid", "state": "s1", "prompt": "none"}
    response = httpx.get(f"{idp.issuer}/auth", params=params, headers=HOSTILE_HEADERS)
    assert response.status_code == 303
    assert query(response.headers["location"])["iss"] == idp.issuer


def test_sign_in_flow_and_tokens_ignore_host_headers(idp, app, user):
    browser = Browser(idp.endpoint)
    browser.http.headers.update(HOSTILE_HEADERS)
    try:
        url = browser.authorize_url(app["id"], app["redirect_uris"][0], scope="openid")
        first = browser.http.get(url)
        assert first.headers["location"] == f"{idp.endpoint}/sign-in"
        page = browser.http.get(first.headers["location"])
        assert page.status_code == 200 and "evil.test" not in page.text
        assert re.search(r'action="' + re.escape(idp.endpoint) + '/sign-in"', page.text)
        callback = browser.sign_in_with_password(url, user["email"], user["password"])
        assert query(callback)["iss"] == idp.issuer
        tokens = httpx.post(f"{idp.issuer}/token", headers=HOSTILE_HEADERS, auth=(app["id"], app["secret"]),
                            data={"grant_type": "authorization_code", "code": query(callback)["code"],
                                  "redirect_uri": app["redirect_uris"][0]})
        assert tokens.status_code == 200, tokens.text
        keys = KeySet.import_key_set(httpx.get(f"{idp.issuer}/jwks").json())
        assert jwt.decode(tokens.json()["id_token"], keys, algorithms=["ES384"]).claims["iss"] == idp.issuer
    finally:
        browser.close()


# DJ-07


@pytest.mark.parametrize("path", [DISCOVERY, "/oidc/jwks"])
def test_metadata_is_readable_cross_origin_without_credentials(idp, path):
    response = httpx.get(idp.endpoint + path, headers={"Origin": "https://spa.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "https://spa.example"}
    assert response.headers.get("access-control-allow-credentials") != "true"


def test_jwks_must_be_revalidated_as_logto_does(idp):
    response = httpx.get(f"{idp.issuer}/jwks")
    assert response.headers["cache-control"] == "no-cache, max-age=0, must-revalidate"


def test_discovery_is_not_cacheable_for_long(idp):
    directives = [d.strip() for d in discovery(idp).headers["cache-control"].split(",")]
    assert "immutable" not in directives
    ages = [int(d.split("=", 1)[1]) for d in directives if d.startswith(("max-age=", "s-maxage="))]
    assert {"no-store", "no-cache"} & set(directives) or (ages and max(ages) <= 3600)
