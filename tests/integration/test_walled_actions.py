"""A walled action (a CARM risk-management-plan action: about a child) keeps its wall wherever it
travels: plan, counts, exports, board paper, API, reminders and digests reach only those who may
see its case; its owner can only be one of them. (Every page and API answer is also walked by
tests/integration/test_access_matrix.py with a planted plan action.)"""

from datetime import date, timedelta

import pytest

from tests.conftest import api_headers, login

CASE_PERMISSION = "scotland.cases"
TITLE = "Supervision plan for case RIV-7"


@pytest.fixture()
def walled(world):
    from hsbtrack.actions.services import create_action
    from hsbtrack.plugins.services import set_area_plugin

    area = world.area("Riverside")
    set_area_plugin(area, "scotland", True)
    people = {
        "board": world.user("board@example.org", area, "board_manager"),
        "viewer": world.user("viewer@example.org", area, "viewer"),
        "lead": world.user("lead@example.org", area, "agency_lead", agency=world.agency(area, "Police")),
        "worker": world.user("worker@example.org", area, "case_worker"),
    }
    due = date.today() + timedelta(days=3)
    action = create_action(area, title=TITLE, owner=people["worker"], due_on=due, statements=["4.2"],
                           restricted_to=CASE_PERMISSION)
    plain = create_action(area, title="Plain pathway review", owner=people["board"], due_on=due, statements=["1.1"])
    return area, action, plain, people


def test_only_those_who_may_see_cases_can_own_a_walled_action(walled):
    from hsbtrack.actions.services import create_action, owner_choices
    from hsbtrack.errors import ServiceError

    area, _action, _plain, people = walled
    assert [u.email for u in owner_choices(area, restricted_to=CASE_PERMISSION)] == ["worker@example.org"]
    assert {u.email for u in owner_choices(area)} >= {"board@example.org", "worker@example.org"}
    with pytest.raises(ServiceError) as refused:
        create_action(area, title="Another plan step", owner=people["board"], due_on=date(2030, 1, 1),
                      statements=["4.2"], restricted_to=CASE_PERMISSION)
    assert "confidential" in refused.value.fields["owner"]


def test_no_word_of_it_for_the_board_an_agency_lead_or_a_viewer(app, walled):
    area, action, plain, people = walled
    pages = [f"/areas/{area.id}/actions/", f"/areas/{area.id}/actions/board-paper",
             f"/areas/{area.id}/actions/export.csv", f"/areas/{area.id}/", f"/areas/{area.id}/statements/4.2",
             "/my-actions"]
    for who in ("board", "lead", "viewer"):
        client = app.test_client()
        login(client, people[who])
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            assert TITLE not in response.get_data(as_text=True), (who, path)
        assert client.get(f"/areas/{area.id}/actions/{action.id}").status_code == 404
        headers = api_headers(people[who])
        listed = client.get(f"/api/v1/areas/{area.id}/actions", headers=headers)
        assert TITLE not in listed.get_data(as_text=True)
        assert [a["id"] for a in listed.get_json()] == [plain.id]
        assert client.get(f"/api/v1/actions/{action.id}", headers=headers).status_code == 404
    # the dashboard's counts leave it out too: one open action, not two
    from hsbtrack.actions.services import status_counts

    assert sum(status_counts(area.id, reader=people["board"]).values()) == 1
    assert sum(status_counts(area.id, reader=people["worker"]).values()) == 2


def test_the_case_worker_sees_and_updates_it(app, walled):
    area, action, _plain, people = walled
    client = app.test_client()
    login(client, people["worker"])
    assert TITLE in client.get(f"/areas/{area.id}/actions/").get_data(as_text=True)
    assert TITLE in client.get("/my-actions").get_data(as_text=True)
    response = client.post(f"/api/v1/actions/{action.id}/updates", json={"note": "Met the school", "progress": 20},
                           headers=api_headers(people["worker"]))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_reminders_and_digests_reach_only_people_behind_the_wall(app, walled, outbox):
    from tests.scheduler.conftest import run_day

    area, action, _plain, people = walled
    today = date.today()
    run_day(app, today, jobs={"core.actions"})  # "due in 3 days" to each owner
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    run_day(app, monday, jobs={"core.digests"})
    mails = outbox
    to_worker = [m for m in mails if "worker@example.org" in m["To"]]
    others = [m for m in mails if "worker@example.org" not in m["To"]]
    assert any(TITLE in (m["Subject"] + m.get_content()) for m in to_worker)
    assert others, "the board manager hears about the plain action"
    assert all(TITLE not in (m["Subject"] + m.get_content()) for m in others)
