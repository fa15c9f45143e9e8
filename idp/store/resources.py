"""API resources (RFC 8707 resource indicators)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp import security
from idp.errors import RequestError
from idp.models import Resource

# Logto's Management API resource indicator (OSS, default tenant).
MANAGEMENT_API = "https://default.logto.app/api"


def by_indicator(db: Session, indicator: str) -> Resource | None:
    return db.scalar(select(Resource).where(Resource.indicator == indicator))


def list_all(db: Session) -> list[Resource]:
    return list(db.scalars(select(Resource).order_by(Resource.indicator)))


def create(db: Session, *, indicator: str, name: str | None = None, access_token_ttl: int = 3600,
           resource_id: str | None = None) -> Resource:
    if by_indicator(db, indicator):
        raise RequestError("resource.resource_indicator_already_exists", "The resource indicator already exists.", 422)
    row = Resource(id=resource_id or security.app_id(), name=name or indicator, indicator=indicator,
                   access_token_ttl=access_token_ttl)
    db.add(row)
    return row


def to_json(row: Resource) -> dict:
    return {"id": row.id, "name": row.name, "indicator": row.indicator, "accessTokenTtl": row.access_token_ttl}
