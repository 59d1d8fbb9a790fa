"""Shared returns (issue 20): an organisation serving several areas answers once; its answer is its
agency's response in every linked open audit, marked as from the shared return; an exception gives one
area its own answer; a closed audit is no longer updated; writing to 32 areas takes as many SQL
statements as writing to 6; its lead reads no other agency's evidence."""

import pytest
from flask import current_app
from sqlalchemy import select

from hsbtrack.audits import services as audits
from hsbtrack.audits.models import Response
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.organisations import services
from tests.conftest import api_headers, count_queries, login

NORTH_WALES = ("Gwynedd", "Anglesey", "Conwy", "Denbighshire", "Flintshire", "Wrexham")


class Scene:
    """``n`` areas, each with Police (linked to one organisation) and Health, each with an open audit."""

    def __init__(self, world, names):
        self.admin = world.user("admin@example.org", admin=True)
        self.areas = [world.area(name, agencies=("Police", "Health")) for name in names]
        self.audits = {area.id: audits.open_audit(area) for area in self.areas}
        self.police = {area.id: world.agency(area, "Police") for area in self.areas}
        self.health = {area.id: world.agency(area, "Health") for area in self.areas}
        self.organisation = services.create_organisation("North Wales Police", "Heddlu Gogledd Cymru",
                                                         user=self.admin)
        for area in self.areas:
            services.link_area(self.organisation, area.id, self.police[area.id].id, user=self.admin)
        _member, self.lead, _created = services.add_member(self.organisation, "lead@police.example",
                                                           user=self.admin)
        world.user(self.lead.email)  # (a password)
        self.shared = services.open_shared_return(self.organisation, [a.id for a in self.audits.values()],
                                                  user=self.lead)

    def response(self, area, code="1.1"):
        return db.session.scalar(select(Response).where(
            Response.audit_id == self.audits[area.id].id, Response.agency_id == self.police[area.id].id,
            Response.code == code).execution_options(populate_existing=True))


@pytest.fixture()
def scene(world):
    return Scene(world, NORTH_WALES)


def test_the_shared_answer_is_the_agencys_response_in_every_linked_audit(scene):
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide HSB policy",
                                  assurance="Audited yearly", user=scene.lead)
    for area in scene.areas:
        row = scene.response(area)
        assert (row.score, row.evidence, row.source, row.shared_return_id) == (
            3, "Force-wide HSB policy", "shared", scene.shared.id), area.name
        assert audits.consolidated(scene.audits[area.id]).by_code["1.1"].lowest == 3
    # a change moves every area's data version at once
    before = {a.id: db.session.get(type(a), a.id).data_version for a in scene.audits.values()}
    services.save_shared_response(scene.shared, "1.1", score=2, user=scene.lead)
    for audit in scene.audits.values():
        db.session.refresh(audit)
        assert audit.data_version == before[audit.id] + 1
        assert audits.consolidated(audit).by_code["1.1"].lowest == 2


def test_an_exception_changes_only_that_areas_agreed_and_lowest_score(scene):
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide", user=scene.lead)
    wrexham = next(a for a in scene.areas if a.name == "Wrexham")
    services.set_exception(scene.shared, wrexham.id, "1.1", score=1, evidence="Different custody suite",
                           reason="Wrexham's custody suite has no HSB pathway", user=scene.lead)
    for area in scene.areas:
        lowest = audits.consolidated(scene.audits[area.id]).by_code["1.1"]
        assert (lowest.lowest, lowest.agreed) == ((1, 1) if area is wrexham else (3, 3)), area.name
    # the shared answer no longer overwrites Wrexham's own
    services.save_shared_response(scene.shared, "1.1", score=4, user=scene.lead)
    assert scene.response(wrexham).score == 1
    assert scene.response(scene.areas[0]).score == 4
    # removing it brings the shared answer back
    services.remove_exception(scene.shared, wrexham.id, "1.1", user=scene.lead)
    assert scene.response(wrexham).score == 4


def test_an_exception_needs_a_reason_and_a_valid_score(scene):
    with pytest.raises(ServiceError) as refused:
        services.set_exception(scene.shared, scene.areas[0].id, "1.1", score=7, evidence="", reason="",
                               user=scene.lead)
    assert set(refused.value.fields) == {"score", "reason"}


def test_a_closed_audit_is_not_updated(scene):
    conwy = next(a for a in scene.areas if a.name == "Conwy")
    services.save_shared_response(scene.shared, "1.1", score=2, user=scene.lead)
    audits.close_audit(scene.audits[conwy.id], override_reason="closing early for the test")
    services.save_shared_response(scene.shared, "1.1", score=4, user=scene.lead)
    assert scene.response(conwy).score == 2
    assert scene.response(scene.areas[0]).score == 4


def test_history_of_each_area_shows_shared_answers_and_exceptions(scene):
    services.save_shared_response(scene.shared, "1.1", score=3, user=scene.lead)
    wrexham = scene.areas[-1]
    services.set_exception(scene.shared, wrexham.id, "1.1", score=1, evidence="", reason="Own pathway",
                           user=scene.lead)
    for area in scene.areas:
        entries = db.session.scalars(select(HistoryEntry).where(
            HistoryEntry.audit_id == scene.audits[area.id].id, HistoryEntry.code == "1.1")).all()
        shared = [(e.field, e.new_value) for e in entries if e.entity == "shared_response"]
        assert ("score", 3) in shared, area.name
        exceptions = [(e.field, e.new_value) for e in entries if e.entity == "shared_exception"]
        assert bool(exceptions) == (area is wrexham)
        if area is wrexham:
            assert ("exception_reason", "Own pathway") in exceptions and ("score", 1) in exceptions


def test_someone_else_cannot_answer_the_shared_return(scene, world):
    stranger = world.user("board@example.org", scene.areas[0], "board_manager")
    with pytest.raises(ForbiddenError):
        services.save_shared_response(scene.shared, "1.1", score=1, user=stranger)
    assert scene.response(scene.areas[0]) is None


def test_submitting_once_counts_in_every_areas_tracker(scene):
    framework = audits.framework_of(next(iter(scene.audits.values())))
    with pytest.raises(ServiceError):
        services.submit_shared_return(scene.shared, user=scene.lead)
    for statement in framework.scored_statements:
        services.save_shared_response(scene.shared, statement.code, score=2, user=scene.lead)
    services.submit_shared_return(scene.shared, user=scene.lead)
    for area in scene.areas:
        audit = scene.audits[area.id]
        db.session.refresh(audit)
        link = next(p for p in audit.participants if p.agency_id == scene.police[area.id].id)
        assert link.submitted_at is not None, area.name


def _statements(world, names, prefix):
    scene = Scene.__new__(Scene)
    scene.admin = world.user("admin@example.org", admin=True)
    scene.areas = [world.area(f"{prefix} {name}", agencies=("Police", "Health")) for name in names]
    scene.audits = {area.id: audits.open_audit(area) for area in scene.areas}
    organisation = services.create_organisation(f"{prefix} Police", user=scene.admin)
    for area in scene.areas:
        services.link_area(organisation, area.id, world.agency(area, "Police").id, user=scene.admin)
    _m, lead, _c = services.add_member(organisation, f"{prefix.lower()}@police.example", user=scene.admin)
    shared = services.open_shared_return(organisation, [a.id for a in scene.audits.values()], user=lead)
    services.save_shared_response(shared, "1.2", score=1, user=lead)  # (rows to update next time too)
    counts = []
    for score in (2, 3):
        with count_queries(current_app) as n:
            services.save_shared_response(shared, "1.1", score=score, evidence=f"E{score}", user=lead)
        counts.append(n())
    written = db.session.scalar(select(db.func.count()).select_from(Response).where(
        Response.code == "1.1", Response.shared_return_id == shared.id, Response.score == 3))
    return counts, written


def test_one_shared_answer_takes_the_same_number_of_statements_for_6_and_32_areas(world):
    six, written_six = _statements(world, [f"Six {i}" for i in range(6)], "Six")
    many, written_many = _statements(world, [f"Many {i}" for i in range(32)], "Many")
    assert (written_six, written_many) == (6, 32)
    assert six == many, (six, many)
    assert max(many) <= 15


def test_the_api_writes_once_and_each_audit_shows_the_source(scene, client):
    headers = api_headers(scene.lead)
    response = client.put(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1", headers=headers,
                          json={"score": 3, "evidence": "Force-wide", "assurance": "", "version": 0})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 1
    audit = next(iter(scene.audits.values()))
    rows = client.get(f"/api/v1/audits/{audit.id}/responses", headers=headers).get_json()
    assert [(r["code"], r["score"], r["source"], r["shared_return_id"]) for r in rows] == [
        ("1.1", 3, "shared", scene.shared.id)]
    # a stale version is a 409, never a 500
    stale = client.put(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1", headers=headers,
                       json={"score": 2, "version": 0})
    assert stale.status_code == 409
    # field errors, all at once
    bad = client.put(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1", headers=headers,
                     json={"score": 9, "evidence": "x"})
    assert bad.status_code == 422 and {"score"} <= set(bad.get_json()["error"]["fields"])
    wrexham = scene.areas[-1]
    missing_reason = client.put(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1/areas/{wrexham.id}",
                                headers=headers, json={"score": 1})
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["error"]["fields"]
    made = client.put(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1/areas/{wrexham.id}",
                      headers=headers, json={"score": 1, "evidence": "Own", "reason": "Own pathway"})
    assert made.status_code == 200 and made.get_json()["area_id"] == wrexham.id
    assert client.delete(f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1/areas/{wrexham.id}",
                         headers=headers).status_code == 204
    listing = client.get(f"/api/v1/organisations/{scene.organisation.id}/returns", headers=headers).get_json()
    assert listing["returns"][0]["id"] == scene.shared.id and len(listing["returns"][0]["audits"]) == 6


def test_the_api_for_administrators_answers_422_and_409(scene, client):
    headers = api_headers(scene.admin)
    assert client.post("/api/v1/organisations", headers=headers, json={}).status_code == 422
    assert client.post("/api/v1/organisations", headers=headers, json={"name": "North Wales Police"}).status_code == 409
    made = client.post("/api/v1/organisations", headers=headers,
                       json={"name": "Betsi Cadwaladr University Health Board",
                             "name_cy": "Bwrdd Iechyd Prifysgol Betsi Cadwaladr"})
    assert made.status_code == 201
    organisation_id = made.get_json()["id"]
    linked = client.post(f"/api/v1/organisations/{organisation_id}/areas", headers=headers,
                         json={"area_id": scene.areas[0].id})
    assert linked.status_code == 201  # the area's agency of that name, made
    assert client.post(f"/api/v1/organisations/{organisation_id}/areas", headers=headers,
                       json={"area_id": scene.areas[0].id}).status_code == 409
    assert client.post(f"/api/v1/organisations/{organisation_id}/areas", headers=headers,
                       json={"area_id": scene.areas[1].id, "agency_id": scene.police[scene.areas[0].id].id}
                       ).status_code == 422
    bad_role = client.post(f"/api/v1/organisations/{organisation_id}/members", headers=headers,
                           json={"email": "x@example.org", "role": "board_manager"})
    assert bad_role.status_code == 422 and "role" in bad_role.get_json()["error"]["fields"]
    # the lead of another organisation does not see this one
    assert client.get(f"/api/v1/organisations/{organisation_id}/returns",
                      headers=api_headers(scene.lead)).status_code == 404


def test_the_lead_reads_no_other_agencys_evidence(scene, client):
    area = scene.areas[0]
    audit = scene.audits[area.id]
    audits.save_response(audit, scene.health[area.id].id, "1.1", score=1, evidence="kestrel-health-evidence")
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="police-shared-evidence", user=scene.lead)
    rows = client.get(f"/api/v1/audits/{audit.id}/responses", headers=api_headers(scene.lead)).get_json()
    assert {r["agency_id"] for r in rows} == {scene.police[area.id].id}
    assert "kestrel-health-evidence" not in str(rows)
    login(client, scene.lead)
    for path in (f"/shared-returns/{scene.shared.id}", f"/organisations/{scene.organisation.id}",
                 f"/areas/{area.id}/audits/{audit.id}", f"/areas/{area.id}/audits/{audit.id}/statements/1.1"):
        response = client.get(path)
        assert "kestrel-health-evidence" not in response.get_data(as_text=True), path
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/responses/{scene.health[area.id].id}/export.csv"
                      ).status_code in (404, 405)


def test_the_scoring_page_saves_once_and_shows_errors(scene, client):
    login(client, scene.lead)
    page = client.get(f"/shared-returns/{scene.shared.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for area in scene.areas:
        assert area.name in body
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/shared-returns/{scene.shared.id}")
    saved = client.post(f"/shared-returns/{scene.shared.id}", data={
        "csrf_token": token, "code": "1.1", "score": "3", "evidence": "One policy", "assurance": "", "version": "0"})
    assert saved.status_code == 302
    assert all(scene.response(a).score == 3 for a in scene.areas)
    refused = client.post(f"/shared-returns/{scene.shared.id}", data={
        "csrf_token": token, "code": "1.2", "score": "12", "evidence": "", "assurance": ""})
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.get_data(as_text=True)


def test_the_statement_page_and_history_say_the_answer_came_from_the_shared_return(scene, world, client):
    services.save_shared_response(scene.shared, "1.1", score=3, evidence="Force-wide", user=scene.lead)
    area = scene.areas[0]
    board = world.user("board@riverside.example", area, "board_manager")
    login(client, board)
    body = client.get(f"/areas/{area.id}/audits/{scene.audits[area.id].id}/statements/1.1").get_data(as_text=True)
    assert body.count("From the shared return") >= 2  # the police card and its history line
