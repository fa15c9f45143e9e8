"""`/api/applications`: Logto's application shape over idp's applications.

idp keeps only the plain-text secret's hash, so the secret is answered once, when the
application is created. `description` is kept beside the row in the configs table.
Settings idp does not apply (custom client metadata, back-channel logout, third-party and
protected apps) are refused rather than silently ignored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from idp.errors import RequestError, invalid_input, not_found
from idp.management import fields, paging, queries
from idp.management.call import Call, Reply
from idp.management.fields import MISSING, present
from idp.models import Application
from idp.services import Context
from idp.store import apps, configs

TYPES = ("Native", "SPA", "Traditional", "MachineToMachine")
URI_LISTS = {"redirectUris": "redirect_uris", "postLogoutRedirectUris": "post_logout_redirect_uris"}
UNSUPPORTED_METADATA = ("backchannelLogoutUri", "backchannelLogoutSessionRequired", "logoUri")


def list_applications(ctx: Context, call: Call) -> Reply:
    page = paging.read(call.query, optional=True)
    types = call.query.getlist("types")
    if any(kind not in TYPES for kind in types):
        raise invalid_input(f"types must be among {', '.join(TYPES)}.")
    search = call.query.get("search")
    condition = None
    if search:
        pattern = fields.like_pattern(fields.search_value(search))
        condition = or_(Application.id.ilike(pattern, escape=fields.ESCAPE),
                        Application.name.ilike(pattern, escape=fields.ESCAPE))
    rows, total = queries.page_of(ctx.db, queries.applications(types, condition), page)
    return paging.reply([to_json(ctx, row) for row in rows], page, total, call.url)


def create_application(ctx: Context, call: Call) -> dict[str, Any]:
    body = call.body
    name = fields.text(body, "name", required=True)
    kind = body.get("type")
    if kind not in TYPES:
        raise invalid_input(f"type must be one of {', '.join(TYPES)}.")
    description = fields.text(body, "description", max_length=2048, nullable=True, min_length=0)
    refuse_unsupported(body)
    uris = uri_lists(body)
    app, secret = apps.create(ctx.db, name=name, type=kind, redirect_uris=uris.get("redirect_uris", []),
                              post_logout_redirect_uris=uris.get("post_logout_redirect_uris", []), now=ctx.now)
    if description:
        configs.put(ctx.db, description_key(app.id), description)
    return to_json(ctx, app, secret=secret)


def get_application(ctx: Context, call: Call) -> dict[str, Any]:
    app = find(ctx, call.param("id"))
    return {**to_json(ctx, app), "isAdmin": app.management_api}


def update_application(ctx: Context, call: Call) -> dict[str, Any]:
    app = find(ctx, call.param("id"))
    body = call.body
    name = fields.text(body, "name")
    description = fields.text(body, "description", max_length=2048, nullable=True, min_length=0)
    admin = fields.boolean(body, "isAdmin")
    refuse_unsupported(body)
    uris = uri_lists(body)
    if app.type == "MachineToMachine" and uris.get("redirect_uris"):
        raise invalid_input("Machine-to-machine apps have no redirect URIs.")
    if present(admin):  # idp's one machine-to-machine role, "Logto Management API access"
        apps.grant_management_api(app, admin)
    for column, value in uris.items():
        setattr(app, column, value)
    if present(name):
        app.name = name
    if description:
        configs.put(ctx.db, description_key(app.id), description)
    elif present(description):
        queries.delete_config(ctx.db, description_key(app.id))
    return to_json(ctx, app)


def delete_application(ctx: Context, call: Call) -> None:
    app = find(ctx, call.param("id"))
    queries.delete_config(ctx.db, description_key(app.id))
    queries.delete_row(ctx.db, app)


def find(ctx: Context, app_id: str) -> Application:
    app = apps.get(ctx.db, fields.entity_id(app_id))
    if app is None:
        raise not_found()
    return app


def uri_lists(body: dict[str, Any]) -> dict[str, list[str]]:
    """The URI lists present in `oidcClientMetadata` (missing ones keep their value), each checked."""
    metadata = fields.json_object(body, "oidcClientMetadata")
    if metadata is MISSING:
        return {}
    if any(metadata.get(key) not in (None, False, "") for key in UNSUPPORTED_METADATA):
        raise invalid_input("idp supports only redirectUris and postLogoutRedirectUris in oidcClientMetadata.")
    found = {}
    for key, column in URI_LISTS.items():
        value = fields.string_list(metadata, key)
        if present(value):
            for uri in value:
                check_uri(uri)
            found[column] = value
    return found


def check_uri(uri: str) -> None:
    try:
        apps.check_registered_uri(uri)
    except ValueError:  # urlsplit refuses some malformed hosts (e.g. an unclosed IPv6 bracket)
        raise RequestError("application.invalid_redirect_uri", f"Redirect URI {uri!r} is malformed.") from None


def refuse_unsupported(body: dict[str, Any]) -> None:
    custom = fields.json_object(body, "customClientMetadata")
    if present(custom) and custom:
        raise invalid_input("idp does not support customClientMetadata settings.")
    if fields.boolean(body, "isThirdParty") is True:
        raise invalid_input("idp does not support third-party applications.")
    if body.get("protectedAppMetadata") is not None:
        raise invalid_input("idp does not support protected applications.")


def description_key(app_id: str) -> str:
    return f"application.description.{app_id}"


def to_json(ctx: Context, app: Application, *, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tenantId": "default",
        "id": app.id,
        "name": app.name,
        "description": configs.get(ctx.db, description_key(app.id)),
        "type": app.type,
        "oidcClientMetadata": {"redirectUris": list(app.redirect_uris),
                               "postLogoutRedirectUris": list(app.post_logout_redirect_uris)},
        "customClientMetadata": {},
        "protectedAppMetadata": None,
        "isThirdParty": False,
        "createdAt": int(app.created_at.timestamp() * 1000),
    }
    if secret:
        out["secret"] = secret
    return out
