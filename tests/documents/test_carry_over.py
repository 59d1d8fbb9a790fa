"""A re-audit starts with the previous cycle's documents "to re-confirm"; the agency lead confirms
(no bytes copied), replaces (a new version) or removes each from the new audit only."""

import io
import re

import pytest

from hsbtrack.audits import services as audits
from hsbtrack.documents import carry_over, services
from hsbtrack.documents.models import DocumentLink, DocumentVersion
from hsbtrack.errors import ForbiddenError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.audits.moderation_helpers import make_audit
from tests.conftest import OPENED_EARLIER, api_headers, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    """T1 with a Police document on 1.1 (and a Health one on 1.2), closed; T2 opened."""
    t = make_audit(world)
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    police, health = t.agencies["Police"], t.agencies["Health"]
    t.document = services.upload_to_response(t.audit, police.id, "1.1", io.BytesIO(PDF), "policy.pdf",
                                             title="Safeguarding policy", user=t.lead)
    t.health_doc = services.upload_to_response(t.audit, health.id, "1.2", io.BytesIO(PDF), "h.pdf",
                                               title="Health report", user=t.board)
    t.t1 = t.audit
    audits.close_audit(t.t1, user=t.board, override_reason="closed as the test sets it up")
    t.t2 = audits.open_audit(t.area, user=t.board)
    return t


def links(document_id):
    return {(link.audit_id, link.code, link.status)
            for link in db.session.query(DocumentLink).filter_by(document_id=document_id)}


def history(document_id):
    return [(e.audit_id, e.field, e.old_value, e.new_value)
            for e in db.session.query(HistoryEntry).filter_by(entity="document", entity_id=document_id)
            .order_by(HistoryEntry.id) if e.field == "status"]


def score_url(t):
    return f"/areas/{t.area.id}/audits/{t.t2.id}/agencies/{t.agencies['Police'].id}/domains/1"


def action_url(t, action, code="1.1"):
    return f"/areas/{t.area.id}/audits/{t.t2.id}/statements/{code}/documents/{t.document.id}/{action}"


def test_opening_a_re_audit_links_the_previous_documents_to_reconfirm_without_copying(t, store):
    assert links(t.document.id) == {(t.t1.id, "1.1", "linked"), (t.t2.id, "1.1", "to_reconfirm")}
    assert links(t.health_doc.id) == {(t.t1.id, "1.2", "linked"), (t.t2.id, "1.2", "to_reconfirm")}
    assert db.session.query(DocumentVersion).count() == 2 and len(list(store.keys())) == 2
    police = t.agencies["Police"].id
    # not yet evidence of T2: shown apart, not in the response's documents
    assert services.documents_for_response(t.t2, police, "1.1") == []
    assert services.documents_for_response(t.t1, police, "1.1") == [t.document]
    assert (t.t2.id, "status", None, "to_reconfirm") in history(t.document.id)
    assert carry_over.carry_over(t.t2) == 0  # (twice: nothing more)


def test_the_scoring_page_shows_to_reconfirm_and_still_current_links_it_without_copying(client, t, store):
    login(client, t.lead)
    html = client.get(score_url(t)).get_data(as_text=True)
    item = re.search(rf'<li[^>]*data-document="{t.document.id}" data-status="to_reconfirm"(.*?)</li>', html, re.S)
    assert item, "the carried document is not shown"
    assert "To re-confirm" in item.group(1) and "Safeguarding policy" in item.group(1)
    assert "Still current" in item.group(1) and "Remove from this audit" in item.group(1)
    assert "Replace" in item.group(1)
    assert "Health report" not in html  # another agency's, on its own scoring page
    key = t.document.latest.storage_key
    answer = client.post(action_url(t, "confirm"), data={"csrf_token": csrf_token(client, score_url(t))})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#documents-1-1")
    db.session.expire_all()
    assert links(t.document.id) == {(t.t1.id, "1.1", "linked"), (t.t2.id, "1.1", "linked")}
    versions = db.session.query(DocumentVersion).filter_by(document_id=t.document.id).all()
    assert [(v.number, v.storage_key) for v in versions] == [(1, key)]  # one version, one key
    assert len(list(store.keys())) == 2  # no bytes copied
    assert services.documents_for_response(t.t2, t.agencies["Police"].id, "1.1")[0].id == t.document.id
    html = client.get(score_url(t)).get_data(as_text=True)
    assert 'data-status="to_reconfirm"' not in html and "Safeguarding policy" in html
    assert (t.t2.id, "status", "to_reconfirm", "linked") in history(t.document.id)


def test_remove_unlinks_only_the_new_audit(client, t, store):
    login(client, t.lead)
    answer = client.post(action_url(t, "remove"), data={"csrf_token": csrf_token(client, score_url(t))})
    assert answer.status_code == 302
    db.session.expire_all()
    assert links(t.document.id) == {(t.t1.id, "1.1", "linked")}
    assert store.exists(t.document.latest.storage_key)
    assert (t.t2.id, "status", "to_reconfirm", None) in history(t.document.id)
    assert 'data-status="to_reconfirm"' not in client.get(score_url(t)).get_data(as_text=True)


def test_replace_adds_a_version_and_links_it(client, t, store):
    login(client, t.lead)
    page = score_url(t)
    refused = client.post(action_url(t, "replace"), content_type="multipart/form-data",
                          data={"csrf_token": csrf_token(client, page)})
    assert refused.headers["Location"].endswith(f"#reconfirm-{t.document.id}-1-1-file")
    html = client.get(page).get_data(as_text=True)
    assert re.search(rf'id="reconfirm-{t.document.id}-1-1-file-error"[^>]*>.*?Choose a file to upload', html, re.S)
    db.session.expire_all()
    assert (t.t2.id, "1.1", "to_reconfirm") in links(t.document.id)
    answer = client.post(action_url(t, "replace"), content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "replacement": (io.BytesIO(PDF + b"%v2\n"), "policy-2026.pdf")})
    assert answer.status_code == 302
    db.session.expire_all()
    assert links(t.document.id) == {(t.t1.id, "1.1", "linked"), (t.t2.id, "1.1", "linked")}
    versions = db.session.query(DocumentVersion).filter_by(document_id=t.document.id).order_by("number").all()
    assert [(v.number, v.filename) for v in versions] == [(1, "policy.pdf"), (2, "policy-2026.pdf")]
    with store.open(versions[0].storage_key) as first:
        assert first.read() == PDF  # the earlier version kept


def test_only_those_who_upload_to_the_response_may_decide(t, world):
    health_lead = world.user("health@riverside.example.org", t.area, "agency_lead", agency=t.agencies["Health"])
    link = carry_over.find_link(t.t2, "1.1", t.document)
    for user in (t.viewer, health_lead):
        for command in (carry_over.confirm, carry_over.remove):
            with pytest.raises(ForbiddenError):
                command(link, user=user)
            db.session.rollback()
    assert carry_over.confirm(link, user=t.board).status == "linked"


def test_the_api_confirms_replaces_and_unlinks(client, t, store):
    police = t.agencies["Police"].id
    base = f"/api/v1/audits/{t.t2.id}/statements/1.1/documents/{t.document.id}"
    lead = api_headers(t.lead)
    assert client.post(base + "/confirm", headers=api_headers(t.viewer)).status_code in (403, 404)
    confirmed = client.post(base + "/confirm", headers=lead)
    assert confirmed.status_code == 200 and confirmed.get_json()["version"] == 1
    listed = client.get(f"/api/v1/audits/{t.t2.id}/responses/{police}/1.1/documents", headers=lead).get_json()
    assert [d["id"] for d in listed] == [t.document.id]
    version = client.post(f"/api/v1/documents/{t.document.id}/versions", headers=lead,
                          content_type="multipart/form-data", data={"file": (io.BytesIO(PDF + b"%1"), "v.pdf")})
    assert version.status_code == 201  # confirmed in the open re-audit: versions may be added again
    replaced = client.post(base + "/replace", headers=lead, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PDF + b"%2"), "v2.pdf")})
    assert replaced.status_code == 201 and replaced.get_json()["version"] == 3
    assert client.delete(base, headers=lead).status_code == 204
    db.session.expire_all()
    assert links(t.document.id) == {(t.t1.id, "1.1", "linked")}
    assert client.delete(base, headers=lead).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()["paths"]
    path = "/audits/{audit_id}/statements/{code}/documents/{document_id}"
    assert {"delete"} <= set(spec[f"/api/v1{path}"] if f"/api/v1{path}" in spec else spec[path])
