"""`/api/users`: Logto's user management, search and pagination, and what changes mean for sign-in."""

from __future__ import annotations

import secrets

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type

from tests.browser import new_email
from tests.flows import is_signed_in, refresh, sign_in, tokens_for, userinfo
from tests.management import assert_error


def create(api, **body):
    response = api.post("/api/users", json={"primaryEmail": new_email(), **body})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.both_databases
def test_create_and_get_in_logto_shape(api):
    email = new_email()
    user = create(api, primaryEmail=email, username=f"u_{secrets.token_hex(3)}", name="Ann", password="Pa55-word!",
                  customData={"plan": "pro"}, profile={"givenName": "Ann", "unknown": 1}, avatar="https://a.test/x.png")
    assert user["primaryEmail"] == email and user["hasPassword"] is True and user["isSuspended"] is False
    assert user["customData"] == {"plan": "pro"} and user["profile"] == {"givenName": "Ann"}
    assert user["primaryPhone"] is None and user["identities"] == {} and len(user["id"]) == 12
    assert api.get(f"/api/users/{user['id']}").json() == user


def test_an_empty_user_may_be_created(api):
    response = api.post("/api/users", json={})
    assert response.status_code == 200 and response.json()["primaryEmail"] is None


@pytest.mark.both_databases
def test_taken_email_and_username_are_422(api):
    user = create(api, username=f"taken_{secrets.token_hex(3)}")
    assert_error(api.post("/api/users", json={"primaryEmail": user["primaryEmail"].upper()}), 422,
                 "user.email_already_in_use")
    assert_error(api.post("/api/users", json={"username": user["username"]}), 422, "user.username_already_in_use")
    other = create(api)
    assert_error(api.patch(f"/api/users/{other['id']}", json={"username": user["username"]}), 422,
                 "user.username_already_in_use")
    assert_error(api.patch(f"/api/users/{other['id']}", json={"primaryEmail": user["primaryEmail"]}), 422,
                 "user.email_already_in_use")


@pytest.mark.both_databases
def test_search_and_pages(api):
    marker = secrets.token_hex(4)
    made = [create(api, name=f"Searchable {marker} {n}")["id"] for n in range(3)]
    first = api.get("/api/users", params={"search": f"%{marker}%", "page_size": 2})
    assert first.status_code == 200 and first.headers["total-number"] == "3"
    assert [u["id"] for u in first.json()] == made[::-1][:2]
    second = api.get("/api/users", params={"search": f"%{marker}%", "page_size": 2, "page": 2})
    assert [u["id"] for u in second.json()] == made[:1] and 'rel="prev"' in second.headers["link"]
    by_email = api.get("/api/users", params={"search.primaryEmail": "%EXAMPLE.TEST", "search.name": f"%{marker}%",
                                            "joint": "and"}).json()
    assert sorted(u["id"] for u in by_email) == sorted(made)
    exact = api.get("/api/users", params={"search.name": f"searchable {marker} 1", "mode": "exact"}).json()
    assert [u["id"] for u in exact] == [made[1]]


SEARCHED_NAMES = {"backslash": "a\\b", "trailing": "a\\", "percent": "a%b", "underscore": "a_b", "plain": "ab"}


@pytest.mark.parametrize("pattern, expected", [
    ("a\\", {"trailing"}),
    ("%\\", {"trailing"}),
    ("%\\%%", {"percent"}),
    ("%\\_%", {"underscore"}),
    ("%\\\\%", {"backslash", "trailing"}),
    ("a_b", {"backslash", "percent", "underscore"}),
    ("a\\b", {"plain"}),
    ("a%", set(SEARCHED_NAMES)),
])
def test_search_patterns_mean_the_same_on_both_databases(api, pattern, expected):
    """A LIKE pattern whose escape is a backslash, as in PostgreSQL; a lone one at the end stands for itself."""
    marker = secrets.token_hex(4)
    made = {key: create(api, name=f"{marker} {name}")["id"] for key, name in SEARCHED_NAMES.items()}
    response = api.get("/api/users", params={"search.name": f"%{marker} {pattern}"})
    assert response.status_code == 200, response.text
    found = {user["id"] for user in response.json()}
    assert {key for key, user_id in made.items() if user_id in found} == expected


def test_user_list_is_always_paginated(api):
    response = api.get("/api/users")
    assert response.status_code == 200 and len(response.json()) <= 20 and "total-number" in response.headers


@pytest.mark.parametrize("params", [{"search": ""}, {"search.password": "x"}, {"mode": "posix", "search": "x"},
                                    {"joint": "xor", "search": "x"}, {"search": "a\u0000"}])
@pytest.mark.both_databases
def test_bad_search_is_400(api, params):
    assert_error(api.get("/api/users", params=params), 400, "request.invalid_input")


@pytest.mark.both_databases
def test_patch_replaces_custom_data_and_profile_while_their_routes_merge(api):
    user = create(api, customData={"a": 1, "b": 2}, profile={"givenName": "A", "familyName": "B"})
    merged = api.patch(f"/api/users/{user['id']}/custom-data", json={"customData": {"b": 3, "c": 4}})
    assert merged.json() == {"a": 1, "b": 3, "c": 4}
    profile = api.patch(f"/api/users/{user['id']}/profile", json={"profile": {"familyName": "C"}})
    assert profile.json() == {"givenName": "A", "familyName": "C"}
    replaced = api.patch(f"/api/users/{user['id']}", json={"customData": {"z": 0}, "profile": {}, "name": "Zed"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["customData"] == {"z": 0} and replaced.json()["profile"] == {}
    assert api.get(f"/api/users/{user['id']}/custom-data").json() == {"z": 0}
    assert replaced.json()["updatedAt"] >= user["updatedAt"]


def test_patch_clears_identifiers_with_null_or_empty(api):
    user = create(api, username=f"clear_{secrets.token_hex(3)}")
    cleared = api.patch(f"/api/users/{user['id']}", json={"username": "", "primaryEmail": None}).json()
    assert cleared["username"] is None and cleared["primaryEmail"] is None


def test_a_password_set_by_the_api_signs_in(idp, api, app, new_browser):
    user = create(api)
    assert api.get(f"/api/users/{user['id']}/has-password").json() == {"hasPassword": False}
    assert api.patch(f"/api/users/{user['id']}/password", json={"password": "Fresh-Ladder-7"}).json()["hasPassword"]
    assert api.post(f"/api/users/{user['id']}/password/verify", json={"password": "Fresh-Ladder-7"}).status_code == 204
    assert_error(api.post(f"/api/users/{user['id']}/password/verify", json={"password": "wrong"}), 422,
                 "session.invalid_credentials")
    browser = new_browser(idp)
    assert "code" in sign_in(browser, app, {"email": user["primaryEmail"], "password": "Fresh-Ladder-7"}).params


def test_an_imported_argon2_digest_signs_in(idp, api, app, new_browser):
    digest = PasswordHasher(type=Type.I).hash("Imported-Pass-1")
    user = create(api, passwordDigest=digest, passwordAlgorithm="Argon2i")
    browser = new_browser(idp)
    assert "code" in sign_in(browser, app, {"email": user["primaryEmail"], "password": "Imported-Pass-1"}).params
    assert_error(api.post("/api/users", json={"passwordDigest": digest}), 400, "user.password_algorithm_required")
    both = {"password": "x", "passwordDigest": digest, "passwordAlgorithm": "Argon2i"}
    assert_error(api.post("/api/users", json=both), 400, "user.password_and_digest")
    assert_error(api.post("/api/users", json={"passwordDigest": "5f4dcc3b", "passwordAlgorithm": "MD5"}), 400,
                 "guard.invalid_input")


@pytest.mark.both_databases
def test_suspending_ends_sessions_and_grants(idp, api, app, new_browser):
    user = idp.make_user(new_email())
    browser = new_browser(idp)
    tokens = tokens_for(idp, browser, app, user, scope="openid offline_access", prompt="consent")
    suspended = api.patch(f"/api/users/{user['id']}/is-suspended", json={"isSuspended": True})
    assert suspended.status_code == 200 and suspended.json()["isSuspended"] is True
    assert not is_signed_in(browser, app)
    assert refresh(idp, app, tokens["refresh_token"]).status_code == 400
    assert userinfo(idp, tokens["access_token"]).status_code == 401
    reinstated = api.patch(f"/api/users/{user['id']}/is-suspended", json={"isSuspended": False})
    assert reinstated.json()["isSuspended"] is False


@pytest.mark.both_databases
def test_delete_removes_the_user(idp, api, app, new_browser):
    user = idp.make_user(new_email())
    browser = new_browser(idp)
    tokens_for(idp, browser, app, user)
    assert api.delete(f"/api/users/{user['id']}").status_code == 204
    assert_error(api.get(f"/api/users/{user['id']}"), 404, "entity.not_found")
    assert not is_signed_in(browser, app)


@pytest.mark.parametrize("body", [
    {"primaryEmail": "not-an-email"}, {"primaryEmail": 5}, {"username": "1abc"}, {"username": "a b"},
    {"primaryPhone": "+15555550100"}, {"customData": []}, {"profile": {"givenName": 5}},
    {"profile": {"address": "x"}}, {"avatar": "javascript:alert(1)"}, {"name": "x" * 129},
    {"passwordAlgorithm": "Rot13"}, {"password": ""}, {"name": "nul\u0000"},
])
def test_invalid_users_are_400(api, body):
    assert_error(api.post("/api/users", json=body), 400, "guard.invalid_input")


@pytest.mark.parametrize("path, body", [
    ("password", {}), ("password", {"password": 5}), ("custom-data", {"customData": "x"}), ("custom-data", {}),
    ("profile", {"profile": []}), ("is-suspended", {"isSuspended": "yes"}), ("is-suspended", {}),
])
def test_invalid_sub_resource_updates_are_400(api, path, body):
    user = create(api)
    assert_error(api.patch(f"/api/users/{user['id']}/{path}", json=body), 400, "guard.invalid_input")


def test_unknown_users_are_404(api):
    for path in ("", "/password", "/custom-data", "/profile", "/is-suspended"):
        response = api.patch(f"/api/users/nobody{path}", json={"password": "x", "customData": {}, "profile": {},
                                                             "isSuspended": True})
        assert_error(response, 404, "entity.not_found")
