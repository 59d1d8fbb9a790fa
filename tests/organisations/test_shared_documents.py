"""Documents behind shared answers (issue 20): the organisation lead attaches a document to a shared answer
once; it shows behind that statement's response in every linked area's audit (statement page, moderation
grid) to whoever may read that agency's documents there, and nobody else; its bytes are the upload's; the
scan applies; an exception has documents of its own; attaching to 32 areas takes as many SQL statements
as to 6."""

import io

import pytest
from flask import current_app
from sqlalchemy import func, select

from hsbtrack.documents import shared as shared_documents
from hsbtrack.documents.models import Document, DocumentLink
from hsbtrack.errors import ConflictError, ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.organisations import services
from hsbtrack.organisations.models import ORGANISATION_SENIOR_OFFICER
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ScanVerdict
from tests.conftest import api_headers, count_queries, csrf_token, login
from tests.organisations.test_shared_returns import NORTH_WALES, Scene

PDF = b"%PDF-1.4\n% force-wide HSB policy\n" + bytes(range(256))


@pytest.fixture()
def scene(world):
    return Scene(world, NORTH_WALES)


def _area(scene, name):
    return next(a for a in scene.areas if a.name == name)


def _attach(scene, code="1.1", title="Force HSB policy"):
    return shared_documents.upload_to_shared_answer(scene.shared, code, io.BytesIO(PDF), "policy.pdf", title=title,
                                                    user=scene.lead)


def test_a_document_attached_once_shows_in_every_linked_audit(scene, world, client):
    document = _attach(scene)
    assert document.kind == "shared"
    links = db.session.scalars(select(DocumentLink).where(DocumentLink.document_id == document.id)).all()
    assert sorted((link.audit_id, link.agency_id, link.code) for link in links) == sorted(
        (scene.audits[a.id].id, scene.police[a.id].id, "1.1") for a in scene.areas)
    # each area's history has it, with its audit (the document's own entries, not the statement's)
    assert db.session.scalar(select(func.count(func.distinct(HistoryEntry.area_id))).where(
        HistoryEntry.entity == "document", HistoryEntry.entity_id == document.id)) == 6

    gwynedd = _area(scene, "Gwynedd")
    audit = scene.audits[gwynedd.id]
    board = world.user("board@gwynedd.example", gwynedd, "board_manager")
    login(client, board)
    statement = client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    assert "Force HSB policy" in statement and f'href="/documents/{document.id}/content"' in statement
    grid = client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/moderation").get_data(as_text=True)
    row = grid.split('data-code="1.1"')[1].split("</tr>")[0]
    assert f'data-document="{document.id}"' in row
    download = client.get(f"/documents/{document.id}/content")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    # the board manager of another linked area too; through the API as well
    wrexham = _area(scene, "Wrexham")
    other = world.user("board@wrexham.example", wrexham, "board_manager")
    assert current_app.test_client().get(f"/api/v1/documents/{document.id}/content",
                                         headers=api_headers(other)).data == PDF


def test_readers_of_another_agency_or_another_area_do_not_see_it(scene, world, client):
    document = _attach(scene)
    gwynedd = _area(scene, "Gwynedd")
    audit = scene.audits[gwynedd.id]
    health = world.user("health@gwynedd.example", gwynedd, "agency_lead", agency=scene.health[gwynedd.id])
    login(client, health)
    statement = client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    assert "Force HSB policy" not in statement
    assert client.get(f"/documents/{document.id}/content").status_code == 404
    assert client.get(f"/api/v1/documents/{document.id}", headers=api_headers(health)).status_code == 404
    # a viewer of the area reads the audit, not the agencies' evidence
    viewer = world.user("viewer@gwynedd.example", gwynedd, "viewer")
    assert current_app.test_client().get(f"/documents/{document.id}/content",
                                         headers=api_headers(viewer)).status_code in (302, 401, 404)
    other_client = current_app.test_client()
    login(other_client, viewer)
    assert other_client.get(f"/documents/{document.id}/content").status_code == 404
    # an area the organisation is not linked to
    elsewhere = world.area("Powys", agencies=("Police",))
    stranger = world.user("board@powys.example", elsewhere, "board_manager")
    stranger_client = current_app.test_client()
    login(stranger_client, stranger)
    assert stranger_client.get(f"/documents/{document.id}/content").status_code == 404
    # the generic document routes do not change it (the shared return's own do)
    lead = current_app.test_client()
    assert lead.delete(f"/api/v1/documents/{document.id}", headers=api_headers(scene.lead)).status_code == 404
    assert db.session.get(Document, document.id).deleted_at is None


def test_the_scoring_page_offers_no_controls_for_a_shared_document(scene, client):
    document = _attach(scene)
    gwynedd = _area(scene, "Gwynedd")
    audit = scene.audits[gwynedd.id]
    login(client, scene.lead)  # (the lead scores for the agency in each linked area)
    page = client.get(f"/areas/{gwynedd.id}/audits/{audit.id}/agencies/{scene.police[gwynedd.id].id}/domains/1"
                      ).get_data(as_text=True)
    item = page.split(f'data-document="{document.id}"', 1)[1].split("</li>", 1)[0]
    assert "Attached to the shared return" in item and "unlink" not in item


def test_the_shared_return_page_uploads_once_and_removes(scene, client):
    login(client, scene.lead)
    path = f"/shared-returns/{scene.shared.id}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="shared-documents-1-1-form"' in page
    token = csrf_token(client, path)
    sent = client.post(f"{path}/statements/1.1/documents", data={
        "csrf_token": token, "shared-documents-1-1-file": (io.BytesIO(PDF), "policy.pdf"),
        "shared-documents-1-1-title": "Force HSB policy"}, content_type="multipart/form-data")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#shared-documents-1-1")
    document = db.session.scalar(select(Document).where(Document.kind == "shared"))
    assert db.session.scalar(select(func.count()).select_from(DocumentLink).where(
        DocumentLink.document_id == document.id)) == 6
    page = client.get(path).get_data(as_text=True)
    assert page.split('id="shared-documents-1-1"', 1)[1].count(f'data-document="{document.id}"') == 1
    # a refused file: the error at its field and in the summary, nothing stored
    refused = client.post(f"{path}/statements/1.2/documents", data={
        "csrf_token": token, "shared-documents-1-2-file": (io.BytesIO(b"<html><script>x</script>"), "x.pdf")},
        content_type="multipart/form-data")
    assert refused.status_code == 302
    page = client.get(path)
    body = page.get_data(as_text=True)
    assert "govuk-error-summary" in body and 'href="#shared-documents-1-2-file"' in body
    assert "<title>Error:" in body
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    # removed from 1.1 in every area: linked nowhere else, it goes to the bin
    removed = client.post(f"{path}/statements/1.1/documents/remove", data={"csrf_token": token,
                                                                            "document_id": str(document.id)})
    assert removed.status_code == 302
    db.session.refresh(document)
    assert document.deleted_at is not None
    assert db.session.scalar(select(func.count()).select_from(DocumentLink).where(
        DocumentLink.document_id == document.id)) == 0


def test_a_closed_audit_keeps_its_link_and_gets_no_new_one(scene):
    from hsbtrack.audits import services as audits

    conwy = _area(scene, "Conwy")
    first = _attach(scene)
    audits.close_audit(scene.audits[conwy.id], override_reason="closing early for the test")
    second = _attach(scene, "1.2", "Training plan")
    assert {link.audit_id for link in second.links} == {a.id for a in scene.audits.values()} - {scene.audits[conwy.id].id}
    shared_documents.remove_from_shared_answer(scene.shared, "1.1", first, user=scene.lead)
    db.session.refresh(first)
    assert [link.audit_id for link in first.links] == [scene.audits[conwy.id].id] and first.deleted_at is None


def test_only_the_organisations_leads_attach_and_the_scan_applies(scene, world, app):
    _m, officer, _c = services.add_member(scene.organisation, "chief@police.example", ORGANISATION_SENIOR_OFFICER,
                                          user=scene.admin)
    with pytest.raises(ForbiddenError):
        shared_documents.upload_to_shared_answer(scene.shared, "1.1", io.BytesIO(PDF), "p.pdf", user=officer)
    board = world.user("board@gwynedd.example", scene.areas[0], "board_manager")
    with pytest.raises(ForbiddenError):
        shared_documents.upload_to_shared_answer(scene.shared, "1.1", io.BytesIO(PDF), "p.pdf", user=board)

    class Refuse:
        @hookimpl
        def hsbtrack_scan_document(self, open_stream, filename, content_type, size):
            return ScanVerdict(found="Test.Signature", scanner="refuse-all")

    plugins = app.extensions["hsbtrack_plugins"]
    plugin = Refuse()
    plugins.register_plugin("refuse-all", plugin)
    try:
        with pytest.raises(ServiceError) as refused:
            _attach(scene)
        assert "file" in refused.value.fields and "Test.Signature" in refused.value.fields["file"]
    finally:
        plugins.pm.unregister(plugin)
        plugins.infos.pop("refuse-all", None)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_an_exception_has_documents_of_its_own(scene, client):
    wrexham = _area(scene, "Wrexham")
    _attach(scene)
    services.set_exception(scene.shared, wrexham.id, "1.1", score=1, evidence="Own suite", reason="Own contract",
                           user=scene.lead)
    login(client, scene.lead)
    path = f"/shared-returns/{scene.shared.id}/statements/1.1/areas/{wrexham.id}/exception"
    page = client.get(path).get_data(as_text=True)
    assert 'id="exception-documents-form"' in page
    token = csrf_token(client, path)
    sent = client.post(f"/shared-returns/{scene.shared.id}/statements/1.1/areas/{wrexham.id}/documents", data={
        "csrf_token": token, "exception-documents-file": (io.BytesIO(PDF), "wrexham.pdf"),
        "exception-documents-title": "Wrexham custody protocol"}, content_type="multipart/form-data")
    assert sent.status_code == 302
    own = db.session.scalar(select(Document).where(Document.title == "Wrexham custody protocol"))
    assert own.kind == "response" and own.area_id == wrexham.id and own.agency_id == scene.police[wrexham.id].id
    assert "Wrexham custody protocol" in client.get(path).get_data(as_text=True)
    # in Wrexham's audit: the shared document and its own; elsewhere only the shared one
    from hsbtrack.documents.services import documents_for_response

    titles = {d.title for d in documents_for_response(scene.audits[wrexham.id], scene.police[wrexham.id].id, "1.1")}
    assert titles == {"Force HSB policy", "Wrexham custody protocol"}
    gwynedd = _area(scene, "Gwynedd")
    assert {d.title for d in documents_for_response(scene.audits[gwynedd.id], scene.police[gwynedd.id].id,
                                                    "1.1")} == {"Force HSB policy"}


def test_the_api_attaches_lists_and_removes(scene, client):
    headers = api_headers(scene.lead)
    url = f"/api/v1/shared-returns/{scene.shared.id}/responses/1.1/documents"
    made = client.post(url, headers=headers, data={"file": (io.BytesIO(PDF), "policy.pdf"), "title": "Policy"},
                       content_type="multipart/form-data")
    assert made.status_code == 201, made.get_json()
    listed = client.get(url, headers=headers).get_json()
    assert [d["id"] for d in listed] == [made.get_json()["id"]]
    bad = client.post(url, headers=headers, data={"file": (io.BytesIO(b"\x00\x01binary"), "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "file" in bad.get_json()["error"]["fields"]
    assert client.delete(f"{url}/{made.get_json()['id']}", headers=headers).status_code == 204
    assert client.delete(f"{url}/{made.get_json()['id']}", headers=headers).status_code == 404


def test_every_audit_closed_refuses_new_documents(scene):
    from hsbtrack.audits import services as audits

    for audit in scene.audits.values():
        audits.close_audit(audit, override_reason="closing for the test")
    with pytest.raises(ConflictError):
        _attach(scene)


def _attach_statements(world, size, prefix):
    from hsbtrack.audits import services as audits

    admin = world.user("admin@example.org", admin=True)
    areas = [world.area(f"{prefix} {i}", agencies=("Police", "Health")) for i in range(size)]
    opened = [audits.open_audit(area) for area in areas]
    organisation = services.create_organisation(f"{prefix} Police", user=admin)
    for area in areas:
        services.link_area(organisation, area.id, world.agency(area, "Police").id, user=admin)
    _m, lead, _c = services.add_member(organisation, f"{prefix.lower()}@police.example", user=admin)
    shared = services.open_shared_return(organisation, [a.id for a in opened], user=lead)
    shared_documents.upload_to_shared_answer(shared, "1.2", io.BytesIO(PDF), "warm.pdf", user=lead)
    with count_queries(current_app) as n:
        document = shared_documents.upload_to_shared_answer(shared, "1.1", io.BytesIO(PDF), "p.pdf", user=lead)
    return n(), len(document.links)


def test_attaching_to_32_areas_takes_as_many_statements_as_to_6(world):
    six, linked_six = _attach_statements(world, 6, "Six")
    many, linked_many = _attach_statements(world, 32, "Many")
    assert (linked_six, linked_many) == (6, 32)
    assert six == many, (six, many)


def test_another_organisations_document_on_the_same_audits_is_not_this_returns(scene, world):
    from hsbtrack.errors import NotFoundError

    health = services.create_organisation("Betsi Cadwaladr", user=scene.admin)
    for area in scene.areas:
        services.link_area(health, area.id, scene.health[area.id].id, user=scene.admin)
    _m, health_lead, _c = services.add_member(health, "lead@health.example", user=scene.admin)
    health_return = services.open_shared_return(health, [a.id for a in scene.audits.values()], user=health_lead)
    theirs = shared_documents.upload_to_shared_answer(health_return, "1.1", io.BytesIO(PDF), "h.pdf",
                                                      title="Health policy", user=health_lead)
    ours = _attach(scene)
    assert [d.id for d in shared_documents.shared_answer_documents(scene.shared)["1.1"]] == [ours.id]
    with pytest.raises(NotFoundError):
        shared_documents.shared_document(scene.shared, "1.1", theirs.id)
    # the police lead reads the police document, not the health board's
    gwynedd = scene.areas[0]
    from hsbtrack.documents import kinds

    assert kinds.may_read(scene.lead, ours) and not kinds.may_read(scene.lead, theirs)
    assert not kinds.may_change(scene.lead, theirs) and kinds.may_change(health_lead, theirs)
    board = world.user("board@gwynedd.example", gwynedd, "board_manager")
    assert kinds.may_read(board, theirs) and not kinds.may_change(board, theirs)
