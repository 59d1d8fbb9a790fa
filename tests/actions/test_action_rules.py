"""Issue 15, findings 5 to 7: an action plan a board would accept.

- a new action's due date is not in the past unless it is being recorded late (from an earlier plan);
  nor is a changed due date;
- an action is done only with its completion evidence;
- findings are listed once, each with the open actions already on its statement ("Add to this
  action"), with draft titles from the domain and the statement's first clause;
- every error of the forms at once.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hsbtrack.errors import ServiceError
from tests.actions.pages_support import PageScene, counts, date_fields, error_next_to, text_of
from tests.actions.test_api_actions import Scene as ApiScene
from tests.actions.test_api_actions import action_count, body, error_of
from tests.conftest import csrf_token, login

PAST = date.today() - timedelta(days=30)  # (a month back: the partnership's calendar day whatever the hour)
LATE_MESSAGE = "The due date is in the past"
EVIDENCE_MESSAGE = "Describe the completion evidence before marking the action done"


@pytest.fixture()
def scene(world):
    return PageScene(world)


@pytest.fixture()
def api(world):
    return ApiScene(world)


def post(client, url, data, page=None):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or "/account")})


def reload(action):
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    db.session.expire_all()
    return db.session.get(Action, action.id)


def summary_of(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, flags=re.S)
    assert match, "no error summary"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


# -- the service --------------------------------------------------------------------------------


def test_a_new_action_due_in_the_past_is_refused_unless_recorded_late(scene):
    before = counts()
    with pytest.raises(ServiceError) as error:
        scene.action(due_on=PAST)
    assert LATE_MESSAGE in error.value.fields["due_on"]
    assert counts() == before
    action = scene.action(due_on=PAST, record_overdue=True)
    assert action.due_on == PAST
    assert scene.action(due_on=date.today()).due_on == date.today()  # today is not in the past


def test_the_rule_uses_the_partnerships_calendar(scene, app):
    """At 00:30 on 1 July in London it is still 30 June in UTC: 1 July is today, not the past."""
    import time_machine

    with time_machine.travel("2030-06-30 23:30:00+00:00", tick=False):
        assert scene.action(due_on=date(2030, 7, 1)).due_on == date(2030, 7, 1)
        with pytest.raises(ServiceError):
            scene.action(due_on=date(2030, 6, 30))


def test_changing_the_due_date_to_the_past_needs_record_overdue(scene):
    action = scene.action()
    with pytest.raises(ServiceError) as error:
        scene.actions.update_action(action, {"due_on": PAST}, user=scene.board)
    assert LATE_MESSAGE in error.value.fields["due_on"]
    assert reload(action).due_on != PAST
    scene.actions.update_action(reload(action), {"due_on": PAST, "record_overdue": True}, user=scene.board)
    assert reload(action).due_on == PAST
    # keeping a past due date while changing something else needs nothing
    scene.actions.update_action(reload(action), {"due_on": PAST, "title": "Renamed"}, user=scene.board)
    assert reload(action).title == "Renamed"


def test_done_needs_completion_evidence(scene):
    action = scene.action()
    with pytest.raises(ServiceError) as error:
        scene.actions.update_action(action, {"status": "done"}, user=scene.owner)
    assert EVIDENCE_MESSAGE in error.value.fields["completion_evidence"]
    with pytest.raises(ServiceError):
        scene.actions.update_action(reload(action), {"status": "done", "completion_evidence": "   "}, user=scene.owner)
    assert reload(action).status == "not_started"
    scene.actions.update_action(reload(action), {"status": "done", "completion_evidence": "Register of 40 staff trained"},
                                user=scene.owner)
    assert (reload(action).status, reload(action).progress) == ("done", 100)
    # nor may a done action lose its evidence
    with pytest.raises(ServiceError) as error:
        scene.actions.update_action(reload(action), {"completion_evidence": ""}, user=scene.owner)
    assert "completion_evidence" in error.value.fields
    # a new action that is already done needs it too
    with pytest.raises(ServiceError) as error:
        scene.action(status="done")
    assert "completion_evidence" in error.value.fields
    assert scene.action(status="done", completion_evidence="Signed off").completion_evidence == "Signed off"


@pytest.mark.parametrize(("text", "expected"), [
    ("We capture accurate data about the number of children and young people requiring support due to their HSB, "
     "and the number who are identified through referral processes.",
     "We capture accurate data about the number of children and young people requiring support…"),
    ("Local community-based teams, including CAMHS and the voluntary sector (for example, the NSPCC) provide "
     "consultation.", "Local community-based teams, including CAMHS and the voluntary sector"),
    ("Living at home (including support to families)", "Living at home (including support to families)"),
    ("are resilience-based (support is strengths-based, child and family centred) rather than deficit-based",
     "Are resilience-based"),
])
def test_short_text_is_the_first_clause_cut_at_a_word(text, expected):
    from hsbtrack.actions.services import short_text

    short = short_text(text)
    assert short == expected
    words = set(re.findall(r"[\w'-]+", text.lower()))
    assert all(w in words for w in re.findall(r"[\w'-]+", short.lower()))  # never half a word
    assert len(short) <= 91


# -- the API ------------------------------------------------------------------------------------


def test_api_refuses_a_past_due_date_unless_recorded_late(client, api):
    url = f"/api/v1/areas/{api.area.id}/actions"
    before = action_count()
    error = error_of(client.post(url, headers=api.h(api.board), json=body(due_on=PAST.isoformat())), 422)
    assert set(error["fields"]) == {"due_on"} and LATE_MESSAGE in error["fields"]["due_on"]
    assert action_count() == before
    response = client.post(url, headers=api.h(api.board), json=body(due_on=PAST.isoformat(), record_overdue=True))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["due_on"] == PAST.isoformat() and response.get_json()["overdue"] is True


def test_api_patch_rules_for_the_due_date_and_done(client, api):
    action = api.action()
    url = f"/api/v1/actions/{action.id}"
    error = error_of(client.patch(url, headers=api.h(api.board), json={"due_on": PAST.isoformat()}), 422)
    assert "due_on" in error["fields"]
    ok = client.patch(url, headers=api.h(api.board), json={"due_on": PAST.isoformat(), "record_overdue": True})
    assert ok.status_code == 200 and ok.get_json()["due_on"] == PAST.isoformat()

    error = error_of(client.patch(url, headers=api.h(api.owner), json={"status": "done"}), 422)
    assert set(error["fields"]) == {"completion_evidence"}
    assert EVIDENCE_MESSAGE in error["fields"]["completion_evidence"]
    assert reload(action).status == "not_started"
    done = client.patch(url, headers=api.h(api.owner),
                        json={"status": "done", "completion_evidence": "Attendance register of 40 staff"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "done" and done.get_json()["completed_on"] is not None


def test_api_creating_a_done_action_needs_evidence(client, api):
    url = f"/api/v1/areas/{api.area.id}/actions"
    error = error_of(client.post(url, headers=api.h(api.board), json=body(status="done")), 422)
    assert "completion_evidence" in error["fields"]
    response = client.post(url, headers=api.h(api.board), json=body(status="done", completion_evidence="Published"))
    assert response.status_code == 201 and response.get_json()["completion_evidence"] == "Published"


def test_api_findings_show_open_actions_and_link_to_one(client, api):
    from hsbtrack.actions.models import FindingDecision
    from hsbtrack.extensions import db
    from hsbtrack.history.services import entries_for

    linked = api.action(title="Map the continuum", statements=["1.1"])
    closed = api.action(title="Finished", statements=["1.1"], status="done", completion_evidence="Published")
    findings = {f["code"]: f for f in client.get(f"/api/v1/audits/{api.audit.id}/findings",
                                                 headers=api.h(api.viewer)).get_json()}
    assert [a["id"] for a in findings["1.1"]["open_actions"]] == [linked.id]  # not the done one
    assert findings["1.3"]["open_actions"] == []

    url = f"/api/v1/audits/{api.audit.id}/findings/1.3/link"
    assert client.post(url, headers=api.h(api.viewer), json={"action_id": linked.id}).status_code == 403
    error = error_of(client.post(url, headers=api.h(api.board), json={"action_id": closed.id}), 422)
    assert "action_id" in error["fields"]
    error = error_of(client.post(url, headers=api.h(api.board), json={"action_id": api.other_action.id}), 422)
    assert "action_id" in error["fields"]
    assert client.post(f"/api/v1/audits/{api.audit.id}/findings/2.2/link", headers=api.h(api.board),
                       json={"action_id": linked.id}).status_code == 404

    response = client.post(url, headers=api.h(api.board), json={"action_id": linked.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["decision"]["action_id"] == linked.id
    assert reload(linked).codes == ["1.1", "1.3"]  # the statement joins the action
    changes = {e.field: e.new_value for e in entries_for("action", linked.id)}
    assert changes["finding"] == f"{api.audit.label} 1.3"
    assert db.session.scalar(select(FindingDecision.decision).where(FindingDecision.code == "1.3")) == "accepted"
    again = error_of(client.post(url, headers=api.h(api.board), json={"action_id": linked.id}), 409)
    assert "1.3 has already been decided" in again["fields"]["code"]


def test_api_accepting_findings_with_a_past_date(client, api):
    url = f"/api/v1/audits/{api.audit.id}/findings/accept"
    data = {"codes": ["1.1"], "owner_email": "owner@example.org", "due_on": PAST.isoformat()}
    error = error_of(client.post(url, headers=api.h(api.board), json=data), 422)
    assert "due_on" in error["fields"]
    assert client.post(url, headers=api.h(api.board), json={**data, "record_overdue": True}).status_code == 201


# -- the pages ----------------------------------------------------------------------------------


def new_action_data(scene, **overrides):
    data = {"title": "Train school staff on HSB", "description": "", "statements": ["1.1"],
            "owner": str(scene.owner.id), "owner_email": "", "agency_id": "", "priority": "high",
            "status": "not_started", **date_fields("due_on", date.today() + timedelta(days=60))}
    data.update(overrides)
    return data


def test_new_action_form_shows_every_error_at_once(client, scene):
    """A long title, no owner and a past date: three errors, each next to its field and in the summary."""
    login(client, scene.board)
    url = f"/areas/{scene.area.id}/actions/new"
    form = client.get(url).get_data(as_text=True)
    assert 'type="date"' not in form and 'id="due_on-day"' in form  # the GOV.UK date input, no native picker
    assert "This action is being recorded late (from an earlier plan)" in form
    before = counts()
    response = post(client, url, new_action_data(scene, title="x" * 301, owner="", **date_fields("due_on", PAST)), url)
    assert response.status_code == 422
    assert "The title must be 300 characters or fewer" in error_next_to(response, "title")
    assert "The owner must be someone who can see the action plan" in error_next_to(response, "owner")
    assert LATE_MESSAGE in error_next_to(response, "due_on")
    summary = summary_of(response)
    assert "300 characters" in summary and "owner must be someone" in summary and LATE_MESSAGE in summary
    assert counts() == before

    response = post(client, url, new_action_data(scene, record_overdue="y", **date_fields("due_on", PAST)), url)
    assert response.status_code == 302, text_of(response)[:1500]
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    assert db.session.scalar(select(Action.due_on).where(Action.title == "Train school staff on HSB")) == PAST


def test_edit_page_refuses_done_without_evidence(client, scene):
    action = scene.action()
    login(client, scene.owner)
    url = f"/areas/{scene.area.id}/actions/{action.id}/edit"
    response = post(client, url, {"status": "done", "progress": "0", "completion_evidence": "",
                                  "version": str(action.version)}, url)
    assert response.status_code == 422
    assert EVIDENCE_MESSAGE in error_next_to(response, "completion_evidence")
    assert EVIDENCE_MESSAGE in summary_of(response)
    assert reload(action).status == "not_started"


def test_edit_page_changing_the_due_date_to_the_past(client, scene):
    action = scene.action()
    login(client, scene.board)
    url = f"/areas/{scene.area.id}/actions/{action.id}/edit"
    data = {"title": action.title, "description": "", "statements": ["1.1"], "owner": str(scene.owner.id),
            "agency_id": "", "priority": "medium", "status": "not_started", "progress": "0",
            "completion_evidence": "", "version": str(action.version), **date_fields("due_on", PAST)}
    response = post(client, url, data, url)
    assert response.status_code == 422 and LATE_MESSAGE in error_next_to(response, "due_on")
    assert post(client, url, {**data, "record_overdue": "y"}, url).status_code == 302
    assert reload(action).due_on == PAST


def findings_url(scene, audit):
    return f"/areas/{scene.area.id}/audits/{audit.id}/findings"


def test_findings_page_shows_earlier_open_actions_and_adds_to_one(client, scene):
    from hsbtrack.history.services import entries_for

    t1_action = scene.actions.accept_findings(scene.audit, ["1.1"], owner=scene.owner,
                                              due_on=date.today() + timedelta(days=40), user=scene.board)[0]
    done = scene.actions.create_action(scene.area, title="Old leaflet", owner=scene.owner, statements=["1.1"],
                                       due_on=date.today() + timedelta(days=5), status="done",
                                       completion_evidence="Leaflet printed", user=scene.board)
    t2 = scene.open_t2({"1.1": (0, 3), "1.2": (1, 1)})
    login(client, scene.board)
    html = client.get(findings_url(scene, t2)).get_data(as_text=True)
    assert html.count('class="hsb-finding"') == 2 and html.count('data-code="1.1"') == 1
    finding = html.split('data-code="1.1"')[1].split('<li class="hsb-finding"')[0]
    assert f'data-open-action="{t1_action.id}"' in finding and "from T1" in finding
    assert f'data-open-action="{done.id}"' not in finding  # done: not open
    assert "Add to this action" in finding and "New action" in finding
    assert "data-open-action" not in html.split('data-code="1.2"')[1]  # no open action on 1.2

    before = counts()
    response = post(client, findings_url(scene, t2) + "/link", {"code": "1.1", "action_id": str(t1_action.id)},
                    findings_url(scene, t2))
    assert response.status_code == 302
    assert counts()["Action"] == before["Action"] and counts()["FindingDecision"] == before["FindingDecision"] + 1
    page = client.get(response.headers["Location"])
    assert "1.1 has been added to" in text_of(page)
    finding = page.get_data(as_text=True).split('data-code="1.1"')[1].split('<li class="hsb-finding"')[0]
    assert "Accepted" in finding and f"/actions/{t1_action.id}" in finding
    assert any(e.field == "finding" and e.new_value == "T2 1.1" for e in entries_for("action", t1_action.id))
    detail = text_of(client.get(f"/areas/{scene.area.id}/actions/{t1_action.id}"))
    assert "Finding added" in detail and "T2 1.1" in detail


def test_a_viewer_sees_open_actions_without_the_buttons(client, scene):
    action = scene.action(statements=["1.2"])
    login(client, scene.viewer)
    html = client.get(findings_url(scene, scene.audit)).get_data(as_text=True)
    assert f'data-open-action="{action.id}"' in html and "Add to this action" not in html
    token = csrf_token(client, findings_url(scene, scene.audit))
    response = client.post(findings_url(scene, scene.audit) + "/link",
                           data={"code": "1.2", "action_id": str(action.id), "csrf_token": token})
    assert response.status_code == 403


def test_findings_form_lists_every_title_error_in_the_summary(client, scene):
    login(client, scene.board)
    url = findings_url(scene, scene.audit)
    response = post(client, url, {"codes": ["1.1", "1.2"], "grouping": "each", "owner": "", "priority": "medium",
                                  "title-1.1": "y" * 301, "title-1.2": "z" * 301, **date_fields("due_on", PAST)}, url)
    assert response.status_code == 422
    summary = summary_of(response)
    assert summary.count("The title must be 300 characters or fewer") == 2
    assert "owner must be someone" in summary and LATE_MESSAGE in summary
    html = response.get_data(as_text=True)
    assert 'href="#title-1-1"' in html and 'href="#title-1-2"' in html
    assert LATE_MESSAGE in error_next_to(response, "due_on")
    # recorded late, with good titles and an owner: saved
    response = post(client, url, {"codes": ["1.1"], "grouping": "each", "owner": str(scene.owner.id),
                                  "priority": "medium", "record_overdue": "y", **date_fields("due_on", PAST)}, url)
    assert response.status_code == 302, text_of(response)[:1500]
