"""A real idp server on loopback, started as `python -m idp serve`, and direct database access."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from idp.db import make_engine, make_sessionmaker
from idp.store import apps, users


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def create_database(url: str, name: str) -> str:
    """A PostgreSQL database of its own beside `url`'s, for servers that must not share tables."""
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
    base = os.environ["IDP_TEST_DATABASE_URL"]
    url = create_database(base, name)
    reset_postgres(url)
    return url


@dataclass
class Server:
    """One idp process (or several sharing a database) and helpers to seed it."""

    database_url: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sessions = make_sessionmaker(make_engine(self.database_url))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/oidc"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "IDP_ENDPOINT": self.endpoint,
            "IDP_PORT": str(self.port),
            "IDP_DATABASE_URL": self.database_url,
            "IDP_DATA_DIR": str(self.data_dir),
            **self.extra_env,
        }

    def start(self, *args: str, port: int | None = None) -> subprocess.Popen:
        env = self.env
        if port is not None:
            env["IDP_PORT"] = str(port)
        log = open(self.data_dir / f"server-{len(self.processes)}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--no-demo", *args], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_ready(f"http://127.0.0.1:{port or self.port}", process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(10)
        self.processes.clear()

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
                post_logout_redirect_uris=post_logout_redirect_uris or [], now=datetime.now(timezone.utc), **extra,
            )
            return apps.to_json(app, secret)

    def outbox(self, to: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.endpoint}/api/dev/outbox", params={"to": to}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def last_code(self, to: str) -> str:
        messages = self.outbox(to)
        assert messages, f"no message was sent to {to}"
        return messages[0]["code"]

    def make_user(self, email: str, password: str | None = "Correct-Horse-9", **extra: Any) -> dict[str, Any]:
        with self.db() as tx:
            user = users.create(tx, now=datetime.now(timezone.utc), email=email, password=password, **extra)
            return {**users.to_json(user), "password": password, "email": email}


def wait_ready(endpoint: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"idp exited with {process.returncode}")
        try:
            if httpx.get(f"{endpoint}/oidc/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError("idp did not become ready")
