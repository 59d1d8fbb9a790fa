"""The core JSON API (docs/architecture.md "The API contract"): bearer tokens, the error format, frameworks,
areas, regions, agencies, members, plugins, and the OpenAPI document."""

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import api_headers, csrf_token, login

FRAMEWORK = "nspcc-hsb-2019"


def counts():
    from hsbtrack.areas.models import Agency, Area, Membership, Region
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db
    from hsbtrack.plugins.models import PluginState

    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Region, Area, Agency, User, Membership, PluginState)}


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture()
def setup(world):
    region = world.region("North")
    area = world.area("Riverside", region)
    other = world.area("Hillside", region, agencies=("Hillside Police",))
    lonely = world.area("Lakeside")
    board = world.user("board@example.org", area, "board_manager")
    viewer = world.user("viewer@example.org", area, "viewer")
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    admin = world.user("admin@example.org", admin=True)
    return {"region": region, "area": area, "other": other, "lonely": lonely, "board": board, "viewer": viewer,
            "coordinator": coordinator, "admin": admin, "world": world}


# -- authentication -------------------------------------------------------------------------------


def test_requests_without_a_valid_bearer_token_get_401(client, setup):
    for headers in ({}, {"Authorization": "Bearer hsb_not-a-token"}, {"Authorization": "Bearer "},
                    {"Authorization": "Basic Ym9hcmRAZXhhbXBsZS5vcmc6eA=="}):
        error = error_of(client.get("/api/v1/areas", headers=headers), 401)
        assert error["code"] == "unauthorized"
        assert "Bearer" in error["message"]


def test_a_valid_token_answers(client, setup):
    response = client.get("/api/v1/areas", headers=api_headers(setup["board"]))
    assert response.status_code == 200
    assert [a["name"] for a in response.get_json()] == ["Riverside"]


def test_a_signed_in_browser_session_needs_the_csrf_header_on_the_api(client, setup):
    """The session cookie alone is refused (another site could make the browser send it); with the
    page's CSRF token in ``X-CSRFToken`` the app's own scripts may call the API."""
    login(client, setup["board"])
    assert client.get("/account").status_code == 200
    assert error_of(client.get("/api/v1/areas"), 401)["code"] == "unauthorized"
    response = client.post(f"/api/v1/areas/{setup['area'].id}/agencies", json={"name": "Sneaky"})
    assert error_of(response, 401)["code"] == "unauthorized"
    response = client.post(f"/api/v1/areas/{setup['area'].id}/agencies", json={"name": "Sneaky"},
                           headers={"X-CSRFToken": "forged"})
    assert error_of(response, 401)["code"] == "unauthorized"
    response = client.post(f"/api/v1/areas/{setup['area'].id}/agencies", json={"name": "Welcome"},
                           headers={"X-CSRFToken": csrf_token(client, "/account")})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_revoked_tokens_and_deactivated_users_get_401(client, setup):
    from hsbtrack.auth.models import ApiToken
    from hsbtrack.extensions import db
    from hsbtrack.timeutil import utcnow

    headers = api_headers(setup["board"])
    assert client.get("/api/v1/areas", headers=headers).status_code == 200
    for row in db.session.scalars(select(ApiToken)):
        row.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/areas", headers=headers).status_code == 401

    headers = api_headers(setup["viewer"])
    setup["viewer"].active = False
    db.session.commit()
    assert client.get("/api/v1/areas", headers=headers).status_code == 401


def test_unknown_api_paths_answer_json_404(client, setup):
    error = error_of(client.get("/api/v1/nothing-here", headers=api_headers(setup["board"])), 404)
    assert error["code"] == "not_found"


# -- frameworks -----------------------------------------------------------------------------------


def test_framework_catalogue(client, setup):
    headers = api_headers(setup["viewer"])
    slugs = {f["slug"] for f in client.get("/api/v1/frameworks", headers=headers).get_json()}
    assert {FRAMEWORK, "example-mini"} <= slugs

    framework = client.get(f"/api/v1/frameworks/{FRAMEWORK}", headers=headers).get_json()
    assert framework["scale"]["min"] == 0 and framework["scale"]["max"] == 4
    assert sorted(framework["scale"]["labels"]) == ["0", "1", "2", "3", "4"]
    assert framework["scale"]["labels"]["0"].startswith("Not at all")
    assert [d["number"] for d in framework["domains"]] == [1, 2, 3, 4, 5]

    statements = [s for d in framework["domains"] for s in d["statements"]]
    assert len(statements) == 49
    assert all(set(s) == {"code", "text", "scored", "parent"} for s in statements)
    assert sum(s["scored"] for s in statements) == 46
    by_code = {s["code"]: s for s in statements}
    assert [c for c, s in by_code.items() if not s["scored"]] == ["1.6", "2.1", "4.1"]
    assert by_code["1.6b"]["parent"] == "1.6" and by_code["1.6b"]["scored"]
    assert by_code["5.8"]["parent"] is None


def test_unknown_framework_is_404(client, setup):
    error = error_of(client.get("/api/v1/frameworks/no-such-thing", headers=api_headers(setup["viewer"])), 404)
    assert "no-such-thing" in error["message"]


# -- areas, regions, agencies, members ------------------------------------------------------------


def test_admins_see_every_area_others_only_theirs(client, setup):
    names = [a["name"] for a in client.get("/api/v1/areas", headers=api_headers(setup["admin"])).get_json()]
    assert names == ["Hillside", "Lakeside", "Riverside"]
    coordinator = client.get("/api/v1/areas", headers=api_headers(setup["coordinator"])).get_json()
    assert [a["name"] for a in coordinator] == ["Hillside", "Riverside"]
    area = client.get(f"/api/v1/areas/{setup['area'].id}", headers=api_headers(setup["viewer"])).get_json()
    assert {a["name"] for a in area["agencies"]} == {"Police", "Health", "Education"}


def test_admin_creates_regions_and_areas(client, setup):
    headers = api_headers(setup["admin"])
    response = client.post("/api/v1/regions", json={"name": "North Wales"}, headers=headers)
    assert response.status_code == 201
    region = response.get_json()
    assert region["name"] == "North Wales" and region["area_ids"] == []

    response = client.post("/api/v1/areas", json={"name": "Gwynedd", "region_id": region["id"]}, headers=headers)
    assert response.status_code == 201
    area = response.get_json()
    assert area["region_id"] == region["id"] and area["agencies"] == []
    regions = client.get("/api/v1/regions", headers=headers).get_json()
    assert next(r for r in regions if r["id"] == region["id"])["area_ids"] == [area["id"]]


def test_only_admins_create_areas_and_regions(client, setup):
    before = counts()
    for user in ("board", "coordinator", "viewer"):
        headers = api_headers(setup[user])
        for path in ("/api/v1/areas", "/api/v1/regions"):
            # install-wide administration does not exist for anyone else (404, as the admin pages)
            error = error_of(client.post(path, json={"name": "New place"}, headers=headers), 404)
            assert error["code"] == "not_found"
    assert counts() == before


@pytest.mark.parametrize("body, status, field, message", [
    ({"name": "riverside"}, 409, "name", "already exists"),
    ({"name": "  "}, 422, "name", "Enter a name"),
    ({}, 422, "name", ""),
    ({"name": "Lakeside East", "region_id": 987654}, 422, "region_id", "Choose a region that exists"),
    ({"name": "Lakeside East", "region_id": "1"}, 422, "region_id", ""),
])
def test_bad_areas_are_refused_and_nothing_is_saved(client, setup, body, status, field, message):
    before = counts()
    error = error_of(client.post("/api/v1/areas", json=body, headers=api_headers(setup["admin"])), status)
    assert field in error["fields"] and message in error["fields"][field]
    assert counts() == before


def test_duplicate_region_is_a_conflict(client, setup):
    before = counts()
    error = error_of(client.post("/api/v1/regions", json={"name": "NORTH"}, headers=api_headers(setup["admin"])), 409)
    assert error["code"] == "conflict" and "already exists" in error["fields"]["name"]
    assert counts() == before


def test_board_managers_add_agencies_viewers_cannot(client, setup):
    path = f"/api/v1/areas/{setup['area'].id}/agencies"
    response = client.post(path, json={"name": "Youth justice"}, headers=api_headers(setup["board"]))
    assert response.status_code == 201
    assert response.get_json()["area_id"] == setup["area"].id

    before = counts()
    assert error_of(client.post(path, json={"name": "Probation"}, headers=api_headers(setup["viewer"])), 403)
    error = error_of(client.post(path, json={"name": "youth JUSTICE"}, headers=api_headers(setup["board"])), 409)
    assert "already has an agency" in error["fields"]["name"]
    assert counts() == before
    names = {a["name"] for a in client.get(path, headers=api_headers(setup["viewer"])).get_json()}
    assert names == {"Police", "Health", "Education", "Youth justice"}


def test_a_name_with_accented_capitals_given_twice_is_a_conflict_not_a_500(client, setup):
    """SQLite's lower() folds ASCII only: the duplicate check must still catch the same name (found by
    schemathesis)."""
    path = f"/api/v1/areas/{setup['area'].id}/agencies"
    headers = api_headers(setup["board"])
    assert client.post(path, json={"name": "Ärztekammer Ynys Môn"}, headers=headers).status_code == 201
    before = counts()
    error = error_of(client.post(path, json={"name": "Ärztekammer Ynys Môn"}, headers=headers), 409)
    assert "already has an agency" in error["fields"]["name"]
    assert counts() == before


def test_welsh_names_are_taken_and_returned_by_the_api(client, setup):
    admin = api_headers(setup["admin"])
    region = client.post("/api/v1/regions", json={"name": "West Wales", "name_cy": "Gorllewin Cymru"}, headers=admin)
    assert region.status_code == 201 and region.get_json()["name_cy"] == "Gorllewin Cymru"
    area = client.post("/api/v1/areas", json={"name": "Pembrokeshire", "name_cy": "Sir Benfro",
                                               "region_id": region.get_json()["id"]}, headers=admin).get_json()
    agency = client.post(f"/api/v1/areas/{area['id']}/agencies", json={"name": "Dyfed-Powys Police",
                         "name_cy": "Heddlu Dyfed-Powys"}, headers=admin).get_json()
    assert (area["name"], area["name_cy"], agency["name_cy"]) == ("Pembrokeshire", "Sir Benfro", "Heddlu Dyfed-Powys")
    # the API answers with both names whatever the caller's language: "name" stays the English one
    listed = client.get(f"/api/v1/areas/{area['id']}", headers={**admin, "Accept-Language": "cy"}).get_json()
    assert (listed["name"], listed["name_cy"]) == ("Pembrokeshire", "Sir Benfro")
    assert listed["agencies"][0]["name_cy"] == "Heddlu Dyfed-Powys"
    before = counts()
    error = error_of(client.post("/api/v1/areas", json={"name": "Ceredigion", "name_cy": "x" * 201}, headers=admin), 422)
    assert "name_cy" in error["fields"]
    assert counts() == before


def test_board_manager_adds_members(client, setup):
    path = f"/api/v1/areas/{setup['area'].id}/members"
    police = setup["world"].agency(setup["area"], "Police")
    body = {"email": "Lead@Example.org", "role": "agency_lead", "agency_id": police.id}
    response = client.post(path, json=body, headers=api_headers(setup["board"]))
    assert response.status_code == 201
    member = response.get_json()
    assert member["email"] == "lead@example.org" and member["role"] == "agency_lead"
    assert member["agency_id"] == police.id and member["created_user"] is True
    listed = client.get(path, headers=api_headers(setup["board"])).get_json()
    assert {(m["email"], m["role"]) for m in listed} >= {("lead@example.org", "agency_lead")}


def bad_members(setup):
    foreign = setup["world"].agency(setup["other"], "Hillside Police")
    return [
        ({"email": "x@example.org", "role": "wizard"}, 422, "role", "Unknown role wizard"),
        ({"email": "x@example.org", "role": "agency_lead"}, 422, "agency_id", "must belong to an agency"),
        ({"email": "x@example.org", "role": "agency_lead", "agency_id": foreign.id}, 422, "agency_id",
         "Choose an agency of Riverside"),
        ({"email": "not-an-email", "role": "viewer"}, 422, "email", "correct format"),
        ({"email": "viewer@example.org", "role": "viewer"}, 409, "email", "already has this role"),
        ({"email": "x@example.org"}, 422, "role", ""),
        ({"email": "x@example.org", "role": "viewer", "agency_id": "3"}, 422, "agency_id", ""),
    ]


def test_bad_members_are_refused_and_nothing_is_saved(client, setup):
    path = f"/api/v1/areas/{setup['area'].id}/members"
    headers = api_headers(setup["board"])
    for body, status, field, message in bad_members(setup):
        before = counts()
        error = error_of(client.post(path, json=body, headers=headers), status)
        assert field in error["fields"], (body, error)
        assert message in error["fields"][field], (body, error)
        assert counts() == before, body


def test_only_admins_make_admins(client, setup):
    from hsbtrack.auth.services import user_by_email

    path = f"/api/v1/areas/{setup['area'].id}/members"
    body = {"email": "viewer@example.org", "role": "admin"}
    assert error_of(client.post(path, json=body, headers=api_headers(setup["board"])), 403)
    assert not user_by_email("viewer@example.org").is_admin
    response = client.post(path, json=body, headers=api_headers(setup["admin"]))
    assert response.status_code == 201 and response.get_json()["role"] == "admin"


def test_region_members(client, setup):
    path = f"/api/v1/regions/{setup['region'].id}/members"
    body = {"email": "second.coordinator@example.org", "role": "regional_coordinator"}
    response = client.post(path, json=body, headers=api_headers(setup["coordinator"]))
    assert response.status_code == 201
    assert response.get_json()["region_id"] == setup["region"].id

    before = counts()
    error = error_of(client.post(path, json={"email": "x@example.org", "role": "board_manager"},
                                 headers=api_headers(setup["coordinator"])), 422)
    assert "Unknown role board_manager" in error["fields"]["role"]
    assert error_of(client.post(path, json=body, headers=api_headers(setup["board"])), 404)
    assert counts() == before


# -- plugins --------------------------------------------------------------------------------------


def test_installed_plugins_are_listed(client, setup):
    plugins = client.get("/api/v1/plugins", headers=api_headers(setup["viewer"])).get_json()
    example = next(p for p in plugins if p["name"] == "example")
    assert {k: example[k] for k in ("name", "title", "version")} == {
        "name": "example", "title": "Example plugin", "version": "1.2.3"}
    assert not any(p["name"].startswith("hsbtrack.") for p in plugins), "the core's own parts are not plugins"


def page_status(ctx, user, area):
    browser = ctx.test_client()
    login(browser, user)
    return browser.get(f"/areas/{area.id}/example/").status_code


def test_switching_a_plugin_on_and_off_in_an_area(ctx, client, setup):
    path = f"/api/v1/areas/{setup['area'].id}/plugins/example"
    headers = api_headers(setup["board"])
    assert page_status(ctx, setup["board"], setup["area"]) == 404

    response = client.put(path, json={"enabled": True}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["enabled"] is True and response.get_json()["source"] == "area"
    assert page_status(ctx, setup["board"], setup["area"]) == 200
    states = client.get(f"/api/v1/areas/{setup['area'].id}/plugins", headers=headers).get_json()
    assert next(s for s in states if s["name"] == "example")["enabled"] is True

    assert client.put(path, json={"enabled": False}, headers=headers).status_code == 200
    assert page_status(ctx, setup["board"], setup["area"]) == 404


@pytest.mark.parametrize("body", [{"enabled": "yes"}, {"enabled": 1}, {"enabled": "true"}, {"enabled": None}, {}])
def test_enabled_must_be_a_boolean(client, setup, body):
    before = counts()
    path = f"/api/v1/areas/{setup['area'].id}/plugins/example"
    error = error_of(client.put(path, json=body, headers=api_headers(setup["board"])), 422)
    assert "enabled" in error["fields"]
    assert counts() == before


def test_unknown_plugins_and_viewers_are_refused(client, setup):
    path = f"/api/v1/areas/{setup['area'].id}/plugins"
    assert error_of(client.put(f"{path}/nope", json={"enabled": True}, headers=api_headers(setup["board"])), 404)
    assert error_of(client.put(f"{path}/example", json={"enabled": True}, headers=api_headers(setup["viewer"])),
                    403)
    assert counts()["PluginState"] == 0


def test_a_region_switches_a_plugin_on_for_every_member_area(ctx, client, setup):
    response = client.put(f"/api/v1/regions/{setup['region'].id}/plugins/example", json={"enabled": True},
                          headers=api_headers(setup["coordinator"]))
    assert response.status_code == 200 and response.get_json()["source"] == "region"
    hillside_board = setup["world"].user("hillside@example.org", setup["other"], "board_manager")
    assert page_status(ctx, setup["board"], setup["area"]) == 200
    assert page_status(ctx, hillside_board, setup["other"]) == 200
    lakeside_board = setup["world"].user("lakeside@example.org", setup["lonely"], "board_manager")
    assert page_status(ctx, lakeside_board, setup["lonely"]) == 404, "not in the region"

    # An area cannot override its region's choice.
    before = counts()
    path = f"/api/v1/areas/{setup['area'].id}/plugins/example"
    error = error_of(client.put(path, json={"enabled": False}, headers=api_headers(setup["board"])), 409)
    assert error["code"] == "conflict" and "region" in error["message"]
    assert counts() == before
    assert page_status(ctx, setup["board"], setup["area"]) == 200

    client.put(f"/api/v1/regions/{setup['region'].id}/plugins/example", json={"enabled": False},
               headers=api_headers(setup["coordinator"]))
    assert page_status(ctx, setup["board"], setup["area"]) == 404


def test_region_plugin_switch_needs_a_role_in_the_region(client, setup):
    path = f"/api/v1/regions/{setup['region'].id}/plugins/example"
    assert error_of(client.put(path, json={"enabled": True}, headers=api_headers(setup["board"])), 404)
    error = error_of(client.put(path, json={"enabled": "on"}, headers=api_headers(setup["coordinator"])), 422)
    assert "enabled" in error["fields"]
    assert counts()["PluginState"] == 0


# -- the OpenAPI document -------------------------------------------------------------------------


CORE_PATHS = [
    "/api/v1/frameworks", "/api/v1/frameworks/{slug}", "/api/v1/areas", "/api/v1/areas/{area_id}",
    "/api/v1/areas/{area_id}/agencies", "/api/v1/areas/{area_id}/members", "/api/v1/regions",
    "/api/v1/regions/{region_id}/members", "/api/v1/plugins", "/api/v1/areas/{area_id}/plugins/{name}",
    "/api/v1/regions/{region_id}/plugins/{name}",
]


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "hsbtrack API"
    for path in CORE_PATHS:
        assert path in spec["paths"], path
    assert "post" in spec["paths"]["/api/v1/areas"] and "get" in spec["paths"]["/api/v1/areas"]
    assert "put" in spec["paths"]["/api/v1/areas/{area_id}/plugins/{name}"]


def test_building_another_app_does_not_change_this_apps_openapi_document(client):
    from hsbtrack import create_app
    from tests.conftest import app_config

    before = client.get("/api/v1/openapi.json").get_json()
    create_app(config=app_config(HSBTRACK_PLUGINS=""), plugins={})  # e.g. a test building its own app
    after = client.get("/api/v1/openapi.json").get_json()
    assert after["paths"].keys() == before["paths"].keys()


def test_api_member_invitation_sends_the_invitation_email(client, world, outbox):
    from tests.conftest import api_headers

    area = world.area("Inviteville")
    admin = world.user("root@example.org", admin=True)
    response = client.post(f"/api/v1/areas/{area.id}/members", json={"email": "new.person@example.org", "role": "viewer"},
                           headers=api_headers(admin))
    assert response.status_code == 201, response.get_json()
    assert [m["To"] for m in outbox] == ["new.person@example.org"]
    assert "/invite/" in outbox[0].get_content()
