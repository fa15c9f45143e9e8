"""The schema exists only through migrations, and the migrations match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import pytest

from idp import models  # noqa: F401
from idp.db import Base, alembic_config
from tests.conftest import POSTGRES_URL
from tests.server import create_database, reset_postgres

@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/migrations.db"
    if not POSTGRES_URL:
        pytest.skip("IDP_TEST_DATABASE_URL is not set")
    separate = create_database(POSTGRES_URL, "idp_migrations")
    reset_postgres(separate)
    return separate

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
