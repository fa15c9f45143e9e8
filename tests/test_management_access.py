"""Which machine-to-machine apps may call the Management API: those granted Logto's
"Logto Management API access" role (`idp app create --management-api`, a seed field, or the
Management API's application roles). Any other gets a token without the `all` scope, which the
Management API refuses as Logto does: 403 `auth.forbidden`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idp.management.auth import MANAGEMENT_API, ensure_management_resource
from tests.flows import client_credentials
from tests.management import assert_error, management_api
from tests.server import Server

pytestmark = pytest.mark.both_databases

ROLE_NAME = "Logto Management API access"


@pytest.fixture
def api(idp: Server) -> httpx.Client:
    with idp.db() as tx:
        ensure_management_resource(tx)
    with management_api(idp) as client:
        yield client


def token_for(idp: Server, app: dict[str, Any]) -> httpx.Response:
    return client_credentials(idp, app, resource=MANAGEMENT_API, scope="all")


def calls(idp: Server, app: dict[str, Any]) -> httpx.Response:
    token = token_for(idp, app).json()["access_token"]
    return httpx.get(f"{idp.endpoint}/api/applications", headers={"Authorization": f"Bearer {token}"})


def role_id(api: httpx.Client) -> str:
    listed = api.get("/api/roles", params={"type": "MachineToMachine"})
    assert listed.status_code == 200, listed.text
    [role] = [role for role in listed.json() if role["name"] == ROLE_NAME]
    return role["id"]


def test_an_m2m_app_without_the_role_gets_no_management_scope_and_is_refused(idp, api):
    app = idp.make_app(type="m2m", redirect_uris=[])
    issued = token_for(idp, app)
    assert issued.status_code == 200, issued.text
    assert "all" not in (issued.json().get("scope") or "").split()
    assert_error(calls(idp, app), 403, "auth.forbidden")


def test_the_command_line_grants_the_role(idp, api):
    granted = idp.cli("app", "create", "--name", "Ops", "--type", "m2m", "--management-api")
    plain = idp.cli("app", "create", "--name", "Reports", "--type", "m2m")
    assert granted["management_api"] is True and plain["management_api"] is False
    assert calls(idp, granted).status_code == 200
    assert token_for(idp, granted).json()["scope"] == "all"
    assert_error(calls(idp, plain), 403, "auth.forbidden")


def test_the_role_is_for_machine_to_machine_apps_only(idp, api, tmp_path):
    refused = httpx.post(f"{idp.endpoint}/api/dev/seed", json={"applications": [
        {"name": "Web", "type": "traditional", "redirect_uris": ["https://rp.example.test/cb"],
         "management_api": True}]})
    assert refused.status_code == 400, refused.text
    web = idp.make_app()
    assert_error(api.get(f"/api/applications/{web['id']}/roles"), 422, "application.invalid_type")
    assert_error(api.post(f"/api/applications/{web['id']}/roles", json={"roleIds": [role_id(api)]}), 422,
                 "application.invalid_type")


def test_a_seed_field_grants_the_role_and_takes_it_back(idp, api):
    [app] = idp.seed({"applications": [{"id": "seeded-ops", "name": "Ops", "type": "m2m", "secret": "s" * 32,
                                        "redirect_uris": [], "management_api": True}]})["applications"]
    assert calls(idp, {**app, "secret": "s" * 32}).status_code == 200
    idp.seed({"applications": [{"id": "seeded-ops", "name": "Ops", "type": "m2m", "secret": "s" * 32,
                                "redirect_uris": [], "management_api": False}]})
    assert_error(calls(idp, {**app, "secret": "s" * 32}), 403, "auth.forbidden")


def test_the_testing_helper_creates_management_clients(idp, api):
    app = idp.create_app(type="m2m", management_api=True)
    assert calls(idp, app).status_code == 200


def test_application_roles_grant_and_revoke_at_once(idp, api):
    app = idp.make_app(type="m2m", redirect_uris=[])
    role = role_id(api)
    assert api.get(f"/api/applications/{app['id']}/roles").json() == []
    assert api.get(f"/api/applications/{app['id']}").json()["isAdmin"] is False

    added = api.post(f"/api/applications/{app['id']}/roles", json={"roleIds": [role]})
    assert added.status_code == 201 and added.json() == {"roleIds": [role], "addedRoleIds": [role]}
    assert api.post(f"/api/applications/{app['id']}/roles", json={"roleIds": [role]}).json()["addedRoleIds"] == []
    [listed] = api.get(f"/api/applications/{app['id']}/roles").json()
    assert (listed["id"], listed["name"], listed["type"]) == (role, ROLE_NAME, "MachineToMachine")
    token = token_for(idp, app).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{idp.endpoint}/api/users", headers=headers).status_code == 200

    assert api.delete(f"/api/applications/{app['id']}/roles/{role}").status_code == 204
    assert_error(httpx.get(f"{idp.endpoint}/api/users", headers=headers), 403, "auth.forbidden")
    assert_error(api.delete(f"/api/applications/{app['id']}/roles/{role}"), 404, "entity.not_found")

    assert api.put(f"/api/applications/{app['id']}/roles", json={"roleIds": [role]}).status_code == 204
    assert httpx.get(f"{idp.endpoint}/api/users", headers=headers).status_code == 200
    assert api.put(f"/api/applications/{app['id']}/roles", json={"roleIds": []}).status_code == 204
    assert_error(httpx.get(f"{idp.endpoint}/api/users", headers=headers), 403, "auth.forbidden")


def test_is_admin_follows_the_role(idp, api):
    app = idp.make_app(type="m2m", redirect_uris=[])
    patched = api.patch(f"/api/applications/{app['id']}", json={"isAdmin": True})
    assert patched.status_code == 200, patched.text
    assert api.get(f"/api/applications/{app['id']}").json()["isAdmin"] is True
    assert calls(idp, app).status_code == 200
    api.patch(f"/api/applications/{app['id']}", json={"isAdmin": False})
    assert_error(calls(idp, app), 403, "auth.forbidden")


def test_unknown_roles_and_applications(idp, api):
    app = idp.make_app(type="m2m", redirect_uris=[])
    refused = api.post(f"/api/applications/{app['id']}/roles", json={"roleIds": ["no-such-role"]})
    assert_error(refused, 404, "entity.not_exists_with_id")
    assert_error(api.post(f"/api/applications/{app['id']}/roles", json={}), 400, "guard.invalid_input")
    nothing = api.post(f"/api/applications/{app['id']}/roles", json={"roleIds": []})
    assert nothing.status_code == 201 and nothing.json() == {"roleIds": [], "addedRoleIds": []}
    assert_error(api.get("/api/applications/no-such-app/roles"), 404, "entity.not_found")
    assert_error(api.get("/api/roles/no-such-role"), 404, "entity.not_exists_with_id")
    assert api.get(f"/api/roles/{role_id(api)}").json()["name"] == ROLE_NAME
    assert api.get("/api/roles", params={"type": "User"}).json() == []
