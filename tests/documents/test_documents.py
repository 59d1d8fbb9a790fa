"""Documents behind an agency's response: upload (type from the content, size limit), versions, the bin,
the history, the API and the pages, and who may download (404 for everyone who may not read the
responses the document is attached to)."""

import io
import re
import zipfile
from datetime import date

import pytest

from hsbtrack.documents import services
from hsbtrack.documents.models import Document, DocumentVersion
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.audits.moderation_helpers import make_audit, statement_url
from tests.conftest import api_headers, count_queries, csrf_token, login

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
HTML = b"<!DOCTYPE html><html><head><title>Policy</title></head><body><script>alert(1)</script></body></html>"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    """The real local-disk backend, in a folder of this test's own."""
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    return make_audit(world)


def upload(t, data=PDF, filename="policy.pdf", user=None, code="1.1", **kwargs):
    return services.upload_to_response(t.audit, t.agencies["Police"].id, code, io.BytesIO(data), filename,
                                       user=user or t.lead, **kwargs)


def field_error(call) -> str:
    with pytest.raises(ServiceError) as caught:
        call()
    db.session.rollback()
    return caught.value.fields["file"]


# -- services ---------------------------------------------------------------------------------


def test_an_agency_lead_uploads_a_pdf_to_a_response_and_it_is_listed_with_its_history(t, store):
    document = upload(t, title="Safeguarding policy", effective_on="2026-03-10")
    version = document.latest
    assert (document.title, document.effective_on, document.agency_id) == (
        "Safeguarding policy", date(2026, 3, 10), t.agencies["Police"].id)
    assert (version.number, version.filename, version.content_type, version.size) == (
        1, "policy.pdf", "application/pdf", len(PDF))
    with store.open(version.storage_key) as stored:
        assert stored.read() == PDF
    assert services.documents_for_response(t.audit, t.agencies["Police"].id, "1.1") == [document]
    assert services.documents_for_response(t.audit, t.agencies["Police"].id, "1.2") == []
    history = {(e.field, e.new_value) for e in db.session.query(HistoryEntry).filter_by(entity="document")}
    assert {("document", "Safeguarding policy"), ("filename", "policy.pdf"), ("version", 1)} <= history


def test_the_type_comes_from_the_content_not_the_name(t, store):
    assert field_error(lambda: upload(t, HTML, "policy.pdf")) == "The file is not a PDF: it holds a web page"
    assert field_error(lambda: upload(t, HTML, "notes.txt")) == "The file is not a TXT: it holds a web page"
    assert field_error(lambda: upload(t, PNG, "policy.pdf")) == "The file is not a PDF: it holds a PNG file"
    assert field_error(lambda: upload(t, b"MZ\x90\x00\x03\x00\x00\x00" * 10, "tool.exe")) == (
        "Choose a PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV or TXT file")
    assert field_error(lambda: upload(t, b"PK\x03\x04 not really a zip", "report.docx")) == (
        "The file is not a DOCX: its content is of another type")
    assert field_error(lambda: upload(t, b"", "empty.pdf")) == "The file is empty"
    assert db.session.query(Document).count() == 0
    assert list(store.keys()) == []  # nothing refused stays stored
    assert upload(t, PNG, "chart.png").latest.content_type == "image/png"
    assert upload(t, docx_bytes(), "report.docx").latest.content_type == services.DOCX
    assert upload(t, b"Agency,Score\nPolice,3\n", "scores.csv").latest.content_type == "text/csv"
    assert upload(t, "Nodiadau’r cyfarfod\n".encode(), "notes").latest.content_type == "text/plain"


def test_the_size_limit_is_checked_while_storing_and_the_part_stored_is_removed(app, t, store):
    app.config["HSBTRACK_DOCUMENT_MAX_MB"] = 1
    try:
        assert field_error(lambda: upload(t, PDF + b"0" * (1024 * 1024), "big.pdf")) == (
            "The file must be 1 MB or smaller")
        assert list(store.keys()) == []
        assert upload(t, PDF + b"0" * (1024 * 1024 - len(PDF)), "just.pdf").latest.size == 1024 * 1024
    finally:
        app.config["HSBTRACK_DOCUMENT_MAX_MB"] = 50


def test_file_names_are_cleaned():
    assert services.clean_filename("C:\\Users\\me\\My policy.pdf") == "My policy.pdf"
    assert services.clean_filename("../../etc/pass\x00wd\n.txt") == "passwd.txt"
    long = services.clean_filename("a" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_a_new_version_keeps_the_old_ones_and_deleting_moves_to_the_bin(t, store):
    document = upload(t)
    first_key = document.latest.storage_key
    second = services.add_version(document, io.BytesIO(PDF + b"%v2\n"), "policy-v2.pdf", user=t.lead)
    assert [v.number for v in document.versions] == [1, 2] and second.filename == "policy-v2.pdf"
    assert store.exists(first_key) and store.exists(second.storage_key)
    services.delete_document(document, user=t.board)
    assert document.deleted_at is not None
    assert services.documents_for_response(t.audit, t.agencies["Police"].id, "1.1") == []
    assert store.exists(second.storage_key)  # restorable from the bin
    fields = {e.field for e in db.session.query(HistoryEntry).filter_by(entity="document", entity_id=document.id)}
    assert {"document", "version", "deleted_at"} <= fields


def test_only_those_who_score_the_response_may_attach_documents(t, world):
    health_lead = world.user("health@riverside.example.org", t.area, "agency_lead", agency=t.agencies["Health"])
    for user in (t.viewer, health_lead):
        with pytest.raises(ForbiddenError):
            upload(t, user=user)
        db.session.rollback()
    assert db.session.query(Document).count() == 0
    assert upload(t, user=t.board).agency_id == t.agencies["Police"].id  # the board, for any agency


def test_documents_for_the_whole_audit_take_a_fixed_number_of_queries(app, t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    upload(t)

    def measure():
        db.session.expire_all()
        with count_queries(app) as queries:
            grouped = services.documents_for_audit(t.audit)
            [d.latest.filename for docs in grouped.values() for d in docs]
        return queries(), grouped

    few, grouped = measure()
    assert list(grouped) == [(police.id, "1.1")]
    for code in ("1.2", "1.3", "1.4"):
        upload(t, code=code)
        services.add_version(grouped[(police.id, "1.1")][0], io.BytesIO(PDF), "again.pdf", user=t.lead)
        services.upload_to_response(t.audit, health.id, code, io.BytesIO(PDF), "h.pdf", user=t.board)
    many, grouped = measure()
    assert len(grouped) == 7 and many == few


# -- the API ----------------------------------------------------------------------------------


def test_the_api_uploads_lists_versions_downloads_and_deletes(client, t):
    police = t.agencies["Police"]
    base = f"/api/v1/audits/{t.audit.id}/responses/{police.id}/1.1/documents"
    lead = api_headers(t.lead)
    created = client.post(base, headers=lead, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(PDF), "policy.pdf"), "title": "Policy", "effective_on": "2026-03-10"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert {k: body[k] for k in ("title", "filename", "content_type", "size", "effective_on", "version")} == {
        "title": "Policy", "filename": "policy.pdf", "content_type": "application/pdf", "size": len(PDF),
        "effective_on": "2026-03-10", "version": 1}
    assert [d["id"] for d in client.get(base, headers=lead).get_json()] == [body["id"]]
    assert client.get(f"/api/v1/documents/{body['id']}", headers=lead).get_json()["title"] == "Policy"
    content = client.get(f"/api/v1/documents/{body['id']}/content", headers=api_headers(t.board))
    assert content.status_code == 200 and content.data == PDF
    assert content.headers["Content-Disposition"].startswith("attachment")
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    version = client.post(f"/api/v1/documents/{body['id']}/versions", headers=lead,
                          content_type="multipart/form-data", data={"file": (io.BytesIO(PDF + b"%2"), "v2.pdf")})
    assert version.status_code == 201 and version.get_json()["version"] == 2
    assert client.get(f"/api/v1/documents/{body['id']}/content", headers=lead).data == PDF + b"%2"
    assert client.delete(f"/api/v1/documents/{body['id']}", headers=lead).status_code == 204
    assert client.get(f"/api/v1/documents/{body['id']}", headers=lead).status_code == 404
    assert client.get(base, headers=lead).get_json() == []


def test_the_api_refuses_a_pdf_holding_a_web_page_at_the_field(client, t):
    police = t.agencies["Police"]
    answer = client.post(f"/api/v1/audits/{t.audit.id}/responses/{police.id}/1.1/documents",
                         headers=api_headers(t.lead), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(HTML), "policy.pdf")})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"]["file"] == "The file is not a PDF: it holds a web page"


def test_only_readers_of_the_agencys_responses_download_others_get_404(client, app, t, world):
    document = upload(t)
    other = make_audit(world, name="Hillside")
    health_lead = world.user("health@riverside.example.org", t.area, "agency_lead", agency=t.agencies["Health"])
    training = world.user("training@riverside.example.org", t.area, "training_lead")
    refused = [other.board, health_lead, training, t.viewer]
    if "school_lead" in app.extensions["hsbtrack_roles"]:  # (the schools plugin, when installed)
        refused.append(world.user("school@riverside.example.org", t.area, "school_lead"))
    for url in (f"/api/v1/documents/{document.id}/content", f"/api/v1/documents/{document.id}"):
        for user in refused:
            assert client.get(url, headers=api_headers(user)).status_code == 404, (url, user.email)
        for user in (t.lead, t.board):
            assert client.get(url, headers=api_headers(user)).status_code == 200, (url, user.email)
    page = f"/documents/{document.id}/content"  # the pages' download, signed in
    for user, status in [(u, 404) for u in refused] + [(t.lead, 200), (t.board, 200)]:
        login(client, user)
        answer = client.get(page)
        assert answer.status_code == status, (user.email, answer.status_code)
        if status == 200:
            assert answer.data == PDF
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


# -- the pages --------------------------------------------------------------------------------


def score_url(t, number=1):
    return f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/domains/{number}"


def test_the_scoring_page_uploads_a_document_and_the_statement_page_lists_it(client, t):
    login(client, t.lead)
    page = score_url(t)
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/statements/1.1/documents"
    answer = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(PDF), "policy.pdf"), "title": "Our policy",
        "effective_on": ["10", "3", "2026"]})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{page}#documents-1-1")
    html = client.get(page).get_data(as_text=True)
    block = re.search(r'id="documents-1-1">(.*?)</details>', html, re.S).group(1)
    assert "Our policy" in block and "Effective 10 March 2026" in block
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, t.board)
    statement = client.get(statement_url(t.area, t.audit, "1.1")).get_data(as_text=True)
    card = re.search(rf'id="agency-{t.agencies["Police"].id}"(.*?)</dl>', statement, re.S).group(1)
    assert "Our policy" in card and "/content" in card


def test_the_scoring_page_shows_a_refused_file_at_its_field(client, t):
    login(client, t.lead)
    page = score_url(t)
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/statements/1.1/documents"
    answer = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(HTML), "policy.pdf"), "title": "Kept"})
    assert answer.headers["Location"].endswith("#documents-1-1-file")
    html = client.get(page).get_data(as_text=True)
    error = re.search(r'id="documents-1-1-file-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert error and "The file is not a PDF: it holds a web page" in error.group(1)
    assert 'value="Kept"' in html
    assert "documents-1-1-file-error" not in client.get(page).get_data(as_text=True)  # shown once
    assert db.session.query(DocumentVersion).count() == 0
