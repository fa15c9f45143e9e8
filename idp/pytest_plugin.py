"""pytest fixtures for testing an application against a real idp (registered as `pytest11`).

- `idp_server`: one idp for the whole session (development mode, SQLite in a temporary folder).
- `idp`: the same server, emptied of users, sessions, codes and tokens before each test.
- `idp_mailbox`: `idp_mailbox.last_code(email)` reads the code that was "sent", waiting for it.

Each is an `idp.testing.IdpServer`: `create_app`, `create_user`, `seed`, `sign_in`, `last_code`,
`advance_clock`, `reset`, `endpoint`, `issuer`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.testing import IdpServer


@pytest.fixture(scope="session")
def idp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpServer]:
    with IdpServer(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.fixture
def idp(idp_server: IdpServer) -> IdpServer:
    idp_server.reset()
    return idp_server


@pytest.fixture
def idp_mailbox(idp_server: IdpServer) -> IdpServer:
    return idp_server
