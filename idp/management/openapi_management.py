"""The Management API's paths in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from idp.management.applications import TYPES
from idp.management.openapi_kit import array, body, ok, operation, path_param, query, ref

TOTAL = {"Total-Number": {"description": "How many rows match in all pages.", "schema": {"type": "string"}},
         "Link": {"description": "RFC 8288 links to the first, last, previous and next pages.",
                  "schema": {"type": "string"}}}
PAGE = (query("page", {"type": "integer", "minimum": 1, "maximum": 10**6}, "The page number, from 1."),
        query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}, "Rows per page (default 20)."))
NO_CONTENT = {204: ok("Done.")}


def headers(required: bool) -> dict[str, Any]:
    return {name: {**header, "required": required} for name, header in TOTAL.items()}


def crud(tag: str, noun: str, schema: str, param: str, *, created: int = 200) -> dict[str, Any]:
    """The five operations on `/api/<things>` and `/api/<things>/{param}` that applications and resources share."""
    one = ok(f"The {noun}.", ref(schema))
    item = (path_param(param),)
    return {
        "get_one": operation(f"get{tag}", f"Get {noun}", tag, {200: one}, (404,), params=item),
        "create": operation(f"create{tag}", f"Create {noun}", tag, {created: one}, (400, 422),
                            request=body(ref(f"{schema}Create"))),
        "patch": operation(f"update{tag}", f"Update {noun}", tag, {200: one}, (400, 404, 422),
                           request=body(ref(f"{schema}Patch"), required=False), params=item),
        "delete": operation(f"delete{tag}", f"Delete {noun}", tag, NO_CONTENT, (400, 404), params=item),
    }


def applications() -> dict[str, Any]:
    ops = crud("Application", "an application", "Application", "id")
    listed = operation(
        "listApplications", "List applications", "Applications",
        {200: ok("Newest first; paginated when `page` or `page_size` is given.", array(ref("Application")),
                 headers(False))},
        (400,), params=(*PAGE, query("types", array({"enum": list(TYPES)}), "Only these types.", explode=True),
                        query("search", {"type": "string", "maxLength": 256}, "A LIKE pattern on id or name.")))
    return {
        "/api/applications": {"get": listed, "post": ops["create"]},
        "/api/applications/{id}": {"get": ops["get_one"], "patch": ops["patch"], "delete": ops["delete"]},
    }


def roles() -> dict[str, Any]:
    """Logto's machine-to-machine roles, of which idp has one: "Logto Management API access"."""
    app = (path_param("applicationId"),)
    role_ids = body(ref("RoleIds"))
    listed = ok("One page.", array(ref("Role")), headers(True))
    return {
        "/api/roles": {"get": operation(
            "listRoles", "List roles", "Roles", {200: ok("One page.", array(ref("RoleListed")), headers(True))},
            (400,), params=(*PAGE, query("type", {"enum": ["User", "MachineToMachine"]}, "Only this type."),
                            query("search", {"type": "string", "maxLength": 256}, "A LIKE pattern on the name.")))},
        "/api/roles/{id}": {"get": operation("getRole", "Get a role", "Roles", {200: ok("The role.", ref("Role"))},
                                             (404,), params=(path_param("id"),))},
        "/api/applications/{applicationId}/roles": {
            "get": operation("listApplicationRoles", "List an application's roles", "Applications", {200: listed},
                             (400, 404, 422), params=(*PAGE, *app)),
            "post": operation("assignApplicationRoles", "Assign roles to an application", "Applications",
                              {201: ok("The roles asked for, and those newly assigned.", ref("RoleIdsAdded"))},
                              (400, 404, 422), request=role_ids, params=app),
            "put": operation("replaceApplicationRoles", "Set an application's roles", "Applications", NO_CONTENT,
                             (400, 404, 422), request=role_ids, params=app),
        },
        "/api/applications/{applicationId}/roles/{roleId}": {"delete": operation(
            "deleteApplicationRole", "Remove a role from an application", "Applications", NO_CONTENT,
            (404, 422), params=(*app, path_param("roleId")))},
    }


def resources() -> dict[str, Any]:
    ops = crud("Resource", "an API resource", "Resource", "id", created=201)
    listed = operation(
        "listResources", "List API resources", "Resources",
        {200: ok("Paginated when `page` or `page_size` is given.", array(ref("Resource")), headers(False))},
        (400,), params=(*PAGE, query("includeScopes", {"type": "string"}, "`true` adds an (empty) `scopes` list.")))
    return {
        "/api/resources": {"get": listed, "post": ops["create"]},
        "/api/resources/{id}": {"get": ops["get_one"], "patch": ops["patch"], "delete": ops["delete"]},
    }


def users() -> dict[str, Any]:
    user = ok("The user.", ref("User"))
    item = (path_param("userId"),)
    search = query("search", {"type": "string", "minLength": 1, "maxLength": 256},
                   "A case-insensitive LIKE pattern (e.g. `%ann%`) on id, email, username and name.")
    return {
        "/api/users": {
            "get": operation("listUsers", "List users", "Users",
                             {200: ok("Newest first, one page.", array(ref("User")), headers(True))}, (400,),
                             params=(*PAGE, search)),
            "post": operation("createUser", "Create a user", "Users", {200: user}, (400, 422),
                              request=body(ref("UserCreate"), required=False)),
        },
        "/api/users/{userId}": {
            "get": operation("getUser", "Get a user", "Users", {200: user}, (404,), params=item),
            "patch": operation("updateUser", "Update a user", "Users", {200: user}, (400, 404, 422),
                               request=body(ref("UserPatch"), required=False), params=item,
                               description="`customData` and `profile` replace the stored values."),
            "delete": operation("deleteUser", "Delete a user", "Users", NO_CONTENT, (404,), params=item),
        },
        **user_details(user, item),
    }


def user_details(user: dict[str, Any], item: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    def patch(op_id: str, summary: str, schema: str, answer: dict[str, Any], errors: tuple[int, ...] = (400, 404),
              description: str | None = None) -> dict[str, Any]:
        return operation(op_id, summary, "Users", {200: answer}, errors, request=body(ref(schema)), params=item,
                         description=description)

    merged = "Top-level keys are merged into the stored object."
    return {
        "/api/users/{userId}/password": {"patch": patch("updateUserPassword", "Set a password", "Password", user)},
        "/api/users/{userId}/password/verify": {"post": operation(
            "verifyUserPassword", "Verify a password", "Users", NO_CONTENT, (400, 404, 422),
            request=body(ref("Password")), params=item)},
        "/api/users/{userId}/has-password": {"get": operation(
            "getUserHasPassword", "Whether the user has a password", "Users",
            {200: ok("The answer.", {"type": "object", "properties": {"hasPassword": {"type": "boolean"}},
                                     "required": ["hasPassword"]})}, (404,), params=item)},
        "/api/users/{userId}/custom-data": {
            "get": operation("getUserCustomData", "Get custom data", "Users",
                             {200: ok("The custom data.", {"type": "object"})}, (404,), params=item),
            "patch": patch("updateUserCustomData", "Update custom data", "CustomData",
                           ok("The custom data.", {"type": "object"}), description=merged),
        },
        "/api/users/{userId}/profile": {"patch": patch("updateUserProfile", "Update the profile", "ProfileUpdate",
                                                       ok("The profile.", ref("Profile")), description=merged)},
        "/api/users/{userId}/is-suspended": {"patch": patch(
            "updateUserIsSuspended", "Suspend or reinstate a user", "Suspension", user,
            description="Suspending ends the user's sessions and revokes their grants.")},
    }


def settings() -> dict[str, Any]:
    experience = ok("The sign-in experience.", ref("SignInExperience"))
    connector = ok("The connector.", ref("Connector"))
    item = (path_param("id"),)
    return {
        "/api/sign-in-exp": {
            "get": operation("getSignInExp", "Get the sign-in experience", "Sign-in experience",
                             {200: experience}, ()),
            "patch": operation("updateSignInExp", "Update the sign-in experience", "Sign-in experience",
                               {200: experience}, (400,), request=body(ref("SignInExperiencePatch"), required=False),
                               description="`signUp` and `signIn` are merged into the stored ones."),
        },
        "/api/connectors": {
            "get": operation("listConnectors", "List connectors", "Connectors",
                             {200: ok("The active email connector, if any.", array(ref("Connector")))}, ()),
            "post": operation("createConnector", "Create a connector", "Connectors", {200: connector}, (400, 404),
                              request=body(ref("ConnectorCreate")),
                              description="It replaces the active email connector."),
        },
        "/api/connectors/{id}": {
            "get": operation("getConnector", "Get a connector", "Connectors", {200: connector}, (404,), params=item),
            "patch": operation("updateConnector", "Update a connector", "Connectors", {200: connector},
                               (400, 404), request=body(ref("ConnectorPatch"), required=False), params=item,
                               description="Masked secrets sent back keep their stored values."),
            "delete": operation("deleteConnector", "Delete a connector", "Connectors", NO_CONTENT, (404,),
                                params=item),
        },
        "/api/connectors/{factoryId}/test": {"post": operation(
            "testConnector", "Send a test message", "Connectors", NO_CONTENT, (400, 404),
            request=body(ref("ConnectorTest")), params=(path_param("factoryId"),),
            description="Sends the code 000000 with the `Generic` template through a sender built from `config` "
                        "(masked secrets of the active connector's config keep their stored values). A failure "
                        "answers the service's own words.")},
        "/api/verification-codes": {"post": operation(
            "createVerificationCode", "Send a verification code", "Verification codes", NO_CONTENT,
            (400, 429, 501), request=body(ref("VerificationCodeRequest")),
            description="Sends a `Generic` code by email through the active connector.")},
        "/api/verification-codes/verify": {"post": operation(
            "verifyVerificationCode", "Verify a verification code", "Verification codes", NO_CONTENT, (400,),
            request=body(ref("VerificationCodeVerify")))},
    }


def status() -> dict[str, Any]:
    return {"/api/status": {"get": operation("getStatus", "Health check", "Status", {204: ok("idp is up.")}, (),
                                             secured=False)}}


def paths() -> dict[str, Any]:
    return {**applications(), **roles(), **users(), **resources(), **settings(), **status()}
