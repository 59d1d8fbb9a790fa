"""The action parts of the JSON API: the plan, actions, progress updates, findings to actions, and
the permission rules (the same as the pages)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import api_headers, count_queries

ACTION_FIELDS = {"id", "area_id", "audit_id", "title", "description", "owner", "agency_id", "due_on", "priority",
                 "status", "progress", "completion_evidence", "statements", "overdue", "version", "updated_at"}


class Scene:
    """Riverside with a board manager, an agency lead who owns actions, a viewer and a closed-for-
    moderation audit with findings; Zebrafield with its own board manager and an action."""

    def __init__(self, world):
        from hsbtrack.actions import services as actions
        from hsbtrack.audits import services as audits

        self.actions = actions
        self.area = world.area("Riverside")
        self.police = world.agency(self.area, "Police")
        self.health = world.agency(self.area, "Health")
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.owner = world.user("owner@example.org", self.area, "agency_lead", agency=self.police)
        self.viewer = world.user("viewer@example.org", self.area, "viewer")
        self.other_area = world.area("Zebrafield", agencies=("Zebra Police",))
        self.other_board = world.user("board@zebrafield.example", self.other_area, "board_manager")
        self.audit = audits.open_audit(self.area, agency_ids=[self.police.id, self.health.id], user=self.board)
        # 1.1: 0 and 3 (low and a disagreement); 1.2: 4 and 4 (no finding); 1.3: 1 and 1 (low).
        for code, police, health in (("1.1", 0, 3), ("1.2", 4, 4), ("1.3", 1, 1)):
            audits.save_response(self.audit, self.police.id, code, score=police, user=self.board)
            audits.save_response(self.audit, self.health.id, code, score=health, user=self.board)
        self.other_action = actions.create_action(
            self.other_area, title="Zebrafield secret", owner=self.other_board, due_on=date(2030, 1, 1),
            statements=["2.2"], user=self.other_board)
        self._headers = {}

    def h(self, user):
        if user.email not in self._headers:
            self._headers[user.email] = api_headers(user)
        return self._headers[user.email]

    def action(self, **overrides):
        values = dict(title="Train school staff", owner=self.owner, due_on=date.today() + timedelta(days=60),
                      statements=["1.1"], user=self.board)
        values.update(overrides)
        return self.actions.create_action(self.area, **values)


@pytest.fixture()
def scene(world):
    return Scene(world)


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    body = response.get_json()
    # a 409 about one record also shows that record as it now is (docs/architecture.md, "Transactions")
    assert set(body) == ({"error", "current"} if status == 409 and "current" in body else {"error"})
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def action_count():
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    return db.session.scalar(select(func.count()).select_from(Action))


def body(**overrides):
    data = {"title": "Train school staff on HSB", "description": "Two sessions per term",
            "owner_email": "owner@example.org", "due_on": "2027-03-31", "priority": "high",
            "statements": ["1.1", "1.3"]}
    data.update(overrides)
    return data


# -- creating -------------------------------------------------------------------------------------


def test_board_manager_creates_an_action(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(scene.board),
                           json=body(agency_id=scene.police.id, audit_id=scene.audit.id))
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert ACTION_FIELDS <= set(data)
    assert data["area_id"] == scene.area.id
    assert data["audit_id"] == scene.audit.id
    assert data["title"] == "Train school staff on HSB"
    assert data["description"] == "Two sessions per term"
    assert data["owner"] == {"id": scene.owner.id, "email": "owner@example.org", "name": ""}
    assert data["agency_id"] == scene.police.id
    assert data["due_on"] == "2027-03-31"
    assert data["priority"] == "high"
    assert data["status"] == "not_started"
    assert data["progress"] == 0
    assert data["completion_evidence"] == ""
    assert data["statements"] == ["1.1", "1.3"]
    assert data["overdue"] is False
    assert data["version"] == 1

    got = client.get(f"/api/v1/actions/{data['id']}", headers=scene.h(scene.viewer))
    assert got.status_code == 200
    assert got.get_json() == data

    from hsbtrack.history.services import entries_for

    assert entries_for("action", data["id"])


def test_defaults_and_past_due_date_is_overdue(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(scene.board),
                           json={"title": "Audit referral pathways", "owner_email": "OWNER@example.org",
                                 "due_on": "2020-01-31", "statements": ["3.2"], "record_overdue": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["priority"] == "medium"
    assert data["agency_id"] is None and data["audit_id"] is None and data["description"] == ""
    assert data["overdue"] is True


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"statements": ["9.9"]}, "statements", "9.9 is not a statement of the framework"),
    ({"statements": ["1.6"]}, "statements", "1.6 is a heading"),
    ({"statements": []}, "statements", "Link the action to at least one statement"),
    ({"due_on": "next tuesday"}, "due_on", "Enter a real date"),
    ({"due_on": "2027-02-30"}, "due_on", "Enter a real date"),
    ({"owner_email": "board@zebrafield.example"}, "owner", "The owner must be someone who can see the action plan of Riverside"),
    ({"owner_email": "nobody@example.org"}, "owner", "The owner must be someone who can see the action plan of Riverside"),
    ({"status": "finished"}, "status", "Choose a known status"),
    ({"priority": "urgent"}, "priority", "Choose a priority"),
    ({"title": "  "}, "title", "Enter a title"),
    ({"agency_id": 999999}, "agency_id", "Choose an agency of Riverside"),
    ({"audit_id": 999999}, "audit_id", "Choose an audit of Riverside"),
])
def test_bad_input_is_refused_with_the_services_message(client, scene, changes, field, message):
    before = action_count()
    response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(scene.board),
                           json=body(**changes))
    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert message in error["fields"][field], error
    assert action_count() == before


def test_several_bad_fields_are_all_reported(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(scene.board),
                           json=body(statements=["9.9"], due_on="soon", owner_email="x@example.org", status="?"))
    error = error_of(response, 422)
    assert {"statements", "due_on", "owner", "status"} <= set(error["fields"])


def test_malformed_json_fields_answer_422(client, scene):
    response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(scene.board),
                           json=body(statements="1.1", colour="red"))
    error = error_of(response, 422)
    assert {"statements", "colour"} <= set(error["fields"])
    assert action_count() == 1  # only Zebrafield's


def test_only_the_board_creates_actions(client, scene):
    for user in (scene.owner, scene.viewer):
        response = client.post(f"/api/v1/areas/{scene.area.id}/actions", headers=scene.h(user), json=body())
        error_of(response, 403)
    error_of(client.post(f"/api/v1/areas/{scene.other_area.id}/actions", headers=scene.h(scene.board),
                         json=body(statements=["9.9"])), 404)
    assert action_count() == 1


# -- the plan -------------------------------------------------------------------------------------


def test_plan_filters(client, scene):
    today = date.today()
    late = scene.action(title="Late one", due_on=today - timedelta(days=3), record_overdue=True, statements=["1.1"])
    done_late = scene.action(title="Done late", due_on=today - timedelta(days=3), record_overdue=True, statements=["1.3"])
    scene.actions.update_action(done_late, {"status": "done", "completion_evidence": "Signed off at the board meeting"}, user=scene.board)
    police = scene.action(title="Police one", agency_id=scene.police.id, owner=scene.board, statements=["2.3"])
    url = f"/api/v1/areas/{scene.area.id}/actions"

    def titles(query=""):
        response = client.get(url + query, headers=scene.h(scene.viewer))
        assert response.status_code == 200, response.get_data(as_text=True)
        return [a["title"] for a in response.get_json()]

    assert titles() == ["Late one", "Done late", "Police one"]
    assert titles("?overdue=true") == ["Late one"]
    assert titles("?status=done") == ["Done late"]
    assert titles("?statement=1.3") == ["Done late"]
    assert titles("?domain=2") == ["Police one"]
    assert titles("?owner_email=board@example.org") == ["Police one"]
    assert titles("?owner_email=nobody@example.org") == []
    assert titles(f"?agency_id={scene.police.id}") == ["Police one"]
    assert titles("?sort=title") == ["Done late", "Late one", "Police one"]
    assert "Zebrafield secret" not in titles()
    assert {late.id, police.id} <= {a["id"] for a in client.get(url, headers=scene.h(scene.viewer)).get_json()}

    error = error_of(client.get(url + "?status=finished", headers=scene.h(scene.viewer)), 422)
    assert "status" in error["fields"]
    # the plan's one rule (actions.services.plan_filter): every unknown value named at once, as 422
    error = error_of(client.get(url + "?status=finished&statement=9.9&domain=8&sort=colour",
                                headers=scene.h(scene.viewer)), 422)
    assert error["fields"] == {"status": "Choose a known status",
                               "statement": "9.9 is not a statement of the framework",
                               "domain": "Choose a domain of the framework",
                               "sort": "Sort by due date, priority, status or title"}
    # ... while the page, whose query string may be an old bookmark, drops them and shows the whole plan
    from tests.conftest import login
    login(client, scene.viewer)
    page = client.get(f"/areas/{scene.area.id}/actions/?status=finished&statement=9.9&domain=8&sort=colour")
    assert page.status_code == 200 and all(t in page.get_data(as_text=True) for t in ("Late one", "Police one"))
    error_of(client.get(f"/api/v1/areas/{scene.other_area.id}/actions", headers=scene.h(scene.viewer)), 404)


def test_plan_runs_a_constant_number_of_queries(app, client, scene):
    url = f"/api/v1/areas/{scene.area.id}/actions"
    headers = scene.h(scene.viewer)

    def queries():
        with count_queries(app) as n:
            response = client.get(url, headers=headers)
        assert response.status_code == 200
        return n(), len(response.get_json())

    for _i in range(2):
        scene.action(statements=["1.1", "1.3"], agency_id=scene.police.id)
    small, rows = queries()
    assert rows == 2
    for i in range(30):
        scene.action(title=f"Action {i}", statements=["2.2", "3.3"], owner=scene.board if i % 2 else scene.owner,
                     agency_id=scene.health.id if i % 3 else None)
    large, rows = queries()
    assert rows == 32
    assert large == small


# -- changing ------------------------------------------------------------------------------------


def test_owner_changes_status_progress_and_evidence_only(client, scene):
    action = scene.action()
    url = f"/api/v1/actions/{action.id}"
    response = client.patch(url, headers=scene.h(scene.owner),
                            json={"status": "in_progress", "progress": 40, "version": 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert (data["status"], data["progress"], data["version"]) == ("in_progress", 40, 2)

    for change in ({"title": "Mine now"}, {"due_on": "2031-01-01"}, {"owner_email": "viewer@example.org"},
                   {"statements": ["2.2"]}, {"priority": "low"}):
        error = error_of(client.patch(url, headers=scene.h(scene.owner), json=change), 403)
        assert "Only the board" in error["message"]
    response = client.patch(url, headers=scene.h(scene.owner),
                            json={"status": "done", "completion_evidence": "Minutes of 3 May"})
    data = response.get_json()
    assert (data["status"], data["progress"], data["completion_evidence"]) == ("done", 100, "Minutes of 3 May")
    assert data["title"] == "Train school staff"


def test_board_changes_everything(client, scene):
    action = scene.action()
    response = client.patch(f"/api/v1/actions/{action.id}", headers=scene.h(scene.board), json={
        "title": "Train every school", "due_on": "2031-01-31", "owner_email": "viewer@example.org",
        "statements": ["1.3", "2.2"], "priority": "low", "agency_id": scene.health.id, "version": 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["title"] == "Train every school"
    assert data["due_on"] == "2031-01-31"
    assert data["owner"]["email"] == "viewer@example.org"
    assert data["statements"] == ["1.3", "2.2"]
    assert (data["priority"], data["agency_id"], data["version"]) == ("low", scene.health.id, 2)


def test_a_viewer_who_does_not_own_the_action_cannot_change_it(client, scene):
    action = scene.action()
    error_of(client.patch(f"/api/v1/actions/{action.id}", headers=scene.h(scene.viewer),
                          json={"status": "done"}), 403)
    error_of(client.post(f"/api/v1/actions/{action.id}/updates", headers=scene.h(scene.viewer),
                         json={"note": "Done!"}), 403)
    from hsbtrack.extensions import db

    db.session.refresh(action)
    assert action.status == "not_started" and not action.updates


def test_stale_version_answers_409_and_changes_nothing(client, scene):
    action = scene.action()
    scene.actions.update_action(action, {"progress": 10}, user=scene.board)  # version 2 now
    error = error_of(client.patch(f"/api/v1/actions/{action.id}", headers=scene.h(scene.owner),
                                  json={"progress": 90, "version": 1}), 409)
    assert error["code"] == "conflict"
    assert "version" in error["fields"]
    now = client.get(f"/api/v1/actions/{action.id}", headers=scene.h(scene.owner)).get_json()
    assert now["progress"] == 10
    # the 409 carries the action as it now is, exactly as GET shows it: the client can show both and retry
    body = client.patch(f"/api/v1/actions/{action.id}", headers=scene.h(scene.owner),
                        json={"progress": 90, "version": 1}).get_json()
    assert body["current"] == now


@pytest.mark.parametrize(("change", "field"), [
    ({"progress": 150}, "progress"),
    ({"progress": -1}, "progress"),
    ({"progress": "lots"}, "progress"),
    ({"status": "finished"}, "status"),
    ({"due_on": "31/02/2027"}, "due_on"),
    ({"statements": ["9.9"]}, "statements"),
    ({"owner_email": "board@zebrafield.example"}, "owner"),
    ({"version": "one"}, "version"),
    ({"colour": "red"}, "colour"),
])
def test_bad_changes_answer_422_and_change_nothing(client, scene, change, field):
    action = scene.action()
    before = client.get(f"/api/v1/actions/{action.id}", headers=scene.h(scene.board)).get_json()
    error = error_of(client.patch(f"/api/v1/actions/{action.id}", headers=scene.h(scene.board),
                                  json={"title": "Changed?", **change}), 422)
    assert field in error["fields"], error
    assert client.get(f"/api/v1/actions/{action.id}", headers=scene.h(scene.board)).get_json() == before


def test_another_areas_action_answers_404(client, scene):
    other = scene.other_action.id
    h = scene.h(scene.board)
    error_of(client.get(f"/api/v1/actions/{other}", headers=h), 404)
    error_of(client.patch(f"/api/v1/actions/{other}", headers=h, json={"status": "finished"}), 404)
    error_of(client.post(f"/api/v1/actions/{other}/updates", headers=h, json={}), 404)
    error_of(client.get(f"/api/v1/actions/{other}/updates", headers=h), 404)
    error_of(client.get("/api/v1/actions/999999", headers=h), 404)
    response = client.get(f"/api/v1/actions/{other}", headers=scene.h(scene.other_board))
    assert response.get_json()["title"] == "Zebrafield secret"


# -- progress updates -----------------------------------------------------------------------------


def test_owner_posts_progress_updates(client, scene):
    action = scene.action()
    url = f"/api/v1/actions/{action.id}/updates"
    response = client.post(url, headers=scene.h(scene.owner), json={"note": "First session held", "progress": 30})
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["note"] == "First session held" and data["progress"] == 30
    assert data["user"]["email"] == "owner@example.org"
    client.post(url, headers=scene.h(scene.board), json={"note": "Board checked"})

    listed = client.get(url, headers=scene.h(scene.viewer)).get_json()
    assert [u["note"] for u in listed] == ["Board checked", "First session held"]
    now = client.get(f"/api/v1/actions/{action.id}", headers=scene.h(scene.viewer)).get_json()
    assert (now["progress"], now["status"]) == (30, "in_progress")


@pytest.mark.parametrize(("payload", "field"), [
    ({"note": "Going well", "progress": 150}, "progress"),
    ({"note": "  "}, "note"),
    ({"note": "Going well", "progress": "half"}, "progress"),
])
def test_bad_updates_answer_422(client, scene, payload, field):
    action = scene.action()
    error = error_of(client.post(f"/api/v1/actions/{action.id}/updates", headers=scene.h(scene.owner),
                                 json=payload), 422)
    assert field in error["fields"]
    assert client.get(f"/api/v1/actions/{action.id}/updates", headers=scene.h(scene.owner)).get_json() == []


# -- findings -------------------------------------------------------------------------------------


def test_findings_are_listed(client, scene):
    response = client.get(f"/api/v1/audits/{scene.audit.id}/findings", headers=scene.h(scene.viewer))
    assert response.status_code == 200
    findings = {f["code"]: f for f in response.get_json()}
    assert set(findings) == {"1.1", "1.3"}
    assert findings["1.1"]["low"] and findings["1.1"]["disagreement"]
    assert findings["1.1"]["agreed"] == 0 and findings["1.1"]["spread"] == 3
    assert findings["1.3"]["low"] and not findings["1.3"]["disagreement"]
    # (issue 15, finding 6: the domain's short title and the statement's first clause, not "Improve 1.3: …")
    assert findings["1.3"]["draft_title"] == "Responses: Local community-based teams, including CAMHS and the voluntary sector"
    assert findings["1.3"]["decision"] is None


def test_accepting_findings_makes_actions(client, scene):
    url = f"/api/v1/audits/{scene.audit.id}/findings/accept"
    response = client.post(url, headers=scene.h(scene.board), json={
        "codes": ["1.1", "1.3"], "owner_email": "owner@example.org", "due_on": "2027-06-30", "merge": True,
        "title": "Strengthen the continuum of responses"})
    assert response.status_code == 201, response.get_data(as_text=True)
    (action,) = response.get_json()
    assert action["statements"] == ["1.1", "1.3"]
    assert action["title"] == "Strengthen the continuum of responses"
    assert action["audit_id"] == scene.audit.id

    findings = client.get(f"/api/v1/audits/{scene.audit.id}/findings", headers=scene.h(scene.board)).get_json()
    assert {f["decision"]["action_id"] for f in findings} == {action["id"]}

    again = error_of(client.post(url, headers=scene.h(scene.board), json={
        "codes": ["1.1"], "owner_email": "owner@example.org", "due_on": "2027-06-30"}), 409)
    assert "1.1 has already been decided" in again["fields"]["codes"]


def test_accepting_one_action_per_finding(client, scene):
    response = client.post(f"/api/v1/audits/{scene.audit.id}/findings/accept", headers=scene.h(scene.board), json={
        "codes": ["1.1", "1.3"], "owner_email": "owner@example.org", "due_on": "2027-06-30"})
    assert response.status_code == 201
    actions = response.get_json()
    assert [a["statements"] for a in actions] == [["1.1"], ["1.3"]]
    assert [a["title"] for a in actions] == [
        "Responses: We capture accurate data about the number of children and young people requiring support…",
        "Responses: Local community-based teams, including CAMHS and the voluntary sector"]


def test_accepting_findings_with_titles_of_our_own(client, scene):
    url = f"/api/v1/audits/{scene.audit.id}/findings/accept"
    error = error_of(client.post(url, headers=scene.h(scene.board), json={
        "codes": ["1.1", "1.3"], "owner_email": "owner@example.org", "due_on": "2027-06-30",
        "titles": {"1.3": "x" * 301}}), 422)
    assert "title-1.3" in error["fields"]
    assert action_count() == 1
    response = client.post(url, headers=scene.h(scene.board), json={
        "codes": ["1.1", "1.3"], "owner_email": "owner@example.org", "due_on": "2027-06-30",
        "titles": {"1.1": "Map the continuum"}})
    assert response.status_code == 201, response.get_data(as_text=True)
    titles = [a["title"] for a in response.get_json()]
    assert titles == ["Map the continuum", "Responses: Local community-based teams, including CAMHS and the voluntary sector"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"codes": ["1.2"]}, "codes"),
    ({"codes": []}, "codes"),
    ({"codes": ["1.1"], "due_on": "someday"}, "due_on"),
    ({"codes": ["1.1"], "owner_email": "board@zebrafield.example"}, "owner"),
])
def test_bad_acceptances_answer_422_and_make_nothing(client, scene, payload, field):
    data = {"owner_email": "owner@example.org", "due_on": "2027-06-30", **payload}
    error = error_of(client.post(f"/api/v1/audits/{scene.audit.id}/findings/accept", headers=scene.h(scene.board),
                                 json=data), 422)
    assert field in error["fields"]
    assert action_count() == 1
    findings = client.get(f"/api/v1/audits/{scene.audit.id}/findings", headers=scene.h(scene.board)).get_json()
    assert all(f["decision"] is None for f in findings)


def test_dismissing_a_finding_keeps_its_reason(client, scene):
    url = f"/api/v1/audits/{scene.audit.id}/findings/1.3/dismiss"
    error = error_of(client.post(url, headers=scene.h(scene.board), json={"reason": " "}), 422)
    assert "reason" in error["fields"]
    error_of(client.post(url, headers=scene.h(scene.viewer), json={"reason": "Not needed"}), 403)
    response = client.post(url, headers=scene.h(scene.board), json={"reason": "Covered by the new protocol"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["decision"]["decision"] == "dismissed"
    assert data["decision"]["reason"] == "Covered by the new protocol"
    error_of(client.post(url, headers=scene.h(scene.board), json={"reason": "Again"}), 409)
    error_of(client.post(f"/api/v1/audits/{scene.audit.id}/findings/1.2/dismiss", headers=scene.h(scene.board),
                         json={"reason": "Not a finding"}), 404)


def test_findings_of_another_area_answer_404(client, scene):
    from hsbtrack.audits.services import open_audit

    other = open_audit(scene.other_area, user=scene.other_board)
    h = scene.h(scene.board)
    error_of(client.get(f"/api/v1/audits/{other.id}/findings", headers=h), 404)
    error_of(client.post(f"/api/v1/audits/{other.id}/findings/accept", headers=h, json={"codes": "x"}), 404)
    error_of(client.post(f"/api/v1/audits/{other.id}/findings/1.1/dismiss", headers=h, json={}), 404)


def test_the_openapi_document_describes_the_action_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/areas/{area_id}/actions", "/api/v1/actions/{action_id}",
                 "/api/v1/actions/{action_id}/updates", "/api/v1/audits/{audit_id}/findings",
                 "/api/v1/audits/{audit_id}/findings/accept", "/api/v1/audits/{audit_id}/findings/{code}/dismiss"):
        assert path in paths, sorted(paths)
    assert "patch" in paths["/api/v1/actions/{action_id}"]
