"""The session ends after PERMANENT_SESSION_LIFETIME without activity, and a signed-in page can
warn and extend it (WCAG 2.2.1; hsbtrack/auth/session_timeout.py). The browser side is in
tests/browser/test_session_timeout_browser.py."""

import re
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner

from tests.conftest import csrf_token, login

LIFETIME = 8 * 60 * 60  # the testing config keeps the default of 480 minutes


@pytest.fixture()
def signed_earlier(monkeypatch):
    """``signed_earlier(seconds)``: session cookies signed from now on carry a timestamp that many
    seconds in the past (as if the last request had been then); ``signed_earlier(0)`` stops it."""

    original = TimestampSigner.get_timestamp

    def shift(seconds):
        if seconds:
            monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: original(self) - seconds)
        else:
            monkeypatch.setattr(TimestampSigner, "get_timestamp", original)

    return shift


def status(client):
    response = client.get("/session")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "Set-Cookie" not in response.headers, "asking how long is left must not extend the session"
    return response.get_json()


def test_anonymous_visitors_get_401_from_status_and_extend(client):
    token = csrf_token(client, "/login")
    for response in (client.get("/session"), client.post("/session/extend", data={"csrf_token": token})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_extend_without_csrf_token_is_refused_and_extends_nothing(client, world, signed_earlier):
    signed_earlier(600)
    login(client, world.user("idle@example.org"))
    csrf_token(client, "/account")  # the session has its token, as on any page with the warning
    signed_earlier(0)
    before = status(client)

    response = client.post("/session/extend")
    assert response.status_code == 400
    assert "missing its security token" in response.get_data(as_text=True)
    assert status(client)["expires_at"] == before["expires_at"]


def test_stay_signed_in_gives_the_session_its_whole_lifetime_again(client, world, signed_earlier):
    signed_earlier(600)  # signed in ten minutes ago, idle since
    login(client, world.user("idle@example.org"))
    token = csrf_token(client, "/account")
    signed_earlier(0)
    before = status(client)
    assert LIFETIME - 605 <= before["expires_in"] <= LIFETIME - 595

    response = client.post("/session/extend", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    extended = response.get_json()
    assert datetime.fromisoformat(extended["expires_at"]) >= datetime.fromisoformat(before["expires_at"]) + timedelta(
        seconds=595)
    assert LIFETIME - 2 <= extended["expires_in"] <= LIFETIME
    assert "session=" in response.headers["Set-Cookie"]
    assert status(client)["expires_at"] == extended["expires_at"]  # the server holds the new expiry


def test_using_any_page_extends_the_session(client, world, signed_earlier):
    signed_earlier(600)
    login(client, world.user("busy@example.org"))
    signed_earlier(0)
    assert status(client)["expires_in"] <= LIFETIME - 595
    assert client.get("/account").status_code == 200
    assert status(client)["expires_in"] >= LIFETIME - 2


def test_the_session_ends_after_its_lifetime_without_activity(client, world, signed_earlier):
    signed_earlier(LIFETIME + 5)
    login(client, world.user("gone@example.org"))
    signed_earlier(0)
    assert client.get("/session").status_code == 401
    response = client.get("/account")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_ended_sends_to_sign_in_with_the_inactivity_message(client, world):
    client.get("/account")  # signed out: this flashes "Sign in to see this page"
    response = client.get("/session/ended?next=/account")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/account"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out because you had not used hsbtrack for a while" in page
    assert "Sign in to see this page" not in page

    offsite = client.get("/session/ended?next=//evil.example/")
    assert offsite.headers["Location"] == "/login"


def test_ended_sends_someone_still_signed_in_back_to_the_page(client, world):
    login(client, world.user("still@example.org"))
    response = client.get("/session/ended?next=/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_signed_in_pages_carry_the_warning_and_its_clock(client, world):
    assert "data-session-timeout" not in client.get("/login").get_data(as_text=True)
    login(client, world.user("reader@example.org"))
    response = client.get("/account")
    page = response.get_data(as_text=True)
    dialog = re.search(r"<dialog[^>]*data-session-timeout[^>]*>", page)
    assert dialog, "no session timeout warning on a signed-in page"
    assert 'role="alertdialog"' in dialog.group(0)
    assert f'data-expires-in="{LIFETIME}"' in dialog.group(0)
    assert 'data-warning="120"' in dialog.group(0)
    assert "Stay signed in" in page
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<script type="module" src="/static/js/session-timeout.js" nonce="{nonce}"></script>' in page


def test_the_script_is_served(client):
    response = client.get("/static/js/session-timeout.js")
    assert response.status_code == 200 and "showModal" in response.get_data(as_text=True)
    response.close()


def test_timestamps_are_real(signed_earlier):
    """Control for the fixture above: it really moves the signing time."""
    signer = TimestampSigner("k")
    signed_earlier(600)
    assert signer.get_timestamp() <= int(time.time()) - 599
