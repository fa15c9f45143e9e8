"""The discovery document (OpenID Connect Discovery §3, RFC 8414): exactly what idp implements."""

from __future__ import annotations

from typing import Any

from idp.oidc.claims import CLAIMS_SUPPORTED, SCOPES_SUPPORTED

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def document(issuer: str, signing_algs: list[str]) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/auth",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/me",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/session/end",
        "revocation_endpoint": f"{issuer}/token/revocation",
        "introspection_endpoint": f"{issuer}/token/introspection",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": signing_algs,
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SCOPES_SUPPORTED,
        "claims_supported": CLAIMS_SUPPORTED,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "ui_locales_supported": ["en", "fr", "zh-CN"],
    }
