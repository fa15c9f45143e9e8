"""`/api/resources`: API resources (RFC 8707 indicators) in Logto's shape.

idp has no permission scopes per resource and no default resource: `scopes` is always empty
and `isDefault` always false. The management API resource cannot be changed or deleted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from idp.errors import RequestError, invalid_input, not_found
from idp.management import fields, paging, queries
from idp.management.auth import MANAGEMENT_API
from idp.management.call import Call, Reply
from idp.management.fields import present
from idp.models import Resource
from idp.services import Context
from idp.store import resources

MAX_TTL = 2**31 - 1
TRUE_WORDS = ("true", "1", "yes")


def list_resources(ctx: Context, call: Call) -> Reply:
    page = paging.read(call.query, optional=True)
    rows, total = queries.page_of(ctx.db, queries.resources(), page)
    with_scopes = call.query.get("includeScopes", "").lower() in TRUE_WORDS
    body = [{**to_json(row), "scopes": []} if with_scopes else to_json(row) for row in rows]
    return paging.reply(body, page, total, call.url)


def create_resource(ctx: Context, call: Call) -> Reply:
    body = call.body
    name = fields.text(body, "name", required=True)
    indicator = check_indicator(fields.text(body, "indicator", required=True, max_length=2048))
    ttl = fields.integer(body, "accessTokenTtl", minimum=1, maximum=MAX_TTL)
    if resources.by_indicator(ctx.db, indicator):
        raise RequestError("resource.resource_identifier_in_use",
                           f"The API identifier {indicator} is already in use.", 422)
    row = resources.create(ctx.db, indicator=indicator, name=name, access_token_ttl=ttl if present(ttl) else 3600)
    return Reply({**to_json(row), "scopes": []}, status=201)


def get_resource(ctx: Context, call: Call) -> dict[str, Any]:
    return to_json(find(ctx, call))


def update_resource(ctx: Context, call: Call) -> dict[str, Any]:
    row = find(ctx, call)
    name = fields.text(call.body, "name")
    ttl = fields.integer(call.body, "accessTokenTtl", minimum=1, maximum=MAX_TTL)
    if row.indicator == MANAGEMENT_API:
        raise RequestError("resource.cannot_modify_management_api", "Cannot modify the management API.", 400)
    if present(name):
        row.name = name
    if present(ttl):
        row.access_token_ttl = ttl
    return to_json(row)


def delete_resource(ctx: Context, call: Call) -> None:
    row = find(ctx, call)
    if row.indicator == MANAGEMENT_API:
        raise RequestError("resource.cannot_delete_management_api", "Cannot delete the management API.", 400)
    queries.delete_row(ctx.db, row)


def find(ctx: Context, call: Call) -> Resource:
    row = ctx.db.get(Resource, fields.entity_id(call.param("id")))
    if row is None:
        raise not_found()
    return row


def check_indicator(value: str) -> str:
    """An absolute URI without a fragment (RFC 8707 §2)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or "#" in value or any(c.isspace() for c in value):
        raise invalid_input("indicator must be an absolute URI without a fragment.")
    return value


def to_json(row: Resource) -> dict[str, Any]:
    return {"tenantId": "default", "id": row.id, "name": row.name, "indicator": row.indicator,
            "isDefault": False, "accessTokenTtl": row.access_token_ttl}
