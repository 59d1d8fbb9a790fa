"""Closing with checks (issue 15, finding 1): nothing closes a cycle by accident. The close check
lists returns not submitted, agreed scores to confirm again and statements nobody scored; closing
with any of them needs a written reason (in the history); the completion date is neither in the
future nor before the audit opened, in the partnership's calendar; the latest closed audit can be
reopened with a reason, and the schedule follows. Pages and API alike."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from hsbtrack.audits import services
from hsbtrack.audits.models import ScheduledAudit
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.timeutil import local_today
from tests.audits.test_api_audits import Scene, error_of
from tests.conftest import login, post_form


@pytest.fixture()
def scene(world):
    return Scene(world)


def score_everything(scene, audit, agencies=None, value=2):
    framework = services.framework_of(audit)
    for agency in agencies or (scene.police, scene.health, scene.education):
        for statement in framework.scored_statements:
            services.save_response(audit, agency.id, statement.code, score=value, user=scene.board)
        services.submit_agency(audit, agency.id, user=scene.board)


def is_open(audit) -> bool:
    """The audit as saved (the pages and the API write through their own sessions)."""
    db.session.expire_all()
    return services.get_audit(audit.id).is_open


def kinds(problems):
    out = {}
    for p in problems:
        out[p["kind"]] = out.get(p["kind"], 0) + 1
    return out


def test_the_close_check_lists_what_is_outstanding_and_closing_needs_a_reason(client, scene):
    audit = scene.open_audit()
    h = scene.h(scene.board)
    services.save_response(audit, scene.police.id, "1.1", score=2, user=scene.board)
    services.save_response(audit, scene.health.id, "1.1", score=3, user=scene.board)
    services.set_agreed_score(audit, "1.1", 3, "Health's evidence was stronger", user=scene.board)
    services.save_response(audit, scene.police.id, "1.1", score=1, user=scene.board)  # now stale

    check = client.get(f"/api/v1/audits/{audit.id}/close-check", headers=scene.h(scene.viewer)).get_json()
    assert check["ready"] is False
    assert kinds(check["problems"]) == {"missing_return": 3, "stale_moderation": 1, "unscored": 45}
    assert {"kind": "missing_return", "message": "Police has not submitted its return", "code": None,
            "agency_id": scene.police.id} in check["problems"]
    assert {p["code"] for p in check["problems"] if p["kind"] == "stale_moderation"} == {"1.1"}

    refused = error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=h), 409)
    assert "override_reason" in refused["fields"]
    assert kinds(client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=h).get_json()["problems"]) == \
        {"missing_return": 3, "stale_moderation": 1, "unscored": 45}
    assert is_open(audit)

    closed = client.post(f"/api/v1/audits/{audit.id}/close", headers=h,
                         json={"override_reason": "The partnership ended the cycle early: new framework"})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    entry = db.session.query(HistoryEntry).filter_by(entity="audit", entity_id=audit.id, field="override_reason").one()
    assert entry.new_value == "The partnership ended the cycle early: new framework"
    assert entry.user_id == scene.board.id


def test_a_complete_audit_closes_without_a_reason(client, scene):
    audit = scene.open_audit()
    score_everything(scene, audit)
    check = client.get(f"/api/v1/audits/{audit.id}/close-check", headers=scene.h(scene.board)).get_json()
    assert check == {"ready": True, "problems": []}
    closed = client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=scene.h(scene.board))
    assert closed.status_code == 200, closed.get_json()
    assert not db.session.query(HistoryEntry).filter_by(entity="audit", field="override_reason").count()


def test_the_completion_date_is_not_in_the_future_nor_before_the_audit_opened(client, scene):
    audit = scene.open_audit(opened_at=datetime(2026, 3, 10, 9, 0))
    score_everything(scene, audit)
    h = scene.h(scene.board)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    error = error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={"completed_on": tomorrow}, headers=h), 422)
    assert error["fields"] == {"completed_on": "The completion date cannot be in the future"}
    error = error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={"completed_on": "2026-03-09"}, headers=h),
                     422)
    assert error["fields"] == {"completed_on": "The completion date cannot be before the audit opened (10 March 2026)"}
    assert is_open(audit)
    closed = client.post(f"/api/v1/audits/{audit.id}/close", json={"completed_on": "2026-03-10"}, headers=h)
    assert closed.status_code == 200, closed.get_json()


def test_dates_follow_the_partnerships_calendar_not_utc(client, scene):
    audit = scene.open_audit(opened_at=datetime(2026, 6, 1, 9, 0))
    score_everything(scene, audit)
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: "today" there is already 1 July
    with time_machine.travel(datetime(2026, 6, 30, 23, 30, tzinfo=None), tick=False):
        response = client.post(f"/api/v1/audits/{audit.id}/close", json={"completed_on": "2026-07-01"},
                               headers=scene.h(scene.board))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["completed_on"] == "2026-07-01"


def test_the_latest_closed_audit_reopens_with_a_reason_and_the_schedule_follows(client, scene):
    t1 = scene.open_audit()
    score_everything(scene, t1)
    h = scene.h(scene.board)
    services.close_audit(t1, user=scene.board, completed_on=date(2026, 1, 15))
    slots = lambda: sorted((s.cycle, s.due_on) for s in db.session.query(ScheduledAudit).filter_by(baseline_id=t1.id))  # noqa: E731
    assert slots() == [(2, date(2026, 7, 15)), (3, date(2027, 1, 15))]

    error = error_of(client.post(f"/api/v1/audits/{t1.id}/reopen", json={}, headers=h), 422)
    assert error["fields"] == {"reason": "Say why the audit is being reopened"}
    error_of(client.post(f"/api/v1/audits/{t1.id}/reopen", json={"reason": "x"}, headers=scene.h(scene.police_lead)),
             403)
    reopened = client.post(f"/api/v1/audits/{t1.id}/reopen", json={"reason": "Police's return was incomplete"},
                           headers=h)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "open"
    assert reopened.get_json()["completed_on"] is None
    assert slots() == []  # the re-audits wait for the new completion date
    error_of(client.post(f"/api/v1/audits/{t1.id}/reopen", json={"reason": "again"}, headers=h), 409)
    assert db.session.query(HistoryEntry).filter_by(entity="audit", entity_id=t1.id, field="reason").one().new_value \
        == "Police's return was incomplete"

    db.session.expire_all()
    services.close_audit(t1, user=scene.board, completed_on=date(2026, 2, 20))
    assert slots() == [(2, date(2026, 8, 20)), (3, date(2027, 2, 20))]
    t2 = scene.open_audit()
    error = error_of(client.post(f"/api/v1/audits/{t1.id}/reopen", json={"reason": "late"}, headers=h), 409)
    assert "T2 has been opened since" in error["message"]
    assert t2.is_open


def test_the_pages_check_confirm_close_and_reopen(client, scene):
    audit = scene.open_audit()
    services.save_response(audit, scene.police.id, "1.1", score=2, user=scene.board)
    login(client, scene.board)
    detail = f"/areas/{scene.area.id}/audits/{audit.id}/"
    close = f"/areas/{scene.area.id}/audits/{audit.id}/close"
    assert close in client.get(detail).get_data(as_text=True)  # "Check and close the audit"

    page = client.get(close).get_data(as_text=True)
    assert "Returns not submitted (3)" in page and "Statements no agency scored (45)" in page
    assert "Police has not submitted its return" in page
    today = local_today()
    response = post_form(client, close, {"completed_on": [str(today.day), str(today.month), str(today.year)]})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and "Give a reason to close the audit with these problems outstanding" in body
    assert is_open(audit)

    response = post_form(client, close, {"completed_on": [str(today.day), str(today.month), str(today.year)],
                                         "override_reason": "Closing to start the new framework"})
    assert response.status_code == 302
    assert not is_open(audit)

    reopen = f"/areas/{scene.area.id}/audits/{audit.id}/reopen"
    assert reopen in client.get(detail).get_data(as_text=True)
    response = post_form(client, reopen, {"reason": ""})
    assert response.status_code == 422 and "Say why the audit is being reopened" in response.get_data(as_text=True)
    response = post_form(client, reopen, {"reason": "Health sent a late return"})
    assert response.status_code == 302 and is_open(audit)

    viewer = client.application.test_client()
    login(viewer, scene.viewer)
    assert viewer.get(close).status_code == 403  # a viewer reads the audit, may not close it
