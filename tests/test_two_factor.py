"""Two-factor authentication (issue 17): setting up TOTP with real codes, the sign-in gate that lets
nothing through before the second factor (pages, and the API with the session), replayed codes,
recovery codes, throttling, the install setting that requires it, and an administrator's reset.

Time is frozen with time-machine and moved on in 30-second steps, so every code is computed by pyotp
from the key the page shows, as an authenticator app would."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import PASSWORD, api_headers, csrf_token, login, post_form

START = datetime(2026, 12, 7, 9, 0, 0, tzinfo=UTC)
KEY_RE = re.compile(r'data-testid="setup-key">([A-Z2-7 ]+)<')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
STEP = timedelta(seconds=30)


@pytest.fixture()
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def required(app, monkeypatch):
    """The install default: two factors for administrators, board managers and case workers."""
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES",
                        frozenset({"admin", "board_manager", "case_worker"}))


@pytest.fixture()
def area(world):
    return world.area()


@pytest.fixture()
def viewer(world, area):
    return world.user("viewer@example.org", area, "viewer")


@pytest.fixture()
def board(world, area):
    return world.user("board@example.org", area, "board_manager")


def location(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return urlsplit(response.headers["Location"]).path


def set_up(client, path="/account/two-factor"):
    """Scan (read) the key off the set-up page and confirm it with the app's code: (key, recovery codes)."""
    page = client.get(path).get_data(as_text=True)
    key = KEY_RE.search(page).group(1).replace(" ", "")
    response = post_form(client, path, {"code": pyotp.TOTP(key).now()})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Two-factor authentication is on" in text
    codes = CODES_RE.findall(text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return key, codes


def sign_out(client):
    assert location(post_form(client, "/logout", {}, page="/account")) == "/login"


def send_code(client, code):
    return post_form(client, "/login/code", {"code": code})


def fresh(row):
    from hsbtrack.extensions import db

    db.session.expire_all()
    return db.session.get(type(row), row.id)


def test_set_up_then_sign_in_needs_the_code_and_nothing_is_reachable_before(ctx, client, viewer, area, clock):
    login(client, viewer)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert '<svg role="img"' in page and "QR code to scan with your authenticator app" in page
    assert KEY_RE.search(page).group(1).count(" ") == 7  # 32 characters in groups of four

    # a wrong code is an error at the field, with the summary
    response = post_form(client, "/account/two-factor", {"code": "000000"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in text
    assert 'id="code-error"' in text and "The code is not correct" in text
    assert fresh(viewer).totp_secret is None

    key, _codes = set_up(client)
    user = fresh(viewer)
    assert user.totp_secret and key not in user.totp_secret  # encrypted at rest
    assert key not in client.get("/account/two-factor").get_data(as_text=True)  # never shown again

    sign_out(client)
    clock.shift(STEP)
    assert location(login(client, viewer)) == "/login/code"
    token = csrf_token(client, "/login/code")
    for path in ("/account", "/", f"/areas/{area.id}/", "/account/two-factor", "/admin/"):
        assert location(client.get(path)) == "/login/code", path
    assert client.get("/api/v1/areas", headers={"X-CSRFToken": token}).status_code == 401
    assert client.get("/session").status_code == 401
    response = client.post(f"/api/v1/areas/{area.id}/actions", headers={"X-CSRFToken": token},
                           json={"title": "x", "owner_email": viewer.email, "due_on": "2030-01-01",
                                 "statements": ["1.1"]})
    assert response.status_code == 401

    code = pyotp.TOTP(key).now()
    assert location(send_code(client, code)) == "/"
    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/areas", headers={"X-CSRFToken": csrf_token(client, "/account")}).status_code == 200

    # the same code cannot be used again within its window
    sign_out(client)
    login(client, viewer)
    response = send_code(client, code)
    assert response.status_code == 200 and "The code is not correct" in response.get_data(as_text=True)
    assert location(client.get("/account")) == "/login/code"
    clock.shift(STEP)
    assert location(send_code(client, pyotp.TOTP(key).now())) == "/"


def test_the_page_asked_for_before_sign_in_opens_after_the_code(ctx, client, viewer, area, clock):
    login(client, viewer)
    key, _codes = set_up(client)
    sign_out(client)
    clock.shift(STEP)
    token = csrf_token(client, "/login")
    response = client.post(f"/login?next=/areas/{area.id}/", data={"email": viewer.email, "password": PASSWORD,
                                                                    "csrf_token": token})
    assert location(response) == "/login/code"
    assert location(send_code(client, pyotp.TOTP(key).now())) == f"/areas/{area.id}/"


def test_a_recovery_code_works_once(ctx, client, viewer, clock):
    login(client, viewer)
    _key, codes = set_up(client)
    sign_out(client)

    login(client, viewer)
    assert location(send_code(client, codes[3].upper().replace("-", " "))) == "/"  # typed loosely
    assert "9" in client.get("/account/two-factor").get_data(as_text=True).split('data-testid="codes-left">')[1][:3]
    sign_out(client)

    login(client, viewer)
    response = send_code(client, codes[3])
    assert response.status_code == 200 and "The code is not correct" in response.get_data(as_text=True)
    assert location(send_code(client, codes[4])) == "/"


def test_new_recovery_codes_replace_the_old_ones(ctx, client, viewer, clock):
    login(client, viewer)
    _key, old = set_up(client)
    assert "Your old recovery codes will stop working" in client.get(
        "/account/two-factor/recovery-codes").get_data(as_text=True)
    response = post_form(client, "/account/two-factor/recovery-codes", {})
    new = CODES_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    sign_out(client)
    login(client, viewer)
    assert send_code(client, old[0]).status_code == 200
    assert location(send_code(client, new[0])) == "/"


def test_six_wrong_codes_are_throttled_like_passwords(ctx, client, viewer, clock):
    login(client, viewer)
    key, _codes = set_up(client)
    sign_out(client)
    clock.shift(STEP)

    login(client, viewer)
    limit = ctx.config["HSBTRACK_LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        response = send_code(client, "123456")
        assert response.status_code == 200 and "The code is not correct" in response.get_data(as_text=True)
    response = send_code(client, pyotp.TOTP(key).now())  # the sixth, even the right code
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert location(client.get("/account")) == "/login/code"
    # the password step is throttled too: the failures were the account's
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": viewer.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429

    clock.shift(timedelta(minutes=ctx.config["HSBTRACK_LOGIN_WINDOW_MINUTES"] + 1))
    assert location(login(client, viewer)) == "/login/code"
    assert location(send_code(client, pyotp.TOTP(key).now())) == "/"


def test_the_second_step_must_follow_the_password_soon(ctx, client, viewer, clock):
    login(client, viewer)
    key, _codes = set_up(client)
    sign_out(client)
    assert location(client.get("/login/code")) == "/login"  # no password given: nothing to do here
    login(client, viewer)
    clock.shift(timedelta(minutes=11))
    token = csrf_token(client, "/login")
    response = client.post("/login/code", data={"code": pyotp.TOTP(key).now(), "csrf_token": token})
    assert location(response) == "/login"
    assert location(client.get("/account")) == "/login"


def test_a_required_role_without_two_factor_must_set_it_up_before_anything_else(ctx, client, board, area, required,
                                                                                 clock):
    assert location(login(client, board)) == "/login/two-factor"
    token = csrf_token(client, "/login/two-factor")
    for path in ("/account", "/", f"/areas/{area.id}/", "/account/two-factor", "/login/code"):
        assert location(client.get(path)) in {"/login/two-factor", "/login"}, path
    assert location(client.get("/account")) == "/login/two-factor"
    assert client.get("/api/v1/areas", headers={"X-CSRFToken": token}).status_code == 401

    page = client.get("/login/two-factor").get_data(as_text=True)
    assert "Your roles in hsbtrack need two-factor authentication" in page
    response = post_form(client, "/login/two-factor", {"code": "12345"})
    assert "There is a problem" in response.get_data(as_text=True)
    assert location(client.get("/account")) == "/login/two-factor"

    key, _codes = set_up(client, "/login/two-factor")
    assert client.get("/account").status_code == 200  # signed in now
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "cannot be turned off" in page
    response = post_form(client, "/account/two-factor/turn-off", {}, page="/account/two-factor")
    assert location(response) == "/account/two-factor"
    assert fresh(board).totp_secret is not None

    sign_out(client)
    clock.shift(STEP)
    assert location(login(client, board)) == "/login/code"
    assert location(send_code(client, pyotp.TOTP(key).now())) == "/"


def test_users_whose_roles_do_not_require_it_sign_in_with_the_password_and_may_turn_it_off(ctx, client, viewer,
                                                                                           required, clock):
    assert location(login(client, viewer)) == "/"
    set_up(client)
    assert "Turn off two-factor authentication?" in client.get("/account/two-factor/turn-off").get_data(as_text=True)
    response = post_form(client, "/account/two-factor/turn-off", {})
    assert location(response) == "/account/two-factor"
    assert fresh(viewer).totp_secret is None
    sign_out(client)
    assert location(login(client, viewer)) == "/"


def test_an_admin_resets_a_lost_second_factor(ctx, client, world, board, app, monkeypatch, clock):
    from hsbtrack.auth.models import AccountEvent, RecoveryCode
    from hsbtrack.extensions import db

    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"board_manager"}))
    admin = world.user("admin@example.org", admin=True)
    assert location(login(client, board)) == "/login/two-factor"
    set_up(client, "/login/two-factor")
    assert client.get("/account").status_code == 200

    office = ctx.test_client()
    login(office, admin)
    users = office.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{board.id}/two-factor" in users
    assert f"/admin/users/{admin.id}/two-factor" not in users  # nothing to reset
    page = office.get(f"/admin/users/{board.id}/two-factor").get_data(as_text=True)
    assert "Reset two-factor authentication of board@example.org?" in page
    response = post_form(office, f"/admin/users/{board.id}/two-factor", {})
    assert location(response) == "/admin/users"
    assert "has been reset" in office.get("/admin/users").get_data(as_text=True)

    db.session.expire_all()
    events = db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == board.id)).all()
    assert [(e.event, e.by_user_id) for e in events][-1] == ("two_factor_reset", admin.id)
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == board.id)).all() == []
    assert location(client.get("/account")) == "/login"  # the user's sessions ended

    # the password alone gets them to setting it up again (their role requires it) ...
    assert location(login(client, board)) == "/login/two-factor"
    set_up(client, "/login/two-factor")
    assert client.get("/account").status_code == 200
    # ... and without the requirement, to their pages
    office.get("/admin/users")
    post_form(office, f"/admin/users/{board.id}/two-factor", {})
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset())
    assert location(login(client, board)) == "/"
    assert "Set up two-factor authentication" in client.get("/account").get_data(as_text=True)


def test_only_admins_reset_and_only_what_is_set_up(ctx, client, world, viewer, board):
    login(client, board)
    assert client.get(f"/admin/users/{viewer.id}/two-factor").status_code == 404
    admin = world.user("admin@example.org", admin=True)
    office = ctx.test_client()
    login(office, admin)
    page = office.get(f"/admin/users/{viewer.id}/two-factor").get_data(as_text=True)
    assert "has not set up two-factor authentication: there is nothing to reset" in page
    assert 'id="confirm-reset"' not in page
    assert location(post_form(office, f"/admin/users/{viewer.id}/two-factor", {})) == "/admin/users"
    assert office.get(f"/admin/users/{10**6}/two-factor").status_code == 404


def test_bearer_tokens_are_not_asked_for_a_second_factor(ctx, client, viewer, clock):
    login(client, viewer)
    set_up(client)
    assert client.get("/api/v1/areas", headers=api_headers(viewer)).status_code == 200


def test_the_secret_is_encrypted_with_the_dedicated_key_when_set(app, ctx, monkeypatch):
    from hsbtrack.auth import two_factor

    sealed = two_factor.encrypt("JBSWY3DPEHPK3PXP")
    assert two_factor.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
    monkeypatch.setitem(app.config, "HSBTRACK_ENCRYPTION_KEY", "another key for the secrets")
    assert two_factor.decrypt(sealed) is None  # made under SECRET_KEY: not readable under another key
    assert two_factor.decrypt(two_factor.encrypt("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"


def test_the_setting_names_roles_all_or_nobody(app, ctx, world, viewer, board, monkeypatch):
    from hsbtrack.auth import two_factor
    from hsbtrack.config import settings_from_environment

    def settings(value):
        environ = {"HSBTRACK_ENV": "testing"}
        if value is not None:
            environ["HSBTRACK_TWO_FACTOR_REQUIRED_ROLES"] = value
        return settings_from_environment(Path(app.instance_path), environ)["HSBTRACK_TWO_FACTOR_REQUIRED_ROLES"]

    assert settings(None) == {"admin", "board_manager", "case_worker"}
    assert settings("") == frozenset()
    assert settings(" All ") == {"all"}
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"all"}))
    assert two_factor.is_required(viewer, {"viewer"})
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"admin"}))
    assert two_factor.is_required(board, {"admin"}) and not two_factor.is_required(board, {"board_manager"})
