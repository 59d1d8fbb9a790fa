"""The notifications page and the unread count in the header."""

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import count_queries, csrf_token, login, post_form

HEADER_LINK = re.compile(r'<a href="/notifications/" class="hsb-header__notifications"[^>]*>([^<]*)</a>')


@pytest.fixture()
def people(world):
    area = world.area("Riverside")
    me = world.user("me@example.org", area, "viewer")
    other = world.user("other@example.org", area, "viewer")
    return area, me, other


def note(user, key, subject="Action due soon", link="/my-actions", area=None):
    from hsbtrack.notifications.services import APP_ONLY, notify

    return notify(user, key=key, kind="action", subject=subject, body="Post an update.", link=link,
                  area_id=getattr(area, "id", None), channel=APP_ONLY)


def header(client, path="/account"):
    page = client.get(path).get_data(as_text=True)
    match = HEADER_LINK.search(page)
    assert match, "no notifications link in the header"
    return match.group(1).strip()


def read_state(*ids):
    from hsbtrack.extensions import db
    from hsbtrack.notifications.models import Notification

    db.session.expire_all()
    return {i: db.session.get(Notification, i).read_at is not None for i in ids}


def test_the_header_shows_the_unread_count(client, people):
    area, me, other = people
    login(client, me)
    assert header(client) == "Notifications"
    for i in range(3):
        note(me, f"test:{i}", area=area)
    note(other, "test:other", area=area)
    assert header(client) == "Notifications (3)"
    assert header(client, f"/areas/{area.id}/") == "Notifications (3)"


def test_the_header_count_does_not_grow_with_notifications(app, client, people):
    area, me, _other = people
    login(client, me)
    client.get("/account")
    with count_queries(app) as few:
        client.get("/account")
    for i in range(40):
        note(me, f"test:{i}")
    with count_queries(app) as many:
        page = client.get("/account").get_data(as_text=True)
    assert "Notifications (40)" in page
    assert many() == few()


def test_the_page_lists_notifications_newest_first_and_marks_all_read(client, people):
    area, me, other = people
    first = note(me, "test:1", subject="First reminder")
    second = note(me, "test:2", subject="Second reminder")
    theirs = note(other, "test:other", subject="Not yours")
    login(client, me)
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("Second reminder") < page.index("First reminder")
    assert "Not yours" not in page
    assert page.count(">New<") == 2

    response = post_form(client, "/notifications/read", {}, page="/notifications/")
    assert response.status_code == 302
    assert read_state(first.id, second.id, theirs.id) == {first.id: True, second.id: True, theirs.id: False}
    assert header(client) == "Notifications"
    assert ">New<" not in client.get("/notifications/").get_data(as_text=True)


def test_opening_one_marks_it_read_and_goes_to_its_link(client, people):
    area, me, _other = people
    target = note(me, "test:1", link=f"/areas/{area.id}/")
    other = note(me, "test:2")
    login(client, me)
    response = post_form(client, f"/notifications/{target.id}/open", {}, page="/notifications/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/areas/{area.id}/"
    assert read_state(target.id, other.id) == {target.id: True, other.id: False}
    assert header(client) == "Notifications (1)"


def test_a_link_to_another_site_is_not_followed(client, people):
    _area, me, _other = people
    bad = note(me, "test:bad", link="https://evil.example/phish")
    worse = note(me, "test:worse", link="//evil.example/phish")
    login(client, me)
    for n in (bad, worse):
        response = post_form(client, f"/notifications/{n.id}/open", {}, page="/notifications/")
        assert urlsplit(response.headers["Location"]).path == "/notifications/"
        assert "evil" not in response.headers["Location"]


def test_another_users_notification_answers_404_and_stays_unread(client, people):
    _area, me, other = people
    theirs = note(other, "test:other")
    login(client, me)
    response = client.post(f"/notifications/{theirs.id}/open", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert response.status_code == 404
    response = client.post("/notifications/999999/open", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert response.status_code == 404
    assert read_state(theirs.id) == {theirs.id: False}


def test_an_empty_page_says_so(client, people):
    _area, me, _other = people
    login(client, me)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "You have no notifications." in page
    assert "Mark all as read" not in page


def test_signed_out_visitors_see_no_count(client):
    page = client.get("/login").get_data(as_text=True)
    assert "hsb-header__notifications" not in page


def test_the_same_key_makes_one_notification(people):
    _area, me, _other = people
    assert note(me, "test:same") is not None
    assert note(me, "test:same") is None
    from hsbtrack.notifications.services import unread_count

    assert unread_count(me) == 1
