"""Fixtures: a real idp server per database backend, fresh browsers, apps and users, the
development clock and the Management API."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from idp.mail import connectors
from idp.testing import IdpServer
from tests.aliyun import AliyunStub, running_stub
from tests.browser import Browser, new_email
from tests.management import management_api, settings_restored
from tests.server import Server, fresh_database_url, reset_postgres

pytest_plugins = ["pytester"]

POSTGRES_URL = os.environ.get("IDP_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def database_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder}/idp.db"
    assert POSTGRES_URL
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Server tests run on PostgreSQL too only where the database matters: tests marked
    `both_databases` (storage, concurrency, migrations, workers, durability, one end-to-end flow
    per feature). Everything else runs once, on SQLite."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgresql"
        (dropped if on_postgres and item.get_closest_marker("both_databases") is None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def idp(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared development-mode server of `backend`, with the demo application `idp serve` creates."""
    folder = tmp_path_factory.mktemp(f"idp-{backend}")
    server = Server(database_url=database_url(backend, folder), data_dir=folder, extra_env={"IDP_DEV": "1"})
    server.start(demo=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def production(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of `backend` out of development mode (IDP_DEV=0): no outbox and no development
    controls, so it sends email only through a configured connector."""
    folder = tmp_path_factory.mktemp(f"production-{backend}")
    server = Server(database_url=fresh_database_url(backend, folder, "production"), data_dir=folder,
                    extra_env={"IDP_DEV": "0"})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def no_sender(production: Server) -> Server:
    """The production server, without an email connector."""
    with production.db() as tx:
        connectors.remove(tx)
    return production


@pytest.fixture
def travel(idp: Server) -> Iterator[Callable[[float], dict[str, Any]]]:
    """Move the server's time forward by some seconds (every process on its database); real time
    again after the test. Returns the server's clock: `{"now": ISO time, "offset": seconds}`."""

    def advance(seconds: float) -> dict[str, Any]:
        return idp.dev("POST", "clock", {"advance": seconds})

    yield advance
    idp.dev("POST", "clock", {"offset": 0})


@pytest.fixture
def browser(idp: Server) -> Iterator[Browser]:
    client = Browser(idp.endpoint)
    yield client
    client.close()


@pytest.fixture
def new_browser() -> Iterator[Callable[[IdpServer], Browser]]:
    """Open more browsers, on any server; each is closed after the test."""
    opened: list[Browser] = []

    def open_on(server: IdpServer) -> Browser:
        opened.append(Browser(server.endpoint))
        return opened[-1]

    yield open_on
    for browser in opened:
        browser.close()


@pytest.fixture(scope="module")
def stub() -> Iterator[AliyunStub]:
    """A local Aliyun Direct Mail that checks every signature (see tests/aliyun.py)."""
    with running_stub() as running:
        yield running


@pytest.fixture
def email() -> str:
    return new_email()


@pytest.fixture
def user(idp: Server, email: str) -> dict:
    return idp.make_user(email)


@pytest.fixture
def app(idp: Server) -> dict:
    return idp.make_app(post_logout_redirect_uris=["https://rp.example.test/logged-out"])


@pytest.fixture
def api(idp: Server) -> Iterator[httpx.Client]:
    """A Management API client with a valid management token (see tests/management.py)."""
    with management_api(idp) as client:
        yield client


@pytest.fixture
def sign_in_experience(idp: Server, api: httpx.Client) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Change the sign-in experience (a PATCH of the Management API); it is put back after the test."""

    def change(document: dict[str, Any]) -> None:
        response = api.patch("/api/sign-in-exp", json=document)
        assert response.status_code == 200, response.text

    with settings_restored(idp):
        yield change
