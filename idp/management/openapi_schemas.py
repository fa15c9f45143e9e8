"""The component schemas of the OpenAPI document: what idp answers and accepts."""

from __future__ import annotations

from typing import Any

from idp.management.applications import TYPES
from idp.management.openapi_kit import array, nullable, obj, ref, text
from idp.management.user_fields import ADDRESS_TEXT, DIGEST_ALGORITHMS, PROFILE_TEXT

MS = {"type": "integer", "description": "Milliseconds since the Unix epoch."}
ANY_OBJECT = {"type": "object", "description": "Any JSON object."}
EMAIL = text(256, format="email")
URIS = array(text(2048, format="uri"), maxItems=50)
IDENTIFIERS = ["email", "username", "phone"]
SIGN_IN_METHOD = obj({
    "identifier": {"enum": IDENTIFIERS}, "password": {"type": "boolean"},
    "verificationCode": {"type": "boolean"}, "isPasswordPrimary": {"type": "boolean"},
}, ("identifier", "password", "verificationCode", "isPasswordPrimary"))
PROFILE = obj({
    **{key: text(2048, 0) for key in PROFILE_TEXT},
    "address": obj({key: text(2048, 0) for key in ADDRESS_TEXT}),
}, description="Logto's standard profile claims; unknown keys are dropped.")

APPLICATION_INPUT = {
    "description": nullable(text(2048, 0)),
    "oidcClientMetadata": obj({"redirectUris": URIS, "postLogoutRedirectUris": URIS},
                              description="Redirect URIs are matched exactly: absolute, no fragment or wildcard."),
    "customClientMetadata": {"type": "object", "maxProperties": 0,
                             "description": "idp supports none of Logto's custom client metadata."},
    "isThirdParty": {"enum": [False]},
}
USER_INPUT = {
    "name": nullable(text(128, 0)),
    "avatar": nullable(text(2048, 0, description="An http(s) URL, or empty.")),
    "customData": ANY_OBJECT,
    "profile": PROFILE,
    "primaryPhone": {"enum": [None, ""], "description": "idp does not store phone numbers."},
}
ROLE = {"tenantId": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
        "description": {"type": "string"}, "type": {"enum": ["User", "MachineToMachine"]},
        "isDefault": {"type": "boolean"}}
USERNAME = text(128, pattern="^[A-Z_a-z][A-Za-z0-9_]*$")

SCHEMAS: dict[str, Any] = {
    "Error": obj({"code": {"type": "string"}, "message": {"type": "string"}, "data": {}}, ("code", "message"),
                 description="Logto's error shape; `code` names the case, e.g. `entity.not_found`."),
    "Application": obj({
        "tenantId": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
        "description": nullable({"type": "string"}), "type": {"enum": list(TYPES)},
        "secret": {"type": "string", "description": "Only in the answer that created the application."},
        "oidcClientMetadata": obj({"redirectUris": array({"type": "string"}),
                                   "postLogoutRedirectUris": array({"type": "string"})},
                                  ("redirectUris", "postLogoutRedirectUris")),
        "customClientMetadata": {"type": "object"}, "protectedAppMetadata": {"type": "null"},
        "isThirdParty": {"type": "boolean"}, "createdAt": MS,
        "isAdmin": {"type": "boolean", "description": "Whether it holds the \"Logto Management API access\" role."},
    }, ("tenantId", "id", "name", "description", "type", "oidcClientMetadata", "customClientMetadata",
        "protectedAppMetadata", "isThirdParty", "createdAt")),
    "ApplicationCreate": obj({"name": text(), "type": {"enum": list(TYPES)}, **APPLICATION_INPUT}, ("name", "type")),
    "ApplicationPatch": obj({"name": text(), "isAdmin": {"type": "boolean"}, **APPLICATION_INPUT}),
    "Role": obj(ROLE, tuple(ROLE)),
    "RoleListed": obj({**ROLE, "usersCount": {"type": "integer"}, "featuredUsers": array({"type": "object"}),
                       "applicationsCount": {"type": "integer"}, "featuredApplications": array({"type": "object"})},
                      (*ROLE, "usersCount", "featuredUsers", "applicationsCount", "featuredApplications")),
    "RoleIds": obj({"roleIds": array(text(128), maxItems=50)}, ("roleIds",)),
    "RoleIdsAdded": obj({"roleIds": array({"type": "string"}), "addedRoleIds": array({"type": "string"})},
                        ("roleIds", "addedRoleIds")),
    "User": obj({
        "id": {"type": "string"}, "username": nullable({"type": "string"}),
        "primaryEmail": nullable({"type": "string"}), "primaryPhone": {"type": "null"},
        "name": nullable({"type": "string"}), "avatar": nullable({"type": "string"}),
        "customData": {"type": "object"}, "identities": {"type": "object"}, "lastSignInAt": nullable(MS),
        "createdAt": MS, "updatedAt": MS, "profile": {"type": "object"}, "applicationId": {"type": "null"},
        "isSuspended": {"type": "boolean"}, "hasPassword": {"type": "boolean"},
    }, ("id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData", "identities",
        "lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId", "isSuspended", "hasPassword")),
    "UserCreate": obj({
        "primaryEmail": EMAIL, "username": USERNAME, "password": text(256),
        "passwordDigest": text(256, description="An Argon2 hash (PHC string) to import."),
        "passwordAlgorithm": {"enum": list(DIGEST_ALGORITHMS), "description": "Only the Argon2 family is verified."},
        **USER_INPUT,
    }),
    "UserPatch": obj({
        "primaryEmail": {"anyOf": [EMAIL, {"enum": ["", None]}]},
        "username": {"anyOf": [USERNAME, {"enum": ["", None]}]},
        **USER_INPUT,
    }),
    "Profile": PROFILE,
    "Resource": obj({
        "tenantId": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"},
        "indicator": {"type": "string"}, "isDefault": {"type": "boolean"},
        "accessTokenTtl": {"type": "integer"}, "scopes": array({"type": "object"}),
    }, ("tenantId", "id", "name", "indicator", "isDefault", "accessTokenTtl")),
    "ResourceCreate": obj({
        "name": text(), "indicator": text(2048, format="uri", description="An absolute URI without a fragment."),
        "accessTokenTtl": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "default": 3600},
    }, ("name", "indicator")),
    "ResourcePatch": obj({"name": text(), "accessTokenTtl": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}),
    "SignInExperience": obj({
        "tenantId": {"type": "string"}, "id": {"type": "string"},
        "signUp": obj({"identifiers": array({"enum": IDENTIFIERS}), "password": {"type": "boolean"},
                       "verify": {"type": "boolean"}}, ("identifiers", "password", "verify")),
        "signIn": obj({"methods": array(SIGN_IN_METHOD)}, ("methods",)),
        "signInMode": {"enum": ["SignIn", "Register", "SignInAndRegister"]},
    }, ("id", "signUp", "signIn", "signInMode")),
    "SignInExperiencePatch": obj({
        "signUp": obj({"identifiers": array({"enum": IDENTIFIERS}), "password": {"type": "boolean"},
                       "verify": {"type": "boolean"}}),
        "signIn": obj({"methods": array(SIGN_IN_METHOD)}),
        "signInMode": {"enum": ["SignIn", "Register", "SignInAndRegister"]},
    }),
    "Connector": obj({
        "id": {"type": "string"}, "connectorId": {"type": "string"}, "type": {"enum": ["Email"]},
        "platform": {"type": "null"}, "name": obj({"en": {"type": "string"}}),
        "config": {"type": "object", "description": "Secrets are masked as `******`."},
        "metadata": {"type": "object"}, "syncProfile": {"type": "boolean"}, "isStandard": {"type": "boolean"},
        "isDemo": {"type": "boolean"},
    }, ("id", "connectorId", "type", "config")),
    "ConnectorCreate": obj({
        "connectorId": text(128, description="Logto's factory id or idp's sender name."),
        "config": ANY_OBJECT, "metadata": ANY_OBJECT, "syncProfile": {"type": "boolean"},
        "id": nullable(text(128)),
    }, ("connectorId",)),
    "ConnectorTest": obj({"email": EMAIL, "config": ANY_OBJECT, "locale": text(32)}, ("email", "config")),
    "ConnectorPatch": obj({"config": ANY_OBJECT, "metadata": ANY_OBJECT, "syncProfile": {"type": "boolean"}}),
    "VerificationCodeRequest": obj({"email": EMAIL}, ("email",)),
    "VerificationCodeVerify": obj({"email": EMAIL, "verificationCode": text(64)}, ("email", "verificationCode")),
    "Password": obj({"password": text(256)}, ("password",)),
    "CustomData": obj({"customData": ANY_OBJECT}, ("customData",)),
    "ProfileUpdate": obj({"profile": ref("Profile")}, ("profile",)),
    "Suspension": obj({"isSuspended": {"type": "boolean"}}, ("isSuspended",)),
}
