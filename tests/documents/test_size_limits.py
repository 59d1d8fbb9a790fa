"""A document has a size limit of its own (50 MB by default) beside the general request cap (20 MB): every
view that takes a file says so (``takes_documents``), and the limit applies before CSRF protection reads
the form — so a 25 MB policy goes through the scoring page while the same body is refused elsewhere."""

import io

import pytest

from hsbtrack.documents.models import DocumentVersion
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.audits.moderation_helpers import make_audit
from tests.conftest import api_headers, csrf_token, login

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    return make_audit(world)


def big_pdf(size):
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def test_every_view_reading_an_uploaded_file_takes_documents(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "takes_documents", False)}
    assert {"documents.upload", "api_documents.upload", "api_documents.add_version", "actions.edit",
            "actions.upload_document", "api_actions.upload_document", "document_carry_over.replace_page",
            "api_document_carry_over.replace_api", "partnership_documents.upload",
            "api_partnership_documents.upload_api"} <= marked
    assert "auth.account" not in marked and "audits.score" not in marked


def test_a_25_mb_document_goes_through_the_scoring_page_past_the_general_cap(app, client, t):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * MB
    login(client, t.lead)
    police = t.agencies["Police"].id
    page = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{police}/domains/1"
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{police}/statements/1.1/documents"
    answer = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(big_pdf(25 * MB)), "annual-report.pdf")})
    assert answer.status_code == 302, answer.status_code
    assert db.session.query(DocumentVersion.size).scalar() == 25 * MB
    # the same body to a page that takes no document: the general cap
    refused = client.post("/account", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/account"), "file": (io.BytesIO(big_pdf(25 * MB)), "annual-report.pdf")})
    assert refused.status_code == 413


def test_the_documents_own_limit_is_said_at_the_field(app, client, t):
    app.config["HSBTRACK_DOCUMENT_MAX_MB"] = 1
    try:
        login(client, t.lead)
        police = t.agencies["Police"].id
        headers = api_headers(t.lead)
        url = f"/api/v1/audits/{t.audit.id}/responses/{police}/1.1/documents"
        answer = client.post(url, headers=headers, content_type="multipart/form-data",
                             data={"file": (io.BytesIO(big_pdf(MB + MB // 2)), "big.pdf")})
        assert answer.status_code == 422
        assert "The file must be 1 MB or smaller" in str(answer.get_json())
        # past the document's limit and its form's allowance: refused before it is read
        assert client.post(url, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(big_pdf(3 * MB)), "big.pdf")}).status_code == 413
        assert db.session.query(DocumentVersion).count() == 0
    finally:
        app.config["HSBTRACK_DOCUMENT_MAX_MB"] = 50
