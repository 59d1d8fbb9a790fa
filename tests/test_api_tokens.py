"""Offboarding: API tokens expire (and say so), show their last use, and stop working — with every
session of the person — when an administrator deactivates them or their last role is removed."""

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from hsbtrack.areas.models import Membership
from hsbtrack.auth.models import AccountEvent, ApiToken
from hsbtrack.auth.services import issue_api_token
from hsbtrack.extensions import db
from hsbtrack.notifications.models import Notification
from hsbtrack.scheduler.runner import run_job, scheduled_jobs
from tests.conftest import csrf_token, login, post_form

MADE = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # + 90 days: 5 March 2027
API = "/api/v1/areas"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def token_rows(page: str) -> list[str]:
    """The rows of the account page's token table, as text."""
    body = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


def _post_account(client, data):
    token = csrf_token(client, "/account")
    return client.post("/account", data={**data, "token-csrf_token": token})


def new_token(client, name, days=None):
    data = {"token-name": name, "token-submit": "1"}
    if days is not None:
        data["token-days"] = str(days)
    response = _post_account(client, data)
    page = response.get_data(as_text=True)
    match = re.search(r'data-testid="new-token">([^<]+)<', page)
    assert match, page[:3000]
    return match.group(1)


def test_a_token_works_until_it_expires_then_says_so(world, client, app):
    area = world.area()
    user = world.user("lead@example.org", area, "board_manager")
    with time_machine.travel(MADE, tick=False):
        login(client, user)
        token = new_token(client, "Finance dashboard")
        assert "Expires 5 March 2027" in token_rows(client.get("/account").get_data(as_text=True))[0]
    with time_machine.travel(datetime(2027, 3, 5, 11, 59, tzinfo=UTC), tick=False):
        assert client.get(API, headers=bearer(token)).status_code == 200
    with time_machine.travel(datetime(2027, 3, 5, 12, 1, tzinfo=UTC), tick=False):
        response = client.get(API, headers=bearer(token))
        assert response.status_code == 401
        error = response.get_json()["error"]
        assert error["code"] == "unauthorized"
        assert error["message"] == "This API token expired on 5 March 2027: make a new one on your account page"
        # a wrong token still gets the general message, not this one
        assert "expired" not in client.get(API, headers=bearer("hsb_wrong")).get_json()["error"]["message"]
        later = app.test_client()  # (the first session has long timed out)
        login(later, user)
        row = token_rows(later.get("/account").get_data(as_text=True))[0]
        assert "Finance dashboard" in row and "Expired" in row and "Revoke" in row


def test_the_last_use_is_shown_and_written_at_most_once_a_minute(world, client):
    area = world.area()
    user = world.user("lead@example.org", area, "board_manager")
    login(client, user)
    token = new_token(client, "Nightly export")
    assert "Never" in token_rows(client.get("/account").get_data(as_text=True))[0]
    with time_machine.travel(datetime(2026, 12, 20, 9, 30, tzinfo=UTC), tick=False):
        assert client.get(API, headers=bearer(token)).status_code == 200
    with time_machine.travel(datetime(2026, 12, 20, 9, 30, 40, tzinfo=UTC), tick=False):
        assert client.get(API, headers=bearer(token)).status_code == 200  # within the minute: not written
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) == datetime(2026, 12, 20, 9, 30)
    with time_machine.travel(datetime(2026, 12, 20, 9, 31, 30, tzinfo=UTC), tick=False):
        assert client.get(API, headers=bearer(token)).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) == datetime(2026, 12, 20, 9, 31, 30)
    row = token_rows(client.get("/account").get_data(as_text=True))[0]
    assert "20 Dec 2026" in row and "09:31" in row and "Never" not in row


def test_the_owner_chooses_a_shorter_expiry_but_not_a_longer_one(world, client, ctx, app):
    area = world.area()
    user = world.user("lead@example.org", area, "board_manager")
    with time_machine.travel(MADE, tick=False):
        login(client, user)
        page = client.get("/account").get_data(as_text=True)
        assert re.search(r'value="90"[^>]*checked', page), "the setting is the default"
        assert 'value="30"' in page and 'value="60"' in page
        token = new_token(client, "Short test", days=30)
        assert "Expires 4 January 2027" in token_rows(client.get("/account").get_data(as_text=True))[0]
        response = _post_account(client, {"token-name": "Too long", "token-submit": "1", "token-days": "120"})
        assert 'data-testid="new-token"' not in response.get_data(as_text=True)
        assert "govuk-error-summary" in response.get_data(as_text=True)
    with time_machine.travel(datetime(2027, 1, 5, tzinfo=UTC), tick=False):
        assert client.get(API, headers=bearer(token)).status_code == 401
    client = app.test_client()  # (the first session has timed out meanwhile)
    login(client, user)
    # The install's setting caps it: 60 days -> 30 or 60 offered, 60 by default.
    ctx.config["HSBTRACK_API_TOKEN_DAYS"] = 60
    try:
        page = client.get("/account").get_data(as_text=True)
        assert re.search(r'value="60"[^>]*checked', page) and 'value="90"' not in page
    finally:
        ctx.config["HSBTRACK_API_TOKEN_DAYS"] = 90


def test_deactivating_revokes_every_token_and_ends_the_open_session(world, app):
    area = world.area()
    admin = world.user("admin@example.org", admin=True)
    leaver = world.user("leaver@example.org", area, "board_manager")
    tokens = [issue_api_token(leaver, "one"), issue_api_token(leaver, "two")]
    leaver_client, admin_client = app.test_client(), app.test_client()
    login(leaver_client, leaver)
    assert leaver_client.get("/account").status_code == 200
    assert all(leaver_client.get(API, headers=bearer(t)).status_code == 200 for t in tokens)

    login(admin_client, admin)
    response = post_form(admin_client, f"/admin/users/{leaver.id}", {"action": "deactivate"}, "/admin/users")
    assert response.status_code == 302

    assert all(leaver_client.get(API, headers=bearer(t)).status_code == 401 for t in tokens)
    response = leaver_client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None))) is None
    event = db.session.scalar(select(AccountEvent).where(AccountEvent.user_id == leaver.id))
    assert (event.event, event.by_user_id) == ("tokens_revoked_deactivated", admin.id)
    # Made active again, the person signs in afresh; the old tokens stay revoked.
    post_form(admin_client, f"/admin/users/{leaver.id}", {"action": "activate"}, "/admin/users")
    assert all(leaver_client.get(API, headers=bearer(t)).status_code == 401 for t in tokens)


def _remove(client, area, membership):
    path = f"/areas/{area.id}/members/{membership.id}/remove"
    return post_form(client, path, {}, path)


def test_removing_the_last_role_offboards_but_removing_one_of_two_does_not(world, app):
    area, other = world.area(), world.area("Hillside")
    board = world.user("board@example.org", area, "board_manager")
    world.user("board2@example.org", other, "board_manager")
    leaver = world.user("leaver@example.org", area, "viewer")
    world.user("leaver@example.org", other, "viewer")
    token = issue_api_token(leaver, "script")
    leaver_client, board_client = app.test_client(), app.test_client()
    login(leaver_client, leaver)
    login(board_client, board)

    first = db.session.scalar(select(Membership).where(Membership.user_id == leaver.id, Membership.area_id == area.id))
    assert _remove(board_client, area, first).status_code == 302
    assert leaver_client.get(API, headers=bearer(token)).status_code == 200, "one role left: token kept"
    assert leaver_client.get("/account").status_code == 200, "one role left: still signed in"

    board2_client = app.test_client()
    login(board2_client, "board2@example.org")
    last = db.session.scalar(select(Membership).where(Membership.user_id == leaver.id))
    assert _remove(board2_client, other, last).status_code == 302
    assert leaver_client.get(API, headers=bearer(token)).status_code == 401
    response = leaver_client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    events = db.session.scalars(select(AccountEvent.event).where(AccountEvent.user_id == leaver.id)).all()
    assert events == ["tokens_revoked_last_role"]


def test_the_owner_is_reminded_once_seven_days_before_in_their_language(world, client, outbox, app):
    area = world.area()
    english = world.user("lead@example.org", area, "board_manager")
    welsh = world.user("arweinydd@example.org", area, "viewer", locale="cy")
    with time_machine.travel(MADE, tick=False):
        issue_api_token(english, "Finance dashboard")
        issue_api_token(welsh, "Dangosfwrdd")
    job = next(j for j in scheduled_jobs(app) if j.name == "core.api_tokens")

    def run(day):
        when = datetime(*day, 7, 0, tzinfo=UTC)
        with time_machine.travel(when, tick=False):
            return run_job(app, job, when.replace(tzinfo=None))

    assert run((2027, 2, 25)) == 0  # 8 days before
    assert run((2027, 2, 26)) == 2  # 7 days before
    assert run((2027, 2, 27)) == 0  # once
    assert run((2027, 3, 4)) == 0
    subjects = {m["To"]: m["Subject"] for m in outbox}
    assert subjects["lead@example.org"] == "Your API token “Finance dashboard” expires on 5 March 2027"
    assert subjects["arweinydd@example.org"] == "Daw eich tocyn API “Dangosfwrdd” i ben ar 5 Mawrth 2027"
    assert len(outbox) == 2
    db.session.expire_all()
    assert db.session.scalar(select(Notification.kind).limit(1)) == "api_token"
