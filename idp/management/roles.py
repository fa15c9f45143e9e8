"""`/api/roles` and `/api/applications/{id}/roles`: Logto's machine-to-machine roles, as far as
idp has one: "Logto Management API access", the role that lets an app call the Management API.

Logto seeds that role in every tenant; idp has exactly it, under a fixed id, held by an
application as `Application.management_api`. Assigning it through these routes, `isAdmin` on
`PATCH /api/applications/{id}`, `idp app create --management-api` and a seed file's
`management_api` are four ways to set the same flag.
"""

from __future__ import annotations

import re
from typing import Any

from idp.errors import RequestError, invalid_input
from idp.management import fields, paging
from idp.management.applications import find
from idp.management.call import Call, Reply
from idp.management.fields import MISSING
from idp.models import Application
from idp.services import Context
from idp.store import apps

ROLE = {
    "tenantId": "default",
    "id": "management-api-access",
    "name": "Logto Management API access",
    "description": "This default role grants access to the Logto management API.",
    "type": "MachineToMachine",
    "isDefault": False,
}
ROLE_TYPES = ("User", "MachineToMachine")


def list_roles(ctx: Context, call: Call) -> Reply:
    page = paging.read(call.query)
    kind = call.query.get("type")
    if kind is not None and kind not in ROLE_TYPES:
        raise invalid_input(f"type must be one of {', '.join(ROLE_TYPES)}.")
    found = [ROLE] if kind in (None, ROLE["type"]) and matches(call.query.get("search")) else []
    holders = [app for app in apps.list_all(ctx.db) if app.management_api]
    rows = [{**role, "usersCount": 0, "featuredUsers": [], "applicationsCount": len(holders),
             "featuredApplications": [{"id": app.id, "name": app.name, "type": app.type} for app in holders[:3]]}
            for role in found]
    return paging.reply(rows, page, len(rows), call.url)


def get_role(ctx: Context, call: Call) -> dict[str, Any]:
    return role(call.param("id"))


def list_application_roles(ctx: Context, call: Call) -> Reply:
    app = machine_app(ctx, call)
    page = paging.read(call.query)
    rows = [ROLE] if app.management_api else []
    return paging.reply(rows, page, len(rows), call.url)


def add_application_roles(ctx: Context, call: Call) -> Reply:
    app = machine_app(ctx, call)
    role_ids = requested_roles(call)
    added = [ROLE["id"]] if role_ids and not app.management_api else []
    apps.grant_management_api(app, app.management_api or bool(role_ids))
    return Reply({"roleIds": role_ids, "addedRoleIds": added}, status=201)


def replace_application_roles(ctx: Context, call: Call) -> None:
    app = machine_app(ctx, call)
    apps.grant_management_api(app, bool(requested_roles(call)))


def delete_application_role(ctx: Context, call: Call) -> None:
    app = machine_app(ctx, call)
    if call.param("roleId") != ROLE["id"] or not app.management_api:
        raise RequestError("entity.not_found", "The application does not hold this role.", 404)
    apps.grant_management_api(app, False)


def machine_app(ctx: Context, call: Call) -> Application:
    app = find(ctx, call.param("applicationId"))
    if app.type != "MachineToMachine":
        raise RequestError("application.invalid_type",
                           "Only machine to machine applications can have associated roles.", 422)
    return app


def requested_roles(call: Call) -> list[str]:
    """`roleIds` without repeats, each the one role idp has."""
    role_ids = fields.string_list(call.body, "roleIds", max_length=128)
    if role_ids is MISSING:
        raise invalid_input("roleIds is required.")
    for role_id in role_ids:
        role(role_id)
    return list(dict.fromkeys(role_ids))


def role(role_id: str) -> dict[str, Any]:
    if role_id != ROLE["id"]:
        raise RequestError("entity.not_exists_with_id", f"The roles with ID `{role_id}` does not exist.", 404,
                           name="roles", id=role_id)
    return ROLE


def matches(search: str | None) -> bool:
    """Whether the role's name is like `search` (a LIKE pattern, read as user search reads one)."""
    if search is None:
        return True
    regex, escaped = "", False
    for character in fields.like_pattern(fields.search_value(search)):
        if escaped or character not in "%_\\":
            regex += re.escape(character)
            escaped = False
        elif character == fields.ESCAPE:
            escaped = True
        else:
            regex += ".*" if character == "%" else "."
    return re.fullmatch(regex, str(ROLE["name"]), re.IGNORECASE | re.DOTALL) is not None
