"""The OpenAPI 3.1 document of idp's JSON APIs, served at `/api/swagger.json` (as Logto does).

It describes the Management API subset (bearer token), Logto's Experience API and the
development outbox. `tests/test_openapi.py` checks the running server against it.
"""

from __future__ import annotations

from typing import Any

from idp.management import openapi_experience, openapi_management
from idp.management.auth import MANAGEMENT_API
from idp.management.openapi_schemas import SCHEMAS

VERSION = "0.1.0"


def document(endpoint: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "idp API",
            "version": VERSION,
            "description": "A subset of Logto's Management API, Logto's Experience API and the development "
                           "outbox. Errors have Logto's shape: `{code, message, data?}`.",
        },
        "servers": [{"url": endpoint}],
        "tags": tags(),
        "security": [{"ManagementApi": []}],
        "paths": {**openapi_management.paths(), **openapi_experience.paths(), **openapi_experience.dev_paths()},
        "components": {
            "schemas": {**SCHEMAS, **openapi_experience.SCHEMAS},
            "securitySchemes": {"ManagementApi": security_scheme(endpoint)},
        },
    }


def security_scheme(endpoint: str) -> dict[str, Any]:
    return {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": (
            "An ES384 JWT access token (`typ: at+jwt`) from the token endpoint "
            f"({endpoint}/oidc/token): the client_credentials grant of a machine-to-machine app with "
            f"`resource={MANAGEMENT_API}` and `scope=all`. Without one: 401 `auth.authorization_header_missing` "
            "or `auth.unauthorized`; without the `all` scope: 403 `auth.forbidden`."),
    }


def tags() -> list[dict[str, str]]:
    names = ["Applications", "Roles", "Users", "Resources", "Sign-in experience", "Connectors", "Verification codes"]
    return [
        *[{"name": name, "description": "Management API (bearer token)."} for name in names],
        {"name": openapi_experience.TAG, "description": openapi_experience.TAG_DESCRIPTION},
        {"name": "Status", "description": "Whether idp is up (no token needed)."},
        {"name": "Development", "description": "Only in development mode."},
    ]
