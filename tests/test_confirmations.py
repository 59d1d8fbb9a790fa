"""Issue 15, "a confirmation page before anything final": removing a member's role, revoking an API token
and cancelling an action each ask first. The question page changes nothing; only the confirmed POST does.
(Closing and submitting have their own tests, in tests/audits.)"""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hsbtrack.actions.models import Action
from hsbtrack.areas.models import Membership
from hsbtrack.auth.models import ApiToken
from hsbtrack.auth.services import issue_api_token
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from tests.actions.pages_support import PageScene, date_fields, text_of
from tests.conftest import api_headers, csrf_token, login


@pytest.fixture()
def scene(world):
    return PageScene(world)


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/account")})


def membership_of(user, area):
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.area_id == area.id))


def history_count():
    return db.session.scalar(select(func.count()).select_from(HistoryEntry))


# -- removing a member's role ------------------------------------------------------------------------


def test_removing_a_role_asks_first_then_removes(client, scene):
    membership_id = membership_of(scene.owner, scene.area).id
    url = f"/areas/{scene.area.id}/members/{membership_id}/remove"
    login(client, scene.board)

    members = client.get(f"/areas/{scene.area.id}/members").get_data(as_text=True)
    assert re.search(rf'<a class="govuk-link" href="{re.escape(url)}">Remove', members)  # a link, not a button
    assert f'action="{url}"' not in members

    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "Remove the role Agency lead of Olu Owner in Riverside?" in text
    assert "owner@example.org" in text and "Police" in text
    assert "Olu Owner will lose access to the pages of Riverside that this role opens." in text
    assert f'href="/areas/{scene.area.id}/members">Cancel' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is not None  # asking removed nothing

    done = post(client, url, {})
    assert done.status_code == 302 and done.location.endswith(f"/areas/{scene.area.id}/members")
    db.session.expire_all()
    assert db.session.get(Membership, membership_id) is None
    assert "The role of owner@example.org has been removed" in text_of(client.get(done.location))


def test_the_removal_question_is_for_managers_of_that_area_only(client, scene):
    foreign = membership_of(scene.outsider, scene.other_area)
    own = membership_of(scene.owner, scene.area)
    login(client, scene.board)
    # another area's membership under this area's URL: not found, as for the POST
    assert client.get(f"/areas/{scene.area.id}/members/{foreign.id}/remove").status_code == 404
    assert post(client, f"/areas/{scene.area.id}/members/{foreign.id}/remove", {}).status_code == 404
    post(client, "/logout", {})
    login(client, scene.viewer)  # may not read the members of the area, let alone remove one
    assert client.get(f"/areas/{scene.area.id}/members/{own.id}/remove").status_code == 404
    db.session.expire_all()
    assert db.session.get(Membership, foreign.id) is not None and db.session.get(Membership, own.id) is not None


# -- revoking an API token ------------------------------------------------------------------------


def test_revoking_a_token_asks_first_then_revokes(client, scene):
    issue_api_token(scene.board, "Finance dashboard")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.board.id))
    url = f"/account/tokens/{token.id}/revoke"
    login(client, scene.board)
    account = client.get("/account").get_data(as_text=True)
    assert f'<a class="govuk-link" href="{url}">Revoke' in account and f'action="{url}"' not in account

    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "Revoke the API token “Finance dashboard”?" in text
    assert "Any system that calls the API with this token will be refused from now on." in text
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None  # asking revoked nothing

    done = post(client, url, {})
    assert done.status_code == 302 and done.location.endswith("/account")
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert "The token has been revoked" in text_of(client.get("/account"))
    assert client.get(url).status_code == 404  # nothing left to ask about


def test_nobody_is_asked_about_someone_elses_token(client, scene):
    issue_api_token(scene.owner, "Owner's script")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == scene.owner.id))
    login(client, scene.board)
    assert client.get(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert "Owner" not in text_of(client.get("/account"))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


# -- cancelling an action -------------------------------------------------------------------------


def board_form(scene, action, **overrides):
    data = {"title": action.title, "description": "", "statements": ["1.1"], "owner": str(scene.owner.id),
            "agency_id": "", "priority": "medium", "status": action.status, "progress": str(action.progress),
            "completion_evidence": "", "version": str(action.version), **date_fields("due_on", action.due_on)}
    data.update(overrides)
    return data


def hidden_fields(response) -> list[tuple[str, str]]:
    """The hidden inputs of the confirmation's own form."""
    html = response.get_data(as_text=True)
    block = html[html.index('id="confirm-cancel"'):html.index("Or change your answers")]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', block)


def test_cancelling_an_action_asks_first_and_saves_nothing_until_confirmed(client, scene):
    action = scene.action()
    url = f"/areas/{scene.area.id}/actions/{action.id}/edit"
    login(client, scene.board)
    version, entries = action.version, history_count()

    asked = post(client, url, board_form(scene, action, status="cancelled", title="Train school staff (dropped)"))
    assert asked.status_code == 200
    text = text_of(asked)
    assert "You are about to cancel this action: it leaves the open plan" in text
    assert "Nothing has been saved yet." in text
    back = f'href="/areas/{scene.area.id}/actions/{action.id}">No, keep the action as it is'
    assert back in asked.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert (saved.status, saved.title, saved.version) == ("not_started", "Train school staff", version)
    assert history_count() == entries

    carried = hidden_fields(asked)  # the same values go with the confirmation
    assert ("status", "cancelled") in carried and ("title", "Train school staff (dropped)") in carried
    assert ("version", str(version)) in carried and ("confirm_cancel", "yes") not in carried
    confirmed = client.post(url, data=MultiDict([*carried, ("confirm_cancel", "yes"),
                                                 ("csrf_token", csrf_token(client, "/account"))]))
    assert confirmed.status_code == 302, text_of(confirmed)[:1500]
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert (saved.status, saved.title) == ("cancelled", "Train school staff (dropped)")
    assert "The action has been saved" in text_of(client.get(confirmed.location))


def test_the_owner_is_asked_too_and_other_changes_are_not(client, scene):
    action = scene.action()
    url = f"/areas/{scene.area.id}/actions/{action.id}/edit"
    login(client, scene.owner)
    fields = {"status": "cancelled", "progress": "0", "completion_evidence": "", "version": str(action.version)}
    assert "Yes, cancel the action" in text_of(post(client, url, fields))
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "not_started"
    assert post(client, url, {**fields, "confirm_cancel": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "cancelled"

    # other statuses, and saving an action that is already cancelled, do not ask
    other = scene.action(title="Audit the referral pathway")
    blocked = post(client, f"/areas/{scene.area.id}/actions/{other.id}/edit",
                   {**fields, "status": "blocked", "version": str(other.version)})
    assert blocked.status_code == 302
    again = post(client, url, {**fields, "progress": "5", "version": str(db.session.get(Action, action.id).version)})
    assert again.status_code == 302


def test_a_cancel_with_mistakes_in_the_form_shows_the_errors_not_the_question(client, scene):
    action = scene.action()
    login(client, scene.board)
    response = post(client, f"/areas/{scene.area.id}/actions/{action.id}/edit",
                    board_form(scene, action, status="cancelled", due_on=["31", "4", "2031"]))
    assert response.status_code == 422
    text = text_of(response)
    assert "Due date must be a real date" in text and "Yes, cancel the action" not in text
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "not_started"


def test_a_confirmed_cancel_the_service_refuses_is_not_asked_again_once_corrected(client, scene):
    action = scene.action()
    url = f"/areas/{scene.area.id}/actions/{action.id}/edit"
    login(client, scene.board)
    fields = board_form(scene, action, status="cancelled", progress="150")  # the service's rule, not the form's
    assert "Yes, cancel the action" in text_of(post(client, url, fields))
    refused = post(client, url, {**fields, "confirm_cancel": "yes"})
    assert refused.status_code == 422
    assert "Progress must be a whole number from 0 to 100" in text_of(refused)
    assert '<input type="hidden" name="confirm_cancel" value="yes">' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "not_started"
    saved = post(client, url, {**fields, "progress": "40", "confirm_cancel": "yes"})  # as the corrected form posts
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "cancelled"


def test_the_api_cancels_in_one_call(client, scene):
    action = scene.action()
    response = client.patch(f"/api/v1/actions/{action.id}", json={"status": "cancelled"},
                            headers=api_headers(scene.board))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "cancelled"
