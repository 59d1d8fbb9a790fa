"""Accounts: signing in and out, throttling, sessions, passwords, invitations, resets, and the
security settings around them (headers, cookies, production configuration)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, login, post_form

NEW_PASSWORD = "a brand new passphrase for tests"
LINK_RE = re.compile(r"https?://[^\s/]+(/(?:invite|password/reset)/[^\s]+)")


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
        return False
    assert response.status_code == 200
    return True


def post_login(client, email, password):
    return post_form(client, "/login", {"email": email, "password": password})


def link_path(message) -> str:
    match = LINK_RE.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def fresh(model_row):
    """Re-read a row changed by a request (requests run in their own database session)."""
    from hsbtrack.extensions import db

    db.session.expire_all()
    return db.session.get(type(model_row), model_row.id)


@pytest.fixture()
def member(world):
    area = world.area()
    return world.user("lead@example.org", area, "agency_lead", agency=world.agency(area, "Police"))


# -- signing in and out ---------------------------------------------------------------------------


def test_sign_in_and_sign_out(client, member):
    assert not signed_in(client)
    response = login(client, member)
    assert urlsplit(response.headers["Location"]).path == "/"
    assert signed_in(client)

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")}, follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    assert not signed_in(client)


def test_wrong_password_is_refused_with_a_message_next_to_the_field(client, member):
    response = post_login(client, member.email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The email address or password is not correct" in page
    assert "govuk-error-summary" in page and "govuk-error-message" in page
    assert not signed_in(client)


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client, member):
    page = post_login(client, "nobody@example.org", PASSWORD).get_data(as_text=True)
    assert "The email address or password is not correct" in page
    assert not signed_in(client)


def test_sign_in_is_throttled_after_too_many_failures(ctx, client, member):
    limit = ctx.config["HSBTRACK_LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert post_login(client, member.email, "guessing").status_code == 200

    response = post_login(client, member.email, PASSWORD)  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert not signed_in(client)

    window = ctx.config["HSBTRACK_LOGIN_WINDOW_MINUTES"]
    with time_machine.travel(timedelta(minutes=window + 1)):
        assert post_login(client, member.email, PASSWORD).status_code == 302
        assert signed_in(client)


def test_a_session_from_before_sign_in_does_not_carry_the_signed_in_user(ctx, client, member):
    """Session fixation: the cookie (and CSRF secret) handed out before sign-in are replaced."""
    before_token = csrf_token(client, "/login")
    before_cookie = client.get_cookie("session").value
    login(client, member)
    after_cookie = client.get_cookie("session").value
    assert after_cookie != before_cookie

    # Someone holding the pre-sign-in cookie is not signed in.
    planted = ctx.test_client()
    planted.set_cookie("session", before_cookie)
    assert not signed_in(planted)

    # A CSRF token learnt before sign-in does not work in the signed-in session.
    response = client.post("/account", data={"prefs-csrf_token": before_token, "prefs-name": "Changed",
                                             "prefs-locale": "en", "prefs-submit": "1"})
    assert response.status_code == 400
    assert fresh(member).name != "Changed"


def test_passwords_are_stored_as_argon2id_hashes(member):
    assert member.password_hash.startswith("$argon2id$")
    assert PASSWORD not in member.password_hash


# -- changing the password ------------------------------------------------------------------------


def change_password(client, current, new, confirm=None):
    token = csrf_token(client, "/account")
    return client.post("/account", data={
        "pw-csrf_token": token, "pw-current_password": current, "pw-password": new,
        "pw-confirm": new if confirm is None else confirm, "pw-submit": "1",
    })


def test_changing_the_password_signs_out_other_sessions(ctx, member):
    here, elsewhere = ctx.test_client(), ctx.test_client()
    login(here, member)
    login(elsewhere, member)

    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in(here), "the session that changed the password stays signed in"
    assert not signed_in(elsewhere)
    assert fresh(member).password_hash.startswith("$argon2id$")

    third = ctx.test_client()
    assert post_login(third, member.email, PASSWORD).status_code == 200  # the old one is refused
    assert post_login(third, member.email, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_or_a_short_new_one_changes_nothing(client, member):
    login(client, member)
    old_hash = member.password_hash
    page = change_password(client, "not my password", NEW_PASSWORD).get_data(as_text=True)
    assert "Your current password is not correct" in page
    page = change_password(client, PASSWORD, "short").get_data(as_text=True)
    assert "Password must be at least 12 characters" in page
    assert fresh(member).password_hash == old_hash
    assert signed_in(client)


# -- invitations ----------------------------------------------------------------------------------


def invite(ctx, world, email="new.person@example.org"):
    area = world.area("Hillside")
    board = world.user("board@example.org", area, "board_manager")
    manager = ctx.test_client()
    login(manager, board)
    response = post_form(manager, f"/areas/{area.id}/members", {"email": email, "role": "viewer", "name": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    return area


def test_a_board_manager_invites_a_new_member_who_sets_a_password(ctx, client, world, outbox):
    from hsbtrack.auth.services import user_by_email

    area = invite(ctx, world)
    assert [m["To"] for m in outbox] == ["new.person@example.org"]
    assert "invited" in outbox[0]["Subject"]
    path = link_path(outbox[0])
    assert user_by_email("new.person@example.org").password_hash is None

    assert client.get(path).status_code == 200
    response = post_form(client, path, {"name": "New Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert area.name in home
    user = user_by_email("new.person@example.org")
    assert user.password_hash.startswith("$argon2id$") and user.name == "New Person"

    # The link works once.
    other = ctx.test_client()
    response = other.get(path)
    assert response.status_code == 404
    assert "This link does not work any more" in response.get_data(as_text=True)


def test_an_expired_invitation_link_is_refused(ctx, client, world, outbox):
    from hsbtrack.auth.services import user_by_email

    invite(ctx, world)
    path = link_path(outbox[0])
    hours = ctx.config["HSBTRACK_TOKEN_HOURS"]
    with time_machine.travel(timedelta(hours=hours, minutes=1)):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link does not work any more" in response.get_data(as_text=True)
        token = csrf_token(client, "/login")
        response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
        assert response.status_code == 404
    assert user_by_email("new.person@example.org").password_hash is None
    assert not signed_in(client)


def test_setting_a_short_password_from_an_invitation_is_refused(ctx, client, world, outbox):
    from hsbtrack.auth.services import user_by_email

    invite(ctx, world)
    path = link_path(outbox[0])
    page = post_form(client, path, {"password": "short", "confirm": "short"}).get_data(as_text=True)
    assert "Password must be at least 12 characters" in page
    assert user_by_email("new.person@example.org").password_hash is None
    assert client.get(path).status_code == 200, "a refused attempt does not use up the link"


# -- password reset -------------------------------------------------------------------------------


def test_password_reset_by_email(ctx, client, member, outbox):
    response = post_form(client, "/password/reset", {"email": "LEAD@example.org"})
    assert response.status_code == 302
    assert [m["To"] for m in outbox] == [member.email]
    path = link_path(outbox[0])
    assert path.startswith("/password/reset/")

    response = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    assert client.get(path).status_code == 404, "a reset link works once"

    other = ctx.test_client()
    assert post_login(other, member.email, PASSWORD).status_code == 200
    assert post_login(other, member.email, NEW_PASSWORD).status_code == 302


def test_password_reset_does_not_reveal_who_has_an_account(client, member, outbox):
    known = post_form(client, "/password/reset", {"email": member.email}, page="/password/reset")
    unknown = post_form(client, "/password/reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in outbox] == [member.email]


def test_an_invitation_link_cannot_be_used_as_a_reset_link(client, world, ctx, outbox):
    invite(ctx, world)
    token = link_path(outbox[0]).rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token}").status_code == 404


# -- headers, cookies, configuration --------------------------------------------------------------


def test_security_headers_on_pages_and_the_api(client):
    for path in ("/login", "/api/v1/openapi.json", "/api/v1/areas"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def session_cookie_header(client) -> str:
    response = client.get("/login")
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, "the sign-in page sets a session cookie (for its CSRF token)"
    return cookies[0]


def test_session_cookie_is_http_only_and_same_site(client):
    cookie = session_cookie_header(client)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def production_env(monkeypatch, secret="a-long-random-production-secret-for-tests"):
    from tests.conftest import database_url

    monkeypatch.setenv("HSBTRACK_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", database_url())
    monkeypatch.setenv("HSBTRACK_PLUGINS", "")
    monkeypatch.delenv("HSBTRACK_SECURE_COOKIES", raising=False)
    if secret:
        monkeypatch.setenv("SECRET_KEY", secret)
    else:
        monkeypatch.delenv("SECRET_KEY", raising=False)


def test_production_cookies_are_secure(ctx, monkeypatch):
    from hsbtrack import create_app

    production_env(monkeypatch)
    app = create_app()
    assert app.config["HSBTRACK_ENV"] == "production" and not app.testing
    client = app.test_client()
    cookie = session_cookie_header(client)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from hsbtrack import create_app
    from hsbtrack.config import ConfigurationError

    production_env(monkeypatch, secret=None)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(config={"HSBTRACK_ENV": "production"})


def test_a_secret_key_given_to_create_app_is_enough_in_production(monkeypatch):
    from hsbtrack import create_app

    production_env(monkeypatch, secret=None)
    app = create_app(config={"HSBTRACK_ENV": "production", "SECRET_KEY": "given-in-code-not-the-environment"})
    assert app.config["SECRET_KEY"] == "given-in-code-not-the-environment"


def test_throttling_counts_failures_not_successes(ctx, client, member):
    from hsbtrack.auth.models import LoginAttempt
    from hsbtrack.extensions import db

    for _ in range(ctx.config["HSBTRACK_LOGIN_MAX_FAILURES"] + 2):
        assert post_login(ctx.test_client(), member.email, PASSWORD).status_code == 302
    counts = dict(db.session.execute(select(LoginAttempt.success, func.count()).group_by(LoginAttempt.success)).all())
    assert counts == {True: ctx.config["HSBTRACK_LOGIN_MAX_FAILURES"] + 2}
