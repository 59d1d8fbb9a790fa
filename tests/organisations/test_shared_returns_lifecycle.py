"""Shared returns (issue 20), the rest of the cycle: where the areas see them (audit page, moderation grid,
exports), a change in one area's own audit (an exception, automatically), the sign-off once, removing a
member and unlinking an area, and the pages that reach an organisation."""

import csv
import io

import pytest
from flask import current_app
from sqlalchemy import select

from hsbtrack.areas.models import Membership
from hsbtrack.audits import returns
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import AuditAgency
from hsbtrack.errors import ConflictError, ForbiddenError
from hsbtrack.extensions import db
from hsbtrack.organisations import services
from hsbtrack.organisations.models import ORGANISATION_SENIOR_OFFICER, SharedException
from tests.conftest import api_headers, count_queries, csrf_token, login, post_form
from tests.organisations.test_shared_returns import NORTH_WALES, Scene


@pytest.fixture()
def scene(world):
    return Scene(world, NORTH_WALES)


def _area(scene, name):
    return next(a for a in scene.areas if a.name == name)


def _score_all(scene, score=2):
    framework = audits.framework_of(next(iter(scene.audits.values())))
    for statement in framework.scored_statements:
        services.save_shared_response(scene.shared, statement.code, score=score, evidence="Force-wide",
                                      user=scene.lead)


def _link(scene, area):
    return db.session.scalar(select(AuditAgency).where(
        AuditAgency.audit_id == scene.audits[area.id].id, AuditAgency.agency_id == scene.police[area.id].id)
        .execution_options(populate_existing=True))


# -- where the areas see it ----------------------------------------------------------------------------


def test_audit_page_grid_and_exports_mark_the_shared_answers(scene, world, client):
    gwynedd, wrexham = _area(scene, "Gwynedd"), _area(scene, "Wrexham")
    board = world.user("board@gwynedd.example", gwynedd, "board_manager")
    audit = scene.audits[gwynedd.id]
    audits.save_response(audit, scene.health[gwynedd.id].id, "1.1", score=1, evidence="Health's own")
    login(client, board)
    grid_url = f"/areas/{gwynedd.id}/audits/{audit.id}/moderation"
    with count_queries(current_app) as before:
        assert client.get(grid_url).status_code == 200
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide", user=scene.lead)
    services.save_shared_response(scene.shared, "1.2", score=2, user=scene.lead)
    services.set_exception(scene.shared, wrexham.id, "1.1", score=1, evidence="Own suite", reason="Own pathway",
                           user=scene.lead)

    detail = client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/").get_data(as_text=True)
    police_row = detail.split(f'id="agency-{scene.police[gwynedd.id].id}"')[1].split("</tr>")[0]
    assert "From the shared return" in police_row and "2 answers from its organisation's shared return" in police_row
    health_row = detail.split(f'id="agency-{scene.health[gwynedd.id].id}"')[1].split("</tr>")[0]
    assert "From the shared return" not in health_row

    with count_queries(current_app) as after:
        grid = client.get(grid_url).get_data(as_text=True)
    assert after() == before(), "the grid's marks take no query per answer"
    row = grid.split('data-code="1.1"')[1].split("</tr>")[0]
    assert f'data-agency="{scene.police[gwynedd.id].id}" data-source="shared"' in row
    assert f'data-agency="{scene.health[gwynedd.id].id}" data-source' not in row
    assert "From the shared return" in grid.split("<tbody")[0]  # the Police column's header

    rows = list(csv.DictReader(io.StringIO(client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/export.csv")
                                           .data.decode("utf-8-sig"))))
    sources = {(r["code"], r["agency"]): r["source"] for r in rows}
    assert sources["1.1", "Police"] == "shared return" and sources["1.1", "Health"] == "agency"
    assert sources["1.3", "Police"] == ""  # (no answer)

    # Wrexham's grid marks its exception
    board_w = world.user("board@wrexham.example", wrexham, "board_manager")
    client = current_app.test_client()
    login(client, board_w)
    grid_w = client.get(f"/areas/{wrexham.id}/audits/{scene.audits[wrexham.id].id}/moderation").get_data(as_text=True)
    row = grid_w.split('data-code="1.1"')[1].split("</tr>")[0]
    assert 'data-source="exception"' in row and "exception" in row
    statement = client.get(f"/areas/{wrexham.id}/audits/{scene.audits[wrexham.id].id}/statements/1.1"
                           ).get_data(as_text=True)
    assert "Exception to the shared return" in statement


# -- a change in one area's own audit --------------------------------------------------------------------


def test_a_change_in_an_areas_own_audit_becomes_its_exception(scene, world):
    wrexham, conwy = _area(scene, "Wrexham"), _area(scene, "Conwy")
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide", user=scene.lead)
    local = world.user("police@wrexham.example", wrexham, "agency_lead", agency=scene.police[wrexham.id])
    local.name = "Gwen Davies"
    db.session.commit()
    audits.save_response(scene.audits[wrexham.id], scene.police[wrexham.id].id, "1.1", score=1,
                         evidence="Wrexham custody suite", user=local)
    row = scene.response(wrexham)
    assert (row.score, row.source, row.shared_return_id) == (1, "exception", scene.shared.id)
    exception = db.session.scalar(select(SharedException).where(SharedException.area_id == wrexham.id))
    assert exception is not None and exception.code == "1.1" and exception.score == 1
    assert exception.reason == "Changed in the audit of Wrexham by Gwen Davies"
    # the next shared answer does not overwrite it; the other areas follow
    services.save_shared_response(scene.shared, "1.1", score=4, user=scene.lead)
    assert scene.response(wrexham).score == 1 and scene.response(conwy).score == 4
    assert audits.consolidated(scene.audits[wrexham.id]).by_code["1.1"].lowest == 1
    # a second local change keeps the exception in step (its reason stays)
    audits.save_response(scene.audits[wrexham.id], scene.police[wrexham.id].id, "1.1", score=2, user=local)
    db.session.refresh(exception)
    assert exception.score == 2 and exception.reason.startswith("Changed in the audit of Wrexham")
    # the lead removes it: the shared answer again
    services.remove_exception(scene.shared, wrexham.id, "1.1", user=scene.lead)
    row = scene.response(wrexham)
    assert (row.score, row.source) == (4, "shared")


# -- sign-off once -------------------------------------------------------------------------------------


def test_signing_off_once_counts_in_each_area_that_asks_and_a_change_withdraws_it(scene, world, client):
    asking = [a for a in scene.areas if a.name != "Anglesey"]
    for area in asking:
        returns.set_sign_off_required(area, True)
    _m, officer, _c = services.add_member(scene.organisation, "chief@police.example", ORGANISATION_SENIOR_OFFICER,
                                          user=scene.admin)
    world.user(officer.email)
    with pytest.raises(ForbiddenError):  # the lead answers; a senior officer signs off
        services.sign_off_shared_return(scene.shared, user=scene.lead)
    with pytest.raises(ConflictError):  # not submitted yet
        services.sign_off_shared_return(scene.shared, user=officer)
    _score_all(scene)
    services.submit_shared_return(scene.shared, user=scene.lead)

    response = client.post(f"/api/v1/shared-returns/{scene.shared.id}/sign-off", headers=api_headers(officer))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["signed_off_at"]
    for area in scene.areas:
        link = _link(scene, area)
        assert (link.signed_off_at is not None) == (area in asking), area.name
    # the officer is a senior officer of the agency in each area (the sign-off's own permission there)
    assert db.session.scalar(select(db.func.count()).select_from(Membership).where(
        Membership.user_id == officer.id, Membership.role == "senior_officer")) == len(scene.areas)
    # counted in each area's tracker
    gwynedd = _area(scene, "Gwynedd")
    board = world.user("board@gwynedd.example", gwynedd, "board_manager")
    login(client, board)
    page = client.get(f"/areas/{gwynedd.id}/audits/{scene.audits[gwynedd.id].id}/").get_data(as_text=True)
    police_row = page.split(f'id="agency-{scene.police[gwynedd.id].id}"')[1].split("</tr>")[0]
    assert "data-signed-off" in police_row
    # twice: refused
    assert client.post(f"/api/v1/shared-returns/{scene.shared.id}/sign-off",
                       headers=api_headers(officer)).status_code == 409

    # a change to the shared answer withdraws it in every area, and on the shared return
    services.save_shared_response(scene.shared, "1.1", score=4, user=scene.lead)
    for area in scene.areas:
        assert _link(scene, area).signed_off_at is None, area.name
    db.session.refresh(scene.shared)
    assert scene.shared.signed_off_at is None
    page = client.get(f"/areas/{gwynedd.id}/audits/{scene.audits[gwynedd.id].id}/").get_data(as_text=True)
    assert "data-waiting-sign-off" in page.split(f'id="agency-{scene.police[gwynedd.id].id}"')[1].split("</tr>")[0]


def test_the_sign_off_page_confirms_then_signs_off(scene, world, client):
    for area in scene.areas:
        returns.set_sign_off_required(area, True)
    _m, officer, _c = services.add_member(scene.organisation, "chief@police.example", ORGANISATION_SENIOR_OFFICER,
                                          user=scene.admin)
    world.user(officer.email)
    _score_all(scene)
    services.submit_shared_return(scene.shared, user=scene.lead)
    login(client, officer)
    page = client.get(f"/shared-returns/{scene.shared.id}")
    assert 'id="sign-off-link"' in page.get_data(as_text=True)
    confirm = client.get(f"/shared-returns/{scene.shared.id}/sign-off").get_data(as_text=True)
    assert all(area.name in confirm for area in scene.areas)
    done = post_form(client, f"/shared-returns/{scene.shared.id}/sign-off", {})
    assert done.status_code == 302
    assert all(_link(scene, area).signed_off_at is not None for area in scene.areas)


# -- removal -------------------------------------------------------------------------------------------


def test_removing_the_lead_takes_their_area_roles_and_offboards_them(scene, world, client):
    headers = api_headers(scene.lead)
    assert client.get(f"/api/v1/organisations/{scene.organisation.id}/returns", headers=headers).status_code == 200
    # someone who also holds their own role in an area keeps it (and is not offboarded)
    _m, other, _c = services.add_member(scene.organisation, "deputy@police.example", user=scene.admin)
    world.user(other.email, scene.areas[0], "viewer")
    admin = api_headers(scene.admin)
    assert client.delete(f"/api/v1/organisations/{scene.organisation.id}/members/{scene.lead.id}",
                         headers=admin).status_code == 204
    assert client.delete(f"/api/v1/organisations/{scene.organisation.id}/members/{scene.lead.id}",
                         headers=admin).status_code == 404
    assert db.session.scalars(select(Membership).where(Membership.user_id == scene.lead.id)).all() == []
    assert client.get(f"/api/v1/organisations/{scene.organisation.id}/returns", headers=headers).status_code == 401
    # through the page, with a confirmation
    login(client, scene.admin)
    path = f"/admin/organisations/{scene.organisation.id}/members/{other.id}/remove"
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Remove them" in confirm.get_data(as_text=True)
    assert post_form(client, path, {}).status_code == 302
    held = db.session.scalars(select(Membership.role).where(Membership.user_id == other.id)).all()
    assert held == ["viewer"]
    assert client.get(path).status_code == 404


def test_unlinking_an_area_stops_shared_answers_reaching_it(scene, world, client):
    conwy = _area(scene, "Conwy")
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide", user=scene.lead)
    login(client, scene.admin)
    path = f"/admin/organisations/{scene.organisation.id}/areas/{conwy.id}/unlink"
    assert "Unlink the area" in client.get(path).get_data(as_text=True)
    assert post_form(client, path, {}).status_code == 302
    db.session.refresh(scene.shared)
    services.save_shared_response(scene.shared, "1.1", score=1, user=scene.lead)
    row = scene.response(conwy)
    assert (row.score, row.source, row.shared_return_id) == (3, "shared", scene.shared.id)  # kept, for history
    assert scene.response(scene.areas[0]).score == 1
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == scene.lead.id,
                                                         Membership.area_id == conwy.id)) is None
    # the lead's role elsewhere stays; its agency there answers for itself now
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == scene.lead.id,
                                                         Membership.area_id == scene.areas[0].id)) is not None
    local = world.user("police@conwy.example", conwy, "agency_lead", agency=scene.police[conwy.id])
    audits.save_response(scene.audits[conwy.id], scene.police[conwy.id].id, "1.1", score=2, user=local)
    assert db.session.scalar(select(SharedException.id).where(SharedException.area_id == conwy.id)) is None
    # the API: 404 once unlinked
    assert client.delete(f"/api/v1/organisations/{scene.organisation.id}/areas/{conwy.id}",
                         headers=api_headers(scene.admin)).status_code == 404


# -- pages that reach an organisation --------------------------------------------------------------------


def test_admins_and_leads_find_the_organisation_and_adding_a_member_invites(scene, world, client, outbox):
    login(client, scene.admin)
    assert "/organisations/" in client.get("/admin/").get_data(as_text=True)
    path = f"/organisations/{scene.organisation.id}"
    token = csrf_token(client, path)
    added = client.post(f"/admin/organisations/{scene.organisation.id}/members",
                        data={"csrf_token": token, "email": "new.lead@police.example", "role": "organisation_lead"})
    assert added.status_code == 302
    assert [m["To"] for m in outbox] == ["new.lead@police.example"] and "invited" in outbox[0]["Subject"]
    page = client.get(path).get_data(as_text=True)
    assert "new.lead@police.example" in page and "Unlink" in page
    client = current_app.test_client()
    login(client, scene.lead)
    home = client.get("/").get_data(as_text=True)
    assert 'id="my-organisations"' in home and f'href="/organisations/{scene.organisation.id}"' in home
