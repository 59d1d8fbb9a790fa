"""CARM cases through the JSON API: case workers (and admins) only, as the case pages; what the case
page shows and nothing more; every read of one case in the access log; paged; no N+1."""

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from hsbtrack.extensions import db
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing import api_headers, count_queries
from hsbtrack_scotland import services
from hsbtrack_scotland.models import AccessLog

CASE = {"reference": "GLN-1", "age_at_referral": "14", "gender": "male", "learning_needs": True,
        "hackett": "abusive", "setting": "home", "referral_source": "Police Scotland",
        "referral_on": date(2026, 1, 5)}
MEETING = {"agencies": ["police", "health", "social_work"], "child_participation": "attended",
           "parents_participation": "declined", "other_attendees": "Aunt of the child", "decisions": "Assess risk"}
NOW = datetime(2026, 3, 1, 9)


@pytest.fixture()
def carm(world):
    area, other = world.area("Glenmore"), world.area("Elsewhere")
    set_area_plugin(area, "scotland", True)
    set_area_plugin(other, "scotland", True)
    return {"area": area, "other": other,
            "worker": world.user("worker@example.org", area, "case_worker"),
            "board": world.user("board@example.org", area, "board_manager"),
            "viewer": world.user("viewer@example.org", area, "viewer"),
            "foreign_worker": world.user("worker@elsewhere.example", other, "case_worker"),
            "admin": world.user("admin@example.org", admin=True)}


def new_case(area, user=None, **changes):
    return services.create_case(area, {**CASE, **changes}, user=user)


def to_plan(case, user):
    services.move_to(case, "decision", date(2026, 1, 10), note="Threshold met", user=user)
    services.add_meeting(case, {**MEETING, "held_on": date(2026, 1, 20)}, user=user)
    services.move_to(case, "initial_meeting", date(2026, 1, 20), user=user)
    services.move_to(case, "risk_assessment", date(2026, 1, 25), user=user)
    services.classify(case, "attentive", date(2026, 2, 1), reason="Escalating", user=user)
    services.move_to(case, "risk_management_plan", date(2026, 2, 1), user=user)


def log_rows():
    return [(r.user_id, r.case_id, r.page) for r in db.session.scalars(select(AccessLog).order_by(AccessLog.id))]


@time_machine.travel(NOW, tick=False)
def test_a_case_worker_pages_through_the_cases_and_the_list_is_not_logged(client, carm):
    area, worker = carm["area"], carm["worker"]
    cases = [new_case(area, reference=f"GLN-{i}") for i in range(5)]
    headers = api_headers(worker)
    base = f"/api/v1/areas/{area.id}/scotland/cases"
    seen, after = [], None
    while True:
        page = client.get(f"{base}?limit=2" + (f"&after_id={after}" if after else ""), headers=headers)
        assert page.status_code == 200, page.get_data(as_text=True)
        body = page.get_json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        after = body["next_after_id"]
        if after is None:
            break
    assert [c["reference"] for c in seen] == [c.reference for c in cases]
    assert seen[0] == {"id": cases[0].id, "reference": "GLN-0", "stage": "referral", "classification": None,
                       "next_review_on": None}
    assert client.get(f"{base}?limit=5000", headers=headers).status_code == 422
    assert log_rows() == []


@time_machine.travel(NOW, tick=False)
def test_one_case_as_its_page_shows_it_and_the_read_is_logged(client, carm):
    area, worker = carm["area"], carm["worker"]
    case = new_case(area, user=worker, lead_professional_id=str(worker.id), ird_on=date(2026, 1, 6),
                    ird_outcome="Joint investigation")
    to_plan(case, worker)
    action = services.add_plan_action(area, case, "supervision", title="Supervised contact only", owner=worker,
                                      due_on=date(2026, 4, 1), user=worker)
    response = client.get(f"/api/v1/areas/{area.id}/scotland/cases/{case.id}", headers=api_headers(worker))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["reference"] == "GLN-1" and body["stage"] == "risk_management_plan"
    assert body["classification"] == "attentive" and body["next_review_on"] == "2026-03-15"
    assert (body["age_at_referral"], body["gender"], body["learning_needs"], body["hackett"]) == (14, "male", True,
                                                                                                 "abusive")
    assert body["lead_professional"] == "worker@example.org"
    assert (body["ird_on"], body["ird_outcome"]) == ("2026-01-06", "Joint investigation")
    assert [(s["stage"], s["on"]) for s in body["stages"]][:2] == [("referral", "2026-01-05"),
                                                                   ("decision", "2026-01-10")]
    assert body["stages"][1]["note"] == "Threshold met"
    assert body["meetings"] == [{"held_on": "2026-01-20", "agencies": ["police", "health", "social_work"],
                                 "missing_core": ["education"], "child_participation": "attended",
                                 "parents_participation": "declined", "decisions": "Assess risk"}]
    assert body["classifications"] == [{"level": "attentive", "on": "2026-02-01", "reason": "Escalating"}]
    assert body["plan"] == [{"section": "supervision", "action_id": action.id, "title": "Supervised contact only",
                             "owner_name": "worker@example.org", "due_on": "2026-04-01"}]
    # nothing the page does not show: who typed what, versions, the other attendees' names
    text = response.get_data(as_text=True)
    assert "Aunt of the child" not in text and "version" not in body and "created_at" not in body
    assert log_rows() == [(worker.id, case.id, "case")]
    # and the case's access log page lists the API read like a page read
    from hsbtrack.testing import login

    login(client, worker)
    page = client.get(f"/areas/{area.id}/scotland/cases/{case.id}/access-log").get_data(as_text=True)
    assert "worker@example.org" in page and "The case" in page


@time_machine.travel(NOW, tick=False)
def test_an_admin_gets_in_and_is_logged(client, carm):
    case = new_case(carm["area"])
    admin = carm["admin"]
    assert client.get(f"/api/v1/areas/{carm['area'].id}/scotland/cases/{case.id}",
                      headers=api_headers(admin)).status_code == 200
    assert log_rows() == [(admin.id, case.id, "case")]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("who", ["board", "viewer", "foreign_worker"])
def test_only_case_workers_of_the_area_reach_the_cases(client, carm, who):
    """As the case pages: 404 for everyone else, board managers included; nothing of the case in
    the answer and nothing in the access log."""
    area = carm["area"]
    case = new_case(area)
    headers = api_headers(carm[who])
    for url in (f"/api/v1/areas/{area.id}/scotland/cases", f"/api/v1/areas/{area.id}/scotland/cases/{case.id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert "GLN-1" not in response.get_data(as_text=True)
    assert log_rows() == []


@time_machine.travel(NOW, tick=False)
def test_another_areas_case_and_a_plugin_switched_off_are_404(client, carm):
    area, other, worker = carm["area"], carm["other"], carm["worker"]
    foreign = new_case(other, reference="ELS-1")
    headers = api_headers(worker)
    # another area's case, through the worker's own area and through its own
    for url in (f"/api/v1/areas/{area.id}/scotland/cases/{foreign.id}",
                f"/api/v1/areas/{other.id}/scotland/cases/{foreign.id}",
                f"/api/v1/areas/{other.id}/scotland/cases"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and "ELS-1" not in response.get_data(as_text=True), url
    own = new_case(area)
    set_area_plugin(area, "scotland", False)
    assert client.get(f"/api/v1/areas/{area.id}/scotland/cases", headers=headers).status_code == 404
    assert client.get(f"/api/v1/areas/{area.id}/scotland/cases/{own.id}", headers=headers).status_code == 404
    assert log_rows() == []


@time_machine.travel(NOW, tick=False)
def test_no_n_plus_one(app, client, carm):
    area, worker = carm["area"], carm["worker"]
    headers = api_headers(worker)
    case = new_case(area, lead_professional_id=str(worker.id))
    to_plan(case, worker)

    def measure(url):
        with count_queries(app) as n:
            assert client.get(url, headers=headers).status_code == 200
        return n()

    def more(i):
        new_case(area, reference=f"MORE-{i}", lead_professional_id=str(worker.id))
        services.add_plan_action(area, case, list(services.PLAN_SECTIONS)[i % 7], title=f"Action {i}",
                                 owner=worker, due_on=date(2026, 4, 1))
        services.add_meeting(case, {**MEETING, "held_on": date(2026, 2, 1)})
        services.classify(case, "aware", date(2026, 2, 2))

    urls = (f"/api/v1/areas/{area.id}/scotland/cases", f"/api/v1/areas/{area.id}/scotland/cases/{case.id}")
    more(0)
    small = [measure(url) for url in urls]
    for i in range(1, 10):
        more(i)
    assert [measure(url) for url in urls] == small
