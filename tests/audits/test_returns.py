"""Returns (issue 15, finding 4): a return deadline, the board's returns tracker with "send a reminder"
(recorded, once an agency a day), the agency lead's task panel, a confirmation page before submitting
(also reached from the end of domain 5), the scheduler's reminders before and after the deadline, and
sign-off by a senior officer where the area asks for it. Pages and API alike."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from hsbtrack.audits import returns, services
from hsbtrack.audits.models import AuditAgency, ReturnReminder
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.notifications.models import Notification
from hsbtrack.timeutil import local_today
from tests.audits.test_api_audits import Scene, error_of
from tests.conftest import count_queries, login, post_form

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # a Monday; returns due on 15 January 2027
DUE = date(2027, 1, 15)


@pytest.fixture()
def scene(world):
    scene = Scene(world)
    scene.senior = world.user("senior@example.org", scene.area, "senior_officer", agency=scene.police)
    scene.welsh_lead = world.user("heddlu@example.org", scene.area, "agency_lead", agency=scene.police, locale="cy")
    return scene


@pytest.fixture()
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).replace(" ,", ",")


def signed_in(app, user):
    """A client of its own for ``user`` (a test that acts as several people)."""
    client = app.test_client()
    login(client, user)
    return client


def score_all(audit, agency, user, skip=(), evidence="Case file audit, March"):
    for statement in services.framework_of(audit).scored_statements:
        if statement.code not in skip:
            services.save_response(audit, agency.id, statement.code, score=2, evidence=evidence, user=user)


def entries(audit, field):
    db.session.expire_all()
    return list(db.session.scalars(select(HistoryEntry).where(HistoryEntry.audit_id == audit.id,
                                                              HistoryEntry.field == field)))


# -- the deadline -----------------------------------------------------------------------------


def test_the_deadline_is_set_when_opening_and_changed_by_the_board_never_in_the_past(client, scene, clock):
    login(client, scene.board)
    new = f"/areas/{scene.area.id}/audits/new"
    past = post_form(client, new, {"framework": services.DEFAULT_FRAMEWORK, "agency_ids": [scene.police.id],
                                   "title": "x" * 201, "return_due_on": ["3", "1", "2027"]})
    page = text(past)
    assert "There is a problem" in page
    assert "The date returns are due cannot be in the past" in page
    assert "Title must be 200 characters or fewer" in page  # every error at once
    assert services.audits_for_area(scene.area.id) == []

    opened = post_form(client, new, {"framework": services.DEFAULT_FRAMEWORK, "agency_ids": [scene.police.id],
                                     "return_due_on": ["15", "1", "2027"]})
    assert opened.status_code == 302
    audit = services.audits_for_area(scene.area.id)[0]
    assert audit.return_due_on == DUE
    detail = text(client.get(opened.headers["Location"]))
    assert "Returns due 15 January 2027" in detail

    deadline = f"/areas/{scene.area.id}/audits/{audit.id}/deadline"
    bad = post_form(client, deadline, {"return_due_on": ["1", "1", "2027"]})
    assert bad.status_code == 422 and "The date returns are due cannot be in the past" in text(bad)
    moved = post_form(client, deadline, {"return_due_on": ["29", "1", "2027"]})
    assert moved.status_code == 302
    db.session.expire_all()
    assert services.get_audit(audit.id).return_due_on == date(2027, 1, 29)
    [entry] = entries(audit, "return_due_on")
    assert (entry.old_value, entry.new_value, entry.user_id) == ("2027-01-15", "2027-01-29", scene.board.id)


def test_patch_audit_sets_the_deadline_for_the_board_only(client, scene, clock):
    audit = scene.open_audit()
    url = f"/api/v1/audits/{audit.id}"
    error = error_of(client.patch(url, json={"return_due_on": "2027-01-01"}, headers=scene.h(scene.board)), 422)
    assert error["fields"] == {"return_due_on": "The date returns are due cannot be in the past"}
    error_of(client.patch(url, json={"return_due_on": "15/01/2027"}, headers=scene.h(scene.board)), 422)
    error_of(client.patch(url, json={"return_due_on": "2027-01-15"}, headers=scene.h(scene.police_lead)), 403)
    error_of(client.patch(url, json={"return_due_on": "2027-01-15"}, headers=scene.h(scene.other_board)), 404)
    body = client.patch(url, json={"return_due_on": "2027-01-15"}, headers=scene.h(scene.board)).get_json()
    assert body["return_due_on"] == "2027-01-15"
    assert client.get(url, headers=scene.h(scene.viewer)).get_json()["return_due_on"] == "2027-01-15"
    assert client.patch(url, json={"return_due_on": None}, headers=scene.h(scene.board)).get_json()[
        "return_due_on"] is None
    assert [e.new_value for e in entries(audit, "return_due_on")] == ["2027-01-15", None]


# -- the tracker and reminders ------------------------------------------------------------------


def test_the_tracker_lists_each_agency_for_the_board_and_not_for_agency_leads(app, client, scene, clock):
    audit = scene.open_audit(return_due_on=DUE)
    services.save_response(audit, scene.police.id, "1.1", score=2, user=scene.police_lead)
    services.save_response(audit, scene.police.id, "1.2", score=3, user=scene.police_lead)
    score_all(audit, scene.health, scene.board)
    services.submit_agency(audit, scene.health.id, user=scene.board)

    rows = {r["agency_id"]: r for r in client.get(f"/api/v1/audits/{audit.id}/returns",
                                                   headers=scene.h(scene.board)).get_json()}
    assert set(rows) == {scene.police.id, scene.health.id, scene.education.id}
    police, health, education = rows[scene.police.id], rows[scene.health.id], rows[scene.education.id]
    assert (police["scored"], police["total"], police["submitted_at"]) == (2, 46, None)
    assert police["last_activity_at"].startswith("2027-01-04T10:00")
    assert health["scored"] == 46 and health["submitted_at"].startswith("2027-01-04")
    assert (education["scored"], education["last_activity_at"], education["signed_off_at"]) == (0, None, None)

    for user in (scene.police_lead, scene.viewer, scene.other_board):
        error_of(client.get(f"/api/v1/audits/{audit.id}/returns", headers=scene.h(user)), 404)
    page = f"/areas/{scene.area.id}/audits/{audit.id}/returns"
    login(client, scene.police_lead)
    assert client.get(page).status_code == 404
    assert "returns-tracker" not in client.get(f"/areas/{scene.area.id}/audits/{audit.id}/").get_data(as_text=True)

    client = signed_in(app, scene.board)
    tracker = text(client.get(page))
    assert "1 of 3 returns submitted. They are due on 15 January 2027." in tracker
    assert "Police 2 of 46 4 January 2027 Not submitted" in tracker
    assert "Education 0 of 46 None yet Not submitted" in tracker


def test_the_tracker_reads_in_a_fixed_number_of_queries(app, client, scene, world, clock):
    audit = scene.open_audit(return_due_on=DUE)
    login(client, scene.board)
    page = f"/areas/{scene.area.id}/audits/{audit.id}/returns"
    client.get(page)
    with count_queries(app) as few:
        assert client.get(page).status_code == 200
    from hsbtrack.areas.services import create_agency

    for n in range(6):
        agency = create_agency(scene.area, f"Agency {n}")
        db.session.add(AuditAgency(audit_id=audit.id, agency_id=agency.id))
        services.save_response(audit, agency.id, "1.1", score=1, user=scene.board)
    db.session.commit()
    with count_queries(app) as many:
        assert client.get(page).status_code == 200
    assert many() == few()


def test_send_a_reminder_reaches_the_agency_leads_in_their_language_once_a_day(app, client, scene, clock, outbox):
    audit = scene.open_audit(return_due_on=DUE)
    services.save_response(audit, scene.police.id, "1.1", score=2, user=scene.police_lead)
    login(client, scene.board)
    tracker = f"/areas/{scene.area.id}/audits/{audit.id}/returns"
    remind = f"/areas/{scene.area.id}/audits/{audit.id}/returns/{scene.police.id}/remind"
    assert post_form(client, remind, {}, page=tracker).status_code == 302
    assert "A reminder has been sent to the agency leads of Police" in text(client.get(tracker))

    [reminder] = db.session.scalars(select(ReturnReminder)).all()
    assert (reminder.agency_id, reminder.kind, reminder.sent_by_id) == (scene.police.id, "manual", scene.board.id)
    notes = {n.user_id: n for n in db.session.scalars(select(Notification).where(Notification.kind == "return"))}
    assert set(notes) == {scene.police_lead.id, scene.welsh_lead.id}  # the leads of Police, nobody else
    assert notes[scene.police_lead.id].subject == "The T1 return of Police is due on 15 January 2027"
    assert "Police has 45 statements still to score" in notes[scene.police_lead.id].body
    assert notes[scene.welsh_lead.id].subject != notes[scene.police_lead.id].subject  # written in Welsh
    assert "Ionawr" in notes[scene.welsh_lead.id].subject
    assert sorted(m["To"] for m in outbox) == sorted([scene.police_lead.email, scene.welsh_lead.email])

    # a second within 24 hours: told politely, nothing sent, never a server error
    second = post_form(client, remind, {}, page=tracker)
    assert second.status_code == 409
    assert ("Police was reminded on 4 January 2027, 10:00. You can send another reminder from 5 January 2027, "
            "10:00.") in text(second)
    error = error_of(client.post(f"/api/v1/audits/{audit.id}/returns/{scene.police.id}/reminders",
                                 headers=scene.h(scene.board)), 409)
    assert "You can send another reminder from 5 January 2027" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(ReturnReminder)) == 1 and len(outbox) == 2

    clock.shift(timedelta(hours=24))
    response = client.post(f"/api/v1/audits/{audit.id}/returns/{scene.police.id}/reminders",
                           headers=scene.h(scene.board))
    assert response.status_code == 201 and response.get_json()["kind"] == "manual"
    assert len(outbox) == 4
    # the tracker says when the last one went
    client = signed_in(app, scene.board)  # (a new day: signed in again)
    assert "5 January 2027, 10:00" in text(client.get(tracker))
    # agency leads cannot chase each other; a submitted return needs no reminder
    error_of(client.post(f"/api/v1/audits/{audit.id}/returns/{scene.health.id}/reminders",
                         headers=scene.h(scene.police_lead)), 403)
    score_all(audit, scene.health, scene.board)
    services.submit_agency(audit, scene.health.id, user=scene.board)
    error_of(client.post(f"/api/v1/audits/{audit.id}/returns/{scene.health.id}/reminders",
                         headers=scene.h(scene.board)), 409)


def test_an_agency_without_a_lead_is_a_field_error_not_a_server_error(client, scene, clock):
    audit = scene.open_audit(return_due_on=DUE)
    error = error_of(client.post(f"/api/v1/audits/{audit.id}/returns/{scene.education.id}/reminders",
                                 headers=scene.h(scene.board)), 422)
    assert "Education has no agency lead to remind" in error["fields"]["agency_id"]


# -- the task panel ---------------------------------------------------------------------------------


def test_agency_leads_see_what_is_left_on_the_dashboard_and_the_home_page(app, client, scene, world, clock):
    audit = scene.open_audit(return_due_on=DUE)
    for code in ("1.1", "1.2", "1.3"):
        services.save_response(audit, scene.police.id, code, score=2, user=scene.police_lead)
    login(client, scene.police_lead)
    dashboard = text(client.get(f"/areas/{scene.area.id}/"))
    assert "Your returns Score for Police: 43 of 46 left, due 15 January 2027" in dashboard
    link = f'href="/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.police.id}/"'
    assert link in client.get(f"/areas/{scene.area.id}/").get_data(as_text=True)
    assert "Health" not in dashboard.split("Your returns")[1][:200]  # only the agency they lead

    # a lead in two areas lands on the list of areas: the panel is there too, naming the area
    second = world.area("Hillside", agencies=("Hillside Police",))
    from hsbtrack.areas.services import add_area_member

    add_area_member(second, scene.police_lead.email, "agency_lead", second.agencies[0].id)
    scene.services.open_audit(second, user=None)
    home = text(client.get("/"))
    assert "Riverside · Score for Police: 43 of 46 left, due 15 January 2027" in home
    assert "Hillside · Score for Hillside Police: 46 of 46 left" in home

    # the board manager has no panel; a submitted return leaves it
    board = signed_in(app, scene.board)
    assert "Your returns" not in text(board.get(f"/areas/{scene.area.id}/"))
    score_all(audit, scene.police, scene.police_lead)
    services.submit_agency(audit, scene.police.id, user=scene.police_lead)
    assert "Score for Police" not in text(client.get(f"/areas/{scene.area.id}/"))


# -- submitting ------------------------------------------------------------------------------------


def test_submitting_shows_blanks_and_missing_evidence_first(client, scene, clock):
    audit = scene.open_audit(return_due_on=DUE)
    score_all(audit, scene.police, scene.police_lead, skip=("5.4",))
    services.save_response(audit, scene.police.id, "1.2", evidence="", user=scene.police_lead,
                           fields=("evidence",))
    login(client, scene.police_lead)
    submit = f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.police.id}/submit"
    page = text(client.get(submit))
    assert "1 statement is still blank" in page and "5.4" in page
    assert "1 statement is scored without evidence" in page and "1.2" in page
    assert "Submit the return" in page and 'id="confirm-submit"' not in client.get(submit).get_data(as_text=True)

    # the end of domain 5: save and go to the confirmation
    domain5 = f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.police.id}/domains/5"
    form = client.get(domain5).get_data(as_text=True)
    assert 'id="save-submit"' in form
    data = {"action": "submit", "score-5.4": "3", "evidence-5.4": "Supervision records"}
    for statement in services.framework_of(audit).domain(5).scored_statements:
        row = services.responses_for_agency(audit, scene.police.id).get(statement.code)
        data.setdefault(f"score-{statement.code}", str(row.score) if row else "")
        data.setdefault(f"evidence-{statement.code}", row.evidence if row else "")
        data[f"version-{statement.code}"] = str(row.version if row else 0)
    response = post_form(client, domain5, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(submit)
    page = text(client.get(submit))
    assert "still blank" not in page and "1 statement is scored without evidence" in page

    response = post_form(client, submit, {})
    assert response.status_code == 302
    db.session.expire_all()
    link = next(p for p, a in services.participants(audit) if a.id == scene.police.id)
    assert link.submitted_at is not None
    assert [e.user_id for e in entries(audit, "submitted_at")] == [scene.police_lead.id]
    assert 'id="save-submit"' not in client.get(domain5).get_data(as_text=True)  # submitted: no second submit


# -- sign-off ----------------------------------------------------------------------------------------


def require_sign_off(client, scene):
    login(client, scene.board)
    response = post_form(client, f"/areas/{scene.area.id}/audits/settings", {"returns_sign_off": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.sign_off_required(scene.area)


def test_a_senior_officer_signs_the_return_off_where_the_area_asks(app, client, scene, clock):
    audit = scene.open_audit(return_due_on=DUE)
    score_all(audit, scene.police, scene.police_lead)
    services.submit_agency(audit, scene.police.id, user=scene.police_lead)
    assert "unsigned_return" not in {p.kind for p in services.close_check(audit)}  # not asked for yet
    error_of(client.post(f"/api/v1/audits/{audit.id}/agencies/{scene.police.id}/sign-off",
                         headers=scene.h(scene.senior)), 409)

    require_sign_off(client, scene)
    problems = [p for p in services.close_check(audit) if p.kind == "unsigned_return"]
    assert [(p.agency_id, p.message) for p in problems] == [
        (scene.police.id, "The return of Police has not been signed off by a senior officer")]
    tracker = text(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/returns"))
    assert "Police 46 of 46 4 January 2027 4 January 2027 Waiting for sign-off" in tracker

    sign = f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.police.id}/sign-off"
    assert client.get(sign).status_code == 403  # the board manager is not the agency's senior officer
    assert signed_in(app, scene.police_lead).get(sign).status_code == 403  # nor is its agency lead
    client = signed_in(app, scene.senior)
    assert "Sign off the T1 return of Police" in text(client.get(f"/areas/{scene.area.id}/"))
    page = client.get(sign)
    assert page.status_code == 200 and "Case file audit, March" in text(page)  # what they sign
    assert client.get(f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.health.id}/sign-off").status_code == 403
    assert post_form(client, sign, {}).status_code == 302
    db.session.expire_all()
    assert "unsigned_return" not in {p.kind for p in services.close_check(audit)}
    [entry] = entries(audit, "signed_off_at")
    assert entry.user_id == scene.senior.id and entry.old_value is None
    report = text(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/report"))
    assert "signed off by" in report and "on 4 January 2027" in report
    assert "Signed off" in text(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/"))
    body = client.get(f"/api/v1/audits/{audit.id}/returns", headers=scene.h(scene.board)).get_json()
    assert next(r for r in body if r["agency_id"] == scene.police.id)["signed_off_at"].startswith("2027-01-04")

    # a change afterwards withdraws the sign-off (in the history), and it is asked for again
    services.save_response(audit, scene.police.id, "1.1", score=4, user=scene.police_lead)
    assert "unsigned_return" in {p.kind for p in services.close_check(audit)}
    assert [e.new_value for e in entries(audit, "signed_off_at")].count(None) == 1
    response = client.post(f"/api/v1/audits/{audit.id}/agencies/{scene.police.id}/sign-off",
                           headers=scene.h(scene.senior))
    assert response.status_code == 200
    assert next(a for a in response.get_json()["agencies"] if a["id"] == scene.police.id)["signed_off_at"]
    error_of(client.post(f"/api/v1/audits/{audit.id}/agencies/{scene.police.id}/sign-off",
                         headers=scene.h(scene.senior)), 409)  # signed off already
    error_of(client.post(f"/api/v1/audits/{audit.id}/agencies/{scene.police.id}/sign-off",
                         headers=scene.h(scene.board)), 403)


def test_close_check_api_reports_unsigned_returns(client, scene, clock):
    audit = scene.open_audit()
    scene.area.settings = {"returns_sign_off": True}
    db.session.commit()
    score_all(audit, scene.police, scene.board)
    services.submit_agency(audit, scene.police.id, user=scene.board)
    check = client.get(f"/api/v1/audits/{audit.id}/close-check", headers=scene.h(scene.board)).get_json()
    assert {"kind": "unsigned_return", "agency_id": scene.police.id, "code": None,
            "message": "The return of Police has not been signed off by a senior officer"} in check["problems"]


def test_the_senior_officer_role_is_offered_and_needs_an_agency(client, scene):
    body = client.get("/api/v1/roles", headers=scene.h(scene.board)).get_json()
    role = next(r for r in body if r["id"] == "senior_officer")
    assert role["title"] == "Senior officer"
    assert {"audit.sign_off", "audit.responses.read_own", "area.view"} <= set(role["permissions"])
    assert "audit.score" not in role["permissions"]
    from hsbtrack.areas.services import add_area_member
    from hsbtrack.errors import ServiceError

    with pytest.raises(ServiceError):
        add_area_member(scene.area, "nobody@example.org", "senior_officer", None)


def test_returns_helpers_outside_a_request(app, scene, clock):
    audit = scene.open_audit(return_due_on=DUE)
    assert local_today() == date(2027, 1, 4)
    statuses = returns.returns_status(audit)
    assert [s.agency.name for s in statuses] == ["Education", "Health", "Police"]
    assert all(s.left == 46 for s in statuses)
