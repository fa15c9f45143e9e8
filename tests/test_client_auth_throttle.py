"""Failed client authentication is throttled per client and per source address, across workers,
at the token, revocation and introspection endpoints."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.flows import assert_token_error
from tests.server import Server, two_workers

pytestmark = pytest.mark.both_databases

PER_CLIENT = 5
PER_ADDRESS = 12
WINDOW = 600
BURST = 30
ENDPOINTS = ("token", "token/revocation", "token/introspection")
LIMITS = {"IDP_CLIENT_AUTH_FAILURE_LIMIT": str(PER_CLIENT), "IDP_CLIENT_AUTH_ADDRESS_FAILURE_LIMIT": str(PER_ADDRESS),
          "IDP_CLIENT_AUTH_FAILURE_WINDOW": str(WINDOW)}


@pytest.fixture(scope="module")
def pair(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with two_workers(backend, tmp_path_factory.mktemp(f"throttle-{backend}"), "idp_throttle", LIMITS) as running:
        yield running


@pytest.fixture
def server(pair) -> Server:
    """The first worker, with no failure counted yet (every test comes from the same address)."""
    server, _ = pair
    server.reset()
    return server


def form(endpoint: str) -> dict[str, str]:
    return {"grant_type": "client_credentials"} if endpoint == "token" else {"token": secrets.token_urlsafe(32)}


def call(base: str, endpoint: str, client_id: str, secret: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{base}/oidc/{endpoint}", data=form(endpoint), auth=(client_id, secret), headers=headers,
                      timeout=60)


def burst(pair, credentials: list[tuple[str, str]]) -> list[httpx.Response]:
    """Each (client id, secret) at once, spread over the workers and the three endpoints."""

    bases = (pair[0].endpoint, pair[1])

    def send(item: tuple[int, tuple[str, str]]) -> httpx.Response:
        index, (client_id, secret) = item
        return call(bases[index % 2], ENDPOINTS[index % 3], client_id, secret)

    with ThreadPoolExecutor(len(credentials)) as pool:
        return list(pool.map(send, enumerate(credentials)))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def assert_throttled(response: httpx.Response) -> None:
    assert_token_error(response, "invalid_client", 429)
    assert 0 < int(response.headers["retry-after"]) <= WINDOW


def test_a_burst_of_wrong_secrets_for_one_client_evaluates_exactly_the_budget(pair, server):
    m2m = server.make_app(type="m2m", redirect_uris=[])
    answers = burst(pair, [(m2m["id"], f"wrong-{n}") for n in range(BURST)])
    assert statuses(answers) == {401: PER_CLIENT, 429: BURST - PER_CLIENT}
    for answer in answers:
        if answer.status_code == 401:
            assert_token_error(answer, "invalid_client", 401)
        else:
            assert_throttled(answer)
    # The right secret is refused alike, at every endpoint and worker, until the throttle ends.
    for base in (server.endpoint, pair[1]):
        for endpoint in ENDPOINTS:
            assert_throttled(call(base, endpoint, m2m["id"], m2m["secret"]))
    server.advance_clock(WINDOW + 1)
    assert call(pair[1], "token", m2m["id"], m2m["secret"]).status_code == 200


def test_wrong_secrets_from_one_address_throttle_every_client_it_tries(pair, server):
    m2m = server.make_app(type="m2m", redirect_uris=[])
    guesses = [(f"unknown-{secrets.token_hex(4)}", "wrong") for _ in range(BURST)]
    assert statuses(burst(pair, guesses)) == {401: PER_ADDRESS, 429: BURST - PER_ADDRESS}
    # Another client, with its right secret, from that address; a forwarded-for header changes nothing.
    assert_throttled(call(server.endpoint, "token", m2m["id"], m2m["secret"]))
    assert_throttled(call(pair[1], "token", m2m["id"], m2m["secret"], **{"X-Forwarded-For": "203.0.113.7"}))


def test_successful_authentications_are_not_counted(pair, server):
    m2m = server.make_app(type="m2m", redirect_uris=[])
    assert statuses(burst(pair, [(m2m["id"], m2m["secret"])] * BURST)) == {200: BURST}
    for _ in range(PER_CLIENT - 1):
        assert call(server.endpoint, "token", m2m["id"], "wrong").status_code == 401
    assert call(server.endpoint, "token", m2m["id"], m2m["secret"]).status_code == 200
    assert call(server.endpoint, "token", m2m["id"], "wrong").status_code == 401
    assert_throttled(call(server.endpoint, "token", m2m["id"], m2m["secret"]))


def test_a_public_clients_id_is_not_throttled(pair, server):
    """A public client has no secret to guess, and its id is public: throttling it would only let
    anyone shut it out. Its failures still count against the address."""
    spa = server.make_app(type="spa")
    guesses = [(spa["id"], f"guess-{n}") for n in range(PER_CLIENT + 2)]
    assert statuses(burst(pair, guesses)) == {401: PER_CLIENT + 2}
    refresh = httpx.post(f"{server.issuer}/token", data={"grant_type": "refresh_token", "client_id": spa["id"],
                                                         "refresh_token": secrets.token_urlsafe(32)})
    assert_token_error(refresh, "invalid_grant")
