"""The statements the Management API needs beyond `idp.store`: filtered lists, counts, deletes.

Deleting a user or an application cascades (foreign keys) to its sessions, grants, codes and
tokens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from idp.management.paging import Page
from idp.models import Application, Config, Resource, User


def page_of(db: Session, query: Select, page: Page | None) -> tuple[list[Any], int]:
    """The rows of `query` on `page` (all of them when None) and how many match in total."""
    if page is None:
        rows = list(db.scalars(query))
        return rows, len(rows)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return list(db.scalars(query.limit(page.size).offset(page.offset))), total


def applications(types: list[str], condition: Any = None) -> Select:
    query = select(Application).order_by(Application.created_at.desc(), Application.id)
    if types:
        query = query.where(Application.type.in_(types))
    return query if condition is None else query.where(condition)


def users(condition: Any = None) -> Select:
    query = select(User).order_by(User.created_at.desc(), User.id)
    return query if condition is None else query.where(condition)


def resources() -> Select:
    return select(Resource).order_by(Resource.name, Resource.indicator)


def delete_row(db: Session, row: Application | User | Resource) -> None:
    db.delete(row)
    db.flush()


def delete_config(db: Session, key: str) -> None:
    db.execute(delete(Config).where(Config.key == key))
