"""Findings to actions: a board manager accepts several findings in one POST (one action each, or one
merged action), dismisses a finding with a reason, and the decisions show on the page."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.actions.pages_support import PageScene, counts, date_fields, error_next_to, text_of
from tests.conftest import csrf_token, login


@pytest.fixture()
def scene(world):
    return PageScene(world)


def findings_url(scene, audit=None):
    return f"/areas/{scene.area.id}/audits/{(audit or scene.audit).id}/findings"


def accept(client, scene, **overrides):
    data = {"codes": ["1.1", "1.2", "1.3"], "grouping": "each", "owner": str(scene.owner.id),
            "priority": "high", "agency_id": str(scene.police.id), "description": "From the T1 findings",
            **date_fields("due_on", date(2027, 3, 31))}
    data.update(overrides)
    data["csrf_token"] = csrf_token(client, findings_url(scene))
    return client.post(findings_url(scene), data=data)


def finding_of(html, code) -> str:
    """The markup of one finding of the page's one list (up to the next finding or the list's end)."""
    return html.split(f'data-code="{code}"')[1].split('<li class="hsb-finding"')[0].split("</ol>")[0]


def actions_by_title():
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    db.session.expire_all()
    return {a.title: a for a in db.session.scalars(select(Action))}


def test_the_page_lists_each_finding_with_its_reason(client, scene):
    login(client, scene.viewer)
    response = client.get(findings_url(scene))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {code: finding_of(html, code) for code in ("1.1", "1.2", "1.4", "1.5")}
    assert "Low score" in rows["1.1"] and "Agencies disagree" in rows["1.1"]
    assert "Low score" in rows["1.2"] and "Agencies disagree" not in rows["1.2"]
    assert "Agencies disagree" in rows["1.4"] and "Low score" not in rows["1.4"]
    assert 'data-code="2.2"' not in html and 'data-code="3.1"' not in html  # not findings
    # Agreed, lowest and spread of 1.1 (police 0, health 3).
    cells = [re.search(rf"data-{name}>([^<]*)<", rows["1.1"]).group(1) for name in ("agreed", "lowest", "spread")]
    assert cells == ["0", "0", "3"]
    # (issue 15, finding 6) one list: each finding once on the page, with its statement text once
    assert html.count('data-code="1.1"') == 1 and html.count("<table") == 0
    assert html.count("We capture accurate data about the number of children") == 1
    # A viewer reads the findings but gets no forms.
    assert 'id="accept-form"' not in html and "Dismiss" not in html
    assert "5 findings" in text_of(response)


def test_board_manager_turns_three_findings_into_actions_in_one_post(client, scene, outbox):
    login(client, scene.board)
    page = client.get(findings_url(scene)).get_data(as_text=True)
    assert 'id="accept-form"' in page
    # Draft titles are prefilled, one per finding: the domain and the statement's first clause.
    assert 'name="title-1.2"' in page
    assert 'value="Responses: Our data gives us an accurate picture of children and young people displaying HSB in our…"' in page
    before = counts()

    response = accept(client, scene, **{"title-1.1": "Write a shared HSB continuum of responses"})
    assert response.status_code == 302, text_of(response)[:2000]
    after = counts()
    assert after["Action"] == before["Action"] + 3
    assert after["FindingDecision"] == before["FindingDecision"] + 3
    actions = actions_by_title()
    edited = actions["Write a shared HSB continuum of responses"]
    assert edited.codes == ["1.1"]
    assert edited.owner_id == scene.owner.id and edited.due_on == date(2027, 3, 31)
    assert edited.priority == "high" and edited.agency_id == scene.police.id
    assert edited.audit_id == scene.audit.id and edited.description == "From the T1 findings"
    drafts = [a for t, a in actions.items() if t.startswith("Responses: ")]
    assert sorted(a.codes[0] for a in drafts) == ["1.2", "1.3"]

    # The decisions show: accepted findings link to their action.
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    row = finding_of(html, "1.1")
    assert 'data-decision="accepted"' in html.split('data-code="1.1"')[1][:40]
    assert f"/areas/{scene.area.id}/actions/{edited.id}" in row
    assert "Write a shared HSB continuum of responses" in row
    assert "actions created from the findings" in text_of(page)
    # Only undecided findings can still be ticked for the form.
    ticks = re.findall(r'<input[^>]*name="codes"[^>]*>', html)
    assert all('form="accept-form"' in tick for tick in ticks)
    assert sorted(re.search(r'value="([^"]+)"', tick).group(1) for tick in ticks) == ["1.4", "1.5"]

    # The owner sees them under "my actions".
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.owner)
    mine = text_of(client.get("/my-actions"))
    assert "Write a shared HSB continuum of responses" in mine
    assert "Responses: Our data gives us an accurate picture" in mine
    assert "Responses: Local community-based teams, including CAMHS and the voluntary sector" in mine


def test_merging_chosen_findings_into_one_action(client, scene):
    login(client, scene.board)
    before = counts()
    response = accept(client, scene, codes=["1.4", "1.5"], grouping="merge", title="Joint audit of case files")
    assert response.status_code == 302, text_of(response)[:2000]
    after = counts()
    assert after["Action"] == before["Action"] + 1
    assert after["FindingDecision"] == before["FindingDecision"] + 2
    action = actions_by_title()["Joint audit of case files"]
    assert action.codes == ["1.4", "1.5"]
    html = client.get(findings_url(scene)).get_data(as_text=True)
    for code in ("1.4", "1.5"):
        assert f"/actions/{action.id}" in finding_of(html, code)


def test_merged_action_without_a_title_takes_the_first_draft_title(client, scene):
    login(client, scene.board)
    response = accept(client, scene, codes=["1.2", "1.3"], grouping="merge", title="")
    assert response.status_code == 302
    titles = list(actions_by_title())
    assert "Responses: Our data gives us an accurate picture of children and young people displaying HSB in our…" in titles
    assert not any(t.startswith("Responses: Local community-based teams") for t in titles)


@pytest.mark.parametrize(("overrides", "field_id", "message"), [
    ({"codes": []}, "codes", "Choose at least one finding"),
    ({"owner": str(10**6)}, "owner", "The owner must be someone who can see the action plan of Riverside"),
    ({"due_on": ["31", "2", "2027"]}, "due_on", "Due date must be a real date"),
    ({"due_on": ["soon", "", ""]}, "due_on", "Due date must be a real date"),
    ({"due_on": ["", "", ""]}, "due_on", "Enter the due date"),
    ({"title-1.2": "x" * 301}, "title-1-2", "The title must be 300 characters or fewer"),
])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, scene, overrides, field_id, message):
    login(client, scene.board)
    before = counts()
    response = accept(client, scene, **overrides)
    assert response.status_code == 422
    assert message in error_next_to(response, field_id)
    assert "There is a problem" in text_of(response)
    assert counts() == before
    # The choices made are kept.
    if overrides.get("codes") != []:
        assert 'value="1.1" checked' in response.get_data(as_text=True)


def test_every_error_is_shown_at_once(client, scene):
    """Issue 15, finding 7: a long title, an owner from outside the area and a date that is not a date
    are all reported together, each next to its field and in the summary; nothing is saved."""
    login(client, scene.board)
    before = counts()
    response = accept(client, scene, **{"title-1.2": "x" * 301, "owner": str(10**6), "due_on": ["31", "2", "2027"]})
    assert response.status_code == 422
    assert "The title must be 300 characters or fewer" in error_next_to(response, "title-1-2")
    assert "The owner must be someone who can see the action plan of Riverside" in error_next_to(response, "owner")
    assert "Due date must be a real date" in error_next_to(response, "due_on")
    summary = text_of(response).split("There is a problem", 1)[1][:600]
    assert "owner must be someone" in summary and "Due date must be a real date" in summary
    assert counts() == before


def test_owner_outside_the_area_is_refused(client, scene):
    login(client, scene.board)
    before = counts()
    response = accept(client, scene, owner=str(scene.outsider.id))
    assert response.status_code == 422
    assert "The owner must be someone who can see the action plan of Riverside" in error_next_to(response, "owner")
    assert counts() == before


def test_a_decided_finding_cannot_be_accepted_again(client, scene):
    login(client, scene.board)
    assert accept(client, scene, codes=["1.1"]).status_code == 302
    before = counts()
    response = accept(client, scene, codes=["1.1", "1.2"])
    assert response.status_code == 409
    assert "1.1 has already been decided" in error_next_to(response, "codes")
    assert counts() == before


def test_dismissing_needs_a_reason_and_keeps_it(client, scene):
    login(client, scene.board)
    url = findings_url(scene) + "/dismiss"
    before = counts()
    response = client.post(url, data={"code": "1.4", "reason": "  ", "csrf_token": csrf_token(client, findings_url(scene))})
    assert response.status_code == 422
    assert "Say why this finding needs no action" in error_next_to(response, "reason-1-4")
    assert counts() == before

    reason = "Health scored a service that closed; police score reflects the current pathway."
    response = client.post(url, data={"code": "1.4", "reason": reason,
                                      "csrf_token": csrf_token(client, findings_url(scene))})
    assert response.status_code == 302
    assert counts()["FindingDecision"] == before["FindingDecision"] + 1
    html = client.get(findings_url(scene)).get_data(as_text=True)
    row = finding_of(html, "1.4")
    assert "Dismissed" in row and reason in row
    # Dismissed findings can no longer be ticked; a second dismissal is refused.
    ticks = re.findall(r'<input[^>]*name="codes"[^>]*>', html)
    assert ticks and not any('value="1.4"' in tick for tick in ticks) and 'value="1.4"' not in row
    again = client.post(url, data={"code": "1.4", "reason": "again", "csrf_token": csrf_token(client, findings_url(scene))})
    assert again.status_code == 409
    assert counts()["FindingDecision"] == before["FindingDecision"] + 1


def test_only_the_board_decides_findings(client, scene):
    login(client, scene.viewer)
    before = counts()
    token = csrf_token(client, findings_url(scene))
    assert client.post(findings_url(scene), data={"codes": ["1.1"], "csrf_token": token}).status_code == 403
    assert client.post(findings_url(scene) + "/dismiss",
                       data={"code": "1.1", "reason": "no", "csrf_token": token}).status_code == 403
    assert counts() == before


def test_another_areas_audit_answers_404(client, scene):
    from hsbtrack.audits import services as audits

    other_audit = audits.open_audit(scene.other_area, user=scene.outsider)
    login(client, scene.board)
    assert client.get(f"/areas/{scene.area.id}/audits/{other_audit.id}/findings").status_code == 404
    assert client.get(f"/areas/{scene.other_area.id}/audits/{other_audit.id}/findings").status_code == 404


def test_due_date_defaults_to_three_months_ahead(client, scene):
    from hsbtrack.audits.services import add_months

    login(client, scene.board)
    html = client.get(findings_url(scene)).get_data(as_text=True)
    default = add_months(date.today(), 3)
    for part, value in (("day", default.day), ("month", default.month), ("year", default.year)):
        tag = re.search(rf'<input[^>]*id="due_on-{part}"[^>]*>', html).group(0)
        assert f'value="{value}"' in tag
        assert 'name="due_on"' in tag
    assert ">Day<" in html.replace("\n", "").replace(" ", "") or "Day" in html
    assert date.today() + timedelta(days=85) < default


def test_findings_page_queries_do_not_grow_with_decisions(app, client, scene):
    from tests.conftest import count_queries

    login(client, scene.board)
    assert accept(client, scene, codes=["1.1"]).status_code == 302
    client.get(findings_url(scene))
    with count_queries(app) as few:
        client.get(findings_url(scene))
    assert accept(client, scene, codes=["1.2", "1.3", "1.4"]).status_code == 302
    client.get(findings_url(scene))
    with count_queries(app) as more:
        client.get(findings_url(scene))
    assert more() == few(), (few(), more())
