"""The audit parts of the JSON API: audits, responses, agreed scores, closing, the schedule, graphs,
exports, and the permission rules (the same as the pages)."""

import csv as csv_module
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import OPENED_EARLIER, api_headers, count_queries

SCORE_MESSAGE = "Score must be a whole number from 0 to 4"


class Scene:
    """Riverside (Police, Health, Education) with a board manager, a lead per agency and a viewer;
    Zebrafield with its own board manager and audit."""

    def __init__(self, world):
        from hsbtrack.audits import services

        self.services = services
        self.area = world.area("Riverside")
        self.police = world.agency(self.area, "Police")
        self.health = world.agency(self.area, "Health")
        self.education = world.agency(self.area, "Education")
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.police_lead = world.user("police@example.org", self.area, "agency_lead", agency=self.police)
        self.health_lead = world.user("health@example.org", self.area, "agency_lead", agency=self.health)
        self.viewer = world.user("viewer@example.org", self.area, "viewer")
        self.other_area = world.area("Zebrafield", agencies=("Zebra Police",))
        self.other_board = world.user("board@zebrafield.example", self.other_area, "board_manager")
        self.admin = world.user("admin@example.org", admin=True)
        self.headers = {}

    def h(self, user):
        if user.email not in self.headers:
            self.headers[user.email] = api_headers(user)
        return self.headers[user.email]

    def open_audit(self, area=None, **kwargs):
        kwargs.setdefault("opened_at", OPENED_EARLIER)
        return self.services.open_audit(area or self.area, user=self.board, **kwargs)

    def other_audit(self):
        return self.services.open_audit(self.other_area, user=self.other_board, opened_at=OPENED_EARLIER)


@pytest.fixture()
def scene(world):
    return Scene(world)


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    body = response.get_json()
    # a 409 about one record also shows that record as it now is (docs/architecture.md, "Transactions"); a 409
    # from closing an audit, what is outstanding
    extra = {key for key in ("current", "problems") if status == 409 and key in body}
    assert set(body) == {"error", *extra}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def response_count(db):
    from hsbtrack.audits.models import Response

    return db.session.scalar(select(func.count()).select_from(Response))


def history_count(db):
    from hsbtrack.history.models import HistoryEntry

    return db.session.scalar(select(func.count()).select_from(HistoryEntry))


# -- opening, reading -------------------------------------------------------------------------


def test_open_audit_returns_the_contract_fields(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/audits", json={"framework": "nspcc-hsb-2019"},
                           headers=scene.h(scene.board))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    for key in ("id", "cycle", "label", "status", "framework", "title", "area_id", "previous_id", "agencies",
                "opened_at", "completed_on"):
        assert key in body
    assert body["cycle"] == 1 and body["label"] == "T1" and body["status"] == "open"
    assert body["area_id"] == scene.area.id and body["previous_id"] is None and body["completed_on"] is None
    assert sorted(a["name"] for a in body["agencies"]) == ["Education", "Health", "Police"]

    again = client.get(f"/api/v1/audits/{body['id']}", headers=scene.h(scene.viewer))
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    listed = client.get(f"/api/v1/areas/{scene.area.id}/audits", headers=scene.h(scene.police_lead))
    assert [a["id"] for a in listed.get_json()] == [body["id"]]


def test_open_audit_with_title_and_some_agencies(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/audits",
                           json={"framework": "nspcc-hsb-2019", "title": "Baseline 2026",
                                 "agency_ids": [scene.police.id, scene.health.id]},
                           headers=scene.h(scene.board))
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Baseline 2026"
    assert {a["id"] for a in body["agencies"]} == {scene.police.id, scene.health.id}


def test_open_audit_refusals(client, scene):
    url = f"/api/v1/areas/{scene.area.id}/audits"
    assert error_of(client.post(url, json={}, headers=scene.h(scene.viewer)), 403)["code"] == "forbidden"
    assert error_of(client.post(url, json={}, headers=scene.h(scene.police_lead)), 403)
    error = error_of(client.post(url, json={"framework": "nope"}, headers=scene.h(scene.board)), 422)
    assert "framework" in error["fields"]
    error = error_of(client.post(url, json={"agency_ids": [scene.other_area.agencies[0].id]},
                                 headers=scene.h(scene.board)), 422)
    assert "agency_ids" in error["fields"]
    error_of(client.post(f"/api/v1/areas/{scene.other_area.id}/audits", json={}, headers=scene.h(scene.board)), 404)
    assert client.post(url, json={}, headers=scene.h(scene.board)).status_code == 201
    error = error_of(client.post(url, json={}, headers=scene.h(scene.board)), 409)
    assert "framework" in error["fields"]


def test_without_a_token_401(client, scene):
    audit = scene.open_audit()
    error = error_of(client.get(f"/api/v1/audits/{audit.id}"), 401)
    assert error["code"] == "unauthorized"


def test_another_areas_audit_is_404_everywhere(client, scene):
    foreign = scene.other_audit()
    h = scene.h(scene.board)
    agency = scene.other_area.agencies[0].id
    for method, path, body in (
        ("GET", f"/audits/{foreign.id}", None),
        ("GET", f"/audits/{foreign.id}/responses", None),
        ("GET", f"/audits/{foreign.id}/domain-responses", None),
        ("GET", f"/audits/{foreign.id}/scores", None),
        ("GET", f"/audits/{foreign.id}/radar.svg", None),
        ("GET", f"/audits/{foreign.id}/export.xlsx", None),
        ("GET", f"/audits/{foreign.id}/export.csv", None),
        ("PUT", f"/audits/{foreign.id}/responses/{agency}/1.1", {"score": 2}),
        ("PUT", f"/audits/{foreign.id}/responses/{agency}/1.1", {"score": 9}),
        ("PUT", f"/audits/{foreign.id}/domain-responses/{agency}/1", {"comments": "x"}),
        ("POST", f"/audits/{foreign.id}/agencies/{agency}/submit", None),
        ("PUT", f"/audits/{foreign.id}/scores/1.1", {"score": 2}),
        ("DELETE", f"/audits/{foreign.id}/scores/1.1", None),
        ("POST", f"/audits/{foreign.id}/close", {}),
        ("GET", f"/areas/{scene.other_area.id}/audits", None),
        ("GET", f"/areas/{scene.other_area.id}/schedule", None),
        ("GET", "/audits/999999", None),
    ):
        response = client.open(f"/api/v1{path}", method=method, json=body, headers=h)
        assert error_of(response, 404)["code"] == "not_found", (method, path)


# -- agency responses -------------------------------------------------------------------------


def test_agency_lead_scores_for_own_agency(client, scene, ctx):
    audit = scene.open_audit()
    url = f"/api/v1/audits/{audit.id}/responses/{scene.police.id}/1.1"
    first = client.put(url, json={"score": 3, "evidence": "Case audit, 2026", "assurance": "Quarterly QA"},
                       headers=scene.h(scene.police_lead))
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    progress = body.pop("progress")
    assert body == {"agency_id": scene.police.id, "code": "1.1", "score": 3, "evidence": "Case audit, 2026",
                    "assurance": "Quarterly QA", "version": 1, "updated_at": body["updated_at"],
                    "source": "agency", "shared_return_id": None}  # (its own answer, not a shared return's)
    assert progress["scored"] == 1 and progress["total"] == 46 and progress["domains"]["1"] == {"scored": 1, "total": 10}
    second = client.put(url, json={"score": 2, "version": 1}, headers=scene.h(scene.police_lead))
    assert second.status_code == 200
    assert second.get_json()["version"] == 2 and second.get_json()["evidence"] == "Case audit, 2026"
    # A stale version is a conflict, and nothing changes.
    answer = client.put(url, json={"score": 4, "version": 1}, headers=scene.h(scene.police_lead))
    stale = error_of(answer, 409)
    assert stale["code"] == "conflict" and "version" in stale["fields"]
    assert answer.get_json()["current"]["score"] == 2 and answer.get_json()["current"]["version"] == 2
    # "I saw no answer" (version 0) when there is one is a conflict too.
    error_of(client.put(url, json={"score": 4, "version": 0}, headers=scene.h(scene.police_lead)), 409)
    listed = client.get(f"/api/v1/audits/{audit.id}/responses?agency_id={scene.police.id}",
                        headers=scene.h(scene.board)).get_json()
    assert [(r["code"], r["score"], r["version"]) for r in listed] == [("1.1", 2, 2)]


def test_agency_lead_cannot_score_for_another_agency(client, scene, ctx):
    audit = scene.open_audit()
    for body in ({"score": 2}, {"score": 9}, {"score": "x", "bogus": 1}):
        response = client.put(f"/api/v1/audits/{audit.id}/responses/{scene.health.id}/1.1", json=body,
                              headers=scene.h(scene.police_lead))
        assert error_of(response, 403)["code"] == "forbidden"
    error_of(client.post(f"/api/v1/audits/{audit.id}/agencies/{scene.health.id}/submit",
                         headers=scene.h(scene.police_lead)), 403)
    error_of(client.put(f"/api/v1/audits/{audit.id}/domain-responses/{scene.health.id}/1", json={"comments": "x"},
                        headers=scene.h(scene.police_lead)), 403)
    assert scene.services.audit_responses(audit) == []


def test_viewer_cannot_put(client, scene):
    audit = scene.open_audit()
    h = scene.h(scene.viewer)
    error_of(client.put(f"/api/v1/audits/{audit.id}/responses/{scene.police.id}/1.1", json={"score": 2}, headers=h), 403)
    error_of(client.put(f"/api/v1/audits/{audit.id}/scores/1.1", json={"score": 2}, headers=h), 403)
    error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=h), 403)
    # ...reads the audit and its agreed scores, but no agency's responses or evidence (404: they do
    # not exist for a viewer).
    for path in ("", "/scores"):
        assert client.get(f"/api/v1/audits/{audit.id}{path}", headers=h).status_code == 200
    for path in ("/responses", "/domain-responses", "/export.csv", "/export.xlsx"):
        error_of(client.get(f"/api/v1/audits/{audit.id}{path}", headers=h), 404)


def test_board_manager_scores_for_any_agency(client, scene):
    audit = scene.open_audit()
    for agency in (scene.police, scene.health, scene.education):
        response = client.put(f"/api/v1/audits/{audit.id}/responses/{agency.id}/2.1a", json={"score": 1},
                              headers=scene.h(scene.board))
        assert response.status_code == 200


@pytest.mark.parametrize("bad", [5, -1, 2.5, "x", True, "2.5", [], {"n": 1}])
def test_bad_scores_are_refused_and_nothing_changes(client, scene, ctx, bad):
    from hsbtrack.extensions import db

    audit = scene.open_audit()
    url = f"/api/v1/audits/{audit.id}/responses/{scene.police.id}/1.2"
    assert client.put(url, json={"score": 2, "evidence": "kept"}, headers=scene.h(scene.police_lead)).status_code == 200
    responses, history = response_count(db), history_count(db)
    error = error_of(client.put(url, json={"score": bad, "evidence": "changed"}, headers=scene.h(scene.police_lead)),
                     422)
    assert error["fields"]["score"] == SCORE_MESSAGE
    assert error["message"] == SCORE_MESSAGE
    db.session.expire_all()
    assert response_count(db) == responses and history_count(db) == history
    row = client.get(f"/api/v1/audits/{audit.id}/responses", headers=scene.h(scene.board)).get_json()
    assert [(r["code"], r["score"], r["evidence"], r["version"]) for r in row] == [("1.2", 2, "kept", 1)]


def test_bad_score_on_a_new_response_saves_nothing(client, scene, ctx):
    from hsbtrack.extensions import db

    audit = scene.open_audit()
    for bad in (5, -1, 2.5, "x"):
        response = client.put(f"/api/v1/audits/{audit.id}/responses/{scene.police.id}/1.1",
                              json={"score": bad, "evidence": "some"}, headers=scene.h(scene.police_lead))
        assert error_of(response, 422)["fields"] == {"score": SCORE_MESSAGE}
    assert response_count(db) == 0


def test_scores_as_whole_numbers_in_other_shapes_are_accepted(client, scene):
    audit = scene.open_audit()
    url = f"/api/v1/audits/{audit.id}/responses/{scene.police.id}/1.1"
    assert client.put(url, json={"score": "3"}, headers=scene.h(scene.police_lead)).get_json()["score"] == 3
    assert client.put(url, json={"score": 4.0}, headers=scene.h(scene.police_lead)).get_json()["score"] == 4
    assert client.put(url, json={"score": None}, headers=scene.h(scene.police_lead)).get_json()["score"] is None


def test_unknown_code_heading_closed_and_non_participants(client, scene):
    audit = scene.open_audit(agency_ids=[scene.police.id, scene.health.id])
    h = scene.h(scene.board)
    base = f"/api/v1/audits/{audit.id}/responses"
    error = error_of(client.put(f"{base}/{scene.police.id}/9.9", json={"score": 1}, headers=h), 404)
    assert "code" in error["fields"]
    error = error_of(client.put(f"{base}/{scene.police.id}/1.6", json={"score": 1}, headers=h), 422)
    assert "heading" in error["fields"]["code"]
    error_of(client.put(f"{base}/{scene.education.id}/1.1", json={"score": 1}, headers=h), 404)
    error_of(client.get(f"{base}?agency_id={scene.education.id}", headers=h), 404)
    unknown = error_of(client.put(f"{base}/{scene.police.id}/1.1", json={"score": 1, "colour": "red"}, headers=h), 422)
    assert "colour" in unknown["fields"]
    scene.services.close_audit(audit, user=scene.board, override_reason="closed as the test sets it up")
    error = error_of(client.put(f"{base}/{scene.police.id}/1.1", json={"score": 1}, headers=h), 409)
    assert error["code"] == "conflict"


def test_responses_are_listed_in_printed_order(client, scene):
    audit = scene.open_audit()
    for code in ("2.2", "1.6b", "1.7", "1.1"):
        scene.services.save_response(audit, scene.health.id, code, score=1, user=scene.board)
    scene.services.save_response(audit, scene.police.id, "5.8", score=4, user=scene.board)
    rows = client.get(f"/api/v1/audits/{audit.id}/responses", headers=scene.h(scene.board)).get_json()
    assert [(r["agency_id"], r["code"]) for r in rows] == sorted(
        [(scene.health.id, c) for c in ("1.1", "1.6b", "1.7", "2.2")] + [(scene.police.id, "5.8")],
        key=lambda pair: (pair[0], ["1.1", "1.6b", "1.7", "2.2", "5.8"].index(pair[1])))


def test_domain_responses_and_submit(client, scene):
    audit = scene.open_audit(agency_ids=[scene.police.id])
    h = scene.h(scene.police_lead)
    url = f"/api/v1/audits/{audit.id}/domain-responses/{scene.police.id}/2"
    saved = client.put(url, json={"comments": "Pathway agreed", "date_completed": "2026-03-31"}, headers=h)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["date_completed"] == "2026-03-31" and saved.get_json()["version"] == 1
    kept = client.put(url, json={"comments": "Pathway agreed in March"}, headers=h).get_json()
    assert kept["date_completed"] == "2026-03-31" and kept["version"] == 2
    error = error_of(client.put(url, json={"date_completed": "31/03/2026"}, headers=h), 422)
    assert "date_completed" in error["fields"]
    error_of(client.put(f"/api/v1/audits/{audit.id}/domain-responses/{scene.police.id}/9", json={}, headers=h), 404)
    listed = client.get(f"/api/v1/audits/{audit.id}/domain-responses", headers=h).get_json()
    assert [(d["domain"], d["comments"]) for d in listed] == [(2, "Pathway agreed in March")]

    submit = f"/api/v1/audits/{audit.id}/agencies/{scene.police.id}/submit"
    error = error_of(client.post(submit, headers=h), 422)
    assert "submit" in error["fields"]
    framework = scene.services.framework_of(audit)
    for statement in framework.scored_statements:
        scene.services.save_response(audit, scene.police.id, statement.code, score=2, user=scene.board)
    body = client.post(submit, headers=h).get_json()
    assert body["agencies"][0]["submitted_at"] is not None


# -- consolidated and agreed scores -----------------------------------------------------------


def _score_three(scene, audit, police, health, education, code="1.1"):
    for agency, score in ((scene.police, police), (scene.health, health), (scene.education, education)):
        if score is not None:
            scene.services.save_response(audit, agency.id, code, score=score, user=scene.board)


def test_scores_agreed_is_lowest_with_spread_and_disagreement(client, scene):
    audit = scene.open_audit()
    _score_three(scene, audit, 3, 1, 2, "1.1")
    _score_three(scene, audit, 2, 2, 3, "1.2")
    _score_three(scene, audit, 4, None, None, "5.8")
    body = client.get(f"/api/v1/audits/{audit.id}/scores", headers=scene.h(scene.viewer)).get_json()
    assert len(body["statements"]) == 46
    by_code = {s["code"]: s for s in body["statements"]}
    first = by_code["1.1"]
    assert first["agency_scores"] == {str(scene.police.id): 3, str(scene.health.id): 1, str(scene.education.id): 2}
    assert (first["lowest"], first["agreed"], first["spread"], first["disagreement"], first["moderated"]) == \
        (1, 1, 2, True, False)
    assert (by_code["1.2"]["agreed"], by_code["1.2"]["disagreement"]) == (2, False)
    assert by_code["1.3"]["agreed"] is None and by_code["1.3"]["agency_scores"] == {}
    domains = {d["number"]: d for d in body["domains"]}
    assert domains[1]["mean"] == 1.5 and domains[1]["percent"] == 37.5
    assert domains[5]["mean"] == 4 and domains[2]["mean"] is None


def test_moderation_needs_a_justification_above_the_lowest(client, scene, ctx):
    from hsbtrack.extensions import db

    audit = scene.open_audit()
    _score_three(scene, audit, 3, 1, 2)
    url = f"/api/v1/audits/{audit.id}/scores/1.1"
    h = scene.h(scene.board)
    history = history_count(db)
    error = error_of(client.put(url, json={"score": 2}, headers=h), 422)
    assert "justification" in error["fields"]
    error = error_of(client.put(url, json={"score": 7, "justification": "why"}, headers=h), 422)
    assert error["fields"]["score"] == SCORE_MESSAGE
    db.session.expire_all()
    assert history_count(db) == history
    assert scene.services.agreed_rows(audit) == {}

    saved = client.put(url, json={"score": 2, "justification": "Health's pathway replaced in March"}, headers=h)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert (body["agreed"], body["lowest"], body["moderated"], body["version"]) == (2, 1, True, 1)
    assert body["justification"] == "Health's pathway replaced in March"
    stale = error_of(client.put(url, json={"score": 3, "justification": "x", "version": 5}, headers=h), 409)
    assert stale["code"] == "conflict"
    # At or below the lowest needs no justification.
    assert client.put(url, json={"score": 0, "version": 1}, headers=h).get_json()["agreed"] == 0
    reset = client.delete(url, headers=h)
    assert reset.status_code == 200
    assert (reset.get_json()["agreed"], reset.get_json()["moderated"]) == (1, False)
    error_of(client.put(f"/api/v1/audits/{audit.id}/scores/1.6", json={"score": 1}, headers=h), 422)
    error_of(client.put(f"/api/v1/audits/{audit.id}/scores/8.8", json={"score": 1}, headers=h), 404)
    error_of(client.delete(f"/api/v1/audits/{audit.id}/scores/8.8", headers=h), 404)


def test_only_moderators_set_agreed_scores(client, scene):
    audit = scene.open_audit()
    _score_three(scene, audit, 3, 1, 2)
    for user in (scene.police_lead, scene.viewer):
        response = client.put(f"/api/v1/audits/{audit.id}/scores/1.1", json={"score": 1}, headers=scene.h(user))
        error_of(response, 403)
        error_of(client.delete(f"/api/v1/audits/{audit.id}/scores/1.1", headers=scene.h(user)), 403)


# -- closing and the schedule -----------------------------------------------------------------


def test_closing_t1_schedules_t2_and_t3(client, scene):
    audit = scene.open_audit()
    h = scene.h(scene.board)
    error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=scene.h(scene.police_lead)), 403)
    error = error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={"completed_on": "15/01/2026"}, headers=h),
                     422)
    assert "completed_on" in error["fields"]
    closed = client.post(f"/api/v1/audits/{audit.id}/close", headers=h,
                         json={"completed_on": "2026-01-15", "override_reason": "Baseline closed with the returns in"})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "closed" and closed.get_json()["completed_on"] == "2026-01-15"
    error_of(client.post(f"/api/v1/audits/{audit.id}/close", json={}, headers=h), 409)
    schedule = client.get(f"/api/v1/areas/{scene.area.id}/schedule", headers=scene.h(scene.viewer)).get_json()
    assert [(s["kind"], s["cycle"], s["due_on"], s["audit_id"]) for s in schedule] == [
        ("reaudit", 2, "2026-07-15", None), ("reaudit", 3, "2027-01-15", None)]

    t2 = client.post(f"/api/v1/areas/{scene.area.id}/audits", json={}, headers=h).get_json()
    assert (t2["label"], t2["previous_id"]) == ("T2", audit.id)
    schedule = client.get(f"/api/v1/areas/{scene.area.id}/schedule", headers=h).get_json()
    assert schedule[0]["audit_id"] == t2["id"]


def test_close_without_a_date_uses_the_partnerships_today(client, scene):
    from hsbtrack.timeutil import local_today

    audit = scene.open_audit()
    response = client.post(f"/api/v1/audits/{audit.id}/close", headers=scene.h(scene.board),
                           json={"override_reason": "Closed before every return was in"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["completed_on"] == local_today().isoformat()


# -- graphs and exports -----------------------------------------------------------------------


def test_radar_svg_with_comparison(client, scene):
    t1 = scene.open_audit()
    _score_three(scene, t1, 1, 2, 2)
    scene.services.close_audit(t1, user=scene.board, completed_on=date(2026, 1, 15), override_reason="closed as the test sets it up")
    t2 = scene.open_audit()
    _score_three(scene, t2, 3, 3, 2)
    h = scene.h(scene.viewer)
    response = client.get(f"/api/v1/audits/{t2.id}/radar.svg?compare={t1.id}", headers=h)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<svg" in svg and "T1" in svg and "T2" in svg
    etag = response.headers.get("ETag")
    assert etag
    again = client.get(f"/api/v1/audits/{t2.id}/radar.svg?compare={t1.id}", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304
    alone = client.get(f"/api/v1/audits/{t2.id}/radar.svg", headers=h)
    assert alone.status_code == 200 and alone.headers["ETag"] != etag
    foreign = scene.other_audit()
    error_of(client.get(f"/api/v1/audits/{t2.id}/radar.svg?compare={foreign.id}", headers=h), 404)
    error = error_of(client.get(f"/api/v1/audits/{t2.id}/radar.svg?compare=abc", headers=h), 422)
    assert "compare" in error["fields"]


def test_exports_through_the_api(client, scene):
    audit = scene.open_audit()
    _score_three(scene, audit, 3, 1, 2)
    h = scene.h(scene.board)  # the exports carry every agency's evidence: readers of all responses
    xlsx = client.get(f"/api/v1/audits/{audit.id}/export.xlsx", headers=h)
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="riverside-T1-audit.xlsx"' in xlsx.headers["Content-Disposition"]
    assert xlsx.data[:2] == b"PK"
    csv = client.get(f"/api/v1/audits/{audit.id}/export.csv", headers=h)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.startswith("\ufeff".encode())
    rows = list(csv_module.reader(io.StringIO(csv.data.decode("utf-8-sig"))))
    assert len(rows) == 1 + 46 * 3


# -- the OpenAPI document ---------------------------------------------------------------------

DOCUMENTED = {
    "/api/v1/areas/{area_id}/audits": {"get", "post"},
    "/api/v1/audits/{audit_id}": {"get"},
    "/api/v1/audits/{audit_id}/responses/{agency_id}/{code}": {"put"},
    "/api/v1/audits/{audit_id}/responses": {"get"},
    "/api/v1/audits/{audit_id}/scores": {"get"},
    "/api/v1/audits/{audit_id}/scores/{code}": {"put", "delete"},
    "/api/v1/audits/{audit_id}/close": {"post"},
    "/api/v1/areas/{area_id}/schedule": {"get"},
    "/api/v1/audits/{audit_id}/radar.svg": {"get"},
    "/api/v1/audits/{audit_id}/export.xlsx": {"get"},
    "/api/v1/audits/{audit_id}/export.csv": {"get"},
    "/api/v1/audits/{audit_id}/domain-responses": {"get"},
    "/api/v1/audits/{audit_id}/domain-responses/{agency_id}/{number}": {"put"},
    "/api/v1/audits/{audit_id}/agencies/{agency_id}/submit": {"post"},
}


def test_openapi_lists_every_audit_endpoint_with_summaries_and_schemas(client, ctx):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    for path, methods in DOCUMENTED.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            operation = paths[path][method]
            assert operation.get("summary"), (path, method)
            assert "Audits" in operation["tags"][0] or operation["tags"] == ["api_audits"]
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            content = operation["responses"][ok].get("content", {})
            assert content, (path, method)
            if path.endswith((".svg", ".xlsx", ".csv")):
                continue
            schema = content["application/json"]["schema"]
            assert schema.get("$ref") or schema.get("items", {}).get("$ref"), (path, method, schema)
            if method in {"put", "post"} and not path.endswith(("/close", "/submit")):
                assert "requestBody" in operation, (path, method)
    schemas = document["components"]["schemas"]
    assert {"Audit", "AgencyResponse", "Scores", "StatementScore", "Schedule"} <= set(schemas)
    statement = schemas["StatementScore"]["properties"]
    assert {"code", "agency_scores", "lowest", "agreed", "spread", "disagreement", "justification"} <= set(statement)
    put = paths["/api/v1/audits/{audit_id}/responses/{agency_id}/{code}"]["put"]
    assert {"403", "404", "409", "422"} <= set(put["responses"])


# -- query budgets ----------------------------------------------------------------------------


def _scored_audit(scene, world, agencies):
    from hsbtrack.areas.services import create_agency

    area = world.area(f"Area with {agencies}", agencies=())
    for n in range(agencies):
        create_agency(area, f"Agency {n}")
    board = world.user(f"board{agencies}@example.org", area, "board_manager")
    services = scene.services
    audit = None
    for cycle in range(2 if agencies > 3 else 1):
        audit = services.open_audit(area, user=board, opened_at=OPENED_EARLIER)
        framework = services.framework_of(audit)
        for index, agency in enumerate(area.agencies):
            for statement in framework.scored_statements[:12]:
                services.save_response(audit, agency.id, statement.code, score=(index + cycle) % 5, user=board)
        if cycle == 0 and agencies > 3:
            services.close_audit(audit, user=board, override_reason="closed as the test sets it up")
    return area, board, audit


def test_query_counts_do_not_grow_with_agencies_or_cycles(app, scene, world):
    small = _scored_audit(scene, world, 2)
    large = _scored_audit(scene, world, 9)
    counts = {}
    for name, (area, board, audit) in {"small": small, "large": large}.items():
        headers = api_headers(board)
        client = app.test_client()
        paths = (f"/api/v1/audits/{audit.id}", f"/api/v1/audits/{audit.id}/responses",
                 f"/api/v1/audits/{audit.id}/scores", f"/api/v1/areas/{area.id}/audits",
                 f"/api/v1/audits/{audit.id}/export.csv", f"/api/v1/audits/{audit.id}/export.xlsx",
                 f"/api/v1/audits/{audit.id}/domain-responses")
        for index, path in enumerate(paths):
            client.get(path, headers=headers)  # warm up
            with count_queries(app) as n:
                assert client.get(path, headers=headers).status_code == 200
            counts[(name, index)] = (path, n())
    for index in range(7):
        (path, small_count), (_path, large_count) = counts[("small", index)], counts[("large", index)]
        assert small_count == large_count, (path, small_count, large_count)
