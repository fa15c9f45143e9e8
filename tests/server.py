"""idp servers for idp's own tests: `idp.testing.IdpServer` plus direct database access."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from idp import security
from idp.db import make_engine, make_sessionmaker
from idp.store import apps, users
from idp.testing import IdpServer, free_port

__all__ = ["Server", "create_database", "free_port", "fresh_database_url", "reset_postgres", "two_workers"]


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def create_database(url: str, name: str) -> str:
    """A PostgreSQL database of its own beside `url`'s, for servers that must not share tables.

    Its name starts with `url`'s database name, so that runs against different test databases
    on one server never share one."""
    name = f"{url.rsplit('/', 1)[1]}_{name}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).scalar():
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def fresh_database_url(backend: str, folder: Path, name: str) -> str:
    """An empty database: a SQLite file in `folder`, or a reset PostgreSQL database `name`."""
    if backend == "sqlite":
        return f"sqlite:///{folder}/{name}.db"
    url = create_database(os.environ["IDP_TEST_DATABASE_URL"], name)
    reset_postgres(url)
    return url


class Server(IdpServer):
    """A development-mode idp (IDP_DEV can be turned off through `extra_env`) whose database the
    test can also reach directly."""

    def __init__(self, database_url: str, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, database_url=database_url, env=extra_env)
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)

    def stop(self) -> None:
        super().stop()
        self.engine.dispose()  # close the pooled connections; the engine opens new ones if used again

    def cli(self, *args: str) -> Any:
        result = subprocess.run([sys.executable, "-m", "idp", *args], env=self.env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    @contextmanager
    def db(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def make_app(self, type: str = "traditional", redirect_uris: list[str] | None = None,
                 post_logout_redirect_uris: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        with self.db() as tx:
            app, secret = apps.create(
                tx, name=extra.pop("name", "Test app"), type=type,
                redirect_uris=redirect_uris if redirect_uris is not None else ["https://rp.example.test/cb"],
                post_logout_redirect_uris=post_logout_redirect_uris or [], now=datetime.now(UTC), **extra,
            )
            return apps.to_json(app, secret)

    def make_user(self, email: str, password: str | None = "Correct-Horse-9", **extra: Any) -> dict[str, Any]:
        with self.db() as tx:
            user = users.create(tx, now=datetime.now(UTC), email=email,
                                password_hash=password_hash(password) if password else None, **extra)
            return {**users.to_json(user), "password": password, "email": email}


@contextmanager
def two_workers(backend: str, folder: Path, name: str,
                env: dict[str, str] | None = None) -> Iterator[tuple[Server, str]]:
    """Two `idp serve` processes on one fresh database: the server (first worker) and the second
    worker's base URL."""
    server = Server(database_url=fresh_database_url(backend, folder, name), data_dir=folder,
                    extra_env={"IDP_DEV": "1", **(env or {})})
    server.start()
    other_port = free_port()
    server.start(port=other_port)
    try:
        yield server, f"http://127.0.0.1:{other_port}"
    finally:
        server.stop()


@cache
def password_hash(password: str) -> str:
    """idp's hash of `password`, computed once per password: argon2 is slow on purpose, and most
    test users share one password."""
    return security.hash_password(password)
