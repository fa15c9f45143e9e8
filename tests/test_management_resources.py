"""`/api/resources`: API resources, their token lifetime, and the protected management API resource."""

from __future__ import annotations

import secrets

import pytest

from idp.management.auth import MANAGEMENT_API
from tests.management import assert_error, client_credentials


def create(api, **body):
    body = {"name": "Orders API", "indicator": f"https://orders-{secrets.token_hex(4)}.example.test", **body}
    response = api.post("/api/resources", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.both_databases
def test_create_get_patch_delete(api):
    resource = create(api, accessTokenTtl=120)
    assert resource["accessTokenTtl"] == 120 and resource["isDefault"] is False and resource["scopes"] == []
    assert api.get(f"/api/resources/{resource['id']}").json() == {k: v for k, v in resource.items() if k != "scopes"}
    patched = api.patch(f"/api/resources/{resource['id']}", json={"name": "Renamed", "accessTokenTtl": 60}).json()
    assert patched["name"] == "Renamed" and patched["accessTokenTtl"] == 60
    assert patched["indicator"] == resource["indicator"]
    assert api.delete(f"/api/resources/{resource['id']}").status_code == 204
    assert_error(api.get(f"/api/resources/{resource['id']}"), 404, "entity.not_found")


def test_tokens_for_a_resource_follow_its_ttl(idp, api):
    resource = create(api, accessTokenTtl=90)
    app = idp.make_app(type="m2m", redirect_uris=[])
    response = client_credentials(idp, app, resource=resource["indicator"])
    assert response.status_code == 200 and response.json()["expires_in"] == 90


def test_a_taken_indicator_is_422(api):
    resource = create(api)
    response = api.post("/api/resources", json={"name": "Again", "indicator": resource["indicator"]})
    assert_error(response, 422, "resource.resource_identifier_in_use")


def test_the_management_api_is_listed_but_protected(api):
    listed = api.get("/api/resources").json()
    management = next(row for row in listed if row["indicator"] == MANAGEMENT_API)
    assert_error(api.patch(f"/api/resources/{management['id']}", json={"name": "Mine"}), 400,
                 "resource.cannot_modify_management_api")
    assert_error(api.delete(f"/api/resources/{management['id']}"), 400, "resource.cannot_delete_management_api")


def test_list_paginates_on_request(api):
    create(api)
    paged = api.get("/api/resources", params={"page_size": 1, "includeScopes": "true"})
    assert len(paged.json()) == 1 and paged.json()[0]["scopes"] == [] and int(paged.headers["total-number"]) >= 2


@pytest.mark.parametrize("body", [
    {"name": "x"}, {"indicator": "https://a.example"}, {"name": "x", "indicator": "not a uri"},
    {"name": "x", "indicator": "https://a.example/#f"}, {"name": "x\u0000", "indicator": "https://a.example"},
    {"name": "x", "indicator": "https://a.example", "accessTokenTtl": 0},
    {"name": "x", "indicator": "https://a.example", "accessTokenTtl": 2**31},
    {"name": "x", "indicator": "https://a.example", "accessTokenTtl": "60"},
    {"name": "x", "indicator": "https://a.example", "accessTokenTtl": 1.5},
])
def test_invalid_resources_are_400(api, body):
    assert_error(api.post("/api/resources", json=body), 400, "guard.invalid_input")
