"""Models, services and pages of the training plugin."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import count_queries, csrf_token, login, post_form
from hsbtrack_training import services
from hsbtrack_training.models import TrainingCompletion


@pytest.fixture()
def scene(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    lead = world.user("lead@example.org", area, "training_lead")
    viewer = world.user("viewer@example.org", area, "viewer")
    board = world.user("board@example.org", area, "board_manager")
    police = world.agency(area, "Police")
    health = world.agency(area, "Health")
    return area, lead, viewer, board, police, health


def add_people(area, agency, n, discipline="police", prefix="Officer"):
    return [services.create_person(area, name=f"{prefix} {i}", agency_id=agency.id, discipline=discipline)
            for i in range(n)]


def test_default_tiers_and_settings(scene):
    area, lead, *_ = scene
    assert [t["number"] for t in services.tiers(area)] == [1, 2, 3, 4]
    assert str(services.tiers(area)[0]["name"]) == "Universal awareness"
    services.set_tiers(area, ["Awareness", "Deeper"], user=lead)
    assert services.tier_names(area) == {1: "Awareness", 2: "Deeper"}
    with pytest.raises(ServiceError):
        services.set_tiers(area, [" "])


def test_disciplines_follow_5_4_and_5_5():
    # issue 15: school nurses and health visitors joined the defaults (the 13 of 5.4 and 5.5 stay)
    assert len(services.DISCIPLINES) == 15
    assert {"foster_carer", "adopter", "police", "camhs", "yot_worker", "school_nurse",
            "health_visitor"} <= set(services.DISCIPLINES)


def test_course_validation_and_history(scene):
    area, lead, *_ = scene
    with pytest.raises(ServiceError) as caught:
        services.create_course(area, title="", tier=9, refresher_months=0)
    assert set(caught.value.fields) == {"title", "tier", "refresher_months"}
    course = services.create_course(area, title="HSB awareness", tier=1, refresher_months=24, user=lead)
    entries = db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "training_course")).all()
    assert {e.field for e in entries} >= {"title", "tier"} and entries[0].entity_id == course.id


def test_session_records_completions_with_expiry(scene):
    area, lead, _v, _b, police, _h = scene
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=12)
    a, b, c = add_people(area, police, 3)
    held = date(2026, 1, 31)
    services.record_session(area, course_id=course.id, held_on=held, user=lead,
                            outcomes={a.id: "completed", b.id: "did_not_attend", c.id: ""})
    rows = {r.person_id: r for r in db.session.scalars(select(TrainingCompletion))}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id].expires_on == date(2027, 1, 31) and rows[b.id].expires_on is None
    # the same person, course and date again is a duplicate; nothing saved
    with pytest.raises(ServiceError):
        services.record_session(area, course_id=course.id, held_on=held, outcomes={a.id: "completed", c.id: "completed"})
    assert db.session.scalar(select(db.func.count(TrainingCompletion.id))) == 2


def test_add_months_clamps():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_coverage_counts_and_shares(scene):
    area, _l, _v, _b, police, health = scene
    course1 = services.create_course(area, title="Awareness", tier=1, refresher_months=12)
    course3 = services.create_course(area, title="Therapy", tier=3)
    officers = add_people(area, police, 4)
    nurses = add_people(area, health, 2, "clinical", "Nurse")
    services.set_headcounts(area, {(police.id, "police"): 10, (health.id, "clinical"): 4})
    today = date.today()
    services.record_session(area, course_id=course1.id, held_on=today,
                            outcomes={p.id: "completed" for p in officers[:3]} | {officers[3].id: "attended"})
    services.record_session(area, course_id=course3.id, held_on=today, outcomes={nurses[0].id: "completed"})
    # an expired one does not count
    services.record_session(area, course_id=course1.id, held_on=today - timedelta(days=800),
                            outcomes={nurses[1].id: "completed"})
    cov = services.coverage(area)
    assert cov["cells"] == {(police.id, "police", 1): 3, (health.id, "clinical", 3): 1}
    police_row = next(r for r in cov["rows"] if r["agency"].id == police.id)
    assert police_row["tiers"][0] == {"count": 3, "share": 30}
    assert cov["totals"][0] == {"count": 3, "share": 21}  # 3 of 14
    assert services.expiring_summary(area, today + timedelta(days=340))["due"] == 3


def test_pages_for_a_training_lead(client, scene):
    area, lead, *_rest = scene
    police = scene[4]
    login(client, lead)
    base = f"/areas/{area.id}/training"
    assert client.get(base + "/").status_code == 200
    response = post_form(client, base + "/courses", {"title": "", "tier": "1"})
    assert "Enter the course title" in response.get_data(as_text=True)
    response = post_form(client, base + "/courses", {"title": "HSB awareness", "tier": "1", "refresher_months": "24", "length_hours": "3.5"})
    assert response.status_code == 302
    response = post_form(client, base + "/people", {"name": "Ann Example", "agency_id": str(police.id),
                                                   "discipline": "police"})
    assert response.status_code == 302
    person = services.people(area)[0]
    course = services.courses(area)[0]
    response = post_form(client, base + "/sessions/new", {"course_id": str(course.id), "held_on": "",
                                                         f"outcome-{person.id}": "completed"})
    assert "Enter the date the session was held" in response.get_data(as_text=True)
    response = post_form(client, base + "/sessions/new", {"course_id": str(course.id), "held_on": ["1", "3", "2026"]})
    assert "Record an outcome for at least one person" in response.get_data(as_text=True)
    response = post_form(client, base + "/sessions/new", {"course_id": str(course.id), "held_on": ["1", "3", "2026"],
                                                         f"outcome-{person.id}": "completed"})
    assert response.status_code == 302
    response = post_form(client, base + "/headcounts", {f"hc-{police.id}-police": "x"})
    assert "Enter a whole number" in response.get_data(as_text=True)
    response = post_form(client, base + "/headcounts", {f"hc-{police.id}-police": "4"})
    assert response.status_code == 302
    page = client.get(base + "/coverage").get_data(as_text=True)
    assert "25%" in page
    assert "Ann Example" in client.get(base + "/people").get_data(as_text=True)


def test_names_only_for_leads_and_admins(app, scene, world):
    area, _lead, viewer, board, police, _h = scene
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=1)
    (person,) = add_people(area, police, 1, prefix="Secret")
    services.record_session(area, course_id=course.id, held_on=date.today() - timedelta(days=20),
                            outcomes={person.id: "completed"})
    base = f"/areas/{area.id}/training"
    for user in (viewer, board):
        client = app.test_client()
        login(client, user)
        for path in ("/", "/coverage", "/courses", "/sessions", "/headcounts"):
            response = client.get(base + path)
            assert response.status_code == 200, path
            assert "Secret" not in response.get_data(as_text=True)
        assert client.get(base + "/people").status_code == 403
        assert client.get(base + "/sessions/new").status_code == 403
        assert post_form(client, base + "/courses", {"title": "X", "tier": "1"}, page=base + "/").status_code == 403
    admin = world.user("admin@example.org", admin=True)
    client = app.test_client()
    login(client, admin)
    assert "Secret 0" in client.get(base + "/coverage").get_data(as_text=True)


def test_plugin_off_answers_404(client, scene):
    area, lead, *_ = scene
    set_area_plugin(area, "training", False)
    login(client, lead)
    assert client.get(f"/areas/{area.id}/training/").status_code == 404


def test_coverage_queries_do_not_grow(app, client, scene):
    area, lead, _v, _b, police, health = scene
    login(client, lead)
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=12)

    def measure():
        with count_queries(app) as n:
            for path in ("/", "/coverage", "/sessions", "/people", "/courses", "/headcounts", "/impact",
                         "/supervision", "/sessions/new", "/tiers"):
                assert client.get(f"/areas/{area.id}/training{path}").status_code == 200
        return n()

    people = add_people(area, police, 2)
    services.record_session(area, course_id=course.id, held_on=date.today(), outcomes={p.id: "completed" for p in people})
    small = measure()
    people = add_people(area, health, 20, "clinical", "Nurse") + add_people(area, police, 20, "youth_worker", "YW")
    for i in range(3):
        services.record_session(area, course_id=course.id, held_on=date.today() - timedelta(days=i + 1),
                                outcomes={p.id: "completed" for p in people})
    assert measure() == small


def test_tiers_page_and_trend(app, scene):
    area, lead, viewer, _b, police, _h = scene
    client = app.test_client()
    login(client, lead)
    base = f"/areas/{area.id}/training/tiers"
    response = post_form(client, base, {f"tier-{i}": "" for i in range(1, 9)})
    assert "Enter at least one tier" in response.get_data(as_text=True)
    response = post_form(client, base, {"tier-1": "Everyone", "tier-2": "Specialists", "remind_people": "yes"})
    assert response.status_code == 302
    assert services.tier_names(area) == {1: "Everyone", 2: "Specialists"} and services.remind_people(area)
    other = app.test_client()
    login(other, viewer)
    assert "Specialists" in other.get(base).get_data(as_text=True)
    assert post_form(other, base, {"tier-1": "X"}).status_code == 403
    course = services.create_course(area, title="Awareness", tier=1, refresher_months=6)
    (person,) = add_people(area, police, 1)
    today = date.today()
    services.record_session(area, course_id=course.id, held_on=today - timedelta(days=400),
                            outcomes={person.id: "completed"})
    trend = services.trend(area)
    assert len(trend["points"]) == 8 and trend["points"][-1]["date"] == today
    assert trend["points"][-1]["counts"] == [0, 0]  # expired by now
    assert any(p["counts"][0] == 1 for p in trend["points"])
    assert "coverage-trend" in client.get(f"/areas/{area.id}/training/coverage").get_data(as_text=True)


def test_quarter_ends():
    assert services.quarter_ends(date(2026, 11, 25), 3) == [date(2026, 6, 30), date(2026, 9, 30), date(2026, 11, 25)]
    assert services.quarter_ends(date(2026, 2, 1), 2) == [date(2025, 12, 31), date(2026, 2, 1)]


def test_the_menu_item_and_the_widget_only_for_those_who_read_training(client, scene, world):
    """A school lead and an agency lead (no training.read) get neither the Training link nor the
    coverage widget on the area's home page; a viewer gets both."""
    area, _lead, viewer, _board, police, _health = scene
    add_people(area, police, 3)
    others = [world.user("school@example.org", area, "school_lead"),
              world.user("agency@example.org", area, "agency_lead", agency=police)]
    link = f'href="/areas/{area.id}/training/"'
    for user, sees in [(viewer, True), *[(u, False) for u in others]]:
        login(client, user)
        page = client.get(f"/areas/{area.id}/", follow_redirects=True).get_data(as_text=True)
        assert (link in page) is sees, user.email
        assert ("Workforce training" in page) is sees, user.email
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_the_api_lists_courses_and_pages_through_completions(client, scene, world):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack.testing import api_headers

    area, lead, viewer, _board, police, _health = scene
    course = services.create_course(area, title="HSB awareness", tier=1, refresher_months=24, user=lead)
    people = add_people(area, police, 5)
    services.record_session(area, course_id=course.id, held_on=date(2026, 3, 2),
                            outcomes={p.id: "completed" for p in people}, user=lead)
    headers = api_headers(viewer)
    base = f"/api/v1/areas/{area.id}/training"
    courses = client.get(f"{base}/courses", headers=headers)
    assert courses.status_code == 200, courses.get_data(as_text=True)
    assert [c["title"] for c in courses.get_json()] == ["HSB awareness"]

    seen, after = [], None
    while True:
        page = client.get(f"{base}/completions?limit=2" + (f"&after_id={after}" if after else ""), headers=headers)
        assert page.status_code == 200
        body = page.get_json()
        assert len(body["items"]) <= 2
        seen += [item["person_name"] for item in body["items"]]
        after = body["next_after_id"]
        if after is None:
            break
    assert sorted(seen) == sorted(p.name for p in people)
    assert client.get(f"{base}/completions?limit=5000", headers=headers).status_code == 422

    # an agency lead (no training.read) and a plugin switched off: 404, nothing of the records
    agency_lead = world.user("agency@example.org", area, "agency_lead", agency=police)
    refused = client.get(f"{base}/completions", headers=api_headers(agency_lead))
    assert refused.status_code == 404 and "Officer" not in refused.get_data(as_text=True)
    set_area_plugin(area, "training", False)
    assert client.get(f"{base}/courses", headers=headers).status_code == 404
