"""Alembic environment: the URL comes from the caller or from IDP_DATABASE_URL."""

from alembic import context

from idp import models  # noqa: F401  (registers the tables on Base.metadata)
from idp.db import Base, make_engine
from idp.settings import Settings

config = context.config
url = config.attributes.get("database_url") or Settings.from_env().database_url
connection = config.attributes.get("connection")


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
