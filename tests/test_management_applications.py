"""`/api/applications`: Logto's application shape, filters, pagination, partial updates, deletion."""

from __future__ import annotations

import secrets

import pytest

from idp.management.auth import MANAGEMENT_API
from tests.management import assert_error, client_credentials

CALLBACK = "https://rp.example.test/callback"


def create(api, **body):
    body = {"name": f"app-{secrets.token_hex(3)}", "type": "Traditional",
            "oidcClientMetadata": {"redirectUris": [CALLBACK], "postLogoutRedirectUris": []}, **body}
    response = api.post("/api/applications", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_answers_logto_shape_with_the_secret_once(api):
    app = create(api, description="Billing portal")
    assert app["type"] == "Traditional" and app["description"] == "Billing portal"
    assert app["oidcClientMetadata"] == {"redirectUris": [CALLBACK], "postLogoutRedirectUris": []}
    assert len(app["id"]) == 21 and len(app["secret"]) == 32 and isinstance(app["createdAt"], int)
    fetched = api.get(f"/api/applications/{app['id']}").json()
    assert "secret" not in fetched and fetched["isAdmin"] is False
    assert {k: v for k, v in fetched.items() if k != "isAdmin"} == {k: v for k, v in app.items() if k != "secret"}


def test_a_created_machine_to_machine_app_gets_tokens_with_its_secret(idp, api):
    app = create(api, type="MachineToMachine", oidcClientMetadata={"redirectUris": []})
    response = client_credentials(idp, app, resource=MANAGEMENT_API, scope="all")
    assert response.status_code == 200, response.text
    assert api.get(f"/api/applications/{app['id']}").json()["isAdmin"] is False  # until granted the role


def test_public_apps_have_no_secret(api):
    app = create(api, type="SPA")
    assert "secret" not in app


@pytest.mark.both_databases
def test_list_filters_by_type_and_paginates_on_request(api):
    native = [create(api, type="Native")["id"] for _ in range(3)]
    everything = api.get("/api/applications")
    assert everything.status_code == 200 and "total-number" not in everything.headers
    listed = api.get("/api/applications", params={"types": "Native", "page_size": 2})
    ids = [app["id"] for app in listed.json()]
    assert all(app["type"] == "Native" for app in listed.json()) and ids == native[::-1][:2]
    assert int(listed.headers["total-number"]) >= 3 and 'rel="next"' in listed.headers["link"]
    both = api.get("/api/applications", params=[("types", "Native"), ("types", "SPA")]).json()
    assert {app["type"] for app in both} <= {"Native", "SPA"}


def test_search_is_a_like_pattern_on_the_name(api):
    marker = secrets.token_hex(4)
    app = create(api, name=f"Search {marker} app")
    found = api.get("/api/applications", params={"search": f"%{marker.upper()}%"}).json()
    assert [row["id"] for row in found] == [app["id"]]


def test_patch_is_partial_and_merges_client_metadata(api):
    app = create(api, oidcClientMetadata={"redirectUris": [CALLBACK], "postLogoutRedirectUris": [CALLBACK]})
    patched = api.patch(f"/api/applications/{app['id']}", json={
        "name": "Renamed", "oidcClientMetadata": {"redirectUris": ["https://rp.example.test/new"]}})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Renamed" and body["description"] is None
    assert body["oidcClientMetadata"] == {"redirectUris": ["https://rp.example.test/new"],
                                          "postLogoutRedirectUris": [CALLBACK]}
    assert api.patch(f"/api/applications/{app['id']}", json={}).json()["name"] == "Renamed"
    described = api.patch(f"/api/applications/{app['id']}", json={"description": "About"}).json()
    assert described["description"] == "About"
    assert api.patch(f"/api/applications/{app['id']}", json={"description": None}).json()["description"] is None


@pytest.mark.both_databases
def test_delete_removes_the_app_and_its_credentials(idp, api):
    app = create(api, type="MachineToMachine", oidcClientMetadata={"redirectUris": []})
    assert api.delete(f"/api/applications/{app['id']}").status_code == 204
    assert_error(api.get(f"/api/applications/{app['id']}"), 404, "entity.not_found")
    assert_error(api.delete(f"/api/applications/{app['id']}"), 404, "entity.not_found")
    assert client_credentials(idp, app, scope="all").status_code in (400, 401)


@pytest.mark.parametrize("body, code", [
    ({"name": "x", "type": "Protected"}, "guard.invalid_input"),
    ({"type": "SPA"}, "guard.invalid_input"),
    ({"name": "", "type": "SPA"}, "guard.invalid_input"),
    ({"name": 5, "type": "SPA"}, "guard.invalid_input"),
    ({"name": "x", "type": "SPA", "oidcClientMetadata": {"redirectUris": "https://a.example"}}, "guard.invalid_input"),
    ({"name": "x", "type": "SPA", "oidcClientMetadata": {"redirectUris": ["https://a.example/#x"]}},
     "application.invalid_redirect_uri"),
    ({"name": "x", "type": "SPA", "oidcClientMetadata": {"redirectUris": ["http://[::1"]}},
     "application.invalid_redirect_uri"),
    ({"name": "x", "type": "MachineToMachine", "oidcClientMetadata": {"redirectUris": [CALLBACK]}},
     "guard.invalid_input"),
    ({"name": "x", "type": "SPA", "customClientMetadata": {"idTokenTtl": 60}}, "guard.invalid_input"),
    ({"name": "x", "type": "Traditional", "isThirdParty": True}, "guard.invalid_input"),
    ({"name": "x\u0000", "type": "SPA"}, "guard.invalid_input"),
])
def test_invalid_input_is_400(api, body, code):
    assert_error(api.post("/api/applications", json=body), 400, code)


@pytest.mark.parametrize("content, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"name": "x", "type": "SPA"}', "text/plain"),
    (b'{"name": NaN, "type": "SPA"}', "application/json"),
    (b'{"name": "\\ud800", "type": "SPA"}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
])
def test_bodies_that_are_not_json_objects_are_400(api, content, content_type):
    response = api.post("/api/applications", content=content, headers={"Content-Type": content_type})
    assert_error(response, 400, "guard.invalid_input")


@pytest.mark.both_databases
@pytest.mark.parametrize("pattern, expected", [("%\\", {"trailing"}), ("%\\%%", {"percent"}), ("%a_b", {"percent"})])
def test_search_patterns_mean_the_same_on_both_databases(api, pattern, expected):
    marker = secrets.token_hex(4)
    made = {key: create(api, type="SPA", name=f"{marker} {name}")["id"]
            for key, name in {"trailing": "a\\", "percent": "a%b"}.items()}
    response = api.get("/api/applications", params={"search": f"%{marker} {pattern}"})
    assert response.status_code == 200, response.text
    found = {app["id"] for app in response.json()}
    assert {key for key, app_id in made.items() if app_id in found} == expected


def test_bad_pagination_is_400(api):
    for params in ({"page": "0"}, {"page_size": "101"}, {"page": "x"}, {"page": "9" * 5000}):
        assert_error(api.get("/api/applications", params=params), 400, "guard.invalid_pagination")


def test_unknown_ids_are_404(api):
    for app_id in ("nope", "x" * 300, "a%00b"):
        assert_error(api.get(f"/api/applications/{app_id}"), 404, "entity.not_found")
