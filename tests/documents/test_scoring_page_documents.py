"""The scoring page's documents (issue 16): a refused upload shows every error at its field and in the
error summary (page title "Error: …"); the upload script's requests get the page to load as JSON; one
document linked to several statements (page and API), removed from one (the bin when it was its only
link), in a constant number of queries."""

import io
import re
from html import unescape

import pytest

from hsbtrack.audits import services as audits
from hsbtrack.documents import services
from hsbtrack.documents.models import Document, DocumentLink
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.audits.moderation_helpers import make_audit
from tests.conftest import OPENED_EARLIER, api_headers, count_queries, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    return make_audit(world)


def score_url(t, audit=None):
    return f"/areas/{t.area.id}/audits/{(audit or t.audit).id}/agencies/{t.agencies['Police'].id}/domains/1"


def upload_url(t, code="1.1"):
    return f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/statements/{code}/documents"


def upload(t, code="1.1", title="Safeguarding policy", user=None):
    return services.upload_to_response(t.audit, t.agencies["Police"].id, code, io.BytesIO(PDF), "policy.pdf",
                                       title=title, user=user or t.lead)


def title_of(html):
    return " ".join(unescape(re.search(r"<title[^>]*>(.*?)</title>", html, re.S).group(1)).split())


def summary_of(html):
    """[(text, href)] of the page's error summary ([] without one)."""
    box = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    if not box:
        return []
    return [(" ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()), href)
            for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', box.group(0), re.S)]


def block(html, code="1.1"):
    slug = code.replace(".", "-")
    return re.search(rf'<div class="hsb-documents" id="documents-{slug}">(.*?)<div class="hsb-(?:statement|documents)"',
                     html, re.S).group(1)


# -- refused uploads: every error, at its field and in the summary ---------------------------


def test_a_refused_file_is_in_the_error_summary_and_the_title_once(client, t):
    login(client, t.lead)
    page = score_url(t)
    assert not title_of(client.get(page).get_data(as_text=True)).startswith("Error:")
    answer = client.post(upload_url(t), content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(HTML), "minutes.pdf"), "title": "Minutes"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#documents-1-1-file")
    html = client.get(page).get_data(as_text=True)
    assert title_of(html).startswith("Error: Domain 1")
    assert summary_of(html) == [("1.1: The file is not a PDF: it holds a web page", "#documents-1-1-file")]
    assert 'id="documents-1-1-file-error"' in html and 'value="Minutes"' in html
    assert "The document was not uploaded" in html
    again = client.get(page).get_data(as_text=True)  # shown once
    assert summary_of(again) == [] and not title_of(again).startswith("Error:")


def test_a_bad_date_and_no_file_are_both_shown(client, t):
    login(client, t.lead)
    page = score_url(t)
    answer = client.post(upload_url(t), content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "title": "Minutes", "effective_on": ["31", "2", "2026"]})
    assert answer.headers["Location"].endswith("#documents-1-1-file")
    html = client.get(page).get_data(as_text=True)
    assert summary_of(html) == [
        ("1.1: Choose a file to upload", "#documents-1-1-file"),
        ("1.1: Effective date (optional) must be a real date, like 31 3 2027", "#documents-1-1-effective_on-day")]
    assert 'id="documents-1-1-file-error"' in html and 'id="documents-1-1-effective_on-error"' in html
    assert re.search(r'id="documents-1-1-effective_on-day"[^>]*value="31"', html)
    assert title_of(html).startswith("Error:")


def test_an_error_of_another_domain_waits_for_its_page(client, t):
    login(client, t.lead)
    page = score_url(t)
    client.post(upload_url(t, "2.2"), content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(HTML), "minutes.pdf")})
    assert summary_of(client.get(page).get_data(as_text=True)) == []
    html = client.get(page.replace("/domains/1", "/domains/2")).get_data(as_text=True)
    assert summary_of(html) == [("2.2: The file is not a PDF: it holds a web page", "#documents-2-2-file")]


def test_the_upload_script_gets_the_page_to_load_instead_of_a_redirect(client, t):
    login(client, t.lead)
    page = score_url(t)
    headers = {"X-Requested-With": "XMLHttpRequest"}
    done = client.post(upload_url(t), headers=headers, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(PDF), "policy.pdf")})
    assert done.status_code == 200 and done.get_json()["location"].endswith(f"{page}#documents-1-1")
    refused = client.post(upload_url(t), headers=headers, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(HTML), "policy.pdf")})
    assert refused.get_json()["location"].endswith(f"{page}#documents-1-1-file")
    html = client.get(page).get_data(as_text=True)  # (the errors were kept for that page view)
    assert summary_of(html) == [("1.1: The file is not a PDF: it holds a web page", "#documents-1-1-file")]


def test_the_page_passes_the_upload_script_its_translated_messages(client, t):
    login(client, t.lead)
    html = client.get(score_url(t)).get_data(as_text=True)
    form = re.search(r'<form [^>]*id="documents-form-1-1"[^>]*>', html, re.S).group(0)
    assert 'data-msg-progress="Uploading {sent} of {total} ({percent})"' in form
    assert f'data-max-bytes="{50 * 1024 * 1024}"' in form
    assert 'src="/static/js/upload-progress.js"' in html
    assert re.search(r'id="documents-1-1-progress-text" aria-live="polite"', html)
    client.get("/language/cy")
    html = client.get(score_url(t)).get_data(as_text=True)
    form = re.search(r'<form [^>]*id="documents-form-1-1"[^>]*>', html, re.S).group(0)
    assert "Uploading" not in form and "{sent}" in form and "{percent}" in form


def test_a_refused_replace_of_a_carried_document_is_in_the_summary(client, t):
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    document = upload(t)
    audits.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    t2 = audits.open_audit(t.area, user=t.board)
    login(client, t.lead)
    page = score_url(t, t2)
    url = f"/areas/{t.area.id}/audits/{t2.id}/statements/1.1/documents/{document.id}/replace"
    client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "replacement": (io.BytesIO(HTML), "policy.pdf")})
    html = client.get(page).get_data(as_text=True)
    anchor = f"#reconfirm-{document.id}-1-1-file"
    assert summary_of(html) == [("1.1: The file is not a PDF: it holds a web page", anchor)]
    assert f'id="{anchor[1:]}-error"' in html and title_of(html).startswith("Error:")


# -- one document, several statements ----------------------------------------------------------


def link_url(t, code):
    return upload_url(t, code) + "/link"


def unlink_url(t, document, code):
    return f"/areas/{t.area.id}/audits/{t.audit.id}/statements/{code}/documents/{document.id}/unlink"


def codes_of(document):
    db.session.expire_all()
    return sorted(link.code for link in db.session.query(DocumentLink).filter_by(document_id=document.id))


def test_a_document_is_linked_to_another_statement_without_copying(client, t, store):
    document = upload(t)
    login(client, t.lead)
    page = score_url(t)
    html = client.get(page).get_data(as_text=True)
    assert "Link a document already uploaded to 1.1" not in html  # (nothing else to link there)
    choice = re.search(r'<select [^>]*id="documents-1-2-document_id"[^>]*form="documents-link-form-1-2".*?</select>',
                       html, re.S).group(0)
    assert f'<option value="{document.id}">Safeguarding policy (1.1)</option>' in choice
    answer = client.post(link_url(t, "1.2"), data={"csrf_token": csrf_token(client, page),
                                                   "document_id": document.id})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{page}#documents-1-2")
    assert codes_of(document) == ["1.1", "1.2"] and len(list(store.keys())) == 1
    html = client.get(page).get_data(as_text=True)
    assert "Safeguarding policy" in block(html, "1.2") and "Also evidence for 1.1" in block(html, "1.2")
    assert "Link a document already uploaded to 1.2" not in html
    entries = db.session.query(HistoryEntry).filter_by(entity="document", entity_id=document.id,
                                                       field="linked_to").all()
    assert [e.new_value for e in entries] == ["1.1", "1.2"]
    # another agency's document is not offered, and cannot be linked by its id
    health = services.upload_to_response(t.audit, t.agencies["Health"].id, "1.3", io.BytesIO(PDF), "h.pdf",
                                         title="Health report", user=t.board)
    assert "Health report" not in client.get(page).get_data(as_text=True)
    client.post(link_url(t, "1.3"), data={"csrf_token": csrf_token(client, page), "document_id": health.id})
    assert codes_of(health) == ["1.3"] and codes_of(document) == ["1.1", "1.2"]


def test_removing_from_one_statement_keeps_the_others_and_the_last_goes_to_the_bin(client, t):
    document = upload(t)
    services.link_document(document, t.audit, "1.2", user=t.lead)
    login(client, t.lead)
    page = score_url(t)
    html = client.get(page).get_data(as_text=True)
    button = re.search(rf'<button [^>]*id="documents-1-2-unlink-{document.id}".*?</button>', html, re.S).group(0)
    assert f'formaction="{unlink_url(t, document, "1.2")}"' in button and "Remove from this statement" in button
    asked = client.get(unlink_url(t, document, "1.2")).get_data(as_text=True)
    assert "the document stays evidence for 1.1" in asked
    answer = client.post(unlink_url(t, document, "1.2"), data={"csrf_token": csrf_token(client, page)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{page}#documents-1-2")
    assert codes_of(document) == ["1.1"]
    assert db.session.get(Document, document.id).deleted_at is None
    # now its only link: the page says it goes to the bin, and asks first
    html = client.get(page).get_data(as_text=True)
    link = re.search(rf'<a [^>]*id="documents-1-1-unlink-{document.id}"[^>]*>(.*?)</a>', html, re.S)
    assert "it moves to the bin" in link.group(1)
    asked = client.get(unlink_url(t, document, "1.1")).get_data(as_text=True)
    assert "it moves to the bin" in asked and "Move to the bin" in asked
    assert db.session.get(Document, document.id).deleted_at is None  # asking changed nothing
    client.post(unlink_url(t, document, "1.1"), data={"csrf_token": csrf_token(client, page)})
    db.session.expire_all()
    assert db.session.get(Document, document.id).deleted_at is not None and codes_of(document) == ["1.1"]
    assert "Safeguarding policy" not in block(client.get(page).get_data(as_text=True), "1.1")
    assert client.get(unlink_url(t, document, "1.1")).status_code == 404  # (in the bin: gone)


def test_only_those_who_score_the_response_link_and_remove(client, t, world):
    document = upload(t)
    health_lead = world.user("health@riverside.example.org", t.area, "agency_lead", agency=t.agencies["Health"])
    # a viewer reads the responses but may not change them (403); another agency's lead reads some responses
    # of the area (its own), so the app's rule answers 403 there too (hsbtrack.permissions._refusal)
    for user, status in ((t.viewer, 403), (health_lead, 403)):
        login(client, user)
        token = csrf_token(client, "/account")
        assert client.post(link_url(t, "1.2"), data={"csrf_token": token, "document_id": document.id}).status_code \
            in (403, 404)
        assert client.get(unlink_url(t, document, "1.1")).status_code == status
        assert client.post(unlink_url(t, document, "1.1"), data={"csrf_token": token}).status_code == status
        client.post("/logout", data={"csrf_token": token})
    assert codes_of(document) == ["1.1"]
    # the statement a document is not linked to has nothing to remove it from
    login(client, t.lead)
    assert client.get(unlink_url(t, document, "1.2")).status_code == 404


def test_the_scoring_page_lists_and_offers_documents_in_a_constant_number_of_queries(app, client, t):
    login(client, t.lead)
    page = score_url(t)

    def count():
        client.get(page)
        with count_queries(app) as queries:
            assert client.get(page).status_code == 200
        return queries()

    upload(t, "1.1", "One")
    one = count()
    for index, code in enumerate(("1.2", "1.3", "1.4", "1.5", "2.2", "1.7")):
        document = upload(t, code, f"Document {index}")
        for other in ("1.1", "1.8"):
            services.link_document(document, t.audit, other, user=t.lead)
    html = client.get(page).get_data(as_text=True)
    assert html.count("<option value=") > 10  # (many choices, many links listed)
    assert count() == one


# -- the API -----------------------------------------------------------------------------------


def api_base(t, code):
    return f"/api/v1/audits/{t.audit.id}/responses/{t.agencies['Police'].id}/{code}/documents"


def test_the_api_links_with_document_id_and_unlinks(client, t):
    document = upload(t)
    lead = api_headers(t.lead)
    linked = client.post(api_base(t, "1.2"), headers=lead, content_type="multipart/form-data",
                         data={"document_id": str(document.id)})
    assert linked.status_code == 201, linked.get_data(as_text=True)
    assert linked.get_json()["id"] == document.id and linked.get_json()["title"] == "Safeguarding policy"
    assert [d["id"] for d in client.get(api_base(t, "1.2"), headers=lead).get_json()] == [document.id]
    assert codes_of(document) == ["1.1", "1.2"]
    for data in ({"document_id": str(document.id), "file": (io.BytesIO(PDF), "p.pdf")}, {"title": "Nothing"}):
        refused = client.post(api_base(t, "1.3"), headers=lead, content_type="multipart/form-data", data=data)
        assert refused.status_code == 422 and "file" in refused.get_json()["error"]["fields"]
    assert client.delete(f"{api_base(t, '1.3')}/{document.id}", headers=lead).status_code == 404
    assert client.delete(f"{api_base(t, '1.2')}/{document.id}", headers=lead).status_code == 204
    assert codes_of(document) == ["1.1"]
    assert client.delete(f"{api_base(t, '1.1')}/{document.id}", headers=lead).status_code == 204
    db.session.expire_all()
    assert db.session.get(Document, document.id).deleted_at is not None  # (its only link: the bin)
    assert client.get(api_base(t, "1.1"), headers=lead).get_json() == []


def test_the_openapi_document_shows_linking_and_unlinking(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    response_docs = next(p for p in paths if p.endswith("/responses/{agency_id}/{code}/documents"))
    body = paths[response_docs]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]] if "$ref" in body else body
    assert {"file", "document_id", "title", "effective_on"} <= set(schema["properties"])
    assert "delete" in paths[response_docs + "/{document_id}"]
