"""The action plan, an action's page, adding and editing, progress updates, "my actions" and the statement
page across cycles: permissions, bad input, concurrent edits, history and query counts."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.actions.pages_support import PageScene, counts, date_fields, error_next_to, text_of
from tests.conftest import count_queries, csrf_token, login


@pytest.fixture()
def scene(world):
    return PageScene(world)


def plan_url(scene, query=""):
    return f"/areas/{scene.area.id}/actions/{query}"


def action_url(scene, action, suffix=""):
    return f"/areas/{scene.area.id}/actions/{action.id}{suffix}"


def post(client, url, data, page=None):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or "/account")})


def new_action_data(scene, **overrides):
    data = {"title": "Train school staff on HSB", "description": "Two sessions per term",
            "statements": ["1.1", "5.2"], "owner": str(scene.owner.id), "owner_email": "",
            "agency_id": str(scene.police.id), "priority": "high", "status": "not_started",
            **date_fields("due_on", date(2027, 3, 31))}
    data.update(overrides)
    return data


def reload(action):
    from hsbtrack.actions.models import Action
    from hsbtrack.extensions import db

    db.session.expire_all()
    return db.session.get(Action, action.id)


def logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


# -- adding -----------------------------------------------------------------------------------


def test_board_manager_adds_an_action_linked_to_statements_of_any_domain(client, scene):
    login(client, scene.board)
    page = client.get(plan_url(scene))
    assert f'href="/areas/{scene.area.id}/actions/new"' in page.get_data(as_text=True)
    form = client.get(plan_url(scene, "new"))
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert html.count('name="statements"') == 46  # every scored statement, headings left out
    before = counts()
    response = post(client, plan_url(scene, "new"), new_action_data(scene), plan_url(scene, "new"))
    assert response.status_code == 302, text_of(response)[:1500]
    assert counts()["Action"] == before["Action"] + 1
    detail = client.get(response.headers["Location"])
    text = text_of(detail)
    assert "Train school staff on HSB" in text and "Olu Owner (owner@example.org)" in text
    assert "31 March 2027" in text and "Police" in text and "High" in text


def test_a_statement_page_prefills_the_new_action(client, scene):
    login(client, scene.board)
    html = client.get(plan_url(scene, "new?statement=2.4")).get_data(as_text=True)
    assert re.search(r'value="2\.4" checked', html)


def test_adding_with_an_invitation_creates_a_viewer_and_emails_them(client, scene, outbox):
    from hsbtrack.areas.models import Membership
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    login(client, scene.board)
    before = counts()
    response = post(client, plan_url(scene, "new"), new_action_data(scene, owner="", owner_email="New.Lead@Example.org"))
    assert response.status_code == 302, text_of(response)[:1500]
    user = db.session.scalar(select(User).where(User.email == "new.lead@example.org"))
    assert user is not None
    roles = [m.role for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))]
    assert roles == ["viewer"]
    assert counts()["Action"] == before["Action"] + 1
    assert any("new.lead@example.org" in str(getattr(m, "recipients", m)) or "new.lead@example.org" in str(m)
               for m in outbox)
    assert "invited by email" in text_of(client.get(response.headers["Location"]))


def test_an_invitation_with_another_bad_field_creates_nobody(client, scene, outbox):
    login(client, scene.board)
    before = counts()
    response = post(client, plan_url(scene, "new"), new_action_data(
        scene, owner="", owner_email="someone.new@example.org", statements=["9.9"]))
    assert response.status_code == 422
    assert "9.9 is not a statement of the framework" in error_next_to(response, "statements")
    assert counts() == before
    assert outbox == []
    bad_email = post(client, plan_url(scene, "new"), new_action_data(scene, owner="", owner_email="not an email"))
    assert bad_email.status_code == 422
    assert "Enter an email address" in error_next_to(bad_email, "owner_email")
    assert counts() == before


@pytest.mark.parametrize(("overrides", "field_id", "message"), [
    ({"statements": ["9.9"]}, "statements", "9.9 is not a statement of the framework"),
    ({"statements": ["1.6"]}, "statements", "1.6 is a heading"),
    ({"statements": []}, "statements", "Link the action to at least one statement"),
    ({"due_on": ["30", "2", "2027"]}, "due_on", "Due date must be a real date"),
    ({"due_on": ["next", "tuesday", ""]}, "due_on", "Due date must be a real date"),
    ({"due_on": ["", "", ""]}, "due_on", "Enter the due date"),
    ("outsider", "owner", "The owner must be someone who can see the action plan of Riverside"),
    ({"owner": "not-a-number"}, "owner", "The owner must be someone who can see the action plan of Riverside"),
    ({"status": "finished"}, "status", "Choose a known status"),
    ({"priority": "urgent"}, "priority", "Choose a priority"),
    ({"title": "   "}, "title", "Enter a title"),
    ({"agency_id": "999999"}, "agency_id", "Choose an agency of Riverside"),
    # PostgreSQL text cannot hold a NUL: it was a server error there
    ({"title": "Train\x00staff"}, "title", "Text cannot contain the NUL character (0x00)"),
    ({"owner": "", "owner_email": "someone\x00@example.org"}, "owner_email",
     "Text cannot contain the NUL character (0x00)"),
])
def test_bad_input_gets_a_message_next_to_the_field_and_changes_nothing(client, scene, overrides, field_id, message):
    if overrides == "outsider":
        overrides = {"owner": str(scene.outsider.id)}
    login(client, scene.board)
    before = counts()
    response = post(client, plan_url(scene, "new"), new_action_data(scene, **overrides))
    assert response.status_code == 422
    assert message in error_next_to(response, field_id)
    assert "There is a problem" in text_of(response)
    assert counts() == before
    # What was typed is kept.
    assert 'value="Train school staff on HSB"' in response.get_data(as_text=True) or field_id == "title"


def test_a_bad_date_and_other_bad_fields_are_reported_together(client, scene):
    login(client, scene.board)
    before = counts()
    response = post(client, plan_url(scene, "new"), new_action_data(
        scene, due_on=["31", "2", "2027"], statements=["9.9"], status="finished"))
    assert response.status_code == 422
    assert "Due date must be a real date" in error_next_to(response, "due_on")
    assert "9.9 is not a statement of the framework" in error_next_to(response, "statements")
    assert "Choose a known status" in error_next_to(response, "status")
    assert counts() == before


def test_bad_edits_change_nothing(client, scene):
    action = scene.action()
    login(client, scene.board)
    before, saved = counts(), reload(action).version
    url = action_url(scene, action, "/edit")
    base = {"title": action.title, "description": "", "statements": ["1.1"], "owner": str(scene.owner.id),
            "agency_id": "", "priority": "medium", "status": "not_started", "progress": "0",
            "completion_evidence": "", "version": str(saved), **date_fields("due_on", action.due_on)}
    for overrides, field_id, message in (
        ({"statements": ["1.1", "7.7"]}, "statements", "7.7 is not a statement of the framework"),
        ({"due_on": ["31", "4", "2027"]}, "due_on", "Due date must be a real date"),
        ({"owner": str(scene.outsider.id)}, "owner", "The owner must be someone who can see the action plan of Riverside"),
        ({"status": "archived"}, "status", "Choose a known status"),
        ({"progress": "150"}, "progress", "Progress must be a whole number from 0 to 100"),
    ):
        response = post(client, url, {**base, **overrides}, url)
        assert response.status_code == 422, overrides
        assert message in error_next_to(response, field_id)
        assert counts() == before
        assert reload(action).version == saved


# -- the owner, updates and history ------------------------------------------------------------


def test_owner_changes_status_but_not_the_title(client, scene):
    action = scene.action()
    login(client, scene.owner)
    url = action_url(scene, action, "/edit")
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="title"' not in html and 'name="status"' in html
    version = reload(action).version

    refused = post(client, url, {"status": "in_progress", "progress": "0", "completion_evidence": "",
                                 "version": str(version), "title": "A better title"}, url)
    assert refused.status_code == 403
    assert "Only the board can change title" in text_of(refused)
    assert reload(action).title == "Train school staff" and reload(action).status == "not_started"

    response = post(client, url, {"status": "blocked", "progress": "10", "completion_evidence": "",
                                  "version": str(version)}, url)
    assert response.status_code == 302, text_of(response)[:1500]
    saved = reload(action)
    assert saved.status == "blocked" and saved.progress == 10
    detail = text_of(client.get(action_url(scene, action)))
    assert "Blocked" in detail
    # The history says who changed what, from what to what.
    history = client.get(action_url(scene, action)).get_data(as_text=True).split('id="history-table"')[1]
    status_row = history.split('data-field="status"')[1].split("</tr>")[0]
    assert "Olu Owner" in status_row and "Not started" in status_row and "Blocked" in status_row


def test_marking_done_sets_progress_to_100(client, scene):
    action = scene.action()
    login(client, scene.owner)
    url = action_url(scene, action, "/edit")
    response = post(client, url, {"status": "done", "progress": "0", "completion_evidence": "Training delivered",
                                  "version": str(reload(action).version)}, url)
    assert response.status_code == 302
    saved = reload(action)
    assert (saved.status, saved.progress, saved.completion_evidence) == ("done", 100, "Training delivered")
    assert saved.completed_on == date.today()


def test_owners_update_shows_on_the_plan_and_in_the_history(client, scene):
    action = scene.action()
    login(client, scene.owner)
    mine = client.get("/my-actions")
    assert "Train school staff" in text_of(mine)
    response = post(client, action_url(scene, action, "/updates"),
                    {"note": "First session delivered to 40 staff", "progress": "40", "return_to": "mine"}, "/my-actions")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/my-actions#action-{action.id}")

    plan = client.get(plan_url(scene)).get_data(as_text=True)
    row = plan.split(f'data-action="{action.id}"')[1].split("</tr>")[0]
    assert 'data-progress="40"' in row and "40%" in row
    assert 'data-status="in_progress"' in row  # the first progress starts the action

    detail = client.get(action_url(scene, action)).get_data(as_text=True)
    updates = detail.split('id="updates"')[1].split('id="history"')[0]
    assert "First session delivered to 40 staff" in updates and "Olu Owner" in updates and "progress 40%" in updates
    history = detail.split('id="history-table"')[1]
    assert 'data-field="update"' in history and 'data-field="progress"' in history
    progress_row = history.split('data-field="progress"')[1].split("</tr>")[0]
    assert "0%" in progress_row and "40%" in progress_row


def test_a_progress_update_needs_a_note_and_a_valid_percentage(client, scene):
    action = scene.action()
    login(client, scene.owner)
    before = counts()
    response = post(client, action_url(scene, action, "/updates"), {"note": " ", "progress": "", "return_to": "mine"},
                    "/my-actions")
    assert response.status_code == 422
    assert "Write what has happened" in error_next_to(response, f"note-{action.id}")
    response = post(client, action_url(scene, action, "/updates"), {"note": "Done some", "progress": "lots"})
    assert response.status_code == 422
    assert "Progress must be a whole number from 0 to 100" in error_next_to(response, "progress")
    assert counts() == before


def test_stale_version_is_a_conflict_and_nothing_is_overwritten(client, scene):
    action = scene.action()
    login(client, scene.board)
    url = action_url(scene, action, "/edit")
    stale = reload(action).version
    # Someone else changes the action after the form was loaded.
    scene.actions.update_action(reload(action), {"title": "Their new title", "progress": 30}, user=scene.board)
    data = {"title": "My new title", "description": "", "statements": ["1.1"], "owner": str(scene.owner.id),
            "agency_id": "", "priority": "low", "status": "in_progress", "progress": "50",
            "completion_evidence": "", "version": str(stale), **date_fields("due_on", action.due_on)}
    response = post(client, url, data, url)
    assert response.status_code == 409
    text = text_of(response)
    assert "Someone else changed this action while you were editing it" in text
    assert "Their new title" in text  # the saved version is shown
    saved = reload(action)
    assert (saved.title, saved.progress, saved.priority) == ("Their new title", 30, "medium")
    # The owner's form is protected the same way.
    logout(client)
    login(client, scene.owner)
    response = post(client, url, {"status": "done", "progress": "100", "completion_evidence": "x",
                                  "version": str(stale)}, url)
    assert response.status_code == 409
    assert reload(action).status == "not_started"


def test_viewers_read_but_cannot_change_or_update(client, scene):
    action = scene.action()
    login(client, scene.viewer)
    html = client.get(action_url(scene, action)).get_data(as_text=True)
    assert 'id="update-form"' not in html and "/edit" not in html
    assert client.get(action_url(scene, action, "/edit")).status_code == 403
    before = counts()
    assert post(client, action_url(scene, action, "/updates"), {"note": "hi"}).status_code == 403
    assert client.get(plan_url(scene, "new")).status_code == 403
    assert post(client, plan_url(scene, "new"), new_action_data(scene)).status_code == 403
    assert counts() == before
    assert "Add an action" not in text_of(client.get(plan_url(scene)))


def test_another_areas_action_answers_404(client, scene):
    login(client, scene.board)
    other = scene.other_action
    for url in (f"/areas/{scene.area.id}/actions/{other.id}", f"/areas/{scene.area.id}/actions/{other.id}/edit",
                f"/areas/{scene.other_area.id}/actions/{other.id}", f"/areas/{scene.other_area.id}/actions/",
                f"/areas/{scene.other_area.id}/statements/2.2"):
        assert client.get(url).status_code == 404, url
    before = counts()
    assert post(client, f"/areas/{scene.area.id}/actions/{other.id}/updates", {"note": "x"}).status_code == 404
    assert counts() == before
    assert "Zebrafield secret" not in text_of(client.get(plan_url(scene)))


# -- the plan ---------------------------------------------------------------------------------


def test_plan_groups_by_domain_with_counts_and_filters(client, scene):
    today = date.today()
    both = scene.action(title="Shared pathway", statements=["1.2", "3.4"], priority="high")
    late = scene.action(title="Late review", statements=["1.3"], due_on=today - timedelta(days=2), record_overdue=True)
    done = scene.action(title="Finished thing", statements=["5.1"], owner=scene.board, agency_id=scene.health.id)
    scene.actions.update_action(done, {"status": "done", "completion_evidence": "Signed off at the board meeting"}, user=scene.board)
    login(client, scene.viewer)
    html = client.get(plan_url(scene)).get_data(as_text=True)
    counts_html = html.split('id="status-counts"')[1].split("</ul>")[0]
    assert re.search(r'data-count="total">3<', counts_html)
    assert re.search(r'data-count="done">1<', counts_html)
    assert re.search(r'data-count="overdue">1<', counts_html)
    tables = {m.group(1): m.group(2) for m in re.finditer(r'<table class="govuk-table hsb-plan-table" data-domain="(\d*)">(.*?)</table>', html, re.S)}
    assert set(tables) == {"1", "3", "5"}
    assert f'data-action="{both.id}"' in tables["1"] and f'data-action="{both.id}"' in tables["3"]
    assert "Overdue" in tables["1"].split(f'data-action="{late.id}"')[1].split("</tr>")[0]
    assert "Overdue" not in tables["1"].split(f'data-action="{both.id}"')[1].split("</tr>")[0]
    # Status is text, not only colour.
    assert ">Done<" in tables["5"]

    def titles(query):
        page = text_of(client.get(plan_url(scene, query)))
        return [t for t in ("Shared pathway", "Late review", "Finished thing") if t in page]

    assert titles("?overdue=1") == ["Late review"]
    assert titles("?status=done") == ["Finished thing"]
    assert titles("?domain=3") == ["Shared pathway"]
    assert titles("?statement=1.3") == ["Late review"]
    assert titles(f"?owner={scene.board.id}") == ["Finished thing"]
    assert titles(f"?agency={scene.health.id}") == ["Finished thing"]
    assert titles("?status=nonsense&domain=banana") == ["Shared pathway", "Late review", "Finished thing"]
    domain3 = client.get(plan_url(scene, "?domain=3")).get_data(as_text=True)
    assert 'data-domain="1"' not in domain3 and 'data-domain="3"' in domain3
    sorted_page = text_of(client.get(plan_url(scene, "?sort=title")))
    assert sorted_page.index("Late review") < sorted_page.index("Shared pathway")


def _many_actions(scene, n):
    owners = [scene.owner, scene.board]
    agencies = [scene.police.id, scene.health.id, None]
    for i in range(n):
        scene.actions.create_action(
            scene.area, title=f"Action {i}", owner=owners[i % 2], agency_id=agencies[i % 3],
            due_on=date.today() + timedelta(days=i - n // 2), statements=[["1.1", "2.3"], ["3.2"], ["4.4", "5.5"]][i % 3],
            user=scene.board, record_overdue=True)


def _queries(app, client, url):
    client.get(url)  # warm up (caches, first-request work)
    with count_queries(app) as n:
        response = client.get(url)
    assert response.status_code == 200
    return n()


def test_plan_and_my_actions_keep_a_constant_number_of_queries(app, client, scene):
    _many_actions(scene, 10)
    login(client, scene.owner)
    small = {url: _queries(app, client, url) for url in (plan_url(scene), "/my-actions", plan_url(scene, "board-paper"),
                                                         plan_url(scene, "?overdue=1&sort=title"))}
    _many_actions(scene, 90)
    big = {url: _queries(app, client, url) for url in small}
    assert big == small


def test_action_and_statement_pages_keep_a_constant_number_of_queries(app, client, scene):
    action = scene.action(statements=["1.1", "1.2"])
    login(client, scene.owner)
    urls = [action_url(scene, action), f"/areas/{scene.area.id}/statements/1.1"]
    small = {url: _queries(app, client, url) for url in urls}
    for i in range(5):
        scene.actions.add_update(reload(action), f"Update {i}", progress=10 * i, user=scene.owner)
    scene.actions.update_action(reload(action), {"statements": ["1.1", "1.2", "2.2", "3.3"], "agency_id": scene.police.id},
                                user=scene.board)
    for _ in range(5):
        scene.action(statements=["1.1"])
    scene.open_t2({"1.1": (3, 3), "1.2": (2, 3)})
    big = {url: _queries(app, client, url) for url in urls}
    assert big == small


# -- my actions -------------------------------------------------------------------------------


def test_my_actions_across_areas_open_first_and_overdue_flagged(client, scene, world):
    from hsbtrack.areas.services import add_area_member

    second = world.area("Hillside")
    add_area_member(second, scene.owner.email, "viewer")
    board2 = world.user("board@hillside.example", second, "board_manager")
    today = date.today()
    closed = scene.action(title="Closed one", due_on=today - timedelta(days=30), record_overdue=True)
    scene.actions.update_action(closed, {"status": "cancelled"}, user=scene.board)
    scene.action(title="Overdue one", due_on=today - timedelta(days=1), record_overdue=True)
    scene.action(title="Later one", due_on=today + timedelta(days=30))
    scene.actions.create_action(second, title="Hillside one", owner=scene.owner, due_on=today + timedelta(days=5),
                                statements=["2.2"], user=board2)
    scene.action(title="Someone else's", owner=scene.board)
    login(client, scene.owner)
    response = client.get("/my-actions")
    text = text_of(response)
    text = text[text.index("You own"):]  # after the header (its area switcher names the areas too)
    assert "Someone else's" not in text and "Zebrafield secret" not in text
    assert text.index("Hillside") < text.index("Hillside one") < text.index("Riverside")
    riverside = text[text.index("Riverside"):]
    assert riverside.index("Overdue one") < riverside.index("Later one") < riverside.index("Closed one")
    html = response.get_data(as_text=True)
    overdue_block = html.split("Overdue one")[1].split('class="hsb-my-action')[0]
    assert "data-overdue" in overdue_block
    closed_block = html.split("Closed one")[1].split('class="hsb-my-action')[0]
    assert "data-overdue" not in closed_block and "Post an update" not in closed_block
    assert "4 actions" in text and "3 open" in text and "1 overdue" in text
    # The header links to "My actions" on every page.
    assert 'href="/my-actions"' in client.get("/account").get_data(as_text=True)


def test_my_actions_hides_areas_the_user_has_left(client, scene):
    from hsbtrack.areas.models import Membership
    from hsbtrack.areas.services import remove_membership
    from hsbtrack.extensions import db

    scene.action(title="Kept by the area")
    login(client, scene.owner)
    assert "Kept by the area" in text_of(client.get("/my-actions"))
    for membership in db.session.scalars(select(Membership).where(Membership.user_id == scene.owner.id)).all():
        remove_membership(membership)
    assert "Kept by the area" not in text_of(client.get("/my-actions"))


# -- the statement page -----------------------------------------------------------------------


def test_statement_page_shows_the_score_change_next_to_linked_actions(client, scene):
    action = scene.action(title="Continuum of responses agreed", statements=["1.1"])
    scene.action(title="Unrelated", statements=["4.4"])
    scene.open_t2({"1.1": (3, 3), "1.2": (1, 2)})
    login(client, scene.viewer)
    response = client.get(f"/areas/{scene.area.id}/statements/1.1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "A continuum of responses" in text or "1.1" in text
    cycles = html.split('id="cycles"')[1].split("</table>")[0]
    t2_row = cycles.split('data-cycle="2"')[1].split("</tr>")[0]
    assert "0 → 3 (up 3)" in re.sub(r"\s+", " ", text_of_fragment(t2_row))
    summary = text_of_fragment(html.split('id="cycle-summary"')[1].split("</div>")[0])
    assert "T1 0" in summary and "T2 3 (up 3)" in summary
    linked = html.split('id="linked-actions"')[1].split("</ul>")[0]
    assert "Continuum of responses agreed" in linked and "Unrelated" not in linked
    assert f"/actions/{action.id}" in linked and "Olu Owner" in linked
    # Each agency's score per cycle.
    agencies = html.split('id="agency-scores"')[1].split("</table>")[0]
    police = agencies.split(f'data-agency="{scene.police.id}"')[1].split("</tr>")[0]
    assert [c.strip() for c in re.findall(r">(\d)</td>", police)] == ["0", "3"]
    # The action page shows the same trail.
    detail = client.get(action_url(scene, action)).get_data(as_text=True)
    linked_row = detail.split('id="linked-statements"')[1].split('data-code="1.1"')[1].split("</tr>")[0]
    assert "0 → 3 (up 3)" in text_of_fragment(linked_row)


def test_statement_page_for_unknown_or_heading_codes_is_404(client, scene):
    login(client, scene.viewer)
    assert client.get(f"/areas/{scene.area.id}/statements/9.9").status_code == 404
    assert client.get(f"/areas/{scene.area.id}/statements/1.6").status_code == 404
    assert client.get(f"/areas/{scene.area.id}/statements/1.6a").status_code == 200


def text_of_fragment(html):
    from html import unescape

    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
