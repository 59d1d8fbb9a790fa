"""Erasure (UK GDPR article 17) of a departed person: afterwards no page, export or API answer names them,
what they did reads "former member" (in Welsh "cyn-aelod"), their account is gone, and the history keeps
that a person was erased — not who. A hold refuses it, saying why."""

import pytest
from sqlalchemy import select, update

from hsbtrack.auth.models import ApiToken, LoginAttempt, User
from hsbtrack.errors import ForbiddenError
from hsbtrack.history.models import AppendOnlyError, HistoryEntry
from hsbtrack.privacy import services
from hsbtrack.privacy.models import PrivacyLogEntry
from hsbtrack.testing import csrf_token, login, post_form
from tests.privacy.helpers import ALICE_EMAIL, ALICE_NAME, body_text, build

NAMES = ("qzmarka", ALICE_EMAIL)  # (her name is "Alice Qzmarka")


def erase(client, user_id, reason="Left the partnership in 2024"):
    return post_form(client, f"/admin/users/{user_id}/erase", {"reason": reason, "confirm": "y"}, page="/admin/privacy")


def pages(s):
    area, audit = s.area.id, s.audit.id
    return [
        f"/areas/{area}/actions/",
        f"/areas/{area}/actions/{s.action_a.id}",
        f"/areas/{area}/actions/{s.action_b.id}",
        f"/areas/{area}/actions/export.csv",
        f"/areas/{area}/actions/export.xlsx",
        f"/areas/{area}/actions/board-paper",
        f"/areas/{area}/audits/{audit}/statements/1.1",
        f"/areas/{area}/audits/{audit}/moderation",
        f"/areas/{area}/members",
        f"/areas/{area}/",
        "/notifications/",
    ]


API = ("/api/v1/areas/{area}/actions", "/api/v1/actions/{a}", "/api/v1/actions/{a}/updates", "/api/v1/actions/{b}",
       "/api/v1/actions/{b}/updates", "/api/v1/audits/{audit}/responses", "/api/v1/audits/{audit}/export.csv",
       "/api/v1/audits/{audit}/export.xlsx", "/api/v1/areas/{area}/members", "/api/v1/actions/{a}/documents")

ADMIN_PAGES = ("/admin/users", "/admin/", "/admin/downloads", "/admin/privacy")


def test_after_erasure_no_page_export_or_api_answer_names_them(client, world, app):
    s = build(world)
    login(client, s.bob)  # (before: the pages name her, so their silence afterwards proves something)
    before = "".join(body_text(client.get(path)) for path in pages(s))
    assert ALICE_EMAIL in before and "qzmarka" in before

    admin = app.test_client()
    login(admin, s.admin)
    response = erase(admin, s.alice.id)
    assert response.status_code == 302
    assert "has been erased" in admin.get(response.headers["Location"]).get_data(as_text=True)

    for path in pages(s):
        response = client.get(path)
        assert response.status_code == 200, path
        text = body_text(response)
        assert not [n for n in NAMES if n in text], path
    detail = client.get(f"/areas/{s.area.id}/actions/{s.action_a.id}").get_data(as_text=True)
    assert "former member" in detail  # her action's owner, her update, her changes
    assert "discussed with former member" in client.get(f"/areas/{s.area.id}/actions/{s.action_b.id}").text
    assert "former member posted an update" in client.get("/notifications/").text

    headers = {"Authorization": f"Bearer {s.bob_token}"}
    for path in API:
        response = client.get(path.format(area=s.area.id, a=s.action_a.id, b=s.action_b.id, audit=s.audit.id),
                              headers=headers)
        assert response.status_code == 200, path
        assert not [n for n in NAMES if n in body_text(response)], path
    for path in ADMIN_PAGES:
        assert not [n for n in NAMES if n in body_text(admin.get(path))], path

    # the history still has who did what, as "former member", and nothing of her name in its values
    world.db.session.expire_all()
    entries = world.db.session.scalars(select(HistoryEntry)).all()
    assert any(e.user_id == s.alice.id for e in entries)
    assert not [e for e in entries if "qzmarka" in f"{e.old_value} {e.new_value}".lower()]


def test_welsh_pages_show_cyn_aelod(client, world, app):
    s = build(world)
    admin = app.test_client()
    login(admin, s.admin)
    erase(admin, s.alice.id)
    login(client, s.bob)
    page = client.get(f"/areas/{s.area.id}/actions/{s.action_a.id}?lang=cy").get_data(as_text=True)
    assert "cyn-aelod" in page and "former member" not in page


def test_the_account_is_gone_and_the_erasure_is_recorded_without_who(client, world, app):
    s = build(world)
    alice_id = s.alice.id
    login(client, s.alice)
    admin = app.test_client()
    login(admin, s.admin)
    page = admin.get(f"/admin/users/{alice_id}/erase").get_data(as_text=True)
    assert "Erase Alice Qzmarka?" in page and "cannot be undone" in page
    assert erase(admin, alice_id, reason="").status_code == 200  # (a reason is needed: nothing happens)
    assert world.db.session.get(User, alice_id).erased_at is None
    assert erase(admin, alice_id).status_code == 302

    world.db.session.expire_all()
    alice = world.db.session.get(User, alice_id)
    assert (alice.name, alice.password_hash, alice.active, alice.memberships) == ("", None, False, [])
    assert alice.email == f"former-member-{alice_id}@erased.invalid" and alice.erased_at is not None
    assert world.db.session.scalars(select(ApiToken).where(ApiToken.user_id == alice_id)).all() == []
    assert world.db.session.scalars(select(LoginAttempt).where(LoginAttempt.email == ALICE_EMAIL)).all() == []
    # signed out everywhere; her token is refused; she cannot sign in again
    assert client.get(f"/areas/{s.area.id}/").status_code == 302
    assert client.get("/api/v1/areas", headers={"Authorization": f"Bearer {s.alice_token}"}).status_code == 401
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": ALICE_EMAIL, "password": "x" * 12, "csrf_token": token}).status_code == 200
    # the record keeps that a person was erased, by whom, when and why: never who
    entry = world.db.session.scalars(select(PrivacyLogEntry).where(PrivacyLogEntry.kind == "erasure")).one()
    assert (entry.subject, entry.by_user_id, entry.reason) == (f"person #{alice_id}", s.admin.id,
                                                               "Left the partnership in 2024")
    erased = world.db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "person")).one()
    assert (erased.area_id, erased.entity_id, erased.field, erased.user_id) == (s.area.id, alice_id, "erased", s.admin.id)
    assert "qzmarka" not in str(erased.new_value).lower()
    # no longer a user to manage; her privacy page says what happened
    assert ALICE_EMAIL not in admin.get("/admin/users").get_data(as_text=True)
    assert "was erased on" in admin.get(f"/admin/users/{alice_id}/privacy").get_data(as_text=True)
    assert erase(admin, alice_id).status_code == 302  # (again: nothing more to do)


def test_a_hold_refuses_erasure_with_its_reason(client, world):
    s = build(world)
    login(client, s.admin)
    response = post_form(client, f"/admin/users/{s.alice.id}/privacy/hold",
                         {"reason": "Serious case review 2026/3"}, page=f"/admin/users/{s.alice.id}/privacy")
    assert response.status_code == 302
    assert "Serious case review 2026/3" in client.get(f"/admin/users/{s.alice.id}/privacy").get_data(as_text=True)
    page = client.get(f"/admin/users/{s.alice.id}/erase").get_data(as_text=True)
    assert "cannot be erased" in page and "Serious case review 2026/3" in page
    response = erase(client, s.alice.id)
    assert response.status_code == 403
    assert "Serious case review 2026/3" in response.get_data(as_text=True)
    with pytest.raises(ForbiddenError, match="Serious case review 2026/3"):
        services.erase_person(s.alice, by=s.admin, reason="Left")
    world.db.session.expire_all()
    assert world.db.session.get(User, s.alice.id).name == ALICE_NAME
    # lifted, the erasure goes ahead
    post_form(client, f"/admin/users/{s.alice.id}/privacy/hold", {"lift": "1"}, page=f"/admin/users/{s.alice.id}/privacy")
    assert erase(client, s.alice.id).status_code == 302
    kinds = [e.kind for e in world.db.session.scalars(select(PrivacyLogEntry).order_by(PrivacyLogEntry.id))]
    assert kinds == ["hold_set", "hold_lifted", "erasure"]


def test_nobody_erases_themself(client, world):
    s = build(world)
    login(client, s.admin)
    assert erase(client, s.admin.id).status_code == 403
    with pytest.raises(ForbiddenError):
        services.erase_person(s.admin, by=s.admin, reason="Test")


def test_the_history_stays_append_only_outside_the_one_exception(world):
    s = build(world)
    entry = world.db.session.scalars(select(HistoryEntry)).first()
    entry.new_value = "changed"
    with pytest.raises(AppendOnlyError):
        world.db.session.flush()
    world.db.session.rollback()
    with pytest.raises(AppendOnlyError):
        world.db.session.execute(update(HistoryEntry).values(new_value="changed"))
    world.db.session.rollback()
    world.db.session.delete(world.db.session.scalars(select(HistoryEntry)).first())
    with pytest.raises(AppendOnlyError):
        world.db.session.flush()
    world.db.session.rollback()
    # the exception: erasure replaces her name inside values, and nothing else changes
    count = world.db.session.scalar(select(HistoryEntry.id).order_by(HistoryEntry.id.desc()))
    services.erase_person(s.alice, by=s.admin, reason="Left")
    assert world.db.session.scalar(select(HistoryEntry.id).order_by(HistoryEntry.id.desc())) == count + 1
