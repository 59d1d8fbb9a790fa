"""The evaluation instrument and paired pre/post change, with its chart."""

from datetime import date

import pytest

from hsbtrack.errors import ServiceError
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import count_queries, login, post_form
from hsbtrack_training import impact, services


@pytest.fixture()
def setup(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    police = world.agency(area, "Police")
    course = services.create_course(area, title="HSB awareness", tier=1)
    items = [impact.add_item(area, subscale=s, text=f"Item {s}") for s in ("attitudes", "knowledge", "self_efficacy")]
    people = [services.create_person(area, name=f"P{i}", agency_id=police.id, discipline="police") for i in range(3)]
    return area, course, items, people


def answer(area, course, items, person, phase, value):
    impact.record_responses(area, course_id=course.id, person_id=person.id, phase=phase, answered_on=date(2026, 1, 1),
                            scores={i.id: value for i in items})


def test_paired_change_counts_only_people_with_both(setup):
    area, course, items, people = setup
    answer(area, course, items, people[0], "pre", 2)
    answer(area, course, items, people[0], "post", 4)
    answer(area, course, items, people[1], "pre", 3)
    answer(area, course, items, people[1], "post", 4)
    answer(area, course, items, people[2], "pre", 1)  # no post: not paired
    change = impact.paired_change(area)
    (row,) = change["courses"]
    assert row["n"] == 2
    assert row["subscales"]["knowledge"] == {"pre": 2.5, "post": 4.0, "change": 1.5, "n": 2}
    assert change["tiers"][0]["tier"] == 1 and change["tiers"][0]["n"] == 2


def test_answers_are_validated_and_not_recorded_twice(setup):
    area, course, items, people = setup
    with pytest.raises(ServiceError) as caught:
        impact.record_responses(area, course_id=course.id, person_id=people[0].id, phase="pre",
                                answered_on=date(2026, 1, 1), scores={items[0].id: 9})
    assert f"item-{items[1].id}" in caught.value.fields and f"item-{items[0].id}" in caught.value.fields
    answer(area, course, items, people[0], "pre", 2)
    with pytest.raises(ServiceError):
        answer(area, course, items, people[0], "pre", 3)
    with pytest.raises(ServiceError):
        impact.add_item(area, subscale="mood", text="")


def test_pages_chart_and_etag(app, setup, world):
    area, course, items, people = setup
    lead = world.user("lead@example.org", area, "training_lead")
    client = app.test_client()
    login(client, lead)
    base = f"/areas/{area.id}/training/impact"
    form = {"course_id": str(course.id), "person_id": str(people[0].id), "phase": "pre", "answered_on": ["1", "1", "2026"]}
    response = post_form(client, base + "/answers", form)
    assert "Choose a rating from 1 to 5" in response.get_data(as_text=True)
    response = post_form(client, base + "/answers", form | {f"item-{i.id}": "2" for i in items})
    assert response.status_code == 302
    response = post_form(client, base + "/answers", form | {"phase": "post"} | {f"item-{i.id}": "4" for i in items})
    assert response.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "2.0 → 4.0 (+2.0)" in page
    chart = client.get(base + "/chart.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    svg = chart.get_data(as_text=True)
    assert "Tier 1 Knowledge and awareness (n=1)" in svg and "<script" not in svg
    assert client.get(base + "/chart.svg", headers={"If-None-Match": chart.headers["ETag"]}).status_code == 304
    viewer = world.user("viewer@example.org", area, "viewer")
    other = app.test_client()
    login(other, viewer)
    assert other.get(base).status_code == 200 and other.get(base + "/answers").status_code == 403
    assert post_form(other, base + "/items", {"subscale": "knowledge", "text": "X"}).status_code == 403
    response = post_form(client, base + "/items", {"subscale": "knowledge", "text": ""})
    assert "Enter the statement people rate" in response.get_data(as_text=True)


def test_impact_queries_do_not_grow(app, setup):
    area, course, items, people = setup

    def measure():
        with count_queries(app) as n:
            impact.paired_change(area)
        return n()

    answer(area, course, items, people[0], "pre", 2)
    small = measure()
    for person in people:
        answer(area, course, items, person, "post", 3)
    assert measure() == small


def test_impact_is_evidence_on_5_4(app, setup, world):
    from hsbtrack_training.evidence import statement_evidence

    area, course, items, people = setup
    answer(area, course, items, people[0], "pre", 2)
    answer(area, course, items, people[0], "post", 4)
    with app.test_request_context():
        found = [e for e in statement_evidence(area, ["5.4"]) if str(e.title) == "Impact of training"]
    assert found and "tier 1 (n=1)" in str(found[0].summary) and "+2.0" in str(found[0].summary)
