"""The partnership's documents where people see them (issue 16): on the moderation statement page (upload,
link, remove or bin, the previous cycle's "to re-confirm"), on the moderation grid beside each agency's
score (only the agencies the reader may read) and the agreed score, on the statement page across cycles,
and in the API ``/api/v1/audits/<id>/statements/<code>/documents``. Who may read them: every reader of the
audit (``audit.read``); who may change them: the moderators (``audit.moderate``)."""

import io
import re

import pytest
from flask_login import login_user

from hsbtrack.audits import services as audits
from hsbtrack.documents import partnership, services
from hsbtrack.documents.models import STATEMENT, Document, DocumentLink, DocumentVersion
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.audits.moderation_helpers import make_audit, matrix_url, row, statement_url, text_of
from tests.conftest import OPENED_EARLIER, api_headers, count_queries, csrf_token, login

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
HTML = b"<!DOCTYPE html><html><head><title>Policy</title></head><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    t = make_audit(world)
    t.training = world.user("training@riverside.example.org", t.area, "training_lead")
    t.health_lead = world.user("health@riverside.example.org", t.area, "agency_lead", agency=t.agencies["Health"])
    return t


def upload(t, code="1.1", title="Partnership audit report", audit=None, **kwargs):
    return services.upload_to_statement(audit or t.audit, code, io.BytesIO(PDF), "report.pdf", title=title,
                                        user=t.board, **kwargs)


def agency_upload(t, agency, code="1.1", title=None):
    return services.upload_to_response(t.audit, t.agencies[agency].id, code, io.BytesIO(PDF), f"{agency}.pdf",
                                       title=title or f"{agency} policy", user=t.board)


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def block(page: str) -> str:
    """The statement page's "partnership's documents" section."""
    match = re.search(r'<section class="hsb-documents hsb-partnership-documents"(.*?)</section>', page, re.S)
    assert match, "no partnership documents section"
    return match.group(1)


def page_upload(client, t, data, code="1.1"):
    page = statement_url(t.area, t.audit, code)
    return client.post(f"{page}/documents", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, page), **data})


# -- the statement page -----------------------------------------------------------------------


def test_the_board_manager_uploads_on_the_statement_page_and_it_is_listed(client, t):
    login(client, t.board)
    page = statement_url(t.area, t.audit, "1.1")
    answer = page_upload(client, t, {"partnership-document-file": (io.BytesIO(PDF), "report.pdf"),
                                     "partnership-document-title": "Multi-agency audit of 20 cases",
                                     "partnership-document-effective_on": ["31", "3", "2026"]})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{page}#partnership-documents")
    html = client.get(page).get_data(as_text=True)
    assert "“Multi-agency audit of 20 cases” is on statement 1.1" in html  # the banner
    section = text_of(block(html))
    assert "Multi-agency audit of 20 cases (report.pdf, 1 KB)" in section
    assert "Effective 31 March 2026" in section
    document = db.session.query(Document).one()
    assert (document.kind, document.agency_id) == (STATEMENT, None)
    assert f'href="/documents/{document.id}/content" download' in block(html)
    # not an agency's: no agency card lists it
    assert "Multi-agency audit" not in html.split('id="agencies"')[1].split('id="history"')[0]


def test_a_refused_file_is_shown_at_its_field_with_a_summary_and_the_title_says_error(client, t):
    login(client, t.board)
    page = statement_url(t.area, t.audit, "1.1")
    answer = page_upload(client, t, {"partnership-document-file": (io.BytesIO(HTML), "report.pdf"),
                                     "partnership-document-title": "Kept title"})
    assert answer.headers["Location"].endswith(f"{page}#partnership-document-file")
    html = client.get(page).get_data(as_text=True)
    assert re.search(r"<title>\s*Error: Statement 1\.1", html)
    summary = re.search(r'class="govuk-error-summary".*?</div>\s*</div>', html, re.S).group(0)
    assert 'href="#partnership-document-file"' in summary and "The file is not a PDF: it holds a web page" in summary
    error = re.search(r'<p id="partnership-document-file-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert error and "The file is not a PDF: it holds a web page" in error.group(1)
    assert 'value="Kept title"' in html
    again = client.get(page).get_data(as_text=True)  # shown once
    assert "partnership-document-file-error" not in again and "<title>Error:" not in again
    # a date that is not one: at the date, the summary linking to its day box
    page_upload(client, t, {"partnership-document-file": (io.BytesIO(PDF), "report.pdf"),
                            "partnership-document-effective_on": ["31", "2", "2026"]})
    html = client.get(page).get_data(as_text=True)
    assert 'href="#partnership-document-effective_on-day"' in html
    assert "partnership-document-effective_on-error" in html
    assert db.session.query(DocumentVersion).count() == 0


def test_linking_a_document_already_uploaded_and_removing_or_binning(client, t):
    report = upload(t, "1.2", title="Annual report")
    plan = upload(t, "1.1", title="Partnership plan")
    login(client, t.board)
    page = statement_url(t.area, t.audit, "1.1")
    html = client.get(page).get_data(as_text=True)
    select = re.search(r'<select[^>]*id="partnership-document-link".*?</select>', html, re.S).group(0)
    assert "Annual report" in select and "Partnership plan" not in select  # not yet on 1.1 / already there
    # the plan is on no other statement: removing moves it to the bin, and the button says so
    item = re.search(rf'<li class="hsb-documents__item" data-document="{plan.id}">(.*?)</li>', html, re.S).group(1)
    assert "Remove and move to the bin" in item
    # nothing chosen: the error at the select, in the summary too
    answer = client.post(f"{page}/documents/link", data={"csrf_token": csrf_token(client, page), "document_id": ""})
    assert answer.headers["Location"].endswith("#partnership-document-link")
    html = client.get(page).get_data(as_text=True)
    assert 'id="partnership-document-link-error"' in html and 'href="#partnership-document-link"' in html
    assert "Choose one of the documents listed" in html
    # an agency's document cannot be linked as the partnership's
    police = agency_upload(t, "Police", "1.3")
    client.post(f"{page}/documents/link", data={"csrf_token": csrf_token(client, page), "document_id": police.id})
    assert "Choose one of the documents listed" in client.get(page).get_data(as_text=True)
    answer = client.post(f"{page}/documents/link", data={"csrf_token": csrf_token(client, page),
                                                         "document_id": report.id})
    assert answer.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Annual report" in text_of(block(html)) and 'id="partnership-document-link"' not in html
    db.session.expire_all()
    assert {link.code for link in db.session.query(DocumentLink).filter_by(document_id=report.id)} == {"1.1", "1.2"}
    item = re.search(rf'<li class="hsb-documents__item" data-document="{report.id}">(.*?)</li>', html, re.S).group(1)
    assert "Remove from this statement" in item and "bin" not in item
    # remove: the link to 1.1 goes, the document stays on 1.2
    client.post(f"{page}/documents/remove", data={"csrf_token": csrf_token(client, page), "document_id": report.id})
    db.session.expire_all()
    assert {link.code for link in db.session.query(DocumentLink).filter_by(document_id=report.id)} == {"1.2"}
    assert db.session.get(Document, report.id).deleted_at is None
    # the plan's only link: to the bin (restorable)
    client.post(f"{page}/documents/remove", data={"csrf_token": csrf_token(client, page), "document_id": plan.id})
    html = client.get(page).get_data(as_text=True)
    assert "“Partnership plan” is in the bin: it can be restored from there for 30 days" in html
    db.session.expire_all()
    assert db.session.get(Document, plan.id).deleted_at is not None
    assert "Partnership plan" not in text_of(block(html))


def test_readers_of_the_audit_read_and_download_it_only_moderators_change_it(app, client, t, world):
    document = upload(t)
    page = statement_url(t.area, t.audit, "1.1")
    for user in (t.lead, t.viewer, t.training):
        login(client, user)
        html = client.get(page).get_data(as_text=True)
        assert "Partnership audit report" in text_of(block(html)), user.email
        assert "partnership-document-form" not in html and "Remove" not in block(html)  # no forms
        download = client.get(f"/documents/{document.id}/content")
        assert download.status_code == 200 and download.data == PDF, user.email
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert client.get(f"/api/v1/documents/{document.id}/content",
                          headers=api_headers(user)).status_code == 200
        sign_out(client)
    # an agency lead may not add one, remove one nor link one: 403
    login(client, t.lead)
    token = csrf_token(client, page)
    assert client.post(f"{page}/documents", content_type="multipart/form-data", data={
        "csrf_token": token, "partnership-document-file": (io.BytesIO(PDF), "x.pdf")}).status_code == 403
    for action in ("remove", "link"):
        assert client.post(f"{page}/documents/{action}", data={"csrf_token": token,
                                                               "document_id": document.id}).status_code == 403
    assert db.session.query(DocumentLink).count() == 1
    sign_out(client)
    # another area's board manager, and (with the schools plugin) a school lead: 404
    other = make_audit(world, name="Hillside")
    refused = [other.board]
    if "school_lead" in app.extensions["hsbtrack_roles"]:  # (the schools plugin, when installed)
        refused.append(world.user("school@riverside.example.org", t.area, "school_lead"))
    for user in refused:
        login(client, user)
        assert client.get(f"/documents/{document.id}/content").status_code == 404, user.email
        sign_out(client)
        assert client.get(f"/api/v1/documents/{document.id}/content", headers=api_headers(user)).status_code == 404
        assert client.get(f"/api/v1/audits/{t.audit.id}/statements/1.1/documents",
                          headers=api_headers(user)).status_code == 404


def test_a_re_audit_shows_the_partnerships_documents_to_reconfirm(client, t):
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    kept, dropped = upload(t, title="Still true"), upload(t, title="Out of date")
    audits.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    t2 = audits.open_audit(t.area, user=t.board)
    page = statement_url(t.area, t2, "1.1")
    login(client, t.viewer)  # a reader sees the status, without the buttons
    section = block(client.get(page).get_data(as_text=True))
    assert section.count('data-status="to_reconfirm"') == 2 and "To re-confirm" in section
    assert "Still current" not in section
    sign_out(client)
    login(client, t.board)
    section = block(client.get(page).get_data(as_text=True))
    assert section.count("Still current") == 2
    base = f"/areas/{t.area.id}/audits/{t2.id}/statements/1.1/documents"
    answer = client.post(f"{base}/{kept.id}/confirm", data={"csrf_token": csrf_token(client, page)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{page}#partnership-documents")
    answer = client.post(f"{base}/{dropped.id}/remove", data={"csrf_token": csrf_token(client, page)})
    assert answer.headers["Location"].endswith(f"{page}#partnership-documents")
    section = block(client.get(page).get_data(as_text=True))
    assert "To re-confirm" not in section and "Still true" in text_of(section) and "Out of date" not in section
    assert services.documents_for_response(t2, None, "1.1") == [kept]
    assert set(services.documents_for_response(t.audit, None, "1.1")) == {kept, dropped}  # T1 keeps both
    assert db.session.query(DocumentVersion).count() == 2  # no bytes copied


def test_the_statement_page_takes_a_fixed_number_of_queries(app, client, t):
    login(client, t.board)
    page = statement_url(t.area, t.audit, "1.1")

    def measure():
        client.get(page)
        with count_queries(app) as queries:
            assert client.get(page).status_code == 200
        return queries()

    upload(t)
    upload(t, "1.2")
    agency_upload(t, "Police")
    few = measure()
    for i in range(10):
        upload(t, title=f"Report {i}")
        upload(t, "1.2", title=f"Other {i}")
        agency_upload(t, "Police")
    many = measure()
    assert few == many, (few, many)


# -- the API ----------------------------------------------------------------------------------


def test_the_api_uploads_and_lists_the_partnerships_documents(client, t):
    base = f"/api/v1/audits/{t.audit.id}/statements/1.1/documents"
    board = api_headers(t.board)
    created = client.post(base, headers=board, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "report.pdf"), "title": "Audit of 20 cases", "effective_on": "2026-03-31"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert {k: body[k] for k in ("title", "filename", "content_type", "size", "effective_on", "version", "agency_id")} \
        == {"title": "Audit of 20 cases", "filename": "report.pdf", "content_type": "application/pdf",
            "size": len(PDF), "effective_on": "2026-03-31", "version": 1, "agency_id": None}
    for user in (t.lead, t.viewer, t.training):
        listed = client.get(base, headers=api_headers(user))
        assert listed.status_code == 200 and [d["id"] for d in listed.get_json()] == [body["id"]], user.email
    assert client.get(f"/api/v1/audits/{t.audit.id}/statements/1.2/documents", headers=board).get_json() == []
    assert client.get(f"/api/v1/audits/{t.audit.id}/statements/9.9/documents", headers=board).status_code == 404
    refused = client.post(base, headers=board, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "report.pdf"), "effective_on": "2026-02-31"})
    assert refused.status_code == 422 and set(refused.get_json()["error"]["fields"]) == {"effective_on"}
    refused = client.post(base, headers=board, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(HTML), "report.pdf")})
    assert refused.get_json()["error"]["fields"]["file"] == "The file is not a PDF: it holds a web page"
    # an agency lead reads but may not add: 403
    answer = client.post(base, headers=api_headers(t.lead), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(PDF), "report.pdf")})
    assert answer.status_code == 403
    # a closed audit: 409
    audits.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    answer = client.post(base, headers=board, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(PDF), "report.pdf")})
    assert answer.status_code == 409
    assert db.session.query(Document).count() == 1


def test_the_openapi_document_describes_the_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/api/v1/audits/{audit_id}/statements/{code}/documents"]
    assert {"get", "post"} <= set(path)
    assert "multipart/form-data" in path["post"]["requestBody"]["content"]
    assert {"201", "403", "404", "409", "422"} <= set(path["post"]["responses"])


# -- the moderation grid ----------------------------------------------------------------------


def test_the_grid_shows_each_agencys_documents_beside_its_score_and_the_partnerships_beside_the_agreed(client, t):
    police, health = t.agencies["Police"], t.agencies["Health"]
    agency_upload(t, "Police", title="Police policy")
    agency_upload(t, "Health", title="Health audit")
    agency_upload(t, "Health", title="Health training plan")
    upload(t, title="Partnership report", effective_on="2026-03-31")
    login(client, t.board)
    html = client.get(matrix_url(t.area, t.audit)).get_data(as_text=True)
    line = row(html, "1.1")

    def agency_cell(agency):
        return text_of(re.search(rf'<td[^>]*data-agency="{agency.id}"[^>]*>(.*?)</td>', line, re.S).group(1))

    assert "Police policy" in agency_cell(police) and "Health" not in agency_cell(police)
    health_cell = agency_cell(health)
    assert "2 documents" in health_cell and "Health audit" in health_cell and "Health training plan" in health_cell
    assert "<details" in re.search(rf'<td[^>]*data-agency="{health.id}"[^>]*>(.*?)</td>', line, re.S).group(1)
    agreed = text_of(re.search(r'<td[^>]*data-col="agreed"[^>]*>(.*?)</td>', line, re.S).group(1))
    assert "Partnership report 31 Mar 2026" in agreed
    assert "Partnership report" not in row(html, "1.2")


def test_the_grid_lists_only_the_agencies_the_reader_may_read(app, t):
    """No core role opens the grid without reading every agency (``audit.responses.read``); the rule is
    the download's all the same, so a reader of one agency's responses would see that agency's only."""
    agency_upload(t, "Police", title="Police policy")
    agency_upload(t, "Health", title="Health audit")
    upload(t, title="Partnership report")
    participants = audits.participants(t.audit)
    for user, seen, unseen in ((t.lead, "Police policy", "Health audit"), (t.health_lead, "Health audit", "Police policy"),
                               (t.viewer, None, None)):
        with app.test_request_context():
            login_user(user)
            grid = partnership.grid_documents(t.audit, participants)
            cells = " ".join(str(html) for html in grid.cells("1.1").values())
            assert "Partnership report" in grid.partnership("1.1")
        if seen:
            assert seen in cells and unseen not in cells, user.email
        else:
            assert cells == "", user.email


def test_the_grid_takes_a_fixed_number_of_queries_with_2_or_20_documents(app, client, t):
    login(client, t.board)
    url = matrix_url(t.area, t.audit)

    def measure():
        client.get(url)
        with count_queries(app) as queries:
            html = client.get(url).get_data(as_text=True)
        return queries(), html

    agency_upload(t, "Police", title="Doc 0")
    upload(t, title="Board 0")
    few, _html = measure()
    codes = ("1.1", "1.2", "1.3", "1.4", "1.5", "1.7", "1.8", "2.2", "2.3", "2.4")
    for i in range(1, 10):
        agency_upload(t, ("Police", "Health", "Education")[i % 3], code=codes[i], title=f"Doc {i}")
        upload(t, code=codes[-i], title=f"Board {i}")
    many, html = measure()
    assert db.session.query(Document).count() == 20
    assert "Doc 9" in html and "Board 9" in html
    assert few == many, (few, many)


def test_an_agency_lead_never_sees_the_grid(client, t):
    agency_upload(t, "Health", title="Health audit")
    login(client, t.lead)
    assert client.get(matrix_url(t.area, t.audit)).status_code == 404


# -- the statement page across cycles ---------------------------------------------------------


def cycles_url(t, code="1.1"):
    return f"/areas/{t.area.id}/statements/{code}"


def test_the_statement_across_cycles_lists_each_cycles_documents_for_those_who_may_read_them(client, t):
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    upload(t, title="T1 partnership report", effective_on="2025-06-30")
    agency_upload(t, "Police", title="Police policy 2025")
    agency_upload(t, "Health", title="Health audit 2025")
    audits.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    t2 = audits.open_audit(t.area, user=t.board)
    services.upload_to_statement(t2, "1.1", io.BytesIO(PDF), "r.pdf", title="T2 partnership report",
                                 effective_on="2026-01-31", user=t.board)

    def cycles(user):
        login(client, user)
        html = client.get(cycles_url(t)).get_data(as_text=True)
        sign_out(client)
        return {m.group(1): text_of(m.group(2)) for m in re.finditer(
            r'<div class="hsb-cycle-documents" data-cycle="(\d+)">(.*?)</div>\s*(?=<div class="hsb-cycle|<p class="hsb-att)',
            html, re.S)}

    board = cycles(t.board)
    assert "T1 partnership report" in board["1"] and "Effective 30 June 2025" in board["1"]
    assert "Police policy 2025" in board["1"] and "Health audit 2025" in board["1"]
    assert "T2 partnership report" in board["2"] and "Effective 31 January 2026" in board["2"]
    assert "T1 partnership report" not in board["2"]  # carried, but not yet re-confirmed
    lead = cycles(t.lead)
    assert "Police policy 2025" in lead["1"] and "Health audit" not in lead["1"] and "T1 partnership" in lead["1"]
    viewer = cycles(t.viewer)
    assert "T1 partnership report" in viewer["1"] and "Police" not in viewer["1"] and "Health" not in viewer["1"]


def test_the_statement_across_cycles_takes_a_fixed_number_of_queries(app, client, t):
    login(client, t.board)

    def measure():
        client.get(cycles_url(t))
        with count_queries(app) as queries:
            assert client.get(cycles_url(t)).status_code == 200
        return queries()

    upload(t)
    agency_upload(t, "Police")
    few = measure()
    for i in range(9):
        upload(t, title=f"Board {i}")
        agency_upload(t, ("Police", "Health", "Education")[i % 3], title=f"Doc {i}")
    many = measure()
    assert few == many, (few, many)
