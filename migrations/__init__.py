"""Alembic migrations: the only way idp's schema is created or changed."""
