"""IDP_SIGNING_KEY_FILE keeps the signing key stable across restarts and fresh databases."""

from __future__ import annotations

import httpx

from tests.server import Server


def published_kids(server: Server) -> list[str]:
    return [key["kid"] for key in httpx.get(f"{server.issuer}/jwks").json()["keys"]]


def test_the_key_file_survives_a_fresh_database(tmp_path):
    key_file = tmp_path / "keys" / "signing.pem"
    kids = []
    for run in range(2):
        server = Server(database_url=f"sqlite:///{tmp_path}/run{run}.db", data_dir=tmp_path,
                        extra_env={"IDP_SIGNING_KEY_FILE": str(key_file)})
        server.start()
        try:
            kids.append(published_kids(server)[0])
        finally:
            server.stop()
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert kids[0] == kids[1]
