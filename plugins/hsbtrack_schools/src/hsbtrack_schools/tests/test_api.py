"""The schools plugin through the JSON API, behind the same wall as its pages: every school for
those who read the area's audit, a school lead only their own; a school's ratings item by item."""

import pytest

from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import api_headers, count_queries, login
from hsbtrack_schools import services
from hsbtrack_schools.tests.helpers import enable, rate_all


@pytest.fixture()
def setup(world):
    area = enable(world.area("Riverside"))
    other = enable(world.area("Elsewhere", agencies=("Police",)))
    one = services.create_school(area, "Hilltop Academy", "secondary", "Jo Bloggs", "jo@hilltop.example")
    two = services.create_school(area, "Valley College", "further education")
    services.add_lead(area, one, "lead@hilltop.example")
    return {"area": area, "other": other, "one": one, "two": two,
            "board": world.user("board@example.org", area, "board_manager"),
            "viewer": world.user("viewer@example.org", area, "viewer"),
            "worker": world.user("worker@example.org", area, "case_worker"),
            "lead": world.user("lead@hilltop.example")}


def names(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["name"] for s in response.get_json()]


def test_the_list_of_schools_is_the_one_the_schools_page_shows(client, setup):
    area = setup["area"]
    url = f"/api/v1/areas/{area.id}/schools/schools"
    for who in ("board", "viewer"):
        assert names(client.get(url, headers=api_headers(setup[who]))) == ["Hilltop Academy", "Valley College"]
    first = client.get(url, headers=api_headers(setup["viewer"])).get_json()[0]
    assert first == {"id": setup["one"].id, "name": "Hilltop Academy", "phase": "secondary", "dsl_name": "Jo Bloggs",
                     "dsl_email": "jo@hilltop.example"}
    # a school lead: their own school only, as on the page
    lead = client.get(url, headers=api_headers(setup["lead"]))
    assert names(lead) == ["Hilltop Academy"] and "Valley College" not in lead.get_data(as_text=True)
    login(client, setup["lead"])
    page = client.get(f"/areas/{area.id}/schools/").get_data(as_text=True)
    assert "Hilltop Academy" in page and "Valley College" not in page
    # a role that sees the area but neither the audit nor a school of its own: none, as on the page
    assert names(client.get(url, headers=api_headers(setup["worker"]))) == []
    # another area's schools: that area does not exist for them
    services.create_school(setup["other"], "Far School")
    refused = client.get(f"/api/v1/areas/{setup['other'].id}/schools/schools", headers=api_headers(setup["board"]))
    assert refused.status_code == 404 and "Far School" not in refused.get_data(as_text=True)


def test_a_schools_ratings_item_by_item_in_the_latest_round_or_a_named_one(client, setup):
    area, one = setup["area"], setup["one"]
    local = services.add_local_item(area, "school", "response", "We debrief staff after every incident")
    first = services.start_round(area, one)
    rate_all(area, first, "red")
    services.complete_round(area, first)
    second = services.start_round(area, one)
    services.save_section(area, second, "structures", {"S1": {"rating": "green", "sources": ["staff", "logs"],
                                                              "notes": "Policy updated in January"}})
    url = f"/api/v1/areas/{area.id}/schools/schools/{one.id}/ratings"
    headers = api_headers(setup["board"])
    body = client.get(url, headers=headers).get_json()
    assert body["school_id"] == one.id
    assert (body["round"]["id"], body["round"]["number"], body["round"]["completed_at"]) == (second.id, 2, None)
    items = {i["code"]: i for i in body["items"]}
    assert len(items) == len(services.checklist_for(area, "school").items)
    assert items["S1"] == {"code": "S1", "area": "structures", "text": items["S1"]["text"], "local": False,
                           "rating": "green", "sources": ["staff", "logs"], "notes": "Policy updated in January"}
    assert items["S2"]["rating"] == "not_assessed" and items["S2"]["sources"] == []
    assert items[local.code]["local"] is True and items[local.code]["text"] == local.text
    earlier = client.get(f"{url}?round=1", headers=headers).get_json()
    assert earlier["round"]["number"] == 1 and earlier["round"]["completed_at"]
    assert {i["rating"] for i in earlier["items"]} == {"red"}
    assert client.get(f"{url}?round=3", headers=headers).status_code == 404
    assert client.get(f"{url}?round=nope", headers=headers).status_code == 422
    # a school with no round yet: every item not assessed
    none = client.get(f"/api/v1/areas/{area.id}/schools/schools/{setup['two'].id}/ratings", headers=headers)
    assert none.get_json()["round"] is None and {i["rating"] for i in none.get_json()["items"]} == {"not_assessed"}


def test_a_school_lead_reads_only_their_own_schools_ratings(client, setup):
    area, one, two = setup["area"], setup["one"], setup["two"]
    for school in (one, two):
        services.save_section(area, services.start_round(area, school), "structures",
                              {"S1": {"rating": "amber", "sources": ["staff"], "notes": f"About {school.name}"}})
    headers = api_headers(setup["lead"])
    base = f"/api/v1/areas/{area.id}/schools/schools"
    own = client.get(f"{base}/{one.id}/ratings", headers=headers)
    assert own.status_code == 200 and "About Hilltop Academy" in own.get_data(as_text=True)
    other = client.get(f"{base}/{two.id}/ratings", headers=headers)
    assert other.status_code == 404 and "Valley College" not in other.get_data(as_text=True)
    # the same answers as the pages
    login(client, setup["lead"])
    assert client.get(f"/areas/{area.id}/schools/{one.id}/").status_code == 200
    assert client.get(f"/areas/{area.id}/schools/{two.id}/").status_code == 404
    # a case worker sees the area but no school
    assert client.get(f"{base}/{one.id}/ratings", headers=api_headers(setup["worker"])).status_code == 404


def test_another_areas_school_and_a_plugin_switched_off_are_404(client, setup):
    area, other = setup["area"], setup["other"]
    far = services.create_school(other, "Far School")
    headers = api_headers(setup["board"])
    for url in (f"/api/v1/areas/{area.id}/schools/schools/{far.id}/ratings",
                f"/api/v1/areas/{other.id}/schools/schools/{far.id}/ratings"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and "Far School" not in response.get_data(as_text=True), url
    set_area_plugin(area, "schools", False)
    assert client.get(f"/api/v1/areas/{area.id}/schools/schools", headers=headers).status_code == 404
    assert client.get(f"/api/v1/areas/{area.id}/schools/schools/{setup['one'].id}/ratings",
                      headers=headers).status_code == 404


def test_no_n_plus_one(app, client, setup):
    area, one = setup["area"], setup["one"]
    headers = api_headers(setup["board"])
    lead_headers = api_headers(setup["lead"])
    urls = [(f"/api/v1/areas/{area.id}/schools/schools", headers),
            (f"/api/v1/areas/{area.id}/schools/schools", lead_headers),
            (f"/api/v1/areas/{area.id}/schools/schools/{one.id}/ratings", headers),
            (f"/api/v1/areas/{area.id}/schools/schools/{one.id}/ratings", lead_headers)]

    def measure():
        counts = []
        for url, with_headers in urls:
            with count_queries(app) as n:
                assert client.get(url, headers=with_headers).status_code == 200
            counts.append(n())
        return counts

    round_ = services.start_round(area, one)
    services.save_section(area, round_, "structures", {"S1": {"rating": "red", "sources": ["staff"]}})
    small = measure()
    for i in range(8):
        services.create_school(area, f"School {i}")
    rate_all(area, round_, "amber")
    assert measure() == small
