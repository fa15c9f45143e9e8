"""The schema exists only through migrations, and the migrations match the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from idp import models  # noqa: F401
from idp.db import Base, alembic_config
from tests.server import fresh_database_url

pytestmark = pytest.mark.both_databases


@pytest.fixture
def url(backend: str, tmp_path) -> str:
    """An empty database of its own (never the shared server's)."""
    return fresh_database_url(backend, tmp_path, "migrations")


def drift(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade_leaves_no_drift(url):
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert drift(url) == []
    command.downgrade(config, "base")
    assert tables(url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert drift(url) == []
    assert set(Base.metadata.tables) <= tables(url)
