"""The Management API as the tests call it: a machine-to-machine client with a management token,
Logto-shaped error checks, and server-wide settings put back after a test changes them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from idp.experience import config
from idp.mail import connectors
from idp.management.auth import MANAGEMENT_API, ensure_management_resource
from tests.flows import client_credentials
from tests.server import Server

_clients: dict[str, tuple[dict[str, Any], str]] = {}


def management_client(idp: Server) -> tuple[dict[str, Any], str]:
    """A machine-to-machine app and its management token (one per server, reused)."""
    if idp.endpoint not in _clients:
        with idp.db() as tx:
            ensure_management_resource(tx)
        app = idp.make_app(type="m2m", redirect_uris=[], name="Management test client", management_api=True)
        response = client_credentials(idp, app, resource=MANAGEMENT_API, scope="all")
        assert response.status_code == 200, response.text
        _clients[idp.endpoint] = app, response.json()["access_token"]
    return _clients[idp.endpoint]


def management_token(idp: Server) -> str:
    return management_client(idp)[1]


def management_api(idp: Server) -> httpx.Client:
    """A client that calls `idp`'s Management API with a valid management token."""
    return httpx.Client(base_url=idp.endpoint, timeout=30,
                        headers={"Authorization": f"Bearer {management_token(idp)}"})


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A Logto-shaped error: `status`, and a body `{code, message, ...}` with `code`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and isinstance(body["message"], str), body
    return body


@contextmanager
def settings_restored(idp: Server) -> Iterator[None]:
    """Put back the server-wide settings (sign-in experience, email connector) a test changes."""
    with idp.db() as tx:
        experience, connector = config.load(tx), connectors.get_active(tx)
    try:
        yield
    finally:
        with idp.db() as tx:
            config.save(tx, experience)
            if connector:
                connectors.set_active(tx, connector["name"], connector["config"])
            else:
                connectors.remove(tx)
