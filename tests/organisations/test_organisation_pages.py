"""The organisation's history page (each change once, with the areas it reached; paginated; its members and
administrators only), the shared return page as its senior officer sees it (read-only, with the sign-off),
and the pages an organisation lead and an area's board manager use running the same number of queries
whether the organisation links 6 or 32 areas."""

import io

import pytest
from flask import current_app

from hsbtrack.audits import returns
from hsbtrack.audits import services as audits
from hsbtrack.documents import shared as shared_documents
from hsbtrack.extensions import db
from hsbtrack.organisations import services
from hsbtrack.organisations.models import ORGANISATION_SENIOR_OFFICER
from tests.conftest import count_queries, csrf_token, login
from tests.organisations.test_shared_returns import NORTH_WALES, Scene


@pytest.fixture()
def scene(world):
    return Scene(world, NORTH_WALES)


def _area(scene, name):
    return next(a for a in scene.areas if a.name == name)


def _rows(page: str) -> list[str]:
    table = page.split('id="organisation-history"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody", 1)[1].split("<tr")[1:]


# -- the history page ----------------------------------------------------------------------------------


def test_the_history_lists_each_change_once_with_the_areas_it_reached(scene, world, client):
    wrexham, conwy = _area(scene, "Wrexham"), _area(scene, "Conwy")
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide policy", user=scene.lead)
    services.set_exception(scene.shared, wrexham.id, "1.1", score=1, evidence="Own suite", reason="Own contract",
                           user=scene.lead)
    shared_documents.upload_to_shared_answer(scene.shared, "1.2", io.BytesIO(b"%PDF-1.4\n"), "p.pdf",
                                             title="Training plan", user=scene.lead)
    services.unlink_area(scene.organisation, conwy.id, user=scene.admin)
    login(client, scene.lead)
    detail = client.get(f"/organisations/{scene.organisation.id}").get_data(as_text=True)
    assert f'href="/organisations/{scene.organisation.id}/history"' in detail
    page = client.get(f"/organisations/{scene.organisation.id}/history")
    assert page.status_code == 200
    rows = _rows(page.get_data(as_text=True))
    score = [r for r in rows if 'data-entity="shared_response" data-field="score"' in r]
    assert len(score) == 1 and "6 areas" in score[0] and "Shared answer to 1.1: score" in score[0]
    assert all(a.name in score[0] for a in scene.areas)
    evidence = next(r for r in rows if 'data-entity="shared_response" data-field="evidence"' in r)
    assert "Force-wide policy" in evidence
    reason = next(r for r in rows if 'data-field="exception_reason"' in r)
    assert "Wrexham" in reason and "Own contract" in reason and "Gwynedd" not in reason
    document = next(r for r in rows if 'data-entity="document" data-field="document"' in r)
    assert "Training plan" in document and "Document of the shared answer" in document
    unlinked = next(r for r in rows if 'data-field="linked_agency_id"' in r and "Area unlinked" in r)
    assert "Conwy" in unlinked
    added = next(r for r in rows if 'data-field="organisation_lead"' in r)
    assert "Organisation lead added" in added and scene.lead.email in added
    audit_added = [r for r in rows if 'data-entity="shared_return"' in r]
    assert len(audit_added) == 1
    # one shared return's history
    only = client.get(f"/organisations/{scene.organisation.id}/history?shared_return={scene.shared.id}")
    assert "Area unlinked" not in only.get_data(as_text=True)
    assert "Shared answer to 1.1" in only.get_data(as_text=True)


def test_the_history_is_paginated(scene, client):
    framework = audits.framework_of(next(iter(scene.audits.values())))
    for statement in framework.scored_statements:
        services.save_shared_response(scene.shared, statement.code, score=2, evidence="E", user=scene.lead)
    login(client, scene.lead)
    total = 46 * 3 + 6 + 1 + 1  # the answers (score, evidence, source), the six links, the lead, the audits
    size = services.HISTORY_PAGE_SIZE
    pages = -(-total // size)
    first = client.get(f"/organisations/{scene.organisation.id}/history").get_data(as_text=True)
    assert len(_rows(first)) == size
    assert 'id="history-pages"' in first and f"page 1 of {pages}" in first
    last = client.get(f"/organisations/{scene.organisation.id}/history?page={pages}").get_data(as_text=True)
    assert len(_rows(last)) == total - (pages - 1) * size
    assert f"page {pages} of {pages}" in last
    assert client.get(f"/organisations/{scene.organisation.id}/history?page=x").status_code == 200


def test_the_history_is_for_the_organisations_members_and_administrators(scene, world, client):
    gwynedd = scene.areas[0]
    path = f"/organisations/{scene.organisation.id}/history"
    _m, officer, _c = services.add_member(scene.organisation, "chief@police.example", ORGANISATION_SENIOR_OFFICER,
                                          user=scene.admin)
    world.user(officer.email)
    for person, status in ((scene.admin, 200), (officer, 200),
                           (world.user("board@gwynedd.example", gwynedd, "board_manager"), 404),
                           (world.user("police@gwynedd.example", gwynedd, "agency_lead",
                                       agency=scene.police[gwynedd.id]), 404),
                           (world.user("coordinator@example.org", region=world.region("North Wales"),
                                       role="regional_coordinator"), 404)):
        browser = current_app.test_client()
        login(browser, person)
        assert browser.get(path).status_code == status, person.email


# -- the senior officer's view --------------------------------------------------------------------------


def test_a_senior_officer_reads_the_return_and_signs_it_off_without_forms(scene, world, client):
    for area in scene.areas:
        returns.set_sign_off_required(area, True)
    _m, officer, _c = services.add_member(scene.organisation, "chief@police.example", ORGANISATION_SENIOR_OFFICER,
                                          user=scene.admin)
    world.user(officer.email)
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide policy", user=scene.lead)
    shared_documents.upload_to_shared_answer(scene.shared, "1.1", io.BytesIO(b"%PDF-1.4\n"), "p.pdf",
                                             title="Force policy", user=scene.lead)
    login(client, officer)
    path = f"/shared-returns/{scene.shared.id}"
    page = client.get(path).get_data(as_text=True)
    assert 'name="score"' not in page and 'name="evidence"' not in page and "Save 1.1 for every area" not in page
    assert "Add an exception" not in page and "Submit the shared return" not in page
    assert 'id="shared-documents-1-1-form"' not in page and "Force policy" in page
    block = page.split('id="statement-1-1"', 1)[1].split('id="statement-1-2"', 1)[0]
    assert "Force-wide policy" in block and 'data-read-only="1.1"' in block
    assert 'id="read-only"' in page and "Once they have submitted it, you can sign it off here" in page
    # a post anyway: refused, nothing saved
    refused = client.post(path, data={"csrf_token": csrf_token(client, path), "code": "1.1", "score": "0",
                                      "evidence": "", "assurance": ""})
    assert refused.status_code == 403 and "Only the organisation&#39;s leads" in refused.get_data(as_text=True)
    assert services.shared_responses(scene.shared)["1.1"].score == 3
    # submitted: the sign-off link
    framework = audits.framework_of(next(iter(scene.audits.values())))
    for statement in framework.scored_statements:
        services.save_shared_response(scene.shared, statement.code, score=2, user=scene.lead)
    services.submit_shared_return(scene.shared, user=scene.lead)
    assert 'id="sign-off-link"' in client.get(path).get_data(as_text=True)
    # the agency's scoring page in an area is not theirs (a senior officer signs off, never scores)
    gwynedd = scene.areas[0]
    scoring = (f"/areas/{gwynedd.id}/audits/{scene.audits[gwynedd.id].id}/agencies/{scene.police[gwynedd.id].id}"
               "/domains/1")
    assert client.get(scoring).status_code == 403
    audit_page = client.get(f"/areas/{gwynedd.id}/audits/{scene.audits[gwynedd.id].id}/").get_data(as_text=True)
    assert scoring not in audit_page


def test_the_lead_still_gets_the_forms(scene, client):
    login(client, scene.lead)
    page = client.get(f"/shared-returns/{scene.shared.id}").get_data(as_text=True)
    assert "Save 1.1 for every area" in page and 'id="read-only"' not in page


# -- queries: 6 or 32 linked areas ----------------------------------------------------------------------


def _built(world, prefix, size):
    scene = Scene.__new__(Scene)
    scene.admin = world.user("admin@example.org", admin=True)
    scene.areas = [world.area(f"{prefix} {i:02d}", agencies=("Police", "Health")) for i in range(size)]
    scene.audits = {area.id: audits.open_audit(area) for area in scene.areas}
    scene.police = {area.id: world.agency(area, "Police") for area in scene.areas}
    scene.organisation = services.create_organisation(f"{prefix} Police", user=scene.admin)
    for area in scene.areas:
        services.link_area(scene.organisation, area.id, scene.police[area.id].id, user=scene.admin)
    _m, scene.lead, _c = services.add_member(scene.organisation, f"lead@{prefix.lower()}.example", user=scene.admin)
    world.user(scene.lead.email)
    scene.shared = services.open_shared_return(scene.organisation, [a.id for a in scene.audits.values()],
                                               user=scene.lead)
    for code, score in (("1.1", 3), ("1.2", 2)):
        services.save_shared_response(scene.shared, code, score=score, evidence="Force-wide", user=scene.lead)
    services.set_exception(scene.shared, scene.areas[-1].id, "1.1", score=1, evidence="", reason="Own",
                           user=scene.lead)
    shared_documents.upload_to_shared_answer(scene.shared, "1.1", io.BytesIO(b"%PDF-1.4\n"), "p.pdf",
                                             user=scene.lead)
    scene.board = world.user(f"board@{prefix.lower()}.example", scene.areas[0], "board_manager")
    return scene


def _counts(scene):
    area = scene.areas[0]
    audit = scene.audits[area.id]
    pages = {
        "lead": [f"/shared-returns/{scene.shared.id}", f"/organisations/{scene.organisation.id}",
                 f"/organisations/{scene.organisation.id}/history", f"/areas/{area.id}/audits/{audit.id}/",
                 f"/areas/{area.id}/audits/{audit.id}/statements/1.1"],
        "board": [f"/areas/{area.id}/audits/{audit.id}/", f"/areas/{area.id}/audits/{audit.id}/moderation",
                  f"/areas/{area.id}/audits/{audit.id}/statements/1.1"],
    }
    counts = {}
    for who, paths in pages.items():
        browser = current_app.test_client()
        login(browser, scene.lead if who == "lead" else scene.board)
        for i, path in enumerate(paths):
            assert browser.get(path).status_code == 200, path  # (warm: charts, figures)
            with count_queries(current_app) as n:
                assert browser.get(path).status_code == 200, path
            counts[who, i] = n()
    return counts


def test_the_pages_run_the_same_queries_for_6_and_32_linked_areas(world):
    six = _counts(_built(world, "Six", 6))
    many = _counts(_built(world, "Many", 32))
    assert six == many, {k: (six[k], many.get(k)) for k in six if six[k] != many.get(k)}
    db.session.remove()


def test_a_statements_history_shows_shared_evidence_only_to_its_readers(scene, world):
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="kestrel-shared-evidence", user=scene.lead)
    gwynedd = scene.areas[0]
    path = f"/areas/{gwynedd.id}/audits/{scene.audits[gwynedd.id].id}/statements/1.1"
    for person, sees in ((world.user("health@gwynedd.example", gwynedd, "agency_lead",
                                     agency=scene.health[gwynedd.id]), False),
                         (world.user("viewer@gwynedd.example", gwynedd, "viewer"), False),
                         (world.user("board@gwynedd.example", gwynedd, "board_manager"), True),
                         (scene.lead, True)):
        browser = current_app.test_client()
        login(browser, person)
        page = browser.get(path)
        assert page.status_code == 200
        assert ("kestrel-shared-evidence" in page.get_data(as_text=True)) == sees, person.email
